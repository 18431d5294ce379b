"""Implicit splits: an activity (or intermediate or boundary event) with several outgoing sequence
flows. BPMN 2.0 §13.2.1 (activities): every unconditional flow receives a token, every conditional
flow whose condition is true receives one, and the default flow (`default=`) receives one when no
condition is true. SpiffWorkflow refuses several flows out of a task, so the split is made explicit:

- all flows unconditional: a parallel gateway `<id>__split`;
- conditional flows (with or without a default) and no unconditional one: an inclusive gateway
  `<id>__split` carrying the conditions and the default;
- both: a parallel gateway `<id>__split` to the unconditional flows and to an inclusive gateway
  `<id>__conditions` that carries the conditional flows and the default.

An inclusive gateway without a default fails the step when no condition is true (Camunda does the
same). The flows keep their ids and conditions; only their sourceRef changes. Implicit joins
(several flows into an activity) need nothing: SpiffWorkflow passes each token (exclusive merge).
"""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, add_flow, outgoing, q, retarget_ref, scopes

SOURCES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
           "businessRuleTask", "subProcess", "transaction", "callActivity", "intermediateCatchEvent",
           "intermediateThrowEvent", "boundaryEvent")


def _gateway(scope, after, ids: Ids, origin_id: str, kind: str, what: str) -> etree._Element:
    gateway = etree.Element(q(kind), id=ids.new(origin_id, what), gatewayDirection="Diverging")
    gateway.set(ORIGIN, origin_id)
    after.addnext(gateway)
    return gateway


def _move(flow: etree._Element, scope: etree._Element, source: etree._Element, gateway: etree._Element) -> None:
    retarget_ref(source, "outgoing", flow.get("id"), None)
    flow.set("sourceRef", gateway.get("id"))
    ref = etree.SubElement(gateway, q("outgoing"))
    ref.text = flow.get("id")


def insert_gateways(root: etree._Element) -> None:
    ids = Ids(root)
    for scope in list(scopes(root)):
        for source in [c for c in scope if isinstance(c.tag, str) and etree.QName(c).localname in SOURCES]:
            flows = outgoing(scope, source.get("id"))
            if len(flows) < 2:
                continue
            sid = source.get("id")
            default = source.get("default")
            conditional = [f for f in flows if f.find("bpmn:conditionExpression", NS) is not None
                           or f.get("id") == default]
            plain = [f for f in flows if f not in conditional]
            if conditional and plain:
                split = _gateway(scope, source, ids, sid, "parallelGateway", "split")
                choice = _gateway(scope, split, ids, sid, "inclusiveGateway", "conditions")
                add_flow(scope, ids, sid, split.get("id"), sid)
                add_flow(scope, ids, split.get("id"), choice.get("id"), sid)
            elif conditional:
                split = choice = _gateway(scope, source, ids, sid, "inclusiveGateway", "split")
                add_flow(scope, ids, sid, split.get("id"), sid)
            else:
                split, choice = _gateway(scope, source, ids, sid, "parallelGateway", "split"), None
                add_flow(scope, ids, sid, split.get("id"), sid)
            for flow in plain:
                _move(flow, scope, source, split)
            for flow in conditional:
                _move(flow, scope, source, choice)
            if default is not None:
                del source.attrib["default"]
                choice.set("default", default)
            elif conditional and plain:
                # BPMN: the conditional flows of an activity that are all false get no token, the
                # unconditional ones go on; the inclusive gateway needs a flow to take then
                nothing = etree.Element(q("endEvent"), id=ids.new(sid, "none"))
                nothing.set(ORIGIN, sid)
                choice.addnext(nothing)
                flow = add_flow(scope, ids, choice.get("id"), nothing.get("id"), sid)
                choice.set("default", flow.get("id"))
