"""grant_cofinancing (Cofinancement des projets associatifs, DOMAIN.md §3), path by path on a manual clock.

Submission → label looked up in the registry (invalid → notified → end) → co-financing rate from the DMN
table cof_rate (category × label seniority, never above 50 %) → cap = min(requested, budget × rate) → two
evaluators in parallel (multi-instance, mean score) → comite_financement approves an amount within the cap
(above it: sent back) or rejects (notified) → convention signed within 30 days (message) or the grant lapses
→ first tranche (60 %) → mid-term review at half the duration releases the second tranche (40 %) or
withholds it, while the end of the project runs in parallel → final report (message `rapport_final`) with
a reminder at 15 days late and recovery at 60 days late → review: closed, or recovery.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree

from engine import Forbidden, InvalidData, NotFound
from engine.db import labels, outbox

from .conftest import PROCESSES, clerk

FILES = ("grant_cofinancing.bpmn", "cof_rate.dmn", "cof_depot.form", "cof_evaluation.form", "cof_decision.form",
         "cof_mi_parcours.form", "cof_rapport_final.form", "cof_recouvrement.form")

BUREAU = clerk("amina", "bureau_ordre")
EVALUATEUR_1 = clerk("rachid", "evaluateurs")
EVALUATEUR_2 = clerk("leila", "evaluateurs")
COMITE = clerk("hassan", "comite_financement")
FINANCIER = clerk("khadija", "service_financier")

LABEL = "MDM-LBL-2022-00007"
KEY = "COF-2026-0001"
PROJECT = {
    "label_number": LABEL,
    "contact_name": "Samira Benali",
    "email": "samira.benali@atlas-solidarite.example.org",
    "project_title": "Soutien scolaire en arabe et en amazighe à Gennevilliers",
    "project_category": "education",
    "country": "France",
    "beneficiaries": 120,
    "project_summary": "Cours hebdomadaires de langue arabe et amazighe et aide aux devoirs pour 120 enfants "
                       "de familles marocaines, avec des ateliers culturels trimestriels.",
    "total_budget": 300000,
    "amount_requested": 200000,
    "duration_months": 12,
}
SCORE_1 = {"value": 14, "comments": "Projet pertinent, équipe expérimentée ; budget de communication un peu élevé."}
SCORE_2 = {"value": 16.5, "comments": "Public bien identifié, partenariat solide avec la mairie et deux écoles."}
APPROVE = {"committee_decision": "approve", "approved_amount": 140000,
           "committee_comments": "Projet solide, montant réduit sur le poste communication."}
SIGNED = {"convention_signed_on": "2026-03-20", "convention_reference": "CONV-COF-2026-0001"}
MIDTERM_OK = {"midterm_report_received_on": "2026-09-01", "midterm_decision": "release",
              "midterm_review_notes": "Activités conformes au calendrier, dépenses justifiées à 58 %."}
MIDTERM_KO = {"midterm_report_received_on": "2026-09-05", "midterm_decision": "withhold",
              "midterm_review_notes": "Aucun justificatif des dépenses de location de salle n'a été fourni."}
REPORT = {"final_report_reference": "RF-2027-0012", "final_expenses": 290000,
          "final_report_summary": "118 enfants suivis toute l'année ; 24 ateliers culturels."}
FINAL_OK = {"final_review_notes": "Rapport complet, dépenses justifiées à 97 %.", "final_decision": "accept"}
RECOVERY = {"amount_to_recover": 84000, "recovery_reference": "OR-2027-0042",
            "recovery_reason": "Aucun rapport final ni justificatif des dépenses n'a été transmis."}
ENDS = {"demande_irrecevable", "projet_rejete", "subvention_caduque", "relance_envoyee", "projet_cloture",
        "recouvrement_engage"}


@pytest.fixture
def h(harness):
    harness.deploy(*FILES)
    register_label(harness)
    return harness


def register_label(h, number=LABEL, issued=date(2022, 1, 10), expires=date(2028, 1, 10), status="active"):
    """A label in the registry, as association_labelling would have issued it (2022: 4 years' seniority)."""
    with h.engine.db.begin() as conn:
        labels.insert(conn, number=number, association="Association Atlas Solidarité",
                      registration_number="W751234567", country="France", issued_on=issued, expires_on=expires,
                      status=status, instance_id="0" * 32, updated_at=h.clock.now())


def submit(h, key=KEY, **changes):
    return h.engine.start("grant_cofinancing", {**PROJECT, **changes}, business_key=key, actor=BUREAU).id


def offered(h, iid) -> dict:
    """Ready tasks of the instance: element id → candidate groups (a list of them for a multi-instance)."""
    return {element: ([x.candidate_groups for x in t] if isinstance(t, list) else t.candidate_groups)
            for element, t in h.tasks(iid).items()}


def ended_at(h, iid) -> list[str]:
    return [e.element_id for e in h.engine.history(iid) if e.type == "element_completed" and e.element_id in ENDS]


def mails(h, iid, subject=None) -> list:
    """The notifications delivered to the applicant (the outbox drained as the worker would)."""
    h.deliver()
    return [n for n in h.transport.sent if n.instance_id == iid and (subject is None or n.subject == subject)]


def subjects(h, iid) -> list[str]:
    return sorted(n.subject for n in mails(h, iid))


def payments(h, iid) -> list:
    """The amounts of the payment orders delivered for the instance (keyed by its outbox rows)."""
    h.deliver()
    with h.engine.db.connect() as conn:
        keys = {r.id for r in outbox.for_instance(conn, iid) if r.connector == "order_payment"}
    return [p["amount"] for p in h.engine.connectors.payments if p["key"] in keys]


def due(h, iid, element):
    [timer] = [t["due_at"] for t in h.engine.timers(iid) if t["element_id"] == element]
    return timer


def calendar(h, **delta):
    """Now plus a calendar duration, counted like the engine (on DIWAN_TIMEZONE's wall clock)."""
    return h.clock.now().astimezone(h.engine.tz) + timedelta(**delta)


def evaluate(h, iid, first=SCORE_1, second=SCORE_2):
    one, two = h.tasks(iid)["evaluer_projet"]
    h.engine.complete_task(one.id, {"score": first}, actor=EVALUATEUR_1)
    return h.engine.complete_task(two.id, {"score": second}, actor=EVALUATEUR_2)


def approved(h, iid, data=APPROVE):
    """From the evaluations to the convention sent for signature."""
    evaluate(h, iid)
    return h.complete(iid, "decider_financement", data, COMITE)


def signed(h, iid, key=KEY):
    """Up to the signed convention and the first tranche."""
    approved(h, iid)
    h.engine.advance_clock(by=timedelta(days=10))
    assert h.engine.correlate("convention_signee", key, SIGNED) == [iid]


def final_report_due(h, iid, midterm=MIDTERM_OK):
    """Up to the end of the project: the final report is now awaited."""
    signed(h, iid)
    h.engine.advance_clock(to=due(h, iid, "echeance_mi_parcours"))
    h.complete(iid, "examiner_rapport_mi_parcours", midterm, FINANCIER)
    h.engine.advance_clock(to=due(h, iid, "fin_du_projet"))
    assert h.engine.get_instance(iid).active_elements == ["attendre_rapport_final"]


# -- the diagram --------------------------------------------------------------------------------

BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def diagram():
    return etree.parse(str(Path(PROCESSES) / "grant_cofinancing.bpmn")).getroot()


def test_diagram__user_tasks_have_group_form_documentation_and_lane():
    root = diagram()
    lane_of = {ref.text: ref.getparent().get("name") for ref in root.iterfind(".//bpmn:flowNodeRef", BPMN)}
    assert sorted(set(lane_of.values())) == ["bureau_ordre", "comite_financement", "evaluateurs",
                                              "service_financier"]
    users = {t.get("id"): t for t in root.iterfind(".//bpmn:userTask", BPMN)}
    assert set(users) == {"evaluer_projet", "decider_financement", "examiner_rapport_mi_parcours",
                          "examiner_rapport_final", "engager_recouvrement"}
    for task in users.values():
        group = task.get(f"{CAMUNDA}candidateGroups")
        assert group and lane_of[task.get("id")] == group
        assert task.get(f"{CAMUNDA}formKey").startswith("camunda-forms:deployment:cof_")
        assert len(task.findtext("bpmn:documentation", namespaces=BPMN)) > 80
    [start] = root.iterfind(".//bpmn:startEvent", BPMN)
    assert start.get(f"{CAMUNDA}formKey") == "camunda-forms:deployment:cof_depot.form"
    mi = users["evaluer_projet"].find("bpmn:multiInstanceLoopCharacteristics", BPMN)
    assert mi.get("isSequential") is None and mi.findtext("bpmn:loopCardinality", namespaces=BPMN) == "2"
    assert mi.findtext("bpmn:loopDataOutputRef", namespaces=BPMN) == "scores"
    assert mi.find("bpmn:outputDataItem", BPMN).get("name") == "score"
    [rule] = root.iterfind(".//bpmn:businessRuleTask", BPMN)
    assert rule.get(f"{CAMUNDA}decisionRef") == "cof_rate"
    topics = sorted(t.get(f"{CAMUNDA}topic") for t in root.iterfind(".//bpmn:serviceTask", BPMN))
    assert topics == ["lookup_label"] + ["notify_applicant"] * 8 + ["order_payment"] * 2


def test_diagram__deadlines_are_timers_and_replies_are_messages():
    root = diagram()
    timers = {e.getparent().getparent().get("id"): e.text for e in root.iterfind(".//bpmn:timeDuration", BPMN)}
    assert timers == {"delai_signature_expire": "P30D", "echeance_mi_parcours": "${midterm_delay}",
                      "fin_du_projet": "${final_delay}", "relance_rapport_final": "P15D",
                      "recouvrement_rapport_final": "P60D"}
    boundaries = {b.get("id"): b.get("cancelActivity", "true") for b in root.iterfind(".//bpmn:boundaryEvent", BPMN)}
    assert boundaries == {"relance_rapport_final": "false", "recouvrement_rapport_final": "true"}
    messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", BPMN)}
    assert messages == {"Msg_convention_signee": "convention_signee", "Msg_rapport_final": "rapport_final"}
    [gateway] = root.iterfind(".//bpmn:eventBasedGateway", BPMN)
    targets = {f.get("targetRef") for f in root.iterfind(f".//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']",
                                                          BPMN)}
    assert targets == {"convention_signee", "delai_signature_expire"}
    [receive] = root.iterfind(".//bpmn:receiveTask", BPMN)
    assert receive.get("messageRef") == "Msg_rapport_final"


def test_diagram__every_node_and_flow_is_drawn():
    root = diagram()
    drawn = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", BPMN)}
    edges = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNEdge", BPMN)}
    process = root.find("bpmn:process", BPMN)
    nodes = {e.get("id") for e in process if etree.QName(e).localname.endswith(("Task", "Event", "Gateway"))}
    flows = {f.get("id") for f in process.iterfind("bpmn:sequenceFlow", BPMN)}
    lanes = {lane.get("id") for lane in root.iterfind(".//bpmn:lane", BPMN)}
    assert nodes <= drawn and lanes <= drawn and "Participant_grant_cofinancing" in drawn
    assert edges == flows
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    assert drawn <= ids


# -- eligibility: label and rate -------------------------------------------------------------------

@pytest.mark.parametrize("category, issued, seniority, rate", [
    ("education", date(2022, 1, 10), 4, 0.5),
    ("social", date(2023, 3, 2), 3, 0.5),
    ("sante", date(2024, 6, 1), 1, 0.4),
    ("social", date(2025, 9, 1), 0, 0.3),
    ("culture", date(2022, 1, 10), 4, 0.4),
    ("jeunesse", date(2024, 6, 1), 1, 0.3),
    ("economie", date(2022, 1, 10), 4, 0.3),
    ("economie", date(2024, 6, 1), 1, 0.2),
])
def test_eligibility__rate_from_the_dmn_caps_the_amount(harness, category, issued, seniority, rate):
    harness.deploy(*FILES)
    register_label(harness, issued=issued)
    iid = submit(harness, project_category=category, total_budget=250000, amount_requested=200000)
    view = harness.engine.get_instance(iid)
    assert view.data["label_valid"] is True and view.data["label_seniority_years"] == seniority
    assert view.data["label_association"] == "Association Atlas Solidarité"
    assert view.data["rate"] == rate
    assert view.data["max_amount"] == min(200000, int(250000 * rate))
    [decided] = [e for e in harness.engine.history(iid) if e.element_id == "determiner_taux"
                 and e.type == "element_completed"]
    assert decided.payload["decision"] == {"rate": rate}
    assert offered(harness, iid) == {"evaluer_projet": [["evaluateurs"], ["evaluateurs"]]}


def test_eligibility__the_requested_amount_caps_when_below_the_rate(h):
    iid = submit(h, total_budget=300000, amount_requested=90000)  # education, 4 years: 50 % = 150 000
    data = h.engine.get_instance(iid).data
    assert data["rate"] == 0.5 and data["max_amount"] == 90000


def test_eligibility__the_cap_is_rounded_down_never_above_the_rate(h):
    iid = submit(h, project_category="culture", total_budget=123457, amount_requested=100000)  # 40 %
    assert h.engine.get_instance(iid).data["max_amount"] == 49382  # 49 382.8 rounded down


@pytest.mark.parametrize("label_number, register", [
    ("MDM-LBL-2019-00001", None),  # not in the registry
    ("MDM-LBL-2021-00003", {"issued": date(2021, 1, 4), "expires": date(2024, 1, 4)}),  # expired
    ("MDM-LBL-2023-00009", {"issued": date(2023, 5, 2), "expires": date(2026, 5, 2), "status": "revoked"}),
])
def test_eligibility__invalid_label_is_refused_and_notified(h, label_number, register):
    if register:
        register_label(h, number=label_number, **register)
    iid = submit(h, label_number=label_number)
    view = h.engine.get_instance(iid)
    assert view.status == "completed" and view.data["label_valid"] is False
    assert "rate" not in view.data and h.tasks(iid) == {}
    assert ended_at(h, iid) == ["demande_irrecevable"]
    [refusal] = mails(h, iid)
    assert refusal.subject == "Votre demande de cofinancement est irrecevable"
    assert refusal.to == PROJECT["email"] and refusal.body.startswith("Bonjour Samira Benali,")
    assert label_number in refusal.body and PROJECT["project_title"] in refusal.body
    assert payments(h, iid) == []


# -- happy path -----------------------------------------------------------------------------------

def test_happy_path__approved_signed_paid_in_two_tranches_and_closed(h):
    iid = submit(h)
    tasks = h.tasks(iid)["evaluer_projet"]
    assert [t.candidate_groups for t in tasks] == [["evaluateurs"], ["evaluateurs"]]
    assert {t.form_key for t in tasks} == {"cof_evaluation"} and tasks[0].lane == "evaluateurs"
    assert tasks[0].documentation.startswith("Évaluez la qualité technique du projet")

    view = evaluate(h, iid)
    assert view.data["scores"] == [SCORE_1, SCORE_2] and view.data["mean_score"] == 15.25
    assert offered(h, iid) == {"decider_financement": ["comite_financement"]}
    assert h.tasks(iid)["decider_financement"].form_key == "cof_decision"

    view = h.complete(iid, "decider_financement", APPROVE, COMITE)
    assert view.active_elements == ["convention_signee", "delai_signature_expire"]
    assert due(h, iid, "delai_signature_expire") == calendar(h, days=30)
    [convention] = mails(h, iid)
    assert convention.subject == "Convention de cofinancement à signer" and convention.to == PROJECT["email"]
    assert "140000 MAD" in convention.body and "30 jours" in convention.body
    assert payments(h, iid) == []  # nothing is paid before the convention is signed

    h.engine.advance_clock(by=timedelta(days=18))
    assert h.engine.correlate("convention_signee", KEY, SIGNED) == [iid]
    view = h.engine.get_instance(iid)
    assert view.data["convention_reference"] == SIGNED["convention_reference"]  # the message's data merged
    assert view.data["first_tranche"] == 84000 and view.data["second_tranche"] == 56000
    assert view.data["midterm_delay"] == "P180D" and view.data["final_delay"] == "P12M"
    assert sorted(view.active_elements) == ["echeance_mi_parcours", "fin_du_projet"]
    assert payments(h, iid) == [84000]
    assert due(h, iid, "echeance_mi_parcours") == calendar(h, days=180)
    assert due(h, iid, "fin_du_projet") == h.clock.now().astimezone(h.engine.tz).replace(year=2027)
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["echeance_mi_parcours", "fin_du_projet"]

    h.engine.advance_clock(to=calendar(h, days=180) - timedelta(minutes=1))
    assert h.tasks(iid) == {}
    h.engine.advance_clock(by=timedelta(minutes=1))
    assert offered(h, iid) == {"examiner_rapport_mi_parcours": ["service_financier"]}
    h.complete(iid, "examiner_rapport_mi_parcours", MIDTERM_OK, FINANCIER)
    assert payments(h, iid) == [84000, 56000]
    assert h.engine.get_instance(iid).active_elements == ["fin_du_projet"]

    h.engine.advance_clock(to=due(h, iid, "fin_du_projet"))
    view = h.engine.get_instance(iid)
    assert view.active_elements == ["attendre_rapport_final"] and h.tasks(iid) == {}
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["relance_rapport_final", "recouvrement_rapport_final"]
    assert due(h, iid, "relance_rapport_final") == calendar(h, days=15)
    assert due(h, iid, "recouvrement_rapport_final") == calendar(h, days=60)

    h.engine.advance_clock(by=timedelta(days=9))
    assert h.engine.correlate("rapport_final", KEY, REPORT) == [iid]
    assert h.engine.timers(iid) == []
    assert offered(h, iid) == {"examiner_rapport_final": ["service_financier"]}
    view = h.complete(iid, "examiner_rapport_final", FINAL_OK, FINANCIER)

    assert view.status == "completed"
    assert view.data["final_report_reference"] == "RF-2027-0012" and view.data["final_decision"] == "accept"
    assert ended_at(h, iid) == ["projet_cloture"]
    assert subjects(h, iid) == ["Clôture de votre projet cofinancé", "Convention de cofinancement à signer"]
    assert payments(h, iid) == [84000, 56000]
    ready = {e.element_id for e in h.engine.history(iid) if e.type == "task_ready"}
    assert ready == {"evaluer_projet", "decider_financement", "examiner_rapport_mi_parcours", "examiner_rapport_final"}


def test_payments__orders_carry_the_amount_and_the_project_label(h, caplog):
    iid = submit(h)
    caplog.set_level("INFO", logger="diwan.payments")
    signed(h, iid)
    assert payments(h, iid) == [84000]
    [line] = [r.getMessage() for r in caplog.records if r.name == "diwan.payments"]
    assert '"amount": 84000' in line and LABEL in line and "première tranche" in line
    assert PROJECT["project_title"] in line


# -- evaluation -----------------------------------------------------------------------------------

def test_evaluation__two_evaluators_in_parallel_then_the_mean(h):
    iid = submit(h)
    one, two = h.tasks(iid)["evaluer_projet"]
    view = h.engine.complete_task(two.id, {"score": {"value": 9, "comments": "Budget surévalué, calendrier flou."}},
                                  actor=EVALUATEUR_2)
    assert [t.id for t in h.tasks(iid).values()] == [one.id]  # the other evaluation is still open
    assert "mean_score" not in view.data
    view = h.engine.complete_task(one.id, {"score": {"value": 12, "comments": "Pertinent mais partenariats fragiles."}},
                                  actor=EVALUATEUR_1)
    assert sorted(s["value"] for s in view.data["scores"]) == [9, 12]
    assert view.data["mean_score"] == 10.5
    with pytest.raises(Forbidden):  # the committee is not an evaluator, and the other way round
        h.complete(iid, "decider_financement", APPROVE, EVALUATEUR_1)


def test_evaluation__a_clerk_outside_evaluateurs_cannot_evaluate(h):
    iid = submit(h)
    task = h.tasks(iid)["evaluer_projet"][0]
    with pytest.raises(Forbidden):
        h.engine.complete_task(task.id, {"score": SCORE_1}, actor=COMITE)


def test_evaluation__the_second_evaluator_does_not_see_the_first_score(h):
    iid = submit(h)
    one, _ = h.tasks(iid)["evaluer_projet"]
    view = h.engine.complete_task(one.id, {"score": SCORE_1}, actor=EVALUATEUR_1)
    assert "score" not in view.data


# -- committee --------------------------------------------------------------------------------------

def test_committee__rejection_is_notified_with_the_reason(h):
    iid = submit(h)
    evaluate(h, iid, {"value": 6, "comments": "Projet peu lisible, aucun partenaire local identifié."},
             {"value": 7, "comments": "Budget incohérent avec les activités prévues sur douze mois."})
    reason = "Note moyenne insuffisante (6,5/20) : partenariats et budget à consolider."
    view = h.complete(iid, "decider_financement", {"committee_decision": "reject", "committee_comments": reason},
                      COMITE)
    assert view.status == "completed" and view.data["approved_amount"] is None
    assert ended_at(h, iid) == ["projet_rejete"]
    [notice] = mails(h, iid)
    assert notice.subject == "Votre demande de cofinancement n'a pas été retenue" and reason in notice.body
    assert payments(h, iid) == []


@pytest.mark.parametrize("amount", [150001, None])
def test_committee__an_amount_above_the_cap_or_missing_is_sent_back(h, amount):
    iid = submit(h)  # cap: 50 % of 300 000 = 150 000
    evaluate(h, iid)
    decision = {"committee_decision": "approve", "committee_comments": "Projet solide et bien évalué."}
    if amount is not None:
        decision["approved_amount"] = amount
    view = h.complete(iid, "decider_financement", decision, COMITE)
    assert offered(h, iid) == {"decider_financement": ["comite_financement"]}  # back to the committee
    assert "150000 MAD" in view.data["amount_notice"]
    assert mails(h, iid) == []

    view = h.complete(iid, "decider_financement", {**decision, "approved_amount": 150000}, COMITE)
    assert view.active_elements == ["convention_signee", "delai_signature_expire"]
    assert view.data["approved_amount"] == 150000
    assert [e.element_id for e in h.engine.history(iid) if e.type == "element_completed"
            and e.element_id == "signaler_depassement"] == ["signaler_depassement"]


# -- convention ------------------------------------------------------------------------------------

def test_convention__not_signed_within_30_days_the_grant_lapses(h):
    iid = submit(h)
    approved(h, iid)
    h.engine.advance_clock(to=calendar(h, days=30) - timedelta(minutes=1))
    assert h.engine.get_instance(iid).status == "running"
    h.engine.advance_clock(by=timedelta(minutes=1))

    view = h.engine.get_instance(iid)
    assert view.status == "completed" and ended_at(h, iid) == ["subvention_caduque"]
    assert subjects(h, iid) == ["Convention de cofinancement à signer", "Subvention caduque : convention non signée"]
    assert "140000 MAD" in mails(h, iid, "Subvention caduque : convention non signée")[0].body
    assert payments(h, iid) == [] and h.engine.timers(iid) == []
    with pytest.raises(NotFound):  # a signature after the deadline finds nobody waiting
        h.engine.correlate("convention_signee", KEY, SIGNED)


def test_convention__correlated_by_the_business_key_only(h):
    register_label(h, number="MDM-LBL-2024-00031", issued=date(2024, 6, 1), expires=date(2027, 6, 1))
    first = submit(h)
    second = submit(h, key="COF-2026-0002", label_number="MDM-LBL-2024-00031")
    approved(h, first)
    approved(h, second, {**APPROVE, "approved_amount": 100000})  # 1 year of label: 40 %, cap 120 000
    assert h.engine.correlate("convention_signee", "COF-2026-0002", SIGNED) == [second]
    assert h.engine.get_instance(first).active_elements == ["convention_signee", "delai_signature_expire"]
    assert "convention_reference" not in h.engine.get_instance(first).data


# -- mid-term -----------------------------------------------------------------------------------------

def test_midterm__a_non_compliant_report_withholds_the_second_tranche(h):
    iid = submit(h, duration_months=8)
    signed(h, iid)
    assert h.engine.get_instance(iid).data["midterm_delay"] == "P120D"
    assert due(h, iid, "echeance_mi_parcours") == calendar(h, days=120)
    h.engine.advance_clock(to=calendar(h, days=120))
    view = h.complete(iid, "examiner_rapport_mi_parcours", MIDTERM_KO, FINANCIER)
    assert view.active_elements == ["fin_du_projet"]
    [notice] = mails(h, iid, "Seconde tranche suspendue")
    assert "56000 MAD" in notice.body and MIDTERM_KO["midterm_review_notes"] in notice.body
    assert payments(h, iid) == [84000]  # the first tranche only

    h.engine.advance_clock(to=due(h, iid, "fin_du_projet"))
    h.engine.correlate("rapport_final", KEY, REPORT)
    view = h.complete(iid, "examiner_rapport_final", FINAL_OK, FINANCIER)
    assert view.status == "completed" and ended_at(h, iid) == ["projet_cloture"]
    assert payments(h, iid) == [84000]


def test_midterm__a_review_still_open_at_the_end_delays_the_final_report_wait(h):
    iid = submit(h, duration_months=6)
    signed(h, iid)
    h.engine.advance_clock(to=due(h, iid, "fin_du_projet") + timedelta(days=20))  # end passed, review not done
    view = h.engine.get_instance(iid)
    assert view.active_elements == ["examiner_rapport_mi_parcours"]  # the end timer fired and waits at the join
    assert h.engine.timers(iid) == []
    h.complete(iid, "examiner_rapport_mi_parcours", MIDTERM_OK, FINANCIER)
    assert h.engine.get_instance(iid).active_elements == ["attendre_rapport_final"]
    assert due(h, iid, "relance_rapport_final") == calendar(h, days=15)
    assert payments(h, iid) == [84000, 56000]


# -- final report -----------------------------------------------------------------------------------

def test_final_report__15_days_late_the_association_is_reminded_and_waiting_goes_on(h):
    iid = submit(h)
    final_report_due(h, iid)
    h.engine.advance_clock(by=timedelta(days=15))
    [reminder] = mails(h, iid, "Relance : rapport final du projet en retard")
    assert reminder.to == PROJECT["email"] and "60 jours" in reminder.body
    view = h.engine.get_instance(iid)
    assert view.status == "running" and view.active_elements == ["attendre_rapport_final"]
    assert [t["element_id"] for t in h.engine.timers(iid)] == ["recouvrement_rapport_final"]

    h.engine.advance_clock(by=timedelta(days=20))  # 35 days late: no second reminder, no recovery yet
    assert len(mails(h, iid, "Relance : rapport final du projet en retard")) == 1
    assert h.engine.correlate("rapport_final", KEY, REPORT) == [iid]
    view = h.complete(iid, "examiner_rapport_final", FINAL_OK, FINANCIER)
    assert view.status == "completed"
    assert ended_at(h, iid) == ["relance_envoyee", "projet_cloture"]


def test_final_report__60_days_late_the_recovery_procedure_starts(h):
    iid = submit(h)
    final_report_due(h, iid)
    h.engine.advance_clock(to=calendar(h, days=60) - timedelta(minutes=1))
    assert h.engine.get_instance(iid).active_elements == ["attendre_rapport_final"]
    h.engine.advance_clock(by=timedelta(minutes=1))

    assert offered(h, iid) == {"engager_recouvrement": ["service_financier"]}
    assert h.tasks(iid)["engager_recouvrement"].form_key == "cof_recouvrement"
    assert h.engine.timers(iid) == []
    with pytest.raises(NotFound):  # the report is no longer awaited
        h.engine.correlate("rapport_final", KEY, REPORT)
    view = h.complete(iid, "engager_recouvrement", RECOVERY, FINANCIER)
    assert view.status == "completed"
    assert ended_at(h, iid) == ["relance_envoyee", "recouvrement_engage"]
    [order] = mails(h, iid, "Procédure de recouvrement de la subvention")
    assert "84000 MAD" in order.body and "OR-2027-0042" in order.body and RECOVERY["recovery_reason"] in order.body
    assert len(mails(h, iid, "Relance : rapport final du projet en retard")) == 1


def test_final_report__unjustified_expenses_start_the_recovery(h):
    iid = submit(h)
    final_report_due(h, iid)
    h.engine.correlate("rapport_final", KEY, {**REPORT, "final_expenses": 150000})
    h.complete(iid, "examiner_rapport_final",
               {"final_review_notes": "Seules 150 000 MAD de dépenses sont justifiées sur 300 000.",
                "final_decision": "recover"}, FINANCIER)
    assert offered(h, iid) == {"engager_recouvrement": ["service_financier"]}
    view = h.complete(iid, "engager_recouvrement", {**RECOVERY, "amount_to_recover": 70000}, FINANCIER)
    assert view.status == "completed" and ended_at(h, iid) == ["recouvrement_engage"]
    assert "70000 MAD" in mails(h, iid, "Procédure de recouvrement de la subvention")[0].body
    assert mails(h, iid, "Clôture de votre projet cofinancé") == []


# -- form validation ---------------------------------------------------------------------------------

def test_start_form__invalid_data_is_refused(h):
    bad = {**PROJECT, "email": "samira-at-example", "label_number": "LBL-7", "project_category": "tourisme",
           "total_budget": -5, "duration_months": 48, "beneficiaries": 2.5}
    del bad["project_title"]
    with pytest.raises(InvalidData) as err:
        h.engine.start("grant_cofinancing", bad, business_key=KEY, actor=BUREAU)
    assert set(err.value.errors) == {"email", "label_number", "project_category", "total_budget", "duration_months",
                                     "beneficiaries", "project_title"}
    assert h.engine.list_instances().total == 0


def test_task_forms__invalid_scores_and_decisions_are_refused(h):
    iid = submit(h)
    task = h.tasks(iid)["evaluer_projet"][0]
    with pytest.raises(InvalidData) as err:
        h.engine.complete_task(task.id, {"score": {"value": 21, "comments": "Trop court"}}, actor=EVALUATEUR_1)
    assert set(err.value.errors) == {"score.value", "score.comments"}
    evaluate(h, iid)
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "decider_financement", {"committee_decision": "defer", "approved_amount": 0}, COMITE)
    assert set(err.value.errors) == {"committee_decision", "approved_amount", "committee_comments"}
    with pytest.raises(InvalidData) as err:  # read-only fields are dropped, unknown ones refused
        h.complete(iid, "decider_financement", {**APPROVE, "max_amount": 10**9, "bonus": 1}, COMITE)
    assert set(err.value.errors) == {"bonus"}
    assert offered(h, iid) == {"decider_financement": ["comite_financement"]}

