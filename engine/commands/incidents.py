"""Failures nobody waited for: record an attempt, open an incident, retry it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..db import external_tasks, incidents, outbox, timers
from ..errors import Conflict, NotFound
from ..workers import leases
from ..views import InstanceView
from .base import Command, CommandContext, handles
from .instance_store import add_event, load, save


@dataclass(frozen=True)
class RecordFailure(Command[str | None]):
    """A timer firing or an outbox delivery failed: retry later, or open an incident."""

    kind: str = "timer"  # timer | outbox
    source_id: str = ""
    error: str = ""
    element_id: str | None = None


@handles(RecordFailure)
def record_failure(cmd: RecordFailure, ctx: CommandContext) -> str | None:
    """Count the attempt; after `max_attempts` the instance gets an incident and status failed.

    Returns the incident id when one was opened.
    """
    engine, conn = ctx.engine, ctx.conn
    settings = engine.settings
    wall = engine.wall.now()
    if cmd.kind == "timer":
        row = conn.execute(timers.SELECT_ONE, {"id": cmd.source_id}).first()
    else:
        row = outbox.get(conn, cmd.source_id)
    if row is None:
        return None
    attempts = row.attempts + 1
    limit = settings.max_attempts
    give_up = attempts >= limit
    backoff = timedelta(seconds=settings.retry_backoff_seconds * 2 ** (attempts - 1))
    if cmd.kind == "timer":
        leases.park(conn, "timer", row.id, attempts=attempts, error=cmd.error, until=wall + backoff, incident=give_up)
    else:
        outbox.record_failure(conn, row.id, attempts=attempts, error=cmd.error, retry_at=wall + backoff,
                              give_up=give_up)
    if not give_up:
        return None
    incident_id = engine.new_id()
    incidents.insert(conn, id=incident_id, instance_id=row.instance_id, kind=cmd.kind, source_id=row.id,
                     element_id=cmd.element_id or row.element_id, message=cmd.error, attempts=attempts,
                     created_at=ctx.now)
    loaded = load(ctx, row.instance_id)
    add_event(loaded, "incident_created", "system", element_id=cmd.element_id or row.element_id, payload={
        "incident_id": incident_id, "kind": cmd.kind, "message": cmd.error, "attempts": attempts})
    save(ctx, loaded, status="failed")
    return incident_id


@dataclass(frozen=True)
class RetryIncident(Command[InstanceView]):
    """Retry the work behind an incident, once its cause is fixed."""

    incident_id: str = ""


@handles(RetryIncident)
def retry_incident(cmd: RetryIncident, ctx: CommandContext) -> InstanceView:
    """Resolve the incident, make its timer or outbox row due again (an external task fetchable
    with one retry), set the instance running.

    Raises NotFound, Conflict (already resolved).
    """
    conn = ctx.conn
    row = incidents.get(conn, cmd.incident_id)
    if row is None:
        raise NotFound(f"incident {cmd.incident_id} not found")
    if row.resolved_at is not None:
        raise Conflict("the incident was already retried")
    incidents.resolve(conn, row.id, ctx.now)
    if row.kind == "error":  # an uncaught BPMN error: acknowledged, the instance goes on where it stood
        loaded = load(ctx, row.instance_id)
        add_event(loaded, "incident_retried", cmd.actor.username, element_id=row.element_id,
                  payload={"incident_id": row.id})
        still_open = [i for i in incidents.open_for_instance(conn, row.instance_id) if i.id != row.id]
        values = save(ctx, loaded, status="failed" if still_open else None)
        return ctx.engine._saved_view(loaded.row, values)
    if row.kind == "timer":
        timers.reset(conn, row.source_id)
    elif row.kind == "external":  # one more try for the workers (Camunda Cockpit's retry sets 1)
        external_tasks.reset_for_retry(conn, row.source_id)
        ctx.after_commit.append(ctx.engine.external_signal.notify)
    else:
        outbox.reset(conn, row.source_id, ctx.engine.wall.now())
    loaded = load(ctx, row.instance_id)
    add_event(loaded, "incident_retried", cmd.actor.username, element_id=row.element_id,
              payload={"incident_id": row.id})
    still_open = [i for i in incidents.open_for_instance(conn, row.instance_id) if i.id != row.id]
    values = save(ctx, loaded, status="failed" if still_open else "running")
    return ctx.engine._saved_view(loaded.row, values)
