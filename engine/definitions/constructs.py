"""Deploy-time refusal of BPMN constructs that SpiffWorkflow would ignore or run unfaithfully."""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from engine.errors import problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS}

ACTIVITY_TAGS = (
    "task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity",
)
EVENT_TAGS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")

# The event definitions SpiffWorkflow 3.2 parses on each kind of event (bpmn/parser/event_parsers.py,
# the xpath lists of StartEventParser, EndEventParser, ...). Any other definition is dropped silently
# and the event runs as a none event.
PARSED_DEFINITIONS = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional"},
    "intermediateThrowEvent": {"message", "signal", "escalation"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
}

# Task spec names SpiffWorkflow creates itself; a BPMN id equal to one of them replaces the internal
# spec and breaks the process silently (notes/spiffworkflow-3.md §1.2 and §6.6).
RESERVED_IDS = frozenset({"Start", "End", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")

# Failures of the betsy corpus (baseline_spiffworkflow_3.2.0.json, BpmnParser column) that no static
# check can catch: the diagram is valid and supported, but the run depends on timing or concurrency.
KNOWN_RUNTIME_GAPS: dict[str, str] = {
    "ParallelGateway_TrueParallelism": (
        "no true parallelism: SpiffWorkflow runs the branches of a parallel gateway one after the other "
        "in one thread, so two long scripts never overlap; any parallel gateway may show it"
    ),
    "Timer_BoundaryEvent_SubProcess_Interrupting_Activity": (
        "a running script cannot be interrupted: an interrupting boundary timer that falls due while a "
        "script of the activity runs fires only after the command's engine steps, when the activity "
        "may already have completed; it depends on how long scripts run"
    ),
}

Found = Iterator[tuple[str | None, str]]


class _Document:
    """Indexes of one BPMN document shared by the rules."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.by_id: dict[str, etree._Element] = {}
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") is not None:
                self.by_id.setdefault(el.get("id"), el)
        self.outgoing: dict[str, list[etree._Element]] = {}
        for flow in self.all("sequenceFlow"):
            self.outgoing.setdefault(flow.get("sourceRef"), []).append(flow)

    def xpath(self, path: str, node: etree._Element | None = None) -> list[Any]:
        return (self.root if node is None else node).xpath(path, namespaces=NS)

    def all(self, *tags: str, node: etree._Element | None = None) -> list[etree._Element]:
        """Every BPMN element with one of these local names, in document order."""
        return self.xpath(".//" + " | .//".join(f"bpmn:{t}" for t in tags), node)

    def process(self, ref: str | None) -> etree._Element | None:
        """The bpmn:process of this document with this id (a call activity's target), if any."""
        el = self.by_id.get(_local_ref(ref))
        return el if el is not None and local_name(el) == "process" else None


def local_name(el: etree._Element) -> str:
    return etree.QName(el).localname


def _local_ref(ref: str | None) -> str:
    """An id from a reference that may carry a namespace prefix (`tns:Process_1`)."""
    return (ref or "").strip().rpartition(":")[2]


def _definitions(event: etree._Element) -> list[etree._Element]:
    """The event definitions written inside an event (not through eventDefinitionRef)."""
    return [c for c in event if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS
            and etree.QName(c).localname.endswith("EventDefinition")]


def _kind(definition: etree._Element) -> str:
    return local_name(definition)[: -len("EventDefinition")]


def _is_event_subprocess(el: etree._Element | None) -> bool:
    return el is not None and local_name(el) == "subProcess" and el.get("triggeredByEvent") == "true"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# ---------------------------------------------------------------------------------------------------
# Rules. Each takes the document and yields (element id, message). Keep them small and independent.
# ---------------------------------------------------------------------------------------------------

def reserved_ids(doc: _Document) -> Found:
    """Ids `Start`, `End` (and the other names of SpiffWorkflow's internal task specs) inside a
    process replace the internal spec: parsing succeeds but the process has no tasks (§1.2)."""
    for el in doc.xpath(".//bpmn:process//*[@id]"):
        eid = el.get("id")
        if eid in RESERVED_IDS or eid.endswith(RESERVED_SUFFIXES):
            yield eid, (f'the id "{eid}" is reserved (it collides with a SpiffWorkflow internal task name '
                        "and the process would silently lose its tasks): rename the element")


def link_events(doc: _Document) -> Found:
    """Link events: SpiffWorkflow parses no linkEventDefinition, so a link throw is a pass-through
    and the matching catch is never reached (betsy Link_Event)."""
    for event in doc.xpath(".//bpmn:linkEventDefinition/.."):
        yield event.get("id"), "link events are not supported (SpiffWorkflow ignores them silently)"


def signal_end_events(doc: _Document) -> Found:
    """Signal end events: the end event parser drops the signal definition, so nothing is sent
    (betsy Signal_EndEvent, Signal_EndEvent_SubProcess)."""
    for event in doc.xpath(".//bpmn:endEvent[bpmn:signalEventDefinition]"):
        yield event.get("id"), ("signal end events are not supported (SpiffWorkflow drops the signal, so it is "
                                "never sent): use an intermediate signal throw event before a none end event")


def compensation(doc: _Document) -> Found:
    """Compensation of any kind (compensation events, compensation handlers, their associations):
    SpiffWorkflow has no compensation (betsy Compensation_*)."""
    boundary_ids = set()
    for event in doc.xpath(".//bpmn:compensateEventDefinition/.."):
        if local_name(event) == "boundaryEvent":
            boundary_ids.add(event.get("id"))
        yield event.get("id"), "compensation events are not supported (SpiffWorkflow has no compensation)"
    for activity in doc.xpath(".//*[@isForCompensation='true']"):
        yield activity.get("id"), ("compensation handlers (isForCompensation) are not supported "
                                   "(SpiffWorkflow has no compensation)")
    for assoc in doc.all("association"):
        if assoc.get("sourceRef") in boundary_ids:
            yield assoc.get("id"), "compensation associations are not supported (SpiffWorkflow has no compensation)"


def conditional_events(doc: _Document) -> Found:
    """Conditional events, everywhere. SpiffWorkflow evaluates the condition once, when the event is
    reached, and never again (BpmnWorkflow.refresh_timers refreshes only timer and multiple events), so
    a condition that becomes true later is never seen; interrupting conditional boundary events let
    the activity run on (betsy Conditional_BoundaryEvent_SubProcess_Interrupting); conditional start
    events of event sub-processes never fire (Conditional_StartEvent_EventSubProcess_*). The betsy
    tests that pass only check a condition that is already true, or false for good, on arrival."""
    for event in doc.xpath(".//bpmn:conditionalEventDefinition/.."):
        yield event.get("id"), ("conditional events are not supported (SpiffWorkflow evaluates the condition "
                                "only once, when the event is reached: later changes are never seen, "
                                "interrupting ones do not interrupt and start events never fire)")


def event_definition_refs(doc: _Document) -> Found:
    """eventDefinitionRef (shared, top-level event definitions): SpiffWorkflow does not resolve them
    and runs the event as a none event: an error end event ends quietly, a timer does not wait, a
    boundary event breaks the parse (betsy EventDefinitionRef_*)."""
    for event in doc.xpath(".//bpmn:eventDefinitionRef/.."):
        yield event.get("id"), ("shared event definitions (eventDefinitionRef) are not supported (SpiffWorkflow "
                                "ignores them and runs a none event): put the definition inside the event")


def multiple_events(doc: _Document) -> Found:
    """Multiple and parallel-multiple events. SpiffWorkflow runs them faithfully only as intermediate
    catch or throw events (betsy Multiple_* pass); on start, end and boundary events it is untested
    here and refused."""
    for event in doc.all("startEvent", "endEvent", "boundaryEvent"):
        count = len(_definitions(event)) + len(doc.xpath("bpmn:eventDefinitionRef", event))
        if count > 1:
            yield event.get("id"), (f"{local_name(event)}s with several event definitions (multiple events) are "
                                    "not supported: only intermediate events may have several")
        elif event.get("parallelMultiple") == "true":
            yield event.get("id"), f"parallel multiple {local_name(event)}s are not supported"


def ignored_event_definitions(doc: _Document) -> Found:
    """Event definitions that SpiffWorkflow's parser does not read on this kind of event (for example
    an error intermediate event or a timer end event): the event silently becomes a none event. Link,
    compensation, conditional and signal end events have their own rules, and the start events of
    event sub-processes are checked by `event_subprocess_start_events`."""
    own_rules = {"link", "compensate", "conditional"}
    for event in doc.all(*EVENT_TAGS):
        tag = local_name(event)
        if tag == "startEvent" and _is_event_subprocess(event.getparent()):
            continue
        for definition in _definitions(event):
            kind = _kind(definition)
            if kind in own_rules or kind in PARSED_DEFINITIONS[tag] or (tag, kind) == ("endEvent", "signal"):
                continue
            yield event.get("id"), (f"{kind} definitions on a {tag} are not supported (SpiffWorkflow ignores them "
                                    "and runs a none event)")


def nested_event_subprocesses(doc: _Document) -> Found:
    """Event sub-processes inside a sub-process: SpiffWorkflow never triggers their message, signal or
    conditional start events, starts error or escalation ones at once and does not interrupt with timer
    ones (betsy *_StartEvent_EventSubProcess_*, all nested in an embedded sub-process)."""
    for esp in doc.xpath(".//bpmn:subProcess[@triggeredByEvent='true']"):
        parent = esp.getparent()
        if parent is not None and local_name(parent) != "process":
            yield esp.get("id"), ("event sub-processes inside a sub-process are not supported (SpiffWorkflow "
                                  "does not trigger them correctly): move it to the process level")


def event_subprocess_start_events(doc: _Document) -> Found:
    """Start events of event sub-processes. SpiffWorkflow ignores `isInterrupting` (nothing reads it):
    an interrupting event sub-process lets the main flow run on. It parses no error or escalation
    definition on start events, so those event sub-processes start at once with the process (betsy
    Error_/Escalation_StartEvent_EventSubProcess_*; the non-interrupting escalation test passes only by
    this accident). A timer start connects the event sub-process as a parallel branch: it never
    interrupts, and its scope does not complete until the timer has fired (for a cycle, every time).
    What works: a non-interrupting message or signal start of an event sub-process at process level."""
    for esp in doc.xpath(".//bpmn:subProcess[@triggeredByEvent='true']"):
        for start in doc.xpath("bpmn:startEvent", esp):
            kinds = {_kind(d) for d in _definitions(start)} - {"conditional", "compensate", "link"}
            interrupting = start.get("isInterrupting", "true") != "false"
            if not _definitions(start) and not doc.xpath("bpmn:eventDefinitionRef", start):
                yield start.get("id"), ("an event sub-process start event without an event definition is not "
                                        "supported (SpiffWorkflow starts it at once)")
            elif kinds & {"error", "escalation"}:
                kind = sorted(kinds & {"error", "escalation"})[0]
                yield start.get("id"), (f"{kind} start events of event sub-processes are not supported "
                                        f"(SpiffWorkflow ignores the {kind} definition and starts the event "
                                        "sub-process at once)")
            elif "timer" in kinds:
                yield start.get("id"), ("timer start events of event sub-processes are not supported "
                                        "(SpiffWorkflow runs them as a parallel branch: they never interrupt and "
                                        "keep the process running until the timer fires): use a boundary timer")
            elif kinds and interrupting:
                kind = "/".join(sorted(kinds))
                yield start.get("id"), (f"interrupting {kind} start events of event sub-processes are not supported "
                                        "(SpiffWorkflow ignores isInterrupting and lets the main flow run on): "
                                        'set isInterrupting="false" or use an interrupting boundary event')


def interrupting_boundary_thrown_inside(doc: _Document) -> Found:
    """Interrupting escalation and signal boundary events that catch a throw from inside the activity:
    SpiffWorkflow runs the activity on until its next wait state before the interruption takes
    effect, so the tasks after the throw still run (betsy Escalation_/Signal_BoundaryEvent_SubProcess_
    Interrupting). An escalation end event that ends the activity itself is fine (betsy
    Escalation_EndEvent_SubProcess), and so are signals sent from outside while the activity waits.
    Called processes are inspected when they are in the same file."""
    for boundary in doc.xpath(".//bpmn:boundaryEvent[not(@cancelActivity='false')]"):
        for definition in _definitions(boundary):
            kind = _kind(definition)
            if kind not in ("escalation", "signal"):
                continue
            activity = doc.by_id.get(boundary.get("attachedToRef"))
            if activity is None:
                continue
            throw = next(_throws_inside(doc, activity, kind, definition.get(f"{kind}Ref"), own=True, seen=set()), None)
            if throw is not None:
                yield boundary.get("id"), (
                    f"an interrupting {kind} boundary event that catches {_article(kind)} {kind} thrown inside the "
                    f"activity (by {throw.get('id')}) is not supported (SpiffWorkflow runs the activity on before "
                    "interrupting it): make the boundary event non-interrupting"
                    + (" or throw the escalation with an end event" if kind == "escalation" else ""))


def _throws_inside(doc: _Document, activity: etree._Element, kind: str, ref: str | None,
                   own: bool, seen: set[str]) -> Iterator[etree._Element]:
    """Throw events of `kind` (matching `ref`) inside `activity` after which it would still run."""
    scope = doc.process(activity.get("calledElement")) if local_name(activity) == "callActivity" else activity
    if scope is None or scope.get("id") in seen:
        return
    seen.add(scope.get("id"))
    for event in doc.all("intermediateThrowEvent", "endEvent", node=scope):
        if local_name(event) == "endEvent" and own and event.getparent() is scope:
            continue  # the end event ends the activity itself: nothing runs after it
        for definition in _definitions(event):
            other = definition.get(f"{kind}Ref")
            if _kind(definition) == kind and (ref is None or other is None or _local_ref(other) == _local_ref(ref)):
                yield event
                break
    for call in doc.all("callActivity", node=scope):
        yield from _throws_inside(doc, call, kind, ref, own=False, seen=seen)


def complex_gateways(doc: _Document) -> Found:
    """Complex gateways: no SpiffWorkflow parser (betsy ComplexGateway, WCP06/WCP09 complex)."""
    for gateway in doc.all("complexGateway"):
        yield gateway.get("id"), ("complex gateways are not supported by SpiffWorkflow: "
                                  "use inclusive or parallel gateways")


def ad_hoc_subprocesses(doc: _Document) -> Found:
    """Ad-hoc sub-processes: sequential ordering is rejected, and without a completionCondition the
    run crashes (eval(None)); betsy AdHocSubProcess_*, WCP17."""
    for sub in doc.all("adHocSubProcess"):
        yield sub.get("id"), "ad-hoc sub-processes are not supported (SpiffWorkflow runs them unfaithfully)"


def implicit_splits(doc: _Document) -> Found:
    """Activities (and intermediate or boundary events) with several outgoing sequence flows:
    implicit parallel or conditional splits without a gateway (betsy SequenceFlow_Conditional*,
    Token_Cardinality_Split_*, WCP06_MultiChoice_Implicit)."""
    for node in doc.all(*ACTIVITY_TAGS, "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        if len(doc.outgoing.get(node.get("id"), [])) > 1:
            what = "an event" if local_name(node).endswith("Event") else "an activity"
            yield node.get("id"), (f"{what} with several outgoing sequence flows (implicit split) is not "
                                   "supported: use a gateway")


def ignored_flow_conditions(doc: _Document) -> Found:
    """A condition on a sequence flow that does not leave a gateway (the only flow out of an
    activity, or a flow out of a start event): SpiffWorkflow ignores it and always takes the flow.
    Several flows out of an activity or intermediate event are reported by `implicit_splits`; the
    conditions on the flows of a parallel gateway are ignored as BPMN says (betsy
    ParallelGateway_Conditions passes)."""
    for flow in doc.xpath(".//bpmn:sequenceFlow[bpmn:conditionExpression]"):
        source = doc.by_id.get(flow.get("sourceRef"))
        if source is None or local_name(source).endswith("Gateway"):
            continue
        if local_name(source) == "startEvent" or len(doc.outgoing.get(source.get("id"), [])) == 1:
            yield flow.get("id"), ("a condition on a sequence flow that does not leave a gateway is not supported "
                                   "(SpiffWorkflow ignores it): use an exclusive gateway")


def multi_instance_behavior(doc: _Document) -> Found:
    """Multi-instance `behavior` other than All (None, One, Complex) and complexBehaviorDefinition:
    SpiffWorkflow never throws the behavior events (betsy MultiInstance_*Behavior, WCP09, WCP12)."""
    for mi in doc.xpath(".//bpmn:multiInstanceLoopCharacteristics"):
        activity = mi.getparent()
        behavior = mi.get("behavior", "All")
        if behavior != "All":
            yield activity.get("id"), (f'multi-instance behavior "{behavior}" is not supported (SpiffWorkflow never '
                                       'throws its events): use behavior "All"')
        elif doc.xpath("bpmn:complexBehaviorDefinition", mi):
            yield activity.get("id"), ("multi-instance complexBehaviorDefinition is not supported "
                                       "(SpiffWorkflow ignores it)")


def token_quantities(doc: _Document) -> Found:
    """startQuantity / completionQuantity other than 1: ignored by SpiffWorkflow, with no validation
    (betsy Token_Cardinality_*, Token_StartQuantity_*, Token_CompletionQuantity_Zero)."""
    for activity in doc.xpath(".//*[@startQuantity or @completionQuantity]"):
        for attr in ("startQuantity", "completionQuantity"):
            value = activity.get(attr)
            if value is not None and value.strip() != "1":
                yield activity.get("id"), (f'{attr}="{value}" is not supported (SpiffWorkflow ignores token '
                                           "quantities): only 1 is allowed")


def loop_values(doc: _Document) -> Found:
    """A negative or non-integer loopMaximum, and a constant loopCardinality that is negative or not
    an integer: SpiffWorkflow accepts them and runs something (betsy LoopTask_NegativeLoopMaximum,
    MultiInstanceTask_NegativeLoopCardinality). Expressions are left to run time."""
    for loop in doc.xpath(".//bpmn:standardLoopCharacteristics[@loopMaximum]"):
        value = loop.get("loopMaximum").strip()
        if not value.lstrip("+-").isdigit() or int(value) < 0:
            yield loop.getparent().get("id"), f'loopMaximum="{value}" is not supported: it must be an integer >= 0'
    for cardinality in doc.xpath(".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality"):
        text = (cardinality.text or "").strip()
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue  # an expression: checked when it runs
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not isinstance(value, int) or value < 0:
            yield cardinality.getparent().getparent().get("id"), (
                f"loopCardinality {text} is not supported: a constant cardinality must be an integer >= 0")


def global_task_calls(doc: _Document) -> Found:
    """Call activities whose calledElement is a global task of this file (globalTask,
    globalScriptTask, ...): SpiffWorkflow only calls processes (betsy CallActivity_GlobalTask)."""
    global_ids = {el.get("id") for el in doc.xpath("//bpmn:*[starts-with(local-name(), 'global')][@id]")}
    for call in doc.all("callActivity"):
        if _local_ref(call.get("calledElement")) in global_ids:
            yield call.get("id"), ("call activities to global tasks are not supported (SpiffWorkflow only calls "
                                   "processes): call a process or inline the task")


def instantiating_receive_tasks(doc: _Document) -> Found:
    """Receive tasks with instantiate="true" (and event-based gateways that instantiate or are parallel):
    SpiffWorkflow cannot start a process with them (betsy ReceiveTask_Instantiate)."""
    for task in doc.xpath(".//bpmn:receiveTask[@instantiate='true']"):
        yield task.get("id"), ('receive tasks that start a process (instantiate="true") are not supported: '
                               "use a message start event")
    for gateway in doc.xpath(".//bpmn:eventBasedGateway[@instantiate='true' or @eventGatewayType='Parallel']"):
        yield gateway.get("id"), ('instantiating or parallel event-based gateways are not supported '
                                  "(SpiffWorkflow ignores instantiate and eventGatewayType)")


def data_association_mappings(doc: _Document) -> Found:
    """Data associations that map a data object to the task's ioSpecification dataInput/dataOutput,
    or transform it: SpiffWorkflow copies the data object under its own id and ignores the mapping,
    so the dataOutput is never written back (betsy DataObject_ReadWrite_String). Assignments and
    transformations are expressions that SpiffWorkflow never evaluates, wherever they are written
    (activities, throw and catch events)."""
    for activity in doc.all(*ACTIVITY_TAGS):
        inputs = {el.get("id") for el in doc.xpath("bpmn:ioSpecification/bpmn:dataInput", activity)}
        outputs = {el.get("id") for el in doc.xpath("bpmn:ioSpecification/bpmn:dataOutput", activity)}
        mapped = [a for a in doc.xpath("bpmn:dataInputAssociation", activity)
                  if (doc.xpath("string(bpmn:targetRef)", a) or "").strip() in inputs]
        mapped += [a for a in doc.xpath("bpmn:dataOutputAssociation", activity)
                   if any(ref.strip() in outputs for ref in doc.xpath("bpmn:sourceRef/text()", a))]
        if mapped:
            yield activity.get("id"), ("data associations to the task's ioSpecification dataInput/dataOutput are "
                                       "not supported (SpiffWorkflow ignores the mapping and uses the data "
                                       "object's id as the variable): associate the data object directly")
    for assoc in doc.xpath(".//bpmn:dataInputAssociation[bpmn:transformation or bpmn:assignment]"
                           " | .//bpmn:dataOutputAssociation[bpmn:transformation or bpmn:assignment]"):
        yield assoc.getparent().get("id"), ("data association transformations and assignments are not supported "
                                            "(SpiffWorkflow ignores them)")


# Camunda 7 extensions that carry code (Java classes, JUEL expressions, scripts) or map variables:
# Camunda runs them, SpiffWorkflow reads none of them (diwan's event parsers are plain BPMN, so even
# a message's camunda:expression payload is dropped). Refused rather than silently skipped.
CAMUNDA_CODE_ELEMENTS = {
    "executionListener": "execution listeners", "taskListener": "task listeners",
    "inputOutput": "input/output mappings", "in": "call activity variable mappings (camunda:in)",
    "out": "call activity variable mappings (camunda:out)", "script": "Camunda scripts",
    "connector": "Camunda connectors", "field": "injected fields", "errorEventDefinition":
    "Camunda error event definitions", "expression": "Camunda expressions",
}
CAMUNDA_CODE_ATTRIBUTES = {
    "expression": "camunda:expression", "delegateExpression": "camunda:delegateExpression",
    "class": "camunda:class (Java delegates)", "resultVariable": "camunda:resultVariable",
    "variableMappingClass": "camunda:variableMappingClass",
    "variableMappingDelegateExpression": "camunda:variableMappingDelegateExpression",
}


_CAMUNDA_ANY = etree.XPath("//camunda:* | //*[@camunda:*]", namespaces={"camunda": CAMUNDA_NS})


def camunda_code(doc: _Document) -> Found:
    """Camunda code and variable mappings (listeners, input/output, camunda:expression, camunda:class,
    camunda:resultVariable, ...): SpiffWorkflow ignores them, so what they would compute never happens.
    Service tasks name a connector with camunda:topic instead; decisions write each output column to
    the variable of its name; scripts go in script tasks."""
    for el in _CAMUNDA_ANY(doc.root):
        qname = etree.QName(el)
        if qname.namespace == CAMUNDA_NS and qname.localname in CAMUNDA_CODE_ELEMENTS:
            yield _owner_id(el), (f"{CAMUNDA_CODE_ELEMENTS[qname.localname]} (camunda:{qname.localname}) are not "
                                  "supported: SpiffWorkflow ignores them")
        for attr, what in CAMUNDA_CODE_ATTRIBUTES.items():
            if el.get(f"{{{CAMUNDA_NS}}}{attr}") is not None:
                yield _owner_id(el), f"{what} is not supported: SpiffWorkflow ignores it"


ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_ZEEBE_ANY = etree.XPath("//zeebe:* | //*[@zeebe:*]", namespaces={"zeebe": ZEEBE_NS})


def zeebe_extensions(doc: _Document) -> Found:
    """Camunda 8 (Zeebe) extension elements and attributes (zeebe:taskDefinition, zeebe:ioMapping,
    zeebe:formDefinition, zeebe:calledElement, ...): diwan reads Camunda 7's extensions only, so
    what they say (job types, mappings, forms, assignments) would be dropped silently. Camunda 8's
    FEEL conditions (`= expr`) are read (literals.feel_condition_to_python)."""
    for el in _ZEEBE_ANY(doc.root):
        qname = etree.QName(el)
        what = (f"zeebe:{qname.localname}" if qname.namespace == ZEEBE_NS
                else ", ".join(f"zeebe:{etree.QName(a).localname}" for a in el.attrib
                               if etree.QName(a).namespace == ZEEBE_NS))
        yield _owner_id(el), (f"Camunda 8 (Zeebe) extensions ({what}) are not supported: diwan reads Camunda 7 "
                              "extensions (camunda:*) only")


def _owner_id(el: etree._Element) -> str | None:
    """The id of the nearest element (itself or an ancestor) that has one."""
    while el is not None:
        if el.get("id"):
            return el.get("id")
        el = el.getparent()
    return None


Rule = Callable[[_Document], Found]

RULES: tuple[Rule, ...] = (
    reserved_ids,
    link_events,
    signal_end_events,
    compensation,
    conditional_events,
    event_definition_refs,
    multiple_events,
    ignored_event_definitions,
    nested_event_subprocesses,
    event_subprocess_start_events,
    interrupting_boundary_thrown_inside,
    complex_gateways,
    ad_hoc_subprocesses,
    implicit_splits,
    ignored_flow_conditions,
    multi_instance_behavior,
    token_quantities,
    loop_values,
    global_task_calls,
    instantiating_receive_tasks,
    data_association_mappings,
    camunda_code,
    zeebe_extensions,
)


def unsupported_constructs(root: etree._Element, filename: str) -> list[dict]:
    """The constructs of one BPMN file that diwan refuses at deploy time.

    Args:
        root: the parsed `bpmn:definitions` element (an ElementTree is accepted too).
        filename: the file name to put in each problem.

    Returns:
        `problem(file, element, message)` dicts, in rule order then document order; empty if the
        file uses only constructs that SpiffWorkflow runs faithfully.
    """
    if hasattr(root, "getroot"):
        root = root.getroot()
    doc = _Document(root)
    found: list[dict] = []
    seen: set[tuple[str | None, str]] = set()
    for rule in RULES:
        for element, message in rule(doc):
            if (element, message) not in seen:
                seen.add((element, message))
                found.append(problem(filename, element, message))
    return found
