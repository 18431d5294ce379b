"""The `external_task` rows of an instance, kept equal to its run's waiting external tasks by
every command that saves it, with the audit events that say so."""
from __future__ import annotations

from datetime import datetime

from ..db import external_tasks as rows_db
from ..runtime import external_tasks as external
from ..runtime.external_tasks import ExternalWork


def waiting(ctx, run) -> dict[str, ExternalWork]:
    """The run's external tasks waiting for a worker (nothing to look for in most processes)."""
    return external.waiting(run, ctx.engine.connectors)


def audit_events(before: dict[str, ExternalWork], after: dict[str, ExternalWork], done: str | None) -> list[dict]:
    """`external_task_created` for each new task, `external_task_cancelled` for each that went
    without a worker's report (an interrupting boundary event, a cancellation)."""
    events = [{"type": "external_task_created", "actor": "system", "element_id": w.element_id, "task_id": tid,
               "payload": {"topic": w.topic, "priority": w.priority}}
              for tid, w in after.items() if tid not in before]
    events += [{"type": "external_task_cancelled", "actor": "system", "element_id": w.element_id, "task_id": tid,
                "payload": {}}
               for tid, w in before.items() if tid not in after and tid != done]
    return events


def write(ctx, row, before: dict[str, ExternalWork], after: dict[str, ExternalWork], now: datetime) -> None:
    """Insert the new tasks' rows and delete the ended ones'; wake waiting fetches after the commit."""
    gone = [tid for tid in before if tid not in after]
    new = [{"id": w.id, "instance_id": row.id, "definition_id": row.definition_id,
            "definition_key": row.definition_key, "element_id": w.element_id, "topic": w.topic,
            "priority": w.priority, "properties": rows_db.json_column(w.properties),
            "local_variables": rows_db.json_column(_json(w.local_variables)), "worker_id": None,
            "lock_expires_at": None, "retries": None, "failures": 0, "error_message": None,
            "error_details": None, "created_at": now}
           for tid, w in after.items() if tid not in before]
    if gone:
        rows_db.delete_many(ctx.conn, gone)
    if new:
        rows_db.insert_many(ctx.conn, new)
        ctx.after_commit.append(ctx.engine.external_signal.notify)


def _json(value):
    from .instance_store import json_safe

    return json_safe(value)
