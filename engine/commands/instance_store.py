"""Loading an instance into a WorkflowRun and saving it back: projections, audit, versioned write."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition, SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from ..audit.hash_chain import GENESIS, canonical_text, format_at, payload_text, plain_payload_text
from ..definitions.files import normalize_form_key
from ..runtime.extension_scripts import PayloadMessageEventDefinition, PayloadSignalEventDefinition
from ..runtime.timer_events import add_duration
from ..db import audit_events, incidents, instance_tasks, instances, notify, outbox, subscriptions, tasks, timers
from ..errors import Conflict, InvalidData, NotFound
from ..runtime import workflow_state
from ..runtime.workflow_run import SIGNAL_PREFIX, Projection, ReadyTask, WorkflowRun
from . import external_rows
from .inputs import checked_data
from .base import CommandContext


class Head:
    """An instance head read together with a task (columns prefixed `inst__`)."""

    _layouts: dict[tuple[str, ...], list[tuple[int, str]]] = {}  # by the row's columns

    def __init__(self, row):
        layout = self._layouts.get(row._fields)
        if layout is None:
            layout = self._layouts[row._fields] = [(i, name[6:]) for i, name in enumerate(row._fields)
                                                   if name.startswith("inst__")]
        attrs = self.__dict__
        for i, name in layout:
            attrs[name] = row[i]


@dataclass
class LoadedInstance:
    """An instance row (without the state blob) and its live run for one command."""

    row: Any
    run: WorkflowRun
    built: Any
    ready_before: dict[str, ReadyTask]
    timers_before: dict[str, tuple[str, datetime]]
    events: list[dict]
    messages_before: dict[str, tuple[str, str]] = field(default_factory=dict)
    new: bool = False
    bindings: dict[str, str] = field(default_factory=dict)  # the row's, parsed
    external_before: dict = field(default_factory=dict)  # waiting external tasks, by id
    external_done: str | None = None  # the external task a worker's report ended in this command


def dumps(value) -> str:
    return orjson.dumps(value, default=workflow_state.to_json_value,
                        option=orjson.OPT_NON_STR_KEYS).decode()


def json_safe(value):
    return orjson.loads(dumps(value))


def _payload_text(payload: dict) -> str:
    """The canonical payload text straight from the payload when it holds JSON values only
    (most do): the same text as through `json_safe`, which a value JSON lacks (a Decimal,
    a date, a NaN) still goes through."""
    try:
        return plain_payload_text(payload)
    except (TypeError, ValueError):
        return payload_text(json_safe(payload))


def load(ctx: CommandContext, instance_id: str, head=None) -> LoadedInstance:
    """Load an instance for a command (from the live cache when its version matches).

    Args:
        head: the instance's head row when the caller already read it.

    Raises:
        NotFound: no such instance.
    """
    engine = ctx.engine
    row = head if head is not None else instances.head(ctx.conn, instance_id)
    if row is None:
        raise NotFound(f"instance {instance_id} not found")
    bindings = orjson.loads(row.bindings)
    built = engine._built_spec(ctx.conn, row.definition_id, bindings)
    run = engine.live.take(instance_id, row.version)
    if run is None:
        st = instances.state(ctx.conn, instance_id)
        wf = workflow_state.restore(st.state, instance_tasks.rows(ctx.conn, instance_id), built.spec,
                                    built.subprocess_specs)
        run = WorkflowRun(wf, _variables(wf, st.data))
    script_engine = engine._script_engine(ctx, instance_id, row.business_key)
    run.attach(script_engine, engine.settings.max_steps)
    before = run.projection or run.project()
    return LoadedInstance(row, run, built, before.ready, before.timers, [], before.messages, bindings=bindings,
                          external_before=external_rows.waiting(ctx, run))


def _variables(wf, data_json) -> dict:
    # The typed variables live in the workflow's own data (serialized with its types);
    # the JSON column is the read model.
    variables = wf.data.get("variables")
    if variables is None:
        variables = orjson.loads(data_json)
    return variables


def add_event(loaded: LoadedInstance, type_: str, actor: str, *, element_id: str | None = None,
              task_id: str | None = None, payload: dict | None = None) -> None:
    loaded.events.append({"type": type_, "actor": actor, "element_id": element_id, "task_id": task_id,
                          "payload": payload or {}})


def save(ctx: CommandContext, loaded: LoadedInstance, *, status: str | None = None,
         completed_task: tuple[str, str] | None = None) -> dict:
    """Sync projections, append audit events and write the state under the version check.

    Args:
        completed_task: (task id, actor) of the user task this command completed.

    Returns:
        The new instance row values (for the view).

    Raises:
        Conflict: another command changed the instance since it was loaded.
    """
    run, row, conn, now = loaded.run, loaded.row, ctx.conn, ctx.now
    old_status = row.status if not loaded.new else None
    events = list(loaded.events)
    for e in run.events:
        events.append({**e, "actor": "system"})
    # An error end event that nothing caught: an incident, the instance failed (README, "Errors").
    uncaught = [e.event_definition for e in run.wf.bpmn_events if isinstance(e.event_definition, ErrorEventDefinition)]
    if status is None and uncaught:
        status = "failed"
    if status is None:
        status = "completed" if run.is_completed() else (old_status if old_status in ("suspended",) else "running")

    # Inbox projection.
    alive = status in ("running", "suspended", "failed")
    after = run.project_saved() if alive else Projection({}, {}, {}, [])
    ready_after = after.ready
    new_rows, candidates = [], []
    if after.appeared is not None:  # a wide instance's projection says what changed (runtime/wide_projection.py)
        appeared = [(tid, ready_after[tid]) for tid in after.appeared]
        gone = [(tid, after.gone_entries[tid]) for tid in after.gone]  # ready_before is the same dict
    else:
        appeared = [(tid, t) for tid, t in ready_after.items() if tid not in loaded.ready_before]
        gone = [(tid, t) for tid, t in loaded.ready_before.items() if tid not in ready_after]
    for tid, t in appeared:
        task_row, cands = _task_row(ctx, loaded, t, now)
        new_rows.append(task_row)
        candidates += cands
        events.append({"type": "task_ready", "actor": "system", "element_id": t.element_id, "task_id": tid,
                       "payload": {"name": t.name, "candidate_groups": orjson.loads(task_row["candidate_groups"]),
                                   "candidate_users": orjson.loads(task_row["candidate_users"]),
                                   "assignee": task_row["assignee"], "form_key": t.form_key,
                                   "due_at": format_at(task_row["due_at"]) if task_row["due_at"] else None}})
    ended = []
    for tid, t in gone:
        if completed_task and completed_task[0] == tid:
            ended.append((tid, "completed", now, completed_task[1]))
        else:
            ended.append((tid, "cancelled", now, None))
            events.append({"type": "task_cancelled", "actor": "system", "element_id": t.element_id,
                           "task_id": tid, "payload": {}})
    timers_after, messages_after = after.timers, after.messages
    outbox_rows = [
        {"id": ctx.engine.new_id(), "instance_id": row.id, "connector": e.connector, "element_id": e.element_id,
         "payload": dumps(e.payload), "created_at": now, "status": "pending", "attempts": 0,
         # Deliveries are due in real time (the engine clock may be a manual one, ahead of it).
         "next_attempt_at": ctx.engine.wall.now()}
        for e in run.engine.outbox]

    external_after = external_rows.waiting(ctx, run) if alive else {}
    events += external_rows.audit_events(loaded.external_before, external_after, loaded.external_done)
    if status != old_status and status == "completed":
        events.append({"type": "instance_completed", "actor": "system", "element_id": None, "task_id": None,
                       "payload": {}})

    # Messages thrown that no catch event of this instance took go to the other instances
    # (correlated by this instance's business key) once this instance is written.
    opened: list[dict] = []
    for event in run.wf.get_events():
        definition = event.event_definition
        if isinstance(definition, ErrorEventDefinition):
            element = _thrower(run, definition)
            message = getattr(definition, "message", None)
            text = f"BPMN error {definition.code!r} was thrown and no error event catches it" + \
                (f": {message}" if message else "")
            incident = {"id": ctx.engine.new_id(), "instance_id": row.id, "kind": "error", "source_id": row.id,
                        "element_id": element, "message": text, "attempts": 1, "created_at": now}
            opened.append(incident)
            events.append({"type": "incident_created", "actor": "system", "element_id": element, "task_id": None,
                           "payload": {"incident_id": incident["id"], "kind": "error", "message": text,
                                       "error_code": definition.code, "error_message": message, "attempts": 1}})
        elif isinstance(definition, MessageEventDefinition):
            thrown = {"name": definition.name}
            data = event.payload if isinstance(definition, PayloadMessageEventDefinition) else {}
            if data:  # SpiffArena's messagePayload: the data the receiving instance gets
                data = checked_data(data, ctx.engine.value_limits, field="message payload")
                thrown["data"] = json_safe(data)
            events.append({"type": "message_thrown", "actor": "system", "element_id": None, "task_id": None,
                           "payload": thrown})
            # A message with correlation properties (a SpiffArena conversation) goes by its correlation
            # values to any instance waiting for it, whatever its business key.
            correlated = bool(definition.correlation_properties)
            ctx.thrown.append((definition.name, None if correlated else row.business_key, data, correlated))
        elif isinstance(definition, SignalEventDefinition):  # broadcast to every instance
            thrown = {"name": definition.name}
            data = event.payload if isinstance(definition, PayloadSignalEventDefinition) else None
            if data is not None:  # SpiffArena's payloadExpression: what the catch events receive
                data = checked_data(data, ctx.engine.value_limits, field="signal payload")
                thrown["data"] = json_safe(data)
            events.append({"type": "signal_thrown", "actor": "system", "element_id": None, "task_id": None,
                           "payload": thrown})
            ctx.thrown.append((SIGNAL_PREFIX + definition.name, None, data, False))
    # The command's last event says where it left the instance (time travel reads it).
    if events:
        events[-1] = {**events[-1], "payload": {**(events[-1].get("payload") or {}),
                                                "after": {"status": status, "active_elements": after.active}}}
    # Audit chain.
    seq, prev = (0, GENESIS) if loaded.new else (row.last_seq, row.last_hash)
    audit_rows = []
    at = format_at(now)
    for e in events:
        seq += 1
        text = _payload_text(e.get("payload") or {})
        digest = hashlib.sha256(canonical_text(row.id, seq, at, e["type"], e["actor"], e.get("element_id"),
                                               e.get("task_id"), text, prev).encode()).hexdigest()
        audit_rows.append({"instance_id": row.id, "seq": seq, "at": now, "type": e["type"], "actor": e["actor"],
                           "element_id": e.get("element_id"), "task_id": e.get("task_id"), "payload": text,
                           "prev_hash": prev, "hash": digest})
        prev = digest

    # The instance row, versioned.
    run.compact()
    run.wf.data["variables"] = run.variables
    data = dumps(run.variables)
    limit = ctx.engine.value_limits.max_instance_bytes
    if len(data) > limit:  # before anything is written: the command changes nothing
        raise InvalidData(f"the instance's variables would take {len(data)} bytes, more than the {limit} allowed "
                          "(DIWAN_MAX_INSTANCE_DATA_KB)", errors=[{"field": "variables", "message": "too large"}])
    state = workflow_state.changes(run.wf, new=loaded.new)
    values = {
        "status": status,
        "data": data,
        "active_elements": dumps(after.active),
        "state": state.header,
        "last_seq": seq,
        "last_hash": prev,
        "ended_at": now if status in ("completed", "cancelled") else (row.ended_at if not loaded.new else None),
    }
    if loaded.new:
        values["version"] = 1
        instances.insert(conn, id=row.id, definition_id=row.definition_id, definition_key=row.definition_key,
                         definition_version=row.definition_version, business_key=row.business_key,
                         bindings=row.bindings, started_by=row.started_by, created_at=row.created_at, **values)
    else:
        values["version"] = row.version + 1
        if not instances.update_versioned(conn, row.id, row.version, status_changed=status != old_status,
                                          **values):
            raise Conflict("the instance was changed by another command; retry")
    # Rows that reference the instance, written after it.
    instance_tasks.write(conn, row.id, upserts=state.upserts, deletes=state.deletes,
                         dropped_workflows=state.dropped_workflows, replace_all=state.replace_all, new=loaded.new)
    workflow_state.stored(run.wf)
    if workflow_state.CHECK:
        workflow_state.check_rows(run.wf, instance_tasks.rows(conn, row.id))
    if tasks.end_many(conn, ended) != len(ended):
        raise Conflict("a task was ended by a concurrent command; retry")
    tasks.insert_many(conn, new_rows, candidates)
    timer_due = timers.sync(conn, row.id, loaded.timers_before, timers_after)
    subscriptions.sync(conn, row.id, row.business_key, loaded.messages_before, messages_after)
    outbox.insert_many(conn, outbox_rows)
    notify.work_added(conn, now, ctx.engine.settings.sweep_seconds, timer_due=timer_due, outbox=bool(outbox_rows))
    external_rows.write(ctx, row, loaded.external_before, external_after, now)
    audit_events.append(conn, audit_rows)
    for incident in opened:
        incidents.insert(conn, **incident)
    version = values["version"]
    run.projection = after
    if status not in ("completed", "cancelled"):  # an ended instance runs no more commands
        ctx.after_commit.append(lambda: ctx.engine.live.put(row.id, version, run))
    return values


def _thrower(run: WorkflowRun, definition) -> str | None:
    """The error end event whose definition this is (its spec is shared, so by identity)."""
    for spec in (run.wf.spec, *run.wf.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "event_definition", None) is definition:
                return task_spec.bpmn_id
    return None


def _task_row(ctx: CommandContext, loaded: LoadedInstance, t: ReadyTask, now: datetime) -> tuple[dict, list]:
    ext, variables = t.extensions, loaded.run.variables
    groups = _names(ext.get("camunda:candidateGroups"), variables)
    users = _names(ext.get("camunda:candidateUsers"), variables)
    lane = loaded.built.lanes.get(t.element_id, t.lane)
    if not groups and not users and lane:
        groups = [lane]
    assignee = _single(ext.get("camunda:assignee"), variables)
    due = _due(ext.get("camunda:dueDate"), variables, now, ctx.engine.tz)
    priority = _single(ext.get("camunda:priority"), variables)
    try:
        priority = int(priority) if priority is not None else None
    except ValueError:
        priority = None
    row = {"id": t.id, "instance_id": loaded.row.id, "definition_key": loaded.row.definition_key,
           "element_id": t.element_id, "name": t.name, "documentation": t.documentation, "lane": lane,
           "candidate_groups": dumps(groups), "candidate_users": dumps(users), "assignee": assignee,
           "form_key": normalize_form_key(t.form_key), "priority": priority, "due_at": due, "state": "ready",
           "created_at": now, "claimed_at": now if assignee else None, "completed_at": None,
           "completed_by": None, "mi_item": dumps(json_safe(t.item)) if t.item is not None else None}
    offer = {"task_id": t.id, "offered": assignee is None, "definition_key": loaded.row.definition_key,
             "due_at": due, "created_at": now}
    cands = [{**offer, "kind": "group", "name": g} for g in dict.fromkeys(groups)]
    cands += [{**offer, "kind": "user", "name": u} for u in dict.fromkeys(users)]
    return row, cands


def _resolve(text: str | None, variables: dict):
    if text is None:
        return None
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        return variables.get(text[2:-1].strip())
    return text


def _names(text: str | None, variables: dict) -> list[str]:
    value = _resolve(text, variables)
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _single(text: str | None, variables: dict):
    value = _resolve(text, variables)
    return None if value in (None, "") else str(value)


def _due(text: str | None, variables: dict, now: datetime, tz) -> datetime | None:
    value = _resolve(text, variables)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    value = str(value)
    try:
        if value.startswith("P"):
            return add_duration(now, value, tz)
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else None
    except Exception:
        return None
