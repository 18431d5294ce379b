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
same); so does a lone conditional flow out of an activity whose condition is false. The flows keep their ids and conditions; only their sourceRef changes. Implicit joins
(several flows into an activity) need nothing: SpiffWorkflow passes each token (exclusive merge).
"""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, Scope, q, scopes

SOURCES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
           "businessRuleTask", "subProcess", "transaction", "callActivity", "intermediateCatchEvent",
           "intermediateThrowEvent", "boundaryEvent")


def _gateway(scope: Scope, after, ids: Ids, origin_id: str, kind: str, what: str) -> etree._Element:
    gateway = etree.Element(q(kind), id=ids.new(origin_id, what), gatewayDirection="Diverging")
    gateway.set(ORIGIN, origin_id)
    return scope.add_node(gateway, after=after)


def insert_gateways(root: etree._Element) -> None:
    ids = Ids(root)
    for el in list(scopes(root)):
        scope = Scope(el)
        for source in [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname in SOURCES]:
            sid = source.get("id")
            flows = scope.outgoing(sid)
            if len(flows) < 2 and not (flows and flows[0].find("bpmn:conditionExpression", NS) is not None):
                continue  # one flow is taken; a lone conditional flow is a split with one branch
            default = source.get("default")
            conditional = [f for f in flows if f.find("bpmn:conditionExpression", NS) is not None
                           or f.get("id") == default]
            plain = [f for f in flows if f not in conditional]
            if conditional and plain:
                split = _gateway(scope, source, ids, sid, "parallelGateway", "split")
                choice = _gateway(scope, split, ids, sid, "inclusiveGateway", "conditions")
                scope.add_flow(ids, sid, split.get("id"), sid)
                scope.add_flow(ids, split.get("id"), choice.get("id"), sid)
            elif conditional:
                split = choice = _gateway(scope, source, ids, sid, "inclusiveGateway", "split")
                scope.add_flow(ids, sid, split.get("id"), sid)
            else:
                split, choice = _gateway(scope, source, ids, sid, "parallelGateway", "split"), None
                scope.add_flow(ids, sid, split.get("id"), sid)
            for flow in plain:
                scope.set_end(flow, "sourceRef", split.get("id"))
            for flow in conditional:
                scope.set_end(flow, "sourceRef", choice.get("id"))
            if default is not None:
                del source.attrib["default"]
                choice.set("default", default)
            elif conditional and plain:
                # BPMN: the conditional flows of an activity that are all false get no token, the
                # unconditional ones go on; the inclusive gateway needs a flow to take then
                nothing = etree.Element(q("endEvent"), id=ids.new(sid, "none"))
                nothing.set(ORIGIN, sid)
                scope.add_node(nothing, after=choice)
                flow = scope.add_flow(ids, choice.get("id"), nothing.get("id"), sid)
                choice.set("default", flow.get("id"))
