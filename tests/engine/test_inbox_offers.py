"""The inbox reads the open offers (task_candidate.offered, migration 0050): a task is on offer to
its candidate groups and users while it is ready and nobody holds it. Each list is compared with
the rule the inbox states (assigned to me, or unassigned and offered to me or my groups)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import Actor
from tests.conftest import PG_URL

ADMIN = Actor("admin", roles=("admin",))
AMINA = Actor("amina", groups=("g1", "g3"), roles=("clerk",))
OMAR = Actor("omar", groups=("g2",), roles=("clerk",))

DIAGRAM = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
           'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
           '<bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="s"/>'
           '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="split"/><bpmn:parallelGateway id="split"/>'
           '<bpmn:sequenceFlow id="f1" sourceRef="split" targetRef="both"/>'
           '<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="later"/>'
           '<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="other"/>'
           '<bpmn:userTask id="both" camunda:candidateGroups="g1,g2" camunda:candidateUsers="amina" '
           'camunda:dueDate="P1D"/>'
           '<bpmn:userTask id="later" camunda:candidateGroups="g1" camunda:dueDate="P5D"/>'
           '<bpmn:userTask id="other" camunda:candidateGroups="g2"/>'
           '<bpmn:sequenceFlow id="f4" sourceRef="both" targetRef="e1"/><bpmn:endEvent id="e1"/>'
           '<bpmn:sequenceFlow id="f5" sourceRef="later" targetRef="e2"/><bpmn:endEvent id="e2"/>'
           '<bpmn:sequenceFlow id="f6" sourceRef="other" targetRef="e3"/><bpmn:endEvent id="e3"/>'
           '</bpmn:process></bpmn:definitions>')


def _inbox(engine, actor, **kw):
    page = engine.list_tasks(actor.username, actor.groups, **kw)
    ids = [t.id for t in page.items]
    assert page.total == len(ids) or kw.get("per_page"), (page.total, ids)
    return ids


def _expected(engine, actor, *, group=None, key=None, overdue=False):
    """The inbox by its rule, from every ready task."""
    out = []
    now = engine.clock.now()
    for t in engine.list_tasks(see_all=True, per_page=500).items:
        mine = t.assignee == actor.username or (t.assignee is None and (
            actor.username in t.candidate_users or set(t.candidate_groups) & set(actor.groups)))
        if not mine or (group and group not in t.candidate_groups) or (key and t.definition_key != key) \
                or (overdue and not (t.due_at and t.due_at < now)):
            continue
        out.append(t)
    far = now + timedelta(days=36500)
    out.sort(key=lambda t: (t.due_at is None, t.due_at or far, t.created_at, t.id))
    return [t.id for t in out]


@pytest.fixture
def offers(engine):
    engine.deploy([("a.bpmn", DIAGRAM.format(key="proc_a").encode()),
                   ("b.bpmn", DIAGRAM.format(key="proc_b").encode())])
    for key in ("proc_a", "proc_b", "proc_a"):
        engine.start(key, {})
    return engine


def _check_all(engine):
    for actor in (AMINA, OMAR):
        assert _inbox(engine, actor) == _expected(engine, actor)
        assert _inbox(engine, actor, definition_key="proc_b") == _expected(engine, actor, key="proc_b")
        assert _inbox(engine, actor, overdue=True) == _expected(engine, actor, overdue=True)
        for group in actor.groups:
            assert _inbox(engine, actor, candidate_group=group) == _expected(engine, actor, group=group)


def test_the_inbox_lists_each_offer_once_in_due_order(offers):
    amina = _inbox(offers, AMINA)
    # "both" is offered to amina by name and through g1: once
    assert len(amina) == len(set(amina)) == 6
    _check_all(offers)


def test_a_claimed_task_leaves_the_groups_inbox_and_comes_back_when_given_back(offers, clock):
    task = next(t for t in offers.list_tasks(OMAR.username, OMAR.groups).items if t.element_id == "both")
    offers.claim(task.id, OMAR)
    assert task.id not in _inbox(offers, AMINA) and task.id in _inbox(offers, OMAR)
    _check_all(offers)
    offers.unclaim(task.id, OMAR)
    assert task.id in _inbox(offers, AMINA)
    _check_all(offers)
    offers.claim(task.id, AMINA)
    offers.complete_task(task.id, {}, actor=AMINA)
    assert task.id not in _inbox(offers, AMINA) + _inbox(offers, OMAR)
    clock.advance(timedelta(days=2))  # "both" tasks are overdue now
    _check_all(offers)


def test_ended_tasks_are_no_longer_on_offer(offers):
    inst = offers.list_instances().items[0]
    offers.cancel(inst.id, actor=ADMIN)
    _check_all(offers)
    with offers.db.connect() as conn:
        stale = conn.execute(sa.text(
            "SELECT count(*) FROM task_candidate JOIN task ON task.id = task_candidate.task_id "
            "WHERE task_candidate.offered AND (task.state <> 'ready' OR task.assignee IS NOT NULL)")).scalar_one()
    assert stale == 0


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's query plans")
def test_the_inbox_reads_the_open_offers_index(offers):
    from engine.db.tasks import _offers_statement

    sql = _offers_statement(False, False, False, 2)[0].text(True)
    params = {"user": "amina", "g0": "g1", "g1": "g3", "limit": 51, "offset": 0}
    with offers.db.connect() as conn:
        plan = " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "ix_task_candidate_offered" in plan, plan


def test_verify_finds_an_offer_edited_behind_the_engines_back(offers):
    task = next(t for t in offers.list_tasks(AMINA.username, AMINA.groups).items if t.element_id == "later")
    offers.claim(task.id, AMINA)
    offers.complete_task(task.id, {}, actor=AMINA)
    assert offers.verify(task.instance_id)["ok"]
    with offers.db.begin() as conn:  # the ended task put back into the groups' inbox
        conn.execute(sa.text("UPDATE task_candidate SET offered = true WHERE task_id = :t"), {"t": task.id})
    result = offers.verify(task.instance_id)
    assert not result["ok"]
    assert any("offered to group g1" in str(f) for f in result["findings"]), result["findings"]
    with offers.db.begin() as conn:
        conn.execute(sa.text("UPDATE task_candidate SET offered = false WHERE task_id = :t"), {"t": task.id})
