"""Helpers shared by the transformations: namespaces, ids, flows."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
# Added elements remember the designer's element they stand for (refusals and history name it).
ORIGIN = "{urn:diwan:transform}origin"


def q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def origin(el: etree._Element) -> str | None:
    """The id of the designer's element that `el` stands for (its own id unless a transform added it)."""
    return el.get(ORIGIN) or el.get("id")


def definitions_of(event: etree._Element) -> list[etree._Element]:
    return [c for c in event if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN
            and local(c).endswith("EventDefinition")]


class Ids:
    """Ids of the document, to make new ones that collide with none."""

    def __init__(self, root: etree._Element):
        self.taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    def new(self, base: str, what: str) -> str:
        candidate, n = f"{base}__{what}", 2
        while candidate in self.taken:
            candidate, n = f"{base}__{what}{n}", n + 1
        self.taken.add(candidate)
        return candidate


def flows(scope: etree._Element) -> list[etree._Element]:
    return scope.findall("bpmn:sequenceFlow", NS)


def outgoing(scope: etree._Element, node_id: str) -> list[etree._Element]:
    return [f for f in flows(scope) if f.get("sourceRef") == node_id]


def incoming(scope: etree._Element, node_id: str) -> list[etree._Element]:
    return [f for f in flows(scope) if f.get("targetRef") == node_id]


def add_flow(scope: etree._Element, ids: Ids, source: str, target: str, origin_id: str,
             after: etree._Element | None = None) -> etree._Element:
    """A new sequence flow `source` -> `target` in `scope`, with `incoming`/`outgoing` refs kept."""
    flow = etree.Element(q("sequenceFlow"), id=ids.new(origin_id, "flow"), sourceRef=source, targetRef=target)
    flow.set(ORIGIN, origin_id)
    (after.addnext(flow) if after is not None else scope.append(flow))
    _ref(scope, source, "outgoing", flow.get("id"))
    _ref(scope, target, "incoming", flow.get("id"))
    return flow


def node(scope: etree._Element, node_id: str) -> etree._Element | None:
    for el in scope:
        if isinstance(el.tag, str) and el.get("id") == node_id:
            return el
    return None


def _ref(scope: etree._Element, node_id: str, kind: str, flow_id: str) -> None:
    el = node(scope, node_id)
    if el is None:
        return
    ref = etree.Element(q(kind))
    ref.text = flow_id
    refs = el.findall(f"bpmn:{kind}", NS)
    if refs:
        refs[-1].addnext(ref)
    else:
        el.insert(_ref_position(el, kind), ref)


def _ref_position(el: etree._Element, kind: str) -> int:
    """incoming/outgoing come after documentation/extensionElements and incoming before outgoing."""
    position = 0
    for i, child in enumerate(el):
        if isinstance(child.tag, str) and local(child) in ("documentation", "extensionElements", "incoming"):
            position = i + 1
    return position


def retarget_ref(el: etree._Element, kind: str, old: str, new: str | None) -> None:
    """Replace (or drop, when `new` is None) the `incoming`/`outgoing` ref `old` of an element."""
    for ref in el.findall(f"bpmn:{kind}", NS):
        if (ref.text or "").strip() == old:
            if new is None:
                el.remove(ref)
            else:
                ref.text = new


def scopes(root: etree._Element) -> Iterator[etree._Element]:
    """Every process and (event) sub-process of the document, outermost first."""
    yield from root.xpath(".//bpmn:process | .//bpmn:subProcess | .//bpmn:transaction", namespaces=NS)
