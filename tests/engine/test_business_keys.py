"""Business keys are unique per process: a second start under a taken key is a conflict naming
it, the database's unique index holds it, and a thrown message does not start a duplicate."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import Conflict
from tests.conftest import fixture_files


@pytest.fixture
def deployed(engine):
    engine.deploy(fixture_files("loop.bpmn", "representative.bpmn", "thrown_messages.bpmn"))
    return engine


def test_start__a_taken_business_key_is_a_conflict_naming_it(deployed):
    first = deployed.start("loop", {"count": 0, "limit": 1}, business_key="REC-2026-0001")
    with pytest.raises(Conflict) as err:
        deployed.start("loop", {"count": 0, "limit": 1}, business_key="REC-2026-0001")
    assert "REC-2026-0001" in err.value.message and first.id in err.value.message
    assert list(err.value.errors) == ["business_key"]
    assert deployed.list_instances(definition_key="loop").total == 1


def test_start__the_same_key_in_another_process_and_no_key_at_all_are_fine(deployed):
    deployed.start("loop", {"count": 0, "limit": 1}, business_key="K-1")
    deployed.start("representative", {"amount": 5}, business_key="K-1")
    deployed.start("loop", {"count": 0, "limit": 1})
    deployed.start("loop", {"count": 0, "limit": 1})
    assert deployed.list_instances(business_key="K-1").total == 2
    assert deployed.list_instances(definition_key="loop").total == 3


def test_database__refuses_a_duplicate_key_written_past_the_engine(deployed):
    """The unique index, not only the engine's check: a row written by another path is refused."""
    inst = deployed.start("loop", {"count": 0, "limit": 1}, business_key="DUP")
    with deployed.db.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM instance WHERE id = :i"), {"i": inst.id}).mappings().one()
        copy = {**row, "id": "other-instance"}
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text(f"INSERT INTO instance ({', '.join(copy)}) VALUES "
                                 f"({', '.join(':' + k for k in copy)})"), copy)
        conn.rollback()


def test_thrown_message__does_not_start_a_second_instance_under_a_taken_key(deployed):
    [opened] = deployed.correlate("ouvrir_dossier", "DOS-1", {})  # `opened` starts under DOS-1
    sender = deployed.start("sender", {}, business_key="DOS-1")  # its end event throws ouvrir_dossier
    assert sender.status == "completed"  # the start it would make is dropped, the sender is not refused
    assert [i.id for i in deployed.list_instances(definition_key="opened").items] == [opened]


def test_correlate__a_message_start_under_a_taken_key_is_a_conflict(deployed):
    deployed.correlate("ouvrir_dossier", "DOS-9", {})
    with pytest.raises(Conflict) as err:
        deployed.correlate("ouvrir_dossier", "DOS-9", {})
    assert "DOS-9" in err.value.message
