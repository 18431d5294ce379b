"""verify holds the stored projections to the chain and the replay: someone with database
access edits what the API serves (instance row, workflow state, task, timer and
subscription rows) or removes the last event, with plain SQL behind the engine's back."""
from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
import sqlalchemy as sa

from engine import Actor
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))


def sql(engine, text: str, **params) -> int:
    with engine.db.begin() as conn:
        return conn.execute(sa.text(text), params).rowcount


def scalar(engine, text: str, **params):
    with engine.db.connect() as conn:
        return conn.execute(sa.text(text), params).scalar()


def rows(engine, text: str, **params) -> list:
    with engine.db.connect() as conn:
        return conn.execute(sa.text(text), params).all()


def forget(engine, instance_id: str) -> None:
    """Remove a deliberately tampered instance (the fixture verifies every instance left)."""
    for text in ("delete from audit_event where instance_id = :i",
                 "delete from task_candidate where task_id in (select id from task where instance_id = :i)",
                 "delete from task where instance_id = :i", "delete from timer where instance_id = :i",
                 "delete from message_subscription where instance_id = :i", "delete from instance_task where instance_id = :i", "delete from instance where id = :i"):
        sql(engine, text, i=instance_id)


def findings(result: dict, kind: str | None = None) -> dict[str, dict]:
    return {f["subject"]: f for f in result["findings"] if kind is None or f["kind"] == kind}


@pytest.fixture
def loop(engine):
    """A `loop` instance waiting at `work`, once claimed and completed (so one task has ended)."""
    engine.deploy(fixture_files("loop.bpmn", "event_gateway.bpmn"))
    inst = engine.start("loop", {"count": 0, "limit": 3}, business_key="L-1", actor=CLERK)
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    engine.claim(task.id, CLERK)
    engine.complete_task(task.id, {}, actor=CLERK)
    [ready] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    assert engine.verify(inst.id)["ok"] is True
    return inst.id, task.id, ready.id


def test_verify__an_untouched_instance_is_ok_with_no_findings(engine, loop):
    result = engine.verify(loop[0])
    assert result["ok"] and result["chain_ok"] and result["replay_ok"] and result["projections_ok"]
    assert result["findings"] == [] and result["first_bad_seq"] is None and result["instance_id"] == loop[0]


def test_verify__deleting_the_last_event_is_detected(engine, loop):
    instance_id = loop[0]
    last = scalar(engine, "select max(seq) from audit_event where instance_id = :i", i=instance_id)
    assert sql(engine, "delete from audit_event where instance_id = :i and seq = :s", i=instance_id, s=last) == 1
    assert engine.verify_chain(instance_id) is None  # what the chain alone still says
    result = engine.verify(instance_id)
    assert result["ok"] is False and result["chain_ok"] is False and result["first_bad_seq"] <= last
    head = findings(result, "head")
    assert head["last_seq"]["stored"] == last and head["last_seq"]["expected"] == last - 1
    forget(engine, instance_id)


def test_verify__deleting_the_last_event_of_a_completed_instance_is_detected(engine):
    """The removed `instance_completed` changes no path or data the replay compares: only the
    head (and the status the chain then implies) tell."""
    engine.deploy(fixture_files("loop.bpmn"))
    instance_id = engine.start("loop", {"count": 0, "limit": 1}, actor=CLERK).id
    [task] = engine.list_tasks(see_all=True, instance_id=instance_id).items
    engine.complete_task(task.id, {}, actor=CLERK)
    last = engine.history(instance_id)[-1]
    assert last.type == "instance_completed" and engine.get_instance(instance_id).status == "completed"
    sql(engine, "delete from audit_event where instance_id = :i and seq = :s", i=instance_id, s=last.seq)
    result = engine.verify(instance_id)
    assert result["replay_ok"] is True and result["chain_ok"] is False and result["first_bad_seq"] == last.seq
    assert findings(result, "head")["last_seq"]["stored"] == last.seq
    assert "removed" in result["detail"]
    forget(engine, instance_id)


def test_verify__deleting_the_last_event_and_rewinding_the_head_is_detected_by_the_projections(engine, loop):
    instance_id = loop[0]
    last, before = (scalar(engine, "select max(seq) from audit_event where instance_id = :i", i=instance_id),
                    scalar(engine, "select hash from audit_event where instance_id = :i and seq = "
                                   "(select max(seq) - 1 from audit_event where instance_id = :i)", i=instance_id))
    sql(engine, "delete from audit_event where instance_id = :i and seq = :s", i=instance_id, s=last)
    sql(engine, "update instance set last_seq = :s, last_hash = :h where id = :i", s=last - 1, h=before, i=instance_id)
    result = engine.verify(instance_id)
    assert result["chain_ok"] is True and result["ok"] is False and result["projections_ok"] is False
    # The removed event was the last of its command (it carried where the command left the
    # instance): the stored status and active elements are no longer the chain's.
    assert {"active_elements"} <= set(findings(result, "instance")) or findings(result, "task")
    forget(engine, instance_id)


@pytest.mark.parametrize("column, value, expected", [
    ("status", "completed", "running"),
    ("data", '{"count": 1, "limit": 99}', {"count": 1, "limit": 3}),
    ("business_key", "L-2", "L-1"),
    ("active_elements", '["elsewhere"]', ["work"]),
    ("started_by", "mallory", "amina"),
])
def test_verify__an_edited_instance_column_is_named_with_stored_and_expected(engine, loop, column, value, expected):
    instance_id = loop[0]
    sql(engine, f"update instance set {column} = :v where id = :i", v=value, i=instance_id)
    result = engine.verify(instance_id)
    assert result["ok"] is False and result["projections_ok"] is False and result["chain_ok"] is True
    finding = findings(result, "instance")[column]
    stored = orjson.loads(value) if column in ("data", "active_elements") else value
    assert finding["stored"] == stored and finding["expected"] == expected
    forget(engine, instance_id)


def test_verify__edited_state_variables_are_detected(engine, loop):
    instance_id = loop[0]
    state = scalar(engine, "select state from instance where id = :i", i=instance_id)
    assert '"variables":{"count":1,"limit":3}' in state
    sql(engine, "update instance set state = :s where id = :i",
        s=state.replace('"variables":{"count":1,"limit":3}', '"variables":{"count":1,"limit":300}'), i=instance_id)
    result = engine.verify(instance_id)
    assert result["ok"] is False and result["replay_ok"] is True
    finding = findings(result, "state")["state variables"]
    assert finding["stored"] == {"count": 1, "limit": 300} and finding["expected"] == {"count": 1, "limit": 3}
    forget(engine, instance_id)


def test_verify__an_unreadable_state_is_a_finding_not_a_crash(engine, loop):
    instance_id = loop[0]
    sql(engine, "update instance set state = :s where id = :i", s='{"format": "nope"}', i=instance_id)
    result = engine.verify(instance_id)
    assert result["ok"] is False and "cannot be restored" in findings(result, "state")["state"]["detail"]
    forget(engine, instance_id)


def test_verify__a_state_whose_ready_task_was_completed_is_detected(engine, loop):
    instance_id, _, ready = loop
    task = orjson.loads(scalar(engine, "select body from instance_task where task_id = :t", t=ready))
    task["state"] = 64  # COMPLETED: the inbox row is still ready, the state says done
    sql(engine, "update instance_task set body = :s where task_id = :t", s=orjson.dumps(task).decode(), t=ready)
    result = engine.verify(instance_id)
    ready_finding = findings(result, "state")["state ready tasks"]
    assert ready_finding["stored"] == {} and ready_finding["expected"] == {ready: "work"}
    forget(engine, instance_id)


@pytest.mark.parametrize("column, value", [
    ("completed_by", "mallory"), ("assignee", "mallory"), ("state", "cancelled"), ("element_id", "approve"),
])
def test_verify__an_edited_task_row_is_named_with_stored_and_expected(engine, loop, column, value):
    instance_id, completed, _ = loop
    expected = scalar(engine, f"select {column} from task where id = :t", t=completed)
    sql(engine, f"update task set {column} = :v where id = :t", v=value, t=completed)
    result = engine.verify(instance_id)
    assert result["ok"] is False and result["chain_ok"] is True and result["replay_ok"] is True
    finding = findings(result, "task")[f"task {completed} {column}"]
    assert finding["stored"] == value and finding["expected"] == expected
    forget(engine, instance_id)


def test_verify__completion_time_and_claim_of_a_task_row_are_checked(engine, loop):
    instance_id, completed, ready = loop
    from engine.db.tasks import task

    with engine.db.begin() as conn:  # typed: the schema's timestamps, on either database
        at = conn.execute(sa.select(task.c.completed_at).where(task.c.id == completed)).scalar()
        conn.execute(sa.update(task).where(task.c.id == completed).values(completed_at=at - timedelta(days=3)))
    sql(engine, "update task set assignee = 'mallory', claimed_at = created_at where id = :t", t=ready)
    result = findings(engine.verify(instance_id), "task")
    assert {f"task {completed} completed_at", f"task {ready} assignee", f"task {ready} claimed_at"} <= set(result)
    assert result[f"task {ready} assignee"]["expected"] is None
    forget(engine, instance_id)


def test_verify__a_task_offered_to_another_group_behind_the_engine_is_detected(engine, loop):
    instance_id, _, ready = loop
    sql(engine, "insert into task_candidate (task_id, kind, name) values (:t, 'group', 'outsiders')", t=ready)
    finding = findings(engine.verify(instance_id), "task")[f"task {ready} candidates"]
    assert ["group", "outsiders"] in finding["stored"] and ["group", "outsiders"] not in finding["expected"]
    forget(engine, instance_id)


def test_verify__a_forged_or_deleted_task_row_is_detected(engine, loop):
    instance_id, completed, ready = loop
    sql(engine, "insert into task (id, instance_id, definition_key, element_id, candidate_groups, candidate_users, "
                "state, created_at) select 'forged', instance_id, definition_key, element_id, candidate_groups, "
                "candidate_users, 'ready', created_at from task where id = :t", t=ready)
    sql(engine, "delete from task where id = :t", t=completed)
    result = findings(engine.verify(instance_id), "task")
    assert "no task_ready event" in result["task forged"]["detail"]
    assert result[f"task {completed}"]["stored"] is None and result[f"task {completed}"]["expected"]["state"] == "completed"
    forget(engine, instance_id)


@pytest.fixture
def waiting(engine):
    """An `ebg` instance waiting for message `reply` or its 15-day timer."""
    engine.deploy(fixture_files("event_gateway.bpmn"))
    inst = engine.start("ebg", {}, business_key="K-1", actor=CLERK)
    assert engine.verify(inst.id)["ok"] is True
    return inst.id


def test_verify__a_moved_timer_row_is_detected(engine, waiting, clock):
    sql(engine, "update timer set due_at = :d where instance_id = :i", d=clock.now(), i=waiting)
    result = engine.verify(waiting)
    assert result["ok"] is False and set(findings(result, "timer")) == {"timer rows"}
    forget(engine, waiting)


def test_verify__a_deleted_timer_row_is_detected(engine, waiting):
    assert sql(engine, "delete from timer where instance_id = :i", i=waiting) == 1
    finding = findings(engine.verify(waiting), "timer")["timer rows"]
    assert finding["stored"] == {} and len(finding["expected"]) == 1
    forget(engine, waiting)


def test_verify__a_timer_moved_in_both_state_and_row_is_caught_by_the_replay(engine, waiting, clock):
    [(task_id, body)] = [(r.task_id, r.body) for r in rows(engine, "select task_id, body from instance_task "
                         "where instance_id = :i", i=waiting) if "event_value" in orjson.loads(r.body)["internal_data"]]
    value = orjson.loads(body)["internal_data"]["event_value"]
    sooner = clock.now() + timedelta(minutes=1)
    sql(engine, "update instance_task set body = :s where task_id = :t", s=body.replace(value, sooner.isoformat()),
        t=task_id)
    sql(engine, "update timer set due_at = :d where instance_id = :i", d=sooner, i=waiting)
    result = engine.verify(waiting)
    assert result["ok"] is False and "timer rows" not in findings(result)  # row and state agree...
    finding = findings(result, "state")["state timers"]  # ...but not with the replay
    assert finding["stored"][0][0] == "timeout" and finding["stored"] != finding["expected"]
    forget(engine, waiting)


def test_verify__deleted_or_rekeyed_message_subscription_is_detected(engine, waiting):
    sql(engine, "update message_subscription set business_key = 'OTHER' where instance_id = :i", i=waiting)
    finding = findings(engine.verify(waiting), "subscription")["message subscription rows"]
    assert [v[2] for v in finding["stored"].values()] == ["OTHER"]
    assert [v[2] for v in finding["expected"].values()] == ["K-1"]
    sql(engine, "delete from message_subscription where instance_id = :i", i=waiting)
    assert findings(engine.verify(waiting), "subscription")["message subscription rows"]["stored"] == {}
    forget(engine, waiting)


def test_verify__every_kind_of_instance_left_by_a_walk_verifies(engine, clock):
    """Ended, cancelled, suspended and timer-fired instances: nothing legitimate is a finding."""
    engine.deploy(fixture_files("event_gateway.bpmn", "loop.bpmn"))
    replied = engine.start("ebg", {}, business_key="A")
    engine.correlate("reply", "A", {"answer": "oui"})
    timed_out = engine.start("ebg", {}, business_key="B")
    engine.advance_clock(by=timedelta(days=16))
    cancelled = engine.start("loop", {"count": 0, "limit": 2})
    engine.cancel(cancelled.id, "duplicate")
    suspended = engine.start("ebg", {}, business_key="C")
    engine.suspend(suspended.id)
    for inst in (replied, timed_out, cancelled, suspended):
        result = engine.verify(inst.id)
        assert result["ok"], (inst.definition_key, result)
    assert engine.get_instance(timed_out.id).status == "completed"
    assert engine.get_instance(suspended.id).status == "suspended"


def test_verify__a_task_row_moved_to_another_instance_is_detected(engine, loop):
    instance_id, completed, _ = loop
    other = engine.start("loop", {"count": 0, "limit": 3}, actor=CLERK).id
    sql(engine, "update task set instance_id = :o where id = :t", o=other, t=completed)
    moved = findings(engine.verify(instance_id), "task")[f"task {completed} instance_id"]
    assert moved["stored"] == other and moved["expected"] == instance_id
    sql(engine, "update task set instance_id = :i where id = :t", i=instance_id, t=completed)
    assert engine.verify(instance_id)["ok"] and engine.verify(other)["ok"]
