"""Deploy-time checks that a BPMN document is whole: ids, references, sizes.

SpiffWorkflow's parser assumes a diagram as bpmn-js draws it. Handed anything else it
crashes (a business rule task without `camunda:decisionRef` is a KeyError, a boundary event
without a definition a NotImplementedError, a message reference to nothing a TypeError), or
it says something misleading ("perhaps a form has the same ID?" for a flow to nowhere), or it
accepts the diagram and builds a broken spec (duplicate ids overwrite each other, a flow into
a sub-process joins two scopes). These rules run before it, on the untranslated tree, and name
the element and the reason. Sizes are bounded by the database columns the values end up in
(definition keys, task rows, timers, subscriptions).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator

from lxml import etree

from ..errors import problem
from ..messages import Msg, msg

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
DC = "http://www.omg.org/spec/DD/20100524/DC"
NS = {"bpmn": BPMN, "camunda": CAMUNDA, "dc": DC}

ACTIVITIES = frozenset({
    "task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity",
})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
                      "complexGateway"})
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
# Elements SpiffWorkflow (or diwan) finds by id: each needs one.
NEEDS_ID = FLOW_NODES | {"process", "sequenceFlow", "message", "signal", "error", "escalation",
                         "correlationProperty", "dataObject", "dataObjectReference", "dataStoreReference"}

# Database columns the values are stored in (engine/db/*.py).
MAX_ID = 255  # definition.key, task.element_id, timer.element_id, ...
MAX_NAME = 500  # definition.name, task.name
MAX_GROUP = 255  # task_candidate.name, task.lane
MAX_USER = 150  # task.assignee, users
MAX_REF = 255  # form keys, decision keys, connector names, message names
# xsd:ID is an NCName: a letter or '_' first, then letters, digits, '_', '-', '.'. SpiffWorkflow
# also pastes ids into XPath expressions between quotes, which such an id cannot break.
_NCNAME = re.compile(r"[^\W\d][\w.\-]*")

Found = Iterator[tuple[str | None, Msg]]


def local(el: etree._Element) -> str:
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def _is_bpmn(el) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith("{" + BPMN + "}")


def _describe(el: etree._Element) -> Msg:
    name = el.get("name")
    if name:
        return msg("a bpmn:{tag} named {name}", tag=local(el), name=repr(_short(name)))
    return msg("a bpmn:{tag}", tag=local(el))


def _short(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[:size] + "..."


class _Index:
    """The document's BPMN elements by id, and each flow element's scope."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.elements = list(root.iter(f"{{{BPMN}}}*"))
        self.by_id: dict[str, etree._Element] = {}
        self.by_tag: dict[str, list[etree._Element]] = {}
        self._scopes: dict[int, tuple] = {}
        for el in self.elements:
            self.by_tag.setdefault(local(el), []).append(el)
            if el.get("id") is not None and el is not root:
                self.by_id.setdefault(el.get("id"), el)

    def of(self, *tags: str) -> list[etree._Element]:
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        return [el for el in self.elements if local(el) in tags]

    def scope(self, el: etree._Element) -> etree._Element | None:
        """`scope_of`, remembered per parent element."""
        parent = el.getparent()
        if parent is None:
            return None
        key = id(parent)  # the entry keeps the parent alive, so the id stays its own
        if key not in self._scopes:
            self._scopes[key] = (parent, parent if _is_bpmn(parent) and local(parent) in SCOPES
                                 else self.scope(parent))
        return self._scopes[key][1]

    def named(self, ref: str | None, *tags: str) -> etree._Element | None:
        el = self.by_id.get(ref or "")
        return el if el is not None and local(el) in tags else None


def scope_of(el: etree._Element) -> etree._Element | None:
    """The process or sub-process an element belongs to."""
    parent = el.getparent()
    while parent is not None and not (_is_bpmn(parent) and local(parent) in SCOPES):
        parent = parent.getparent()
    return parent


# ---------------------------------------------------------------------------------------------------
# Rules: each takes the index and yields (element id, message).
# ---------------------------------------------------------------------------------------------------

def ids(doc: _Index) -> Found:
    """Ids: present where SpiffWorkflow needs one, NCNames (as xsd:ID says), unique, not too long."""
    seen: dict[str, etree._Element] = {}
    for el in doc.elements:
        if el is doc.root:  # the definitions' own id is never looked up
            continue
        eid = el.get("id")
        if eid is None:
            if local(el) in NEEDS_ID:
                yield None, msg("{element} has no id (every process, flow element, message, signal, error and "
                             "escalation needs one)", element=_describe(el))
            continue
        if len(eid) > MAX_ID:
            yield None, msg("the id {id} is too long ({length} characters, at most {limit})", id=repr(_short(eid)),
                             length=len(eid), limit=MAX_ID)
        elif not _NCNAME.fullmatch(eid):
            yield None, msg("the id {id} of {element} is not a valid XML id (a letter or '_' first, then letters, "
                         "digits, '_', '-' or '.')", id=repr(_short(eid)), element=_describe(el))
        elif eid in seen:
            yield eid, msg("the id {id} is used twice (by a bpmn:{first} and a bpmn:{second})", id=repr(eid),
                            first=local(seen[eid]), second=local(el))
        else:
            seen[eid] = el


_CAMUNDA_LIMITS = {f"{{{CAMUNDA}}}{attr}": (attr, most, listed) for attr, most, listed in (
    ("candidateGroups", MAX_GROUP, True), ("candidateUsers", MAX_USER, True), ("assignee", MAX_USER, False),
    ("formKey", MAX_REF, False), ("formRef", MAX_REF, False), ("topic", MAX_REF, False),
    ("decisionRef", MAX_REF, False), ("dueDate", MAX_REF, False), ("priority", MAX_REF, False))}


def sizes(doc: _Index) -> Found:
    """Names and Camunda attributes that would not fit the columns they are stored in."""
    for el in doc.elements:
        for key, value in el.attrib.items():
            if len(value) <= MAX_USER:
                continue
            if key == "name":
                limit = MAX_GROUP if local(el) in ("lane", "message", "signal") else MAX_NAME
                if len(value) > limit:
                    yield _id(el), msg("the name of {element} is too long ({length} characters, at most {limit})",
                                             element=_describe(el), length=len(value), limit=limit)
            elif key == "calledElement" and len(value) > MAX_ID:
                yield _id(el), msg("calledElement is too long ({length} characters, at most {limit})",
                                         length=len(value), limit=MAX_ID)
            elif key in _CAMUNDA_LIMITS:
                attr, most, listed = _CAMUNDA_LIMITS[key]
                longest = max((p.strip() for p in value.split(",")), key=len) if listed else value
                if len(longest) > most:
                    yield _id(el), msg("camunda:{attr} {value} is too long ({length} characters, at most {limit})",
                                        attr=attr, value=repr(_short(longest)), length=len(longest), limit=most)


def _id(el: etree._Element) -> str | None:
    return el.get("id") if el.get("id") and len(el.get("id")) <= MAX_ID else None


def sequence_flows(doc: _Index) -> Found:
    """A sequence flow joins two flow nodes of its own process or sub-process."""
    for flow in doc.of("sequenceFlow"):
        scope = doc.scope(flow)
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            node = doc.by_id.get(ref or "")
            if not ref:
                yield _id(flow), msg("the sequence flow has no {attr}", attr=end)
            elif node is None or not _is_bpmn(node):
                yield _id(flow), msg("{attr} {ref} of the sequence flow names no task, event or gateway", attr=end,
                                       ref=repr(_short(ref)))
            elif local(node) not in FLOW_NODES:
                yield _id(flow), msg("{attr} of the sequence flow names {ref}, a bpmn:{tag}, which is not a task, event "
                                  "or gateway that diwan runs", attr=end, ref=repr(ref), tag=local(node))
            elif doc.scope(node) is not scope:
                yield _id(flow), msg("the sequence flow joins {ref}, which is in another process or sub-process: a "
                                  "sequence flow stays inside its own", ref=repr(ref))
            elif end == "targetRef" and local(node) in ("startEvent", "boundaryEvent"):
                yield _id(flow), msg("a sequence flow cannot lead into a {tag} ({ref})", tag=local(node), ref=repr(ref))
            elif end == "sourceRef" and local(node) == "endEvent":
                yield _id(flow), msg("a sequence flow cannot leave an end event ({ref})", ref=repr(ref))


def defaults(doc: _Index) -> Found:
    """A gateway's or activity's `default` names one of its own outgoing flows."""
    for el in doc.elements:
        default = el.get("default")
        if default is None or local(el) not in FLOW_NODES:
            continue
        flow = doc.named(default, "sequenceFlow")
        if flow is None or flow.get("sourceRef") != el.get("id"):
            yield _id(el), msg("default {ref} is not one of the element's outgoing sequence flows",
                                  ref=repr(_short(default)))


def boundary_events(doc: _Index) -> Found:
    """A boundary event is attached to an activity of its scope and has an event definition."""
    for event in doc.of("boundaryEvent"):
        ref = event.get("attachedToRef")
        activity = doc.by_id.get(ref or "")
        if not ref:
            yield _id(event), msg("the boundary event has no attachedToRef")
        elif activity is None or not _is_bpmn(activity) or local(activity) not in ACTIVITIES:
            yield _id(event), msg("attachedToRef {ref} of the boundary event names no activity", ref=repr(_short(ref)))
        elif doc.scope(activity) is not doc.scope(event):
            yield _id(event), msg("the boundary event is not in the process or sub-process of its activity")
        if not any(_is_bpmn(c) and (local(c).endswith("EventDefinition") or local(c) == "eventDefinitionRef")
                   for c in event):
            yield _id(event), msg("a boundary event needs an event definition (timer, message, signal, error, ...)")


_REFS = (("messageEventDefinition", "messageRef", "message"), ("signalEventDefinition", "signalRef", "signal"),
         ("errorEventDefinition", "errorRef", "error"), ("escalationEventDefinition", "escalationRef", "escalation"),
         ("sendTask", "messageRef", "message"), ("receiveTask", "messageRef", "message"))


def event_references(doc: _Index) -> Found:
    """messageRef, signalRef, errorRef and escalationRef name a message, signal, error or escalation
    of this file (SpiffWorkflow fails on them with a TypeError). Messages and signals go by name
    (the message's or signal's, else the event's): a nameless one would be subscribed to as NULL."""
    for tag, attr, target in _REFS:
        for el in doc.of(tag):
            ref = el.get(attr)
            owner = el if tag in ("sendTask", "receiveTask") else el.getparent()
            if ref is not None and doc.named(ref, target) is None:
                yield _id(owner), msg("{attr} {ref} names no bpmn:{target} of this file", attr=attr, ref=repr(_short(ref)),
                                          target=target)
            elif target in ("message", "signal") and (tag.endswith("EventDefinition") or ref is not None):
                named = doc.named(ref, target) if ref is not None else owner
                if not (named.get("name") or "").strip():
                    yield _id(owner), (msg("the bpmn:{target} {ref} has no name (messages and signals go by name)",
                                           target=target, ref=repr(ref))
                                       if ref is not None else
                                       msg("a {target} event needs a {attr} naming a bpmn:{target} (or a name of "
                                           "its own)", target=target, attr=attr))


def tasks_with_targets(doc: _Index) -> Found:
    """Business rule tasks name a decision, call activities a process (KeyError in SpiffWorkflow)."""
    for task in doc.of("businessRuleTask"):
        spiff = task.find("bpmn:extensionElements/{http://spiffworkflow.org/bpmn/schema/1.0/core}calledDecisionId",
                          NS)  # SpiffArena's form (spiff_dialect.py)
        if not (task.get(f"{{{CAMUNDA}}}decisionRef") or "").strip() and spiff is None:
            yield _id(task), msg("a business rule task needs camunda:decisionRef naming a deployed decision "
                              "(SpiffArena: spiffworkflow:calledDecisionId)")
    for call in doc.of("callActivity"):
        if not (call.get("calledElement") or "").strip():
            yield _id(call), msg("a call activity needs calledElement naming a deployed process")


def timers(doc: _Index) -> Found:
    """A timer definition holds exactly one timeDate, timeDuration or timeCycle, and an event at most one
    timer definition: SpiffWorkflow reads the first `.//bpmn:timeDate` (then timeDuration, timeCycle)
    anywhere under the event, whatever definition it sits in."""
    for definition in doc.of("timerEventDefinition"):
        values = [c for c in definition if _is_bpmn(c) and local(c) in ("timeDate", "timeDuration", "timeCycle")]
        owner = _id(definition.getparent())
        if not values:
            yield owner, msg("a timer needs a timeDate, timeDuration or timeCycle")
        elif len(values) > 1:
            yield owner, msg("a timer has one timeDate, timeDuration or timeCycle, not {count} ({names})",
                          count=len(values), names=", ".join(local(v) for v in values))
    for event in doc.of(*EVENTS):
        if len([c for c in event if _is_bpmn(c) and local(c) == "timerEventDefinition"]) > 1:
            yield _id(event), msg("an event with several timer definitions is not supported")


def data_references(doc: _Index) -> Found:
    """Data associations name a data object reference whose data object belongs to the element's
    process or sub-process, or to the one directly around it. SpiffWorkflow looks no further, and
    when the object is in neither it does not fail: it loops forever (NodeParser.
    _resolve_data_object_ref), which would hang the deployment. It also pastes the names into XPath."""
    for tag, child in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for assoc in doc.of(tag):
            owner = assoc.getparent()
            for ref in assoc.iterfind(f"bpmn:{child}", NS):
                name = (ref.text or "").strip()
                target = doc.named(name, "dataObjectReference", "dataStoreReference")
                if target is None:
                    yield _id(owner), msg("the {tag}'s {attr} {ref} names no data object reference", tag=tag, attr=child,
                                            ref=repr(_short(name)))
                    continue
                obj = doc.named(target.get("dataObjectRef"), "dataObject")
                scope = doc.scope(owner)
                visible = (scope, doc.scope(scope) if scope is not None else None)
                if local(target) == "dataObjectReference" and (obj is None or doc.scope(obj) not in visible
                                                               or obj.getparent() is not doc.scope(obj)):
                    yield _id(owner), msg("the data object of {ref} is not declared in this process or sub-process or the "
                                       "one directly around it (SpiffWorkflow looks nowhere else)", ref=repr(name))
    for ref in doc.of("dataObjectReference"):
        if doc.named(ref.get("dataObjectRef"), "dataObject") is None:
            yield _id(ref), msg("dataObjectRef {ref} names no bpmn:dataObject",
                                  ref=repr(_short(ref.get("dataObjectRef") or "")))
    for store in doc.of("dataStore", "dataStoreReference"):
        yield _id(store), msg("data stores are not supported (diwan has no data store implementation)")


def correlations(doc: _Index) -> Found:
    """Correlation properties: an id, and retrieval expressions each naming a message of this file and
    holding an expression (the expression itself is checked in expressions.py)."""
    for prop in doc.of("correlationProperty"):
        expressions = prop.findall(".//bpmn:correlationPropertyRetrievalExpression", NS)
        if not expressions:
            yield _id(prop), msg("a correlation property needs a correlationPropertyRetrievalExpression")
        for expr in expressions:
            ref = expr.get("messageRef")
            if doc.named(ref, "message") is None:
                yield _id(prop), (msg("the correlation property's retrieval expression names message {ref}, which is "
                                      "no bpmn:message of this file", ref=repr(ref)) if ref else
                                  msg("a correlationPropertyRetrievalExpression needs a messageRef"))


def diagram_bounds(doc: _Index) -> Found:
    """Diagram shapes have numeric bounds (SpiffWorkflow reads x and y as floats to order branches)."""
    for bounds in doc.root.iterfind(".//dc:Bounds", NS):
        for attr in ("x", "y"):
            value = bounds.get(attr, "0")
            try:
                ok = math.isfinite(float(value))
            except ValueError:
                ok = False
            if not ok:
                shape = bounds.getparent()
                yield shape.get("bpmnElement") if shape is not None else None, (
                    msg("the diagram bounds have {attr}={value}, not a number", attr=attr, value=repr(_short(value))))


RULES = (ids, sizes, sequence_flows, defaults, boundary_events, event_references, tasks_with_targets, timers,
         data_references, correlations, diagram_bounds)


def structure_problems(root: etree._Element, filename: str) -> list[dict]:
    """What keeps SpiffWorkflow's parser from reading this BPMN document faithfully.

    Returns:
        `problem(file, element, message)` dicts, in rule order then document order.
    """
    doc = _Index(root)
    found: list[dict] = []
    seen: set[tuple[str | None, str]] = set()
    for rule in RULES:
        for element, message in rule(doc):
            if (element, message) not in seen:
                seen.add((element, message))
                found.append(problem(filename, element, message))
    return found
