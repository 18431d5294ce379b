"""Instances through Engine.execute on a real database: start, tasks, timers, failures."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import Actor, Conflict, Engine, EngineSettings, Forbidden, InvalidData, NotFound, ScriptError
from tests.conftest import PG_URL, fixture_files

CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))
FINANCE = Actor("karim", groups=("finance",), roles=("clerk",))
OUTSIDER = Actor("youssef", groups=("consulats",), roles=("clerk",))


@pytest.fixture
def representative(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    return engine


def _ready(engine, instance_id):
    return {t.element_id: t for t in engine.list_tasks(see_all=True, instance_id=instance_id).items}


def test_start__runs_to_the_first_user_task(representative, clock):
    inst = representative.start("representative", {"amount": 500}, business_key="REQ-1", actor=CLERK)
    assert inst.status == "running"
    assert inst.data == {"amount": 500, "risk": "low"}
    assert inst.active_elements == ["review"]
    task = _ready(representative, inst.id)["review"]
    assert task.candidate_groups == ["clerks"]
    assert task.name == "Examiner la demande"
    assert task.documentation == "Examinez la demande."
    assert task.due_at == clock.now() + timedelta(days=2)
    assert [t["element_id"] for t in representative.timers(inst.id)] == ["review_timeout"]


def test_start__condition_routes_to_the_default_flow(representative):
    inst = representative.start("representative", {"amount": 5000})
    assert inst.status == "completed"
    assert inst.data["risk"] == "high"
    assert inst.active_elements == []
    assert representative.list_tasks(see_all=True, instance_id=inst.id).total == 0


def test_complete__parallel_branches_join_then_end(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    after = representative.complete_task(review.id, {"note": "ok"}, actor=CLERK)
    assert sorted(after.active_elements) == ["task_a", "task_b"]
    assert representative.timers(inst.id) == []  # the boundary timer left with its task
    tasks = _ready(representative, inst.id)
    representative.complete_task(tasks["task_a"].id, {"a": 1}, actor=CLERK)
    done = representative.complete_task(tasks["task_b"].id, {"b": 2}, actor=FINANCE)
    assert done.status == "completed"
    assert done.data == {"amount": 10, "risk": "low", "note": "ok", "a": 1, "b": 2}
    assert representative.get_task(review.id).state == "completed"
    assert representative.get_task(review.id).completed_by == "amina"


def test_boundary_timer__fires_on_the_engine_clock(representative, clock):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    clock.advance(timedelta(minutes=59))
    assert representative.fire_due_timers() == 0
    clock.advance(timedelta(minutes=2))
    assert representative.fire_due_timers() == 1
    after = representative.get_instance(inst.id)
    assert after.status == "completed"
    assert representative.get_task(review.id).state == "cancelled"
    types = [e.type for e in representative.history(inst.id)]
    assert "timer_fired" in types and "task_cancelled" in types


def test_complete__twice_is_conflict(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    representative.complete_task(review.id, {}, actor=CLERK)
    with pytest.raises(Conflict):
        representative.complete_task(review.id, {}, actor=CLERK)


def test_complete__not_offered_is_forbidden(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    with pytest.raises(Forbidden):
        representative.complete_task(review.id, {}, actor=OUTSIDER)


def test_claim__by_another_is_conflict_and_unclaim_frees_it(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    other = Actor("salma", groups=("clerks",), roles=("clerk",))
    assert representative.claim(review.id, CLERK).assignee == "amina"
    assert representative.claim(review.id, CLERK).assignee == "amina"  # again: same answer
    with pytest.raises(Conflict):
        representative.claim(review.id, other)
    with pytest.raises(Conflict):
        representative.complete_task(review.id, {}, actor=other)
    with pytest.raises(Forbidden):
        representative.unclaim(review.id, other)
    assert representative.unclaim(review.id, CLERK).assignee is None
    assert representative.claim(review.id, other).assignee == "salma"


def test_inbox__my_groups_and_my_tasks(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    representative.complete_task(review.id, {}, actor=CLERK)
    assert [t.element_id for t in representative.list_tasks("amina", ["clerks"]).items] == ["task_a"]
    assert [t.element_id for t in representative.list_tasks("karim", ["finance"]).items] == ["task_b"]
    assert representative.list_tasks("youssef", ["consulats"]).total == 0
    task_a = _ready(representative, inst.id)["task_a"]
    representative.claim(task_a.id, CLERK)
    assert representative.list_tasks("salma", ["clerks"]).total == 0
    assert [t.id for t in representative.list_tasks("amina", [], assigned_to_me=True).items] == [task_a.id]


def test_script_failure__leaves_nothing_behind(representative, database_url):
    with pytest.raises(ScriptError) as err:
        representative.start("representative", {"no_amount": 1})
    assert err.value.errors[0]["element"] == "assess"
    assert "amount" in err.value.errors[0]["message"]
    with representative.db.connect() as conn:
        assert conn.execute(sa.text("select count(*) from instance")).scalar_one() == 0
        assert conn.execute(sa.text("select count(*) from audit_event")).scalar_one() == 0


def test_start__unknown_process_is_not_found(engine):
    with pytest.raises(NotFound):
        engine.start("nope", {})


def test_cancel__cancels_tasks_and_timers(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    out = representative.cancel(inst.id, reason="doublon")
    assert out.status == "cancelled"
    assert representative.get_task(review.id).state == "cancelled"
    assert representative.timers(inst.id) == []
    with pytest.raises(Conflict):
        representative.cancel(inst.id)


def test_suspend__blocks_work_until_resumed(representative):
    inst = representative.start("representative", {"amount": 10})
    review = _ready(representative, inst.id)["review"]
    assert representative.suspend(inst.id).status == "suspended"
    with pytest.raises(Conflict):
        representative.complete_task(review.id, {}, actor=CLERK)
    assert representative.resume(inst.id).status == "running"
    assert representative.complete_task(review.id, {}, actor=CLERK).status == "running"


def test_runaway_loop__stops_with_a_clear_error(database_url, clock):
    engine = Engine(settings=EngineSettings(database_url=database_url, max_steps=300), clock=clock)
    engine.deploy(fixture_files("runaway.bpmn"))
    with pytest.raises(ScriptError) as err:
        engine.start("runaway", {"i": 0})
    assert "more than 300 engine steps" in err.value.message
    assert engine.list_instances().total == 0
    engine.dispose()


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's query plans (PostgreSQL scans tables this small)")
@pytest.mark.parametrize("flags,index", [
    ((True, False, False, False, False, False), "ix_task_ready_assignee"),  # assigned to me
    ((False, True, False, False, False, True), "ix_task_ready_due"),  # overdue
    ((False, True, False, False, True, False), "ix_task_ready_instance"),  # an instance's tasks
])
def test_inbox__queries_use_the_ready_task_indexes(representative, flags, index):
    # Ended tasks are in none of the inbox indexes (migration 0003): a claimed inbox or the
    # overdue list never reads the history.
    from engine.db.tasks import _inbox_statement

    inst = representative.start("representative", {"amount": 10})
    representative.complete_task(_ready(representative, inst.id)["review"].id, {}, actor=CLERK)
    sql = _inbox_statement(flags, 1)[0].text(True)  # SQLite's form: `:name` parameters
    params = {k: None for k in ("user", "g0", "candidate_group", "definition_key", "instance_id",
                                       "overdue_at", "limit", "offset")}
    with representative.db.connect() as conn:
        plan = " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert f"USING INDEX {index}" in plan, plan
        count = lambda q: conn.exec_driver_sql(q).scalar_one()  # noqa: E731
        assert count("select count(*) from task") == 3
        for ready_index in ("ix_task_ready_due", "ix_task_ready_instance", "ix_task_ready_assignee"):
            assert count(f"select count(*) from task indexed by {ready_index} where state = 'ready'") == 2


def test_inbox__pages_and_totals(representative):
    for amount in (10, 20, 30, 40, 50):
        representative.start("representative", {"amount": amount})
    everything = representative.list_tasks("amina", ["clerks"])
    assert everything.total == 5 and len(everything.items) == 5
    pages = [representative.list_tasks("amina", ["clerks"], page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert [len(p.items) for p in pages] == [2, 2, 1, 0]
    assert {p.total for p in pages} == {5}  # full pages, the last one and past the end
    assert [t.id for p in pages for t in p.items] == [t.id for t in everything.items]
    exact = representative.list_tasks("amina", ["clerks"], per_page=5)
    assert exact.total == 5 and len(exact.items) == 5
    assert representative.list_tasks("youssef", ["consulats"], page=3).total == 0
