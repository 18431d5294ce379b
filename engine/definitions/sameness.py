"""Whether two texts of a definition say the same thing: a content digest that ignores how
the file was written (XML formatting, attribute order, namespace prefixes, comments; JSON
key order and spacing, form-js's `exporter` stamp).

bpmn-js, dmn-js and form-js write back a diagram, a table or a form they did not change
with other bytes than the file they read (indentation, attribute order, self-closed
elements, escaping): compared byte for byte, saving an unchanged diagram would make a new
version (issue 14: grant_cofinancing v2 equal to v1).
"""
from __future__ import annotations

import hashlib

import orjson
from lxml import etree

from . import safe_xml

# Diagram layout containers whose children's order means nothing (bpmn-js writes shapes in
# the order it draws them: lanes before their participant's flow nodes, boundary events last).
UNORDERED = {"{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane",
             "{https://www.omg.org/spec/DMN/20191111/DMNDI/}DMNDiagram"}
# Presentation flags bpmn-js writes on shapes that had none (it draws gateways' markers and
# lanes horizontally either way).
DI_DEFAULTS = {"isMarkerVisible", "isHorizontal"}
DI_SHAPE = "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape"
# Written by form-js's editor and Camunda Modeler: who saved the file, not what it says.
FORM_STAMPS = ("exporter", "executionPlatform", "executionPlatformVersion")
XML_STAMPS = ("exporter", "exporterVersion")  # bpmn:definitions / dmn:definitions attributes


def digest(kind: str, text: str) -> str:
    """The sha256 of the definition's meaning (kind: process, decision or form).

    Raises:
        ValueError: the text does not parse (deployed content always does).
    """
    if kind == "form":
        value = orjson.loads(text)
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in FORM_STAMPS}
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    else:
        data = orjson.dumps(_tree(safe_xml.parse(text.encode("utf-8")), top=True))
    return hashlib.sha256(data).hexdigest()


def same(kind: str, a: str, b: str) -> bool:
    """Whether two texts of one definition say the same thing."""
    if a == b:
        return True
    try:
        return digest(kind, a) == digest(kind, b)
    except (ValueError, orjson.JSONDecodeError):
        return False


def _tree(node: etree._Element, top: bool = False) -> list:
    """[tag, sorted attributes, stripped text, children...] with namespace URIs, not prefixes."""
    attrs = sorted((k, v) for k, v in node.attrib.items() if not (top and etree.QName(k).localname in XML_STAMPS)
                   and not (node.tag == DI_SHAPE and k in DI_DEFAULTS))
    out: list = [node.tag, attrs, (node.text or "").strip()]
    children: list = []
    for child in node:
        if isinstance(child.tag, str):  # comments and processing instructions say nothing
            children.append(_tree(child))
        tail = (child.tail or "").strip()
        if tail:
            children.append(tail)
    if node.tag in UNORDERED:
        children.sort(key=orjson.dumps)
    return out + children
