"""association_labelling (Labellisation des associations, DOMAIN.md §2), path by path on a manual clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from engine.db import outbox
from engine.db.labels import all_labels
from engine.errors import Forbidden, InvalidData, NotFound
from tests.processes.conftest import clerk

PROCESS = "association_labelling"
FILES = ("association_labelling.bpmn", "lab_eligibility.dmn", "lab_demande.form", "lab_completude.form",
         "lab_evaluation_terrain.form", "lab_revue_financiere.form", "lab_decision.form",
         "lab_decision_finale.form")
TZ = ZoneInfo("Africa/Casablanca")

BUREAU = clerk("karima", "bureau_ordre")
CONSUL = clerk("youssef", "consulats")
FINANCE = clerk("nadia", "service_financier")
COMITE = clerk("driss", "comite_labellisation")

APPLICATION = {
    "association_name": "Solidarité Rif-Bruxelles",
    "country": "Belgique",
    "registration_number": "0456.789.123",
    "years_of_existence": 7,
    "members": 120,
    "annual_budget": 450000.5,
    "fields_of_action": ["social_action", "education"],
    "social_activity": "main",
    "activities_description": "Soutien scolaire hebdomadaire et accompagnement social de familles marocaines.",
    "governance_documents": True,
    "audited_accounts": True,
    "contact_name": "Fatima Zahra Amrani",
    "email": "contact@solidarite-rif.be",
}
FIELD_REPORT = {"field_visit_date": "2026-03-10", "activities_verified": True, "field_assessment": "favourable",
                "field_report": "Visite des locaux à Molenbeek : 40 enfants suivis, bénévoles rencontrés."}
FINANCIAL_REVIEW = {"accounts_consistent": True, "financial_opinion": "favourable",
                    "financial_report": "Comptes certifiés, ressources diversifiées, fonds propres suffisants."}
REASON = "Action sociale ancienne, vérifiée sur place et bien gérée."


@pytest.fixture
def h(harness):
    harness.deploy(*FILES)
    return harness


def start(h, key="LAB-2026-001", **changes) -> str:
    return h.engine.start(PROCESS, {**APPLICATION, **changes}, business_key=key, actor=BUREAU).id


def to_committee(h, iid):
    """Complete the dossier, then both assessments: the committee's task is next."""
    h.complete(iid, "verifier_completude", {"completeness": "complete"}, BUREAU)
    h.complete(iid, "evaluer_terrain", FIELD_REPORT, CONSUL)
    h.complete(iid, "examiner_finances", FINANCIAL_REVIEW, FINANCE)


def grant(h, key="LAB-2026-001", **changes) -> str:
    iid = start(h, key, **changes)
    to_committee(h, iid)
    h.complete(iid, "statuer_labellisation", {"decision": "grant", "decision_reason": REASON}, COMITE)
    return iid


def ends(h, iid) -> list[str]:
    """The end events an instance went through."""
    end_ids = {"demande_classee", "labellisation_refusee", "label_prolonge", "label_expire"}
    return [e.element_id for e in h.engine.history(iid) if e.type == "element_completed" and e.element_id in end_ids]


def sent(h) -> list:
    h.deliver()
    return list(h.transport.sent)


def subjects(h) -> list[str]:
    return [n.subject for n in sent(h)]


class _Keep(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def queued(h, iid) -> list[tuple[str, str, str, str]]:
    """The notifications an instance wrote to the outbox, rendered as notify_applicant renders them:
    (element, to, subject, body). Used once the manual clock is past the wall clock, where the outbox
    worker does not deliver (see test_label_life__reminder_delivered_after_33_months)."""
    with h.engine.db.connect() as conn:
        rows = [r for r in outbox.for_instance(conn, iid) if r.connector == "notify_applicant"]
    out = []
    for r in rows:
        payload = orjson.loads(r.payload) if isinstance(r.payload, (str, bytes)) else r.payload
        variables, props = payload["variables"], payload["properties"]
        out.append((r.element_id, variables[props.get("to", "email")],
                    props["subject"].format_map(_Keep(variables)), props["body"].format_map(_Keep(variables))))
    return out


def queued_subjects(h, iid) -> list[str]:
    return [q[2] for q in queued(h, iid)]


def labels(h) -> list:
    with h.engine.db.connect() as conn:
        return all_labels(conn)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


# -- start form ---------------------------------------------------------------------------------

def test_start_form__invalid_data_refused(h):
    bad = {**APPLICATION, "email": "pas-une-adresse", "years_of_existence": -1, "members": 0,
           "social_activity": "sports", "fields_of_action": [], "registration_number": "#"}
    del bad["association_name"]
    with pytest.raises(InvalidData) as err:
        h.engine.start(PROCESS, bad, business_key="LAB-X", actor=BUREAU)
    assert set(err.value.errors) == {"association_name", "email", "years_of_existence", "members",
                                     "social_activity", "fields_of_action", "registration_number"}
    assert h.engine.list_instances(definition_key=PROCESS).items == []


def test_start__completeness_check_offered_to_bureau_ordre(h):
    iid = start(h)
    tasks = h.tasks(iid)
    assert list(tasks) == ["verifier_completude"]
    task = tasks["verifier_completude"]
    assert task.candidate_groups == ["bureau_ordre"] and task.lane == "bureau_ordre"
    assert task.form_key == "lab_completude" and "complet" in task.documentation
    data = h.engine.get_instance(iid).data
    assert data["association_name"] == "Solidarité Rif-Bruxelles" and data["annual_budget"] == 450000.5


# -- completeness: documents requested, received or not -------------------------------------------

def test_completeness__documents_received_by_message_reopen_the_check(h):
    iid = start(h, governance_documents=False)
    h.complete(iid, "verifier_completude",
             {"completeness": "incomplete", "missing_documents": "Procès-verbal de la dernière assemblée générale",
              "governance_documents": False}, BUREAU)
    assert h.tasks(iid) == {}
    assert set(h.engine.get_instance(iid).active_elements) >= {"pieces_recues", "delai_pieces_expire"}
    [request] = sent(h)
    assert request.to == "contact@solidarite-rif.be" and "pièces complémentaires" in request.subject
    assert "Procès-verbal de la dernière assemblée générale" in request.body and "30 jours" in request.body

    h.engine.advance_clock(by=timedelta(days=20))
    assert h.engine.correlate("documents_complementaires", "LAB-2026-001",
                              {"documents_note": "PV de l'AG du 12/01/2026 envoyé"}) == [iid]
    task = h.tasks(iid)["verifier_completude"]
    assert task.candidate_groups == ["bureau_ordre"]
    assert h.engine.get_instance(iid).data["documents_note"] == "PV de l'AG du 12/01/2026 envoyé"
    assert h.engine.timers(iid) == []  # the 30-day timer left with the event-based gateway

    h.complete(iid, "verifier_completude", {"completeness": "complete", "governance_documents": True}, BUREAU)
    data = h.engine.get_instance(iid).data
    assert (data["eligibility_score"], data["recommendation"]) == (95, "eligible")
    assert set(h.tasks(iid)) == {"evaluer_terrain", "examiner_finances"}


def test_completeness__no_answer_in_30_days_closes_the_application(h):
    iid = start(h)
    h.complete(iid, "verifier_completude",
             {"completeness": "incomplete", "missing_documents": "Récépissé de déclaration de l'association"}, BUREAU)
    [timer] = h.engine.timers(iid)
    assert timer["element_id"] == "delai_pieces_expire"
    # 30 calendar days in Casablanca (the clocks move on the way: the due time stays 10:00 local)
    assert timer["due_at"].astimezone(TZ) == h.clock.now().astimezone(TZ) + timedelta(days=30)

    h.engine.advance_clock(to=timer["due_at"] - timedelta(minutes=1))
    assert h.engine.get_instance(iid).status == "running"
    h.engine.advance_clock(by=timedelta(minutes=1))
    inst = h.engine.get_instance(iid)
    assert inst.status == "completed" and ends(h, iid) == ["demande_classee"]
    assert [s for s in subjects(h)] == ["Labellisation : pièces complémentaires à fournir",
                                        "Labellisation : demande classée sans suite"]
    with pytest.raises(NotFound):  # too late: nothing waits for the documents any more
        h.engine.correlate("documents_complementaires", "LAB-2026-001", {})
    assert labels(h) == []


# -- eligibility (DMN) ----------------------------------------------------------------------------

@pytest.mark.parametrize("years, governance, audited, social, score, recommendation", [
    (1, True, True, "main", 10, "not_eligible"),
    (8, False, True, "main", 20, "not_eligible"),
    (8, True, True, "none", 25, "not_eligible"),
    (5, True, True, "main", 95, "eligible"),
    (6, True, True, "secondary", 80, "eligible"),
    (3, True, True, "main", 80, "eligible"),
    (2, True, True, "secondary", 65, "eligible_with_reservations"),
    (4, True, False, "main", 55, "eligible_with_reservations"),
    (4, True, False, "secondary", 40, "not_eligible"),
])
def test_eligibility__decision_table(h, years, governance, audited, social, score, recommendation):
    iid = start(h, years_of_existence=years, governance_documents=governance, audited_accounts=audited,
                social_activity=social)
    h.complete(iid, "verifier_completude", {"completeness": "complete"}, BUREAU)
    data = h.engine.get_instance(iid).data
    assert (data["eligibility_score"], data["recommendation"]) == (score, recommendation)
    assert any(e.type == "element_completed" and e.element_id == "calculer_eligibilite"
               for e in h.engine.history(iid))


def test_eligibility__bureau_ordre_corrects_the_declared_documents(h):
    iid = start(h)  # declared: governance documents and audited accounts
    h.complete(iid, "verifier_completude",
             {"completeness": "complete", "governance_documents": True, "audited_accounts": False}, BUREAU)
    data = h.engine.get_instance(iid).data
    assert (data["eligibility_score"], data["recommendation"]) == (55, "eligible_with_reservations")


# -- assessments in parallel, committee decisions -------------------------------------------------

def test_grant__parallel_assessments_then_label_issued_into_registry(h):
    iid = start(h)
    h.complete(iid, "verifier_completude", {"completeness": "complete"}, BUREAU)
    tasks = h.tasks(iid)
    assert set(tasks) == {"evaluer_terrain", "examiner_finances"}
    assert tasks["evaluer_terrain"].candidate_groups == ["consulats"]
    assert tasks["examiner_finances"].candidate_groups == ["service_financier"]
    with pytest.raises(InvalidData) as err:  # the consulate's report is too short and undated
        h.complete(iid, "evaluer_terrain", {"field_assessment": "favourable", "field_report": "RAS"}, CONSUL)
    assert set(err.value.errors) == {"field_visit_date", "field_report"}

    h.complete(iid, "examiner_finances", FINANCIAL_REVIEW, FINANCE)
    assert set(h.tasks(iid)) == {"evaluer_terrain"}  # the join waits for the consulate
    h.complete(iid, "evaluer_terrain", FIELD_REPORT, CONSUL)
    task = h.tasks(iid)["statuer_labellisation"]
    assert task.candidate_groups == ["comite_labellisation"] and task.form_key == "lab_decision"

    h.complete(iid, "statuer_labellisation", {"decision": "grant", "decision_reason": REASON}, COMITE)
    [row] = labels(h)
    assert row.number == "MDM-LBL-2026-00001" and row.status == "active"
    assert (row.association, row.registration_number, row.country) == ("Solidarité Rif-Bruxelles", "0456.789.123",
                                                                        "Belgique")
    assert (row.issued_on, row.expires_on) == (date(2026, 3, 2), date(2029, 3, 2))
    assert row.instance_id == iid
    inst = h.engine.get_instance(iid)
    assert inst.data["label_number"] == "MDM-LBL-2026-00001" and inst.data["label_renewed"] is False
    assert inst.data["label_expires_on"] == "2029-03-02" and inst.data["decision"] == "grant"
    [notice] = sent(h)
    assert notice.subject == "Labellisation : le label vous est attribué" and notice.to == APPLICATION["email"]
    assert "MDM-LBL-2026-00001" in notice.body and "2029-03-02" in notice.body and REASON in notice.body
    # the label's life goes on: the instance waits for the 33-month reminder
    assert inst.status == "running" and inst.active_elements == ["rappel_33_mois"]
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["rappel_33_mois"]
    assert h.engine.timers(iid)[0]["due_at"].astimezone(TZ).date() == date(2028, 12, 2)


def test_refuse__association_notified_and_no_label(h):
    iid = start(h, key="LAB-2026-002", audited_accounts=False, social_activity="secondary")
    to_committee(h, iid)
    assert h.engine.get_instance(iid).data["recommendation"] == "not_eligible"
    h.complete(iid, "statuer_labellisation",
             {"decision": "refuse", "decision_reason": "Action sociale trop ponctuelle et comptes non certifiés."},
             COMITE)
    inst = h.engine.get_instance(iid)
    assert inst.status == "completed" and ends(h, iid) == ["labellisation_refusee"]
    [notice] = sent(h)
    assert notice.subject == "Labellisation : décision du comité"
    assert "Action sociale trop ponctuelle" in notice.body and "Fatima Zahra Amrani" in notice.body
    assert labels(h) == []


@pytest.mark.parametrize("final, end", [("grant", None), ("refuse", "labellisation_refusee")])
def test_defer__assessments_redone_once_then_final_decision_without_defer(h, final, end):
    iid = start(h)
    to_committee(h, iid)
    h.complete(iid, "statuer_labellisation",
             {"decision": "defer", "decision_reason": "Le comité souhaite une visite des actions de soutien scolaire."},
             COMITE)
    [notice] = sent(h)
    assert notice.subject == "Labellisation : décision ajournée" and "soutien scolaire" in notice.body
    assert h.engine.get_instance(iid).data["deferral_count"] == 1
    tasks = h.tasks(iid)  # back to both assessments
    assert set(tasks) == {"evaluer_terrain", "examiner_finances"}
    assert tasks["evaluer_terrain"].candidate_groups == ["consulats"]

    h.complete(iid, "evaluer_terrain", {**FIELD_REPORT, "field_visit_date": "2026-04-02"}, CONSUL)
    h.complete(iid, "examiner_finances", FINANCIAL_REVIEW, FINANCE)
    tasks = h.tasks(iid)
    assert list(tasks) == ["statuer_definitivement"]  # defer is not offered a second time
    assert tasks["statuer_definitivement"].candidate_groups == ["comite_labellisation"]
    assert tasks["statuer_definitivement"].form_key == "lab_decision_finale"
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "statuer_definitivement", {"decision": "defer", "decision_reason": REASON}, COMITE)
    assert list(err.value.errors) == ["decision"]

    h.complete(iid, "statuer_definitivement", {"decision": final, "decision_reason": REASON}, COMITE)
    inst = h.engine.get_instance(iid)
    assert inst.data["field_visit_date"] == "2026-04-02" and inst.data["deferral_count"] == 1
    if final == "grant":
        assert inst.status == "running" and inst.active_elements == ["rappel_33_mois"]
        assert [r.registration_number for r in labels(h)] == ["0456.789.123"]
        assert subjects(h)[-1] == "Labellisation : le label vous est attribué"
    else:
        assert inst.status == "completed" and ends(h, iid) == [end] and labels(h) == []
        assert subjects(h)[-1] == "Labellisation : décision du comité"


def test_decision__only_the_committee_may_decide(h):
    iid = start(h)
    to_committee(h, iid)
    with pytest.raises(Forbidden):
        h.complete(iid, "statuer_labellisation", {"decision": "grant", "decision_reason": REASON}, BUREAU)


# -- the label's life: reminder at 33 months, expiry at 36 months, renewal ------------------------

GRANTED = "Labellisation : le label vous est attribué"
REMINDER = "Labellisation : pensez au renouvellement de votre label"
EXPIRED = "Labellisation : votre label a expiré"
RENEWED = "Labellisation : votre label est renouvelé"


def test_label_life__reminder_at_33_months_then_expiry_at_36_months(h):
    iid = grant(h)
    h.engine.advance_clock(to=local(2028, 12, 1, 12))
    assert queued_subjects(h, iid) == [GRANTED]
    h.engine.advance_clock(to=local(2028, 12, 3))
    element, to, subject, body = queued(h, iid)[-1]
    assert (element, to, subject) == ("rappeler_renouvellement", APPLICATION["email"], REMINDER)
    assert "MDM-LBL-2026-00001" in body and "2029-03-02" in body and "0456.789.123" in body
    inst = h.engine.get_instance(iid)
    assert inst.active_elements == ["echeance_label"]
    assert h.engine.timers(iid)[0]["due_at"].astimezone(TZ).date() == date(2029, 3, 2)

    h.engine.advance_clock(to=local(2029, 3, 1, 12))
    assert h.engine.get_instance(iid).status == "running"
    h.engine.advance_clock(to=local(2029, 3, 3))
    inst = h.engine.get_instance(iid)
    assert inst.status == "completed" and ends(h, iid) == ["label_expire"]
    assert queued_subjects(h, iid) == [GRANTED, REMINDER, EXPIRED]
    assert inst.data["label_valid"] is True and inst.data["label_expires_on"] == "2029-03-02"  # valid to its last day
    [row] = labels(h)
    assert row.expires_on == date(2029, 3, 2)


def test_label_life__reminder_delivered_after_33_months(h):
    grant(h)
    h.engine.advance_clock(to=local(2028, 12, 3))
    assert subjects(h) == [GRANTED, REMINDER]


def test_renewal__new_instance_extends_the_label_and_the_first_follows_the_next_period(h):
    first = grant(h)
    h.engine.advance_clock(to=local(2028, 12, 3))
    assert queued_subjects(h, first) == [GRANTED, REMINDER]

    renewal = start(h, key="LAB-2028-077", years_of_existence=9, previous_label_number="MDM-LBL-2026-00001")
    to_committee(h, renewal)
    h.complete(renewal, "statuer_labellisation", {"decision": "grant", "decision_reason": REASON}, COMITE)
    data = h.engine.get_instance(renewal).data
    assert data["label_renewed"] is True and data["label_number"] == "MDM-LBL-2026-00001"
    assert data["label_expires_on"] == "2032-03-02"
    [row] = labels(h)  # the same label, extended by 3 years
    assert (row.number, row.issued_on, row.expires_on) == ("MDM-LBL-2026-00001", date(2026, 3, 2), date(2032, 3, 2))
    assert row.instance_id == renewal and row.status == "active"
    assert h.engine.get_instance(renewal).status == "completed" and ends(h, renewal) == ["label_prolonge"]
    [(element, _, subject, body)] = queued(h, renewal)
    assert (element, subject) == ("notifier_prolongation", RENEWED) and "2032-03-02" in body

    # at the old expiry date the first instance sees the extension and follows the next period
    h.engine.advance_clock(to=local(2029, 3, 3))
    inst = h.engine.get_instance(first)
    assert inst.status == "running" and inst.active_elements == ["rappel_33_mois"]
    assert inst.data["label_cycle_expires_on"] == "2032-03-02"
    assert queued_subjects(h, first) == [GRANTED, REMINDER]  # no expiry
    assert h.engine.timers(first)[0]["due_at"].astimezone(TZ).date() == date(2031, 12, 2)

    h.engine.advance_clock(to=local(2031, 12, 3))
    element, _, subject, body = queued(h, first)[-1]
    assert subject == REMINDER and "2032-03-02" in body
    h.engine.advance_clock(to=local(2032, 3, 3))
    assert h.engine.get_instance(first).status == "completed" and ends(h, first) == ["label_expire"]
    assert queued_subjects(h, first) == [GRANTED, REMINDER, REMINDER, EXPIRED]


def test_renewal__granted_early_skips_the_reminder(h):
    first = grant(h)
    h.engine.advance_clock(to=local(2027, 1, 15))
    renewal = start(h, key="LAB-2027-004")
    to_committee(h, renewal)
    h.complete(renewal, "statuer_labellisation", {"decision": "grant", "decision_reason": REASON}, COMITE)
    assert ends(h, renewal) == ["label_prolonge"]

    h.engine.advance_clock(to=local(2029, 3, 3))
    inst = h.engine.get_instance(first)
    assert inst.status == "running" and inst.active_elements == ["rappel_33_mois"]
    assert queued_subjects(h, first) == [GRANTED]  # neither reminder nor expiry
    history = [e.element_id for e in h.engine.history(first) if e.type == "element_completed"]
    assert "consulter_registre_rappel" in history and "rappeler_renouvellement" not in history
    assert inst.data["label_cycle_expires_on"] == "2032-03-02"


def test_renewal__after_expiry_issues_a_new_label(h):
    first = grant(h)
    h.engine.advance_clock(to=local(2029, 3, 3))
    assert ends(h, first) == ["label_expire"]
    late = grant(h, key="LAB-2029-010")
    data = h.engine.get_instance(late).data
    assert data["label_renewed"] is False and data["label_number"] == "MDM-LBL-2029-00001"
    assert [(r.number, r.expires_on) for r in labels(h)] == [("MDM-LBL-2026-00001", date(2029, 3, 2)),
                                                             ("MDM-LBL-2029-00001", date(2032, 3, 3))]
    assert queued_subjects(h, late) == [GRANTED]
    assert h.engine.get_instance(late).active_elements == ["rappel_33_mois"]
