"""Migration 0012 on a database that already has duplicate business keys: the oldest instance
keeps the key, later ones get KEY~2, KEY~3, each rename is an event of its chain, and the
chains still verify."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import command

from engine.db.migrate import alembic_config
from tests.conftest import fixture_files


def _before_0012() -> str:
    """The revision 0012 follows (migrations are re-chained when branches merge)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_revision("0012").down_revision


def _migrate(engine, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with engine.db.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def test_migration_0012__renames_later_duplicates_and_chains_the_rename(engine, clock):
    engine.deploy(fixture_files("loop.bpmn", "thrown_messages.bpmn"))
    ids = []
    for key in ("A", "B", "C", "D"):
        ids.append(engine.start("loop", {"count": 0, "limit": 1}, business_key=key).id)
        clock.advance(timedelta(seconds=1))
    waiting = engine.start("receiver", {}, business_key="W-1")
    clock.advance(timedelta(seconds=1))
    late = engine.start("receiver", {}, business_key="W-2")
    _migrate(engine, _before_0012(), down=True)
    with engine.db.begin() as conn:  # duplicates as an older diwan let them be written
        conn.execute(sa.text("UPDATE instance SET business_key = 'A' WHERE business_key IN ('B', 'C')"))
        conn.execute(sa.text("UPDATE instance SET business_key = 'W-1' WHERE id = :i"), {"i": late.id})
        conn.execute(sa.text("UPDATE message_subscription SET business_key = 'W-1' WHERE instance_id = :i"),
                     {"i": late.id})
    _migrate(engine, "head")
    engine.live.clear()  # the rows changed behind the engine (the versions moved on anyway)
    keys = {i.id: i.business_key for i in engine.list_instances(per_page=50).items}
    assert [keys[i] for i in ids] == ["A", "A~2", "A~3", "D"]
    assert keys[waiting.id] == "W-1" and keys[late.id] == "W-1~2"
    renamed = engine.history(ids[1])[-1]
    assert (renamed.type, renamed.actor) == ("business_key_changed", "system")
    assert renamed.payload["from"] == "A" and renamed.payload["to"] == "A~2" and "0012" in renamed.payload["reason"]
    for instance_id in (*ids, waiting.id, late.id):
        result = engine.verify(instance_id)
        assert result["chain_ok"] and result["replay_ok"], result
    # The renamed waiting instance hears messages under its new key, the first one under the old.
    assert engine.correlate("avis_transmis", "W-1~2", {}) == [late.id]
    assert engine.correlate("avis_transmis", "W-1", {}) == [waiting.id]
