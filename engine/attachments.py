"""Attachments: files uploaded for a task's filepicker fields (a mixin of `Engine`), their checks
(size, sniffed type against the field's `accept`, the virus-scanning hook) and storage.

A file is uploaded to a ready task before the task is completed; the form's value for the
field is then the list of the attachment ids. Completing the task checks that every id is an
attachment of that task and field, and records id, name, type, size and sha256 in the
hash-chained `task_completed` event; verification recomputes the stored bytes' sha256.
"""
from __future__ import annotations

import hashlib
import importlib
import os

import orjson
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .db import attachments as rows
from .db import tasks
from .errors import Conflict, Forbidden, InvalidData, NotFound
from .views import Actor

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

MAX_FILENAME = 255
# (magic prefix, media type): what the bytes say they are, whatever the browser declared.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"),
              "image/gif": (".gif",), "application/zip": (".zip",), "text/plain": (".txt",)}

Scanner = Callable[[bytes, str, str], "str | None"]  # (content, filename, media type) -> refusal reason or None


@dataclass(frozen=True)
class AttachmentView:
    id: str
    instance_id: str
    task_id: str
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    def record(self) -> dict:
        """What the completing event keeps of it."""
        return {"id": self.id, "field": self.field, "filename": self.filename, "content_type": self.content_type,
                "size": self.size, "sha256": self.sha256}


def sniff(content: bytes) -> str | None:
    """The media type the bytes are (by their signature; UTF-8 text without NUL as text/plain)."""
    for magic, media in SIGNATURES:
        if content.startswith(magic):
            return media
    try:
        text = content[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 4092:  # a character cut at the sample's end is not a reason
            return None
        text = ""
    return "text/plain" if "\x00" not in text else None


def accepted(media: str, accept: tuple[str, ...], default: tuple[str, ...]) -> bool:
    """Whether a sniffed media type fits a field's `accept` (".pdf", "image/*", "application/pdf")."""
    wanted = accept or tuple(t.lower() for t in default)
    for item in wanted:
        if item.startswith("."):
            if item in EXTENSIONS.get(media, ()):
                return True
        elif item.endswith("/*"):
            if media.startswith(item[:-1]):
                return True
        elif item == media:
            return True
    return False


def load_scanner(path: str | None) -> Scanner | None:
    """The virus-scanning hook named `module:callable` (DIWAN_ATTACHMENT_SCANNER), or None."""
    if not path:
        return None
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"DIWAN_ATTACHMENT_SCANNER must be module:callable, not {path!r}")
    return getattr(importlib.import_module(module), name)


def _view(row) -> AttachmentView:
    from .engine import _utc

    return AttachmentView(row.id, row.instance_id, row.task_id, row.field, row.filename, row.content_type,
                          row.size, row.sha256, row.uploaded_by, _utc(row.uploaded_at))


class AttachmentMethods:
    """Upload, read and download attachments."""

    attachment_scanner: Scanner | None = None

    def add_attachment(self: "Engine", task_id: str, field: str, filename: str, content: bytes,
                       actor: Actor) -> AttachmentView:
        """Store a file for a filepicker field of a ready task the actor may complete.

        Raises:
            NotFound: no such task.
            Conflict: the task is not ready, or (claim-to-complete) not claimed by the actor.
            Forbidden: the task is not offered to the actor.
            InvalidData: not a file field of the task's form, empty or too large, a type the
                field does not accept (by content), a bad file name, refused by the scanner.
        """
        from .commands.tasks import _require_claimed, _require_offered

        filename = os.path.basename((filename or "").replace("\\", "/")).strip()
        with self.kept.transaction(write=True) as conn:
            row = tasks.with_instance(conn, task_id)
            if row is None:
                raise NotFound(f"task {task_id} not found")
            if row.state != "ready":
                raise Conflict(f"the task is already {row.state}")
            _require_offered(row, actor)
            if self.settings.require_claim:
                _require_claimed(row, actor)
            bindings = orjson.loads(row.inst__bindings)
            validator = self._form_validator(conn, bindings, row.form_key) if row.form_key else None
            spec = validator.file_fields.get(field) if validator else None
            if spec is None:
                raise InvalidData("not a file field", errors={"field": [f"{field!r} is not a file field of this form"]})
            if not filename or len(filename) > MAX_FILENAME or any(ord(ch) < 32 for ch in filename):
                raise InvalidData("bad file name", errors={"file": [f"a file name of 1 to {MAX_FILENAME} characters"]})
            limit = self.settings.max_attachment_bytes
            if not content:
                raise InvalidData("empty file", errors={"file": ["the file is empty"]})
            if len(content) > limit:
                raise InvalidData("file too large", errors={"file": [
                    f"{len(content)} bytes, more than the {limit} allowed (DIWAN_MAX_ATTACHMENT)"]})
            media = sniff(content)
            if media is None or not accepted(media, spec.accept, self.settings.attachment_types):
                allowed = ", ".join(spec.accept or self.settings.attachment_types)
                raise InvalidData("type not accepted", errors={"file": [
                    f"{filename}: content is {media or 'of an unknown type'}; accepted: {allowed}"]})
            scanner = self.attachment_scanner or load_scanner(self.settings.extra.get("attachment_scanner")
                                                             or os.environ.get("DIWAN_ATTACHMENT_SCANNER"))
            if scanner is not None:
                reason = scanner(content, filename, media)
                if reason:
                    raise InvalidData("refused by the virus scanner", errors={"file": [f"{filename}: {reason}"]})
            attachment_id = self.new_id()
            digest = hashlib.sha256(content).hexdigest()
            folder = self.settings.attachments_dir
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                (Path(folder) / attachment_id).write_bytes(content)
            now = self.clock.now()
            rows.insert(conn, id=attachment_id, instance_id=row.instance_id, task_id=task_id, field=field,
                        filename=filename, content_type=media, size=len(content), sha256=digest,
                        uploaded_by=actor.username, uploaded_at=now, content=None if folder else content)
            return _view(rows.get(conn, attachment_id))

    def attachment(self: "Engine", attachment_id: str) -> AttachmentView:
        with self.kept.transaction(write=False) as conn:
            row = rows.get(conn, attachment_id)
        if row is None:
            raise NotFound(f"attachment {attachment_id} not found")
        return _view(row)

    def attachment_content(self: "Engine", attachment_id: str) -> bytes:
        """The stored bytes (from the row or the folder). Raises NotFound."""
        self.attachment(attachment_id)
        with self.kept.transaction(write=False) as conn:
            content = rows.content(conn, attachment_id)
        if content is None and self.settings.attachments_dir:
            path = Path(self.settings.attachments_dir) / attachment_id
            content = path.read_bytes() if path.is_file() else None
        if content is None:
            raise NotFound(f"attachment {attachment_id} has no stored content")
        return content

    def attachments_of(self: "Engine", instance_id: str) -> list[AttachmentView]:
        with self.kept.transaction(write=False) as conn:
            return [_view(r) for r in rows.for_instance(conn, instance_id)]

    def verify_attachments(self: "Engine", events: list[dict]) -> list[dict]:
        """Findings for attachments the chain references whose stored bytes are gone or differ."""
        findings = []
        for e in events:
            for rec in (e.get("payload") or {}).get("attachments") or []:
                try:
                    digest = hashlib.sha256(self.attachment_content(rec["id"])).hexdigest()
                except NotFound:
                    digest = None
                if digest != rec.get("sha256"):
                    findings.append({"kind": "attachment", "subject": f"{rec['id']} ({rec.get('filename')})",
                                     "stored": digest, "expected": rec.get("sha256")})
        return findings


def referenced(conn, validator, task_row, data: dict) -> tuple[dict, list[dict]]:
    """Check the attachment ids a submission gives its file fields; returns (data, audit records).

    A field's value is a list of attachment ids (one id alone is taken as a list of one); each
    must be an attachment of this task uploaded for that field.

    Raises:
        InvalidData: an unknown id, or one uploaded for another task or field.
    """
    fields = getattr(validator, "file_fields", None) or {}
    if not fields:
        return data, []
    records, errors = [], {}
    out = dict(data)
    for key, spec in fields.items():
        value = out.get(key)
        if value in (None, "", []):
            continue
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            errors[key] = ["a list of attachment ids"]
            continue
        if len(ids) > 1 and not spec.multiple:
            errors[key] = ["one file only"]
            continue
        found = rows.many(conn, ids)
        bad = [i for i in ids if i not in found or found[i].task_id != task_row.id or found[i].field != key]
        if bad:
            errors[key] = [f"unknown attachment {bad[0]!r} for this task and field"]
            continue
        out[key] = ids
        records += [_view(found[i]).record() for i in ids]
    if errors:
        raise InvalidData("The submitted data is invalid.", errors=errors)
    return out, records
