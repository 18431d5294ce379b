"""complaint_handling (Gestion des réclamations, DOMAIN.md §1), path by path on a manual clock.

Filing → bureau_ordre triage (not admissible → notified → end) → acknowledgement (48 h alert to
superviseurs) → subprocess "Instruction et réponse" (30-day escalation to superviseurs): routing by
category, investigation, information request (reply message or abandonment after 15 days), draft,
supervisor validation (revision loop) → answer notified → appeal within 15 days (reopens) or closed.
"""
from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from engine import Forbidden, InvalidData, NotFound

from .conftest import PROCESSES, clerk

FILES = ("complaint_handling.bpmn", "rec_depot.form", "rec_qualification.form", "rec_instruction.form",
         "rec_redaction.form", "rec_validation.form", "rec_alerte_accuse.form", "rec_alerte_delai.form")

BUREAU = clerk("amina", "bureau_ordre")
CONSULAIRE = clerk("youssef", "service_consulaire")
JURIDIQUE = clerk("karim", "service_juridique")
SOCIAL = clerk("salma", "service_social")
SUPERVISEUR = clerk("nadia", "superviseurs")
CLERK_OF = {"service_consulaire": CONSULAIRE, "service_juridique": JURIDIQUE, "service_social": SOCIAL}

COMPLAINT = {
    "applicant_name": "Fatima Zahra El Idrissi",
    "id_number": "AB123456",
    "country_of_residence": "France",
    "consulate": "Consulat général du Royaume du Maroc à Lyon",
    "email": "fatima.elidrissi@example.org",
    "phone": "+33612345678",
    "category": "property",
    "description": "Un terrain hérité de mon père à Taroudant est occupé sans titre depuis 2019 ; "
                   "ma plainte auprès de la commune est restée sans réponse.",
}
NOTES = "Vérification faite auprès de la conservation foncière de Taroudant : titre au nom du défunt."
DRAFT = ("Madame, la conservation foncière confirme vos droits sur le terrain. Le service juridique a saisi "
         "l'autorité locale pour faire cesser l'occupation.")
ADMISSIBLE = {"category": "property", "admissibility": "admissible"}
READY = {"investigation_notes": NOTES, "investigation_outcome": "ready_to_answer"}
ASK = {"investigation_notes": NOTES, "investigation_outcome": "request_info",
       "info_request": "Merci de nous adresser une copie de l'acte de succession (moulkia)."}


@pytest.fixture
def h(harness):
    harness.deploy(*FILES)
    return harness


def file_complaint(h, key="REC-2026-0001", **changes):
    return h.engine.start("complaint_handling", {**COMPLAINT, **changes}, business_key=key, actor=BUREAU).id


def offered(h, iid) -> dict:
    """Ready tasks of the instance: element id → candidate groups."""
    return {element: t.candidate_groups for element, t in h.tasks(iid).items()}


def ended_at(h, iid) -> list[str]:
    """End events reached, in order (element_completed events of end events)."""
    ends = {"reclamation_irrecevable", "reclamation_abandonnee", "reclamation_cloturee", "retard_accuse_traite",
            "depassement_traite", "reponse_validee", "abandon_signale"}
    return [e.element_id for e in h.engine.history(iid) if e.type == "element_completed" and e.element_id in ends]


def mails(h, subject: str | None = None) -> list:
    """Notifications delivered so far (the outbox is drained first), optionally with this subject.
    Rows written at the same engine time are delivered in no particular order."""
    h.deliver()
    return [n for n in h.transport.sent if subject is None or n.subject == subject]


def subjects(h) -> list[str]:
    return sorted(n.subject for n in mails(h))


def due(h, iid, element):
    [timer] = [t["due_at"] for t in h.engine.timers(iid) if t["element_id"] == element]
    return timer


def calendar(h, **delta):
    """Now plus a calendar duration, counted like the engine (on DIWAN_TIMEZONE's wall clock), in UTC
    (advance_clock compares a non-UTC `to` by its wall time on SQLite)."""
    return (h.clock.now().astimezone(h.engine.tz) + timedelta(**delta)).astimezone(timezone.utc)


def triage(h, iid, data=None):
    return h.complete(iid, "qualifier_reclamation", data or ADMISSIBLE, BUREAU)


def answer_approved(h, iid, service="service_juridique"):
    """From the service's investigation task to the approved answer."""
    svc = service.removeprefix("service_")
    h.complete(iid, f"instruire_{svc}", READY, CLERK_OF[service])
    h.complete(iid, f"rediger_{svc}", {"draft_answer": DRAFT}, CLERK_OF[service])
    return h.complete(iid, "valider_reponse", {"decision": "approve"}, SUPERVISEUR)


# -- the diagram --------------------------------------------------------------------------------

def test_diagram__user_tasks_have_group_form_documentation_and_lane():
    bpmn = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
    root = etree.parse(str(Path(PROCESSES) / "complaint_handling.bpmn")).getroot()
    lane_of = {ref.text: ref.getparent().get("name") for ref in root.iterfind(".//bpmn:flowNodeRef", bpmn)}
    users = root.findall(".//bpmn:userTask", bpmn)
    assert len(users) == 10
    for task in users:
        group = task.get(f"{{{bpmn['camunda']}}}candidateGroups")
        assert group and lane_of[task.get("id")] == group
        assert task.get(f"{{{bpmn['camunda']}}}formKey").startswith("camunda-forms:deployment:rec_")
        assert len(task.findtext("bpmn:documentation", namespaces=bpmn)) > 80
    timers = {e.getparent().getparent().get("id"): e.text for e in root.iterfind(".//bpmn:timeDuration", bpmn)}
    assert timers == {"delai_accuse_depasse": "PT48H", "delai_traitement_depasse": "P30D",
                      "delai_reponse_expire": "P15D", "delai_recours_expire": "P15D"}
    non_interrupting = {b.get("id") for b in root.iterfind(".//bpmn:boundaryEvent[@cancelActivity='false']", bpmn)}
    assert non_interrupting == {"delai_accuse_depasse", "delai_traitement_depasse"}


# -- happy path ---------------------------------------------------------------------------------

def test_happy_path__answered_then_closed_after_15_days_without_appeal(h):
    iid = file_complaint(h, category="consular_service")
    tasks = h.tasks(iid)
    assert offered(h, iid) == {"qualifier_reclamation": ["bureau_ordre"]}
    assert tasks["qualifier_reclamation"].form_key == "rec_qualification"
    assert tasks["qualifier_reclamation"].documentation.startswith("Enregistrez la réclamation")
    assert tasks["qualifier_reclamation"].due_at == h.clock.now() + timedelta(hours=48)

    h.engine.advance_clock(by=timedelta(hours=20))
    triage(h, iid, {"category": "consular_service", "admissibility": "admissible"})
    [ack] = mails(h)
    assert ack.subject == "Accusé de réception de votre réclamation" and ack.to == COMPLAINT["email"]
    assert ack.body.startswith("Bonjour Fatima Zahra El Idrissi,") and "30 jours" in ack.body
    assert offered(h, iid) == {"instruire_consulaire": ["service_consulaire"]}

    h.complete(iid, "instruire_consulaire", READY, CONSULAIRE)
    assert offered(h, iid) == {"rediger_consulaire": ["service_consulaire"]}
    h.complete(iid, "rediger_consulaire", {"draft_answer": DRAFT}, CONSULAIRE)
    assert offered(h, iid) == {"valider_reponse": ["superviseurs"]}
    view = h.complete(iid, "valider_reponse", {"decision": "approve"}, SUPERVISEUR)

    assert set(view.active_elements) == {"recours_recu", "delai_recours_expire"}
    [answer] = mails(h, "Réponse à votre réclamation")
    assert answer.to == COMPLAINT["email"] and DRAFT in answer.body and "15 jours" in answer.body
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["delai_recours_expire"]  # no 30-day timer left
    assert due(h, iid, "delai_recours_expire") == calendar(h, days=15)

    h.engine.advance_clock(to=calendar(h, days=15) - timedelta(minutes=1))
    assert h.engine.get_instance(iid).status == "running"
    h.engine.advance_clock(by=timedelta(minutes=1))
    view = h.engine.get_instance(iid)
    assert view.status == "completed"
    assert view.data["decision"] == "approve" and view.data["investigation_outcome"] == "ready_to_answer"
    assert view.data["draft_answer"] == DRAFT and view.data["email"] == COMPLAINT["email"]
    assert ended_at(h, iid) == ["reponse_validee", "reclamation_cloturee"]
    assert len(mails(h)) == 2  # acknowledgement and answer: no alert, no other notice
    ready = {e.element_id for e in h.engine.history(iid) if e.type == "task_ready"}
    assert ready == {"qualifier_reclamation", "instruire_consulaire", "rediger_consulaire", "valider_reponse"}
    with pytest.raises(NotFound):  # the appeal period is over: a late appeal finds nobody waiting
        h.engine.correlate("recours", "REC-2026-0001", {"appeal_reason": "Je conteste la réponse."})


@pytest.mark.parametrize("category, service", [
    ("consular_service", "service_consulaire"),
    ("administrative_procedure", "service_consulaire"),
    ("transfers_customs", "service_consulaire"),
    ("legal_dispute", "service_juridique"),
    ("property", "service_juridique"),
    ("education", "service_social"),
    ("other", "service_social"),
])
def test_routing__category_decides_the_service_that_investigates_and_drafts(h, category, service):
    iid = file_complaint(h, category=category)
    triage(h, iid, {"category": category, "admissibility": "admissible"})
    svc = service.removeprefix("service_")
    assert offered(h, iid) == {f"instruire_{svc}": [service]}
    assert h.tasks(iid)[f"instruire_{svc}"].lane == service  # the task's own lane inside the subprocess
    h.complete(iid, f"instruire_{svc}", READY, CLERK_OF[service])
    assert offered(h, iid) == {f"rediger_{svc}": [service]}


def test_routing__bureau_ordre_requalifies_the_category(h):
    iid = file_complaint(h, category="other")
    triage(h, iid, {"category": "legal_dispute", "admissibility": "admissible"})
    assert offered(h, iid) == {"instruire_juridique": ["service_juridique"]}
    assert h.engine.get_instance(iid).data["category"] == "legal_dispute"


def test_routing__a_clerk_of_another_service_cannot_investigate(h):
    iid = file_complaint(h)
    triage(h, iid)
    with pytest.raises(Forbidden):
        h.complete(iid, "instruire_juridique", READY, SOCIAL)


# -- rejection ----------------------------------------------------------------------------------

def test_triage__not_admissible_is_notified_with_the_reason_and_ends(h):
    iid = file_complaint(h)
    reason = "La réclamation porte sur un litige entre particuliers déjà jugé par le tribunal de première instance."
    view = triage(h, iid, {"category": "property", "admissibility": "not_admissible",
                           "inadmissibility_reason": reason})
    assert view.status == "completed"
    assert ended_at(h, iid) == ["reclamation_irrecevable"]
    [notice] = mails(h)
    assert notice.subject == "Votre réclamation ne peut pas être instruite"
    assert notice.to == COMPLAINT["email"] and reason in notice.body
    assert h.engine.timers(iid) == []


# -- 48-hour acknowledgement ---------------------------------------------------------------------

def test_acknowledgement__late_after_48_hours_alerts_superviseurs_and_work_goes_on(h):
    iid = file_complaint(h)
    h.engine.advance_clock(by=timedelta(hours=47, minutes=59))
    assert offered(h, iid) == {"qualifier_reclamation": ["bureau_ordre"]}
    h.engine.advance_clock(by=timedelta(minutes=1))
    assert offered(h, iid) == {"qualifier_reclamation": ["bureau_ordre"],
                               "relancer_accuse_reception": ["superviseurs"]}
    alert = h.tasks(iid)["relancer_accuse_reception"]
    assert alert.created_at == h.clock.now() and alert.lane == "superviseurs"

    triage(h, iid)  # the work goes on: the acknowledgement leaves, late
    assert subjects(h) == ["Accusé de réception de votre réclamation"]
    assert offered(h, iid) == {"relancer_accuse_reception": ["superviseurs"],
                               "instruire_juridique": ["service_juridique"]}
    h.complete(iid, "relancer_accuse_reception", {"ack_delay_action": "Relance du bureau d'ordre, renfort le lundi."},
               SUPERVISEUR)
    answer_approved(h, iid)
    h.engine.advance_clock(to=calendar(h, days=15))
    view = h.engine.get_instance(iid)
    assert view.status == "completed" and view.data["ack_delay_action"].startswith("Relance")
    assert ended_at(h, iid) == ["retard_accuse_traite", "reponse_validee", "reclamation_cloturee"]


def test_acknowledgement__in_time_raises_no_alert(h):
    iid = file_complaint(h)
    h.engine.advance_clock(by=timedelta(hours=47))
    triage(h, iid)
    h.engine.advance_clock(by=timedelta(hours=2))
    assert offered(h, iid) == {"instruire_juridique": ["service_juridique"]}
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["delai_traitement_depasse"]


# -- information request: reply or abandonment ------------------------------------------------------

def test_information_request__reply_by_business_key_resumes_the_investigation(h):
    iid = file_complaint(h, key="REC-2026-0007")
    other = file_complaint(h, key="REC-2026-0008")
    triage(h, iid)
    triage(h, other)
    view = h.complete(iid, "instruire_juridique", ASK, JURIDIQUE)
    assert set(view.active_elements) == {"reponse_requerant_recue", "delai_reponse_expire"}
    [request] = mails(h, "Votre réclamation : informations complémentaires demandées")
    assert request.to == COMPLAINT["email"] and ASK["info_request"] in request.body and "15 jours" in request.body

    h.engine.advance_clock(by=timedelta(days=10))
    reply = {"applicant_reply": "Ci-joint l'acte de succession établi par les adoul en 2018."}
    assert h.engine.correlate("reponse_requerant", "REC-2026-0007", reply) == [iid]
    assert offered(h, iid) == {"instruire_juridique": ["service_juridique"]}  # back to the same service
    assert h.engine.get_instance(iid).data["applicant_reply"] == reply["applicant_reply"]
    assert "applicant_reply" not in h.engine.get_instance(other).data
    assert offered(h, other) == {"instruire_juridique": ["service_juridique"]}

    answer_approved(h, iid)
    h.engine.advance_clock(to=calendar(h, days=15))
    assert h.engine.get_instance(iid).status == "completed"
    assert ended_at(h, iid) == ["reponse_validee", "reclamation_cloturee"]


def test_information_request__no_reply_in_15_days_closes_as_abandoned(h):
    iid = file_complaint(h, category="education")
    triage(h, iid, {"category": "education", "admissibility": "admissible"})
    h.complete(iid, "instruire_social", ASK, SOCIAL)
    assert due(h, iid, "delai_reponse_expire") == calendar(h, days=15)
    h.engine.advance_clock(to=calendar(h, days=15) - timedelta(minutes=1))
    assert set(h.engine.get_instance(iid).active_elements) == {"reponse_requerant_recue", "delai_reponse_expire"}
    h.engine.advance_clock(by=timedelta(minutes=1))

    view = h.engine.get_instance(iid)
    assert view.status == "completed" and view.active_elements == []
    assert ended_at(h, iid) == ["abandon_signale", "reclamation_abandonnee"]
    assert subjects(h) == ["Accusé de réception de votre réclamation", "Classement de votre réclamation",
                           "Votre réclamation : informations complémentaires demandées"]
    assert "15 jours" in mails(h, "Classement de votre réclamation")[0].body
    assert h.engine.timers(iid) == []  # the 30-day deadline went with the subprocess
    with pytest.raises(NotFound):  # a late reply finds nobody waiting
        h.engine.correlate("reponse_requerant", "REC-2026-0001", {"applicant_reply": "trop tard"})


# -- 30-day handling deadline ----------------------------------------------------------------------

def test_handling_deadline__30_days_after_registration_escalates_and_work_goes_on(h):
    iid = file_complaint(h)
    h.engine.advance_clock(by=timedelta(days=1))
    triage(h, iid)  # registration: the 30 days count from here, not from filing
    deadline = calendar(h, days=30)
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["delai_traitement_depasse"]
    assert due(h, iid, "delai_traitement_depasse") == deadline

    h.complete(iid, "instruire_juridique", READY, JURIDIQUE)
    h.engine.advance_clock(to=deadline - timedelta(minutes=1))
    assert offered(h, iid) == {"rediger_juridique": ["service_juridique"]}
    h.engine.advance_clock(to=deadline)
    assert offered(h, iid) == {"rediger_juridique": ["service_juridique"],
                               "traiter_depassement_delai": ["superviseurs"]}

    h.complete(iid, "rediger_juridique", {"draft_answer": DRAFT}, JURIDIQUE)  # the work goes on
    h.complete(iid, "traiter_depassement_delai", {"escalation_action": "remind_service",
                                                  "escalation_note": "Relance du chef du service juridique."},
               SUPERVISEUR)
    h.complete(iid, "valider_reponse", {"decision": "approve"}, SUPERVISEUR)
    h.engine.advance_clock(to=calendar(h, days=15))
    view = h.engine.get_instance(iid)
    assert view.status == "completed" and view.data["escalation_action"] == "remind_service"
    assert ended_at(h, iid) == ["depassement_traite", "reponse_validee", "reclamation_cloturee"]


def test_handling_deadline__escalation_task_outlives_the_answer(h):
    iid = file_complaint(h)
    triage(h, iid)
    h.engine.advance_clock(to=calendar(h, days=30))
    answer_approved(h, iid)
    h.engine.advance_clock(to=calendar(h, days=15))
    view = h.engine.get_instance(iid)
    assert view.status == "running" and offered(h, iid) == {"traiter_depassement_delai": ["superviseurs"]}
    view = h.complete(iid, "traiter_depassement_delai", {"escalation_action": "reassign",
                                                         "escalation_note": "Dossier réaffecté pour la suite."},
                      SUPERVISEUR)
    assert view.status == "completed"


# -- validation loop ------------------------------------------------------------------------------

def test_validation__revise_sends_the_draft_back_to_the_same_service(h):
    iid = file_complaint(h, category="transfers_customs")
    triage(h, iid, {"category": "transfers_customs", "admissibility": "admissible"})
    h.complete(iid, "instruire_consulaire", READY, CONSULAIRE)
    h.complete(iid, "rediger_consulaire", {"draft_answer": DRAFT}, CONSULAIRE)
    comment = "Citez l'article de la circulaire douanière applicable et le délai de recours."
    for round_ in range(2):
        h.complete(iid, "valider_reponse", {"decision": "revise", "validation_comment": comment}, SUPERVISEUR)
        assert offered(h, iid) == {"rediger_consulaire": ["service_consulaire"]}
        assert h.engine.get_instance(iid).data["validation_comment"] == comment
        h.complete(iid, "rediger_consulaire", {"draft_answer": f"{DRAFT} Version {round_ + 2}."}, CONSULAIRE)
    h.complete(iid, "valider_reponse", {"decision": "approve"}, SUPERVISEUR)
    [answer] = mails(h, "Réponse à votre réclamation")
    assert "Version 3." in answer.body and "Version 2." not in answer.body
    validations = [e for e in h.engine.history(iid) if e.type == "task_completed" and e.element_id == "valider_reponse"]
    assert len(validations) == 3


# -- appeal ---------------------------------------------------------------------------------------

def test_appeal__within_15_days_reopens_the_investigation(h):
    iid = file_complaint(h)
    triage(h, iid)
    answer_approved(h, iid)
    h.engine.advance_clock(by=timedelta(days=14))
    appeal = {"appeal_reason": "L'occupation continue : l'autorité locale n'a rien fait."}
    assert h.engine.correlate("recours", "REC-2026-0001", appeal) == [iid]

    assert offered(h, iid) == {"instruire_juridique": ["service_juridique"]}
    view = h.engine.get_instance(iid)
    assert view.data["appeal_reason"] == appeal["appeal_reason"]
    # a new 30-day handling deadline for the appeal
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["delai_traitement_depasse"]
    assert due(h, iid, "delai_traitement_depasse") == calendar(h, days=30)
    assert len([e for e in h.engine.history(iid) if e.type == "element_completed"
                and e.element_id == "accuser_reception"]) == 1  # no second acknowledgement

    answer_approved(h, iid)
    assert len(mails(h, "Réponse à votre réclamation")) == 2
    h.engine.advance_clock(to=calendar(h, days=15))
    assert h.engine.get_instance(iid).status == "completed"
    assert ended_at(h, iid) == ["reponse_validee", "reponse_validee", "reclamation_cloturee"]
    with pytest.raises(NotFound):  # after the 15 days, an appeal finds nobody waiting
        h.engine.correlate("recours", "REC-2026-0001", appeal)


# -- form validation ------------------------------------------------------------------------------

def test_start_form__invalid_data_is_refused(h):
    bad = {**COMPLAINT, "email": "fatima-at-example", "category": "tax", "description": "Trop court",
           "id_number": "AB 12"}
    del bad["consulate"]
    with pytest.raises(InvalidData) as err:
        h.engine.start("complaint_handling", bad, business_key="REC-X", actor=BUREAU)
    assert set(err.value.errors) == {"email", "category", "description", "id_number", "consulate"}
    assert h.engine.list_instances(definition_key="complaint_handling").total == 0


def test_validation_form__decision_outside_the_options_is_refused(h):
    iid = file_complaint(h)
    triage(h, iid)
    h.complete(iid, "instruire_juridique", READY, JURIDIQUE)
    h.complete(iid, "rediger_juridique", {"draft_answer": DRAFT}, JURIDIQUE)
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "valider_reponse", {"decision": "maybe"}, SUPERVISEUR)
    assert "decision" in err.value.errors
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "valider_reponse", {}, SUPERVISEUR)
    assert "decision" in err.value.errors
    assert offered(h, iid) == {"valider_reponse": ["superviseurs"]}
