"""Event commands: fire a due timer."""
from __future__ import annotations

from dataclasses import dataclass

from ..audit.hash_chain import format_at
from ..db import timers
from .base import Command, CommandContext, handles
from .instance_store import add_event, load, save


@dataclass(frozen=True)
class FireTimer(Command[dict | None]):
    """Fire one due timer of an instance (nothing happens if it already fired or moved on)."""

    timer_id: str = ""


@handles(FireTimer)
def fire_timer(cmd: FireTimer, ctx: CommandContext) -> dict | None:
    """Fire the timer at the command's instant and run the instance on. Returns None when stale."""
    row = ctx.conn.execute(timers.timer.select().where(timers.timer.c.id == cmd.timer_id)).first()
    if row is None:
        return None
    loaded = load(ctx, row.instance_id)
    if loaded.row.status != "running":
        return None
    add_event(loaded, "timer_fired", "system", element_id=row.element_id, task_id=row.id,
              payload={"due_at": format_at(timers._aware(row.due_at))})
    ctx.engine._run_step(loaded.run.fire_timers)
    values = save(ctx, loaded)
    return ctx.engine._instance_dict(loaded.row, values)
