"""Concurrent commands on one instance: exactly one wins, the others get a conflict."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from engine import Actor, Conflict
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks", "finance"), roles=("clerk",))
THREADS = 8


def _race(fn, n: int = THREADS) -> tuple[list, list]:
    barrier = threading.Barrier(n)
    results, errors, lock = [], [], threading.Lock()

    def worker(i):
        barrier.wait()
        try:
            out = fn(i)
            with lock:
                results.append(out)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results, errors


def test_complete__n_threads_on_one_task_exactly_one_wins(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    inst = engine.start("representative", {"amount": 10})
    [review] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    results, errors = _race(lambda i: engine.complete_task(review.id, {"winner": i}, actor=CLERK))
    assert len(results) == 1, errors
    assert len(errors) == THREADS - 1 and all(isinstance(e, Conflict) for e in errors), errors
    after = engine.get_instance(inst.id)
    assert after.data["winner"] == results[0].data["winner"]
    assert sorted(after.active_elements) == ["task_a", "task_b"]
    completions = [e for e in engine.history(inst.id) if e.type == "task_completed"]
    assert len(completions) == 1
    with engine.db.connect() as conn:  # the new tasks were created once
        assert conn.execute(sa.text("select count(*) from task where state = 'ready'")).scalar_one() == 2


def test_claim__n_users_race_exactly_one_gets_it(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    inst = engine.start("representative", {"amount": 10})
    [review] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    users = [Actor(f"clerk{i}", groups=("clerks",), roles=("clerk",)) for i in range(THREADS)]
    results, errors = _race(lambda i: engine.claim(review.id, users[i]))
    assert len(results) == 1 and all(isinstance(e, Conflict) for e in errors), errors
    assert engine.get_task(review.id).assignee == results[0].assignee


def test_driver_lock_and_constraint_errors_count_as_races():
    # The command path runs its statements on the driver connection: its errors arrive
    # unwrapped, and a lock timeout or a duplicate key is a conflict all the same.
    import sqlite3

    from engine.engine import DRIVER_RACE_ERRORS, _is_lock_or_race

    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (id text primary key)")
    conn.execute("insert into t values ('a')")
    try:
        conn.execute("insert into t values ('a')")
    except sqlite3.IntegrityError as exc:
        assert isinstance(exc, DRIVER_RACE_ERRORS) and _is_lock_or_race(exc)
    else:
        raise AssertionError("no duplicate key error")
    assert _is_lock_or_race(sqlite3.OperationalError("database is locked"))
    assert not _is_lock_or_race(sqlite3.OperationalError("no such table: t"))
