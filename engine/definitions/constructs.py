"""Deploy-time refusal of BPMN constructs that SpiffWorkflow would ignore or run unfaithfully."""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any

from lxml import etree

from engine.errors import problem
from engine.messages import Msg, msg

from .camunda_check import camunda_problems
from .transforms import apply_transforms, origin
from .transforms.reserved_ids import RESERVED_IDS, RESERVED_SUFFIXES

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
# (events and gateways with such an id are renamed by transforms/reserved_ids.py)

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

Found = Iterator[tuple[str | None, Msg]]


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
    process replace the internal spec: parsing succeeds but the process has no tasks (§1.2).
    Events and gateways are renamed (transforms/reserved_ids.py; betsy WCP19_CancelTask); what is
    left here is an activity (its id is the one of task rows, forms and timers) or another element."""
    for el in doc.xpath(".//bpmn:process//*[@id]"):
        eid = el.get("id")
        if eid in RESERVED_IDS or eid.endswith(RESERVED_SUFFIXES):
            yield eid, msg('the id "{id}" is reserved (it collides with a SpiffWorkflow internal task name and the '
                            "process would silently lose its tasks): rename the element", id=eid)


def link_events(doc: _Document) -> Found:
    """Link events that transforms/links.py could not pair. SpiffWorkflow parses no
    linkEventDefinition; a throw and the one catch of the same name in the same process or
    sub-process become a sequence flow (betsy Link_Event). Left here: a throw without its catch (or
    with several, or with an outgoing flow), a catch without its throw (or with an incoming flow)."""
    for event in doc.xpath(".//bpmn:linkEventDefinition/.."):
        yield event.get("id"), msg("a link event needs its pair: one link throw event and one link catch event of the "
                                "same name in the same process or sub-process, the throw without outgoing flow "
                                "and the catch without incoming flow (SpiffWorkflow would ignore it silently)")


def signal_end_events(doc: _Document) -> Found:
    """Signal end events that transforms/signal_ends.py did not split into a signal throw event and a
    none end event (betsy Signal_EndEvent, Signal_EndEvent_SubProcess pass through it): none is left
    after it, the rule guards the parse (SpiffWorkflow's end event parser drops the signal)."""
    for event in doc.xpath(".//bpmn:endEvent[bpmn:signalEventDefinition]"):
        yield event.get("id"), msg("signal end events are not supported (SpiffWorkflow drops the signal, so it is "
                                "never sent): use an intermediate signal throw event before a none end event")


def compensation(doc: _Document) -> Found:
    """Compensation of any kind (compensation events, compensation handlers, their associations):
    SpiffWorkflow has no compensation (betsy Compensation_*)."""
    boundary_ids = set()
    for event in doc.xpath(".//bpmn:compensateEventDefinition/.."):
        if local_name(event) == "boundaryEvent":
            boundary_ids.add(event.get("id"))
        yield event.get("id"), msg("compensation events are not supported (SpiffWorkflow has no compensation)")
    for activity in doc.xpath(".//*[@isForCompensation='true']"):
        yield activity.get("id"), msg("compensation handlers (isForCompensation) are not supported "
                                   "(SpiffWorkflow has no compensation)")
    for assoc in doc.all("association"):
        if assoc.get("sourceRef") in boundary_ids:
            yield assoc.get("id"), msg("compensation associations are not supported (SpiffWorkflow has no compensation)")


def conditional_events(doc: _Document) -> Found:
    """Conditional start events. Intermediate catch and boundary conditional events are supported:
    SpiffWorkflow evaluates the condition once, when the event is reached, and the engine evaluates
    the waiting ones again after every command's steps (WorkflowRun._refresh_conditions); the start
    events of event sub-processes inside a sub-process become conditional boundary events
    (transforms/event_subprocesses.py). What is left: a conditional start event of a process (no
    instance exists to evaluate it on) or of an event sub-process at process level (SpiffWorkflow
    never fires it: betsy Conditional_StartEvent_EventSubProcess_* before the transformation)."""
    for event in doc.xpath(".//bpmn:startEvent[bpmn:conditionalEventDefinition]"):
        if _is_event_subprocess(event.getparent()):
            yield event.get("id"), msg("this conditional start event of an event sub-process at process level is not "
                                    "supported (SpiffWorkflow never fires it; diwan runs it when the process starts "
                                    "by one none start event and has an end event and no data objects)")
        else:
            yield event.get("id"), msg("conditional start events of a process are not supported (no instance exists "
                                    "to evaluate the condition on)")


def event_definition_refs(doc: _Document) -> Found:
    """eventDefinitionRef that names no event definition declared at the definitions level: the ones
    that do are copied into their event (transforms/shared_definitions.py; betsy EventDefinitionRef_*).
    SpiffWorkflow would run the event as a none event."""
    shared = {d.get("id") for d in doc.root if isinstance(d.tag, str) and local_name(d).endswith("EventDefinition")}
    for ref in doc.xpath(".//bpmn:eventDefinitionRef"):
        name = (ref.text or "").strip()
        if _local_ref(name) in shared:  # left by the transformation: past its copy budget
            yield ref.getparent().get("id"), msg("the shared event definition {ref} is referred to too often for its "
                                                  "size (diwan copies it into each event, within 1 MB per file): "
                                                  "put the definition inside the event", ref=repr(name[:80]))
            continue
        yield ref.getparent().get("id"), msg("eventDefinitionRef {ref} names no event definition declared at the "
                                              "definitions level of this file (SpiffWorkflow would run a none "
                                              "event)", ref=repr(name[:80]))


def multiple_events(doc: _Document) -> Found:
    """Multiple and parallel-multiple events. SpiffWorkflow runs them faithfully only as intermediate
    catch or throw events (betsy Multiple_* pass); on start, end and boundary events it is untested
    here and refused."""
    for event in doc.all("startEvent", "endEvent", "boundaryEvent"):
        count = len(_definitions(event)) + len(doc.xpath("bpmn:eventDefinitionRef", event))
        if count > 1:
            yield event.get("id"), msg("{tag}s with several event definitions (multiple events) are not supported: "
                                        "only intermediate events may have several", tag=local_name(event))
        elif event.get("parallelMultiple") == "true":
            yield event.get("id"), msg("parallel multiple {tag}s are not supported", tag=local_name(event))


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
            yield event.get("id"), msg("{kind} definitions on a {tag} are not supported (SpiffWorkflow ignores them and "
                                        "runs a none event)", kind=kind, tag=tag)


def nested_event_subprocesses(doc: _Document) -> Found:
    """Event sub-processes inside a sub-process that transforms/event_subprocesses.py did not turn into
    a boundary event of that sub-process (SpiffWorkflow never triggers their message, signal or
    conditional start events, starts error or escalation ones at once and does not interrupt with
    timer ones; betsy *_StartEvent_EventSubProcess_*, all nested, pass through the transformation).
    Left here: several start events or event definitions, a kind other than error, escalation,
    message, signal, timer or conditional, a non-interrupting one whose content can wait, one in a
    loop or multi-instance sub-process, one whose event a boundary event of the sub-process (or
    another event sub-process in it) also catches, and event sub-processes inside an event
    sub-process."""
    for esp in doc.xpath(".//bpmn:subProcess[@triggeredByEvent='true']"):
        parent = esp.getparent()
        if parent is not None and local_name(parent) != "process":
            yield esp.get("id"), msg("this event sub-process inside a sub-process is not supported: diwan runs one with "
                                  "one start event of one kind (error, escalation, message, signal, timer, "
                                  "conditional), in a sub-process that is not itself an event sub-process nor a "
                                  "loop or multi-instance, whose event no boundary event of the sub-process catches "
                                  "too, and a non-interrupting one only when its content cannot wait (no user, "
                                  "receive or service task, catch event or sub-process)")


def event_subprocess_start_events(doc: _Document) -> Found:
    """Start events of event sub-processes. SpiffWorkflow ignores `isInterrupting` (nothing reads it):
    an interrupting event sub-process lets the main flow run on. It parses no error or escalation
    definition on start events, so those event sub-processes start at once with the process (betsy
    Error_/Escalation_StartEvent_EventSubProcess_*; the non-interrupting escalation test passes only by
    this accident). A timer start connects the event sub-process as a parallel branch: it never
    interrupts, and its scope does not complete until the timer has fired (for a cycle, every time).
    What works: a non-interrupting message or signal start of an event sub-process at process level,
    and the others once a transformation made them boundary events (transforms/event_subprocesses.py
    inside a sub-process, transforms/process_event_subprocesses.py at process level, which wraps the
    process's content): what this rule still sees was left by both."""
    for esp in doc.xpath(".//bpmn:subProcess[@triggeredByEvent='true']"):
        for start in doc.xpath("bpmn:startEvent", esp):
            kinds = {_kind(d) for d in _definitions(start)} - {"conditional", "compensate", "link"}
            interrupting = start.get("isInterrupting", "true") != "false"
            if not _definitions(start) and not doc.xpath("bpmn:eventDefinitionRef", start):
                yield start.get("id"), msg("an event sub-process start event without an event definition is not "
                                        "supported (SpiffWorkflow starts it at once)")
            elif kinds & {"error", "escalation"}:
                kind = sorted(kinds & {"error", "escalation"})[0]
                yield start.get("id"), msg("{kind} start events of event sub-processes are not supported "
                                            "(SpiffWorkflow ignores the {kind} definition and starts the event "
                                            "sub-process at once)", kind=kind)
            elif "timer" in kinds:
                yield start.get("id"), msg("timer start events of event sub-processes are not supported "
                                        "(SpiffWorkflow runs them as a parallel branch: they never interrupt and "
                                        "keep the process running until the timer fires): use a boundary timer")
            elif kinds and interrupting:
                kind = "/".join(sorted(kinds))
                yield start.get("id"), msg("interrupting {kind} start events of event sub-processes are not supported "
                                            "(SpiffWorkflow ignores isInterrupting and lets the main flow run "
                                            'on): set isInterrupting="false" or use an interrupting boundary '
                                            "event", kind=kind)


def complex_gateways(doc: _Document) -> Found:
    """Complex gateways: no SpiffWorkflow parser (betsy ComplexGateway, WCP06/WCP09 complex)."""
    for gateway in doc.all("complexGateway"):
        yield gateway.get("id"), msg("complex gateways are not supported by SpiffWorkflow: "
                                  "use inclusive or parallel gateways")


def ad_hoc_subprocesses(doc: _Document) -> Found:
    """Ad-hoc sub-processes: sequential ordering is rejected, and without a completionCondition the
    run crashes (eval(None)); betsy AdHocSubProcess_*, WCP17."""
    for sub in doc.all("adHocSubProcess"):
        yield sub.get("id"), msg("ad-hoc sub-processes are not supported (SpiffWorkflow runs them unfaithfully)")


def implicit_splits(doc: _Document) -> Found:
    """Activities (and intermediate or boundary events) with several outgoing sequence flows that
    transforms/implicit_splits.py left without a gateway (it gives one to every such node of a
    process, sub-process or transaction; betsy SequenceFlow_Conditional*, Token_Cardinality_Split_*,
    WCP06_MultiChoice_Implicit pass through it): only nodes of other scopes (ad-hoc sub-processes,
    refused on their own) remain."""
    for node in doc.all(*ACTIVITY_TAGS, "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        if len(doc.outgoing.get(node.get("id"), [])) > 1:
            if local_name(node).endswith("Event"):
                yield node.get("id"), msg("an event with several outgoing sequence flows (implicit split) is "
                                          "not supported: use a gateway")
            else:
                yield node.get("id"), msg("an activity with several outgoing sequence flows (implicit split) is "
                                          "not supported: use a gateway")


def ignored_flow_conditions(doc: _Document) -> Found:
    """A condition on a sequence flow that leaves a start event: SpiffWorkflow ignores it and always
    takes the flow. Conditional flows out of an activity or intermediate event (alone or several)
    get a gateway (transforms/implicit_splits.py); the conditions on the flows of a parallel gateway
    are ignored as BPMN says (betsy ParallelGateway_Conditions passes)."""
    for flow in doc.xpath(".//bpmn:sequenceFlow[bpmn:conditionExpression]"):
        source = doc.by_id.get(flow.get("sourceRef"))
        if source is None or local_name(source).endswith("Gateway"):
            continue
        if local_name(source) == "startEvent" or len(doc.outgoing.get(source.get("id"), [])) == 1:
            yield flow.get("id"), msg("a condition on a sequence flow that does not leave a gateway is not supported "
                                   "(SpiffWorkflow ignores it): use an exclusive gateway")


def multi_instance_behavior(doc: _Document) -> Found:
    """Multi-instance `behavior` other than All (None, One, Complex) and complexBehaviorDefinition:
    SpiffWorkflow never throws the behavior events (betsy MultiInstance_*Behavior, WCP09, WCP12)."""
    for mi in doc.xpath(".//bpmn:multiInstanceLoopCharacteristics"):
        activity = mi.getparent()
        behavior = mi.get("behavior", "All")
        if behavior != "All":
            yield activity.get("id"), msg('multi-instance behavior "{behavior}" is not supported (SpiffWorkflow never '
                                           'throws its events): use behavior "All"', behavior=behavior)
        elif doc.xpath("bpmn:complexBehaviorDefinition", mi):
            yield activity.get("id"), msg("multi-instance complexBehaviorDefinition is not supported "
                                       "(SpiffWorkflow ignores it)")


def token_quantities(doc: _Document) -> Found:
    """startQuantity / completionQuantity that transforms/token_quantities.py does not run: integers
    above 1 become a token-counting join or a token-multiplying gateway (betsy Token_Cardinality_*,
    Token_StartQuantity_Two); left here are 0 and values that are no integer (SpiffWorkflow would
    ignore them: betsy Token_StartQuantity_Zero, Token_CompletionQuantity_Zero), and completionQuantity
    on an activity whose outgoing flows are conditional or default."""
    for activity in doc.xpath(".//*[@startQuantity or @completionQuantity]"):
        for attr in ("startQuantity", "completionQuantity"):
            value = activity.get(attr)
            if value is not None and value.strip() != "1":
                yield activity.get("id"), msg('{attr}="{value}" is not supported: a token quantity is an integer of at '
                                               "least 1 (completionQuantity at most 100, and above 1 only with "
                                               "unconditional outgoing flows)", attr=attr, value=value[:20])


def loop_values(doc: _Document) -> Found:
    """A negative or non-integer loopMaximum, and a constant loopCardinality that is negative or not
    an integer: SpiffWorkflow accepts them and runs something (betsy LoopTask_NegativeLoopMaximum,
    MultiInstanceTask_NegativeLoopCardinality). Expressions are left to run time."""
    for loop in doc.xpath(".//bpmn:standardLoopCharacteristics[@loopMaximum]"):
        value = loop.get("loopMaximum").strip()
        if not value.lstrip("+-").isdigit() or int(value) < 0:
            yield loop.getparent().get("id"), msg('loopMaximum="{value}" is not supported: it must be an integer >= 0',
                                                    value=value)
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
                msg("loopCardinality {value} is not supported: a constant cardinality must be an integer >= 0",
                    value=text))


def global_task_calls(doc: _Document) -> Found:
    """Call activities whose calledElement is a global task of this file that transforms/global_tasks.py
    did not inline (globalTask, globalScriptTask, globalUserTask and globalManualTask without an
    ioSpecification are inlined; betsy CallActivity_GlobalTask): SpiffWorkflow only calls processes."""
    global_ids = {el.get("id") for el in doc.xpath("//bpmn:*[starts-with(local-name(), 'global')][@id]")}
    for call in doc.all("callActivity"):
        if _local_ref(call.get("calledElement")) in global_ids:
            yield call.get("id"), msg("call activities to this global task are not supported (diwan runs calls to "
                                   "globalTask, globalScriptTask, globalUserTask and globalManualTask without an "
                                   "ioSpecification): call a process or inline the task")


def instantiating_receive_tasks(doc: _Document) -> Found:
    """Receive tasks with instantiate="true" that transforms/instantiating_receive_tasks.py did not
    make a message start event (it does for the one receive task of a process without start event,
    with no incoming flow nor boundary event: betsy ReceiveTask_Instantiate), and event-based
    gateways that instantiate or are parallel: SpiffWorkflow cannot start a process with them."""
    for task in doc.xpath(".//bpmn:receiveTask[@instantiate='true']"):
        yield task.get("id"), msg('this receive task that starts a process (instantiate="true") is not supported: '
                               "diwan runs one as the only start of a process, with a message, no incoming flow "
                               "and no boundary event; or use a message start event")
    for gateway in doc.xpath(".//bpmn:eventBasedGateway[@instantiate='true' or @eventGatewayType='Parallel']"):
        yield gateway.get("id"), msg('instantiating or parallel event-based gateways are not supported '
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
            yield activity.get("id"), msg("data associations to the task's ioSpecification dataInput/dataOutput are "
                                       "not supported (SpiffWorkflow ignores the mapping and uses the data "
                                       "object's id as the variable): associate the data object directly")
    for assoc in doc.xpath(".//bpmn:dataInputAssociation[bpmn:transformation or bpmn:assignment]"
                           " | .//bpmn:dataOutputAssociation[bpmn:transformation or bpmn:assignment]"):
        yield assoc.getparent().get("id"), msg("data association transformations and assignments are not supported "
                                            "(SpiffWorkflow ignores them)")


def camunda_code(doc: _Document) -> Found:
    """Camunda extensions (camunda:* elements and attributes): each is classified in
    camunda_inventory.py; what diwan does not run (Java delegates, JUEL expressions, Camunda
    Connect, scripts in other languages, ...) or that the inventory does not hold is refused,
    naming the element it belongs to and the reason (camunda_check.py)."""
    yield from camunda_problems(doc.root)


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
        yield _owner_id(el), msg("Camunda 8 (Zeebe) extensions ({names}) are not supported: diwan reads Camunda 7 "
                                  "extensions (camunda:*) only", names=what)


def _designer_id(doc: _Document, element: str | None) -> str | None:
    """The designer's element an id stands for (an element added by a transformation has an origin)."""
    el = doc.by_id.get(element) if element is not None else None
    return origin(el) if el is not None else element


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
    # The rules judge what SpiffWorkflow will be handed: the tree after the deploy-time
    # transformations (transforms/), which turn some constructs into ones it runs faithfully.
    root = apply_transforms(deepcopy(root))
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    doc = _Document(root)
    found: list[dict] = []
    seen: set[tuple[str | None, str]] = set()
    for rule in RULES:
        for element, message in rule(doc):
            element = _designer_id(doc, element)
            if (element, message) not in seen:
                seen.add((element, message))
                found.append(problem(filename, element, message))
    return found
