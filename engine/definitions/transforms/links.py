"""Link events: an intermediate link throw event continues at the link catch event of the same name
in the same process or sub-process (BPMN 2.0 §10.5.6, "off-page connectors").

SpiffWorkflow parses no linkEventDefinition, so the throw would end its path and the catch would
never be reached. Each pair is rewired: the throw event becomes a none throw event (a pass-through)
with a sequence flow to the catch event, which becomes a none throw event too (a none intermediate
catch event would wait forever). Only the forms BPMN allows are rewired: one catch event per link
name in the scope (several throws may lead to it), each throw with no outgoing flow, the catch with
no incoming flow; anything else stays for constructs.link_events to refuse.
"""
from __future__ import annotations

from lxml import etree

from .base import NS, Ids, Scope, q, scopes


def _link(event: etree._Element) -> etree._Element | None:
    definitions = event.findall("bpmn:linkEventDefinition", NS)
    others = [c for c in event if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
    return definitions[0] if len(definitions) == 1 and len(others) == 1 else None


def _name(definition: etree._Element, event: etree._Element) -> str:
    return (definition.get("name") or event.get("name") or "").strip()


def rewire(root: etree._Element) -> None:
    ids = Ids(root)
    for el in list(scopes(root)):
        throws = [e for e in el.findall("bpmn:intermediateThrowEvent", NS) if _link(e) is not None]
        catches = [e for e in el.findall("bpmn:intermediateCatchEvent", NS) if _link(e) is not None]
        if not throws:
            continue
        scope = Scope(el)
        by_name: dict[str, list[etree._Element]] = {}
        for catch in catches:
            by_name.setdefault(_name(_link(catch), catch), []).append(catch)
        fed = {id(c) for c in catches if scope.incoming(c.get("id"))}  # a catch has no incoming flow
        done: set[int] = set()
        for throw in throws:
            name = _name(_link(throw), throw)
            targets = by_name.get(name, [])
            if not name or len(targets) != 1 or scope.outgoing(throw.get("id")):
                continue
            catch = targets[0]
            if id(catch) in fed:
                continue
            throw.remove(_link(throw))
            scope.add_flow(ids, throw.get("id"), catch.get("id"), throw.get("id"))
            done.add(id(catch))
        for catch in catches:
            if id(catch) in done:
                catch.remove(_link(catch))
                catch.tag = q("intermediateThrowEvent")
