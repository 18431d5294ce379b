"""Event commands: fire a due timer, correlate a message."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from ..audit.hash_chain import format_at
from ..db import definitions, instances, lifecycle, subscriptions, timers
from ..errors import NotFound
from ..views import InstanceView
from .base import Command, CommandContext, handles
from .inputs import checked_data, checked_text
from .instance_store import add_event, json_safe, load, save
from .instances import StartInstance, start_instance


@dataclass(frozen=True)
class FireTimer(Command["InstanceView | None"]):
    """Fire one due timer of an instance (nothing happens if it already fired or moved on).

    `due_at` is the due time the caller claimed; a row whose due time has changed since (a
    cycle that already fired) is stale. `at` fires at that engine time (the manual clock
    fires each timer at its own due time); by default, at the engine clock's now.
    """

    timer_id: str = ""
    due_at: datetime | None = None
    at: datetime | None = None


@handles(FireTimer)
def fire_timer(cmd: FireTimer, ctx: CommandContext) -> InstanceView | None:
    """Fire the timer and run the instance on. Returns None when stale.

    Raises ScriptError when a step fails (the caller retries, then records an incident).
    """
    row = ctx.conn.execute(timers.SELECT_ONE, {"id": cmd.timer_id}).first()
    if row is None or timers.aware(row.due_at) > ctx.now:
        return None
    if cmd.due_at is not None and timers.aware(row.due_at) != timers.aware(cmd.due_at):
        return None
    loaded = load(ctx, row.instance_id)
    if loaded.row.status != "running":
        return None
    add_event(loaded, "timer_fired", "system", element_id=row.element_id, task_id=row.id,
              payload={"due_at": format_at(timers.aware(row.due_at))})
    ctx.engine._run_step(loaded.run.fire_timers)
    values = save(ctx, loaded)
    return ctx.engine._saved_view(loaded.row, values)


@dataclass(frozen=True)
class CorrelateMessage(Command[list[str]]):
    """Deliver a message to every instance waiting for it under a business key (API.md, Messages)."""

    name: str = ""
    correlation_key: str = ""
    data: dict = field(default_factory=dict)


@handles(CorrelateMessage)
def correlate_message(cmd: CorrelateMessage, ctx: CommandContext) -> list[str]:
    """Merge the data into each waiting instance and run it on; start one by a message start
    event when none waits. Returns the ids of the instances reached.

    Raises NotFound (nothing waits and no process starts by this message), InvalidData (a
    value outside the value domain),
    ScriptError (a step failed: nothing is changed in any instance).
    """
    data = checked_data(cmd.data, ctx.engine.value_limits)
    checked_text(cmd.name, "name")
    checked_text(cmd.correlation_key, "correlation_key")
    reached = deliver_message(ctx, cmd.actor, cmd.name, cmd.correlation_key, data)
    if not reached:
        raise NotFound(f"no instance waits for message {cmd.name!r} with key {cmd.correlation_key!r}, "
                       "and no process starts with it")
    return reached


def deliver_signal(ctx: CommandContext, actor, name: str, data: dict | None = None) -> list[str]:
    """Broadcast a signal: every instance waiting for it, and a new instance of every process
    with a signal start event of that name. Returns the ids reached. `data`: the payload a
    SpiffArena `payloadExpression` gave it (a start event's `variableName` gets it)."""
    from ..runtime.workflow_run import SIGNAL_PREFIX

    reached = []
    for instance_id in subscriptions.waiting_instances(ctx.conn, SIGNAL_PREFIX + name, None, any_key=True):
        loaded = load(ctx, instance_id)
        if loaded.row.status != "running":
            continue
        payload = {"name": name} if data is None else {"name": name, "data": json_safe(data)}
        add_event(loaded, "signal_received", actor.username, payload=payload)
        if ctx.engine._run_step(lambda run=loaded.run: run.signal(name, data)):
            save(ctx, loaded)
            reached.append(instance_id)
    withdrawn = lifecycle.withdrawn_keys(ctx.conn)
    for row in definitions.latest_of_each(ctx.conn, "process"):
        if row.key in withdrawn:
            continue
        for start in orjson.loads(row.meta).get("signal_starts", []):
            if start["signal"] == name:
                start_data = {start["variable"]: dict(data)} if start.get("variable") and data is not None else {}
                view = start_instance(StartInstance(actor, row.key, start_data, None, row.version, start["id"]), ctx)
                reached.append(view.id)
    return reached


def deliver_message(ctx: CommandContext, actor, name: str, key: str | None, data: dict,
                    thrown: bool = False, any_key: bool = False) -> list[str]:
    """Deliver a message to the instances waiting for it under `key` (or start one by a message
    start event); returns the ids reached, empty when nobody takes it.

    Args:
        thrown: an instance threw it: a message start whose business key an instance of that
            process already has is dropped (as a message nobody takes), instead of a Conflict.
        any_key: a correlated message (correlation properties): every instance waiting for it is
            offered it, whatever its business key, and takes it if its correlation values match
            (a process it starts has no business key).
    """
    reached = []
    for instance_id in subscriptions.waiting_instances(ctx.conn, name, key, any_key=any_key):
        loaded = load(ctx, instance_id)
        if loaded.row.status != "running":
            continue
        payload = {"name": name, "correlation_key": key, "data": json_safe(data)}
        variable = loaded.run.message_variable(name)
        if variable is not None:  # SpiffArena's messageVariable: the data becomes that variable
            payload["variable"] = variable
        add_event(loaded, "message_correlated", actor.username, payload=payload)
        caught = ctx.engine._run_step(lambda run=loaded.run: run.correlate(name, data))
        if caught:
            save(ctx, loaded)
            reached.append(instance_id)
    if reached:
        return reached
    withdrawn = lifecycle.withdrawn_keys(ctx.conn)
    for row in definitions.latest_of_each(ctx.conn, "process"):
        if row.key in withdrawn:
            continue
        for start in orjson.loads(row.meta).get("message_starts", []):
            if start["message"] == name:
                if thrown and key is not None and instances.with_business_key(ctx.conn, row.key, key):
                    continue
                start_data = {start["variable"]: dict(data)} if start.get("variable") else dict(data)
                view = start_instance(StartInstance(actor, row.key, start_data, key, row.version, start["id"]), ctx)
                return [view.id]
    return []


@dataclass(frozen=True)
class FireStartTimer(Command[str | None]):
    """Start an instance by a timer start event and schedule the next start (cycles)."""

    timer_id: str = ""
    due_at: datetime | None = None
    at: datetime | None = None


@handles(FireStartTimer)
def fire_start_timer(cmd: FireStartTimer, ctx: CommandContext) -> str | None:
    """Returns the new instance's id (None when the schedule row is stale)."""
    from ..runtime.schedules import occurrence

    conn = ctx.conn
    row = conn.execute(timers.SELECT_START, {"id": cmd.timer_id}).first()
    if row is None or timers.aware(row.due_at) > ctx.now:
        return None
    if cmd.due_at is not None and timers.aware(row.due_at) != timers.aware(cmd.due_at):
        return None
    definition = definitions.by_id(conn, row.definition_id)
    if definition.key in lifecycle.withdrawn_keys(conn):  # withdrawn meanwhile (its schedule is removed)
        return None
    view = start_instance(StartInstance(cmd.actor, definition.key, {}, None, definition.version, row.element_id), ctx)
    following = occurrence(row.kind, row.value, timers.aware(row.origin), row.occurrence + 1, ctx.engine.tz,
                           previous=max(timers.aware(row.due_at), ctx.now))
    timers.schedule_next_start(conn, row.id, row.occurrence + 1, following)
    return view.id
