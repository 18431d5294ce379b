"""What the stored projections must be, by the hash chain and the replay, and where they are not.

The instance row (head, columns, status, data, active elements), the stored workflow
state, the task and candidate rows, the timer rows and the message subscription rows are
what the engine and the API serve; the audit chain is the record. Each is compared with
what the record implies:

- the instance's columns with `instance_started` (process, version, bindings, business
  key, who started it, when), its status and active elements with the `after` of the
  last command, its `ended_at` with the command that ended it, its data with the
  variables folded from the events;
- every task row (and its candidates) with its `task_ready`, `task_claimed`,
  `task_unclaimed`, `task_completed` and `task_cancelled` events (state, assignee, who
  completed it and when, candidates, due date, form); a ready row no event made is
  found (the rows read are the chain's tasks and the instance's ready ones:
  db/projection_rows.py);
- the stored state with the replay: variables, ready tasks (by recorded id, through the
  replay's id map), waiting timers and their due times, message and signal waits,
  active elements; the timer and subscription rows with the stored state, by id.

Ids differ legitimately between the record and a replay (SpiffWorkflow makes new ones):
ready tasks are matched through the replay's map of recorded to replayed ids, timers and
waits by (element, due time) and (element, message). Task lanes, documentation and
priority come from the definition and are not in the record: they are not compared.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson

from ..definitions.files import normalize_form_key
from .hash_chain import format_at
from .time_travel import apply_data

ENDED = ("completed", "cancelled")


@dataclass(frozen=True)
class Finding:
    """One stored value that is not what the record says it must be."""

    kind: str  # head | instance | state | task | timer | subscription | checkpoint
    subject: str  # what differs: a column, `task <id> completed_by`, `state timers`, ...
    stored: Any
    expected: Any
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChainFacts:
    """What the record says the projections are."""

    started: dict
    started_by: str
    created_at: datetime
    status: str
    active_elements: list
    ended_at: datetime | None
    data: dict
    tasks: dict[str, dict]  # task id -> the row's expected values


@dataclass(frozen=True)
class StateProjection:
    """A workflow's projection with comparable values: ids as text, due times as text."""

    variables: dict
    ready: dict[str, str]  # task id -> element id
    timers: dict[str, tuple[str, str]]  # task id -> (element id, due time)
    messages: dict[str, tuple[str, str]]  # task id -> (element id, message name)
    active: list[str]


def chain_facts(events: list[dict]) -> ChainFacts:
    """Fold the events (dicts in seq order, `at` as datetimes, payloads parsed)."""
    first = events[0]
    data: dict = {}
    tasks: dict[str, dict] = {}
    status, active, ended_at = "running", [], None
    started = dict(first["payload"])  # the instance's columns as its start set them, then as later events moved them
    for e in events:
        kind, payload, at = e["type"], e["payload"], e["at"]
        apply_data(data, kind, payload)
        if kind == "instance_migrated":
            started.update(definition_id=payload.get("to_definition_id"), definition_version=payload.get("to_version"),
                           bindings=payload.get("bindings") or {})
            for tid, renamed in (payload.get("tasks") or {}).items():  # ready tasks take the new version's names
                if tid in tasks:
                    tasks[tid].update(renamed)
        elif kind == "business_key_changed":
            started["business_key"] = payload.get("to")
        tid = e["task_id"]
        if kind == "task_ready":
            tasks[tid] = {"element_id": e["element_id"], "name": payload.get("name"),
                          "candidate_groups": payload.get("candidate_groups") or [],
                          "candidate_users": payload.get("candidate_users") or [],
                          "assignee": payload.get("assignee"), "form_key": normalize_form_key(payload.get("form_key")),
                          "due_at": payload.get("due_at"), "state": "ready", "created_at": at,
                          "claimed_at": at if payload.get("assignee") else None,
                          "completed_at": None, "completed_by": None}
        elif tid in tasks:
            row = tasks[tid]
            if kind == "task_claimed":
                row.update(assignee=payload.get("assignee"), claimed_at=at)
            elif kind == "task_unclaimed":
                row.update(assignee=None, claimed_at=None)
            elif kind == "task_completed":
                row.update(state="completed", completed_at=at, completed_by=e["actor"])
            elif kind == "task_cancelled":
                row.update(state="cancelled", completed_at=at, completed_by=None)
        after = payload.get("after")
        if after is not None:
            if after.get("status") in ENDED and status not in ENDED:
                ended_at = at
            status, active = after.get("status"), after.get("active_elements") or []
    return ChainFacts(started, first["actor"], first["at"], status, active, ended_at, data, tasks)


def state_projection(run, ended: bool) -> StateProjection:
    """A WorkflowRun's projection (empty for an ended instance, as the engine saves it)."""
    from .replay import _json

    variables = _json(run.variables)
    if ended:
        return StateProjection(variables, {}, {}, {}, [])
    p = run.project()
    return StateProjection(variables, {tid: t.element_id for tid, t in p.ready.items()},
                           {tid: (element, format_at(due)) for tid, (element, due) in p.timers.items()},
                           {tid: (element, name) for tid, (element, name) in p.messages.items()}, list(p.active))


def compare_instance(row, facts: ChainFacts) -> list[Finding]:
    """The instance row's columns (not the state) against the record."""
    started = facts.started
    expected = {
        "definition_id": started.get("definition_id"), "definition_key": started.get("definition_key"),
        "definition_version": started.get("definition_version"), "business_key": started.get("business_key"),
        "bindings": started.get("bindings") or {}, "started_by": facts.started_by,
        "created_at": _when(facts.created_at), "status": facts.status, "active_elements": facts.active_elements,
        "ended_at": _when(facts.ended_at), "data": facts.data,
    }
    stored = {
        "definition_id": row.definition_id, "definition_key": row.definition_key,
        "definition_version": row.definition_version, "business_key": row.business_key,
        "bindings": _loads(row.bindings), "started_by": row.started_by, "created_at": _when(row.created_at),
        "status": row.status, "active_elements": _loads(row.active_elements), "ended_at": _when(row.ended_at),
        "data": _loads(row.data),
    }
    return [Finding("instance", name, stored[name], value, f"the stored {name} is not what the record says")
            for name, value in expected.items() if stored[name] != value]


def compare_tasks(task_rows, candidate_rows, facts: ChainFacts, instance_id: str,
                  definition_key: str | None) -> list[Finding]:
    """Every task row and its candidates against the task events of the chain."""
    out: list[Finding] = []
    by_id = {r.id: r for r in task_rows}
    for tid in sorted(set(by_id) - set(facts.tasks)):
        out.append(Finding("task", f"task {tid}", _task_summary(by_id[tid]), None,
                           "a task row that no task_ready event of the chain made"))
    for tid in sorted(set(facts.tasks) - set(by_id)):
        out.append(Finding("task", f"task {tid}", None, _jsonable(facts.tasks[tid]),
                           "the chain made this task ready but its row is missing"))
    candidates: dict[str, set] = {}
    offers: dict[str, list] = {}
    for c in candidate_rows:
        candidates.setdefault(c.task_id, set()).add((c.kind, c.name))
        offers.setdefault(c.task_id, []).append(c)
    for tid in sorted(set(by_id) & set(facts.tasks)):
        row, want = by_id[tid], facts.tasks[tid]
        stored = {"element_id": row.element_id, "name": row.name,
                  "candidate_groups": _loads(row.candidate_groups), "candidate_users": _loads(row.candidate_users),
                  "assignee": row.assignee, "form_key": row.form_key,
                  "due_at": format_at(row.due_at) if row.due_at else None, "state": row.state,
                  "created_at": row.created_at, "claimed_at": row.claimed_at, "completed_at": row.completed_at,
                  "completed_by": row.completed_by}
        for name, value in want.items():
            if _when(stored[name]) != _when(value):
                out.append(Finding("task", f"task {tid} {name}", _when(stored[name]), _when(value),
                                   f"the task row's {name} is not what the chain's task events say"))
        if row.instance_id != instance_id:
            out.append(Finding("task", f"task {tid} instance_id", row.instance_id, instance_id,
                               "the task row was moved to another instance"))
        if definition_key is not None and row.definition_key != definition_key:
            out.append(Finding("task", f"task {tid} definition_key", row.definition_key, definition_key,
                               "the task row names another process than the instance's"))
        want_candidates = ({("group", g) for g in want["candidate_groups"]}
                           | {("user", u) for u in want["candidate_users"]})
        got = candidates.get(tid, set())
        if got != want_candidates:
            out.append(Finding("task", f"task {tid} candidates", sorted(map(list, got)),
                               sorted(map(list, want_candidates)),
                               "the inbox offers the task to others than the chain's task_ready event names"))
        out += _offer_findings(tid, row, want, offers.get(tid, ()))
    return out


def _offer_findings(tid: str, row, want: dict, offers) -> list[Finding]:
    """The inbox's copy of the task in its candidate rows: on offer exactly while the chain leaves it
    ready and unclaimed, under the task row's process, due date and creation time."""
    on_offer = want["state"] == "ready" and want["assignee"] is None
    out = []
    for c in offers:
        if bool(c.offered) != on_offer:
            out.append(Finding("task", f"task {tid} offered to {c.kind} {c.name}", bool(c.offered), on_offer,
                               "the inbox offers a task the chain says is ended or claimed, or hides an open one"))
        for name in ("definition_key", "due_at", "created_at"):
            got, expected = getattr(c, name), getattr(row, name)
            if _when(got) != _when(expected):
                out.append(Finding("task", f"task {tid} offer {name}", _when(got), _when(expected),
                                   f"the inbox's copy of the task's {name} is not the task row's"))
    return out


def compare_state(stored: StateProjection, facts: ChainFacts, replayed: StateProjection | None,
                  task_map: dict[str, str]) -> list[Finding]:
    """The stored state against the record's variables and ready tasks, and against the replay."""
    out: list[Finding] = []
    if stored.variables != facts.data:
        out.append(Finding("state", "state variables", stored.variables, facts.data,
                           "the stored state's variables are not those folded from the events"))
    ready = {tid: t["element_id"] for tid, t in facts.tasks.items() if t["state"] == "ready"}
    if stored.ready != ready:
        out.append(Finding("state", "state ready tasks", stored.ready, ready,
                           "the stored state's ready tasks are not those the chain left ready"))
    if replayed is None:
        return out
    recorded_of = {replay_id: recorded for recorded, replay_id in task_map.items()}
    replay_ready = {recorded_of.get(tid, f"replay:{tid}"): element for tid, element in replayed.ready.items()}
    if stored.ready != replay_ready:
        out.append(Finding("state", "state ready tasks (replay)", stored.ready, replay_ready,
                           "the stored state's ready tasks are not those the replay leaves ready"))
    pairs = (("timers", "waiting timers (element, due time)", stored.timers, replayed.timers),
             ("messages", "message and signal waits (element, name)", stored.messages, replayed.messages))
    for name, what, mine, theirs in pairs:
        if sorted(mine.values()) != sorted(theirs.values()):
            out.append(Finding("state", f"state {name}", sorted(map(list, mine.values())),
                               sorted(map(list, theirs.values())), f"the stored state's {what} are not the replay's"))
    if sorted(stored.active) != sorted(replayed.active):
        out.append(Finding("state", "state active elements", sorted(stored.active), sorted(replayed.active),
                           "the stored state's active elements are not the replay's"))
    return out


def compare_timers(timer_rows, expected: dict[str, tuple[str, str]], by_id: bool) -> list[Finding]:
    """Timer rows against the stored state's timers (by id) or the replay's (by element and due time)."""
    stored = {r.id: (r.element_id, format_at(r.due_at)) for r in timer_rows}
    if by_id:
        if stored == expected:
            return []
        mine, theirs = _by_id(stored), _by_id(expected)
    elif sorted(stored.values()) == sorted(expected.values()):
        return []
    else:
        mine, theirs = sorted(map(list, stored.values())), sorted(map(list, expected.values()))
    return [Finding("timer", "timer rows", mine, theirs, "the timer rows (what the worker fires, and when) are "
                                                         "not the waiting timers of the instance")]


def compare_subscriptions(rows, expected: dict[str, tuple[str, str]], business_key: str | None) -> list[Finding]:
    """Message subscription rows against the stored state's waits, by row id."""
    from ..db.subscriptions import _row_id

    stored = {r.id: [r.element_id, r.message_name, r.business_key] for r in rows}
    want = {_row_id(tid, name): [element, name, business_key] for tid, (element, name) in expected.items()}
    if stored == want:
        return []
    return [Finding("subscription", "message subscription rows", stored, want,
                    "the message subscription rows (what correlation finds) are not the instance's waits")]


def _by_id(d: dict) -> dict:
    return {k: list(v) for k, v in sorted(d.items())}


def _task_summary(row) -> dict:
    return {"element_id": row.element_id, "state": row.state, "assignee": row.assignee,
            "completed_by": row.completed_by}


def _loads(text):
    try:
        return orjson.loads(text) if text is not None else None
    except orjson.JSONDecodeError:
        return text


def _when(value):
    """Datetimes as their hashed text (UTC, microseconds); anything else as it is."""
    return format_at(value) if isinstance(value, datetime) else value


def _jsonable(d: dict) -> dict:
    return {k: _when(v) for k, v in d.items()}
