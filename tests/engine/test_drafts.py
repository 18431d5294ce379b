"""Drafts through Engine.execute: save without publishing, revisions, new diagrams under unique
ids, publication (validated, refused when stale), re-publication, withdrawal and starter
groups, each in the admin log."""
from __future__ import annotations

import pytest

from engine import Actor, Conflict, Forbidden, InvalidData, InvalidDefinition, NotFound
from tests.conftest import FIXTURES, fixture_files

NADIA = Actor("nadia", roles=("designer",))
SAMI = Actor("sami", roles=("designer",))
CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))
OTHER_CLERK = Actor("karim", groups=("finance",), roles=("clerk",))
LOOP = (FIXTURES / "loop.bpmn").read_text()


def _renamed(source: str, old: str = "Travailler", new: str = "Travailler encore") -> str:
    assert old in source
    return source.replace(old, new, 1)


@pytest.fixture
def loop(engine):
    engine.deploy(fixture_files("loop.bpmn"))
    return engine


def test_draft__saving_changes_nothing_clerks_run(loop):
    draft = loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    assert (draft.revision, draft.base_version, draft.saved_by) == (1, 1, "nadia")
    assert loop.get_definition("loop").version == 1 and "Travailler encore" not in loop.definition_source("loop")
    again = loop.save_draft("process", "loop", _renamed(LOOP, new="Travailler vite"), revision=1, actor=NADIA)
    assert again.revision == 2 and "Travailler vite" in loop.draft("process", "loop").source


def test_draft__a_save_from_an_old_revision_is_a_conflict_naming_who_saved(loop):
    loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    loop.save_draft("process", "loop", _renamed(LOOP, new="Par Sami"), revision=1, actor=SAMI)
    with pytest.raises(Conflict) as err:
        loop.save_draft("process", "loop", _renamed(LOOP, new="Par Nadia"), revision=1, actor=NADIA)
    assert "sami" in err.value.message and "revision 2" in err.value.message
    assert "Par Sami" in loop.draft("process", "loop").source


def test_draft__a_second_first_save_or_a_stale_base_is_a_conflict(loop):
    loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    with pytest.raises(Conflict):
        loop.save_draft("process", "loop", _renamed(LOOP, new="Autre"), revision=0, base_version=1, actor=SAMI)
    loop.discard_draft("process", "loop", revision=1, actor=NADIA)
    loop.deploy([("loop.bpmn", _renamed(LOOP, new="v2").encode())])
    with pytest.raises(Conflict) as err:  # opened v1, v2 published since
        loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    assert "v2 was published" in err.value.message


def test_draft__an_existing_definition_keeps_its_key(loop):
    with pytest.raises(InvalidData) as err:
        loop.save_draft("process", "loop", LOOP.replace('id="loop"', 'id="boucle"'), revision=0, base_version=1)
    assert "keep the process id 'loop'" in err.value.message


def test_new_diagrams__get_unique_ids_and_may_take_a_free_one_before_publishing(engine):
    first, second = engine.new_process_draft(NADIA), engine.new_process_draft(SAMI)
    assert first.key != second.key and first.key.startswith("procedure_")
    assert f'id="{first.key}"' in first.source
    named = engine.save_draft("process", first.key, first.source.replace(first.key, "demande_bourse"),
                              revision=1, actor=NADIA)
    assert named.key == "demande_bourse"
    with pytest.raises(NotFound):
        engine.draft("process", first.key)
    with pytest.raises(Conflict) as err:  # the other designer cannot take it
        engine.save_draft("process", second.key, second.source.replace(second.key, "demande_bourse"),
                          revision=1, actor=SAMI)
    assert "'demande_bourse' is taken" in err.value.message


def test_publish__a_lone_start_event_is_refused(engine):
    draft = engine.new_process_draft(NADIA)
    with pytest.raises(InvalidDefinition) as err:
        engine.publish_draft("process", draft.key, revision=1, actor=NADIA)
    assert [e["element"] for e in err.value.errors] == ["debut"] and "leads nowhere" in err.value.errors[0]["message"]
    assert engine.list_definitions() == []


def test_publish__makes_the_next_version_drops_the_draft_and_is_logged(loop):
    loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    preview = loop.preview_draft("process", "loop")
    assert preview["valid"] and preview["status"] == "new" and preview["current"]["version"] == 1
    assert "+" in preview["text_diff"] and "Travailler encore" in preview["text_diff"]
    result = loop.publish_draft("process", "loop", revision=1, actor=NADIA)
    assert [(d["version"], d["status"]) for d in result.definitions] == [(2, "new")]
    assert loop.drafts() == []
    types = [e.type for e in loop.admin_log().items]
    assert types[:3] == ["draft_published", "definitions_deployed", "draft_saved"]
    assert loop.admin_log(subject="process:loop").items[0].actor == "nadia"
    assert loop.verify_admin_log() is None


def test_publish__refused_when_a_version_was_published_since_the_draft_began(loop):
    loop.save_draft("process", "loop", _renamed(LOOP), revision=0, base_version=1, actor=NADIA)
    loop.deploy([("loop.bpmn", _renamed(LOOP, new="par un autre").encode())])
    assert loop.preview_draft("process", "loop")["stale"]
    with pytest.raises(Conflict) as err:
        loop.publish_draft("process", "loop", revision=1, actor=NADIA)
    assert "v2 was published" in err.value.message
    assert loop.get_definition("loop").version == 2


def test_publish__an_invalid_draft_publishes_nothing(loop):
    bad = LOOP.replace("<bpmn:endEvent", "<bpmn:endEvent name='x'", 1).replace('sourceRef="', 'sourceRef="nope', 1)
    loop.save_draft("process", "loop", bad, revision=0, base_version=1, actor=NADIA)
    preview = loop.preview_draft("process", "loop")
    assert not preview["valid"] and preview["errors"]
    with pytest.raises(InvalidDefinition):
        loop.publish_draft("process", "loop", revision=1, actor=NADIA)
    assert loop.get_definition("loop").version == 1 and loop.draft("process", "loop").revision == 1


def test_republish__an_old_version_becomes_the_next_one(loop):
    loop.deploy([("loop.bpmn", _renamed(LOOP).encode())])
    result = loop.republish("process", "loop", 1, actor=NADIA)
    assert result.definitions[0]["version"] == 3
    assert loop.definition_source("loop") == loop.definition_source("loop", 1)
    with pytest.raises(Conflict):
        loop.republish("process", "loop", 3)
    assert loop.admin_log().items[0].payload == {"from_version": 1, "version": 3}


def test_withdraw__no_new_starts_running_instances_go_on(loop):
    running = loop.start("loop", {"count": 0, "limit": 1}, actor=CLERK)
    loop.withdraw("loop", "remplacée par la procédure en ligne", actor=Actor("root", roles=("admin",)))
    with pytest.raises(Conflict) as err:
        loop.start("loop", {"count": 0, "limit": 1}, actor=CLERK)
    assert "withdrawn" in err.value.message
    assert loop.list_definitions(startable=True) == [] and loop.list_definitions()[0].withdrawn
    task = loop.list_tasks(see_all=True, instance_id=running.id).items[0]
    loop.claim(task.id, CLERK)
    assert loop.complete_task(task.id, {}, actor=CLERK).status == "completed"
    loop.reinstate("loop")
    assert loop.start("loop", {"count": 0, "limit": 1}, actor=CLERK).status == "running"


def test_withdraw__stops_timer_starts_and_message_starts(engine):
    from engine.db import timers

    def scheduled():
        with engine.db.connect() as conn:
            return [r.definition_key for r in conn.execute(timers.process_timer.select())]

    engine.deploy(fixture_files("scheduled.bpmn", "thrown_messages.bpmn"))
    assert scheduled() == ["monthly_report"]
    engine.withdraw("monthly_report")
    engine.withdraw("opened")
    assert scheduled() == []
    with pytest.raises(NotFound):  # nothing waits and the process it would start is withdrawn
        engine.correlate("ouvrir_dossier", "DOS-1", {})
    engine.reinstate("monthly_report")
    assert scheduled() == ["monthly_report"]


def test_starters__only_their_groups_clerks_start_it(loop):
    loop.set_starters("loop", ["clerks"])
    assert loop.start("loop", {"count": 0, "limit": 1}, actor=CLERK).status == "running"
    with pytest.raises(Forbidden):
        loop.start("loop", {"count": 0, "limit": 1}, actor=OTHER_CLERK)
    assert loop.list_definitions()[0].starter_groups == ("clerks",)
    loop.set_starters("loop", [])
    assert loop.start("loop", {"count": 0, "limit": 1}, actor=OTHER_CLERK).status == "running"
