"""Users and groups administered: create a user, change roles and groups, disable or enable,
reset a password, name a group. Each writes the admin log in its transaction.

Passwords arrive hashed (`UserStore.hash_password` checks and hashes them before the
command), so no password text enters a command or the log."""
from __future__ import annotations

from dataclasses import dataclass

from ..db import users
from ..errors import Conflict, InvalidData, NotFound
from .admin_log import record
from .base import Command, CommandContext, handles


@dataclass(frozen=True)
class CreateUser(Command["UserView"]):
    """Create a user with roles and groups (new group names join the directory)."""

    username: str = ""
    password_hash: str = ""
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@handles(CreateUser)
def create_user(cmd: CreateUser, ctx: CommandContext):
    """Raises Conflict (the username is taken). Checked before: `identity._check_user`."""
    import uuid

    from ..identity import _view

    conn = ctx.conn
    if users.by_username(conn, cmd.username) is not None:
        raise Conflict(f"the username {cmd.username!r} is taken")
    users.insert_user(conn, user_id=uuid.uuid4().hex, username=cmd.username, password_hash=cmd.password_hash,
                      created_at=ctx.now, roles=list(cmd.roles), groups=list(cmd.groups))
    users.ensure_groups(conn, cmd.groups, ctx.now)
    record(ctx, "user_created", f"user:{cmd.username}", {"roles": list(cmd.roles), "groups": list(cmd.groups)},
           cmd.actor.username)
    return _view(conn, users.by_username(conn, cmd.username))


@dataclass(frozen=True)
class UpdateUser(Command["UserView"]):
    """Change a user's roles, groups, or whether they are disabled (None: unchanged)."""

    username: str = ""
    roles: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    disabled: bool | None = None


@handles(UpdateUser)
def update_user(cmd: UpdateUser, ctx: CommandContext):
    """Disabling revokes the user's tokens and sessions. Raises NotFound, InvalidData (an
    unknown role, a bad group, no role left, an admin disabling themselves or taking away
    their own admin role)."""
    from ..identity import GROUP, ROLES, _view

    conn = ctx.conn
    row = _user(conn, cmd.username)
    errors: dict[str, list[str]] = {}
    if cmd.roles is not None:
        if not cmd.roles:
            errors["roles"] = ["At least one role."]
        elif bad := [r for r in cmd.roles if r not in ROLES]:
            errors["roles"] = [f"Unknown role {r!r}: one of {', '.join(ROLES)}." for r in bad]
        elif cmd.username == cmd.actor.username and "admin" not in cmd.roles and "admin" in cmd.actor.roles:
            errors["roles"] = ["You cannot take away your own admin role."]
    if cmd.groups is not None and (bad := [g for g in cmd.groups if not isinstance(g, str) or not GROUP.fullmatch(g)]):
        errors["groups"] = [f"Invalid group {g!r}: letters, digits and . _ @ -." for g in bad]
    if cmd.disabled and cmd.username == cmd.actor.username:
        errors["disabled"] = ["You cannot disable yourself."]
    if errors:
        raise InvalidData("invalid user change", errors=errors)
    before = _view(conn, row)
    change: dict = {}
    if cmd.roles is not None and sorted(set(cmd.roles)) != list(before.roles):
        users.set_roles(conn, row.id, sorted(set(cmd.roles)))
        change["roles"] = {"from": list(before.roles), "to": sorted(set(cmd.roles))}
    if cmd.groups is not None and sorted(set(cmd.groups)) != list(before.groups):
        users.set_groups(conn, row.id, sorted(set(cmd.groups)))
        users.ensure_groups(conn, sorted(set(cmd.groups)), ctx.now)
        change["groups"] = {"from": list(before.groups), "to": sorted(set(cmd.groups))}
    if cmd.disabled is not None and cmd.disabled != (row.disabled_at is not None):
        users.set_disabled(conn, row.id, ctx.now if cmd.disabled else None)
        if cmd.disabled:
            users.revoke_all_tokens(conn, row.id, ctx.now)
        change["disabled"] = cmd.disabled
    if change:
        record(ctx, "user_changed", f"user:{cmd.username}", change, cmd.actor.username)
        _forget_token_checks(ctx)
    return _view(conn, users.by_username(conn, cmd.username))


@dataclass(frozen=True)
class ResetPassword(Command[None]):
    """Give a user a new password (hashed); their tokens and sessions are revoked."""

    username: str = ""
    password_hash: str = ""


@handles(ResetPassword)
def reset_password(cmd: ResetPassword, ctx: CommandContext) -> None:
    """Raises NotFound."""
    row = _user(ctx.conn, cmd.username)
    users.set_password_hash(ctx.conn, row.id, cmd.password_hash)
    users.revoke_all_tokens(ctx.conn, row.id, ctx.now)
    record(ctx, "password_reset", f"user:{cmd.username}", {}, cmd.actor.username)
    _forget_token_checks(ctx)


@dataclass(frozen=True)
class SaveGroup(Command[dict]):
    """Create a group in the directory, or change its display name; optionally set its members."""

    name: str = ""
    label: str = ""
    members: tuple[str, ...] | None = None


@handles(SaveGroup)
def save_group(cmd: SaveGroup, ctx: CommandContext) -> dict:
    """Raises InvalidData (a bad name or label), NotFound (an unknown member)."""
    from ..identity import GROUP

    conn = ctx.conn
    errors = {}
    if not isinstance(cmd.name, str) or not GROUP.fullmatch(cmd.name):
        errors["name"] = ["1 to 255 characters: letters, digits and . _ @ -."]
    label = (cmd.label or "").strip()
    if not label or len(label) > 255 or "\x00" in label:
        errors["label"] = ["1 to 255 characters."]
    if errors:
        raise InvalidData("invalid group", errors=errors)
    created = users.upsert_group(conn, cmd.name, label, ctx.now)
    payload: dict = {"label": label, "created": created}
    if cmd.members is not None:
        before = set(users.members(conn, cmd.name))
        wanted = set(cmd.members)
        for username in sorted(wanted ^ before):
            row = _user(conn, username)
            _, groups = users.roles_and_groups(conn, row.id)
            groups = set(groups) | {cmd.name} if username in wanted else set(groups) - {cmd.name}
            users.set_groups(conn, row.id, sorted(groups))
        payload["added"], payload["removed"] = sorted(wanted - before), sorted(before - wanted)
        if wanted != before:
            _forget_token_checks(ctx)
    record(ctx, "group_saved", f"group:{cmd.name}", payload, cmd.actor.username)
    return {"name": cmd.name, "label": label, "members": users.members(conn, cmd.name)}


def _forget_token_checks(ctx: CommandContext) -> None:
    """Once committed, this process's token cache forgets what it knew (the writes in
    db/users.py sent the notice that tells the other processes)."""
    cache = ctx.engine.token_cache
    if cache is not None:
        ctx.after_commit.append(cache.clear)


def _user(conn, username: str):
    row = users.by_username(conn, username)
    if row is None:
        raise NotFound(f"user {username!r} not found")
    return row
