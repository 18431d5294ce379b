"""Task ids: made cheaply, and written as text once.

`str(UUID)` formats a 128-bit integer each time (about a microsecond), and the command
path writes the same few ids many times (state, tables, audit events); `uuid4()` asks the
operating system for 16 random bytes each time, and SpiffWorkflow makes a task (and an
id) for every step and prediction.
"""
from __future__ import annotations

import os
import threading
from uuid import UUID, SafeUUID

# By the id's integer: hashed in C (a UUID hashes in Python), and invisible to the garbage
# collector (a UUID is one more object for every full collection to visit).
TEXTS: dict[int, str] = {}  # an id's integer -> its text (read directly on the hottest path)
_MAX = 50_000  # then start over: the live tasks' ids come back on their next use


def id_text(task_id: UUID) -> str:
    """`str(task_id)`."""
    key = task_id.int
    text = TEXTS.get(key)
    if text is None:
        if len(TEXTS) >= _MAX:
            TEXTS.clear()
        text = TEXTS[key] = str(task_id)
    return text


class _Entropy(threading.local):
    """A thread's buffer of random bytes (one `os.urandom` call per 256 ids)."""

    def __init__(self):
        self.buffer = b""
        self.position = 0


_entropy = _Entropy()
_CLEAR_VERSION_AND_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4_RFC_4122 = (4 << 76) | (0x8000 << 48)


def new_task_id() -> UUID:
    """A random (version 4) UUID, as `uuid.uuid4()` makes, at a third of its cost: the
    random bytes come from the operating system in blocks, not 16 at a time."""
    source = _entropy
    position = source.position
    if position >= len(source.buffer):
        source.buffer, position = os.urandom(4096), 0
    source.position = position + 16
    value = int.from_bytes(source.buffer[position:position + 16], "big") & _CLEAR_VERSION_AND_VARIANT
    task_id = object.__new__(UUID)  # UUID.__init__'s checks are for parsed input
    object.__setattr__(task_id, "int", value | _VERSION_4_RFC_4122)
    object.__setattr__(task_id, "is_safe", SafeUUID.unknown)
    return task_id


def _forget_entropy() -> None:
    _entropy.buffer, _entropy.position = b"", 0


os.register_at_fork(after_in_child=_forget_entropy)  # a child never reuses its parent's bytes
