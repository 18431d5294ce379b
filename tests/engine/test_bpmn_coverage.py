"""BPMN constructs SpiffWorkflow does not run by itself, run through the engine: implicit splits,
token quantities, link events, signal end events, shared event definitions, calls to global
tasks, event sub-processes inside a sub-process and of a process, interrupting boundary events
caught from inside, and conditional events (engine/definitions/transforms/, runtime/interrupting_steps.py,
runtime/token_join.py, WorkflowRun._refresh_conditions). Every instance a test leaves is verified
(chain, replay, projections) by the `engine` fixture."""
from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from engine import Actor, InvalidDefinition, ScriptError
from engine.definitions import safe_xml
from engine.definitions.transforms import apply_transforms

ANY = Actor("admin", roles=("admin",))
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def doc(body: str, extra: str = "", pid: str = "P", more: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="{BPMN}" id="d" '
            f'targetNamespace="http://example.org/t">{extra}<bpmn:process id="{pid}" isExecutable="true">{body}'
            f'</bpmn:process>{more}</bpmn:definitions>').encode()


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def chain(*ids: str) -> str:
    return "".join(flow(f"f_{a}_{b}", a, b) for a, b in zip(ids, ids[1:]))


def script(sid: str, code: str = "pass", attrs: str = "") -> str:
    return f'<bpmn:scriptTask id="{sid}" {attrs}><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


def user(uid: str, attrs: str = "") -> str:
    return f'<bpmn:userTask id="{uid}" {attrs}/>'


def ready(engine, instance_id) -> list[str]:
    return sorted(t.element_id for t in engine.list_tasks(see_all=True, instance_id=instance_id).items)


def complete(engine, instance_id, element_id, data=None):
    task = next(t for t in engine.list_tasks(see_all=True, instance_id=instance_id).items if t.element_id == element_id)
    return engine.complete_task(task.id, data or {}, actor=ANY)


def completed(engine, instance_id) -> list[str]:
    return [e.element_id for e in engine.history(instance_id) if e.type == "element_completed"]


# --------------------------------------------------------------------------------------------------
# Implicit splits and joins
# --------------------------------------------------------------------------------------------------

SPLIT = ('<bpmn:startEvent id="S"/>' + script("T") + user("A") + user("B") + user("C") + '<bpmn:endEvent id="E"/>'
         + flow("f0", "S", "T") + flow("fa", "T", "A") + flow("fb", "T", "B", "x &gt; 1") + flow("fc", "T", "C", "x &gt; 100")
         + flow("fae", "A", "E") + flow("fbe", "B", "E") + flow("fce", "C", "E"))


@pytest.mark.parametrize("x, expected", [(5, ["A", "B"]), (500, ["A", "B", "C"]), (0, ["A"])])
def test_implicit_split__unconditional_flows_always_conditional_ones_when_true(engine, x, expected):
    engine.deploy([("split.bpmn", doc(SPLIT))])
    inst = engine.start("P", {"x": x})
    assert ready(engine, inst.id) == expected
    for element in expected:
        inst = complete(engine, inst.id, element)
    assert inst.status == "completed"


DEFAULT_SPLIT = ('<bpmn:startEvent id="S"/>' + script("T", attrs='default="fd"') + user("A") + user("D")
                 + '<bpmn:endEvent id="E"/>' + flow("f0", "S", "T") + flow("fa", "T", "A", "x == 1")
                 + flow("fd", "T", "D") + flow("fae", "A", "E") + flow("fde", "D", "E"))


@pytest.mark.parametrize("x, expected", [(1, ["A"]), (2, ["D"])])
def test_implicit_split__default_flow_only_when_no_condition_is_true(engine, x, expected):
    engine.deploy([("default.bpmn", doc(DEFAULT_SPLIT))])
    assert ready(engine, engine.start("P", {"x": x}).id) == expected


def test_implicit_split__conditional_flows_all_false_without_default_fail_the_start(engine):
    body = ('<bpmn:startEvent id="S"/>' + script("T") + user("A") + user("B") + flow("f0", "S", "T")
            + flow("fa", "T", "A", "x == 1") + flow("fb", "T", "B", "x == 2"))
    engine.deploy([("nodefault.bpmn", doc(body))])
    with pytest.raises(ScriptError) as err:
        engine.start("P", {"x": 3})
    assert err.value.errors[0]["element"] == "T"  # the designer's activity, not its implicit gateway
    assert engine.list_instances().total == 0


@pytest.mark.parametrize("x, expected", [(1, ["A"]), (2, None)])
def test_lone_conditional_flow__taken_when_true_else_the_step_fails(engine, x, expected):
    body = '<bpmn:startEvent id="S"/>' + script("T") + user("A") + flow("f0", "S", "T") + flow("fa", "T", "A", "x == 1")
    engine.deploy([("lone.bpmn", doc(body))])
    if expected is None:
        with pytest.raises(ScriptError) as err:
            engine.start("P", {"x": x})
        assert err.value.errors[0]["element"] == "T"
    else:
        assert ready(engine, engine.start("P", {"x": x}).id) == expected


def test_implicit_split_and_join__each_token_passes_the_merge(engine):
    body = ('<bpmn:startEvent id="S"/>' + script("T") + script("A", "n = n + 1") + script("B", "n = n + 10")
            + user("M") + flow("f0", "S", "T") + flow("fa", "T", "A") + flow("fb", "T", "B")
            + flow("fam", "A", "M") + flow("fbm", "B", "M"))
    engine.deploy([("join.bpmn", doc(body))])
    inst = engine.start("P", {"n": 0})
    assert ready(engine, inst.id) == ["M", "M"]
    assert inst.data["n"] == 11


def test_implicit_split__the_stored_diagram_is_the_designers(engine):
    engine.deploy([("split.bpmn", doc(SPLIT))])
    source = engine.definition_source("P")
    assert "__split" not in source and "inclusiveGateway" not in source
    assert 'id="T"' in source


def test_transformations_are_deterministic():
    first = etree.tostring(apply_transforms(safe_xml.parse(doc(SPLIT + '<bpmn:task id="Q" completionQuantity="2"/>'))))
    second = etree.tostring(apply_transforms(safe_xml.parse(doc(SPLIT + '<bpmn:task id="Q" completionQuantity="2"/>'))))
    assert first == second and b"T__split" in first


# --------------------------------------------------------------------------------------------------
# Token quantities
# --------------------------------------------------------------------------------------------------

def test_completion_quantity__sends_that_many_tokens(engine):
    body = ('<bpmn:startEvent id="S"/>' + script("T", attrs='completionQuantity="3"') + script("N", "n = n + 1")
            + user("U") + chain("S", "T", "N", "U"))
    engine.deploy([("tokens.bpmn", doc(body))])
    inst = engine.start("P", {"n": 0})
    assert inst.data["n"] == 3 and ready(engine, inst.id) == ["U", "U", "U"]


@pytest.mark.parametrize("sent, expected", [(1, []), (2, ["U"])])
def test_start_quantity__waits_for_that_many_tokens(engine, sent, expected):
    body = ('<bpmn:startEvent id="S"/>' + script("T", attrs=f'completionQuantity="{sent}"')
            + script("R", "n = n + 1", attrs='startQuantity="2"') + user("U") + chain("S", "T", "R", "U"))
    engine.deploy([("start_quantity.bpmn", doc(body))])
    inst = engine.start("P", {"n": 0})
    assert ready(engine, inst.id) == expected
    assert inst.data["n"] == len(expected)
    assert inst.status == "running"


def test_start_quantity__zero_is_refused_naming_the_activity(engine):
    body = '<bpmn:startEvent id="S"/>' + script("R", attrs='startQuantity="0"') + chain("S", "R")
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("zero.bpmn", doc(body))])
    assert [e["element"] for e in err.value.errors] == ["R"]


# --------------------------------------------------------------------------------------------------
# Link events, signal end events, shared definitions, global tasks
# --------------------------------------------------------------------------------------------------

def test_link_events__the_throw_continues_at_the_catch(engine):
    body = ('<bpmn:startEvent id="S"/>' + script("A", "a = 1")
            + '<bpmn:intermediateThrowEvent id="LT"><bpmn:linkEventDefinition name="jump"/></bpmn:intermediateThrowEvent>'
            + '<bpmn:intermediateCatchEvent id="LC"><bpmn:linkEventDefinition name="jump"/></bpmn:intermediateCatchEvent>'
            + user("U") + chain("S", "A", "LT") + chain("LC", "U"))
    engine.deploy([("link.bpmn", doc(body))])
    inst = engine.start("P", {})
    assert ready(engine, inst.id) == ["U"]
    assert completed(engine, inst.id)[-2:] == ["LT", "LC"]


def test_link_events__a_throw_without_its_catch_is_refused(engine):
    body = ('<bpmn:startEvent id="S"/>'
            + '<bpmn:intermediateThrowEvent id="LT"><bpmn:linkEventDefinition name="jump"/></bpmn:intermediateThrowEvent>'
            + chain("S", "LT"))
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("link.bpmn", doc(body))])
    [problem] = err.value.errors
    assert problem["element"] == "LT" and problem["message"].startswith("a link event needs its pair")


SIGNAL = '<bpmn:signal id="sig" name="go"/>'


def test_signal_end_event__sends_the_signal_then_ends(engine):
    waiter = doc('<bpmn:startEvent id="S"/><bpmn:intermediateCatchEvent id="C"><bpmn:signalEventDefinition '
                 'signalRef="sig"/></bpmn:intermediateCatchEvent>' + user("U") + chain("S", "C", "U"), SIGNAL, "W")
    sender = doc('<bpmn:startEvent id="S"/><bpmn:endEvent id="SE"><bpmn:signalEventDefinition signalRef="sig"/>'
                 '</bpmn:endEvent>' + chain("S", "SE"), SIGNAL, "T")
    engine.deploy([("waiter.bpmn", waiter), ("sender.bpmn", sender)])
    waiting = engine.start("W", {})
    assert ready(engine, waiting.id) == []
    sent = engine.start("T", {})
    assert sent.status == "completed" and "SE" in completed(engine, sent.id)
    assert ready(engine, waiting.id) == ["U"]


def test_event_definition_ref__shared_timer_waits(engine, clock):
    extra = '<bpmn:timerEventDefinition id="hour"><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
    body = ('<bpmn:startEvent id="S"/><bpmn:intermediateCatchEvent id="W"><bpmn:eventDefinitionRef>hour'
            '</bpmn:eventDefinitionRef></bpmn:intermediateCatchEvent>' + user("U") + chain("S", "W", "U"))
    engine.deploy([("shared.bpmn", doc(body, extra))])
    inst = engine.start("P", {})
    assert [t["element_id"] for t in engine.timers(inst.id)] == ["W"]
    clock.advance(timedelta(hours=1, seconds=1))
    assert engine.fire_due_timers() == 1
    assert ready(engine, inst.id) == ["U"]


def test_event_definition_ref__shared_error_is_caught(engine):
    extra = '<bpmn:error id="err" errorCode="E1"/><bpmn:errorEventDefinition id="oops" errorRef="err"/>'
    body = ('<bpmn:startEvent id="S"/><bpmn:subProcess id="SP"><bpmn:startEvent id="SS"/><bpmn:endEvent id="EE">'
            '<bpmn:eventDefinitionRef>oops</bpmn:eventDefinitionRef></bpmn:endEvent>' + chain("SS", "EE")
            + '</bpmn:subProcess><bpmn:boundaryEvent id="B" attachedToRef="SP"><bpmn:eventDefinitionRef>oops'
            '</bpmn:eventDefinitionRef></bpmn:boundaryEvent>' + user("AFTER") + user("CAUGHT")
            + chain("S", "SP", "AFTER") + chain("B", "CAUGHT"))
    engine.deploy([("shared_error.bpmn", doc(body, extra))])
    assert ready(engine, engine.start("P", {}).id) == ["CAUGHT"]


def test_event_definition_ref__naming_nothing_is_refused(engine):
    body = ('<bpmn:startEvent id="S"/><bpmn:endEvent id="E"><bpmn:eventDefinitionRef>nothing</bpmn:eventDefinitionRef>'
            '</bpmn:endEvent>' + chain("S", "E"))
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("ref.bpmn", doc(body))])
    assert [e["element"] for e in err.value.errors] == ["E"]


def test_global_task_call__runs_the_task_in_place(engine):
    extra = '<bpmn:globalScriptTask id="G" name="Compute"><bpmn:script>y = x * 2</bpmn:script></bpmn:globalScriptTask>'
    body = '<bpmn:startEvent id="S"/><bpmn:callActivity id="CA" calledElement="G"/>' + user("U") + chain("S", "CA", "U")
    engine.deploy([("global.bpmn", doc(body, extra))])
    inst = engine.start("P", {"x": 21})
    assert inst.data["y"] == 42 and ready(engine, inst.id) == ["U"]
    assert "CA" in completed(engine, inst.id)


# --------------------------------------------------------------------------------------------------
# Event sub-processes inside a sub-process
# --------------------------------------------------------------------------------------------------

MESSAGE = '<bpmn:message id="msg" name="stop"/>'


def nested(start: str, content: str, inner: str = "INNER") -> str:
    """A sub-process SP (user task `inner`) holding an event sub-process ESP, then AFTER."""
    esp = (f'<bpmn:subProcess id="ESP" triggeredByEvent="true">{start}{content}<bpmn:endEvent id="EE"/>'
           + chain("ES", *[c for c in ("H",) if 'id="H"' in content], "EE") + "</bpmn:subProcess>")
    return ('<bpmn:startEvent id="S"/><bpmn:subProcess id="SP"><bpmn:startEvent id="SS"/>' + user(inner)
            + '<bpmn:endEvent id="SE"/>' + chain("SS", inner, "SE") + esp + "</bpmn:subProcess>"
            + user("AFTER") + chain("S", "SP", "AFTER"))


def test_nested_event_subprocess__interrupting_message_replaces_the_subprocess(engine):
    body = nested('<bpmn:startEvent id="ES"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>', user("H"))
    engine.deploy([("nested.bpmn", doc(body, MESSAGE))])
    inst = engine.start("P", {}, business_key="K-1")
    assert ready(engine, inst.id) == ["INNER"]
    assert engine.correlate("stop", "K-1", {"why": "annulé"}) == [inst.id]
    assert ready(engine, inst.id) == ["H"]
    assert complete(engine, inst.id, "H").active_elements == ["AFTER"]
    assert "INNER" not in completed(engine, inst.id)


def test_nested_event_subprocess__non_interrupting_timer_runs_beside(engine, clock):
    start = ('<bpmn:startEvent id="ES" isInterrupting="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M'
             '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>')
    engine.deploy([("nested_timer.bpmn", doc(nested(start, script("H", "reminded = True"))))])
    inst = engine.start("P", {})
    clock.advance(timedelta(minutes=2))
    assert engine.fire_due_timers() == 1
    after = engine.get_instance(inst.id)
    assert after.data.get("reminded") is True and ready(engine, inst.id) == ["INNER"]
    assert complete(engine, inst.id, "INNER").active_elements == ["AFTER"]


def test_nested_event_subprocess__error_start_catches_an_error_of_the_subprocess(engine):
    extra = '<bpmn:error id="err" errorCode="E1"/>'
    body = ('<bpmn:startEvent id="S"/><bpmn:subProcess id="SP"><bpmn:startEvent id="SS"/><bpmn:endEvent id="SE">'
            '<bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>' + chain("SS", "SE")
            + '<bpmn:subProcess id="ESP" triggeredByEvent="true"><bpmn:startEvent id="ES"><bpmn:errorEventDefinition '
            'errorRef="err"/></bpmn:startEvent>' + script("H", "handled = True") + '<bpmn:endEvent id="EE"/>'
            + chain("ES", "H", "EE") + "</bpmn:subProcess></bpmn:subProcess>" + user("AFTER") + chain("S", "SP", "AFTER"))
    engine.deploy([("nested_error.bpmn", doc(body, extra))])
    inst = engine.start("P", {})
    assert inst.data.get("handled") is True and ready(engine, inst.id) == ["AFTER"]


def test_nested_event_subprocess__non_interrupting_content_that_waits_is_refused(engine):
    start = '<bpmn:startEvent id="ES" isInterrupting="false"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>'
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("nested.bpmn", doc(nested(start, user("H")), MESSAGE))])
    assert "ESP" in [e["element"] for e in err.value.errors]


# --------------------------------------------------------------------------------------------------
# Interrupting boundary events caught from inside the activity
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["signal", "escalation"])
def test_interrupting_boundary__thrown_inside_interrupts_at_once(engine, kind):
    extra = SIGNAL + '<bpmn:escalation id="esc" escalationCode="X"/>'
    ref = 'signalRef="sig"' if kind == "signal" else 'escalationRef="esc"'
    definition = f"<bpmn:{kind}EventDefinition {ref}/>"
    body = ('<bpmn:startEvent id="S"/><bpmn:subProcess id="SP"><bpmn:startEvent id="SS"/>'
            f'<bpmn:intermediateThrowEvent id="X">{definition}</bpmn:intermediateThrowEvent>'
            + script("LATE", "late = True") + user("INNER") + '<bpmn:endEvent id="SE"/>'
            + chain("SS", "X", "LATE", "INNER", "SE") + "</bpmn:subProcess>"
            + f'<bpmn:boundaryEvent id="B" attachedToRef="SP">{definition}</bpmn:boundaryEvent>'
            + user("AFTER") + user("HANDLED") + chain("S", "SP", "AFTER") + chain("B", "HANDLED"))
    engine.deploy([("inside.bpmn", doc(body, extra))])
    inst = engine.start("P", {})
    assert ready(engine, inst.id) == ["HANDLED"]
    assert "late" not in inst.data and "LATE" not in completed(engine, inst.id)


# --------------------------------------------------------------------------------------------------
# Conditional events
# --------------------------------------------------------------------------------------------------

def conditional(eid: str, condition: str, tag: str = "intermediateCatchEvent", attrs: str = "") -> str:
    return (f'<bpmn:{tag} id="{eid}" {attrs}><bpmn:conditionalEventDefinition><bpmn:condition>{condition}'
            f'</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:{tag}>')


def test_conditional_catch__fires_when_another_branch_makes_it_true(engine):
    body = ('<bpmn:startEvent id="S"/><bpmn:parallelGateway id="G"/>' + conditional("C", "flag == True")
            + user("WORK") + script("SET", "flag = True") + user("AFTER") + '<bpmn:endEvent id="E"/>'
            + flow("f0", "S", "G") + flow("f1", "G", "C") + flow("f2", "G", "WORK")
            + chain("C", "AFTER") + chain("WORK", "SET", "E"))
    engine.deploy([("conditional.bpmn", doc(body))])
    inst = engine.start("P", {"flag": False})
    assert ready(engine, inst.id) == ["WORK"]
    assert complete(engine, inst.id, "WORK").active_elements == ["AFTER"]


def test_conditional_catch__true_on_arrival_passes_at_once(engine):
    body = '<bpmn:startEvent id="S"/>' + conditional("C", "x &gt; 1") + user("U") + chain("S", "C", "U")
    engine.deploy([("conditional.bpmn", doc(body))])
    assert ready(engine, engine.start("P", {"x": 2}).id) == ["U"]
    assert ready(engine, engine.start("P", {"x": 0}).id) == []


def test_conditional_catch__camunda_juel_condition_is_translated(engine):
    body = '<bpmn:startEvent id="S"/>' + conditional("C", "${x &gt; 1}") + user("U") + chain("S", "C", "U")
    engine.deploy([("juel.bpmn", doc(body))])
    assert ready(engine, engine.start("P", {"x": 2}).id) == ["U"]


@pytest.mark.parametrize("cancel, expected", [("true", ["STOPPED"]), ("false", ["LONG", "STOPPED"])])
def test_conditional_boundary__fires_when_the_condition_becomes_true(engine, cancel, expected):
    body = ('<bpmn:startEvent id="S"/><bpmn:parallelGateway id="G"/>' + user("LONG") + user("WORK")
            + script("SET", "halt = True") + user("STOPPED") + '<bpmn:endEvent id="E"/><bpmn:endEvent id="E2"/>'
            + conditional("B", "halt", "boundaryEvent", f'attachedToRef="LONG" cancelActivity="{cancel}"')
            + flow("f0", "S", "G") + flow("f1", "G", "LONG") + flow("f2", "G", "WORK") + chain("LONG", "E")
            + chain("WORK", "SET", "E2") + chain("B", "STOPPED"))
    engine.deploy([("boundary.bpmn", doc(body))])
    inst = engine.start("P", {"halt": False})
    assert ready(engine, inst.id) == ["LONG", "WORK"]
    complete(engine, inst.id, "WORK")
    assert ready(engine, inst.id) == expected


def test_conditional_boundary__interrupting_and_true_when_entered_skips_the_activity(engine):
    body = ('<bpmn:startEvent id="S"/><bpmn:subProcess id="SP"><bpmn:startEvent id="SS"/>' + script("IN", "ran = True")
            + '<bpmn:endEvent id="SE"/>' + chain("SS", "IN", "SE") + "</bpmn:subProcess>"
            + conditional("B", "go", "boundaryEvent", 'attachedToRef="SP"') + user("AFTER") + user("STOPPED")
            + chain("S", "SP", "AFTER") + chain("B", "STOPPED"))
    engine.deploy([("entered.bpmn", doc(body))])
    inst = engine.start("P", {"go": True})
    assert ready(engine, inst.id) == ["STOPPED"] and "ran" not in inst.data
    assert ready(engine, engine.start("P", {"go": False}).id) == ["AFTER"]


def test_conditional_start_event_of_a_process_is_refused(engine):
    body = conditional("CS", "x", "startEvent") + '<bpmn:endEvent id="E"/>' + chain("CS", "E")
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("start.bpmn", doc(body))])
    assert [e["element"] for e in err.value.errors] == ["CS"]


# --------------------------------------------------------------------------------------------------
# Event sub-processes of a process (its content wrapped into a sub-process)
# --------------------------------------------------------------------------------------------------

def process_esp(start: str, content: str) -> str:
    esp = (f'<bpmn:subProcess id="ESP" triggeredByEvent="true">{start}{content}<bpmn:endEvent id="EE"/>'
           + chain("ES", *[c for c in ("H",) if 'id="H"' in content], "EE") + "</bpmn:subProcess>")
    return ('<bpmn:startEvent id="S" camunda:formKey="request"/>' + user("WORK") + user("LAST")
            + '<bpmn:endEvent id="E"/>' + chain("S", "WORK", "LAST", "E") + esp)


CAMUNDA_NS = ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def camunda_doc(body: str, extra: str = "") -> bytes:
    return doc(body, extra).replace(b'id="d"', b'id="d"' + CAMUNDA_NS.encode(), 1)


REQUEST_FORM = ("request.form", b'{"id": "request", "type": "default", "components": []}')


def test_process_event_subprocess__interrupting_message_cancels_the_main_flow(engine):
    body = process_esp('<bpmn:startEvent id="ES"><bpmn:messageEventDefinition messageRef="msg"/></bpmn:startEvent>',
                       user("H"))
    engine.deploy([("cancel.bpmn", camunda_doc(body, MESSAGE)), REQUEST_FORM])
    assert engine.get_definition("P").start_form_key == "request"
    inst = engine.start("P", {}, business_key="K-2")
    assert ready(engine, inst.id) == ["WORK"]
    engine.correlate("stop", "K-2", {})
    assert ready(engine, inst.id) == ["H"]
    done = complete(engine, inst.id, "H")
    assert done.status == "completed" and "WORK" not in completed(engine, inst.id)


def test_process_event_subprocess__error_start_catches_an_error_of_the_main_flow(engine):
    extra = '<bpmn:error id="err" errorCode="E1"/>'
    esp = ('<bpmn:subProcess id="ESP" triggeredByEvent="true"><bpmn:startEvent id="ES"><bpmn:errorEventDefinition '
           'errorRef="err"/></bpmn:startEvent>' + user("H") + '<bpmn:endEvent id="EE"/>' + chain("ES", "H", "EE")
           + "</bpmn:subProcess>")
    body = ('<bpmn:startEvent id="S"/>' + script("FAIL", "raise BpmnError('E1')") + user("LAST")
            + '<bpmn:endEvent id="E"/>' + chain("S", "FAIL", "LAST", "E") + esp)
    engine.deploy([("error.bpmn", doc(body, extra))])
    inst = engine.start("P", {})
    assert ready(engine, inst.id) == ["H"]
    assert complete(engine, inst.id, "H").status == "completed"


def test_process_event_subprocess__conditional_start_fires_when_true(engine):
    esp = ('<bpmn:subProcess id="ESP" triggeredByEvent="true">'
           + conditional("ES", "flag == True", "startEvent", 'isInterrupting="false"') + script("H", "noticed = True")
           + '<bpmn:endEvent id="EE"/>' + chain("ES", "H", "EE") + "</bpmn:subProcess>")
    body = ('<bpmn:startEvent id="S"/>' + user("WORK") + script("SET", "flag = True") + user("LAST")
            + '<bpmn:endEvent id="E"/>' + chain("S", "WORK", "SET", "LAST", "E") + esp)
    engine.deploy([("conditional_esp.bpmn", doc(body))])
    inst = engine.start("P", {"flag": False})
    done = complete(engine, inst.id, "WORK")
    assert done.data.get("noticed") is True and ready(engine, inst.id) == ["LAST"]


# --------------------------------------------------------------------------------------------------
# Reserved ids
# --------------------------------------------------------------------------------------------------

def test_reserved_ids__a_start_event_named_start_runs(engine):
    body = ('<bpmn:startEvent id="Start"/>' + script("A", "a = 1") + user("U") + '<bpmn:endEvent id="End"/>'
            + chain("Start", "A", "U", "End"))
    engine.deploy([("reserved.bpmn", doc(body))])
    inst = engine.start("P", {})
    assert inst.data == {"a": 1} and ready(engine, inst.id) == ["U"]
    assert complete(engine, inst.id, "U").status == "completed"
    assert "Start" in engine.definition_source("P") and "__renamed" not in engine.definition_source("P")


def test_reserved_ids__a_task_named_start_is_refused(engine):
    body = '<bpmn:startEvent id="S"/>' + user("Start") + chain("S", "Start")
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("reserved.bpmn", doc(body))])
    assert [e["element"] for e in err.value.errors] == ["Start"]


# --------------------------------------------------------------------------------------------------
# Receive tasks that start their process
# --------------------------------------------------------------------------------------------------

def test_instantiating_receive_task__a_message_starts_the_process(engine):
    extra = '<bpmn:message id="msg" name="request"/>'
    sender = ('<bpmn:startEvent id="S"/><bpmn:intermediateThrowEvent id="SEND"><bpmn:messageEventDefinition '
              'messageRef="msg"/></bpmn:intermediateThrowEvent><bpmn:endEvent id="E"/>' + chain("S", "SEND", "E"))
    receiver = ('<bpmn:process id="R" isExecutable="true"><bpmn:receiveTask id="GOT" messageRef="msg" instantiate="true"/>'
                + user("HANDLE") + chain("GOT", "HANDLE") + "</bpmn:process>")
    engine.deploy([("receive.bpmn", doc(sender, extra, "P", receiver))])
    engine.start("P", {})
    started = engine.list_instances(definition_key="R").items
    assert len(started) == 1 and ready(engine, started[0].id) == ["HANDLE"]
    assert completed(engine, started[0].id)[0] == "GOT"
