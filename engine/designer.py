"""The engine's methods for designers and admins: drafts, publication, old versions,
withdrawal, starter groups, and the admin log (a mixin of `Engine`, kept apart from the
instance commands). Writes go through `execute`; reads open their own read transaction."""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import orjson

from .commands import drafts as _drafts
from .commands import lifecycle as _lifecycle
from .commands.admin_log import first_break
from .commands.draft_sources import check_kind, publish_problems
from .db import admin_events, definitions, drafts, lifecycle
from .errors import Conflict, InvalidDefinition, NotFound
from .views import SYSTEM, Actor, AdminEventView, DeploymentView, DraftView, Page

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

MAX_DIFF_LINES = 4000


class DesignerMethods:
    """Drafts, publication and a definition's life (see `engine/commands/drafts.py`, `lifecycle.py`)."""

    # -- drafts ---------------------------------------------------------------------------
    def new_process_draft(self: "Engine", actor: Actor = SYSTEM) -> DraftView:
        """A draft of a new diagram under a process id nothing else has (`procedure_N`)."""
        return self.execute(_drafts.NewProcessDraft(actor))

    def save_draft(self: "Engine", kind: str, key: str, source: str, *, revision: int,
                   base_version: int | None = None, actor: Actor = SYSTEM) -> DraftView:
        """Save a draft made from `revision` (0 for the first save, from `base_version`)."""
        return self.execute(_drafts.SaveDraft(actor, kind, key, source, revision, base_version))

    def discard_draft(self: "Engine", kind: str, key: str, *, revision: int, actor: Actor = SYSTEM) -> None:
        self.execute(_drafts.DiscardDraft(actor, kind, key, revision))

    def publish_draft(self: "Engine", kind: str, key: str, *, revision: int, actor: Actor = SYSTEM) -> DeploymentView:
        """Publish the draft as the next version (InvalidDefinition: nothing published)."""
        return self.execute(_drafts.PublishDraft(actor, kind, key, revision))

    def draft(self: "Engine", kind: str, key: str) -> DraftView:
        """Raises NotFound."""
        check_kind(kind)
        with self.kept.transaction(write=False) as conn:
            row = drafts.get(conn, kind, key)
        if row is None:
            raise NotFound(f"no draft of {kind} {key!r}")
        return _drafts.draft_view(row)

    def drafts(self: "Engine", kind: str | None = None) -> list[DraftView]:
        with self.kept.transaction(write=False) as conn:
            return [_drafts.draft_view(r) for r in drafts.listing(conn, kind)]

    def preview_draft(self: "Engine", kind: str, key: str) -> dict:
        """What publishing the draft would do: the current version beside it, the validation
        (a deployment's checks and a publication's), the status, a line diff of the texts.

        Returns:
            {"draft", "current" ({"version", "source", "deployed_at"} or None), "stale" (a
            version was published since the draft's base), "valid", "errors", "status"
            (new | unchanged | older), "same_as_version", "text_diff"}.
        """
        draft = self.draft(kind, key)
        with self.kept.transaction(write=False) as conn:
            latest = definitions.latest(conn, kind, key)
        errors, status, same_as = [], None, None
        try:
            result = self.execute(_drafts.PublishDraft(SYSTEM, kind, key, draft.revision, dry_run=True))
        except InvalidDefinition as exc:
            errors, result = list(exc.errors or []), None
        except Conflict:  # a stale draft: the same checks, without the base version's
            errors, result = self._validate_only(draft)
        if not errors and result is not None:
            mine = next((d for d in result.definitions + result.forms + result.decisions if d["key"] == key), None)
            status = mine["status"] if mine else None
            same_as = mine["version"] if mine and status in ("unchanged", "older") else None
        current = None
        if latest is not None:
            current = {"version": latest.version, "source": latest.source, "deployed_at": latest.deployed_at}
        diff = list(difflib.unified_diff((latest.source if latest else "").splitlines(), draft.source.splitlines(),
                                         f"v{latest.version}" if latest else "(rien)", "brouillon", lineterm=""))
        return {"draft": draft, "current": current, "stale": (latest.version if latest else None) != draft.base_version,
                "valid": not errors, "errors": errors, "status": status, "same_as_version": same_as,
                "text_diff": "\n".join(diff[:MAX_DIFF_LINES])}

    def _validate_only(self: "Engine", draft: DraftView):
        from .commands.deploy import Deploy

        files = ((draft.filename, draft.source.encode("utf-8")),)
        problems = publish_problems(draft.kind, draft.filename, draft.source)
        try:
            result = self.execute(Deploy(SYSTEM, files, dry_run=True))
        except InvalidDefinition as exc:
            return list(exc.errors or []) + problems, None
        return problems, result

    # -- versions and the life of a process ----------------------------------------------
    def republish(self: "Engine", kind: str, key: str, version: int, actor: Actor = SYSTEM) -> DeploymentView:
        """Make an old version current again (its content becomes the next version)."""
        return self.execute(_lifecycle.RepublishVersion(actor, kind, key, version))

    def withdraw(self: "Engine", key: str, reason: str | None = None, actor: Actor = SYSTEM) -> None:
        """No new instances of the process (running ones go on)."""
        self.execute(_lifecycle.WithdrawDefinition(actor, key, reason))

    def reinstate(self: "Engine", key: str, actor: Actor = SYSTEM) -> None:
        self.execute(_lifecycle.ReinstateDefinition(actor, key))

    def set_starters(self: "Engine", key: str, groups, actor: Actor = SYSTEM) -> None:
        """The groups whose clerks may start the process (empty: every clerk)."""
        self.execute(_lifecycle.SetStarters(actor, key, tuple(groups)))

    def process_states(self: "Engine") -> dict[str, dict]:
        """Per process key: {"withdrawn_at", "withdrawn_by", "withdraw_reason", "starter_groups"}."""
        from .engine import _utc

        with self.kept.transaction(write=False) as conn:
            rows = lifecycle.all_states(conn, "process")
        return {k: {"withdrawn_at": _utc(r.withdrawn_at), "withdrawn_by": r.withdrawn_by,
                    "withdraw_reason": r.withdraw_reason, "starter_groups": lifecycle.starter_groups(r) or []}
                for k, r in rows.items()}

    # -- the admin log --------------------------------------------------------------------
    def admin_log(self: "Engine", *, subject: str | None = None, page: int = 1, per_page: int = 50) -> Page:
        """The admin log, newest first (of one subject such as `process:KEY` or `user:NAME`)."""
        from .engine import _utc

        with self.kept.transaction(write=False) as conn:
            rows, total = admin_events.page(conn, subject=subject, page=page, per_page=per_page)
        return Page([AdminEventView(r.seq, _utc(r.at), r.type, r.actor, r.subject, orjson.loads(r.payload),
                                    r.prev_hash, r.hash) for r in rows], total, page, per_page)

    def verify_admin_log(self: "Engine") -> int | None:
        """The seq of the first admin event whose hash or link is wrong, None when intact."""
        with self.kept.transaction(write=False) as conn:
            return first_break(admin_events.in_order(conn))
