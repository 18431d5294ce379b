"""Signal end events: SpiffWorkflow's end event parser drops the signal definition, so the signal
would never be sent. The end event becomes an intermediate signal throw event (same id: it is the
element that sends the signal) followed by a new none end event `<id>__end`."""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, Scope, definitions_of, q


def split(root: etree._Element) -> None:
    events = root.xpath(".//bpmn:endEvent[bpmn:signalEventDefinition]", namespaces=NS)
    if not events:
        return
    ids, scopes = Ids(root), {}
    for event in events:
        if len(definitions_of(event)) != 1:
            continue  # a multiple end event: refused by constructs.multiple_events
        parent = event.getparent()
        scope = scopes.setdefault(id(parent), Scope(parent))
        event.tag = q("intermediateThrowEvent")
        end = etree.Element(q("endEvent"), id=ids.new(event.get("id"), "end"))
        end.set(ORIGIN, event.get("id"))
        scope.add_node(end, after=event)
        scope.add_flow(ids, event.get("id"), end.get("id"), event.get("id"), after=end)
