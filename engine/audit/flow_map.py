"""The sequence flows of a deployed diagram (id, source, target) and its gateway kinds, for time travel."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..definitions import safe_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclass(frozen=True)
class FlowMap:
    """Outgoing flows by source element, and which elements are gateways (by kind)."""

    outgoing: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # source -> [(flow id, target)]
    gateways: dict[str, str] = field(default_factory=dict)  # element id -> "exclusiveGateway", ...
    interrupting: dict[str, set[str]] = field(default_factory=dict)  # activity -> its interrupting boundaries
    loops: set[str] = field(default_factory=set)  # multi-instance and loop activities
    boundaries: set[str] = field(default_factory=set)  # boundary events

    def flows_to(self, source: str, targets) -> list[str]:
        wanted = set(targets)
        return [flow for flow, target in self.outgoing.get(source, ()) if target in wanted]


def flow_map(source: str | bytes) -> FlowMap:
    """Read the flows of a diagram (its stored source, already checked at deploy)."""
    root = safe_xml.parse(source.encode() if isinstance(source, str) else source)
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for flow in root.iter(BPMN + "sequenceFlow"):
        src, target = flow.get("sourceRef"), flow.get("targetRef")
        if src and target and flow.get("id"):
            outgoing.setdefault(src, []).append((flow.get("id"), target))
    gateways = {}
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.startswith(BPMN) and tag.endswith("Gateway") and element.get("id"):
            gateways[element.get("id")] = tag[len(BPMN):]
    interrupting: dict[str, set[str]] = {}
    for boundary in root.iter(BPMN + "boundaryEvent"):
        if boundary.get("cancelActivity", "true") != "false" and boundary.get("attachedToRef"):
            interrupting.setdefault(boundary.get("attachedToRef"), set()).add(boundary.get("id"))
    loops = {element.getparent().get("id") for element in root.iter(BPMN + "multiInstanceLoopCharacteristics",
                                                                      BPMN + "standardLoopCharacteristics")}
    boundaries = {b.get("id") for b in root.iter(BPMN + "boundaryEvent") if b.get("id")}
    return FlowMap(outgoing, gateways, interrupting, {i for i in loops if i}, boundaries)


def merged(maps: list[FlowMap]) -> FlowMap:
    """One map for an instance that ran on several versions (a migration)."""
    out = FlowMap()
    for flows in maps:
        for source, outgoing in flows.outgoing.items():
            known = out.outgoing.setdefault(source, [])
            known.extend(f for f in outgoing if f not in known)
        out.gateways.update(flows.gateways)
        for activity, boundaries in flows.interrupting.items():
            out.interrupting.setdefault(activity, set()).update(boundaries)
        out.loops.update(flows.loops)
        out.boundaries.update(flows.boundaries)
    return out
