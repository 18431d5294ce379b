"""Clerk work through the engine: claim-to-complete, delegation, comments, attachments, access log."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from engine import Actor, Conflict, Engine, EngineSettings, Forbidden, InvalidData, NotFound
from engine.identity import UserStore, password_hasher
from tests.conftest import fixture_files, verify_every_instance

AMINA = Actor("amina", groups=("bureau_ordre",), roles=("clerk",))
KARIM = Actor("karim", groups=("bureau_ordre",), roles=("clerk",))
SALMA = Actor("salma", groups=("finance",), roles=("clerk",))
NADIA = Actor("nadia", groups=("bureau_ordre",), roles=("clerk", "supervisor"))
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def strict(database_url, clock, connectors, tmp_path):
    """An engine as the server runs it: claim-to-complete on."""
    eng = Engine(settings=EngineSettings(database_url=database_url, require_claim=True, max_attachment_bytes=4096),
                 clock=clock, connectors=connectors)
    store = UserStore(eng.db, hasher=password_hasher("CHEAPEST"))
    for actor in (AMINA, KARIM, SALMA, NADIA):
        store.create_user(actor.username, "correct horse battery", actor.roles, actor.groups)
    eng.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    yield eng
    verify_every_instance(eng)
    eng.dispose()


def _started(eng):
    inst = eng.start("clerk_work", {"applicant_name": "Fatima Zahra"}, business_key="CW-1", actor=AMINA)
    [task] = eng.list_tasks(see_all=True, instance_id=inst.id).items
    return inst, task


def test_complete__without_the_claim_is_conflict(strict):
    inst, task = _started(strict)
    with pytest.raises(Conflict, match="claim the task"):
        strict.complete_task(task.id, {"note": "x"}, actor=AMINA)
    strict.claim(task.id, AMINA)
    with pytest.raises(Conflict):  # claimed by another
        strict.complete_task(task.id, {}, actor=KARIM)
    att = strict.add_attachment(task.id, "justificatif", "acte.pdf", PDF, AMINA)
    view = strict.complete_task(task.id, {"justificatif": [att.id]}, actor=AMINA)
    assert view.active_elements == ["examiner"]


def test_reassign__by_the_claimant_or_a_supervisor_to_a_candidate(strict):
    inst, task = _started(strict)
    with pytest.raises(Conflict):  # nothing claimed yet
        strict.reassign(task.id, "karim", AMINA)
    strict.claim(task.id, AMINA)
    with pytest.raises(Forbidden):
        strict.reassign(task.id, "karim", KARIM)
    with pytest.raises(InvalidData) as err:
        strict.reassign(task.id, "salma", AMINA)  # not of the task's groups
    assert set(err.value.errors) == {"to_user"}
    with pytest.raises(InvalidData):
        strict.reassign(task.id, "nobody", AMINA)
    assert strict.reassign(task.id, "karim", AMINA).assignee == "karim"
    assert strict.reassign(task.id, "amina", NADIA).assignee == "amina"  # a supervisor of the group
    events = [e for e in strict.history(inst.id) if e.type == "task_reassigned"]
    assert [(e.actor, e.payload["previous_assignee"], e.payload["assignee"]) for e in events] == [
        ("amina", "amina", "karim"), ("nadia", "karim", "amina")]
    assert strict.get_task(task.id).assignee == "amina"


def test_comments__append_only_in_the_chain_and_refused_when_empty(strict):
    inst, task = _started(strict)
    strict.add_comment(inst.id, "Pièce d'identité à vérifier.", AMINA)
    strict.add_comment(inst.id, "Vérifiée.", KARIM, task_id=task.id)
    with pytest.raises(InvalidData):
        strict.add_comment(inst.id, "   ", AMINA)
    with pytest.raises(NotFound):
        strict.add_comment(inst.id, "x", AMINA, task_id="nope")
    comments = strict.comments(inst.id)
    assert [(c.actor, c.payload["text"], c.task_id) for c in comments] == [
        ("amina", "Pièce d'identité à vérifier.", None), ("karim", "Vérifiée.", task.id)]
    assert strict.verify(inst.id)["ok"]
    # The task is still the same and may still be completed.
    strict.claim(task.id, AMINA)
    att = strict.add_attachment(task.id, "justificatif", "acte.pdf", PDF, AMINA)
    strict.complete_task(task.id, {"justificatif": att.id}, actor=AMINA)


def test_attachments__stored_hashed_in_the_chain_and_verified(strict):
    inst, task = _started(strict)
    strict.claim(task.id, AMINA)
    pdf = strict.add_attachment(task.id, "justificatif", "C:\\docs\\acte de naissance.pdf", PDF, AMINA)
    photos = [strict.add_attachment(task.id, "photos", f"p{i}.png", PNG, AMINA) for i in range(2)]
    assert pdf.filename == "acte de naissance.pdf" and pdf.content_type == "application/pdf"
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest() and strict.attachment_content(pdf.id) == PDF
    view = strict.complete_task(task.id, {"justificatif": [pdf.id], "photos": [p.id for p in photos]}, actor=AMINA)
    assert view.data["justificatif"] == [pdf.id]
    [done] = [e for e in strict.history(inst.id) if e.type == "task_completed"]
    assert [(a["id"], a["sha256"]) for a in done.payload["attachments"]] == [
        (pdf.id, pdf.sha256), *[(p.id, p.sha256) for p in photos]]
    assert strict.verify(inst.id)["ok"]
    with strict.db.begin() as conn:  # the stored bytes are altered behind the engine
        conn.execute(sa.text("UPDATE attachment SET content = :c WHERE id = :id"), {"c": PDF + b"x", "id": pdf.id})
    result = strict.verify(inst.id)
    assert not result["ok"] and [f["kind"] for f in result["findings"]] == ["attachment"]
    with strict.db.begin() as conn:
        conn.execute(sa.text("UPDATE attachment SET content = :c WHERE id = :id"), {"c": PDF, "id": pdf.id})


def test_attachments__size_type_field_and_ids_are_checked(strict):
    inst, task = _started(strict)
    with pytest.raises(Conflict):  # claim-to-complete covers uploads too
        strict.add_attachment(task.id, "justificatif", "a.pdf", PDF, AMINA)
    strict.claim(task.id, AMINA)
    cases = [("justificatif", "a.pdf", PDF + b"0" * 5000, "file"),  # larger than the limit
             ("justificatif", "a.pdf", PNG, "file"),  # a PNG named .pdf: the content decides
             ("photos", "p.png", PDF, "file"),
             ("justificatif", "a.pdf", b"", "file"),
             ("note", "a.pdf", PDF, "field")]
    for field, name, content, where in cases:
        with pytest.raises(InvalidData) as err:
            strict.add_attachment(task.id, field, name, content, AMINA)
        assert set(err.value.errors) == {where}, (field, name)
    pdf = strict.add_attachment(task.id, "justificatif", "a.pdf", PDF, AMINA)
    for value in (["not-an-id"], [pdf.id, pdf.id], 12):
        with pytest.raises(InvalidData) as err:
            strict.complete_task(task.id, {"justificatif": value}, actor=AMINA)
        assert set(err.value.errors) == {"justificatif"}
    with pytest.raises(InvalidData) as err:  # an id uploaded for another field
        strict.complete_task(task.id, {"justificatif": [pdf.id], "photos": [pdf.id]}, actor=AMINA)
    assert set(err.value.errors) == {"photos"}
    assert strict.get_task(task.id).state == "ready"


def test_attachments__the_scanning_hook_refuses_with_its_reason(strict):
    inst, task = _started(strict)
    strict.claim(task.id, AMINA)
    seen = []

    def scanner(content, filename, media):
        seen.append((filename, media))
        return "EICAR test signature" if b"EICAR" in content else None

    strict.attachment_scanner = scanner
    with pytest.raises(InvalidData) as err:
        strict.add_attachment(task.id, "justificatif", "v.pdf", PDF + b"EICAR", AMINA)
    assert "EICAR test signature" in err.value.errors["file"][0]
    strict.add_attachment(task.id, "justificatif", "ok.pdf", PDF, AMINA)
    assert seen == [("v.pdf", "application/pdf"), ("ok.pdf", "application/pdf")]


def test_attachments__in_a_folder(database_url, clock, connectors, tmp_path):
    eng = Engine(settings=EngineSettings(database_url=database_url, require_claim=False, attachments_dir=str(tmp_path / "files")),
                 clock=clock, connectors=connectors)
    eng.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    inst, task = _started(eng)
    att = eng.add_attachment(task.id, "justificatif", "a.pdf", PDF, AMINA)
    assert (tmp_path / "files" / att.id).read_bytes() == PDF and eng.attachment_content(att.id) == PDF
    eng.complete_task(task.id, {"justificatif": [att.id]}, actor=AMINA)
    assert eng.verify(inst.id)["ok"]
    (tmp_path / "files" / att.id).write_bytes(b"%PDF-forged")
    assert [f["kind"] for f in eng.verify(inst.id)["findings"]] == ["attachment"]
    (tmp_path / "files" / att.id).write_bytes(PDF)
    verify_every_instance(eng)
    eng.dispose()


def test_comments__a_closed_case_takes_none(strict):
    inst, task = _started(strict)
    strict.cancel(inst.id, "doublon")
    with pytest.raises(Conflict, match="cancelled"):
        strict.add_comment(inst.id, "Trop tard.", AMINA)
    with pytest.raises(NotFound):
        strict.add_comment("no-such-case", "x", AMINA)


def test_access_log__append_only_rows_newest_first(strict):
    inst, task = _started(strict)
    strict.log_access(AMINA, inst.id, "case_page", "10.0.0.1")
    strict.log_access(KARIM, inst.id, "api_instance")
    rows, total = strict.access_log(instance_id=inst.id)
    assert total == 2 and [(r["actor"], r["view"], r["address"]) for r in rows] == [
        ("karim", "api_instance", None), ("amina", "case_page", "10.0.0.1")]
    assert strict.access_log(actor="amina")[1] == 1
    with pytest.raises(ValueError):
        strict.log_access(AMINA, inst.id, "anything")


def test_inbox__due_text_search_and_sort(engine, clock):
    from datetime import timedelta

    engine.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    people = [("CW-1", "Fatima Zahra El Idrissi", "fz@example.org"), ("CW-2", "Youssef Benali", "yb@example.org"),
              ("REC-2026-0003", "Salma Ait", "SALMA@EXAMPLE.ORG")]
    ids = {}
    for key, name, email in people:
        inst = engine.start("clerk_work", {"applicant_name": name, "email": email, "secret": "fatima"},
                            business_key=key, actor=AMINA)
        ids[key] = inst.id
        clock.advance(timedelta(minutes=1))

    def keys(**filters):
        page = engine.list_tasks("amina", ["bureau_ordre"], **filters)
        by_instance = {v: k for k, v in ids.items()}
        return [by_instance[t.instance_id] for t in page.items]

    assert keys(q="fatima") == ["CW-1"]  # case-insensitive; "secret" is not an applicant field
    assert keys(q="rec-2026") == ["REC-2026-0003"]  # the business key, whatever the case
    assert keys(q="salma@example") == ["REC-2026-0003"]
    assert keys(q="50%") == []
    assert keys(sort="-created") == ["REC-2026-0003", "CW-2", "CW-1"]
    assert keys(sort="created") == ["CW-1", "CW-2", "REC-2026-0003"]
    assert keys(due="overdue") == [] and keys(due="week") == ["CW-1", "CW-2", "REC-2026-0003"]  # due in 2 h
    clock.advance(timedelta(hours=2) - timedelta(seconds=90))  # due at +2 h, +2 h 1 min, +2 h 2 min
    assert keys(due="overdue") == ["CW-1", "CW-2"]
    clock.advance(timedelta(days=8))
    assert keys(due="week") == keys(due="today") == keys(due="overdue") == ["CW-1", "CW-2", "REC-2026-0003"]
    with pytest.raises(InvalidData):
        engine.list_tasks("amina", ["bureau_ordre"], due="tomorrow")


def test_dashboard__volumes_cycle_times_and_overdue_by_group_and_consulate(engine, clock):
    from datetime import timedelta

    from engine.dashboard import percentile

    engine.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    ids = [engine.start("clerk_work", {"consulate": c}, business_key=f"CW-{i}", actor=AMINA).id
           for i, c in enumerate(["Lyon", "Lyon", "Bruxelles", ""])]
    for hours, iid in zip((1, 2, 10), ids):  # three "joindre" tasks completed after 1, 2 and 10 hours
        clock.advance(timedelta(hours=hours))
        [task] = engine.list_tasks(see_all=True, instance_id=iid).items
        att = engine.add_attachment(task.id, "justificatif", "a.pdf", PDF, AMINA)
        engine.complete_task(task.id, {"justificatif": [att.id]}, actor=AMINA)
    engine.cancel(ids[2])
    clock.advance(timedelta(hours=3))  # the fourth "joindre" (due 2 h after start) is overdue
    board = engine.sla_dashboard()
    assert board["volumes"] == [{"definition_key": "clerk_work", "running": 3, "completed": 0, "cancelled": 1,
                                 "failed": 0, "suspended": 0, "total": 4}]
    [step] = [s for s in board["steps"] if s["element_id"] == "joindre"]
    assert step["count"] == 3 and step["median_hours"] == 3.0 and step["p90_hours"] == 13.0
    assert board["overdue_by_group"] == [{"group": "bureau_ordre", "count": 1}]
    assert board["overdue_by_consulate"] == [{"consulate": "(non renseigné)", "count": 1}]
    assert [o["business_key"] for o in board["overdue"]] == ["CW-3"]
    assert percentile([5, 1, 3], 50) == 3 and percentile([], 90) is None and percentile(list(range(1, 11)), 90) == 9
