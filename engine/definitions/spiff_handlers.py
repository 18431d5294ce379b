"""Deploy-time checks and rewrites of each implemented SpiffArena extension (spiff_dialect.py dispatches).

Each handler takes the `spiffworkflow:` element and a `fail(element, message)`; it checks where the
extension sits and what it holds (scripts and expressions through the sandbox checker) and, where
diwan has the Camunda form of it, writes that form into the translated tree.
"""
from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from ..runtime.sandbox import UnsafeCode, check_code
from ..messages import msg
from . import spiff_inventory as inv

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = inv.SPIFF_NS

Fail = Callable[[etree._Element, str], None]


def _local(el: etree._Element | None) -> str:
    return etree.QName(el).localname if el is not None and isinstance(el.tag, str) else ""


def _inside(el: etree._Element, parent_name: str) -> bool:
    parent = el.getparent()
    while parent is not None:
        if etree.QName(parent).namespace == SPIFF and _local(parent) == parent_name:
            return True
        parent = parent.getparent()
    return False


def _owner(el: etree._Element) -> etree._Element | None:
    """The BPMN element whose bpmn:extensionElements hold `el` (or that carries the attribute)."""
    node = el
    while node is not None:
        if etree.QName(node).namespace == BPMN and _local(node) != "extensionElements":
            return node
        node = node.getparent()
    return None


def _owner_id(el: etree._Element) -> str | None:
    node = el
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _check(source: str, mode: str) -> str | None:
    try:
        check_code(source, mode)
    except UnsafeCode as exc:
        return exc.as_msg()
    return None


_LOOPS = ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")


def _script(el: etree._Element, fail: Fail) -> None:
    name = _local(el)
    owner = _owner(el)
    if owner is None or _local(owner) not in inv.SCRIPTED_TAGS:
        fail(el, msg("spiffworkflow:{name} is supported on activities ({names}), not on a {tag}", name=name, names=', '.join(sorted(inv.SCRIPTED_TAGS)), tag=_local(owner) or "document"))
        return
    if not _text(el):
        fail(el, msg("spiffworkflow:{name} is empty", name=name))
        return
    error = _check(el.text, "exec")
    if error:
        fail(el, msg("spiffworkflow:{name} refused: {error}", name=name, error=error))


def _decision(el: etree._Element, fail: Fail) -> None:
    owner = _owner(el)
    ref = _text(el)
    if owner is None or _local(owner) != "businessRuleTask":
        fail(el, msg("spiffworkflow:calledDecisionId belongs on a business rule task"))
        return
    if not ref:
        fail(el, msg("spiffworkflow:calledDecisionId is empty: name the decision's id"))
        return
    other = owner.get(f"{{{CAMUNDA}}}decisionRef")
    if other is not None and other != ref:
        fail(el, msg("the task names two decisions (camunda:decisionRef {other}, spiffworkflow:calledDecisionId {ref}): keep one", other=repr(other), ref=repr(ref)))
        return
    owner.set(f"{{{CAMUNDA}}}decisionRef", ref)


_THROWS = {"intermediateThrowEvent", "endEvent", "sendTask"}
_CATCHES = {"intermediateCatchEvent", "startEvent", "boundaryEvent", "receiveTask"}


def _message_owner(el: etree._Element) -> etree._Element | None:
    """The bpmn:message, message event definition or send/receive task a message extension is on."""
    owner = _owner(el)
    if owner is None:
        return None
    if _local(owner) in ("message", "messageEventDefinition", "sendTask", "receiveTask"):
        return owner
    if _local(owner).endswith("Event") and owner.find(f"{{{BPMN}}}messageEventDefinition") is not None:
        return owner  # SpiffArena's older placement: the message event's own extensionElements
    return None


def _event_of(owner: etree._Element) -> str:
    return _local(owner.getparent()) if _local(owner) == "messageEventDefinition" else _local(owner)


def _payload(el: etree._Element, fail: Fail) -> None:
    owner = _message_owner(el)
    if owner is None:
        fail(el, msg("spiffworkflow:messagePayload belongs on a bpmn:message, a message event (definition) or a send task"))
        return
    if _local(owner) != "message" and _event_of(owner) not in _THROWS:
        fail(el, msg("spiffworkflow:messagePayload on a {tag} has no effect (only a thrown message carries a payload): remove it", tag=_event_of(owner)))
        return
    if not _text(el):
        fail(el, msg("spiffworkflow:messagePayload is empty"))
        return
    error = _check(el.text.strip(), "eval")
    if error:
        fail(el, msg("spiffworkflow:messagePayload refused: {error}", error=error))


def _variable(el: etree._Element, fail: Fail) -> None:
    owner = _message_owner(el)
    name = _text(el)
    if owner is None:
        fail(el, msg("spiffworkflow:messageVariable belongs on a bpmn:message, a message event (definition) or a receive task"))
        return
    if _local(owner) != "message" and _event_of(owner) not in _CATCHES:
        fail(el, msg("spiffworkflow:messageVariable on a {tag} has no effect (only a caught message fills a variable): remove it", tag=_event_of(owner)))
        return
    if not name.isidentifier() or name.startswith("_"):
        fail(el, msg("spiffworkflow:messageVariable {name} is not a variable name (letters, digits and _, not starting with _ or a digit)", name=repr(name)))


def _properties(el: etree._Element, fail: Fail) -> None:
    parent = el.getparent()
    if _local(parent) != "extensionElements":
        fail(el, msg("spiffworkflow:properties belongs in bpmn:extensionElements"))
        return
    pairs = []
    for prop in el:
        if not isinstance(prop.tag, str):
            continue
        name = prop.get("name")
        if name in inv.PROPERTIES_REFUSED:
            fail(el, msg("the SpiffArena property {name} is not supported: {reason}", name=repr(name), reason=inv.PROPERTIES_REFUSED[name]))
            continue
        if not name:
            fail(el, msg("a spiffworkflow:property needs a name"))
            continue
        pairs.append((name, prop.get("value", "")))
    if not pairs:
        return
    target = parent.find(f"{{{CAMUNDA}}}properties")
    if target is None:
        target = etree.SubElement(parent, f"{{{CAMUNDA}}}properties")
    existing = {p.get("name") for p in target}
    for name, value in pairs:
        if name in existing:
            fail(el, msg("the property {name} is given twice (camunda:properties and spiffworkflow:properties)", name=repr(name)))
            continue
        etree.SubElement(target, f"{{{CAMUNDA}}}property", name=name, value=value)


def _instructions(el: etree._Element, fail: Fail) -> None:
    owner = _owner(el)
    text = _text(el)
    if owner is None or _local(owner) not in ("userTask", "manualTask"):
        fail(el, msg("spiffworkflow:instructionsForEndUser belongs on a user or manual task"))
        return
    if "{{" in text or "{%" in text:
        fail(el, msg("spiffworkflow:instructionsForEndUser holds a Jinja template, which diwan does not render: write plain text"))
        return
    if not text:
        return
    if owner.find(f"{{{BPMN}}}documentation") is not None:
        fail(el, msg("the task has both bpmn:documentation and spiffworkflow:instructionsForEndUser: keep one"))
        return
    doc = etree.Element(f"{{{BPMN}}}documentation")
    doc.text = text
    owner.insert(0, doc)


_ITEMS = ("signal", "error", "escalation")


def _form_variable(el: etree._Element, fail: Fail) -> None:
    owner = _owner(el)
    name = _text(el)
    if owner is None or _local(owner) not in ("userTask", *_ITEMS) or _local(el.getparent()) != "extensionElements":
        fail(el, msg("spiffworkflow:variableName belongs on a user task (the variable its form data becomes) or on a bpmn:signal, error or escalation (the variable its payload becomes)"))
        return
    if not name.isidentifier() or name.startswith("_"):
        fail(el, msg("spiffworkflow:variableName {name} is not a variable name (letters, digits and _, not starting with _ or a digit)", name=repr(name)))


def _item_payload(el: etree._Element, fail: Fail) -> None:
    owner = _owner(el)
    if owner is None or _local(owner) not in _ITEMS or _local(el.getparent()) != "extensionElements":
        fail(el, msg("spiffworkflow:payloadExpression belongs on a bpmn:signal, error or escalation"))
        return
    if not _text(el):
        fail(el, msg("spiffworkflow:payloadExpression is empty"))
        return
    error = _check(el.text.strip(), "eval")
    if error:
        fail(el, msg("spiffworkflow:payloadExpression refused: {error}", error=error))


def _operator(el: etree._Element, fail: Fail) -> None:
    owner = _owner(el)
    if owner is None or _local(owner) != "serviceTask" or _local(el.getparent()) != "extensionElements":
        fail(el, msg("spiffworkflow:serviceTaskOperator belongs on a service task"))
        return
    name = (el.get("id") or "").strip()
    if not name:
        fail(el, msg("spiffworkflow:serviceTaskOperator needs an id naming the connector"))
        return
    for attr in ("topic", "type"):
        other = owner.get(f"{{{CAMUNDA}}}{attr}")
        if other is not None and other != name:
            fail(el, msg("the task names two connectors (camunda:{attr} {other}, spiffworkflow:serviceTaskOperator {name}): keep one", attr=attr, other=repr(other), name=repr(name)))
            return
    result = el.get("resultVariable")
    if result is not None and result.strip() and (not result.strip().isidentifier() or result.startswith("_")):
        fail(el, msg("the resultVariable {result} is not a variable name", result=repr(result)))
        return
    for param in el.iter(f"{{{SPIFF}}}parameter"):
        pid = (param.get("id") or "").strip()
        if not pid:
            fail(el, msg("a spiffworkflow:parameter needs an id"))
            continue
        if param.get("value") is None:
            continue  # SpiffWorkflow passes only parameters with a value
        error = _check(param.get("value").strip() or "None", "eval")
        if error:
            fail(el, msg("the value of parameter {pid} refused: {error}", pid=repr(pid), error=error))
    owner.set(f"{{{CAMUNDA}}}topic", name)


def _process_correlation(el: etree._Element, fail: Fail) -> None:
    owner = _message_owner(el)
    if owner is None or _local(owner) == "message" or _event_of(owner) not in _CATCHES:
        fail(el, msg("spiffworkflow:processVariableCorrelation belongs on a catching message event or receive task"))
        return
    ns = {"spiff": SPIFF, "bpmn": BPMN}
    key = el.xpath("string(spiff:propertyId)", namespaces=ns).strip()
    expression = el.xpath("string(spiff:expression)", namespaces=ns).strip()
    definition = owner if _local(owner) in ("messageEventDefinition", "receiveTask") else \
        owner.find(f"{{{BPMN}}}messageEventDefinition")
    ref = definition.get("messageRef") if definition is not None else None
    root = el.getroottree().getroot()
    if not key or not root.xpath("//bpmn:correlationProperty[@id=$key]/bpmn:correlationPropertyRetrievalExpression"
                                 "[@messageRef=$ref]", namespaces=ns, key=key, ref=ref or ""):
        fail(el, msg("the process variable correlation names property {key}: it needs a bpmn:correlationProperty of that id with a retrieval expression for this event's message {ref}", key=repr(key), ref=repr(ref)))
        return
    error = _check(expression or "None", "eval") if expression else msg("the expression is empty")
    if error:
        fail(el, msg("the process variable correlation's expression refused: {error}", error=error))


HANDLERS: dict[str, Callable[[etree._Element, Fail], None]] = {
    "preScript": _script,
    "postScript": _script,
    "calledDecisionId": _decision,
    "messagePayload": _payload,
    "messageVariable": _variable,
    "properties": _properties,
    "instructionsForEndUser": _instructions,
    "variableName": _form_variable,
    "serviceTaskOperator": _operator,
    "processVariableCorrelation": _process_correlation,
    "payloadExpression": _item_payload,
}
assert set(HANDLERS) == set(inv.IMPLEMENTED), "every implemented extension has a handler"
