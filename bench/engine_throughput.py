"""Engine throughput vs raw SpiffWorkflow on the representative process.

Process (tests/fixtures/representative.bpmn): start -> script -> exclusive gateway ->
user task with a boundary timer -> parallel split of two user tasks -> join -> end.
Each instance: start, complete the review, complete both parallel tasks (4 commands).

- engine: `Engine` on a SQLite file database (WAL, synchronous=NORMAL), every command a
  transaction with its audit rows, task rows, timer rows and versioned state write.
- raw: the same diagram on SpiffWorkflow alone, in memory (stock CamundaParser and
  script engine on the translated XML), no persistence.

Both run in the same process, alternating batches. Prints instances/s for each (medians),
each round's ratio (its engine batch over the raw batch just before it) and, last, their
median `engine/raw: R`.

Usage: .venv/bin/python bench/engine_throughput.py [--instances N] [--rounds R]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import Actor, Engine, EngineSettings  # noqa: E402
from engine.definitions import safe_xml  # noqa: E402
from engine.definitions.translate import translate_bpmn  # noqa: E402

BPMN = ROOT / "tests" / "fixtures" / "representative.bpmn"
CLERK = Actor("bench", groups=("clerks", "finance"), roles=("clerk",))


def raw_spec():
    root = safe_xml.parse(BPMN.read_bytes())
    assert not translate_bpmn(root, BPMN.name)
    parser = CamundaParser()
    parser.add_bpmn_xml(root, filename=BPMN.name)
    return parser.get_spec("representative"), parser.get_subprocess_specs("representative")


def run_raw(spec, subs, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec, subs)
        wf.get_next_task(state=TaskState.READY).data.update({"amount": 10 + i % 100})
        wf.do_engine_steps()
        for _ in range(3):
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            task.data.update({"ok": True})
            task.run()
            wf.do_engine_steps()
        assert wf.is_completed()
    return n / (time.perf_counter() - t0)


def run_engine(engine: Engine, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        inst = engine.start("representative", {"amount": 10 + i % 100}, actor=CLERK)
        for _ in range(3):
            task = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=1).items[0]
            inst = engine.complete_task(task.id, {"ok": True}, actor=CLERK)
        assert inst.status == "completed"
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    spec, subs = raw_spec()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp}/bench.db"))
        engine.upgrade_schema()
        engine.deploy([BPMN])
        run_engine(engine, 20)  # warm up caches
        run_raw(spec, subs, 20)
        raw_rates, engine_rates = [], []
        for _ in range(args.rounds):
            gc.collect()
            raw_rates.append(run_raw(spec, subs, args.instances))
            gc.collect()
            engine_rates.append(run_engine(engine, args.instances))
        engine.dispose()
    raw, eng = statistics.median(raw_rates), statistics.median(engine_rates)
    # Each round's engine batch against the raw batch just before it: the machine's speed drifts
    # from minute to minute, and a ratio of two medians taken minutes apart carries the drift.
    ratios = [e / r for e, r in zip(engine_rates, raw_rates)]
    print(f"rounds: {args.rounds} x {args.instances} instances, medians")
    print(f"raw SpiffWorkflow (in memory): {raw:.0f} instances/s")
    print(f"engine (SQLite file, 4 commands/instance): {eng:.0f} instances/s")
    print("engine/raw by round: " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"engine/raw: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
