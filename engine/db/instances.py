"""Table `instance`: one row per process instance, with its stored workflow state, and its queries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, LongText, Timestamp, metadata
from .sql import Statement, db
from .sql import insert as insert_statement

instance = sa.Table(
    "instance",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("definition_id", Id, sa.ForeignKey("definition.id"), nullable=False),
    sa.Column("definition_key", sa.String(255), nullable=False),
    sa.Column("definition_version", sa.Integer, nullable=False),
    sa.Column("business_key", sa.String(255)),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("bindings", JsonText, nullable=False),  # decision/form/process versions fixed at start
    sa.Column("data", JsonText, nullable=False),  # the variables, as JSON (read model)
    sa.Column("active_elements", JsonText, nullable=False),
    sa.Column("state", LongText, nullable=False),  # SpiffWorkflow state without the spec
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),  # audit chain tail
    sa.Column("last_hash", sa.String(64), nullable=False),
    sa.Column("started_by", sa.String(150), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("ended_at", Timestamp),
    sa.Index("ix_instance_key_status", "definition_key", "status"),
    sa.Index("ix_instance_business_key", "business_key"),
    sa.Index("ix_instance_created_at", "created_at"),
    # Business keys are unique per process (messages correlate by them); many instances have none.
    sa.Index("uq_instance_definition_key_business_key", "definition_key", "business_key", unique=True,
             sqlite_where=sa.text("business_key IS NOT NULL"), postgresql_where=sa.text("business_key IS NOT NULL")),
)

_HEAD_COLUMNS = ("id", "definition_id", "definition_key", "definition_version", "business_key", "status",
                 "bindings", "version", "last_seq", "last_hash", "started_by", "created_at", "ended_at")
SELECT_FOR_COMMAND = Statement(f"SELECT {', '.join(_HEAD_COLUMNS)} FROM instance WHERE id = :id")
SELECT_STATE = Statement("SELECT state, data FROM instance WHERE id = :id")
UPDATE_VERSIONED = Statement(
    "UPDATE instance SET status = :status, data = :data, active_elements = :active_elements, state = :state, "
    "version = :version, last_seq = :last_seq, last_hash = :last_hash, ended_at = :ended_at "
    "WHERE id = :b_id AND version = :b_version")
# Most commands leave the status as it is: not naming it keeps ix_instance_key_status
# untouched (SQLite rewrites the entries of every index on a column the SET names).
UPDATE_VERSIONED_SAME_STATUS = Statement(
    "UPDATE instance SET data = :data, active_elements = :active_elements, state = :state, "
    "version = :version, last_seq = :last_seq, last_hash = :last_hash "
    "WHERE id = :b_id AND version = :b_version")
INSERT = insert_statement(instance)
BY_BUSINESS_KEY = Statement("SELECT id FROM instance WHERE definition_key = :definition_key "
                            "AND business_key = :business_key")


def head(conn: Connection, instance_id: str):
    """The instance row without its state blob (command path: prebuilt SQL)."""
    return db(conn).first(SELECT_FOR_COMMAND, {"id": instance_id})


def with_business_key(conn: Connection, definition_key: str, business_key: str) -> str | None:
    """The id of the process's instance that has this business key, or None."""
    row = db(conn).first(BY_BUSINESS_KEY, {"definition_key": definition_key, "business_key": business_key})
    return row.id if row is not None else None


def state(conn: Connection, instance_id: str):
    return db(conn).first(SELECT_STATE, {"id": instance_id})


def update_versioned(conn: Connection, instance_id: str, expected_version: int, *, status_changed: bool,
                     **values) -> bool:
    """Write the instance if nobody else did since `expected_version`; False when someone did.

    Args:
        status_changed: whether `status` (and with it `ended_at`) differ from the row's.
    """
    params = {"b_id": instance_id, "b_version": expected_version, **values}
    if not status_changed:
        del params["status"], params["ended_at"]
    return db(conn).execute(UPDATE_VERSIONED if status_changed else UPDATE_VERSIONED_SAME_STATUS, params) == 1


def set_definition(conn: Connection, instance_id: str, definition_id: str, version: int, bindings: str) -> None:
    """Move an instance to another version of its process (instance migration, after its versioned write)."""
    conn.execute(sa.update(instance).where(instance.c.id == instance_id).values(
        definition_id=definition_id, definition_version=version, bindings=bindings))


def insert(conn: Connection, **values) -> None:
    db(conn).execute(INSERT, values)


def full(conn: Connection, instance_id: str) -> sa.Row | None:
    cols = [c for c in instance.c if c.name != "state"]
    return conn.execute(sa.select(*cols).where(instance.c.id == instance_id)).first()


def filters(*, definition_key=None, status=None, business_key=None, created_from=None, created_to=None,
            ids=None) -> list:
    """The conditions of an instance search (every filter optional)."""
    cond = []
    if definition_key:
        cond.append(instance.c.definition_key == definition_key)
    if status:
        cond.append(instance.c.status == status)
    if business_key:
        cond.append(instance.c.business_key == business_key)
    if created_from is not None:
        cond.append(instance.c.created_at >= created_from)
    if created_to is not None:
        cond.append(instance.c.created_at <= created_to)
    if ids is not None:
        cond.append(instance.c.id.in_(ids))
    return cond


def page(conn: Connection, *, page: int = 1, per_page: int = 50, **search) -> tuple[list[sa.Row], int]:
    """Instances newest first (see `filters` for the search keywords), and their total."""
    cols = [c for c in instance.c if c.name != "state"]
    where = sa.and_(sa.true(), *filters(**search))
    total = conn.execute(sa.select(sa.func.count()).select_from(instance).where(where)).scalar_one()
    rows = conn.execute(
        sa.select(*cols).where(where)
        .order_by(instance.c.created_at.desc(), instance.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def chain_heads(conn: Connection) -> list[sa.Row]:
    """Every instance's audit chain tail (id, last_seq, last_hash), by id."""
    return list(conn.execute(sa.select(instance.c.id, instance.c.last_seq, instance.c.last_hash)
                             .order_by(instance.c.id)))


def ping(conn: Connection) -> None:
    conn.execute(sa.text("select 1"))
