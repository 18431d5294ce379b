"""Cost of a wide case: one parallel multi-instance script task and one parallel multi-instance
user task over `items` (tests/fixtures/wide_case.bpmn), on a SQLite file database.

For each width N: the time to start (both multi-instances are created; the script runs N times),
the median cost of completing one of the N open user tasks (over 20 completions), the stored
state size and the Python memory the open case holds (tracemalloc peak during a second start,
untimed: tracing slows the interpreter down).
Last line: `complete ratio 10000/10: R` (target ≤ 2). `--script-timeout 60` measures the completions of a width
that cannot start within the default budget (the start figure then says what it took).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine import Actor, Engine, EngineSettings, ScriptError  # noqa: E402

CLERK = Actor("bench", groups=("clerks",), roles=("clerk",))
COMPLETIONS = 20


def measure(width: int, tmp: str, script_timeout: float) -> dict:
    engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp}/wide{width}.db",
                                            max_multi_instance_items=max(width, 10_000),
                                            script_timeout_seconds=script_timeout))
    engine.upgrade_schema()
    engine.deploy([ROOT / "tests" / "fixtures" / "wide_case.bpmn"])
    engine.start("wide_case", {"items": [0, 1]}, actor=CLERK)  # warm the spec cache
    t0 = time.perf_counter()
    inst = engine.start("wide_case", {"items": list(range(width))}, actor=CLERK)
    start = time.perf_counter() - t0
    # The memory in a second start: tracing slows Python down two to three times.
    tracemalloc.start()
    engine.start("wide_case", {"items": list(range(width))}, actor=CLERK)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tasks = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=COMPLETIONS + 1).items
    costs = []
    for task in tasks[:COMPLETIONS]:
        t0 = time.perf_counter()
        engine.complete_task(task.id, {}, actor=CLERK)
        costs.append(time.perf_counter() - t0)
    with engine.db.connect() as conn:
        size = conn.execute(sa.text("select length(state) + (select coalesce(sum(length(body)), 0) from instance_task where instance_id = :i) from instance where id = :i"), {"i": inst.id}).scalar_one()
    engine.dispose()
    return {"start": start, "complete": statistics.median(costs), "state": size, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="10,100,1000,10000")
    parser.add_argument("--script-timeout", type=float, default=EngineSettings.script_timeout_seconds,
                        help="the scripts' budget per command (default: the product's); a larger one lets a "
                             "width that cannot start in the default budget be measured for its completions")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for width in widths:
            try:
                results[width] = r = measure(width, tmp, args.script_timeout)
            except ScriptError as exc:  # a limit of the product, reported as the figure it is
                print(f"{width:>6} items: failed to start: {exc.message}", flush=True)
                continue
            print(f"{width:>6} items: start {r['start']:.2f} s, complete one {r['complete'] * 1000:.2f} ms, "
                  f"stored state {r['state']:,} bytes, start memory peak {r['peak'] / 1e6:.1f} MB", flush=True)
    widest = max(results)
    print(f"complete ratio {widest}/{widths[0]}: {results[widest]['complete'] / results[widths[0]]['complete']:.2f}")


if __name__ == "__main__":
    main()
