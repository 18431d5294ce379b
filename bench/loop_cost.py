"""Per-step cost of a long-lived looping instance at iterations 10, 1,000 and 10,000.

Process (tests/fixtures/loop.bpmn): merge -> user task -> script (count += 1) ->
exclusive gateway back to the merge while count < limit. One command (complete the
user task) per iteration, on a SQLite file database. The stored state stays bounded
because the engine compacts the finished part of the task tree between commands.

Prints the cost of a step around each checkpoint (the median of the 50 steps from it,
and their mean: one slow disk write in a window moves the mean, not what a step costs),
the stored state size, and last `cost ratio 10000/10: R` (of the medians).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine import Actor, Engine, EngineSettings  # noqa: E402

CLERK = Actor("bench", groups=("clerks",), roles=("clerk",))
CHECKPOINTS = (10, 1_000, 10_000)
WINDOW = 50


def main() -> None:
    limit = CHECKPOINTS[-1] + WINDOW + 1
    costs: dict[int, list[float]] = {c: [] for c in CHECKPOINTS}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp}/loop.db"))
        engine.upgrade_schema()
        engine.deploy([ROOT / "tests" / "fixtures" / "loop.bpmn"])
        inst = engine.start("loop", {"count": 0, "limit": limit}, actor=CLERK)
        sizes = {}
        for i in range(1, CHECKPOINTS[-1] + WINDOW + 1):
            task = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=1).items[0]
            t0 = time.perf_counter()
            engine.complete_task(task.id, {}, actor=CLERK)
            elapsed = time.perf_counter() - t0
            for c in CHECKPOINTS:
                if c <= i < c + WINDOW:
                    costs[c].append(elapsed)
                    if i == c:
                        with engine.db.connect() as conn:
                            sizes[c] = conn.execute(sa.text("select length(state) from instance")).scalar_one()
        final = engine.get_instance(inst.id)
        assert final.data["count"] == CHECKPOINTS[-1] + WINDOW, final.data
        engine.dispose()
    medians = {c: statistics.median(v) for c, v in costs.items()}
    for c in CHECKPOINTS:
        mean = sum(costs[c]) / len(costs[c])
        print(f"iteration {c:>6}: {medians[c] * 1000:.2f} ms/step (mean {mean * 1000:.2f}), "
              f"stored state {sizes[c]:,} bytes")
    print(f"cost ratio 10000/10: {medians[10_000] / medians[10]:.2f}")


if __name__ == "__main__":
    main()
