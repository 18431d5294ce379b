"""Task ids as text, remembered: `str(UUID)` formats a 128-bit integer each time (about a
microsecond), and the command path writes the same few ids many times (state, tables,
audit events)."""
from __future__ import annotations

from uuid import UUID

_TEXT: dict[UUID, str] = {}
_MAX = 100_000  # then start over: the live tasks' ids come back on their next use


def id_text(task_id: UUID) -> str:
    """`str(task_id)`."""
    text = _TEXT.get(task_id)
    if text is None:
        if len(_TEXT) >= _MAX:
            _TEXT.clear()
        text = _TEXT[task_id] = str(task_id)
    return text
