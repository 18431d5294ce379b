"""Deploy-time transformations of a BPMN tree into what SpiffWorkflow runs faithfully.

Each transformation rewrites, in place, one construct that SpiffWorkflow 3.2 does not parse (or
parses wrong) into plain BPMN that it does: events and gateways whose id is an internal name of
SpiffWorkflow get another id, shared event definitions are copied into their events, link events
become sequence flows, signal end events a signal throw before a none end event, calls to global
tasks an inline task, a receive task that starts its process a message start event, a process whose event sub-processes SpiffWorkflow would run unfaithfully a
sub-process around its content, event sub-processes inside a sub-process boundary events of that
sub-process, token quantities (startQuantity, completionQuantity) gateways, and implicit splits a
gateway. They run on the translated copy of a deployed file (translate.translate_bpmn), never on
the stored source: the diagram a designer deployed is the one served, and every spec build (a
restart, a replay) derives the same tree again, because each transformation depends on the
document alone. Forms a transformation does not handle are left as they are, and the rules of
constructs.py refuse them, naming the designer's element.

Elements a transformation adds get ids ending in `__<what>` (`start__split`); `origin()` tells which
designer's element each stands for.
"""
from __future__ import annotations

from lxml import etree

from . import (event_subprocesses, global_tasks, implicit_splits, instantiating_receive_tasks, links,
               process_event_subprocesses, reserved_ids, shared_definitions, signal_ends, token_quantities)
from .base import ORIGIN, origin

TRANSFORMS = (
    reserved_ids.rename,
    shared_definitions.inline,
    links.rewire,
    signal_ends.split,
    global_tasks.inline,
    instantiating_receive_tasks.to_start_events,
    process_event_subprocesses.wrap,
    event_subprocesses.to_boundary_events,
    token_quantities.apply,
    implicit_splits.insert_gateways,
)

__all__ = ["apply_transforms", "origin", "ORIGIN", "TRANSFORMS"]


def apply_transforms(root: etree._Element) -> etree._Element:
    """Apply every transformation to `root` (a bpmn:definitions element), in place; returns it."""
    if hasattr(root, "getroot"):
        root = root.getroot()
    for transform in TRANSFORMS:
        transform(root)
    return root
