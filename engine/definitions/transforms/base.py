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


# What transformations may add by copying (shared event definitions, global tasks' scripts, flows
# after event sub-processes), per document: a hostile file must not multiply itself. Past the
# budget, the construct is left as it is and refused.
COPY_BUDGET = 1_000_000  # characters of serialized XML


class CopyBudget:
    def __init__(self, limit: int = COPY_BUDGET):
        self.left = limit

    def take(self, el: etree._Element) -> bool:
        """Whether one more copy of `el` fits (and count it)."""
        size = len(etree.tostring(el))
        if size > self.left:
            return False
        self.left -= size
        return True


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


class Scope:
    """A process or sub-process with its flow nodes and sequence flows indexed (transformations
    must stay linear in the size of a diagram: a deployment may be large)."""

    def __init__(self, el: etree._Element):
        self.el = el
        self.nodes: dict[str, etree._Element] = {}
        self.out: dict[str, list[etree._Element]] = {}
        self.inc: dict[str, list[etree._Element]] = {}
        for child in el:
            if not isinstance(child.tag, str) or not child.get("id"):
                continue
            if local(child) == "sequenceFlow":
                self._index(child)
            else:
                self.nodes.setdefault(child.get("id"), child)

    def _index(self, flow: etree._Element) -> None:
        self.out.setdefault(flow.get("sourceRef"), []).append(flow)
        self.inc.setdefault(flow.get("targetRef"), []).append(flow)

    def outgoing(self, node_id: str) -> list[etree._Element]:
        return list(self.out.get(node_id, ()))

    def incoming(self, node_id: str) -> list[etree._Element]:
        return list(self.inc.get(node_id, ()))

    def node(self, node_id: str) -> etree._Element | None:
        return self.nodes.get(node_id)

    def add_node(self, el: etree._Element, after: etree._Element | None = None,
                 before: etree._Element | None = None) -> etree._Element:
        if after is not None:
            after.addnext(el)
        elif before is not None:
            before.addprevious(el)
        else:
            self.el.append(el)
        self.nodes[el.get("id")] = el
        return el

    def remove_node(self, el: etree._Element) -> None:
        self.el.remove(el)
        self.nodes.pop(el.get("id"), None)

    def set_end(self, flow: etree._Element, end: str, node_id: str) -> None:
        """Move the `sourceRef` or `targetRef` of a flow to another node, refs included."""
        kind, index = ("outgoing", self.out) if end == "sourceRef" else ("incoming", self.inc)
        old = flow.get(end)
        index[old] = [f for f in index.get(old, ()) if f is not flow]
        if old in self.nodes:
            retarget_ref(self.nodes[old], kind, flow.get("id"), None)
        flow.set(end, node_id)
        index.setdefault(node_id, []).append(flow)
        _ref(self, node_id, kind, flow.get("id"))

    def add_flow(self, ids: Ids, source: str, target: str, origin_id: str,
                 after: etree._Element | None = None) -> etree._Element:
        """A new sequence flow `source` -> `target`, with `incoming`/`outgoing` refs kept."""
        flow = etree.Element(q("sequenceFlow"), id=ids.new(origin_id, "flow"), sourceRef=source, targetRef=target)
        flow.set(ORIGIN, origin_id)
        (after.addnext(flow) if after is not None else self.el.append(flow))
        self._index(flow)
        _ref(self, source, "outgoing", flow.get("id"))
        _ref(self, target, "incoming", flow.get("id"))
        return flow

    def add_flow_copy(self, flow: etree._Element, copy: etree._Element, after: etree._Element) -> None:
        after.addnext(copy)
        self._index(copy)
        _ref(self, copy.get("sourceRef"), "outgoing", copy.get("id"))
        _ref(self, copy.get("targetRef"), "incoming", copy.get("id"))


def _ref(scope: Scope, node_id: str, kind: str, flow_id: str) -> None:
    el = scope.node(node_id)
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
