"""Token quantities (BPMN 2.0 §10.2): `completionQuantity` N puts N tokens on each outgoing flow of
an activity when it completes; `startQuantity` N makes an activity wait for N tokens before it
starts (once). SpiffWorkflow ignores both (one token in, one out).

- completionQuantity N > 1 (unconditional outgoing flows only): a parallel gateway `<id>__tokens`
  after the activity sends each flow's token N times; the extra tokens pass through none throw
  events `<flow id>__token2`, ... (SpiffWorkflow's task tree needs a distinct path per token);
- startQuantity N > 1: a parallel gateway `<id>__tokens` marked `diwan:startQuantity="N"` takes the
  activity's incoming flows; DiwanParser makes it a runtime/token_join.TokenJoin, which counts the
  tokens of any of its flows and fires at N.

A quantity of 0, one that is not an integer, and completionQuantity with conditional or default
flows stay for constructs.token_quantities to refuse.
"""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, add_flow, incoming, outgoing, q, retarget_ref, scopes

DIWAN = "urn:diwan:transform"
START_QUANTITY = f"{{{DIWAN}}}startQuantity"
ACTIVITIES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
              "businessRuleTask", "subProcess", "transaction", "callActivity")


def _quantity(el: etree._Element, attr: str) -> int | None:
    value = (el.get(attr) or "").strip()
    return int(value) if value.isdigit() and int(value) > 1 else None


def apply(root: etree._Element) -> None:
    ids = Ids(root)
    for scope in list(scopes(root)):
        for activity in [c for c in scope if isinstance(c.tag, str) and etree.QName(c).localname in ACTIVITIES]:
            _completion(scope, activity, ids)
            _start(scope, activity, ids)


def _gateway(ids: Ids, activity: etree._Element) -> etree._Element:
    gateway = etree.Element(q("parallelGateway"), id=ids.new(activity.get("id"), "tokens"))
    gateway.set(ORIGIN, activity.get("id"))
    return gateway


def _completion(scope, activity, ids: Ids) -> None:
    count = _quantity(activity, "completionQuantity")
    flows = outgoing(scope, activity.get("id"))
    if count is None or not flows or activity.get("default") is not None or any(
            f.find("bpmn:conditionExpression", NS) is not None for f in flows):
        return
    aid = activity.get("id")
    gateway = _gateway(ids, activity)
    activity.addnext(gateway)
    for flow in flows:
        retarget_ref(activity, "outgoing", flow.get("id"), None)
        flow.set("sourceRef", gateway.get("id"))
        ref = etree.SubElement(gateway, q("outgoing"))
        ref.text = flow.get("id")
        for n in range(2, count + 1):
            relay = etree.Element(q("intermediateThrowEvent"), id=ids.new(aid, f"token{n}"))
            relay.set(ORIGIN, aid)
            gateway.addnext(relay)
            add_flow(scope, ids, gateway.get("id"), relay.get("id"), aid)
            add_flow(scope, ids, relay.get("id"), flow.get("targetRef"), aid)
    add_flow(scope, ids, aid, gateway.get("id"), aid)
    del activity.attrib["completionQuantity"]


def _start(scope, activity, ids: Ids) -> None:
    count = _quantity(activity, "startQuantity")
    flows = incoming(scope, activity.get("id"))
    if count is None or not flows:
        return
    aid = activity.get("id")
    gateway = _gateway(ids, activity)
    gateway.set(START_QUANTITY, str(count))
    activity.addprevious(gateway)
    for flow in flows:
        retarget_ref(activity, "incoming", flow.get("id"), None)
        flow.set("targetRef", gateway.get("id"))
        ref = etree.SubElement(gateway, q("incoming"))
        ref.text = flow.get("id")
    add_flow(scope, ids, gateway.get("id"), aid, aid)
    del activity.attrib["startQuantity"]
