"""Flow semantics through the engine: gateways, messages, variables, multi-instance, decisions,
service tasks and BPMN errors."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Actor, InvalidData, NotFound, ScriptError
from engine.db import outbox
from tests.conftest import fixture_files

ANY = Actor("admin", roles=("admin",))


def ready(engine, instance_id) -> dict:
    return {t.element_id: t for t in engine.list_tasks(see_all=True, instance_id=instance_id).items}


def ready_list(engine, instance_id) -> list:
    return engine.list_tasks(see_all=True, instance_id=instance_id).items


def test_exclusive_and_parallel__covered_by_the_representative_process(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    low = engine.start("representative", {"amount": 1})
    high = engine.start("representative", {"amount": 10_000})
    assert low.active_elements == ["review"] and high.status == "completed"
    taken = [e.payload.get("taken") for e in engine.history(high.id) if e.element_id == "route"]
    assert taken == [["rejected"]]


@pytest.mark.parametrize("approved, amount, expected", [
    (True, 500, {"a_done": True, "b_done": True}),
    (True, 50, {"b_done": True}),
    (False, 500, {}),
])
def test_inclusive_gateway__takes_every_true_branch_and_joins(engine, approved, amount, expected):
    engine.deploy(fixture_files("with_forms.bpmn", "request.form", "decision_form.form"))
    inst = engine.start("with_forms", {"applicant": "Nadia", "amount": amount})
    task = ready(engine, inst.id)["decide"]
    assert task.candidate_groups == ["bureau_ordre"]  # the lane, since the task names no group
    done = engine.complete_task(task.id, {"approved": approved}, actor=ANY)
    assert done.status == "completed"
    assert {k: v for k, v in done.data.items() if k.endswith("_done")} == expected


def test_start_form__validates_data(engine):
    engine.deploy(fixture_files("with_forms.bpmn", "request.form", "decision_form.form"))
    with pytest.raises(InvalidData) as err:
        engine.start("with_forms", {"applicant": "N", "amount": -1, "extra": 1})
    assert set(err.value.errors) == {"applicant", "amount", "extra"}
    assert engine.list_instances().total == 0


def test_task_form__invalid_data_changes_nothing(engine):
    engine.deploy(fixture_files("with_forms.bpmn", "request.form", "decision_form.form"))
    inst = engine.start("with_forms", {"applicant": "Nadia", "amount": 5})
    task = ready(engine, inst.id)["decide"]
    with pytest.raises(InvalidData) as err:
        engine.complete_task(task.id, {"approved": "yes", "comment": "x" * 600}, actor=ANY)
    assert set(err.value.errors) == {"approved", "comment"}
    assert engine.get_instance(inst.id).version == inst.version
    assert engine.get_task(task.id).state == "ready"


def test_event_based_gateway__message_wins_and_cancels_the_timer(engine, clock):
    engine.deploy(fixture_files("event_gateway.bpmn"))
    inst = engine.start("ebg", {}, business_key="REC-7")
    assert sorted(inst.active_elements) == ["got_reply", "timeout"]
    assert [t["element_id"] for t in engine.timers(inst.id)] == ["timeout"]
    assert engine.correlate("reply", "REC-7", {"answer": "voici"}) == [inst.id]
    after = engine.get_instance(inst.id)
    assert after.status == "completed" and after.data == {"answer": "voici"}
    assert engine.timers(inst.id) == []
    clock.advance(timedelta(days=20))
    assert engine.fire_due_timers() == 0
    with pytest.raises(NotFound):
        engine.correlate("reply", "REC-7", {})


def test_event_based_gateway__timer_wins_and_the_message_is_not_found(engine, clock):
    engine.deploy(fixture_files("event_gateway.bpmn"))
    inst = engine.start("ebg", {}, business_key="REC-8")
    clock.advance(timedelta(days=15, seconds=1))
    assert engine.fire_due_timers() == 1
    assert engine.get_instance(inst.id).status == "completed"
    fired = [e for e in engine.history(inst.id) if e.type == "timer_fired"]
    assert fired[0].element_id == "timeout"
    with pytest.raises(NotFound):
        engine.correlate("reply", "REC-8", {})


def test_message_start__starts_by_message_and_none_start_by_start(engine):
    engine.deploy(fixture_files("two_starts.bpmn"))
    by_form = engine.start("two_starts", {"name": "Ali"})
    assert by_form.data["origin"] == "form" and by_form.active_elements == ["interview"]
    [started] = engine.correlate("rapatriement_crise", "DOS-42", {"name": "Sara"})
    crisis = engine.get_instance(started)
    assert crisis.business_key == "DOS-42"
    assert crisis.data == {"name": "Sara", "origin": "crisis"}
    assert crisis.active_elements == ["interview"]


def test_variables__a_write_on_one_branch_is_visible_on_the_other(engine):
    engine.deploy(fixture_files("branches.bpmn"))
    inst = engine.start("branches", {"shared": "initial"})
    tasks = ready(engine, inst.id)
    engine.complete_task(tasks["right"].id, {"shared": "from right"}, actor=ANY)
    after = engine.complete_task(tasks["left"].id, {"left_note": 1}, actor=ANY)
    assert after.data["seen_by_left"] == "from right"
    assert after.data["shared"] == "from right"
    final = engine.complete_task(ready(engine, inst.id)["final"].id, {}, actor=ANY)
    assert final.data == {"shared": "from right", "seen_by_left": "from right", "left_note": 1}


def test_multi_instance__one_task_per_item_local_item_and_collected_outputs(engine):
    engine.deploy(fixture_files("multi_instance.bpmn"))
    inst = engine.start("multi_instance", {"children": ["Yasmine", "Omar", "Ilyas"]})
    tasks = ready_list(engine, inst.id)
    assert [t.element_id for t in tasks] == ["per_child"] * 3
    for t in tasks:
        engine.complete_task(t.id, {"school": "école"}, actor=ANY)
    after = engine.get_instance(inst.id)
    assert "child" not in after.data  # the item variable stays local
    evaluations = ready_list(engine, inst.id)
    assert len(evaluations) == 2
    after_first = engine.complete_task(evaluations[0].id, {"score": 12}, actor=ANY)
    assert "score" not in after_first.data and after_first.data["scores"] == [12]  # outputs stay local too
    done = engine.complete_task(evaluations[1].id, {"score": 16}, actor=ANY)
    assert done.status == "completed"
    assert sorted(done.data["scores"]) == [12, 16]
    assert done.data["mean_score"] == 14


def test_multi_instance__each_task_carries_its_item(engine):
    engine.deploy(fixture_files("multi_instance.bpmn"))
    inst = engine.start("multi_instance", {"children": [{"child_name": "Yasmine", "child_age": 9}, "Omar"]})
    tasks = sorted(ready_list(engine, inst.id), key=lambda t: t.item["index"])
    assert [t.item for t in tasks] == [
        {"variable": "child", "index": 0, "value": {"child_name": "Yasmine", "child_age": 9}},
        {"variable": "child", "index": 1, "value": "Omar"}]
    assert engine.get_task(tasks[1].id).item == tasks[1].item  # the inbox row and the task agree
    for t in tasks:
        engine.complete_task(t.id, {}, actor=ANY)
    evaluations = sorted(ready_list(engine, inst.id), key=lambda t: t.item["index"])
    assert [t.item for t in evaluations] == [{"variable": None, "index": 0, "value": None},
                                             {"variable": None, "index": 1, "value": None}]
    start = engine.list_tasks(see_all=True).items
    assert all(t.item is None for t in start if t.element_id not in ("per_child", "evaluate"))


@pytest.mark.parametrize("category, years, rate", [
    ("education", 5, 0.5), ("sante", 3, 0.5), ("education", 2, 0.3), ("culture", 1, 0.1), ("sport", 0, 0.1),
])
def test_business_rule_task__feel_decision_table(engine, category, years, rate):
    engine.deploy(fixture_files("decision.bpmn", "rate.dmn"))
    inst = engine.start("decision", {"category": category, "label_years": years, "budget": 1000, "requested": 800})
    assert inst.data["rate"] == rate
    assert inst.data["granted"] == min(800, 1000 * rate)
    decided = [e for e in engine.history(inst.id) if e.element_id == "rate_task"]
    assert decided[0].payload["decision"] == {"rate": rate}


def test_decision__instance_keeps_the_version_it_started_with(engine):
    engine.deploy(fixture_files("decision.bpmn", "rate.dmn"))
    changed = fixture_files("rate.dmn")[0][1].replace(b"<text>0.1</text>", b"<text>0.2</text>")
    engine.deploy([("rate.dmn", changed)])
    inst = engine.start("decision", {"category": "sport", "label_years": 0, "budget": 100, "requested": 100})
    assert inst.data["rate"] == 0.2


def test_service_tasks__value_connector_outbox_recorded_functions(engine, connectors, clock):
    engine.deploy(fixture_files("services.bpmn"))
    inst = engine.start("services", {"fail_on_first": False}, business_key="B-1")
    assert inst.status == "completed"
    assert inst.data["number"] == "LBL-0001" and inst.data["checked"] is True
    assert inst.data["stamped_at"] == clock.now().isoformat()
    assert connectors.issued[0].properties == {"prefix": "LBL"}
    assert connectors.issued[0].business_key == "B-1"
    with engine.db.connect() as conn:
        rows = outbox.for_instance(conn, inst.id)
    assert [(r.connector, r.element_id, r.status) for r in rows] == [("notify", "notify", "pending")]
    events = {e.element_id: e.payload for e in engine.history(inst.id) if e.type == "element_completed"}
    assert events["issue"]["recorded"] == [{"fn": "connector:issue_number", "value": {"number": "LBL-0001"}}]
    assert [r["fn"] for r in events["stamp"]["recorded"]] == ["now", "new_id"]
    assert events["stamp"]["recorded"][1]["value"] == inst.data["ref"]


def test_bpmn_error__raised_by_a_script_is_caught_by_the_boundary(engine):
    engine.deploy(fixture_files("services.bpmn"))
    inst = engine.start("services", {"fail_on_first": True})
    assert inst.status == "running"
    assert inst.active_elements == ["handle"]
    assert "checked" not in inst.data


def test_script_error__in_complete_rolls_back(engine):
    engine.deploy(fixture_files("decision.bpmn", "rate.dmn"))
    with pytest.raises(ScriptError) as err:
        engine.start("decision", {"category": "sport", "label_years": 0})
    assert err.value.errors[0]["element"] == "cap"


def test_script_budget__an_endless_script_is_stopped(engine):
    body = (b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            b'id="d" targetNamespace="t"><bpmn:process id="spin" isExecutable="true"><bpmn:startEvent id="s"/>'
            b'<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t"><bpmn:script>'
            b'while True:\n    x = 1</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="g" sourceRef="t" '
            b'targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process></bpmn:definitions>')
    engine.deploy([("spin.bpmn", body)])
    with pytest.raises(ScriptError) as err:
        engine.start("spin", {})
    assert err.value.errors[0]["element"] == "t" and "steps" in err.value.errors[0]["message"]


def test_event_based_gateway__message_after_due_time_but_before_firing_wins_alone(engine, clock):
    engine.deploy(fixture_files("event_gateway.bpmn"))
    inst = engine.start("ebg", {}, business_key="REC-9")
    clock.advance(timedelta(days=16))  # the timer is due, but no worker has fired it yet
    assert engine.correlate("reply", "REC-9", {"answer": "tard"}) == [inst.id]
    after = engine.get_instance(inst.id)
    assert after.status == "completed"
    ends = [e.element_id for e in engine.history(inst.id) if e.type == "element_completed"]
    assert "answered" in ends and "abandoned" not in ends
    assert engine.fire_due_timers() == 0


def test_multi_instance__a_missing_collection_is_a_script_error_naming_the_element(engine):
    engine.deploy(fixture_files("multi_instance.bpmn"))
    with pytest.raises(ScriptError) as err:
        engine.start("multi_instance", {})
    assert err.value.errors[0]["element"] == "per_child"
    assert engine.list_instances().total == 0


def test_lane__a_task_inside_a_subprocess_gets_its_own_lane(engine):
    body = fixture_files("subprocess_then_steps.bpmn")[0][1].replace(
        b'<bpmn:scriptTask id="inside"><bpmn:script>inside_done = True</bpmn:script></bpmn:scriptTask>',
        b'<bpmn:userTask id="inside" />').replace(
        b'<bpmn:process id="sub_then_steps" isExecutable="true">',
        b'<bpmn:process id="sub_then_steps" isExecutable="true"><bpmn:laneSet id="ls">'
        b'<bpmn:lane id="l1" name="consulats"><bpmn:flowNodeRef>inside</bpmn:flowNodeRef></bpmn:lane>'
        b'<bpmn:lane id="l2" name="service_social"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
        b'<bpmn:flowNodeRef>sub</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>')
    engine.deploy([("lanes.bpmn", body)])
    inst = engine.start("sub_then_steps", {})
    [task] = ready_list(engine, inst.id)
    assert task.element_id == "inside" and task.lane == "consulats" and task.candidate_groups == ["consulats"]


def test_deploy__a_folder(engine, tmp_path):
    for name in ("loop.bpmn", "request.form"):
        (tmp_path / name).write_bytes(fixture_files(name)[0][1])
    (tmp_path / "notes.txt").write_text("ignored")
    out = engine.deploy([tmp_path])
    assert [d["key"] for d in out.definitions] == ["loop"] and [f["key"] for f in out.forms] == ["request"]


def test_thrown_messages__reach_instances_of_the_same_business_key_and_message_starts(engine):
    engine.deploy(fixture_files("thrown_messages.bpmn"))
    waiting = engine.start("receiver", {}, business_key="DOS-1")
    other = engine.start("receiver", {}, business_key="DOS-2")
    sender = engine.start("sender", {}, business_key="DOS-1")
    assert sender.status == "completed"
    assert engine.get_instance(waiting.id).status == "completed"
    assert engine.get_instance(waiting.id).data == {"notice_received": True}
    assert engine.get_instance(other.id).status == "running"  # another file's instance is untouched
    [opened] = engine.list_instances(definition_key="opened").items  # the message end event started it
    assert opened.business_key == "DOS-1" and opened.active_elements == ["o_task"]
    thrown = [e.payload["name"] for e in engine.history(sender.id) if e.type == "message_thrown"]
    assert thrown == ["avis_transmis", "ouvrir_dossier"]


def test_signals__broadcast_to_waiting_instances_and_signal_starts(engine):
    signals = (b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               b'id="d" targetNamespace="t"><bpmn:signal id="Sig" name="alerte_crise"/>'
               b'<bpmn:process id="alarm" isExecutable="true"><bpmn:startEvent id="a_s"/>'
               b'<bpmn:sequenceFlow id="a1" sourceRef="a_s" targetRef="a_t"/><bpmn:intermediateThrowEvent id="a_t">'
               b'<bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateThrowEvent>'
               b'<bpmn:sequenceFlow id="a2" sourceRef="a_t" targetRef="a_e"/><bpmn:endEvent id="a_e"/></bpmn:process>'
               b'<bpmn:process id="listener" isExecutable="true"><bpmn:startEvent id="l_s"/>'
               b'<bpmn:sequenceFlow id="l1" sourceRef="l_s" targetRef="l_w"/><bpmn:intermediateCatchEvent id="l_w">'
               b'<bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateCatchEvent>'
               b'<bpmn:sequenceFlow id="l2" sourceRef="l_w" targetRef="l_e"/><bpmn:endEvent id="l_e"/></bpmn:process>'
               b'<bpmn:process id="reaction" isExecutable="true"><bpmn:startEvent id="r_s">'
               b'<bpmn:signalEventDefinition signalRef="Sig"/></bpmn:startEvent>'
               b'<bpmn:sequenceFlow id="r1" sourceRef="r_s" targetRef="r_t"/><bpmn:userTask id="r_t"/>'
               b'<bpmn:sequenceFlow id="r2" sourceRef="r_t" targetRef="r_e"/><bpmn:endEvent id="r_e"/></bpmn:process>'
               b'</bpmn:definitions>')
    engine.deploy([("signals.bpmn", signals)])
    one = engine.start("listener", {}, business_key="A")
    two = engine.start("listener", {}, business_key="B")
    engine.start("alarm", {}, business_key="C")
    assert engine.get_instance(one.id).status == "completed" and engine.get_instance(two.id).status == "completed"
    [reaction] = engine.list_instances(definition_key="reaction").items
    assert reaction.active_elements == ["r_t"]
