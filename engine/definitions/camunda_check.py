"""Deploy-time check of every Camunda element and attribute of a diagram against the inventory.

Each `camunda:*` element is read as the descriptor type of its name (camunda-bpmn-moddle's
lower-case tag alias), each of its attributes as a property of that type (or of its super
class); each `camunda:*` attribute of a BPMN element as a property of an extension type that
extends the element's BPMN type. What the inventory refuses, or does not hold, is a problem
naming the owning element and the reason. The descriptor's shape is copied below (extends,
super classes, property elements); tests/engine/test_camunda_inventory.py checks the copy
against node_modules/camunda-bpmn-moddle/resources/camunda.json.
"""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..messages import Msg, msg

from .camunda_inventory import ATTRIBUTES, CAMUNDA_INVENTORY, INERT, NOT_YET, REFUSED, Entry

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# Extension types: the BPMN (or Camunda) types whose elements may carry their attributes.
EXTENDS: dict[str, tuple[str, ...]] = {
    "Definitions": ("bpmn:Definitions",),
    "AsyncCapable": ("bpmn:Activity", "bpmn:Gateway", "bpmn:Event"),
    "JobPriorized": ("bpmn:Process", "camunda:AsyncCapable"),
    "SignalEventDefinitionExtension": ("bpmn:SignalEventDefinition",),
    "ErrorEventDefinitionExtension": ("bpmn:ErrorEventDefinition",),
    "Error": ("bpmn:Error",),
    "FormSupported": ("bpmn:StartEvent", "bpmn:UserTask"),
    "TemplateSupported": ("bpmn:Collaboration", "bpmn:Process", "bpmn:FlowElement"),
    "Initiator": ("bpmn:StartEvent",),
    "ScriptTask": ("bpmn:ScriptTask",),
    "Process": ("bpmn:Process",),
    "EscalationEventDefinitionExtension": ("bpmn:EscalationEventDefinition",),
    "FormalExpression": ("bpmn:FormalExpression",),
    "Assignable": ("bpmn:UserTask",),
    "CallActivity": ("bpmn:CallActivity",),
    "ServiceTaskLike": ("bpmn:ServiceTask", "bpmn:BusinessRuleTask", "bpmn:SendTask", "bpmn:MessageEventDefinition"),
    "DmnCapable": ("bpmn:BusinessRuleTask",),
    "ExternalCapable": ("camunda:ServiceTaskLike",),
    "TaskPriorized": ("bpmn:Process", "camunda:ExternalCapable"),
    "Collectable": ("bpmn:MultiInstanceLoopCharacteristics",),
    "ConditionalEventDefinitionExtension": ("bpmn:ConditionalEventDefinition",),
}
# Where diwan reads more than Camunda: a manual task is offered in the inbox like a user task, so it
# takes the assignment attributes (camunda_parser.py reads them on every task).
DIWAN_EXTENDS: dict[str, tuple[str, ...]] = {"Assignable": ("bpmn:ManualTask",)}
# Camunda super classes that carry properties (the descriptor's superClass, "Element" left out).
SUPER: dict[str, tuple[str, ...]] = {
    "In": ("InOutBinding",), "Out": ("InOutBinding",),
    "InputParameter": ("InputOutputParameter",), "OutputParameter": ("InputOutputParameter",),
    "List": ("InputOutputParameterDefinition",), "Map": ("InputOutputParameterDefinition",),
    "Value": ("InputOutputParameterDefinition",), "Script": ("InputOutputParameterDefinition",),
    "Collectable": ("AsyncCapable",),
}
# Properties written as child elements holding text (not attributes, not types of their own).
PROPERTY_ELEMENTS = frozenset({("Connector", "connectorId"), ("InputOutput", "connectorId"),
                               ("Field", "expression"), ("Field", "string")})

_TASKS = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask", "businessRuleTask")
_EXPRESSIONS = ("conditionExpression", "timeDate", "timeDuration", "timeCycle", "loopCardinality",
                "completionCondition", "loopCondition", "formalExpression")


def _bpmn_types(tag: str) -> set[str]:
    """The BPMN types an element of this local name is (itself and its abstract super types)."""
    own = "bpmn:" + tag[:1].upper() + tag[1:]
    out = {own}
    if tag in _TASKS:
        out |= {"bpmn:Task", "bpmn:Activity"}
    elif tag in ("subProcess", "transaction", "adHocSubProcess"):
        out |= {"bpmn:SubProcess", "bpmn:Activity"}
    elif tag == "callActivity":
        out |= {"bpmn:Activity"}
    elif tag.endswith("Gateway"):
        out |= {"bpmn:Gateway"}
    elif tag.endswith("Event"):
        out |= {"bpmn:Event"}
    if out & {"bpmn:Activity", "bpmn:Gateway", "bpmn:Event"}:
        out |= {"bpmn:FlowNode", "bpmn:FlowElement"}
    elif tag in ("sequenceFlow", "dataObject", "dataObjectReference", "dataStoreReference"):
        out.add("bpmn:FlowElement")
    if tag in _EXPRESSIONS:
        out.add("bpmn:FormalExpression")
    return out


def _extension_types(bpmn_types: set[str]) -> list[str]:
    """The extension types applying to an element of these BPMN types, most specific first."""
    found: list[str] = []
    changed = True
    while changed:
        changed = False
        for name, targets in EXTENDS.items():
            targets = targets + DIWAN_EXTENDS.get(name, ())
            if name not in found and any(t in bpmn_types or t.removeprefix("camunda:") in found for t in targets):
                found.append(name)
                changed = True
    return found


def _property_key(type_name: str, prop: str) -> str | None:
    """The inventory key of property `prop` of `type_name` (or of a super class)."""
    if f"{type_name}.{prop}" in CAMUNDA_INVENTORY:
        return f"{type_name}.{prop}"
    for parent in SUPER.get(type_name, ()):
        key = _property_key(parent, prop)
        if key:
            return key
    return None


ELEMENT_TYPES = {name[:1].lower() + name[1:]: name for name in CAMUNDA_INVENTORY
                 if "." not in name and name not in EXTENDS}


def element_type(el: etree._Element) -> str | None:
    """The descriptor type of a camunda:* element (None for an unknown tag)."""
    return ELEMENT_TYPES.get(etree.QName(el).localname)


def _owner(el: etree._Element) -> etree._Element:
    """The BPMN element a Camunda element or attribute belongs to (the nearest non-extension one)."""
    node = el
    while node is not None:
        q = etree.QName(node)
        if q.namespace == BPMN_NS and q.localname not in ("extensionElements",):
            return node
        node = node.getparent()
    return el


def _owner_id(el: etree._Element) -> str | None:
    while el is not None:
        if el.get("id") and etree.QName(el).namespace != CAMUNDA_NS:
            return el.get("id")
        el = el.getparent()
    return None


def _judge(key: str, shown: str, value: str | None, el: etree._Element) -> Msg | None:
    """The problem with `shown` (a camunda:* name), or None when diwan runs or accepts it."""
    entry: Entry | None = CAMUNDA_INVENTORY.get(key)
    if entry is None:
        return msg("{name} is not in diwan's inventory of Camunda extensions, so it would be ignored: remove it",
                   name=shown)
    if entry.by:  # checked where it is read, with the field's own message
        return None
    if entry.status == REFUSED:
        return msg("{name} is not supported: {reason}", name=shown, reason=entry.note)
    if entry.status == NOT_YET:
        return msg("{name} is not supported yet: {reason}", name=shown, reason=entry.note)
    if entry.status == ATTRIBUTES:
        return msg("{name} is not a Camunda element", name=shown)
    owner = _owner(el)
    if entry.only_on and etree.QName(owner).localname not in entry.only_on:
        where = ", ".join(f"bpmn:{t}" for t in entry.only_on)
        return msg("{name} is supported only on {where}, not on bpmn:{tag}", name=shown, where=where,
                   tag=etree.QName(owner).localname)
    if entry.allowed is not None and value is not None and value.strip() not in entry.allowed:
        if key == "Script.scriptFormat":
            if not value.strip():
                return msg("an empty script format is not supported: write the script in Python")
            return msg("{format} is not supported: write the script in Python", format=value.strip())
        shown_values = " or ".join(f'"{v}"' for v in entry.allowed)
        if entry.status == INERT:
            return msg('{name}="{value}" is not supported: only {allowed} is accepted', name=shown, value=value,
                       allowed=shown_values)
        return msg('{name}="{value}" is not supported: only {allowed} is supported', name=shown, value=value,
                   allowed=shown_values)
    return None


def camunda_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    """(owner element id, message) for every Camunda element or attribute diwan does not run."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace == CAMUNDA_NS:
            yield from _camunda_element(el, q.localname)
        for name, value in el.attrib.items():
            aq = etree.QName(name)
            if aq.namespace != CAMUNDA_NS or q.namespace == CAMUNDA_NS:
                continue
            yield from _camunda_attribute(el, q.localname, aq.localname, value)


def _camunda_element(el: etree._Element, tag: str) -> Iterator[tuple[str | None, str]]:
    parent = el.getparent()
    parent_type = element_type(parent) if parent is not None and etree.QName(parent).namespace == CAMUNDA_NS else None
    if parent_type and (parent_type, tag) in PROPERTY_ELEMENTS:
        problem = _judge(f"{parent_type}.{tag}", f"camunda:{tag}", None, el)
        if problem:
            yield _owner_id(el), problem
        return
    type_name = ELEMENT_TYPES.get(tag)
    if type_name is None:
        yield _owner_id(el), msg("camunda:{tag} is not a Camunda 7 element (not in camunda-bpmn-moddle), so diwan "
                                  "would ignore it: remove it", tag=tag)
        return
    problem = _judge(type_name, f"camunda:{tag}", None, el)
    if problem:
        yield _owner_id(el), problem
    for name, value in el.attrib.items():
        if etree.QName(name).namespace is not None:
            continue
        key = _property_key(type_name, name)
        if key is None:
            yield _owner_id(el), msg('the attribute "{name}" of camunda:{tag} is not a Camunda 7 attribute: remove it',
                                       name=name, tag=tag)
            continue
        problem = _judge(key, f'camunda:{tag} {name}', value, el)
        if problem:
            yield _owner_id(el), problem


def _camunda_attribute(el: etree._Element, tag: str, name: str, value: str) -> Iterator[tuple[str | None, str]]:
    candidates = [t for t in _extension_types(_bpmn_types(tag)) if f"{t}.{name}" in CAMUNDA_INVENTORY]
    if not candidates:
        if any(e.by for k, e in CAMUNDA_INVENTORY.items() if k.endswith("." + name)):
            return  # its placement is checked where it is read
        yield _owner_id(el), msg("camunda:{name} is not a Camunda attribute of bpmn:{tag}, so diwan would ignore it",
                                   name=name, tag=tag)
        return
    problem = _judge(f"{candidates[0]}.{name}", f"camunda:{name}", value, el)
    if problem:
        yield _owner_id(el), problem
