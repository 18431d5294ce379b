"""Events and gateways whose id is the name of one of SpiffWorkflow's internal task specs (`Start`,
`End`, `StartEventSplit`, ...): the element would replace the internal spec and the process would
silently lose its tasks (betsy WCP19_CancelTask names its start event `Start`). An event or a
gateway holds no work item and no form, so it is renamed `<id>__renamed`, with every reference to
it (sequence flows, message flows, associations, lanes, the diagram's shapes); failures still name
the designer's id. Activities with such an id stay for constructs.reserved_ids to refuse (their id
is the one of task rows, forms and timers)."""
from __future__ import annotations

from lxml import etree

from .base import BPMN, ORIGIN, Ids, local

RESERVED_IDS = frozenset({"Start", "End", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")
RENAMED = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "exclusiveGateway",
           "inclusiveGateway", "parallelGateway", "eventBasedGateway")
REFERENCES = ("sourceRef", "targetRef", "bpmnElement")


def rename(root: etree._Element) -> None:
    renamed: dict[str, str] = {}
    ids = None
    for process in root.iterfind(f"{{{BPMN}}}process"):
        for el in process.iter(*(f"{{{BPMN}}}{tag}" for tag in RENAMED)):
            eid = el.get("id") or ""
            if eid in RESERVED_IDS or eid.endswith(RESERVED_SUFFIXES):
                ids = ids or Ids(root)
                renamed[eid] = ids.new(eid, "renamed")
                el.set("id", renamed[eid])
                el.set(ORIGIN, eid)
    if not renamed:
        return
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in REFERENCES:
            if el.get(attr) in renamed:
                el.set(attr, renamed[el.get(attr)])
        if local(el) in ("flowNodeRef", "sourceRef", "targetRef") and (el.text or "").strip() in renamed:
            el.text = renamed[el.text.strip()]
