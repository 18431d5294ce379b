"""Signal end events: SpiffWorkflow's end event parser drops the signal definition, so the signal
would never be sent. The end event becomes an intermediate signal throw event (same id: it is the
element that sends the signal) followed by a new none end event `<id>__end`."""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, add_flow, definitions_of, q


def split(root: etree._Element) -> None:
    ids = Ids(root)
    for event in root.xpath(".//bpmn:endEvent[bpmn:signalEventDefinition]", namespaces=NS):
        if len(definitions_of(event)) != 1:
            continue  # a multiple end event: refused by constructs.multiple_events
        scope = event.getparent()
        event.tag = q("intermediateThrowEvent")
        end = etree.Element(q("endEvent"), id=ids.new(event.get("id"), "end"))
        end.set(ORIGIN, event.get("id"))
        event.addnext(end)
        add_flow(scope, ids, event.get("id"), end.get("id"), event.get("id"), after=end)
