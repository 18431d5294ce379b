"""Time travel: an instance as it was right after any event, folded from its audit log alone.

Each event changes the picture by what it says, in the order it was recorded:
- the data is folded event by event (start data, task submissions, script/decision/connector
  changes, messages);
- an element is active from the event that made it wait or work (`task_ready`,
  `external_task_created`) until the event that ended it (its completion, `task_cancelled`,
  `timer_fired`, ...); waits that have no event of their own (a timer, a message catch) appear
  with the last event of the command that reached them, whose `after` says exactly where the
  command left the instance (commands are atomic);
- a sequence flow is taken when its source completed (a boundary timer: when it fired) and,
  for a gateway that chose, when its target is one the gateway chose (`taken` in its event); an event-based gateway's flow is
  taken when the event behind it happened. Nothing is inferred from the diagram's shape, so a
  loop back to a done element is coloured only if the history took it.
"""
from __future__ import annotations

import copy
from typing import Any

from .flow_map import FlowMap

DATA_EVENTS = ("task_completed", "element_completed", "output_collected", "listener_ran", "external_task_completed",
               "external_task_bpmn_error", "script_ran")
# Events by which an element finished (it is done once more, and no longer active).
# (A timer or a message is the input that lets its catch event complete: `element_completed` follows.)
COMPLETION_EVENTS = ("element_completed", "task_completed", "external_task_completed")
ENDING_EVENTS = COMPLETION_EVENTS + ("task_cancelled", "external_task_cancelled", "external_task_bpmn_error",
                                     "timer_fired")
STARTING_EVENTS = ("task_ready", "external_task_created")

INPUT_EVENTS = ("instance_started", "task_completed", "task_claimed", "task_unclaimed", "timer_fired",
                "message_correlated", "signal_received", "instance_cancelled", "instance_suspended", "instance_resumed",
                "incident_created", "incident_retried", "instance_migrated",
                "external_task_completed", "external_task_failed", "external_task_bpmn_error",
                "task_reassigned", "comment_added")


def apply_data(data: dict[str, Any], event_type: str, payload: dict) -> None:
    """Apply one event's effect on the variables."""
    if event_type == "instance_started":
        data.clear()
        data.update(payload.get("data") or {})
    elif event_type == "message_correlated":
        if payload.get("variable"):  # SpiffArena's messageVariable: the data is that variable
            data[payload["variable"]] = dict(payload.get("data") or {})
        else:
            data.update(payload.get("data") or {})
    if event_type in DATA_EVENTS:
        data.update(payload.get("changes") or {})
        for key in payload.get("deleted") or []:
            data.pop(key, None)


class _Fold:
    """The picture after the events seen so far."""

    def __init__(self, flows: FlowMap | None):
        self.flows = flows or FlowMap()
        self.data: dict[str, Any] = {}
        self.tasks: dict[str, dict] = {}
        self.status = "running"
        self.active: list[str] = []
        self.done: dict[str, int] = {}
        self.taken: list[str] = []
        self._reported: set = set()
        self._pending: tuple[str, list[str]] | None = None  # an activity's flows, unless a boundary took over

    def apply(self, e: dict) -> None:
        payload, kind, element = e["payload"], e["type"], e.get("element_id")
        if self._pending is not None:
            activity, flows = self._pending
            self._pending = None
            if kind == "element_completed" and element in self.flows.interrupting.get(activity, ()):
                pass  # a boundary event took over: the activity's own flows were not taken
            elif element == activity and kind in COMPLETION_EVENTS:
                pass  # another instance of a multi-instance activity, or the activity itself: later
            else:
                self._mark(flows)
        apply_data(self.data, kind, payload)
        if kind == "task_ready":
            self.tasks[e["task_id"]] = {"id": e["task_id"], "element_id": element, "name": payload.get("name"),
                                        "candidate_groups": payload.get("candidate_groups", []),
                                        "assignee": payload.get("assignee")}
        elif kind in ("task_completed", "task_cancelled"):
            self.tasks.pop(e["task_id"], None)
        elif kind in ("task_claimed", "task_reassigned") and e["task_id"] in self.tasks:
            self.tasks[e["task_id"]]["assignee"] = payload.get("assignee")
        elif kind == "task_unclaimed" and e["task_id"] in self.tasks:
            self.tasks[e["task_id"]]["assignee"] = None
        if element and kind in STARTING_EVENTS and element not in self.active:
            self.active.append(element)
        if element and kind in ENDING_EVENTS and element in self.active and not any(
                t["element_id"] == element for t in self.tasks.values()):  # a multi-instance's other tasks
            self.active.remove(element)
        if element and kind == "timer_fired" and element in self.flows.boundaries:
            # A boundary timer's token leaves when it fires: a cycle fires several times and the
            # event is reported completed only once its cycle is over.
            self._mark([flow for flow, _ in self.flows.outgoing.get(element, ())])
        if element and kind in COMPLETION_EVENTS and self._first_report(e):
            self.done[element] = self.done.get(element, 0) + 1
            self._take(element, kind, payload)
        if kind in ("instance_completed", "instance_cancelled"):
            self.status = "completed" if kind == "instance_completed" else "cancelled"
        if "after" in payload:
            if self._pending is not None:
                self._mark(self._pending[1])
                self._pending = None
            self.status = payload["after"]["status"]
            self.active = list(payload["after"]["active_elements"])

    def _first_report(self, e: dict) -> bool:
        # Should one task's completion be reported twice (by the command's input event and by
        # the step that ran it, with the same task id), it counts once.
        key = (e.get("element_id"), e.get("task_id"))
        if e.get("task_id") is not None and key in self._reported:
            self._reported.discard(key)
            return False
        if e.get("task_id") is not None:
            self._reported.add(key)
        return True

    def _take(self, element: str, kind_of_event: str, payload: dict) -> None:
        kind = self.flows.gateways.get(element)
        if kind == "eventBasedGateway":  # it completes when one branch's event happened: the others end
            for _, target in self.flows.outgoing.get(element, ()):
                if target in self.active and target not in payload.get("taken", ()):
                    self.active.remove(target)
        if kind is not None and "taken" in payload:
            self._mark(self.flows.flows_to(element, payload["taken"]))
            return
        flows = [flow for flow, _ in self.flows.outgoing.get(element, ())]
        if element in self.flows.loops and kind_of_event == "task_completed":
            return  # one instance of a multi-instance user task: the activity completes later
        if element in self.flows.interrupting or element in self.flows.loops:
            # A subprocess left by an error (or escalation) end event is reported completed, then
            # its boundary event: its own outgoing flows were not taken (the next event says);
            # a multi-instance activity reports each instance, then itself, all completed.
            self._pending = (element, flows)
        else:
            self._mark(flows)

    def _mark(self, flows: list[str]) -> None:
        for flow in flows:
            if flow not in self.taken:
                self.taken.append(flow)

    def picture(self, seq: int) -> dict[str, Any]:
        return {"seq": seq, "data": copy.deepcopy(self.data), "status": self.status,
                "active_elements": list(self.active), "open_tasks": [dict(t) for t in self.tasks.values()],
                "completed_elements": dict(self.done), "taken_flows": list(self.taken)}


def pictures(events: list[dict], flows: FlowMap | None = None) -> list[dict[str, Any]]:
    """The picture after every event, in seq order (events as dicts, in seq order)."""
    fold = _Fold(flows)
    out = []
    for e in events:
        fold.apply(e)
        out.append(fold.picture(e["seq"]))
    return out


def state_at(events: list[dict], seq: int, flows: FlowMap | None = None) -> dict[str, Any]:
    """The instance right after event `seq` (events as dicts, in seq order).

    Returns:
        {"seq", "data", "status", "active_elements", "open_tasks", "completed_elements" (element id ->
        times completed), "taken_flows" (sequence flow ids, in the order first taken)}.

    Raises:
        ValueError: no such seq.
    """
    if not any(e["seq"] == seq for e in events):
        raise ValueError(f"no event {seq}")
    fold = _Fold(flows)
    for e in events:
        if e["seq"] > seq:
            break
        fold.apply(e)
    return fold.picture(seq)
