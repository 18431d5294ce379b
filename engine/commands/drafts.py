"""Drafts: designers save diagrams, decisions and forms without publishing them, then publish
a draft as the next version (or discard it). Nothing here changes what clerks run until a
publication, and a save or a publication made from a stale revision or version is refused."""
from __future__ import annotations

from dataclasses import dataclass

from ..db import definitions, drafts
from ..errors import Conflict, InvalidData, InvalidDefinition, NotFound
from ..views import DeploymentView, DraftView
from .admin_log import record
from .base import Command, CommandContext, handles
from .deploy import Deploy, deploy
from .draft_sources import EXTENSIONS, check_key, check_kind, keys_in, new_source, publish_problems

NEW_PROCESS_PREFIX = "procedure_"


def draft_view(row) -> DraftView:
    from ..engine import _utc

    return DraftView(row.kind, row.key, row.base_version, row.filename, row.source, row.revision, row.created_by,
                     _utc(row.created_at), row.saved_by, _utc(row.saved_at))


@dataclass(frozen=True)
class NewProcessDraft(Command[DraftView]):
    """Start a new diagram: a draft under a process id no definition or draft has."""


@handles(NewProcessDraft)
def new_process_draft(cmd: NewProcessDraft, ctx: CommandContext) -> DraftView:
    conn = ctx.conn
    taken = drafts.keys(conn, "process") | {r.key for r in definitions.latest_of_each(conn, "process")}
    n = 1
    while f"{NEW_PROCESS_PREFIX}{n}" in taken:
        n += 1
    key = f"{NEW_PROCESS_PREFIX}{n}"
    return _insert(ctx, "process", key, None, new_source("process", key), cmd.actor.username)


@dataclass(frozen=True)
class SaveDraft(Command[DraftView]):
    """Save a draft made from `revision` (0: the first save, from `base_version`, the version the
    designer opened, None for a new definition)."""

    kind: str = "process"
    key: str = ""
    source: str = ""
    revision: int = 0
    base_version: int | None = None


@handles(SaveDraft)
def save_draft(cmd: SaveDraft, ctx: CommandContext) -> DraftView:
    """Create or update the draft; a new definition's draft may take another key (the designer
    renamed the process id) while that key is free.

    Raises InvalidData (bad key, a source that does not parse or does not declare the key),
    Conflict (another save or a publication came first; the new key is taken).
    """
    conn, actor = ctx.conn, cmd.actor.username
    check_kind(cmd.kind)
    check_key(cmd.key)
    declared = keys_in(cmd.kind, cmd.source)
    row = drafts.get(conn, cmd.kind, cmd.key)
    latest = definitions.latest(conn, cmd.kind, cmd.key)
    if row is None:
        if cmd.revision != 0:
            raise Conflict(f"the draft of {cmd.key!r} was published or discarded meanwhile: reload it",
                           errors={"revision": ["No such draft any more."]})
        current = latest.version if latest is not None else None
        if cmd.base_version != current:
            raise Conflict(_stale(cmd.kind, cmd.key, cmd.base_version, latest),
                           errors={"base_version": [f"The current version is {current}."]})
    elif row.revision != cmd.revision:
        raise Conflict(f"the draft of {cmd.key!r} was saved meanwhile by {row.saved_by} (revision {row.revision}, "
                       f"yours is {cmd.revision}): reload it before saving",
                       errors={"revision": [f"The draft is at revision {row.revision}."]})
    key = cmd.key
    if cmd.key not in declared:
        new = declared[0] if declared else None
        renamable = latest is None and (row is None or row.base_version is None)
        if new is None or not renamable:
            raise_wrong_key(cmd.kind, cmd.key, declared)
        check_key(new, "source")
        if definitions.latest(conn, cmd.kind, new) is not None or drafts.get(conn, cmd.kind, new) is not None:
            raise Conflict(f"the {cmd.kind} key {new!r} is taken (a published definition or another draft): "
                           "choose another id", errors={"key": [f"{new!r} is taken."]})
        key = new
    filename = key + EXTENSIONS[cmd.kind]
    if row is None:
        view = _insert(ctx, cmd.kind, key, cmd.base_version, cmd.source, actor)
    else:
        if not drafts.update(conn, row.id, row.revision, key=key, filename=filename, source=cmd.source,
                             saved_by=actor, saved_at=ctx.now):
            raise Conflict("the draft was saved by someone else at the same moment: reload it")
        view = draft_view(drafts.get(conn, cmd.kind, key))
        record(ctx, "draft_saved", f"{cmd.kind}:{key}", {"revision": view.revision, "renamed_from":
                                                            cmd.key if key != cmd.key else None}, actor)
    return view


def raise_wrong_key(kind: str, key: str, declared: list[str]):
    what = {"process": "process id", "decision": "decision id", "form": "form id"}[kind]
    raise InvalidData(f"the draft of {key!r} must keep the {what} {key!r} (it declares {', '.join(declared) or 'none'}):"
                      " to make another definition, start a new one", errors={"source": [f"Keep the {what} {key!r}."]})


def _insert(ctx: CommandContext, kind: str, key: str, base_version: int | None, source: str, actor: str) -> DraftView:
    drafts.insert(ctx.conn, id=ctx.engine.new_id(), kind=kind, key=key, base_version=base_version,
                  filename=key + EXTENSIONS[kind], source=source, revision=1, created_by=actor, created_at=ctx.now,
                  saved_by=actor, saved_at=ctx.now)
    record(ctx, "draft_saved", f"{kind}:{key}", {"revision": 1, "base_version": base_version}, actor)
    return draft_view(drafts.get(ctx.conn, kind, key))


def _stale(kind: str, key: str, base: int | None, latest) -> str:
    if latest is None:
        return f"{kind} {key!r} has no published version any more than v{base}"
    return (f"{kind} {key!r} v{latest.version} was published since you opened "
            f"{'a new definition' if base is None else f'v{base}'}: reload it and redo your change on v{latest.version}")


@dataclass(frozen=True)
class DiscardDraft(Command[None]):
    """Throw a draft away (the published versions stay)."""

    kind: str = "process"
    key: str = ""
    revision: int = 0


@handles(DiscardDraft)
def discard_draft(cmd: DiscardDraft, ctx: CommandContext) -> None:
    """Raises NotFound, Conflict (saved meanwhile)."""
    row = _draft_at(ctx, cmd.kind, cmd.key, cmd.revision)
    drafts.delete(ctx.conn, row.id)
    record(ctx, "draft_discarded", f"{cmd.kind}:{cmd.key}", {"revision": row.revision}, cmd.actor.username)


def _draft_at(ctx: CommandContext, kind: str, key: str, revision: int):
    check_kind(kind)
    row = drafts.get(ctx.conn, kind, key)
    if row is None:
        raise NotFound(f"no draft of {kind} {key!r}")
    if row.revision != revision:
        raise Conflict(f"the draft of {key!r} was saved meanwhile by {row.saved_by} (revision {row.revision}, "
                       f"yours is {revision}): look at it again", errors={"revision": [
                           f"The draft is at revision {row.revision}."]})
    return row


@dataclass(frozen=True)
class PublishDraft(Command[DeploymentView]):
    """Publish the draft (at `revision`) as the next version of its definition, then drop it."""

    kind: str = "process"
    key: str = ""
    revision: int = 0
    dry_run: bool = False


@handles(PublishDraft)
def publish_draft(cmd: PublishDraft, ctx: CommandContext) -> DeploymentView:
    """Validate as a deployment does, plus what a publication adds; deploy; drop the draft.

    The bytes of an older version are published as a new version (the designer chose them);
    a draft that says what the current version says publishes nothing.

    Raises NotFound, Conflict (saved meanwhile; a version was published since the draft's
    base), InvalidDefinition (nothing published).
    """
    row = _draft_at(ctx, cmd.kind, cmd.key, cmd.revision)
    latest = definitions.latest(ctx.conn, cmd.kind, cmd.key)
    if (latest.version if latest else None) != row.base_version:
        raise Conflict(_stale(cmd.kind, cmd.key, row.base_version, latest), errors={"base_version": [
            f"The current version is {latest.version if latest else None}."]})
    problems = publish_problems(cmd.kind, row.filename, row.source)
    files = ((row.filename, row.source.encode("utf-8")),)
    try:
        result = deploy(Deploy(cmd.actor, files, dry_run=True), ctx)
    except InvalidDefinition as exc:
        raise InvalidDefinition(list(exc.errors) + problems) from None
    if problems:
        raise InvalidDefinition(problems)
    if cmd.dry_run:
        return result
    older = next((d for d in result.definitions + result.forms + result.decisions
                  if d["key"] == cmd.key and d.get("status") == "older"), None)
    result = deploy(Deploy(cmd.actor, files, republish_of=older["version"] if older else None), ctx)
    mine = next(d for d in result.definitions + result.forms + result.decisions if d["key"] == cmd.key)
    drafts.delete(ctx.conn, row.id)
    record(ctx, "draft_published", f"{cmd.kind}:{cmd.key}", {
        "revision": row.revision, "base_version": row.base_version, "version": mine["version"],
        "status": mine["status"], "republished_from": older["version"] if older else None}, cmd.actor.username)
    return result
