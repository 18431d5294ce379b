"""Tables `task` (the inbox: one row per user task) and `task_candidate`, and the inbox queries."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, Timestamp, metadata
from .instances import instance
from .sql import Statement, columns, db
from .sql import insert as insert_statement

_READY = sa.text("state = 'ready'")

task = sa.Table(
    "task",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("definition_key", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(500)),
    sa.Column("documentation", sa.Text),
    sa.Column("lane", sa.String(255)),
    sa.Column("candidate_groups", JsonText, nullable=False),
    sa.Column("candidate_users", JsonText, nullable=False),
    sa.Column("assignee", sa.String(150)),
    sa.Column("form_key", sa.String(255)),
    sa.Column("priority", sa.Integer),
    sa.Column("due_at", Timestamp),
    sa.Column("state", sa.String(10), nullable=False),  # ready | completed | cancelled
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("claimed_at", Timestamp),
    sa.Column("completed_at", Timestamp),
    sa.Column("completed_by", sa.String(150)),
    # A multi-instance's item (JSON {"variable", "index", "value"}): what tells its tasks apart in
    # the inbox (migration 0041). Not audited: the chain's task_ready events do not carry it.
    sa.Column("mi_item", JsonText),
    # The inbox asks for ready tasks only: its indexes hold ready tasks only (migration 0003),
    # so a long-lived instance's thousands of ended tasks are in none of them.
    sa.Index("ix_task_ready_assignee", "assignee", sqlite_where=_READY, postgresql_where=_READY),
    sa.Index("ix_task_ready_due", "due_at", sqlite_where=_READY, postgresql_where=_READY),
    sa.Index("ix_task_ready_instance", "instance_id", sqlite_where=_READY, postgresql_where=_READY),
)

_OFFERED = sa.text("offered")

# One row per (task, candidate): indexed lookups of "my groups' tasks" without JSON scans.
# `offered` (the task is ready and nobody holds it) and the task's sort keys ride along: the
# inbox of a clerk's groups reads one partial index that holds the open offers only, however
# many ended tasks the groups had (migration 0050; bench/inbox_scale.py).
task_candidate = sa.Table(
    "task_candidate",
    metadata,
    sa.Column("task_id", Id, sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(5), primary_key=True),  # group | user
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("offered", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("definition_key", sa.String(255)),
    sa.Column("due_at", Timestamp),
    sa.Column("created_at", Timestamp),
    sa.Index("ix_task_candidate_kind_name", "kind", "name"),
    sa.Index("ix_task_candidate_offered", "kind", "name", "due_at", "created_at", "task_id", "definition_key",
             sqlite_where=_OFFERED, postgresql_where=_OFFERED),
)

INSERT_TASK = insert_statement(task)
INSERT_CANDIDATE = insert_statement(task_candidate)
END_TASK = Statement("UPDATE task SET state = :state, completed_at = :completed_at, completed_by = :completed_by "
                     "WHERE id = :b_id AND state = 'ready'")
CLAIM = Statement("UPDATE task SET assignee = :assignee, claimed_at = :claimed_at "
                  "WHERE id = :b_id AND state = 'ready' AND assignee IS NULL")
# A task that ends or is claimed is no longer on offer; given back, it is again.
WITHDRAW_OFFER = Statement("UPDATE task_candidate SET offered = false WHERE task_id = :b_id AND offered")
SET_OFFERED = Statement("UPDATE task_candidate SET offered = :offered WHERE task_id = :b_id")
REASSIGN = Statement("UPDATE task SET assignee = :assignee, claimed_at = :claimed_at "
                     "WHERE id = :b_id AND state = 'ready' AND assignee = :b_previous")
SELECT_ONE = Statement(f"SELECT {columns(task)} FROM task WHERE id = :id")
# A task and its instance's head in one statement: one snapshot, so a concurrent change
# to either shows in the instance version, which the versioned write then checks.
SELECT_WITH_INSTANCE = Statement(
    "SELECT task.id, task.instance_id, task.element_id, task.state, task.assignee, task.candidate_users, "
    "task.candidate_groups, task.form_key, "
    f"{columns(instance, prefix='inst__', exclude=('state', 'data', 'active_elements'))} "
    "FROM task JOIN instance ON instance.id = task.instance_id WHERE task.id = :id")


def get(conn: Connection, task_id: str):
    return db(conn).first(SELECT_ONE, {"id": task_id})


def with_instance(conn: Connection, task_id: str):
    """What a task command checks of the task, and its instance's head (columns prefixed
    `inst__`), or None."""
    return db(conn).first(SELECT_WITH_INSTANCE, {"id": task_id})


def insert_many(conn: Connection, rows: list[dict], candidates: list[dict]) -> None:
    d = db(conn)
    d.execute_many(INSERT_TASK, rows)
    d.execute_many(INSERT_CANDIDATE, candidates)


def end_many(conn: Connection, ended: Iterable[tuple[str, str, datetime, str | None]]) -> int:
    """Mark ready tasks completed or cancelled: (task id, state, when, by whom).

    Returns how many were still ready (a concurrent command may have ended one first).
    """
    params = [{"b_id": i, "state": s, "completed_at": at, "completed_by": by} for i, s, at, by in ended]
    if not params:
        return 0
    d = db(conn)
    count = d.execute_many(END_TASK, params)
    d.execute_many(WITHDRAW_OFFER, [{"b_id": p["b_id"]} for p in params])
    return count


def set_assignee(conn: Connection, task_id: str, previous: str | None, assignee: str | None,
                 at: datetime | None) -> bool:
    """Change the assignee if it still is `previous` and the task is ready; False otherwise."""
    params = {"b_id": task_id, "assignee": assignee, "claimed_at": at}
    d = db(conn)
    if previous is None:
        changed = d.execute(CLAIM, params) == 1
    else:
        changed = d.execute(REASSIGN, {**params, "b_previous": previous}) == 1
    if changed:
        d.execute(SET_OFFERED, {"b_id": task_id, "offered": assignee is None})
    return changed


SORTS = {"due": "task.due_at IS NULL, task.due_at, task.created_at, task.id",
         "created": "task.created_at, task.id",
         "-created": "task.created_at DESC, task.id",
         "name": "task.name, task.created_at, task.id"}


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _variable(dialect: str, name: str) -> str:
    """A top-level variable of instance.data (JSON text) as text, in the dialect's SQL."""
    if dialect == "postgresql":
        return f"(CAST(instance.data AS json) ->> '{name}')"
    return f"json_extract(instance.data, '$.{name}')"


def _inbox_statement(flags: tuple[bool, ...], n_groups: int, search_fields: tuple[str, ...] | None = None,
                     order: str = SORTS["due"], dialect: str = "sqlite") -> tuple[Statement, Statement]:
    """The inbox query and its count for one combination of filters (and number of groups), built once."""
    assigned_to_me, see_all, by_group, by_key, by_instance, overdue = flags[:6]
    due_before = len(flags) > 6 and flags[6]
    cond = ["task.state = 'ready'"]
    if assigned_to_me:
        cond.append("task.assignee = :user")
    elif not see_all:
        groups = ", ".join(f":g{i}" for i in range(n_groups))
        cond.append("(task.assignee = :user OR (task.assignee IS NULL AND task.id IN ("
                    "SELECT task_candidate.task_id FROM task_candidate WHERE "
                    "(task_candidate.kind = 'user' AND task_candidate.name = :user) OR "
                    f"(task_candidate.kind = 'group' AND task_candidate.name IN ({groups})))))")
    if by_group:
        cond.append("task.id IN (SELECT task_candidate.task_id FROM task_candidate "
                    "WHERE task_candidate.kind = 'group' AND task_candidate.name = :candidate_group)")
    if by_key:
        cond.append("task.definition_key = :definition_key")
    if by_instance:
        cond.append("task.instance_id = :instance_id")
    if overdue:
        cond.append("task.due_at < :overdue_at")
    if due_before:
        cond.append("task.due_at < :due_before")
    if search_fields is not None:
        texts = ["instance.business_key"] + [_variable(dialect, f) for f in search_fields
                                             if f.replace("_", "").isalnum()]
        matches = " OR ".join(f"lower(COALESCE({t}, '')) LIKE :search ESCAPE '\\'" for t in texts)
        cond.append(f"task.instance_id IN (SELECT instance.id FROM instance WHERE instance.id = task.instance_id "
                    f"AND ({matches}))")
    where = " AND ".join(cond)
    # The total is counted apart, and only when the page does not tell it: on SQLite a
    # `count(*) OVER ()` riding along cost several times the query itself in a read that
    # follows a command (measured on the inbox benchmark).
    return (Statement(f"SELECT {columns(task)} FROM task WHERE {where} "
                      f"ORDER BY {order} LIMIT :limit OFFSET :offset"),
            Statement(f"SELECT count(*) AS total FROM task WHERE {where}"))


def _offers_statement(by_group: bool, by_key: bool, overdue: bool, n_groups: int) -> tuple[Statement, Statement]:
    """The inbox of a user and their groups as the union of the open offers (the partial index of
    `task_candidate`, no ended task in it) and the ready tasks assigned to the user: a page sorts
    the offers' index entries (read from the index alone), not every task the groups ever had.

    `by_group` (one of the user's groups): the offers to that group, and the user's tasks offered to it."""
    filters, mine = [], ["task.state = 'ready'", "task.assignee = :user"]
    if by_key:
        filters.append("task_candidate.definition_key = :definition_key")
        mine.append("task.definition_key = :definition_key")
    if overdue:
        filters.append("task_candidate.due_at < :overdue_at")
        mine.append("task.due_at < :overdue_at")
    if by_group:
        offered_to = ["task_candidate.kind = 'group' AND task_candidate.name = :candidate_group"]
        mine.append("task.id IN (SELECT task_candidate.task_id FROM task_candidate "
                    "WHERE task_candidate.kind = 'group' AND task_candidate.name = :candidate_group)")
    else:  # one branch each: an OR of the two would be read through the table, not the index alone
        groups = ", ".join(f":g{i}" for i in range(n_groups))
        offered_to = [f"task_candidate.kind = 'group' AND task_candidate.name IN ({groups})",
                      "task_candidate.kind = 'user' AND task_candidate.name = :user"]
    branches = [f"SELECT task_candidate.task_id AS id, task_candidate.due_at AS due_at, "
                f"task_candidate.created_at AS created_at FROM task_candidate "
                f"WHERE {' AND '.join([who, 'task_candidate.offered', *filters])}" for who in offered_to]
    branches.append("SELECT task.id AS id, task.due_at AS due_at, task.created_at AS created_at "
                    f"FROM task WHERE {' AND '.join(mine)}")
    union = " UNION ".join(branches)
    return (Statement(f"SELECT {columns(task)}, page.total AS total FROM task JOIN (SELECT mine.id AS page_id, "
                      f"{{total}} AS total FROM ({union}) AS mine "
                      "ORDER BY mine.due_at IS NULL, mine.due_at, mine.created_at, mine.id "
                      "LIMIT :limit OFFSET :offset) AS page ON page.page_id = task.id "
                      "ORDER BY task.due_at IS NULL, task.due_at, task.created_at, task.id"),
            Statement(f"SELECT count(*) AS total FROM ({union}) AS mine"))


def _with_total(statements: tuple[Statement, Statement], in_rows: bool) -> tuple[Statement, Statement]:
    """PostgreSQL counts the union in the pass that pages it (`count(*) OVER ()`); SQLite, where
    that costs more than the query, counts apart when the page does not tell the total."""
    rows, count = statements
    return Statement(rows.sql.replace("{total}", "count(*) OVER ()" if in_rows else "NULL")), count


_INBOX: dict[tuple, tuple[Statement, Statement]] = {}


def page(conn: Connection, *, user: str | None, groups: Iterable[str], see_all: bool,
         assigned_to_me: bool = False, candidate_group: str | None = None,
         definition_key: str | None = None, instance_id: str | None = None,
         overdue_at: datetime | None = None, due_before: datetime | None = None, search: str | None = None,
         search_fields: tuple[str, ...] = (), sort: str = "due", page: int = 1,
         per_page: int = 50) -> tuple[list, int]:
    """The inbox: ready tasks the user may act on, due date first (no due date last), then oldest.

    A task is the user's when it is assigned to them, or unassigned and offered to them
    or to one of `groups` (candidate users, candidate groups or the lane). `due_before`:
    only tasks due before it; `search`: a case-insensitive substring of the instance's
    business key or of one of its `search_fields` variables (a scan of the matching tasks'
    instances); `sort`: a key of SORTS.
    """
    groups = list(dict.fromkeys(groups)) or [""]
    flags = (assigned_to_me, see_all, bool(candidate_group), bool(definition_key), bool(instance_id),
             overdue_at is not None, due_before is not None)
    searching = tuple(search_fields) if search else None
    # A user's inbox (optionally of one of their groups, one process, overdue) reads the open offers;
    # a text search, a due horizon or another order take the general query.
    plain = searching is None and due_before is None and sort == "due"
    offers = plain and not (see_all or assigned_to_me or instance_id) and (
        candidate_group is None or candidate_group in groups)
    sqlite = conn.dialect.name == "sqlite"
    key = (flags, len(groups), offers, searching, sort, conn.dialect.name)
    statements = _INBOX.get(key)
    if statements is None:
        statements = _INBOX[key] = (_with_total(_offers_statement(bool(candidate_group), bool(definition_key),
                                                                  overdue_at is not None, len(groups)),
                                                not sqlite) if offers
                                    else _inbox_statement(flags, len(groups), searching, SORTS[sort],
                                                          conn.dialect.name))
    rows_stmt, count_stmt = statements
    offset = (page - 1) * per_page
    # One row more than the page: when it is not there, this is the last page, which tells the total.
    params = {"user": user or "", "candidate_group": candidate_group, "definition_key": definition_key,
              "instance_id": instance_id, "overdue_at": overdue_at, "due_before": due_before,
              "search": "%" + _like(search.lower()) + "%" if search else None,
              "limit": per_page + 1, "offset": offset}
    params.update((f"g{i}", g) for i, g in enumerate(groups))
    d = db(conn)
    rows = d.all(rows_stmt, params)
    if len(rows) <= per_page and (rows or page == 1):
        return rows, offset + len(rows)
    if rows and getattr(rows[0], "total", None) is not None:
        return rows[:per_page], rows[0].total
    return rows[:per_page], d.first(count_stmt, params).total


def may_act(row: sa.Row, user: str, groups: Iterable[str]) -> bool:
    """Whether `user` may claim/complete the task row (same rule as the inbox query)."""
    if row.assignee is not None:
        return row.assignee == user
    if user in orjson.loads(row.candidate_users):
        return True
    return bool(set(orjson.loads(row.candidate_groups)) & set(groups))


def rename(conn: Connection, task_id: str, element_id: str, name: str | None) -> None:
    """A ready task's element id and label as its instance's new version has them (migration)."""
    conn.execute(sa.update(task).where(task.c.id == task_id).values(element_id=element_id, name=name))
