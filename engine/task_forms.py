"""The form a task renders: the form version its instance bound when it started."""
from __future__ import annotations

import orjson
from sqlalchemy.engine import Engine as SAEngine

from .db import definitions, instances


def bound_form(db: SAEngine, instance_id: str, form_key: str | None) -> dict | None:
    """The form-js schema `form_key` as bound by the instance (the latest if it bound none), or None."""
    if not form_key:
        return None
    with db.connect() as conn:
        head = instances.head(conn, instance_id)
        ref = orjson.loads(head.bindings).get(f"form:{form_key}") if head is not None else None
        row = definitions.by_id(conn, ref) if ref else definitions.latest(conn, "form", form_key)
    return orjson.loads(row.source) if row is not None else None
