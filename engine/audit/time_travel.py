"""Time travel: an instance as it was right after any event, folded from its audit log.

Commands are atomic: the status and active elements after an event are those the
command containing it left (its last event's `after`); the data is folded event by
event (start data, task submissions, script/decision/connector changes, messages).
"""
from __future__ import annotations

from typing import Any

DATA_EVENTS = ("task_completed", "element_completed", "output_collected", "external_task_completed",
               "external_task_bpmn_error", "script_ran")


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


def state_at(events: list[dict], seq: int) -> dict[str, Any]:
    """The instance right after event `seq` (events as dicts, in seq order).

    Returns:
        {"seq", "data", "status", "active_elements", "open_tasks"}.

    Raises:
        ValueError: no such seq.
    """
    if not any(e["seq"] == seq for e in events):
        raise ValueError(f"no event {seq}")
    data: dict[str, Any] = {}
    tasks: dict[str, dict] = {}
    after = {"status": "running", "active_elements": []}
    for e in events:
        if e["seq"] > seq:
            if "after" in e["payload"] and not _starts_command(e):
                after = e["payload"]["after"]
            if _starts_command(e) or "after" in e["payload"]:
                break
            continue
        payload = e["payload"]
        apply_data(data, e["type"], payload)
        if e["type"] == "task_ready":
            tasks[e["task_id"]] = {"id": e["task_id"], "element_id": e["element_id"], "name": payload.get("name"),
                                   "candidate_groups": payload.get("candidate_groups", []),
                                   "assignee": payload.get("assignee")}
        elif e["type"] in ("task_completed", "task_cancelled"):
            tasks.pop(e["task_id"], None)
        elif e["type"] == "task_claimed" and e["task_id"] in tasks:
            tasks[e["task_id"]]["assignee"] = payload.get("assignee")
        elif e["type"] == "task_unclaimed" and e["task_id"] in tasks:
            tasks[e["task_id"]]["assignee"] = None
        if "after" in payload:
            after = payload["after"]
    return {"seq": seq, "data": data, "status": after["status"], "active_elements": after["active_elements"],
            "open_tasks": list(tasks.values())}


INPUT_EVENTS = ("instance_started", "task_completed", "task_claimed", "task_unclaimed", "timer_fired",
                "message_correlated", "signal_received", "instance_cancelled", "instance_suspended", "instance_resumed",
                "incident_created", "incident_retried", "instance_migrated",
                "external_task_completed", "external_task_failed", "external_task_bpmn_error")


def _starts_command(e: dict) -> bool:
    return e["type"] in INPUT_EVENTS
