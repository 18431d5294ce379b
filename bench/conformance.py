"""betsy BPMN conformance of the diwan engine, per betsy group and overall.

Runs the whole betsy corpus (136 tests, 210 cases; `$DIWAN_BETSY_CORPUS`, else
tests/conformance/betsy) through the engine with the
harness of tests/conformance/betsy_harness.py, one temporary SQLite database per test (copied
from a migrated template) and a manual clock.

For each group it prints the tests passed, refused at deploy (the engine refused a construct it
cannot run faithfully: never run wrong) and wrong (run, with a trace that differs from betsy's,
or refused where it should not be), then the failing tests with their first mismatch, and last
`betsy tests passed: N/136`.

    .venv/bin/python bench/conformance.py [-v] [TEST_NAME ...]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, EngineSettings, ManualClock  # noqa: E402
from tests.conformance.betsy_harness import load_corpus, run_test  # noqa: E402

GROUPS = ("basics", "activities", "gateways", "events", "data", "errors", "cfpatterns")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these tests")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every case of every failing test")
    args = parser.parse_args()
    tests = load_corpus()
    if args.names:
        tests = [t for t in tests if t.name in set(args.names)]
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        seed = Engine(settings=EngineSettings(database_url=f"sqlite:///{template}"))
        seed.upgrade_schema()
        seed.dispose()
        for i, test in enumerate(tests):
            db = Path(tmp) / f"case{i}.db"
            shutil.copy(template, db)
            clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
            engine = Engine(settings=EngineSettings(database_url=f"sqlite:///{db}"), clock=clock)
            try:
                results.append(run_test(engine, clock, test))
            finally:
                engine.dispose()
                db.unlink()
    elapsed = time.perf_counter() - started

    by_group: dict[str, list] = defaultdict(list)
    for r in results:
        by_group[r.test.group].append(r)
    print(f"{'group':<12} {'tests':>5} {'passed':>7} {'refused':>8} {'wrong':>6} {'cases passed':>13}")
    for group in [g for g in GROUPS if g in by_group] + sorted(set(by_group) - set(GROUPS)):
        _row(group, by_group[group])
    _row("all", results)
    sose = [r for r in results if r.test.in_sose2015]
    if sose:
        print(f"SOSE 2015 subset: {sum(r.outcome == 'passed' for r in sose)}/{len(sose)} passed "
              f"(raw SpiffWorkflow 3.2.0 baseline: 46/70)")
    print(f"raw SpiffWorkflow 3.2.0 baseline: {sum(r.test.baseline_passed for r in results)}/{len(results)} passed")

    refused = [r for r in results if r.outcome == "refused"]
    wrong = [r for r in results if r.outcome == "wrong"]
    lost = [r.test.name for r in results if r.test.baseline_passed and r.outcome != "passed"]
    gained = [r.test.name for r in results if not r.test.baseline_passed and r.outcome == "passed"]
    if gained:
        print(f"\npassed here, failed on raw SpiffWorkflow: {', '.join(gained)}")
    if lost:
        print(f"passed on raw SpiffWorkflow, not here: {', '.join(lost)}")
    if refused:
        print("\nrefused at deploy:")
        for r in refused:
            first = r.refusal[0] if r.refusal else {}
            print(f"  {r.test.name}: {first.get('element')}: {first.get('message')}")
    if wrong:
        print("\nwrong:")
        for r in wrong:
            if args.verbose:
                print("  " + r.describe().replace("\n", "\n  "))
            else:
                bad = next(c for c in r.cases if not c.passed)
                print(f"  {r.test.name}: {bad.describe()}")
    print(f"\n{len(results)} tests in {elapsed:.1f} s")
    print(f"betsy tests passed: {sum(r.outcome == 'passed' for r in results)}/{len(results)}")
    return 0


def _row(label: str, results: list) -> None:
    count = lambda outcome: sum(r.outcome == outcome for r in results)  # noqa: E731
    cases = [c for r in results for c in r.cases]
    print(f"{label:<12} {len(results):>5} {count('passed'):>7} {count('refused'):>8} {count('wrong'):>6} "
          f"{sum(c.passed for c in cases):>7}/{len(cases):<5}")


if __name__ == "__main__":
    sys.exit(main())
