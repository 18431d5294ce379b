"""Tables `user_account`, `user_role`, `user_group`, `api_token` and `login_attempt`, and their queries.

The users table is `user_account`, not `user`: `user` is a reserved word in PostgreSQL.
"""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata
from .sql import Statement, db

user_account = sa.Table(
    "user_account",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("disabled_at", Timestamp),  # no login, no live token (kept: the history names them)
    sa.Column("language", sa.String(8)),  # the web pages' language the user chose (None: French)
)

user_role = sa.Table(
    "user_role",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(20), primary_key=True),
)

user_group = sa.Table(
    "user_group",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_name", sa.String(255), primary_key=True),
)

# The groups' directory: a display name for each group name (pages show "Bureau d'ordre",
# not `bureau_ordre`); memberships stay in user_group by name.
access_group = sa.Table(
    "access_group",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("label", sa.String(255), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

# Bearer tokens (and, later, web sessions): only the sha256 of the token is stored.
api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),  # bearer | session
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Index("ix_api_token_expires_at", "expires_at"),
)

# Failed logins by username and client address ("" when unknown), counted in a sliding
# window to throttle guessing per (username, address) and per address.
login_attempt = sa.Table(
    "login_attempt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("remote_addr", sa.String(64)),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index("ix_login_attempt_username_at", "username", "at"),
    sa.Index("ix_login_attempt_remote_addr_at", "remote_addr", "at"),
)


def by_username(conn: Connection, username: str) -> sa.Row | None:
    return conn.execute(sa.select(user_account).where(user_account.c.username == username)).first()


# Built once (a user's roles and groups; the token check reads them with the user: TOKEN_OWNER_GRANTS).
ROLES_AND_GROUPS = (
    sa.select(sa.literal("role").label("kind"), user_role.c.role.label("name"))
    .where(user_role.c.user_id == sa.bindparam("uid"))
    .union_all(sa.select(sa.literal("group").label("kind"), user_group.c.group_name.label("name"))
               .where(user_group.c.user_id == sa.bindparam("uid"))))


def roles_and_groups(conn: Connection, user_id: str) -> tuple[list[str], list[str]]:
    """The user's roles and groups, both sorted, in one round trip."""
    rows = conn.execute(ROLES_AND_GROUPS, {"uid": user_id}).all()
    return (sorted(r.name for r in rows if r.kind == "role"), sorted(r.name for r in rows if r.kind == "group"))


def insert_user(conn: Connection, *, user_id: str, username: str, password_hash: str, created_at: datetime,
                roles: list[str], groups: list[str]) -> None:
    conn.execute(sa.insert(user_account).values(id=user_id, username=username, password_hash=password_hash,
                                                created_at=created_at))
    if roles:
        conn.execute(sa.insert(user_role), [{"user_id": user_id, "role": r} for r in roles])
    if groups:
        conn.execute(sa.insert(user_group), [{"user_id": user_id, "group_name": g} for g in groups])


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(sa.update(user_account).where(user_account.c.id == user_id).values(password_hash=password_hash))
    identity_changed(conn)


def page(conn: Connection, page: int, per_page: int) -> tuple[list[sa.Row], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(user_account)).scalar_one()
    rows = conn.execute(sa.select(user_account).order_by(user_account.c.username)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def insert_token(conn: Connection, **values) -> None:
    conn.execute(sa.insert(api_token).values(**values))


# The owner of a live token with their roles and groups, in one statement (every API request
# runs it): one row per role or group, or one with a null kind for a user with none.
TOKEN_OWNER_GRANTS = Statement(
    "SELECT u.id, u.username, u.created_at, u.language, t.expires_at, g.kind, g.name "
    "FROM api_token t JOIN user_account u ON u.id = t.user_id "
    "LEFT JOIN (SELECT user_id, 'role' AS kind, role AS name FROM user_role "
    "           UNION ALL SELECT user_id, 'group' AS kind, group_name AS name FROM user_group) g "
    "ON g.user_id = u.id "
    "WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL AND t.expires_at > :b_expires_at "
    "AND u.disabled_at IS NULL")


def token_owner_grants(conn: Connection, token_hash: str, now: datetime) -> list:
    """Rows of (id, username, created_at, language, expires_at, kind, name) for the user holding the live
    token `token_hash` (none when it is unknown, expired or revoked, or the user disabled)."""
    return db(conn).all(TOKEN_OWNER_GRANTS, {"token_hash": token_hash, "b_expires_at": now})


def revoke_token(conn: Connection, token_hash: str, now: datetime) -> bool:
    result = conn.execute(sa.update(api_token).where(api_token.c.token_hash == token_hash,
                                                     api_token.c.revoked_at.is_(None)).values(revoked_at=now))
    if result.rowcount == 1:
        identity_changed(conn)
    return result.rowcount == 1


def delete_expired_tokens(conn: Connection, before: datetime) -> None:
    conn.execute(sa.delete(api_token).where(api_token.c.expires_at < before))


class FailureCounts(NamedTuple):
    """Failed logins within the window: of one username from one address, and from that address."""

    pair: int
    pair_oldest: datetime | None
    address: int
    address_oldest: datetime | None


def failures_since(conn: Connection, username: str, remote_addr: str, since: datetime) -> FailureCounts:
    """The failed logins since `since` from `remote_addr`: of `username`, and of any username."""
    mine = login_attempt.c.username == username
    row = conn.execute(sa.select(
        sa.func.count(sa.case((mine, 1))), sa.func.min(sa.case((mine, login_attempt.c.at))),
        sa.func.count(), sa.func.min(login_attempt.c.at),
    ).where(login_attempt.c.remote_addr == remote_addr, login_attempt.c.at >= since)).one()
    return FailureCounts(row[0], row[1], row[2], row[3])


def record_failure(conn: Connection, username: str, remote_addr: str, at: datetime) -> None:
    conn.execute(sa.insert(login_attempt).values(username=username, remote_addr=remote_addr, at=at))


def forget_failures(conn: Connection, username: str | None = None, remote_addr: str | None = None,
                    before: datetime | None = None) -> None:
    """Delete the failed logins of `username` from `remote_addr` (after a success), or every
    one older than `before`."""
    stmt = sa.delete(login_attempt)
    if username is not None:
        stmt = stmt.where(login_attempt.c.username == username, login_attempt.c.remote_addr == remote_addr)
    if before is not None:
        stmt = stmt.where(login_attempt.c.at < before)
    conn.execute(stmt)


# What a token check finds changed: engine/token_cache.py empties the caches on this notice.
IDENTITY_CHANNEL = "diwan_identity"
_IDENTITY_NOTICE = Statement(f"SELECT pg_notify('{IDENTITY_CHANNEL}', '')")


def identity_changed(conn: Connection) -> None:
    """Tell every process's token cache, at commit, that a token, a user's roles, groups,
    language or password changed in this transaction (PostgreSQL; SQLite has no cache)."""
    if conn.dialect.name == "postgresql":
        db(conn).all(_IDENTITY_NOTICE)


# -- administration (commands in engine/commands/identity.py) ------------------------------
def set_roles(conn: Connection, user_id: str, roles: list[str]) -> None:
    conn.execute(sa.delete(user_role).where(user_role.c.user_id == user_id))
    if roles:
        conn.execute(sa.insert(user_role), [{"user_id": user_id, "role": r} for r in roles])
    identity_changed(conn)


def set_groups(conn: Connection, user_id: str, groups: list[str]) -> None:
    conn.execute(sa.delete(user_group).where(user_group.c.user_id == user_id))
    if groups:
        conn.execute(sa.insert(user_group), [{"user_id": user_id, "group_name": g} for g in groups])
    identity_changed(conn)


def set_language(conn: Connection, user_id: str, language: str | None) -> None:
    conn.execute(sa.update(user_account).where(user_account.c.id == user_id).values(language=language))
    identity_changed(conn)


def set_disabled(conn: Connection, user_id: str, at: datetime | None) -> None:
    conn.execute(sa.update(user_account).where(user_account.c.id == user_id).values(disabled_at=at))
    identity_changed(conn)


def revoke_all_tokens(conn: Connection, user_id: str, now: datetime) -> None:
    conn.execute(sa.update(api_token).where(api_token.c.user_id == user_id, api_token.c.revoked_at.is_(None))
                 .values(revoked_at=now))
    identity_changed(conn)


def members(conn: Connection, group: str) -> list[str]:
    return sorted(conn.execute(sa.select(user_account.c.username).join(
        user_group, user_group.c.user_id == user_account.c.id).where(user_group.c.group_name == group)).scalars())


GroupRow = namedtuple("GroupRow", "name label created_at members")


def groups_directory(conn: Connection) -> list[sa.Row]:
    """Every group: the directory's, and names only memberships use (label None), with member counts."""
    counts = {r[0]: r[1] for r in conn.execute(
        sa.select(user_group.c.group_name, sa.func.count()).group_by(user_group.c.group_name))}
    rows = {r.name: r for r in conn.execute(sa.select(access_group))}
    names = sorted(set(rows) | set(counts))
    return [GroupRow(n, rows[n].label if n in rows else None, rows[n].created_at if n in rows else None, counts.get(n, 0))
            for n in names]


def group_labels(conn: Connection) -> dict[str, str]:
    return {r.name: r.label for r in conn.execute(sa.select(access_group.c.name, access_group.c.label))}


def group(conn: Connection, name: str) -> sa.Row | None:
    return conn.execute(sa.select(access_group).where(access_group.c.name == name)).first()


def upsert_group(conn: Connection, name: str, label: str, at: datetime) -> bool:
    """Set a group's display name; True when the group is new to the directory."""
    if group(conn, name) is None:
        conn.execute(sa.insert(access_group).values(name=name, label=label, created_at=at))
        return True
    conn.execute(sa.update(access_group).where(access_group.c.name == name).values(label=label))
    return False


def ensure_groups(conn: Connection, names, at: datetime) -> None:
    """Put group names a user is given into the directory (labelled by their name until an admin names them)."""
    known = set(conn.execute(sa.select(access_group.c.name).where(access_group.c.name.in_(list(names)))).scalars())
    new = [{"name": n, "label": n, "created_at": at} for n in names if n not in known]
    if new:
        conn.execute(sa.insert(access_group), new)
