"""Instance migration between versions: a dry run names what cannot map, a batch moves all or
nothing, a mapping renames elements, the chain records it and replay follows it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Actor, InvalidData, NotFound
from tests.conftest import FIXTURES

CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))
ROOT = Actor("root", roles=("admin",))
LOOP = (FIXTURES / "loop.bpmn").read_text()
V2 = LOOP.replace('name="Travailler"', 'name="Traiter le dossier"')  # same elements, a new label
V3 = LOOP.replace('id="work"', 'id="traiter"').replace('targetRef="work"', 'targetRef="traiter"').replace(
    'sourceRef="work"', 'sourceRef="traiter"')  # the task renamed


@pytest.fixture
def versions(engine):
    engine.deploy([("loop.bpmn", LOOP.encode())])
    first = [engine.start("loop", {"count": 0, "limit": 2}, actor=CLERK) for _ in range(2)]
    engine.deploy([("loop.bpmn", V2.encode())])
    engine.deploy([("loop.bpmn", V3.encode())])
    return engine, first


def _complete(engine, instance_id):
    task = engine.list_tasks(see_all=True, instance_id=instance_id).items[0]
    engine.claim(task.id, CLERK)
    return task, engine.complete_task(task.id, {}, actor=CLERK)


def test_dry_run__lists_what_cannot_map_and_changes_nothing(versions):
    engine, first = versions
    report = engine.migrate_instances("loop", 3, dry_run=True, actor=ROOT)
    assert report["dry_run"] and report["migrated"] == 0
    assert {r["instance_id"] for r in report["instances"]} == {i.id for i in first}
    assert all(not r["ok"] and r["unmapped"] == ["work"] for r in report["instances"])
    assert {engine.get_instance(i.id).definition_version for i in first} == {1}
    with pytest.raises(InvalidData) as err:  # all or nothing
        engine.migrate_instances("loop", 3, actor=ROOT)
    assert set(err.value.errors) == {i.id for i in first}
    assert engine.migrate_instances("loop", 3, mapping={"work": "traiter"}, dry_run=True)["instances"][0]["ok"]


def test_migrate__moves_the_batch_records_it_and_runs_on_the_new_version(versions):
    engine, first = versions
    report = engine.migrate_instances("loop", 2, actor=ROOT)
    assert report["migrated"] == 2 and all(r["ok"] for r in report["instances"])
    moved = engine.get_instance(first[0].id)
    assert moved.definition_version == 2
    task = engine.list_tasks(see_all=True, instance_id=moved.id).items[0]
    assert task.name == "Traiter le dossier"  # the inbox shows the new version's label
    event = [e for e in engine.history(moved.id) if e.type == "instance_migrated"][0]
    assert event.actor == "root" and event.payload["from_version"] == 1 and event.payload["to_version"] == 2
    _, after = _complete(engine, moved.id)
    assert after.status == "running" and after.data["count"] == 1
    result = engine.verify(moved.id)
    assert result["chain_ok"] and result["replay_ok"], result


def test_migrate__with_a_mapping_renames_the_waiting_task(versions):
    engine, first = versions
    engine.migrate_instances("loop", 3, instance_ids=[first[0].id], mapping={"work": "traiter"}, actor=ROOT)
    moved = engine.get_instance(first[0].id)
    assert moved.definition_version == 3 and moved.active_elements == ["traiter"]
    task, _ = _complete(engine, moved.id)
    assert task.element_id == "traiter"
    _complete(engine, moved.id)
    assert engine.get_instance(moved.id).status == "completed"
    assert engine.get_instance(first[1].id).definition_version == 1  # not in the batch
    result = engine.verify(moved.id)
    assert result["chain_ok"] and result["replay_ok"], result


def test_migrate__refuses_ended_instances_and_unknown_versions(versions):
    engine, first = versions
    engine.cancel(first[0].id, "test")
    report = engine.migrate_instances("loop", 2, instance_ids=[first[0].id], dry_run=True)
    assert report["instances"][0]["reason"] == "the instance has ended (cancelled)"
    with pytest.raises(NotFound):
        engine.migrate_instances("loop", 9)


def test_migrate__a_renamed_timer_keeps_its_row_and_fires_on_the_new_version(engine):
    """The waiting timer's row follows the rename (what the worker fires, and what verify compares)."""
    source = (FIXTURES / "timers.bpmn").read_text()
    engine.deploy([("timers.bpmn", source.encode())])
    inst = engine.start("calendar", {"delay": "P1D"}, business_key="CAL-M")
    renamed = source.replace('id="k_wait"', 'id="k_wait_v2"').replace('Ref="k_wait"', 'Ref="k_wait_v2"')
    engine.deploy([("timers.bpmn", renamed.encode())])
    engine.migrate_instances("calendar", 2, mapping={"k_wait": "k_wait_v2"}, actor=ROOT)
    assert [t["element_id"] for t in engine.timers(inst.id)] == ["k_wait_v2"]
    assert engine.verify(inst.id)["ok"], engine.verify(inst.id)
    _, fired = engine.advance_clock(by=timedelta(days=1, minutes=1))
    assert fired == 1 and engine.get_instance(inst.id).status == "completed"


def test_migrate__a_renamed_message_wait_keeps_its_subscription(engine):
    from engine.db import subscriptions

    source = (FIXTURES / "event_gateway.bpmn").read_text()
    engine.deploy([("event_gateway.bpmn", source.encode())])
    inst = engine.start("ebg", {}, business_key="EBG-M")
    renamed = source.replace('id="got_reply"', 'id="got_reply_v2"').replace('Ref="got_reply"', 'Ref="got_reply_v2"')
    engine.deploy([("event_gateway.bpmn", renamed.encode())])
    engine.migrate_instances("ebg", 2, mapping={"got_reply": "got_reply_v2"}, actor=ROOT)
    with engine.db.connect() as conn:
        assert [r.element_id for r in subscriptions.for_instance(conn, inst.id)] == ["got_reply_v2"]
    assert engine.verify(inst.id)["ok"], engine.verify(inst.id)
    engine.correlate("reply", "EBG-M")
    assert engine.get_instance(inst.id).status == "completed"
