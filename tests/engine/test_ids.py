"""Task ids as text (engine/runtime/ids.py)."""
from __future__ import annotations

import uuid

from engine.runtime import ids


def test_id_text_is_str_and_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(ids, "_MAX", 3)
    monkeypatch.setattr(ids, "TEXTS", {})
    values = [uuid.uuid4() for _ in range(5)]
    assert [ids.id_text(v) for v in values] == [str(v) for v in values]
    assert len(ids.TEXTS) <= 3
    assert ids.id_text(values[-1]) is ids.id_text(values[-1])  # remembered


def test_new_task_ids_are_random_version_4_uuids():
    made = [ids.new_task_id() for _ in range(1000)]  # several blocks of random bytes
    assert len(set(made)) == 1000
    for value in made[:50]:
        assert value.version == 4 and value.variant == uuid.RFC_4122
        assert uuid.UUID(str(value)) == value and hash(value) == hash(uuid.UUID(str(value)))
        assert value.is_safe is uuid.SafeUUID.unknown


def test_a_forked_child_never_repeats_its_parents_ids():
    import os

    ids.new_task_id()  # the parent holds a block of random bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, ids.new_task_id().bytes)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = uuid.UUID(bytes=os.read(read, 16))
    assert child != ids.new_task_id()  # the parent's next id, from the same block
