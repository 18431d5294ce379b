"""eventDefinitionRef: an event that refers to an event definition declared at the definitions level.

SpiffWorkflow reads only the definitions written inside an event, so the event would run as a none
event. The referenced definition is copied into the event, in place of the reference (with an id of
its own: the same definition may be shared by several events), and the shared one is removed. A
reference that names no top-level event definition (or past the copy budget, base.CopyBudget) is
left for constructs.event_definition_refs.
"""
from __future__ import annotations

from copy import deepcopy

from lxml import etree

from .base import NS, ORIGIN, CopyBudget, Ids, local


def inline(root: etree._Element) -> None:
    shared = {d.get("id"): d for d in root if isinstance(d.tag, str) and local(d).endswith("EventDefinition")
              and d.get("id")}
    if not shared:
        return
    ids, budget = Ids(root), CopyBudget()
    used: set[str] = set()
    for ref in root.xpath(".//bpmn:eventDefinitionRef", namespaces=NS):
        name = (ref.text or "").strip().rpartition(":")[2]
        definition = shared.get(name)
        event = ref.getparent()
        if definition is None or event is None or not budget.take(definition):
            continue
        copy = deepcopy(definition)
        copy.set("id", ids.new(event.get("id") or name, "definition"))
        copy.set(ORIGIN, name)
        copy.tail = ref.tail
        event.replace(ref, copy)
        used.add(name)
    left = {(ref.text or "").strip().rpartition(":")[2] for ref in root.iterfind(".//bpmn:eventDefinitionRef", NS)}
    for name in used - left:  # kept while a reference past the copy budget still names it
        root.remove(shared[name])
