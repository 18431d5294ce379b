"""SpiffArena diagrams: detection per file, deploy-time checks and translation of `spiffworkflow:` extensions.

A file is in SpiffArena's dialect when it uses the spiffworkflow namespace (an element or an
attribute). Each name is decided by spiff_inventory.py: refused names and unknown ones are
problems naming the element; implemented ones are checked (scripts and expressions through the
sandbox checker) and, where diwan already has the Camunda equivalent, rewritten into it in the
translated tree (`calledDecisionId` -> `camunda:decisionRef`, `properties` -> `camunda:properties`,
`instructionsForEndUser` -> `bpmn:documentation`, the `serviceTaskOperator` id -> `camunda:topic`).
Pre/post scripts, message payloads, form variables and operator parameters are read by the parser
(spiff_parser.py). Files mixing Camunda and spiffworkflow extensions get both.
"""
from __future__ import annotations

from lxml import etree

from ..errors import problem
from ..messages import msg
from . import spiff_inventory as inv
from .spiff_handlers import _LOOPS, HANDLERS, _inside, _local, _owner_id, _text

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = inv.SPIFF_NS
_ANY_SPIFF = etree.XPath("//spiff:* | //*[@spiff:*]", namespaces={"spiff": SPIFF})


def translate_spiff(root: etree._Element, filename: str) -> list[dict]:
    """Check every spiffworkflow extension of a BPMN tree and rewrite the ones diwan has a Camunda form of.

    Returns:
        The problems found, each naming the element that carries the extension.
    """
    found = _ANY_SPIFF(root)
    if not found:  # not in SpiffArena's dialect: nothing to check or rewrite
        return []
    problems: list[dict] = []

    def fail(el: etree._Element, message: str) -> None:
        problems.append(problem(filename, _owner_id(el), message))

    for el in found:
        for attr in el.attrib:
            qname = etree.QName(attr)
            if qname.namespace != SPIFF:
                continue
            name = qname.localname
            if name in inv.ATTRIBUTES_REFUSED and el.get(attr, "").strip().lower() != "false":
                fail(el, msg("spiffworkflow:{name} is not supported: {reason}", name=name, reason=inv.ATTRIBUTES_REFUSED[name]))
            elif name == "scriptsOnInstances" and _local(el) not in _LOOPS:
                fail(el, msg("spiffworkflow:scriptsOnInstances belongs on loop or multi-instance characteristics"))
            elif name not in inv.ATTRIBUTES_NO_EFFECT and name not in inv.ATTRIBUTES_REFUSED \
                    and name not in inv.ATTRIBUTES_IMPLEMENTED:
                fail(el, msg("the SpiffArena attribute spiffworkflow:{name} is unknown to diwan: refused rather than ignored", name=name))
        qname = etree.QName(el)
        if qname.namespace != SPIFF:
            continue
        name = qname.localname
        if name in inv.NESTED:
            if not _inside(el, inv.NESTED[name]):
                fail(el, msg("spiffworkflow:{name} belongs inside spiffworkflow:{parent}", name=name, parent=inv.NESTED[name]))
        elif name in inv.REFUSED:
            fail(el, msg("spiffworkflow:{name} is not supported: {reason}", name=name, reason=inv.REFUSED[name]))
        elif name in inv.NO_EFFECT:
            continue
        elif name in HANDLERS:
            HANDLERS[name](el, fail)
        else:
            fail(el, msg("the SpiffArena extension spiffworkflow:{name} is unknown to diwan: refused rather than ignored", name=name))
    return problems


def message_variable(root: etree._Element, definition: etree._Element) -> str | None:
    """The spiffworkflow:messageVariable of a message event definition (on it or on its bpmn:message)."""
    ns = {"spiff": SPIFF, "bpmn": BPMN}
    ref = definition.get("messageRef")
    places = root.xpath(f"bpmn:message[@id=$ref]", namespaces=ns, ref=ref) if ref else []
    for place in [*places, definition]:
        found = place.xpath(".//spiff:messageVariable", namespaces=ns)
        if found and _text(found[0]):
            return _text(found[0])
    if definition.getparent() is not None:  # the event's own extensionElements (SpiffArena's older placement)
        found = definition.getparent().xpath("bpmn:extensionElements/spiff:messageVariable", namespaces=ns)
        if found and _text(found[0]):
            return _text(found[0])
    return None


def item_variable(root: etree._Element, definition: etree._Element, tag: str) -> str | None:
    """The spiffworkflow:variableName of the bpmn:signal (error, escalation) an event definition refers to."""
    ns = {"spiff": SPIFF, "bpmn": BPMN}
    ref = definition.get(f"{tag}Ref")
    found = root.xpath(f"bpmn:{tag}[@id=$ref]/bpmn:extensionElements/spiff:variableName", namespaces=ns,
                       ref=ref) if ref else []
    return _text(found[0]) or None if found else None


__all__ = ["HANDLERS", "item_variable", "message_variable", "translate_spiff"]
