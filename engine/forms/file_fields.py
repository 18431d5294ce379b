"""The filepicker fields of a form-js schema: data key -> what they accept (`accept`, `multiple`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileField:
    key: str
    accept: tuple[str, ...]  # ".pdf", "image/*", "application/pdf"; empty: the configured list
    multiple: bool


def file_fields(form: dict) -> dict[str, FileField]:
    """Every filepicker field of the form, by its data key (dotted through group paths)."""
    out: dict[str, FileField] = {}

    def walk(components, prefix: str) -> None:
        for c in components or ():
            if not isinstance(c, dict):
                continue
            if c.get("type") == "filepicker" and isinstance(c.get("key"), str):
                accept = c.get("accept") if isinstance(c.get("accept"), str) else ""
                key = prefix + c["key"]
                out[key] = FileField(key, tuple(a.strip().lower() for a in accept.split(",") if a.strip()),
                                     bool(c.get("multiple")))
            if isinstance(c.get("components"), list):
                path = c.get("path") if isinstance(c.get("path"), str) and c.get("type") == "group" else None
                walk(c["components"], prefix + path + "." if path else prefix)

    walk(form.get("components"), "")
    return out
