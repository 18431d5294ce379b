"""Time travel on the four seed processes: at every step the diagram shows the path the history
took (taken flows, active elements), never the diagram's other branches or a later step."""
from __future__ import annotations

from . import test_association_labelling as lab
from . import test_complaint_handling as rec
from . import test_grant_cofinancing as cof
from . import test_returnee_reintegration as rei
from .time_travel_checks import check_time_travel


def _seq(engine, iid, type_, element):
    return next(e.seq for e in engine.history(iid) if e.type == type_ and e.element_id == element)


def test_time_travel__complaint_without_revision_never_shows_the_revision_loop(harness):
    h = harness
    h.deploy(*rec.FILES)
    iid = rec.file_complaint(h, key="REC-2026-0003", category="consular_service")
    rec.triage(h, iid, {"category": "consular_service", "admissibility": "admissible"})
    rec.answer_approved(h, iid, "service_consulaire")
    pictures = check_time_travel(h.engine, iid)
    assert all("f_a_reviser" not in p["taken_flows"] for p in pictures)
    assert "f_approuvee" in pictures[-1]["taken_flows"]
    ready = _seq(h.engine, iid, "task_ready", "instruire_consulaire")
    done = _seq(h.engine, iid, "task_completed", "instruire_consulaire")
    for p in pictures:  # in progress from the event its task became ready until it was completed
        assert ("instruire_consulaire" in p["active_elements"]) == (ready <= p["seq"] < done), p["seq"]
    assert h.engine.state_at(iid, ready - 1)["active_elements"] == []


def test_time_travel__complaint_revision_loop_taken_when_revised(harness):
    h = harness
    h.deploy(*rec.FILES)
    iid = rec.file_complaint(h, category="transfers_customs")
    rec.triage(h, iid, {"category": "transfers_customs", "admissibility": "admissible"})
    h.complete(iid, "instruire_consulaire", rec.READY, rec.CONSULAIRE)
    h.complete(iid, "rediger_consulaire", {"draft_answer": rec.DRAFT}, rec.CONSULAIRE)
    revised = h.complete(iid, "valider_reponse", {"decision": "revise", "validation_comment": "Citez l'article."},
                         rec.SUPERVISEUR)
    assert revised.active_elements == ["rediger_consulaire"]
    pictures = check_time_travel(h.engine, iid)
    decided = _seq(h.engine, iid, "task_completed", "valider_reponse")
    assert "f_a_reviser" not in h.engine.state_at(iid, decided)["taken_flows"]
    assert "f_a_reviser" in pictures[-1]["taken_flows"] and "f_approuvee" not in pictures[-1]["taken_flows"]
    assert pictures[-1]["completed_elements"]["decision_validation_gw"] == 1


def test_time_travel__labelling_incomplete_application_takes_only_the_request_branch(harness):
    h = harness
    h.deploy(*lab.FILES)
    iid = lab.start(h, governance_documents=False)
    h.complete(iid, "verifier_completude",
               {"completeness": "incomplete", "missing_documents": "Procès-verbal de la dernière assemblée générale",
                "governance_documents": False}, lab.BUREAU)
    pictures = check_time_travel(h.engine, iid)
    assert "f_incomplet" in pictures[-1]["taken_flows"] and "f_complet" not in pictures[-1]["taken_flows"]
    assert set(pictures[-1]["active_elements"]) == {"delai_pieces_expire", "pieces_recues"}


def test_time_travel__cofinancing_evaluation_stays_active_until_both_evaluators_are_done(harness):
    h = harness
    h.deploy(*cof.FILES)
    cof.register_label(h)
    iid = cof.submit(h)
    cof.evaluate(h, iid)
    pictures = check_time_travel(h.engine, iid)
    first = _seq(h.engine, iid, "task_completed", "evaluer_projet")
    at_first = h.engine.state_at(iid, first)
    assert at_first["active_elements"] == ["evaluer_projet"] and "f_evalue" not in at_first["taken_flows"]
    assert len(at_first["open_tasks"]) == 1
    assert "f_evalue" in pictures[-1]["taken_flows"]


def test_time_travel__reintegration_opens_only_the_tracks_retained(harness):
    h = harness
    h.deploy(*rei.FILES)
    iid = rei.register(h, needs=["housing"])
    rei.assess(h, iid, ["housing"])
    pictures = check_time_travel(h.engine, iid)
    taken = set(pictures[-1]["taken_flows"])
    assert "f_besoin_logement" in taken
    assert not taken & {"f_besoin_emploi", "f_besoin_scolarisation", "f_besoin_administratif"}
