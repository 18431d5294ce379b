"""Token quantities (BPMN 2.0 §10.2): `completionQuantity` N puts N tokens on each outgoing flow of
an activity when it completes; `startQuantity` N makes an activity wait for N tokens before it
starts (once). SpiffWorkflow ignores both (one token in, one out).

- completionQuantity N > 1 (unconditional outgoing flows only): a parallel gateway `<id>__tokens`
  after the activity sends each flow's token N times; the extra tokens pass through none throw
  events `<flow id>__token2`, ... (SpiffWorkflow's task tree needs a distinct path per token);
- startQuantity N > 1: a parallel gateway `<id>__tokens` marked `diwan:startQuantity="N"` takes the
  activity's incoming flows; DiwanParser makes it a runtime/token_join.TokenJoin, which counts the
  tokens of any of its flows and fires at N.

A quantity of 0, one that is not an integer, a completionQuantity above 100 (each token is an
element of the tree) and completionQuantity with conditional or default flows stay for
constructs.token_quantities to refuse.
"""
from __future__ import annotations

from lxml import etree

from .base import NS, ORIGIN, Ids, Scope, q, scopes

DIWAN = "urn:diwan:transform"
START_QUANTITY = f"{{{DIWAN}}}startQuantity"
ACTIVITIES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
              "businessRuleTask", "subProcess", "transaction", "callActivity")


MAX_COMPLETION_QUANTITY = 100  # each extra token is an element of the transformed tree


def _quantity(el: etree._Element, attr: str) -> int | None:
    value = (el.get(attr) or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    count = int(value)
    if attr == "completionQuantity" and count > MAX_COMPLETION_QUANTITY:
        return None
    return count if count > 1 else None


def apply(root: etree._Element) -> None:
    if not root.xpath(".//*[@startQuantity or @completionQuantity]"):
        return
    ids = Ids(root)
    for el in list(scopes(root)):
        scope = Scope(el)
        for activity in [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname in ACTIVITIES]:
            _completion(scope, activity, ids)
            _start(scope, activity, ids)


def _gateway(ids: Ids, activity: etree._Element) -> etree._Element:
    gateway = etree.Element(q("parallelGateway"), id=ids.new(activity.get("id"), "tokens"))
    gateway.set(ORIGIN, activity.get("id"))
    return gateway


def _completion(scope: Scope, activity, ids: Ids) -> None:
    count = _quantity(activity, "completionQuantity")
    aid = activity.get("id")
    flows = scope.outgoing(aid)
    if count is None or not flows or activity.get("default") is not None or any(
            f.find("bpmn:conditionExpression", NS) is not None for f in flows):
        return
    gateway = scope.add_node(_gateway(ids, activity), after=activity)
    for flow in flows:
        scope.set_end(flow, "sourceRef", gateway.get("id"))
        for n in range(2, count + 1):
            relay = etree.Element(q("intermediateThrowEvent"), id=ids.new(aid, f"token{n}"))
            relay.set(ORIGIN, aid)
            scope.add_node(relay, after=gateway)
            scope.add_flow(ids, gateway.get("id"), relay.get("id"), aid)
            scope.add_flow(ids, relay.get("id"), flow.get("targetRef"), aid)
    scope.add_flow(ids, aid, gateway.get("id"), aid)
    del activity.attrib["completionQuantity"]


def _start(scope: Scope, activity, ids: Ids) -> None:
    count = _quantity(activity, "startQuantity")
    aid = activity.get("id")
    flows = scope.incoming(aid)
    if count is None or not flows:
        return
    gateway = _gateway(ids, activity)
    gateway.set(START_QUANTITY, str(count))
    scope.add_node(gateway, before=activity)
    for flow in flows:
        scope.set_end(flow, "targetRef", gateway.get("id"))
    scope.add_flow(ids, gateway.get("id"), aid, aid)
    del activity.attrib["startQuantity"]
