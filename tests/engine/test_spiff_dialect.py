"""SpiffArena diagrams (the spiffworkflow namespace): each implemented extension's effect through the
engine, each refused one refused at deploy naming the element, and the SpiffArena samples of
tests/fixtures/spiffarena deployed and run to completion (every instance verifies at teardown)."""
from __future__ import annotations

import pytest

from engine import Actor, InvalidDefinition, ScriptError
from engine.definitions import spiff_inventory as inv

from ..conftest import FIXTURES

SAMPLES = FIXTURES / "spiffarena"
CLERK = Actor("amina", groups=("bureau_ordre",), roles=("clerk",))

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">')


def document(body: str, pid: str = "p", extra: str = "") -> bytes:
    return f'{HEAD}{extra}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'.encode()


def around(task: str) -> str:
    """A process start -> `task` (whose id is t) -> end."""
    return ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            f'{task}<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def ext(*children: str) -> str:
    return "<bpmn:extensionElements>" + "".join(children) + "</bpmn:extensionElements>"


def refused(engine, body: str, extra: str = "") -> list[dict]:
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("spiff.bpmn", document(body, extra=extra))])
    return err.value.errors


def events(engine, instance_id: str, kind: str) -> list:
    return [e for e in engine.history(instance_id) if e.type == kind]


# -- the samples ---------------------------------------------------------------------------------

def test_sample_prescript_postscript__runs_to_completion(engine):
    engine.deploy([SAMPLES / "prescript_postscript.bpmn"])
    inst = engine.start("Process_1", {"a": 1, "b": 2})
    # a bpmn:task waits in the inbox (SpiffWorkflow's NoneTask is manual); its pre-script ran when it became ready
    assert inst.status == "running"
    assert inst.data == {"a": 1, "b": 2, "x": 2, "y": 4, "z": 6}
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    inst = engine.complete_task(task.id, {})
    assert inst.status == "completed"
    # the post-script set c and deleted x and y (SpiffWorkflow's own test of this diagram says the same)
    assert inst.data == {"a": 1, "b": 2, "z": 6, "c": 12}
    ran = events(engine, inst.id, "script_ran")
    assert [(e.element_id, e.payload["script"]) for e in ran] == [("Activity_1iqs4li", "pre"),
                                                                   ("Activity_1iqs4li", "post")]
    assert ran[1].payload["deleted"] == ["x", "y"]


def test_sample_business_rule_task__called_decision_id_resolves_the_deployed_decision(engine):
    engine.deploy([SAMPLES / "business_rule_task.bpmn", SAMPLES / "business_rules.dmn"])
    inst = engine.start("Process_bd2e724")
    assert inst.status == "completed"
    assert inst.data["answer"] == "Y"


def test_called_decision_id__missing_decision_is_refused(engine):
    errors = refused(engine, around('<bpmn:businessRuleTask id="t">'
                                    + ext("<spiffworkflow:calledDecisionId>nowhere</spiffworkflow:calledDecisionId>")
                                    + "</bpmn:businessRuleTask>"))
    assert any("nowhere" in e["message"] for e in errors), errors


# -- pre and post scripts --------------------------------------------------------------------------

USER_TASK = around('<bpmn:userTask id="t" camunda:candidateGroups="bureau_ordre">'
                   + ext("<spiffworkflow:preScript>greeting = 'Bonjour ' + name</spiffworkflow:preScript>",
                         "<spiffworkflow:postScript>summary = greeting + ': ' + answer</spiffworkflow:postScript>")
                   + "</bpmn:userTask>")


def test_pre_script__variables_are_set_when_the_user_task_becomes_ready(engine):
    engine.deploy([("spiff.bpmn", document(USER_TASK))])
    inst = engine.start("p", {"name": "Fatima"})
    assert inst.status == "running"
    assert inst.data["greeting"] == "Bonjour Fatima"  # before the clerk sees the task (a mixed file: camunda too)
    task = engine.list_tasks("amina", ["bureau_ordre"]).items[0]
    engine.claim(task.id, CLERK)
    done = engine.complete_task(task.id, {"answer": "oui"}, actor=CLERK)
    assert done.status == "completed"
    assert done.data["summary"] == "Bonjour Fatima: oui"  # the post-script saw the submission


def test_pre_script__runs_before_the_script_tasks_own_script(engine):
    body = around('<bpmn:scriptTask id="t">' + ext("<spiffworkflow:preScript>n = 10</spiffworkflow:preScript>",
                                                   "<spiffworkflow:postScript>n = n + 1</spiffworkflow:postScript>")
                  + "<bpmn:script>n = n * 2</bpmn:script></bpmn:scriptTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    assert engine.start("p").data["n"] == 21


def test_pre_script__a_failure_is_a_script_error_naming_the_element_and_changes_nothing(engine):
    engine.deploy([("spiff.bpmn", document(around('<bpmn:task id="t">'
                                                  + ext("<spiffworkflow:preScript>x = 1 / 0</spiffworkflow:preScript>")
                                                  + "</bpmn:task>")))])
    with pytest.raises(ScriptError) as err:
        engine.start("p")
    assert err.value.errors[0]["element"] == "t"
    assert engine.list_instances().total == 0


def test_pre_script__runs_in_the_sandbox(engine):
    errors = refused(engine, around('<bpmn:task id="t">'
                                    + ext("<spiffworkflow:preScript>import os</spiffworkflow:preScript>")
                                    + "</bpmn:task>"))
    assert [e["element"] for e in errors] == ["t"] and "import" in errors[0]["message"], errors


@pytest.mark.parametrize("where", [
    '<bpmn:intermediateThrowEvent id="t">{}</bpmn:intermediateThrowEvent>',
    '<bpmn:sendTask id="t">{}</bpmn:sendTask>',
])
def test_pre_script__where_diwan_does_not_run_it_is_refused(engine, where):
    errors = refused(engine, around(where.format(ext("<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>"))))
    assert [e["element"] for e in errors] == ["t"], errors


# -- messages ------------------------------------------------------------------------------------

MESSAGES = ('<bpmn:message id="m_ask" name="ask"/><bpmn:message id="m_reply" name="reply">'
            + ext("<spiffworkflow:messageVariable>reply_data</spiffworkflow:messageVariable>") + "</bpmn:message>")


def test_message_variable__a_correlated_message_becomes_that_variable(engine):
    body = around('<bpmn:receiveTask id="t" messageRef="m_reply"/>')
    engine.deploy([("spiff.bpmn", document(body, extra=MESSAGES))])
    inst = engine.start("p", {"keep": 1}, business_key="K-1")
    assert engine.correlate("reply", "K-1", {"status": "ok"}) == [inst.id]
    done = engine.get_instance(inst.id)
    assert done.status == "completed"
    assert done.data == {"keep": 1, "reply_data": {"status": "ok"}}


def test_message_payload__the_thrown_message_carries_the_evaluated_payload(engine):
    sender = document(
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sendTask id="t" messageRef="m_reply">'
        + ext("<spiffworkflow:messagePayload>{'status': 'ok', 'total': amount * 2}</spiffworkflow:messagePayload>")
        + '</bpmn:sendTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>',
        pid="sender", extra='<bpmn:message id="m_reply" name="reply"/>')
    receiver = document(around('<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition id="md" '
                               'messageRef="m_reply">'
                               + ext("<spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>")
                               + "</bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>"),
                        pid="receiver", extra='<bpmn:message id="m_reply" name="reply"/>')
    engine.deploy([("sender.bpmn", sender), ("receiver.bpmn", receiver)])
    waiting = engine.start("receiver", {}, business_key="K-2")
    engine.start("sender", {"amount": 21}, business_key="K-2")
    done = engine.get_instance(waiting.id)
    assert done.status == "completed"
    assert done.data == {"answer": {"status": "ok", "total": 42}}


def test_message_variable__on_a_message_start(engine):
    body = ('<bpmn:startEvent id="s"><bpmn:messageEventDefinition id="md" messageRef="m_reply"/></bpmn:startEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>')
    engine.deploy([("spiff.bpmn", document(body, extra=MESSAGES))])
    [iid] = engine.correlate("reply", "K-3", {"n": 1})
    assert engine.get_instance(iid).data == {"reply_data": {"n": 1}}


@pytest.mark.parametrize("payload, reason", [("__import__('os')", "_"), ("{'a': ", "")])
def test_message_payload__checked_by_the_sandbox_at_deploy(engine, payload, reason):
    body = around('<bpmn:sendTask id="t" messageRef="m">'
                  + ext(f"<spiffworkflow:messagePayload>{payload}</spiffworkflow:messagePayload>") + "</bpmn:sendTask>")
    errors = refused(engine, body, extra='<bpmn:message id="m" name="m"/>')
    assert [e["element"] for e in errors] == ["t"], errors


def test_message_payload__not_a_dict_fails_the_step(engine):
    body = around('<bpmn:sendTask id="t" messageRef="m">'
                  + ext("<spiffworkflow:messagePayload>[1, 2]</spiffworkflow:messagePayload>") + "</bpmn:sendTask>")
    engine.deploy([("spiff.bpmn", document(body, extra='<bpmn:message id="m" name="m"/>'))])
    with pytest.raises(ScriptError) as err:
        engine.start("p")
    assert "dict" in err.value.errors[0]["message"]


# -- properties, instructions ----------------------------------------------------------------------

def test_properties__reach_the_connector_like_camunda_properties(engine, connectors):
    body = around('<bpmn:serviceTask id="t" camunda:topic="issue_number">'
                  + ext('<spiffworkflow:properties><spiffworkflow:property name="prefix" value="LBL"/>'
                        "</spiffworkflow:properties>") + "</bpmn:serviceTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    inst = engine.start("p")
    assert inst.status == "completed"
    assert inst.data["number"] == "LBL-0001"


@pytest.mark.parametrize("prop", ["formJsonSchemaFilename", "formUiSchemaFilename"])
def test_properties__spiffarena_json_schema_forms_are_refused(engine, prop):
    errors = refused(engine, around('<bpmn:userTask id="t">' + ext(
        f'<spiffworkflow:properties><spiffworkflow:property name="{prop}" value="f.json"/>'
        "</spiffworkflow:properties>") + "</bpmn:userTask>"))
    assert [e["element"] for e in errors] == ["t"] and "form-js" in errors[0]["message"], errors


def test_instructions_for_end_user__shown_as_the_tasks_documentation(engine):
    body = around('<bpmn:manualTask id="t" camunda:candidateGroups="bureau_ordre">'
                  + ext("<spiffworkflow:instructionsForEndUser>Vérifiez le dossier.</spiffworkflow:instructionsForEndUser>")
                  + "</bpmn:manualTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    engine.start("p")
    [task] = engine.list_tasks("amina", ["bureau_ordre"]).items
    assert task.documentation == "Vérifiez le dossier."
    engine.claim(task.id, CLERK)
    engine.complete_task(task.id, {}, actor=CLERK)


def test_instructions_for_end_user__a_jinja_template_is_refused(engine):
    errors = refused(engine, around('<bpmn:userTask id="t">' + ext(
        "<spiffworkflow:instructionsForEndUser>Bonjour {{ name }}</spiffworkflow:instructionsForEndUser>")
        + "</bpmn:userTask>"))
    assert [e["element"] for e in errors] == ["t"] and "Jinja" in errors[0]["message"], errors


# -- refusals and no-effect names --------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(inv.REFUSED))
def test_refused_extension__named_with_its_element_and_reason(engine, name):
    errors = refused(engine, around(f'<bpmn:userTask id="t">{ext(f"<spiffworkflow:{name}>x</spiffworkflow:{name}>")}'
                                    "</bpmn:userTask>"))
    assert [e["element"] for e in errors] == ["t"], errors
    assert f"spiffworkflow:{name}" in errors[0]["message"] and inv.REFUSED[name] in errors[0]["message"]


def test_unknown_extension__refused_rather_than_ignored(engine):
    errors = refused(engine, around(f'<bpmn:task id="t">{ext("<spiffworkflow:somethingNew>1</spiffworkflow:somethingNew>")}'
                                    "</bpmn:task>"))
    assert [e["element"] for e in errors] == ["t"] and "unknown" in errors[0]["message"], errors


def _looped_script(attribute: str = "") -> str:
    return around('<bpmn:scriptTask id="t">'
                  + ext("<spiffworkflow:preScript>total = 10</spiffworkflow:preScript>",
                        "<spiffworkflow:postScript>runs = runs + 1</spiffworkflow:postScript>")
                  + f'<bpmn:multiInstanceLoopCharacteristics isSequential="true"{attribute}>'
                  "<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
                  "<bpmn:script>total = total + 1</bpmn:script></bpmn:scriptTask>")


def test_pre_and_post_scripts__on_a_multi_instance_run_once_around_it(engine):
    engine.deploy([("spiff.bpmn", document(_looped_script()))])
    assert engine.start("p", {"runs": 0}).data == {"runs": 1, "total": 13}


def test_scripts_on_instances__pre_and_post_scripts_run_on_each_instance(engine):
    engine.deploy([("spiff.bpmn", document(_looped_script(' spiffworkflow:scriptsOnInstances="true"')))])
    assert engine.start("p", {"runs": 0}).data == {"runs": 3, "total": 11}


def test_scripts_on_instances__elsewhere_is_refused(engine):
    errors = refused(engine, around('<bpmn:task id="t" spiffworkflow:scriptsOnInstances="true"/>'))
    assert [e["element"] for e in errors] == ["t"], errors


def test_no_effect_names__deploy_and_change_nothing(engine):
    body = around('<bpmn:scriptTask id="t" spiffworkflow:isOutputSynced="true">' + ext(
        '<spiffworkflow:unitTests><spiffworkflow:unitTest id="u"><spiffworkflow:inputJson>{}</spiffworkflow:inputJson>'
        "<spiffworkflow:expectedOutputJson>{\"a\": 1}</spiffworkflow:expectedOutputJson></spiffworkflow:unitTest>"
        "</spiffworkflow:unitTests>") + "<bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    assert engine.start("p").data == {"a": 1}


# -- correlation (SpiffArena conversations) -------------------------------------------------------

CONVERSATION = (
    '<bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="asker"/>'
    '<bpmn:participant id="pb" processRef="answerer"/>'
    '<bpmn:correlationKey name="order_key"><bpmn:correlationPropertyRef>order_id</bpmn:correlationPropertyRef>'
    '</bpmn:correlationKey></bpmn:collaboration>'
    '<bpmn:correlationProperty id="order_id" name="Order">'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="m_ask"><bpmn:formalExpression>order'
    '</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="m_answer"><bpmn:formalExpression>order'
    '</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>'
    '<bpmn:message id="m_ask" name="ask">'
    + ext("<spiffworkflow:messagePayload>{'order': order, 'qty': qty}</spiffworkflow:messagePayload>",
          "<spiffworkflow:messageVariable>request</spiffworkflow:messageVariable>") + '</bpmn:message>'
    '<bpmn:message id="m_answer" name="answer">'
    + ext("<spiffworkflow:messagePayload>{'order': request['order'], 'price': request['qty'] * 10}"
          "</spiffworkflow:messagePayload>",
          "<spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>") + '</bpmn:message>')
ASKER = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask"/>'
         '<bpmn:sendTask id="ask" messageRef="m_ask"/><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="wait"/>'
         '<bpmn:receiveTask id="wait" messageRef="m_answer"/><bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="e"/>'
         '<bpmn:endEvent id="e"/>')
ANSWERER = ('<bpmn:startEvent id="s2"><bpmn:messageEventDefinition id="md" messageRef="m_ask"/></bpmn:startEvent>'
            '<bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="reply"/>'
            '<bpmn:intermediateThrowEvent id="reply"><bpmn:messageEventDefinition id="md2" messageRef="m_answer"/>'
            '</bpmn:intermediateThrowEvent><bpmn:sequenceFlow id="g2" sourceRef="reply" targetRef="e2"/>'
            '<bpmn:endEvent id="e2"/>')


def conversation() -> bytes:
    return (f'{HEAD}{CONVERSATION}<bpmn:process id="asker" isExecutable="true">{ASKER}</bpmn:process>'
            f'<bpmn:process id="answerer" isExecutable="true">{ANSWERER}</bpmn:process></bpmn:definitions>').encode()


def test_correlation__each_conversation_gets_its_own_answer(engine):
    engine.deploy([("conversation.bpmn", conversation())])
    one = engine.start("asker", {"order": 1, "qty": 2})
    two = engine.start("asker", {"order": 2, "qty": 5})
    # each ask started an answerer (correlated messages route by their correlation, not by business key),
    # whose answer went back to the asker of the same order
    assert engine.get_instance(one.id).status == "completed"
    assert engine.get_instance(one.id).data["answer"] == {"order": 1, "price": 20}
    assert engine.get_instance(two.id).data["answer"] == {"order": 2, "price": 50}
    answerers = [i for i in engine.list_instances(per_page=50).items if i.definition_key == "answerer"]
    assert sorted(i.data["request"]["order"] for i in answerers) == [1, 2]


def test_correlation__a_correlated_message_that_does_not_match_is_not_caught(engine):
    body = (CONVERSATION + f'<bpmn:process id="asker" isExecutable="true">{ASKER}</bpmn:process>')
    engine.deploy([("asker.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())])  # nobody answers
    inst = engine.start("asker", {"order": 1, "qty": 2}, business_key="K-9")
    assert engine.get_instance(inst.id).active_elements == ["wait"]
    from engine import NotFound
    with pytest.raises(NotFound):
        engine.correlate("answer", "K-9", {"order": 99, "price": 1})  # another order's answer
    assert engine.correlate("answer", "K-9", {"order": 1, "price": 3}) == [inst.id]
    assert engine.get_instance(inst.id).data["answer"] == {"order": 1, "price": 3}


def test_correlation__conversations_cross_business_keys(engine):
    engine.deploy([("conversation.bpmn", conversation())])
    one = engine.start("asker", {"order": 1, "qty": 2}, business_key="DOS-1")
    two = engine.start("asker", {"order": 2, "qty": 3}, business_key="DOS-2")
    assert engine.get_instance(one.id).data["answer"] == {"order": 1, "price": 20}
    assert engine.get_instance(two.id).data["answer"] == {"order": 2, "price": 30}
    answerers = [i for i in engine.list_instances(per_page=50).items if i.definition_key == "answerer"]
    assert [i.business_key for i in answerers] == [None, None]


def _only_task(engine, instance_id: str):
    [task] = engine.list_tasks(see_all=True, instance_id=instance_id).items
    return task


def test_sample_correlation_test__two_requests_each_get_their_own_decision(engine):
    # SpiffWorkflow's correlation_test.bpmn: a request sends its plan to a new approval process (message start,
    # messageVariable on the event), whose decision comes back to the request with the same request number.
    engine.deploy([SAMPLES / "correlation_test.bpmn"])
    first, second = engine.start("request"), engine.start("request")
    engine.complete_task(_only_task(engine, first.id).id, {"plan_details": "plan A", "request_num": 1})
    engine.complete_task(_only_task(engine, second.id).id, {"plan_details": "plan B", "request_num": 2})
    approvals = {i.data["approval_request"]["request_num"]: i for i in engine.list_instances(per_page=50).items
                 if i.definition_key == "approve"}
    assert sorted(approvals) == [1, 2]
    assert approvals[2].data["approval_request"] == {"plan_details": "plan B", "request_num": 2}
    # decide the second request first: the decision goes to the request it correlates with
    engine.complete_task(_only_task(engine, approvals[2].id).id, {"approved": True})
    assert engine.get_instance(second.id).data["approval"] == {"request_num": 2, "approved": True}
    assert engine.get_instance(first.id).active_elements == ["receive_decision"]
    engine.complete_task(_only_task(engine, approvals[1].id).id, {"approved": True})
    assert engine.get_instance(first.id).data["approval"] == {"request_num": 1, "approved": True}
    for request in (first, second):
        assert engine.get_instance(request.id).active_elements == ["execute_plan"]
        done = engine.complete_task(_only_task(engine, request.id).id, {})
        assert done.status == "completed"
    assert {engine.get_instance(a.id).status for a in approvals.values()} == {"completed"}


def test_pre_script__sees_what_the_previous_step_wrote(engine):
    # the next task becomes ready while the previous one completes: its pre-script must still see
    # that step's writes (n was 3 at the start, the script task made it 5)
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
            '<bpmn:scriptTask id="a"><bpmn:script>n = 5</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="t"/>'
            '<bpmn:scriptTask id="t">' + ext("<spiffworkflow:preScript>m = n + 1</spiffworkflow:preScript>")
            + '<bpmn:script>k = m * 2</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="u"/>'
            '<bpmn:userTask id="u">' + ext("<spiffworkflow:preScript>j = k + 1</spiffworkflow:preScript>")
            + '</bpmn:userTask><bpmn:sequenceFlow id="f4" sourceRef="u" targetRef="e"/><bpmn:endEvent id="e"/>')
    engine.deploy([("spiff.bpmn", document(body))])
    inst = engine.start("p", {"n": 3})
    assert inst.data == {"n": 5, "m": 6, "k": 12, "j": 13}
    engine.complete_task(_only_task(engine, inst.id).id, {})


def test_message_variable__a_message_caught_by_the_instance_that_threw_it(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split"/>'
            '<bpmn:parallelGateway id="split"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="wait"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="send"/>'
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition id="md1" messageRef="m_reply"/>'
            '</bpmn:intermediateCatchEvent>'
            '<bpmn:intermediateThrowEvent id="send"><bpmn:messageEventDefinition id="md2" messageRef="m_reply"/>'
            '</bpmn:intermediateThrowEvent>'
            '<bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="join"/>'
            '<bpmn:sequenceFlow id="f5" sourceRef="send" targetRef="join"/>'
            '<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="e"/>'
            '<bpmn:endEvent id="e"/>')
    messages = ('<bpmn:message id="m_reply" name="reply">'
                + ext("<spiffworkflow:messagePayload>{'total': amount + 1}</spiffworkflow:messagePayload>",
                      "<spiffworkflow:messageVariable>reply_data</spiffworkflow:messageVariable>") + "</bpmn:message>")
    engine.deploy([("spiff.bpmn", document(body, extra=messages))])
    inst = engine.start("p", {"amount": 1})
    assert inst.status == "completed"
    assert inst.data == {"amount": 1, "reply_data": {"total": 2}}


def test_lanes__a_task_in_a_lane_is_offered_to_the_group_of_the_lanes_name(engine):
    # SpiffArena assigns by lane; a task with no camunda:candidateGroups goes to the lane's group
    lanes = ('<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="bureau_ordre"><bpmn:flowNodeRef>t</bpmn:flowNodeRef>'
             '</bpmn:lane></bpmn:laneSet>')
    body = lanes + around('<bpmn:userTask id="t">'
                          + ext("<spiffworkflow:instructionsForEndUser>Enregistrez.</spiffworkflow:instructionsForEndUser>")
                          + "</bpmn:userTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    engine.start("p")
    [task] = engine.list_tasks("amina", ["bureau_ordre"]).items
    assert task.candidate_groups == ["bureau_ordre"] and task.documentation == "Enregistrez."
    engine.claim(task.id, CLERK)
    engine.complete_task(task.id, {}, actor=CLERK)


def test_message_payload__outside_the_value_domain_is_refused_naming_it(engine):
    body = around('<bpmn:sendTask id="t" messageRef="m">'
                  + ext("<spiffworkflow:messagePayload>{'tags': {1, 2}}</spiffworkflow:messagePayload>")
                  + "</bpmn:sendTask>")
    engine.deploy([("spiff.bpmn", document(body, extra='<bpmn:message id="m" name="m"/>'))])
    from engine import InvalidData
    with pytest.raises((InvalidData, ScriptError)) as err:
        engine.start("p")
    assert "tags" in str(err.value.errors) or "tags" in err.value.message, err.value.errors
    assert engine.list_instances().total == 0


def test_pre_script__reads_a_data_object_through_its_input_association(engine):
    # SpiffWorkflow's prescript_postscript_data_object.bpmn, with a script task writing the data object first
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="w"/>'
            '<bpmn:scriptTask id="w"><bpmn:dataOutputAssociation id="o1"><bpmn:targetRef>ref_a</bpmn:targetRef>'
            '</bpmn:dataOutputAssociation><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f1" sourceRef="w" targetRef="t"/>'
            '<bpmn:task id="t">' + ext("<spiffworkflow:preScript>x = a * 2\ny = b * 2\nz = x + y</spiffworkflow:preScript>",
                                       "<spiffworkflow:postScript>c = z * 2\ndel x\ndel y</spiffworkflow:postScript>")
            + '<bpmn:property id="prop" name="__targetRef_placeholder"/><bpmn:dataInputAssociation id="i1">'
            '<bpmn:sourceRef>ref_a</bpmn:sourceRef><bpmn:targetRef>prop</bpmn:targetRef></bpmn:dataInputAssociation>'
            '</bpmn:task><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
            '<bpmn:dataObjectReference id="ref_a" name="a" dataObjectRef="a"/><bpmn:dataObject id="a"/>')
    engine.deploy([("spiff.bpmn", document(body))])
    inst = engine.start("p", {"b": 2})
    assert inst.data == {"b": 2, "x": 2, "y": 4, "z": 6}  # the data object stays the process's, not a variable
    done = engine.complete_task(_only_task(engine, inst.id).id, {})
    assert done.status == "completed" and done.data == {"b": 2, "z": 6, "c": 12}


# -- form variable, service task operator ----------------------------------------------------------

def test_variable_name__the_form_data_becomes_that_variable(engine):
    body = around('<bpmn:userTask id="t" camunda:formKey="decision_form">'
                  + ext("<spiffworkflow:variableName>decision</spiffworkflow:variableName>") + "</bpmn:userTask>")
    engine.deploy([("spiff.bpmn", document(body)), FIXTURES / "decision_form.form"])
    inst = engine.start("p", {"approved": "untouched"})
    done = engine.complete_task(_only_task(engine, inst.id).id, {"approved": True, "comment": "ok"})
    assert done.data == {"approved": "untouched", "decision": {"approved": True, "comment": "ok"}}


def test_variable_name__elsewhere_is_refused(engine):
    errors = refused(engine, around('<bpmn:manualTask id="t">'
                                    + ext("<spiffworkflow:variableName>v</spiffworkflow:variableName>")
                                    + "</bpmn:manualTask>"))
    assert [e["element"] for e in errors] == ["t"] and "user task" in errors[0]["message"], errors


OPERATOR = ('<spiffworkflow:serviceTaskOperator id="issue_number" resultVariable="label"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="prefix" type="str" value="&#34;L&#34; + kind"/>'
            "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>")


def test_service_task_operator__calls_the_connector_with_evaluated_parameters(engine, connectors):
    engine.deploy([("spiff.bpmn", document(around(f'<bpmn:serviceTask id="t">{ext(OPERATOR)}</bpmn:serviceTask>')))])
    inst = engine.start("p", {"kind": "AB"})
    assert inst.status == "completed"
    assert inst.data == {"kind": "AB", "label": {"number": "LAB-0001"}}
    assert connectors.issued[0].properties == {"prefix": "LAB"}


def test_service_task_operator__parameters_for_an_unregistered_connector_fail_the_step(engine):
    body = around('<bpmn:serviceTask id="t">' + ext(OPERATOR.replace("issue_number", "http/GetRequest"))
                  + "</bpmn:serviceTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    with pytest.raises(ScriptError) as err:
        engine.start("p", {"kind": "AB"})
    assert err.value.errors[0]["element"] == "t" and "http/GetRequest" in err.value.errors[0]["message"]


def test_service_task_operator__without_parameters_an_unregistered_one_is_an_external_task(engine):
    body = around('<bpmn:serviceTask id="t">' + ext('<spiffworkflow:serviceTaskOperator id="mail/Send"/>')
                  + "</bpmn:serviceTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    inst = engine.start("p")
    assert inst.active_elements == ["t"]
    assert [t.topic for t in engine.external_tasks()] == ["mail/Send"]


@pytest.mark.parametrize("operator, words", [
    ('<spiffworkflow:serviceTaskOperator id="x"><spiffworkflow:parameters><spiffworkflow:parameter id="p" '
     'value="__import__(&#34;os&#34;)"/></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>', "refused"),
    ('<spiffworkflow:serviceTaskOperator id="x"><spiffworkflow:retry retries="3"/>'
     "</spiffworkflow:serviceTaskOperator>", "retries"),
    ('<spiffworkflow:serviceTaskOperator id=""/>', "id"),
])
def test_service_task_operator__refused_at_deploy(engine, operator, words):
    errors = refused(engine, around(f'<bpmn:serviceTask id="t">{ext(operator)}</bpmn:serviceTask>'))
    assert [e["element"] for e in errors] == ["t"] and words in errors[0]["message"], errors


PV_HEAD = ('<bpmn:correlationProperty id="order_id" name="Order"><bpmn:correlationPropertyRetrievalExpression '
           'messageRef="m_paid"><bpmn:formalExpression>order</bpmn:formalExpression>'
           '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>'
           '<bpmn:message id="m_paid" name="paid">'
           + ext("<spiffworkflow:messageVariable>payment</spiffworkflow:messageVariable>") + "</bpmn:message>")
PV_WAIT = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
           '<bpmn:scriptTask id="a"><bpmn:script>my_order = order_no * 10</bpmn:script></bpmn:scriptTask>'
           '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="t"/>'
           '<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition id="md" messageRef="m_paid">'
           + ext("<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>order_id</spiffworkflow:propertyId>"
                 "<spiffworkflow:expression>my_order</spiffworkflow:expression></spiffworkflow:processVariableCorrelation>")
           + '</bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>'
           '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_process_variable_correlation__the_first_message_must_match_the_instances_own_value(engine):
    # no correlation key in a collaboration: SpiffArena's default key; the value comes from the instance's
    # variables as they are when the message arrives (the script task wrote it just before)
    engine.deploy([("pv.bpmn", document(PV_WAIT, extra=PV_HEAD))])
    inst = engine.start("p", {"order_no": 7}, business_key="CMD-7")
    from engine import NotFound
    with pytest.raises(NotFound):
        engine.correlate("paid", "CMD-7", {"order": 71, "amount": 5})
    assert engine.correlate("paid", "CMD-7", {"order": 70, "amount": 5}) == [inst.id]
    assert engine.get_instance(inst.id).data == {"order_no": 7, "my_order": 70,
                                                 "payment": {"order": 70, "amount": 5}}


def test_process_variable_correlation__needs_a_retrieval_expression_for_the_message(engine):
    errors = refused(engine, PV_WAIT.replace("order_id</spiffworkflow:propertyId>", "nowhere</spiffworkflow:propertyId>"),
                     extra=PV_HEAD)
    assert [e["element"] for e in errors] == ["t"] and "nowhere" in errors[0]["message"], errors


@pytest.mark.parametrize("extra, body", [
    ("<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>", around('<bpmn:task id="t"/>')),
    ("", around('<bpmn:task id="t">' + ext("<spiffworkflow:preScript/>") + "</bpmn:task>")),
    ("", around('<bpmn:task id="t">' + ext("<spiffworkflow:properties><spiffworkflow:property/>"
                                           "</spiffworkflow:properties>") + "</bpmn:task>")),
    ("", around('<bpmn:task id="t">' + ext("<spiffworkflow:property name='a' value='b'/>") + "</bpmn:task>")),
    ("", around('<bpmn:task id="t" spiffworkflow:somethingNew="1"/>')),
    ("", around('<bpmn:userTask id="t">' + ext("<spiffworkflow:variableName>1x</spiffworkflow:variableName>")
                + "</bpmn:userTask>")),
    ("", around('<bpmn:receiveTask id="t" messageRef="nowhere">'
                + ext("<spiffworkflow:processVariableCorrelation/>") + "</bpmn:receiveTask>")),
    ("", around('<bpmn:task id="t">' + ext("<spiffworkflow:messagePayload>{}</spiffworkflow:messagePayload>")
                + "</bpmn:task>")),
    ("", around('<bpmn:businessRuleTask id="t" camunda:decisionRef="a">'
                + ext("<spiffworkflow:calledDecisionId>b</spiffworkflow:calledDecisionId>") + "</bpmn:businessRuleTask>")),
    ("", around('<bpmn:serviceTask id="t" camunda:topic="a">'
                + ext('<spiffworkflow:serviceTaskOperator id="b"/>') + "</bpmn:serviceTask>")),
    ("", around('<bpmn:manualTask id="t"><bpmn:documentation>d</bpmn:documentation>'
                + ext("<spiffworkflow:instructionsForEndUser>i</spiffworkflow:instructionsForEndUser>")
                + "</bpmn:manualTask>")),
])
def test_malformed_spiffarena_extensions__are_problems_never_crashes(engine, extra, body):
    errors = refused(engine, body, extra=extra)
    assert errors and all(e["message"] and "could not be checked" not in e["message"] for e in errors), errors


def test_pre_and_post_scripts__recorded_functions_replay_identically(engine, clock):
    body = around('<bpmn:userTask id="t">'
                  + ext("<spiffworkflow:preScript>opened = str(now())\nref = new_id()</spiffworkflow:preScript>",
                        "<spiffworkflow:postScript>closed = str(now())</spiffworkflow:postScript>")
                  + "</bpmn:userTask>")
    engine.deploy([("spiff.bpmn", document(body))])
    inst = engine.start("p")
    from datetime import timedelta
    engine.advance_clock(by=timedelta(hours=2))
    done = engine.complete_task(_only_task(engine, inst.id).id, {})
    assert done.data["opened"] != done.data["closed"] and done.data["ref"]
    result = engine.verify(inst.id)
    assert result["ok"] and result["replay_ok"], result


# -- signal, error and escalation payloads ---------------------------------------------------------

SIGNAL = ('<bpmn:signal id="sig" name="go">'
          + ext("<spiffworkflow:payloadExpression>{'by': who, 'n': 1}</spiffworkflow:payloadExpression>",
                "<spiffworkflow:variableName>go_data</spiffworkflow:variableName>") + "</bpmn:signal>")


def test_signal_payload__reaches_the_waiting_instances_and_starts_in_their_variable(engine):
    waiter = document(around('<bpmn:intermediateCatchEvent id="t"><bpmn:signalEventDefinition id="sd" '
                             'signalRef="sig"/></bpmn:intermediateCatchEvent>'), pid="waiter", extra=SIGNAL)
    started = document('<bpmn:startEvent id="s"><bpmn:signalEventDefinition id="sd" signalRef="sig"/></bpmn:startEvent>'
                       '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>',
                       pid="started", extra=SIGNAL)
    thrower = document(around('<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition id="sd" '
                              'signalRef="sig"/></bpmn:intermediateThrowEvent>'), pid="thrower", extra=SIGNAL)
    engine.deploy([("waiter.bpmn", waiter), ("started.bpmn", started), ("thrower.bpmn", thrower)])
    waiting = engine.start("waiter", {"keep": True})
    engine.start("thrower", {"who": "amina"})
    assert engine.get_instance(waiting.id).data == {"keep": True, "go_data": {"by": "amina", "n": 1}}
    [new] = [i for i in engine.list_instances(per_page=50).items if i.definition_key == "started"]
    assert new.data == {"go_data": {"by": "amina", "n": 1}}


def test_error_payload__the_boundary_event_gets_it_in_its_variable(engine):
    error = ('<bpmn:error id="err" name="refus" errorCode="REFUS">'
             + ext("<spiffworkflow:payloadExpression>{'reason': reason}</spiffworkflow:payloadExpression>",
                   "<spiffworkflow:variableName>refusal</spiffworkflow:variableName>") + "</bpmn:error>")
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>'
            '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g1" sourceRef="s2" '
            'targetRef="fail"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition id="ed" errorRef="err"/>'
            '</bpmn:endEvent></bpmn:subProcess>'
            '<bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/><bpmn:endEvent id="e"/>'
            '<bpmn:boundaryEvent id="b" attachedToRef="sub"><bpmn:errorEventDefinition id="ed2" errorRef="err"/>'
            '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e3"/><bpmn:endEvent id="e3"/>')
    engine.deploy([("err.bpmn", document(body, extra=error))])
    inst = engine.start("p", {"reason": "incomplet"})
    assert inst.status == "completed"
    assert inst.data == {"reason": "incomplet", "refusal": {"reason": "incomplet"}}


def test_payload_expression__refused_off_a_signal_error_or_escalation_and_checked(engine):
    errors = refused(engine, around('<bpmn:task id="t">'
                                    + ext("<spiffworkflow:payloadExpression>1</spiffworkflow:payloadExpression>")
                                    + "</bpmn:task>"))
    assert [e["element"] for e in errors] == ["t"], errors
    hostile = SIGNAL.replace("{'by': who, 'n': 1}", "__import__('os')")
    errors = refused(engine, around('<bpmn:task id="t"/>'), extra=hostile)
    assert [e["element"] for e in errors] == ["sig"] and "refused" in errors[0]["message"], errors


def test_error_payload__a_scripts_bpmn_error_reaches_the_variable(engine):
    error = ('<bpmn:error id="err" name="refus" errorCode="REFUS">'
             + ext("<spiffworkflow:variableName>refusal</spiffworkflow:variableName>") + "</bpmn:error>")
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:scriptTask id="t"><bpmn:script>raise BpmnError("REFUS", "pièce manquante")</bpmn:script>'
            '</bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
            '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:errorEventDefinition id="ed2" errorRef="err"/>'
            '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e3"/><bpmn:endEvent id="e3"/>')
    engine.deploy([("err.bpmn", document(body, extra=error))])
    inst = engine.start("p")
    assert inst.status == "completed"
    assert inst.data == {"refusal": {"error_code": "REFUS", "error_message": "pièce manquante"}}
