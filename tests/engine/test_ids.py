"""Task ids as text (engine/runtime/ids.py)."""
from __future__ import annotations

import uuid

from engine.runtime import ids


def test_id_text_is_str_and_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(ids, "_MAX", 3)
    monkeypatch.setattr(ids, "_TEXT", {})
    values = [uuid.uuid4() for _ in range(5)]
    assert [ids.id_text(v) for v in values] == [str(v) for v in values]
    assert len(ids._TEXT) <= 3
    assert ids.id_text(values[-1]) is ids.id_text(values[-1])  # remembered
