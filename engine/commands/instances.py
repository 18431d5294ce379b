"""Instance commands: start, cancel, suspend, resume."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson

from ..audit.hash_chain import GENESIS
from ..db import definitions, instances, lifecycle
from ..errors import Conflict, Forbidden, NotFound
from ..runtime.workflow_run import WorkflowRun
from ..starters import Starters
from ..views import InstanceView
from .base import Command, CommandContext, handles
from .inputs import checked_data, checked_text
from .instance_store import LoadedInstance, add_event, json_safe, load, save


@dataclass(frozen=True)
class StartInstance(Command[InstanceView]):
    """Start an instance of the latest (or a given) version of process `key`."""

    key: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    business_key: str | None = None
    version: int | None = None
    start_event: str | None = None  # a message start's id (set by message correlation)


@handles(StartInstance)
def start_instance(cmd: StartInstance, ctx: CommandContext) -> InstanceView:
    """Create the instance and run it to its first wait state.

    Raises NotFound (no such process), InvalidData (a value outside the value domain, the
    start form's rules), Conflict (an instance of the process has the business key; the process
    is withdrawn), Forbidden (the process names starter groups the actor is not in), ScriptError
    (a step failed).
    """
    engine, conn = ctx.engine, ctx.conn
    row = definitions.starting(conn, cmd.key, cmd.version)
    if row is None:
        raise NotFound(f"process {cmd.key!r} not found" + (f" in version {cmd.version}" if cmd.version else ""))
    meta = orjson.loads(row.meta)
    _require_startable(cmd, row.key, meta, row if row.has_state else None)
    data = checked_data(cmd.data, ctx.engine.value_limits)
    checked_text(cmd.business_key, "business_key")
    if cmd.business_key is not None:
        _require_unused_business_key(conn, row.key, cmd.business_key)
    bindings = engine._bindings(conn, row)
    if cmd.start_event is None:
        if not meta.get("has_none_start"):
            raise Conflict(f"process {cmd.key!r} has no none start event: it starts by a message")
        form_key = meta.get("start_form_key")
        if form_key:
            data = engine._form_validator(conn, bindings, form_key).validate(data)
    initiator = _initiator(meta, cmd.start_event)
    if initiator:  # camunda:initiator: the starter's name, recorded with the start data (replay reads it there)
        data = {**data, initiator: cmd.actor.username}
    built = engine._built_spec(conn, row.id, bindings)
    instance_id = engine.new_id()
    head = SimpleNamespace(
        id=instance_id, definition_id=row.id, definition_key=row.key, definition_version=row.version,
        business_key=cmd.business_key, status=None, bindings=orjson.dumps(bindings).decode(), version=0,
        last_seq=0, last_hash=GENESIS, started_by=cmd.actor.username, created_at=ctx.now, ended_at=None)
    script_engine = engine._script_engine(ctx, instance_id, cmd.business_key)
    run = WorkflowRun.create(built.spec, built.subprocess_specs, script_engine)
    run.attach(script_engine, engine.settings.max_steps)
    loaded = LoadedInstance(head, run, built, {}, {}, [], new=True)
    add_event(loaded, "instance_started", cmd.actor.username, element_id=cmd.start_event, payload={
        "definition_id": row.id, "definition_key": row.key, "definition_version": row.version,
        "business_key": cmd.business_key, "bindings": bindings, "data": json_safe(data),
        "start_event": cmd.start_event})
    message = next((m["message"] for m in meta.get("message_starts", []) if m["id"] == cmd.start_event), None)
    timed = any(t["id"] == cmd.start_event for t in meta.get("timer_starts", []) + meta.get("signal_starts", []))
    if cmd.start_event is not None and message is None and not timed:
        raise NotFound(f"process {cmd.key!r} has no message, signal or timer start event {cmd.start_event!r}")
    engine._run_step(lambda: run.start(data, cmd.start_event, message))
    values = save(ctx, loaded, status=None)
    return engine._saved_view(head, values)


def _require_startable(cmd: StartInstance, key: str, meta: dict, state) -> None:
    """A withdrawn process starts no instance; who may start it by hand is in engine/starters.py
    (message, signal and timer starts are not a clerk's). `state`: its lifecycle row, or None."""
    if state is not None and state.withdrawn_at is not None:
        raise Conflict(f"process {key!r} is withdrawn: it starts no new instances (running ones go on)")
    rule = starters_of(state, meta)
    if cmd.start_event is None and not rule.allows(cmd.actor):
        raise Forbidden(rule.refusal(key))


def starters_of(state, meta: dict) -> Starters:
    """Who may start a process, from its lifecycle row (admin's groups) and a version's meta."""
    return Starters(tuple(lifecycle.starter_groups(state) or ()), tuple(meta.get("candidate_starter_groups") or ()),
                    tuple(meta.get("candidate_starter_users") or ()))


def _initiator(meta: dict, start_event: str | None) -> str | None:
    if start_event is None:
        return meta.get("initiator")
    return next((m.get("initiator") for m in meta.get("message_starts", []) if m["id"] == start_event), None)


def _require_unused_business_key(conn, key: str, business_key: str) -> None:
    """Business keys are unique per process (the database's unique index catches a race:
    a generic conflict, and the retry gets this message)."""
    other = instances.with_business_key(conn, key, business_key)
    if other is not None:
        raise Conflict(f"the business key {business_key!r} is already used by instance {other} of {key!r}",
                       errors={"business_key": [f"{business_key!r} is already used by instance {other}."]})


@dataclass(frozen=True)
class CancelInstance(Command[InstanceView]):
    """Cancel a running or suspended instance."""

    instance_id: str = ""
    reason: str | None = None


@handles(CancelInstance)
def cancel_instance(cmd: CancelInstance, ctx: CommandContext) -> InstanceView:
    """Cancel the instance: its tasks are cancelled, its timers removed. Raises NotFound, Conflict."""
    loaded = _load_live(ctx, cmd.instance_id)
    loaded.run.cancel()
    add_event(loaded, "instance_cancelled", cmd.actor.username, payload={"reason": cmd.reason})
    values = save(ctx, loaded, status="cancelled")
    return ctx.engine._saved_view(loaded.row, values)


@dataclass(frozen=True)
class SuspendInstance(Command[InstanceView]):
    """Suspend a running instance: nothing moves until it is resumed."""

    instance_id: str = ""
    reason: str | None = None


@handles(SuspendInstance)
def suspend_instance(cmd: SuspendInstance, ctx: CommandContext) -> InstanceView:
    loaded = _load_live(ctx, cmd.instance_id)
    if loaded.row.status == "suspended":
        raise Conflict("the instance is already suspended")
    add_event(loaded, "instance_suspended", cmd.actor.username, payload={"reason": cmd.reason} if cmd.reason else None)
    values = save(ctx, loaded, status="suspended")
    return ctx.engine._saved_view(loaded.row, values)


@dataclass(frozen=True)
class ResumeInstance(Command[InstanceView]):
    """Resume a suspended instance."""

    instance_id: str = ""
    reason: str | None = None


@handles(ResumeInstance)
def resume_instance(cmd: ResumeInstance, ctx: CommandContext) -> InstanceView:
    loaded = _load_live(ctx, cmd.instance_id)
    if loaded.row.status != "suspended":
        raise Conflict("the instance is not suspended")
    add_event(loaded, "instance_resumed", cmd.actor.username, payload={"reason": cmd.reason} if cmd.reason else None)
    ctx.engine._run_step(loaded.run.fire_timers)  # timers that fell due meanwhile fire now
    values = save(ctx, loaded, status="completed" if loaded.run.is_completed() else "running")
    return ctx.engine._saved_view(loaded.row, values)


def _load_live(ctx: CommandContext, instance_id: str) -> LoadedInstance:
    loaded = load(ctx, instance_id)
    if loaded.row.status in ("completed", "cancelled"):
        raise Conflict(f"the instance has already ended ({loaded.row.status})")
    return loaded
