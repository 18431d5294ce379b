"""External task commands (Camunda 7's protocol): fetch and lock, complete, report a failure or
a BPMN error, lock, extend or give back a lock.

A worker's report on a task is a command on its instance, with its audit event and the
variables it set (recorded with their types, so a replay re-applies them). Locks are no
instance state: fetching, locking and unlocking change the `external_task` row only and
leave no audit event. Locks count in real time (`Engine.wall`), as leases do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from ..db import external_tasks as rows_db
from ..db import incidents
from ..db.external_tasks import external_task
from ..db.instances import instance
from ..errors import Conflict, InvalidData, NotFound
from ..runtime import external_tasks as external
from ..runtime.workflow_state import stored_variables, typed
from ..values import InvalidValue, check_variables
from ..views import ExternalTaskView, InstanceView
from .base import Command, CommandContext, handles
from .instance_store import Head, add_event, json_safe, load, save

MAX_CANDIDATES = 1_000  # rows a process-variable filter reads to find its tasks


@dataclass(frozen=True)
class TopicRequest:
    """One topic of a fetch: its lock duration and filters (Camunda's topic object)."""

    name: str
    lock_duration_ms: int
    variables: tuple[str, ...] | None = None  # None: every variable
    local_variables: bool = False  # only the task's own (a multi-instance item)
    business_key: str | None = None
    definition_ids: tuple[str, ...] = ()
    definition_keys: tuple[str, ...] = ()
    version_tag: str | None = None  # diwan's processes have none: matches nothing
    tenant_ids: tuple[str, ...] = ()  # diwan has no tenants: a tenant filter matches nothing
    process_variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchAndLock(Command[list[ExternalTaskView]]):
    """Lock up to `max_tasks` free external tasks of the topics for a worker."""

    worker_id: str = ""
    max_tasks: int = 1
    topics: tuple[TopicRequest, ...] = ()
    use_priority: bool = False
    newest_first: bool = False  # Camunda's sorting by createTime desc (default: oldest first)


@handles(FetchAndLock)
def fetch_and_lock(cmd: FetchAndLock, ctx: CommandContext) -> list[ExternalTaskView]:
    """Returns the tasks locked, with the variables each topic asks for.

    Raises InvalidData (no worker id, a topic given twice, a lock duration not above zero).
    """
    _require_worker(cmd.worker_id)
    names = [t.name for t in cmd.topics]
    if len(set(names)) != len(names):
        raise InvalidData("each topic may be given once", errors={"topics": ["Each topic name may appear once."]})
    for t in cmd.topics:
        if t.lock_duration_ms <= 0:
            raise InvalidData(f"topic {t.name!r}: lockDuration must be above zero",
                              errors={"topics.lockDuration": ["Must be greater than zero."]})
    if cmd.max_tasks <= 0 or not cmd.topics:
        return []
    conn, wall = ctx.conn, ctx.engine.wall.now()
    by_name = {t.name: t for t in cmd.topics}
    filtered = any(t.process_variables for t in cmd.topics)
    rows = rows_db.candidates(conn, [_topic_condition(t) for t in cmd.topics], wall=wall,
                              limit=MAX_CANDIDATES if filtered else cmd.max_tasks, use_priority=cmd.use_priority,
                              newest_first=cmd.newest_first, with_data=filtered)
    if filtered:
        rows = [r for r in rows if _variables_match(by_name[r.topic].process_variables, r.data)][:cmd.max_tasks]
    locked: list[str] = []
    for name, topic in by_name.items():
        ids = [r.id for r in rows if r.topic == name]
        locked += rows_db.lock_free(conn, ids, worker_id=cmd.worker_id, wall=wall,
                                    until=rows_db.lock_until(wall, topic.lock_duration_ms))
    order = {r.id: i for i, r in enumerate(rows)}
    found = sorted(rows_db.by_ids(conn, locked), key=lambda r: order[r.id])
    variables = _instance_variables(conn, {r.instance_id for r in found})
    return [view(r, _selected(by_name[r.topic], variables.get(r.instance_id, {}), r.local_variables))
            for r in found]


@dataclass(frozen=True)
class CompleteExternalTask(Command[InstanceView]):
    """A worker finished an external task: set its variables and run the instance on."""

    task_id: str = ""
    worker_id: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    local_variables: dict[str, Any] = field(default_factory=dict)


@handles(CompleteExternalTask)
def complete_external_task(cmd: CompleteExternalTask, ctx: CommandContext) -> InstanceView:
    """Complete the task with the worker's variables.

    `local_variables` belong to the task's own scope, which ends with it (diwan has no
    output mapping): they are checked and recorded, and set nothing.

    Raises NotFound, Conflict (not locked by this worker, the instance not running, a
    concurrent change), InvalidData (a variable diwan cannot keep), ScriptError (a step
    after the task failed: nothing is changed).
    """
    row, loaded, task = _reported(ctx, cmd.task_id, cmd.worker_id)
    variables = _checked(cmd.variables, "variables")
    local = _checked(cmd.local_variables, "localVariables")
    payload: dict[str, Any] = {"worker_id": cmd.worker_id, "variables": typed(variables)}
    if local:
        payload["local_variables"] = typed(local)
    _add_report(loaded, "external_task_completed", cmd.actor.username, row, task, payload)
    changes = ctx.engine._run_step(lambda: external.complete(loaded.run, task, variables))
    loaded.events[-1]["payload"]["changes"] = json_safe(changes)
    loaded.external_done = row.id
    values = save(ctx, loaded)
    return ctx.engine._saved_view(loaded.row, values)


@dataclass(frozen=True)
class FailExternalTask(Command[str | None]):
    """A worker could not do an external task: retry it later, or (no retries left) an incident."""

    task_id: str = ""
    worker_id: str = ""
    error_message: str | None = None
    error_details: str | None = None
    retries: int = 0
    retry_timeout_ms: int = 0


@handles(FailExternalTask)
def fail_external_task(cmd: FailExternalTask, ctx: CommandContext) -> str | None:
    """Record the failure; with `retries` above zero the task is fetchable again after
    `retry_timeout_ms`, at zero it opens an incident (the instance shows `failed` until an
    admin retries it). Returns the incident's id when one was opened.

    Raises NotFound, Conflict (not locked by this worker, the instance not running),
    InvalidData (negative retries or timeout).
    """
    if cmd.retries < 0:
        raise InvalidData("retries must not be negative", errors={"retries": ["Must be 0 or more."]})
    if cmd.retry_timeout_ms < 0:
        raise InvalidData("retryTimeout must not be negative", errors={"retryTimeout": ["Must be 0 or more."]})
    row, loaded, task = _reported(ctx, cmd.task_id, cmd.worker_id)
    wall = ctx.engine.wall.now()
    failures = row.failures + 1
    until = rows_db.lock_until(wall, cmd.retry_timeout_ms) if cmd.retry_timeout_ms and cmd.retries else None
    rows_db.record_failure(ctx.conn, row.id, retries=cmd.retries, failures=failures,
                           error_message=cmd.error_message, error_details=cmd.error_details, until=until)
    _add_report(loaded, "external_task_failed", cmd.actor.username, row, task, {
        "worker_id": cmd.worker_id, "error_message": cmd.error_message, "retries": cmd.retries,
        "retry_timeout": cmd.retry_timeout_ms})
    if cmd.retries:
        save(ctx, loaded)
        if until is None:
            ctx.after_commit.append(ctx.engine.external_signal.notify)
        return None
    incident_id, _ = _open_incident(ctx, loaded, row, cmd.error_message or "the external task failed with no "
                                    "retries left", failures)
    return incident_id


@dataclass(frozen=True)
class ThrowExternalBpmnError(Command[InstanceView]):
    """A worker reported a business error: the task's error boundary event takes it."""

    task_id: str = ""
    worker_id: str = ""
    error_code: str = ""
    error_message: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@handles(ThrowExternalBpmnError)
def throw_external_bpmn_error(cmd: ThrowExternalBpmnError, ctx: CommandContext) -> InstanceView:
    """Set the variables and throw the error from the task. An error no event catches sets
    nothing and opens an incident instead (instance `failed`), never a silent end.

    Raises NotFound, Conflict, InvalidData (no error code, a bad variable), ScriptError.
    """
    if not cmd.error_code:
        raise InvalidData("errorCode is required", errors={"errorCode": ["Required."]})
    row, loaded, task = _reported(ctx, cmd.task_id, cmd.worker_id)
    variables = _checked(cmd.variables, "variables")
    _add_report(loaded, "external_task_bpmn_error", cmd.actor.username, row, task, {
        "worker_id": cmd.worker_id, "error_code": cmd.error_code, "error_message": cmd.error_message,
        "variables": typed(variables)})
    changes = ctx.engine._run_step(
        lambda: external.throw_error(loaded.run, task, cmd.error_code, cmd.error_message, variables))
    if changes is None:
        loaded.events[-1]["payload"]["caught"] = False
        message = f"BPMN error {cmd.error_code!r} was thrown but no error event catches it"
        rows_db.record_failure(ctx.conn, row.id, retries=0, failures=row.failures + 1, error_message=message,
                               error_details=cmd.error_message, until=None)
        _, values = _open_incident(ctx, loaded, row, message, row.failures + 1)
        return ctx.engine._saved_view(loaded.row, values)
    loaded.events[-1]["payload"]["changes"] = json_safe(changes)
    loaded.external_done = row.id
    values = save(ctx, loaded)
    return ctx.engine._saved_view(loaded.row, values)


@dataclass(frozen=True)
class LockExternalTask(Command[None]):
    """Lock one external task for a worker (or, with `extend`, lengthen the worker's lock)."""

    task_id: str = ""
    worker_id: str = ""
    duration_ms: int = 0
    extend: bool = False


@handles(LockExternalTask)
def lock_external_task(cmd: LockExternalTask, ctx: CommandContext) -> None:
    """The lock runs `duration_ms` from now.

    Raises NotFound, Conflict (locked by another worker; to extend: not locked by this
    worker, or its lock ran out), InvalidData (no worker id, a duration not above zero).
    """
    _require_worker(cmd.worker_id)
    name = "newDuration" if cmd.extend else "lockDuration"
    if cmd.duration_ms <= 0:
        raise InvalidData(f"{name} must be above zero", errors={name: ["Must be greater than zero."]})
    row = _row(ctx, cmd.task_id)
    wall = ctx.engine.wall.now()
    locked = row.lock_expires_at is not None and row.lock_expires_at > wall
    if cmd.extend and (not locked or row.worker_id != cmd.worker_id):
        raise Conflict(f"the external task is not locked by worker {cmd.worker_id!r}"
                       + (f" (it is locked by {row.worker_id!r})" if locked else ""))
    if not cmd.extend and locked and row.worker_id != cmd.worker_id:
        raise Conflict(f"the external task is locked by another worker ({row.worker_id!r})")
    rows_db.set_lock(ctx.conn, row.id, cmd.worker_id, rows_db.lock_until(wall, cmd.duration_ms))


@dataclass(frozen=True)
class UnlockExternalTask(Command[None]):
    """Give an external task's lock back: any worker may fetch it at once."""

    task_id: str = ""


@handles(UnlockExternalTask)
def unlock_external_task(cmd: UnlockExternalTask, ctx: CommandContext) -> None:
    """Raises NotFound."""
    row = _row(ctx, cmd.task_id)
    rows_db.set_lock(ctx.conn, row.id, None, None)
    ctx.after_commit.append(ctx.engine.external_signal.notify)


# -- helpers ---------------------------------------------------------------------------------
def view(row, variables: dict | None = None) -> ExternalTaskView:
    """The view of an `external_task` row read with its instance's business key and status."""
    return ExternalTaskView(
        id=row.id, instance_id=row.instance_id, definition_id=row.definition_id, definition_key=row.definition_key,
        element_id=row.element_id, topic=row.topic, priority=row.priority, worker_id=row.worker_id,
        lock_expires_at=row.lock_expires_at, retries=row.retries, error_message=row.error_message,
        error_details=row.error_details, created_at=row.created_at, business_key=row.business_key,
        suspended=row.instance_status == "suspended", properties=orjson.loads(row.properties),
        variables=variables)


def _require_worker(worker_id: str) -> None:
    if not isinstance(worker_id, str) or not worker_id.strip():
        raise InvalidData("workerId is required", errors={"workerId": ["Required."]})


def _row(ctx: CommandContext, task_id: str):
    row = rows_db.with_instance(ctx.conn, task_id)
    if row is None:
        raise NotFound(f"external task {task_id} not found (it may have been completed or cancelled)")
    return row


def _reported(ctx: CommandContext, task_id: str, worker_id: str):
    """The row, the loaded instance and the waiting task a worker reports on.

    A report must come from the worker of the task's latest lock (its lock may have run
    out: nobody else took the task meanwhile), as in Camunda.
    """
    _require_worker(worker_id)
    row = _row(ctx, task_id)
    if row.worker_id is None:
        raise Conflict("the external task is not locked: fetch and lock it first")
    if row.worker_id != worker_id:
        raise Conflict(f"the external task is locked by worker {row.worker_id!r}, not {worker_id!r}")
    if not rows_db.hold_for_report(ctx.conn, row.id, worker_id):
        raise Conflict("another worker locked the external task meanwhile")
    loaded = load(ctx, row.instance_id, Head(row))
    if loaded.row.status != "running":
        raise Conflict(f"the instance is {loaded.row.status}")
    task = external.find(loaded.run, row.id, ctx.engine.connectors)
    if task is None:
        raise Conflict("the external task no longer waits for a worker")
    return row, loaded, task


def _add_report(loaded, event: str, actor: str, row, task, payload: dict) -> None:
    where = external.locator(task)
    if where:
        payload["locator"] = list(where)
    add_event(loaded, event, actor, element_id=row.element_id, task_id=row.id, payload=payload)


def _open_incident(ctx: CommandContext, loaded, row, message: str, failures: int) -> tuple[str, dict]:
    incident_id = ctx.engine.new_id()
    incidents.insert(ctx.conn, id=incident_id, instance_id=row.instance_id, kind="external", source_id=row.id,
                     element_id=row.element_id, message=message, attempts=failures, created_at=ctx.now)
    add_event(loaded, "incident_created", "system", element_id=row.element_id, task_id=row.id, payload={
        "incident_id": incident_id, "kind": "external", "message": message, "attempts": failures})
    return incident_id, save(ctx, loaded, status="failed")


def _checked(variables: dict[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(variables, dict):
        raise InvalidData(f"{where} must be an object", errors={where: ["Must be an object."]})
    try:
        return check_variables(variables)
    except InvalidValue as exc:
        raise InvalidData(f"variable {exc.path}: {exc.reason}", errors={f"{where}.{exc.path}": [exc.reason]}) from None


def _topic_condition(t: TopicRequest):
    cond = [external_task.c.topic == t.name]
    if t.business_key is not None:
        cond.append(instance.c.business_key == t.business_key)
    if t.definition_ids:
        cond.append(external_task.c.definition_id.in_(t.definition_ids))
    if t.definition_keys:
        cond.append(external_task.c.definition_key.in_(t.definition_keys))
    if t.version_tag is not None or t.tenant_ids:
        cond.append(sa.false())
    return sa.and_(*cond)


def _variables_match(wanted: dict[str, Any], data_json: str) -> bool:
    data = orjson.loads(data_json)
    return all(name in data and data[name] == value for name, value in wanted.items())


def _instance_variables(conn, instance_ids: set[str]) -> dict[str, dict]:
    """Each instance's variables with their types (from the stored state; the JSON column
    holds decimals and dates as text)."""
    out = {}
    for st in rows_db.instance_states(conn, instance_ids):
        variables = stored_variables(st.state)
        out[st.id] = variables if variables is not None else orjson.loads(st.data)
    return out


ISOLATED_MARK = "_isolated"  # a name no designer can give a variable (runtime/external_tasks.waiting)


def _selected(topic: TopicRequest, instance_vars: dict, local_json: str) -> dict[str, Any]:
    local = orjson.loads(local_json)
    isolated = local.pop(ISOLATED_MARK, False)  # inside a call with camunda:in/out: the callee's only
    values = dict(local) if topic.local_variables or isolated else {**instance_vars, **local}
    if topic.variables is not None:
        values = {name: values[name] for name in topic.variables if name in values}
    return values
