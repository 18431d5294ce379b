"""A definition's life after its versions: re-publish an old version, withdraw a process (no
new starts; running instances go on) and reinstate it, and say which groups may start it."""
from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from ..db import definitions, lifecycle, timers
from ..errors import Conflict, InvalidData, NotFound
from ..views import DeploymentView
from .admin_log import record
from .base import Command, CommandContext, handles
from .deploy import Deploy, _schedule_timer_starts, deploy
from .draft_sources import EXTENSIONS, check_kind


@dataclass(frozen=True)
class RepublishVersion(Command[DeploymentView]):
    """Make an old version current again: its content becomes the next version."""

    kind: str = "process"
    key: str = ""
    version: int = 0


@handles(RepublishVersion)
def republish_version(cmd: RepublishVersion, ctx: CommandContext) -> DeploymentView:
    """Validated again as a deployment (what it uses may have changed since).

    Raises NotFound, Conflict (it is the current version), InvalidDefinition.
    """
    check_kind(cmd.kind)
    old = definitions.by_version(ctx.conn, cmd.kind, cmd.key, cmd.version)
    if old is None:
        raise NotFound(f"{cmd.kind} {cmd.key!r} has no version {cmd.version}")
    latest = definitions.latest(ctx.conn, cmd.kind, cmd.key)
    if latest.version == old.version:
        raise Conflict(f"v{old.version} of {cmd.key!r} is already the current version")
    files = ((cmd.key + EXTENSIONS[cmd.kind], old.source.encode("utf-8")),)
    result = deploy(Deploy(cmd.actor, files, republish_of=old.version), ctx)
    mine = next(d for d in result.definitions + result.forms + result.decisions if d["key"] == cmd.key)
    record(ctx, "version_republished", f"{cmd.kind}:{cmd.key}",
           {"from_version": old.version, "version": mine["version"]}, cmd.actor.username)
    return result


@dataclass(frozen=True)
class WithdrawDefinition(Command[None]):
    """Withdraw a process: no new instance starts (by anyone, by message, signal or timer);
    the running ones go on on their versions."""

    key: str = ""
    reason: str | None = None


@handles(WithdrawDefinition)
def withdraw_definition(cmd: WithdrawDefinition, ctx: CommandContext) -> None:
    """Raises NotFound, Conflict (already withdrawn)."""
    state = _state(ctx, cmd.key)
    if state is not None and state.withdrawn_at is not None:
        raise Conflict(f"process {cmd.key!r} is already withdrawn")
    lifecycle.upsert(ctx.conn, "process", cmd.key, withdrawn_at=ctx.now, withdrawn_by=cmd.actor.username,
                     withdraw_reason=cmd.reason)
    timers.replace_start_timers(ctx.conn, cmd.key, [])  # its timer start events stop
    record(ctx, "definition_withdrawn", f"process:{cmd.key}", {"reason": cmd.reason}, cmd.actor.username)


@dataclass(frozen=True)
class ReinstateDefinition(Command[None]):
    """Let a withdrawn process start again (its timer starts are scheduled anew)."""

    key: str = ""


@handles(ReinstateDefinition)
def reinstate_definition(cmd: ReinstateDefinition, ctx: CommandContext) -> None:
    """Raises NotFound, Conflict (not withdrawn)."""
    state = _state(ctx, cmd.key)
    if state is None or state.withdrawn_at is None:
        raise Conflict(f"process {cmd.key!r} is not withdrawn")
    lifecycle.upsert(ctx.conn, "process", cmd.key, withdrawn_at=None, withdrawn_by=None, withdraw_reason=None)
    latest = definitions.latest(ctx.conn, "process", cmd.key)
    _schedule_timer_starts(ctx, latest.id, cmd.key, orjson.loads(latest.meta).get("timer_starts", []))
    record(ctx, "definition_reinstated", f"process:{cmd.key}", {}, cmd.actor.username)


@dataclass(frozen=True)
class SetStarters(Command[None]):
    """Say which groups' clerks may start a process (empty: every clerk)."""

    key: str = ""
    groups: tuple[str, ...] = field(default_factory=tuple)


@handles(SetStarters)
def set_starters(cmd: SetStarters, ctx: CommandContext) -> None:
    """Raises NotFound, InvalidData (a bad group name)."""
    from ..identity import GROUP

    _state(ctx, cmd.key)
    bad = [g for g in cmd.groups if not isinstance(g, str) or not GROUP.fullmatch(g)]
    if bad:
        raise InvalidData("invalid group", errors={"groups": [f"Invalid group {g!r}." for g in bad]})
    groups = sorted(set(cmd.groups))
    lifecycle.upsert(ctx.conn, "process", cmd.key, starter_groups=orjson.dumps(groups).decode() if groups else None)
    record(ctx, "starters_changed", f"process:{cmd.key}", {"groups": groups}, cmd.actor.username)


def _state(ctx: CommandContext, key: str):
    if definitions.latest(ctx.conn, "process", key) is None:
        raise NotFound(f"process {key!r} not found")
    return lifecycle.get(ctx.conn, "process", key)
