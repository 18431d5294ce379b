"""Which element a deploy problem points at: one that bpmn-js can highlight.

A rule often finds its problem on a child that the modeler never draws (a timer or message event
definition, a condition expression, a camunda:inputParameter, a multi-instance loop
characteristic). The designer needs the id of what the canvas shows: the nearest element with
a shape or an edge in the file's diagram (bpmndi), or the process / collaboration itself. A file
without a diagram (written by hand or generated) falls back to the nearest flow element, lane,
participant or process. A reference to a missing definition (a decision, a called process, a form)
points at the element that refers to it.
"""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

# Without a diagram: the BPMN elements bpmn-js would draw (flow nodes, flows, containers, artifacts).
_DRAWN = frozenset({
    "process", "collaboration", "participant", "lane", "sequenceFlow", "messageFlow", "association",
    "dataObjectReference", "dataStoreReference", "textAnnotation", "group",
    "task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
_ROOTS = frozenset({"process", "collaboration"})


class Highlighter:
    """Maps the element id of a problem to the id bpmn-js can highlight in one BPMN document."""

    def __init__(self, root: etree._Element):
        self._by_id: dict[str, etree._Element] = {}
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") is not None:
                self._by_id.setdefault(el.get("id"), el)
        drawn = {el.get("bpmnElement") for el in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge",
                                                           f"{{{BPMNDI}}}BPMNPlane")}
        drawn.discard(None)
        self._drawn = drawn
        self._root = root

    def _highlightable(self, el: etree._Element) -> bool:
        qname = etree.QName(el)
        if qname.namespace != BPMN:
            return False
        if self._drawn:
            return el.get("id") in self._drawn or qname.localname in _ROOTS
        return qname.localname in _DRAWN

    def target(self, element_id: str | None) -> str | None:
        """The nearest highlightable element at or above `element_id`; the id unchanged when the
        document does not hold it (a process key, a form key). In a partial diagram, an element
        nothing drawn contains is named by its nearest flow element, not by its process."""
        el = self._by_id.get(element_id) if element_id else None
        if el is not None and el.tag == f"{{{BPMN}}}process":  # in a collaboration the pool is what is drawn
            pool = self._root.find(f".//{{{BPMN}}}participant[@processRef='{element_id}']")
            if pool is not None and pool.get("id") and self._highlightable(pool):
                return pool.get("id")
        fallback = None
        node = el
        while node is not None:
            if isinstance(node.tag, str) and node.get("id"):
                local = etree.QName(node).localname if etree.QName(node).namespace == BPMN else None
                if fallback is None and local in _DRAWN and local not in _ROOTS:
                    fallback = node.get("id")
                if self._highlightable(node):
                    return fallback if local in _ROOTS and fallback else node.get("id")
            node = node.getparent()
        return fallback or element_id

    def referrer(self, kind: str, key: str) -> str | None:
        """The first element that refers to a decision / called process / form `key`."""
        for el in self._root.iter():
            if not isinstance(el.tag, str):
                continue
            if kind == "decision" and el.get(f"{{{CAMUNDA}}}decisionRef") == key:
                return self.target(el.get("id"))
            if kind == "process" and el.tag == f"{{{BPMN}}}callActivity" and el.get("calledElement") == key:
                return self.target(el.get("id"))
        return None


def retarget(problems: list[dict], roots: dict[str | None, etree._Element]) -> list[dict]:
    """Every problem pointing at a highlightable element of its file, each problem once."""
    highlighters: dict[str | None, Highlighter] = {}
    out: list[dict] = []
    seen: set[tuple] = set()
    for p in problems:
        root = roots.get(p.get("file"))
        if root is not None and p.get("element"):
            h = highlighters.get(p["file"]) or highlighters.setdefault(p["file"], Highlighter(root))
            p = {**p, "element": h.target(p["element"])}
        key = (p.get("file"), p.get("element"), p.get("message"))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
