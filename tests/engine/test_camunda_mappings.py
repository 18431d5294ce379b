"""Camunda 7 variable mappings run as Camunda runs them: camunda:inputOutput (locals of the activity,
outputs to its parent), call activity camunda:in/out (the callee sees only what is mapped),
camunda:resultVariable (script tasks and decisions), error code and message variables. Every instance
is verified at teardown (replay from the audit log)."""
from __future__ import annotations

import pytest

from engine import Actor, InvalidDefinition, ScriptError
from tests.conftest import fixture_files
from tests.engine.hostile_cases import around, bpmn

ANY = Actor("admin", roles=("admin",))


def io(inputs: str = "", outputs: str = "") -> str:
    return f"<bpmn:extensionElements><camunda:inputOutput>{inputs}{outputs}</camunda:inputOutput></bpmn:extensionElements>"


def inp(name: str, body: str) -> str:
    return f'<camunda:inputParameter name="{name}">{body}</camunda:inputParameter>'


def out(name: str, body: str) -> str:
    return f'<camunda:outputParameter name="{name}">{body}</camunda:outputParameter>'


def script_task(tid: str, script: str, extension: str = "", attrs: str = "") -> str:
    return (f'<bpmn:scriptTask id="{tid}" scriptFormat="python"{attrs}>{extension}'
            f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>")


def deploy_one(engine, middle: str, extra: str = "", more: list | None = None):
    engine.deploy([("a.bpmn", bpmn(around(middle), extra)), *(more or [])])


def ready(engine, inst):
    return engine.list_tasks(see_all=True, instance_id=inst.id).items


# ------------------------------------------------------------------------------ inputOutput

def test_input_output__script_task_locals_and_outputs(engine):
    deploy_one(engine, script_task("t", "doubled = base * 2\ntotal = total + 1",
                                   io(inp("base", "${amount + 1}"), out("result", "${doubled}"))))
    inst = engine.start("p", {"amount": 4, "total": 10})
    # base, the input, is the activity's local and does not leak; the output does, and so do the
    # script's other writes (Camunda's setVariable: to the scope holding the name, else the instance).
    assert inst.data == {"amount": 4, "total": 11, "doubled": 10, "result": 10}
    events = [e for e in engine.history(inst.id) if e.element_id == "t"]
    assert [e.type for e in events] == ["scope_opened", "element_completed"]
    assert events[0].payload["locals"] == {"base": 5}


def test_input_output__text_and_expressions(engine):
    deploy_one(engine, script_task("t", "seen = [greeting, deferred, empty]",
                                   io(inp("greeting", "Bonjour") + inp("deferred", "#{n &gt; 2}") + inp("empty", ""),
                                      out("seen", "${seen}"))))
    assert engine.start("p", {"n": 3}).data == {"n": 3, "seen": ["Bonjour", True, None]}


def test_input_output__list_map_nested(engine):
    value = ('<camunda:map><camunda:entry key="who">${name}</camunda:entry><camunda:entry key="tags">'
             '<camunda:list><camunda:value>a</camunda:value><camunda:value>${tag}</camunda:value>'
             '<camunda:map><camunda:entry key="deep">x</camunda:entry></camunda:map></camunda:list>'
             '</camunda:entry></camunda:map>')
    deploy_one(engine, script_task("t", "copy = doc", io(inp("doc", value), out("copy", "${copy}"))))
    assert engine.start("p", {"name": "Sara", "tag": "b"}).data["copy"] == \
        {"who": "Sara", "tags": ["a", "b", {"deep": "x"}]}


def test_input_output__python_script_parameter(engine):
    param = ('<camunda:script scriptFormat="python">base = amount * 3\nbase + 1</camunda:script>')
    deploy_one(engine, script_task("t", "y = x", io(inp("x", param), out("y", "${y}"))))
    assert engine.start("p", {"amount": 2}).data == {"amount": 2, "y": 7}


def test_input_output__python_script_parameter_must_end_with_an_expression(engine):
    param = '<camunda:script scriptFormat="python">base = 1</camunda:script>'
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, script_task("t", "y = x", io(inp("x", param))))
    assert any(p["element"] == "t" and "must end with an expression" in p["message"] for p in err.value.errors)


def test_input_output__unsafe_parameter_refused_at_deploy(engine):
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, script_task("t", "y = 1", io(inp("x", "<camunda:script scriptFormat=\"python\">"
                                                               "__import__('os')</camunda:script>"))))
    assert any(p["element"] == "t" and "refused" in p["message"] for p in err.value.errors), err.value.errors


def test_input_output__user_task_locals_outputs_and_form_writes(engine):
    deploy_one(engine, '<bpmn:userTask id="t">' + io(inp("draft", "${title}"), out("final", "${draft}")) +
               "</bpmn:userTask>")
    inst = engine.start("p", {"title": "v1"})
    [task] = ready(engine, inst)
    done = engine.complete_task(task.id, {"draft": "v2", "note": "ok"}, actor=ANY)
    # the submitted draft updates the local, which goes out as final; note is an instance variable
    assert done.data == {"title": "v1", "final": "v2", "note": "ok"}


def test_input_output__without_outputs_locals_stay_inside(engine):
    deploy_one(engine, script_task("t", "x = x + 1", io(inp("x", "${1}"))))
    assert engine.start("p", {}).data == {}


def test_input_output__subprocess_locals_seen_inside_not_after(engine):
    sub = ('<bpmn:subProcess id="t">' + io(inp("limit", "${100}"), out("checked", "${ok}")) +
           '<bpmn:startEvent id="ss"/><bpmn:sequenceFlow id="sf1" sourceRef="ss" targetRef="in1"/>' +
           script_task("in1", "ok = amount &lt; limit") +
           '<bpmn:sequenceFlow id="sf2" sourceRef="in1" targetRef="se"/><bpmn:endEvent id="se"/></bpmn:subProcess>')
    deploy_one(engine, sub)
    # ok is written by the inner script to the instance (no scope holds it); limit stays inside
    assert engine.start("p", {"amount": 50}).data == {"amount": 50, "ok": True, "checked": True}


def test_input_output__input_failure_names_the_element(engine):
    deploy_one(engine, script_task("t", "y = 1", io(inp("x", "${missing + 1}"))))
    with pytest.raises(ScriptError) as err:
        engine.start("p", {})
    assert err.value.errors[0]["element"] == "t"


def test_input_output__recorded_functions_replay(engine):
    param = '<camunda:script scriptFormat="python">new_id()</camunda:script>'
    deploy_one(engine, '<bpmn:userTask id="t">' + io(inp("ref", param), out("ref_out", "${ref}")) + "</bpmn:userTask>")
    inst = engine.start("p")
    [task] = ready(engine, inst)
    done = engine.complete_task(task.id, {}, actor=ANY)
    assert len(done.data["ref_out"]) == 32
    opened = [e for e in engine.history(inst.id) if e.type == "scope_opened"]
    assert opened[0].payload["recorded"][0]["fn"] == "new_id"
    result = engine.verify(inst.id)
    assert result["replay_ok"], result


def test_input_output__on_multi_instance_refused(engine):
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, '<bpmn:userTask id="t">' + io(inp("x", "1")) +
                   '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${xs}" camunda:elementVariable="x"/>'
                   "</bpmn:userTask>")
    assert any("multi-instance" in p["message"] for p in err.value.errors)


# ---------------------------------------------------------------------------- call activity

def callee_file(script: str = "result = x * 10"):
    body = ('<bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="cf1" sourceRef="cs" targetRef="cw"/>'
            + script_task("cw", script)
            + '<bpmn:sequenceFlow id="cf2" sourceRef="cw" targetRef="ce"/><bpmn:endEvent id="ce"/>')
    return ("callee.bpmn", bpmn(body, pid="callee").replace(b'id="defs"', b'id="defs_callee"'))


def call(bindings: str) -> str:
    return f'<bpmn:callActivity id="t" calledElement="callee"><bpmn:extensionElements>{bindings}' \
           "</bpmn:extensionElements></bpmn:callActivity>"


def test_call_in_out__source_target(engine):
    deploy_one(engine, call('<camunda:in source="a" target="x"/><camunda:out source="result" target="r"/>'),
               more=[callee_file("result = x * 10\ninner = 1")])
    inst = engine.start("p", {"a": 2, "secret": "s"})
    assert inst.data == {"a": 2, "secret": "s", "r": 20}  # only the mapped output comes back


def test_call_in__source_expression(engine):
    deploy_one(engine, call('<camunda:in sourceExpression="${a + 1}" target="x"/>'
                            '<camunda:out source="result" target="r"/>'), more=[callee_file()])
    assert engine.start("p", {"a": 2}).data == {"a": 2, "r": 30}


def test_call_in__the_callee_sees_only_the_mapped_variables(engine):
    deploy_one(engine, call('<camunda:in source="a" target="x"/>'), more=[callee_file("leak = secret")])
    with pytest.raises(ScriptError) as err:
        engine.start("p", {"a": 2, "secret": "s"})
    assert err.value.errors[0]["element"] == "cw" and "secret" in err.value.errors[0]["message"]


def test_call_in_out__all_variables(engine):
    deploy_one(engine, call('<camunda:in variables="all"/><camunda:out variables="all"/>'),
               more=[callee_file("result = x * 10\nseen = secret")])
    inst = engine.start("p", {"x": 1, "secret": "s"})
    assert inst.data == {"x": 1, "secret": "s", "seen": "s", "result": 10}


def test_call_in_out__nothing_comes_back_without_out(engine):
    deploy_one(engine, call('<camunda:in variables="all"/>'), more=[callee_file()])
    assert engine.start("p", {"x": 1}).data == {"x": 1}


def test_call_in__business_key(engine):
    deploy_one(engine, call('<camunda:in businessKey="#{execution.processBusinessKey}"/>'
                            '<camunda:in source="a" target="x"/><camunda:out source="result" target="r"/>'),
               more=[callee_file()])
    inst = engine.start("p", {"a": 1}, business_key="DOS-1")
    assert inst.data["r"] == 10 and inst.business_key == "DOS-1"
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("b.bpmn", bpmn(around(call('<camunda:in businessKey="${other}"/>')), pid="p2")
                        .replace(b'id="defs"', b'id="defs_b"'))])
    assert any("businessKey" in p["message"] for p in err.value.errors)


def test_call_without_mappings__callee_shares_the_variables(engine):
    deploy_one(engine, '<bpmn:callActivity id="t" calledElement="callee"/>',
               more=[callee_file("result = x * 10\nseen = secret")])
    inst = engine.start("p", {"x": 3, "secret": "s"})
    assert inst.data == {"x": 3, "secret": "s", "result": 30, "seen": "s"}


# ------------------------------------------------------------------------------ resultVariable

def test_script_result_variable__last_expression(engine):
    deploy_one(engine, script_task("t", "base = amount * 2\nbase + 1", attrs=' camunda:resultVariable="score"'))
    assert engine.start("p", {"amount": 5}).data == {"amount": 5, "base": 10, "score": 11}


def test_script_result_variable__needs_a_final_expression(engine):
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, script_task("t", "x = 1", attrs=' camunda:resultVariable="score"'))
    assert any(p["element"] == "t" and "must end with an expression" in p["message"] for p in err.value.errors)


def decision(result: str = "", mapping: str = "") -> str:
    attrs = f' camunda:resultVariable="{result}"' if result else ""
    attrs += f' camunda:mapDecisionResult="{mapping}"' if mapping else ""
    return f'<bpmn:businessRuleTask id="t" camunda:decisionRef="cofinancing_rate"{attrs}/>'


def test_decision_result_variable__result_list(engine):
    deploy_one(engine, decision("outcome"), more=fixture_files("rate.dmn"))
    inst = engine.start("p", {"category": "education", "label_years": 5})
    assert inst.data == {"category": "education", "label_years": 5, "outcome": [{"rate": 0.5}]}


@pytest.mark.parametrize("mapping, expected", [
    ("singleResult", {"rate": 0.5}), ("singleEntry", 0.5), ("collectEntries", [0.5]), ("resultList", [{"rate": 0.5}]),
])
def test_decision_result_variable__map_decision_result(engine, mapping, expected):
    deploy_one(engine, decision("outcome", mapping), more=fixture_files("rate.dmn"))
    assert engine.start("p", {"category": "sante", "label_years": 3}).data["outcome"] == expected


def test_decision_result_variable__unknown_mapping_refused(engine):
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, decision("outcome", "firstOne"), more=fixture_files("rate.dmn"))
    assert any(p["element"] == "t" and "mapDecisionResult" in p["message"] for p in err.value.errors)


# ----------------------------------------------------------------------------- error variables

ERROR = '<bpmn:error id="err" name="Refus" errorCode="REFUSED" camunda:errorMessage="dossier incomplet"/>'


def with_boundary(inner: str, variables: str) -> str:
    return ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            f'<bpmn:subProcess id="t"><bpmn:startEvent id="ss"/><bpmn:sequenceFlow id="sf1" sourceRef="ss" '
            f'targetRef="in1"/>{inner}</bpmn:subProcess>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
            f'<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:errorEventDefinition errorRef="err" {variables}/>'
            '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e2"/><bpmn:endEvent id="e2"/>')


VARS = 'camunda:errorCodeVariable="code" camunda:errorMessageVariable="why"'


def test_error_code_variable__boundary(engine):
    inner = (script_task("in1", "raise BpmnError('REFUSED', 'pièce manquante')") +
             '<bpmn:sequenceFlow id="sf2" sourceRef="in1" targetRef="se"/><bpmn:endEvent id="se"/>')
    engine.deploy([("a.bpmn", bpmn(with_boundary(inner, VARS), ERROR))])
    inst = engine.start("p", {})
    assert inst.status == "completed" and inst.data == {"code": "REFUSED", "why": "pièce manquante"}


def test_error_code_variable__error_end_event_message(engine):
    inner = ('<bpmn:endEvent id="in1"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>')
    engine.deploy([("a.bpmn", bpmn(with_boundary(inner, VARS), ERROR))])
    inst = engine.start("p", {})
    assert inst.data == {"code": "REFUSED", "why": "dossier incomplet"}


def test_error_code_variable__without_variables_nothing_is_set(engine):
    inner = ('<bpmn:endEvent id="in1"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>')
    engine.deploy([("a.bpmn", bpmn(with_boundary(inner, ""), ERROR))])
    assert engine.start("p", {}).data == {}


# ------------------------------------------------------------------------ uncaught error end event

def uncaught(end: str = '<bpmn:endEvent id="t"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>') -> bytes:
    return bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>'
                '<bpmn:userTask id="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="t"/>' + end, ERROR)


def test_uncaught_error_end_event__is_an_incident_naming_the_code(engine):
    engine.deploy([("a.bpmn", uncaught())])
    inst = engine.start("p", {})
    [task] = ready(engine, inst)
    after = engine.complete_task(task.id, {}, actor=ANY)
    assert after.status == "failed"
    [incident] = engine.incidents(inst.id).items
    assert incident.element_id == "t" and "'REFUSED'" in incident.message and "dossier incomplet" in incident.message
    [created] = [e for e in engine.history(inst.id) if e.type == "incident_created"]
    assert created.element_id == "t" and created.payload["error_code"] == "REFUSED"
    done = engine.retry_incident(incident.id, actor=ANY)  # acknowledged: the instance ends where it stood
    assert done.status == "completed" and engine.incidents(inst.id).items == []


def test_uncaught_error_end_event__inside_a_subprocess_without_boundary(engine):
    sub = ('<bpmn:subProcess id="t"><bpmn:startEvent id="ss"/><bpmn:sequenceFlow id="sf" sourceRef="ss" '
           'targetRef="ee"/><bpmn:endEvent id="ee"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
           '</bpmn:subProcess>')
    engine.deploy([("a.bpmn", bpmn(around(sub), ERROR))])
    inst = engine.start("p", {})
    assert inst.status == "failed"
    assert [i.element_id for i in engine.incidents(inst.id).items] == ["ee"]


# --------------------------------------------------------------------------------------- listeners

def listener(kind: str, event: str, script: str, fmt: str = "python") -> str:
    return (f'<camunda:{kind} event="{event}"><camunda:script scriptFormat="{fmt}">{script}</camunda:script>'
            f"</camunda:{kind}>")


def test_execution_listeners__start_and_end(engine):
    hooks = ("<bpmn:extensionElements>" + listener("executionListener", "start", "trail = trail + ['start']") +
             listener("executionListener", "end", "trail = trail + ['end']") + "</bpmn:extensionElements>")
    deploy_one(engine, script_task("t", "trail = trail + ['run']", hooks))
    inst = engine.start("p", {"trail": []})
    assert inst.data == {"trail": ["start", "run", "end"]}
    ran = [(e.type, e.payload.get("event")) for e in engine.history(inst.id) if e.element_id == "t"]
    assert ran == [("listener_ran", "start"), ("element_completed", None), ("listener_ran", "end")]


def test_task_listeners__create_and_complete(engine):
    hooks = ("<bpmn:extensionElements>" +
             listener("taskListener", "create", "offered_at = now()") +
             listener("taskListener", "complete", "closing = decision + '!'") +
             listener("executionListener", "end", "order = [offered_at is not None, closing]") +
             "</bpmn:extensionElements>")
    deploy_one(engine, f'<bpmn:userTask id="t">{hooks}</bpmn:userTask>')
    inst = engine.start("p", {})
    assert "offered_at" in engine.get_instance(inst.id).data  # ran when the task was created
    [task] = ready(engine, inst)
    done = engine.complete_task(task.id, {"decision": "ok"}, actor=ANY)
    assert done.data["closing"] == "ok!" and done.data["order"] == [True, "ok!"]
    assert engine.verify(inst.id)["replay_ok"]


def test_listeners__with_input_output_see_the_locals(engine):
    hooks = ("<bpmn:extensionElements>" + listener("executionListener", "start", "x = x + 1") +
             "<camunda:inputOutput>" + inp("x", "${1}") + out("y", "${x}") + "</camunda:inputOutput>"
             "</bpmn:extensionElements>")
    deploy_one(engine, script_task("t", "x = x * 10", hooks))
    assert engine.start("p", {}).data == {"y": 20}  # inputs, then start listeners, then the script


def test_listeners__failure_names_the_element(engine):
    hooks = "<bpmn:extensionElements>" + listener("executionListener", "start", "1 / 0") + "</bpmn:extensionElements>"
    deploy_one(engine, script_task("t", "y = 1", hooks))
    with pytest.raises(ScriptError) as err:
        engine.start("p", {})
    assert err.value.errors[0]["element"] == "t" and "ZeroDivisionError" in err.value.errors[0]["message"]


@pytest.mark.parametrize("hook, says", [
    (listener("executionListener", "start", "x = 1", fmt="javascript"), "javascript is not supported"),
    (listener("executionListener", "take", "x = 1"), 'event="take" is not supported'),
    ('<camunda:executionListener event="start" class="a.B"/>', "camunda:executionListener class is not supported"),
    (listener("taskListener", "assignment", "x = 1"), 'event="assignment" is not supported'),
    (listener("executionListener", "start", "import os"), "refused"),
])
def test_listeners__refused_at_deploy(engine, hook, says):
    with pytest.raises(InvalidDefinition) as err:
        deploy_one(engine, f'<bpmn:userTask id="t"><bpmn:extensionElements>{hook}</bpmn:extensionElements>'
                           "</bpmn:userTask>")
    assert any(p["element"] == "t" and says in p["message"] for p in err.value.errors), err.value.errors


def test_listeners__on_a_gateway_refused(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
            '<bpmn:parallelGateway id="g"><bpmn:extensionElements>' + listener("executionListener", "start", "x = 1") +
            '</bpmn:extensionElements></bpmn:parallelGateway><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"/>'
            '<bpmn:endEvent id="e"/>')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("a.bpmn", bpmn(body))])
    assert any(p["element"] == "g" and "supported only on" in p["message"] for p in err.value.errors)


def test_input_output__external_task_gets_the_locals_and_maps_the_outputs(engine):
    from engine import FetchAndLock, TopicRequest
    deploy_one(engine, '<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="scan">' +
               io(inp("page", "${first + 1}"), out("pages", "${count}")) + "</bpmn:serviceTask>")
    inst = engine.start("p", {"first": 1})
    worker = Actor("robot", roles=("worker",))
    [work] = engine.fetch_and_lock(FetchAndLock(worker, "w1", 1, (TopicRequest("scan", 60_000),)))
    assert work.variables["page"] == 2
    done = engine.complete_external_task(work.id, "w1", {"count": 7, "page": 3})
    assert done.status == "completed" and done.data == {"first": 1, "count": 7, "pages": 7}


def test_input_output__call_activity_locals_seen_by_the_callee(engine):
    deploy_one(engine, '<bpmn:callActivity id="t" calledElement="callee">' +
               io(inp("x", "${a * 2}"), out("r", "${result}")) + "</bpmn:callActivity>", more=[callee_file()])
    # without camunda:in/out the callee shares the variables, and sees the call's locals over them
    assert engine.start("p", {"a": 2}).data == {"a": 2, "result": 40, "r": 40}


def test_deferred_expression__in_a_camunda_attribute(engine):
    deploy_one(engine, '<bpmn:userTask id="t" camunda:assignee="#{clerk}"/>')
    inst = engine.start("p", {"clerk": "amina"})
    assert [t.assignee for t in ready(engine, inst)] == ["amina"]


def test_call_in__an_external_task_of_the_callee_sees_only_the_mapped_variables(engine):
    from engine import FetchAndLock, TopicRequest
    body = ('<bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="cf1" sourceRef="cs" targetRef="cw"/>'
            '<bpmn:serviceTask id="cw" camunda:type="external" camunda:topic="scan"/>'
            '<bpmn:sequenceFlow id="cf2" sourceRef="cw" targetRef="ce"/><bpmn:endEvent id="ce"/>')
    callee = ("callee.bpmn", bpmn(body, pid="callee").replace(b'id="defs"', b'id="defs_callee"'))
    deploy_one(engine, call('<camunda:in source="a" target="x"/><camunda:out source="count" target="n"/>'),
               more=[callee])
    inst = engine.start("p", {"a": 1, "secret": "s"})
    worker = Actor("robot", roles=("worker",))
    [work] = engine.fetch_and_lock(FetchAndLock(worker, "w1", 1, (TopicRequest("scan", 60_000),)))
    assert work.variables == {"x": 1}
    done = engine.complete_external_task(work.id, "w1", {"count": 4})
    assert done.data == {"a": 1, "secret": "s", "n": 4}


def test_escalation_code_variable__boundary(engine):
    inner = '<bpmn:endEvent id="in1"><bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:endEvent>'
    body = with_boundary(inner, "").replace(
        '<bpmn:errorEventDefinition errorRef="err" />',
        '<bpmn:escalationEventDefinition escalationRef="esc" camunda:escalationCodeVariable="level"/>')
    engine.deploy([("a.bpmn", bpmn(body, '<bpmn:escalation id="esc" name="Chef" escalationCode="TO_CHIEF"/>'))])
    inst = engine.start("p", {})
    assert inst.status == "completed" and inst.data == {"level": "TO_CHIEF"}


def test_deferred_expression__a_script_comment_stays_python(engine):
    deploy_one(engine, script_task("t", "#{not JUEL}\nx = 1  #{nor this}"))
    assert engine.start("p", {}).data == {"x": 1}


def with_process_listeners(content: bytes, pid: str, start: str, end: str) -> bytes:
    hooks = ("<bpmn:extensionElements>" + listener("executionListener", "start", start) +
             listener("executionListener", "end", end) + "</bpmn:extensionElements>")
    head = f'<bpmn:process id="{pid}" isExecutable="true">'
    return content.replace(head.encode(), (head + hooks).encode())


def test_execution_listeners__of_the_process(engine):
    body = bpmn(around('<bpmn:userTask id="t"/>'))
    engine.deploy([("a.bpmn", with_process_listeners(body, "p", "opened = True", "closed = opened"))])
    inst = engine.start("p", {})
    assert inst.data == {"opened": True}
    [task] = ready(engine, inst)
    done = engine.complete_task(task.id, {}, actor=ANY)
    assert done.status == "completed" and done.data == {"opened": True, "closed": True}
    ran = [(e.type, e.element_id, e.payload.get("event")) for e in engine.history(inst.id) if e.type == "listener_ran"]
    assert ran == [("listener_ran", "p", "start"), ("listener_ran", "p", "end")]


def test_execution_listeners__of_a_called_process_run_in_its_variables(engine):
    name, content = callee_file("result = x * 10 + started")
    callee = (name, with_process_listeners(content, "callee", "started = 1", "result = result + 1000"))
    deploy_one(engine, call('<camunda:in source="a" target="x"/><camunda:out source="result" target="r"/>'),
               more=[callee])
    assert engine.start("p", {"a": 2}).data == {"a": 2, "r": 1021}
