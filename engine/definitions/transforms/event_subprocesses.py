"""Event sub-processes inside a sub-process become boundary events of that sub-process.

SpiffWorkflow does not trigger event sub-processes nested in a sub-process correctly (it never
starts message, signal or conditional ones, starts error and escalation ones at once and does not
interrupt with timer ones). An event sub-process E inside sub-process S reacts to what happens while
S runs, which is what a boundary event of S does:

- interrupting (`isInterrupting` true, always for error): a boundary event of S, interrupting, whose
  flow leads to E's content (E, no longer triggered by an event, moved next to S); when it
  completes, the flow goes on where S's would (S's outgoing flows are copied onto E), as BPMN says
  of an interrupting event sub-process: S completes when E does;
- non-interrupting: a non-interrupting boundary event of S leading to E's content, which ends there.
  BPMN keeps S running until E's content completes; the boundary's branch lets S complete first,
  so only contents that cannot wait are transformed (scripts, plain and send tasks, gateways,
  throw and end events): those finish in the step that triggered them, before S can complete.

The start event keeps its id inside E (now a none start event); the boundary event is
`<start id>__boundary`. E must have one start event with one event definition (error, escalation,
message, signal, timer or conditional), S no loop or multi-instance characteristics (a boundary
event would be the whole loop's), and no boundary event of S nor other event sub-process in S may
catch the same event (the event sub-process would catch it first; two boundary events would race).
Anything else stays an event sub-process for the rules of constructs.py to refuse.
"""
from __future__ import annotations

from copy import deepcopy

from lxml import etree

from .base import NS, ORIGIN, CopyBudget, Ids, Scope, definitions_of, local, q

KINDS = {"error", "escalation", "message", "signal", "timer", "conditional"}
MAX_EVENT_SUBPROCESSES = 200  # per document; each is indexed and compared with its siblings
SCOPE_TAGS = ("subProcess", "transaction")
# What a non-interrupting content may hold: nothing that waits.
INSTANT = {"startEvent", "endEvent", "intermediateThrowEvent", "scriptTask", "task", "sendTask",
           "exclusiveGateway", "parallelGateway", "inclusiveGateway", "sequenceFlow", "dataObject",
           "dataObjectReference", "textAnnotation", "association", "documentation", "extensionElements",
           "incoming", "outgoing", "script", "conditionExpression", "property", "dataInputAssociation",
           "dataOutputAssociation", "sourceRef", "targetRef"}


def trigger(esp: etree._Element) -> tuple[etree._Element, etree._Element, bool] | None:
    """(start event, its event definition, interrupting) of an event sub-process this module can
    turn into a boundary event, judged on the event sub-process alone; None when it cannot."""
    starts = esp.findall("bpmn:startEvent", NS)
    if len(starts) != 1 or esp.find("bpmn:eventDefinitionRef", NS) is not None:
        return None
    start = starts[0]
    definitions = definitions_of(start)
    if len(definitions) != 1 or start.find("bpmn:eventDefinitionRef", NS) is not None:
        return None
    kind = local(definitions[0])[: -len("EventDefinition")]
    if kind not in KINDS:
        return None
    interrupting = kind == "error" or start.get("isInterrupting", "true") != "false"
    inside = [el for el in esp.iterdescendants() if isinstance(el.tag, str) and start not in el.iterancestors()]
    if not interrupting and any(local(el) not in INSTANT for el in inside):
        return None
    return start, definitions[0], interrupting


def _transformable(esp: etree._Element) -> tuple[etree._Element, etree._Element, bool] | None:
    parent = esp.getparent()
    if parent is None or local(parent) not in SCOPE_TAGS or parent.get("triggeredByEvent") == "true":
        return None
    if parent.getparent() is None or not parent.get("id"):
        return None
    if parent.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None \
            or parent.find("bpmn:standardLoopCharacteristics", NS) is not None:
        return None  # a boundary event is the whole loop's; the event sub-process is each iteration's
    found = trigger(esp)
    if found is None or _competes(esp, parent, found[1]):
        return None
    return found


_REFS = ("messageRef", "signalRef", "errorRef", "escalationRef")


def _same_trigger(one: etree._Element, other: etree._Element) -> bool:
    """Whether two event definitions may catch the same event (same kind; same or a missing ref)."""
    if local(one) != local(other):
        return False
    if local(one) in ("timerEventDefinition", "conditionalEventDefinition"):
        return False  # each has its own due time or condition
    refs = [(one.get(r), other.get(r)) for r in _REFS if one.get(r) is not None or other.get(r) is not None]
    return all(a is None or b is None or a.rpartition(":")[2] == b.rpartition(":")[2] for a, b in refs)


def _competes(esp: etree._Element, sub: etree._Element, definition: etree._Element) -> bool:
    """Whether a boundary event of the sub-process, or another event sub-process in it, may catch the
    same event: BPMN lets the inner event sub-process catch it first, two boundary events would race."""
    scope = sub.getparent()
    for boundary in scope.findall("bpmn:boundaryEvent", NS):
        if boundary.get("attachedToRef") == sub.get("id") and any(
                _same_trigger(definition, d) for d in definitions_of(boundary)):
            return True
    for other in sub.findall("bpmn:subProcess[@triggeredByEvent='true']", NS):
        if other is not esp and any(_same_trigger(definition, d) for s in other.findall("bpmn:startEvent", NS)
                                    for d in definitions_of(s)):
            return True
    return False


def to_boundary_events(root: etree._Element) -> None:
    esps = root.xpath(".//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS)
    if not esps:
        return
    if len(esps) > MAX_EVENT_SUBPROCESSES:
        return  # left as they are, and refused
    ids, budget = Ids(root), CopyBudget()
    for esp in esps:
        found = _transformable(esp)
        if found is None:
            continue
        start, definition, interrupting = found
        sub = esp.getparent()
        scope = Scope(sub.getparent())  # few event sub-processes (at most MAX_EVENT_SUBPROCESSES): cheap
        if interrupting and not all(budget.take(f) for f in scope.outgoing(sub.get("id"))):
            continue
        boundary = etree.Element(q("boundaryEvent"), id=ids.new(start.get("id"), "boundary"),
                                 attachedToRef=sub.get("id"), cancelActivity="true" if interrupting else "false")
        boundary.set(ORIGIN, start.get("id"))
        if start.get("name"):
            boundary.set("name", start.get("name"))
        start.remove(definition)
        start.attrib.pop("isInterrupting", None)
        boundary.append(definition)
        del esp.attrib["triggeredByEvent"]
        sub.remove(esp)
        scope.add_node(boundary, after=sub)
        scope.add_node(esp, after=boundary)
        scope.add_flow(ids, boundary.get("id"), esp.get("id"), start.get("id"), after=esp)
        if interrupting:
            default = sub.get("default")
            last = esp
            for flow in scope.outgoing(sub.get("id")):
                copy = deepcopy(flow)
                copy.set("id", ids.new(flow.get("id"), "after"))
                copy.set(ORIGIN, flow.get("id"))
                copy.set("sourceRef", esp.get("id"))
                scope.add_flow_copy(flow, copy, after=last)
                last = copy
                if flow.get("id") == default:
                    esp.set("default", copy.get("id"))
