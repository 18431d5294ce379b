"""returnee_reintegration (Réintégration des MDM de retour, DOMAIN.md §4), path by path on a manual clock.

Registration (start form) or crisis repatriation (message start `rapatriement_crise`, the crisis
unit's file number as business key) → needs assessment interview by assistants_sociaux (case plan,
e-mailed) → inclusive gateway: one embedded subprocess per retained need (employment: agency referral,
training or direct placement; schooling: one task per child; housing: social housing application;
administrative: documents, consulate when needed, social security rights) → inclusive join → a
follow-up interview six months later (timer P6M) that closes the case or extends it (a new P6M).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from lxml import etree

from engine import InvalidData, ScriptError

from .conftest import PROCESSES, clerk

FILES = ("returnee_reintegration.bpmn", "rei_inscription.form", "rei_evaluation.form", "rei_orientation_emploi.form",
         "rei_formation.form", "rei_scolarisation.form", "rei_logement.form", "rei_documents.form",
         "rei_pieces_consulat.form", "rei_droits_sociaux.form", "rei_suivi.form")

ASSISTANTE = clerk("imane", "assistants_sociaux")
SOCIAL = clerk("karim", "service_social")
CONSULAT = clerk("mehdi", "consulats")

CHILDREN = [{"child_name": "Yasmine Benali", "child_age": 9}, {"child_name": "Adam Benali", "child_age": 15},
            {"child_name": "Nour Benali", "child_age": 19}]
REGISTRATION = {
    "last_name": "Benali", "first_name": "Rachid", "birth_date": "1978-04-12", "id_number": "BK482913",
    "return_date": "2026-02-20", "host_country": "Italie", "return_reason": "voluntary", "settlement_city": "Fès",
    "family_situation": "married", "household_size": 5, "children": CHILDREN,
    "needs": ["employment", "schooling", "housing", "administrative"],
    "email": "rachid.benali@example.org", "phone": "+393331234567", "data_consent": True,
}
PLAN = "Inscription à l'ANAPEC de Fès, scolarisation des trois enfants, demande de logement social."


def assessment(needs, **changes) -> dict:
    """The needs assessment form as the social worker submits it."""
    data = {"last_name": "Benali", "first_name": "Rachid", "return_date": "2026-02-20", "host_country": "Italie",
            "return_reason": "voluntary", "family_situation": "married", "children": CHILDREN, "needs": needs,
            "email": "rachid.benali@example.org", "case_priority": "normal", "case_plan": PLAN}
    return {**data, **changes}


EMPLOYMENT = {"employment_agency": "ANAPEC Fès Atlas", "agency_registration_number": "FES-2026-0412",
              "professional_field": "Maintenance industrielle"}
TRAINING = {"training_title": "Technicien en maintenance des systèmes automatisés", "training_provider": "OFPPT",
            "training_start_date": "2026-04-06", "training_duration_months": 9}
HOUSING = {"housing_programme": "direct_housing_aid", "housing_city": "Fès",
           "housing_application_reference": "ADL/FES/2026-118", "housing_filed_on": "2026-03-20"}
DOCUMENTS = {"administrative_documents": ["civil_status", "driving_licence", "vehicle_customs"]}
CONSULAR = {"consulate": "Consulat général du Royaume du Maroc à Milan", "consular_reference": "MIL/2026/0457",
            "consular_documents": "Relevé de carrière INPS ; attestation de travail de l'employeur (Brescia).",
            "consular_documents_sent_on": "2026-04-02"}
RIGHTS = {"social_security_body": "cnss", "host_social_security_body": "INPS (Italie)",
          "social_rights_transfer": "in_progress"}
CLOSE = {"follow_up_summary": "Emploi trouvé, enfants scolarisés, logement attribué.", "follow_up_decision": "close"}
EXTEND = {"follow_up_summary": "Formation en cours ; demande de logement en attente.", "follow_up_decision": "extend"}

TRACK_TASKS = {"employment": "orienter_agence_emploi", "schooling": "scolariser_enfant",
               "housing": "deposer_demande_logement", "administrative": "regulariser_documents"}
PLAN_SUBJECT = "Votre plan d'accompagnement pour votre retour au Maroc"
CLOSED_SUBJECT = "Clôture de votre dossier de réintégration"


@pytest.fixture
def h(harness):
    harness.deploy(*FILES)
    return harness


def register(h, key="REI-2026-0001", **changes) -> str:
    return h.engine.start("returnee_reintegration", {**REGISTRATION, **changes}, business_key=key,
                          actor=ASSISTANTE).id


def offered(h, iid) -> dict:
    """Ready tasks: element id → candidate groups (a list of them when several share the element)."""
    out = {}
    for element, t in h.tasks(iid).items():
        out[element] = [x.candidate_groups for x in t] if isinstance(t, list) else t.candidate_groups
    return out


def completed(h, iid) -> list[str]:
    """Elements completed, in order: automatic ones (element_completed) and user tasks (task_completed)."""
    return [e.element_id for e in h.engine.history(iid) if e.type in ("element_completed", "task_completed")]


def mails(h, subject=None) -> list:
    h.deliver()
    return [n for n in h.transport.sent if subject is None or n.subject == subject]


def assess(h, iid, needs, **changes):
    return h.complete(iid, "evaluer_besoins", assessment(needs, **changes), ASSISTANTE)


def finish_employment(h, iid, pathway="direct_placement"):
    h.complete(iid, "orienter_agence_emploi", {**EMPLOYMENT, "employment_pathway": pathway}, SOCIAL)
    if pathway == "training":
        h.complete(iid, "organiser_formation", TRAINING, SOCIAL)


def finish_schooling(h, iid):
    for t in list(_as_list(h.tasks(iid).get("scolariser_enfant"))):
        h.engine.complete_task(t.id, {"schooling": {"child_name": "Enfant", "school_name": "École Al Amal",
                                                    "school_level": "primary", "enrolment_status": "enrolled"}},
                               actor=SOCIAL)


def finish_administrative(h, iid, consulate=False):
    h.complete(iid, "regulariser_documents", {**DOCUMENTS, "consulate_needed": "yes" if consulate else "no"}, SOCIAL)
    if consulate:
        h.complete(iid, "obtenir_pieces_consulat", CONSULAR, CONSULAT)
    h.complete(iid, "transferer_droits_sociaux", RIGHTS, SOCIAL)


def _as_list(x):
    return [] if x is None else x if isinstance(x, list) else [x]


def follow_up_due(h, iid) -> datetime:
    (timer,) = h.engine.timers(iid)
    assert timer["element_id"] == "six_mois_ecoules"
    return timer["due_at"]


def close_case(h, iid):
    h.engine.advance_clock(to=follow_up_due(h, iid))
    assert offered(h, iid) == {"entretien_suivi": ["assistants_sociaux"]}
    h.complete(iid, "entretien_suivi", CLOSE, ASSISTANTE)


# -- the diagram ------------------------------------------------------------------------------

def test_diagram__constructs_lanes_and_conventions(h):
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    doc = etree.parse(str(PROCESSES / "returnee_reintegration.bpmn"))
    process = doc.find("bpmn:process", ns)
    assert process.get("id") == "returnee_reintegration" and process.get("isExecutable") == "true"
    assert sorted(lane.get("name") for lane in doc.iterfind(".//bpmn:lane", ns)) == [
        "assistants_sociaux", "consulats", "service_social"]
    for task in doc.iterfind(".//bpmn:userTask", ns):
        assert task.get(cam + "candidateGroups") and task.find("bpmn:documentation", ns).text
        assert task.get(cam + "formKey").startswith("camunda-forms:deployment:rei_")
    # a none start with the start form, and a message start for crisis repatriations
    starts = {s.get("id"): s for s in process.iterfind("bpmn:startEvent", ns)}
    assert starts["retour_declare"].get(cam + "formKey") == "camunda-forms:deployment:rei_inscription.form"
    ref = starts["rapatriement_signale"].find("bpmn:messageEventDefinition", ns).get("messageRef")
    assert doc.find(f"bpmn:message[@id='{ref}']", ns).get("name") == "rapatriement_crise"
    # an inclusive split and join around four embedded subprocesses
    assert [g.get("id") for g in process.iterfind("bpmn:inclusiveGateway", ns)] == ["besoins_gw", "volets_termines_gw"]
    assert sorted(s.get("id") for s in process.iterfind("bpmn:subProcess", ns)) == [
        "volet_administratif", "volet_emploi", "volet_logement", "volet_scolarisation"]
    mi = doc.find(".//bpmn:userTask[@id='scolariser_enfant']/bpmn:multiInstanceLoopCharacteristics", ns)
    assert (mi.get(cam + "collection"), mi.get(cam + "elementVariable")) == ("${children}", "child")
    assert doc.find(".//bpmn:intermediateCatchEvent[@id='six_mois_ecoules']//bpmn:timeDuration", ns).text == "P6M"


# -- start form ----------------------------------------------------------------------------------

def test_start_form__invalid_registration_refused(h):
    bad = {**REGISTRATION, "email": "rachid.benali@", "needs": ["employment", "pension"], "data_consent": False,
           "children": [{"child_name": "Yasmine Benali", "child_age": 31}, {"child_age": 8}]}
    del bad["return_date"]
    with pytest.raises(InvalidData) as err:
        h.engine.start("returnee_reintegration", bad, business_key="REI-2026-0099", actor=ASSISTANTE)
    assert {"email", "needs", "data_consent", "return_date", "children.0.child_age",
            "children.1.child_name"} <= set(err.value.errors)
    with pytest.raises(InvalidData) as err:
        h.engine.start("returnee_reintegration", {**REGISTRATION, "needs": [], "return_reason": "tourism"},
                       actor=ASSISTANTE)
    assert {"needs", "return_reason"} <= set(err.value.errors)
    assert h.engine.list_instances().total == 0


def test_start_form__registration_opens_the_needs_assessment(h):
    iid = register(h)
    inst = h.engine.get_instance(iid)
    assert inst.business_key == "REI-2026-0001" and inst.status == "running"
    assert inst.data["children"] == CHILDREN and inst.data["return_reason"] == "voluntary"
    assert offered(h, iid) == {"evaluer_besoins": ["assistants_sociaux"]}
    task = h.tasks(iid)["evaluer_besoins"]
    assert task.form_key == "rei_evaluation" and task.lane == "assistants_sociaux"
    started = h.engine.history(iid, types=["instance_started"])[0]
    assert started.payload["start_event"] is None  # the none start event, with its form


def test_needs_assessment__invalid_case_plan_refused(h):
    iid = register(h)
    with pytest.raises(InvalidData) as err:
        assess(h, iid, [], case_plan="Trop court", email="pas-une-adresse")
    assert {"needs", "case_plan", "email"} <= set(err.value.errors)
    assert offered(h, iid) == {"evaluer_besoins": ["assistants_sociaux"]}


# -- crisis repatriation (message start) ---------------------------------------------------------

def test_crisis_start__message_starts_an_instance_keyed_by_the_file_number(h):
    payload = {"last_name": "Amrani", "first_name": "Salma", "host_country": "Soudan", "return_date": "2026-02-27",
               "email": "salma.amrani@example.org", "family_situation": "widowed",
               "children": [{"child_name": "Ilyas Amrani", "child_age": 7}], "needs": ["schooling", "housing"]}
    (iid,) = h.engine.correlate("rapatriement_crise", "CRISE-2026-001", payload)
    inst = h.engine.get_instance(iid)
    assert inst.business_key == "CRISE-2026-001" and inst.status == "running"
    assert {k: inst.data[k] for k in payload} == payload  # the payload is the instance's data
    assert inst.data["return_reason"] == "crisis_repatriation"  # set on the crisis path
    started = h.engine.history(iid, types=["instance_started"])[0]
    assert started.element_id == "rapatriement_signale" and started.payload["business_key"] == "CRISE-2026-001"
    assert completed(h, iid)[:3] == ["rapatriement_signale", "ouvrir_dossier_crise", "entree_gw"]
    assert offered(h, iid) == {"evaluer_besoins": ["assistants_sociaux"]}
    # the social worker completes the file at the interview; the same tracks follow
    assess(h, iid, ["schooling", "housing"], last_name="Amrani", first_name="Salma", host_country="Soudan",
           return_date="2026-02-27", return_reason="crisis_repatriation", family_situation="widowed",
           children=payload["children"], email="salma.amrani@example.org", case_priority="high")
    assert offered(h, iid) == {"scolariser_enfant": ["service_social"],
                               "deposer_demande_logement": ["service_social"]}
    assert [(n.to, n.subject) for n in mails(h)] == [("salma.amrani@example.org", PLAN_SUBJECT)]
    assert "Bonjour Salma Amrani" in mails(h)[0].body


# -- each track alone ----------------------------------------------------------------------------

def test_track_employment__direct_placement_alone(h):
    iid = register(h, needs=["employment"])
    assess(h, iid, ["employment"])
    assert offered(h, iid) == {"orienter_agence_emploi": ["service_social"]}
    assert h.engine.timers(iid) == []  # the follow-up waits for every track
    finish_employment(h, iid, "direct_placement")
    assert "organiser_formation" not in completed(h, iid)
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]
    assert follow_up_due(h, iid).date() == date(2026, 9, 2)
    for never in ("volet_scolarisation", "volet_logement", "volet_administratif"):
        assert never not in completed(h, iid)


def test_track_employment__training(h):
    iid = register(h, needs=["employment"])
    assess(h, iid, ["employment"])
    h.complete(iid, "orienter_agence_emploi", {**EMPLOYMENT, "employment_pathway": "training"}, SOCIAL)
    assert offered(h, iid) == {"organiser_formation": ["service_social"]}
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "organiser_formation", {**TRAINING, "training_duration_months": 48}, SOCIAL)
    assert set(err.value.errors) == {"training_duration_months"}
    h.complete(iid, "organiser_formation", TRAINING, SOCIAL)
    data = h.engine.get_instance(iid).data
    assert data["employment_pathway"] == "training" and data["training_provider"] == "OFPPT"
    assert "volet_emploi" in completed(h, iid) and h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_housing__alone(h):
    iid = register(h, needs=["housing"])
    assess(h, iid, ["housing"])
    assert offered(h, iid) == {"deposer_demande_logement": ["service_social"]}
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    assert h.engine.get_instance(iid).data["housing_application_reference"] == "ADL/FES/2026-118"
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_administrative__documents_from_the_consulate(h):
    iid = register(h, needs=["administrative"])
    assess(h, iid, ["administrative"])
    assert offered(h, iid) == {"regulariser_documents": ["service_social"]}
    h.complete(iid, "regulariser_documents", {**DOCUMENTS, "consulate_needed": "yes",
                                              "consulate_request": "Relevé de carrière INPS."}, SOCIAL)
    assert offered(h, iid) == {"obtenir_pieces_consulat": ["consulats"]}
    h.complete(iid, "obtenir_pieces_consulat", CONSULAR, CONSULAT)
    assert offered(h, iid) == {"transferer_droits_sociaux": ["service_social"]}
    h.complete(iid, "transferer_droits_sociaux", RIGHTS, SOCIAL)
    assert h.engine.get_instance(iid).data["consular_reference"] == "MIL/2026/0457"
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_administrative__consulate_task_in_its_lane(h):
    iid = register(h, needs=["administrative"])
    assess(h, iid, ["administrative"])
    h.complete(iid, "regulariser_documents", {**DOCUMENTS, "consulate_needed": "yes"}, SOCIAL)
    assert h.tasks(iid)["obtenir_pieces_consulat"].lane == "consulats"


def test_track_administrative__without_the_consulate(h):
    iid = register(h, needs=["administrative"])
    assess(h, iid, ["administrative"])
    h.complete(iid, "regulariser_documents", {**DOCUMENTS, "consulate_needed": "no"}, SOCIAL)
    assert offered(h, iid) == {"transferer_droits_sociaux": ["service_social"]}
    h.complete(iid, "transferer_droits_sociaux", RIGHTS, SOCIAL)
    assert "obtenir_pieces_consulat" not in completed(h, iid)
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_schooling__one_task_per_child(h):
    iid = register(h, needs=["schooling"])
    assess(h, iid, ["schooling"])
    tasks = h.tasks(iid)["scolariser_enfant"]
    assert len(tasks) == 3 and all(t.candidate_groups == ["service_social"] for t in tasks)
    assert {t.form_key for t in tasks} == {"rei_scolarisation"}
    order = [2, 0, 1]  # completed in any order
    for i in order:
        child = CHILDREN[i]
        h.engine.complete_task(tasks[i].id, {"schooling": {
            "child_name": child["child_name"], "school_name": f"Établissement {i}", "school_level": "primary",
            "enrolment_status": "enrolled", "language_support": i == 0}}, actor=SOCIAL)
    data = h.engine.get_instance(iid).data
    # each task's `schooling` output is local; the collection gathers them in completion order
    assert [o["child_name"] for o in data["schooling_outcomes"]] == [CHILDREN[i]["child_name"] for i in order]
    assert "schooling" not in data and "child" not in data
    assert data["children"] == CHILDREN
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_schooling__the_child_item_is_local_and_shown_on_each_task(h):
    """What the engine exposes of the multi-instance item `child`.

    Inside the engine each task instance has its own `child` (one per element of `children`).
    The instance's variables hold `children` but no `child`; each task carries its own item
    (`TaskView.item`: the element variable and its value), which the inbox and the task page
    show so that the clerk tells the children's tasks apart. The form still offers the file's
    children in a select (valuesExpression over `children`).
    """
    iid = register(h, needs=["schooling"])
    assess(h, iid, ["schooling"])
    tasks = h.tasks(iid)["scolariser_enfant"]
    assert len({t.name for t in tasks}) == 1 and len({t.documentation for t in tasks}) == 1
    assert sorted(t.item["value"]["child_name"] for t in tasks) == sorted(c["child_name"] for c in CHILDREN)
    assert {t.item["variable"] for t in tasks} == {"child"}
    assert "child" not in h.engine.get_instance(iid).data  # what GET /tasks/{id} returns as `data`
    # inside the engine: one item per task instance (read from the live workflow, read-only)
    version, run = h.engine.live._entries[iid]
    items = sorted(t.data["child"]["child_name"] for t in run.wf.get_tasks()
                   if t.task_spec.bpmn_id == "scolariser_enfant" and "child" in t.data)
    assert items == sorted(c["child_name"] for c in CHILDREN)
    # the form offers the children by a FEEL expression the browser evaluates on `children`
    form = h.engine.form("rei_scolarisation")
    select = form["components"][1]["components"][0]
    assert select["key"] == "child_name" and "children" in select["valuesExpression"]


def test_track_schooling__no_children_declared(h):
    iid = register(h, needs=["schooling"], children=[])
    assess(h, iid, ["schooling"], children=[])
    assert "scolariser_enfant" not in h.tasks(iid)
    assert {"enfants_gw", "scolarisation_fusion_gw", "scolarisation_fin"} <= set(completed(h, iid))
    assert "scolariser_enfant" not in completed(h, iid)
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_track_schooling__without_a_children_list_is_refused(h):
    """A schooling need with no `children` variable at all (an API caller left the list out):
    the completion is refused as a script error and nothing changes."""
    data = {k: v for k, v in REGISTRATION.items() if k != "children"}
    iid = h.engine.start("returnee_reintegration", {**data, "needs": ["schooling"]}, actor=ASSISTANTE).id
    form = {k: v for k, v in assessment(["schooling"]).items() if k != "children"}
    with pytest.raises(ScriptError) as err:
        h.complete(iid, "evaluer_besoins", form, ASSISTANTE)
    assert err.value.errors[0]["element"] == "enfants_gw" and "children" in err.value.message
    assert offered(h, iid) == {"evaluer_besoins": ["assistants_sociaux"]}


# -- several tracks together ---------------------------------------------------------------------

def test_tracks__all_four_together_join_before_the_follow_up(h):
    iid = register(h)
    assess(h, iid, ["employment", "schooling", "housing", "administrative"])
    groups = offered(h, iid)
    assert groups == {"orienter_agence_emploi": ["service_social"],
                      "scolariser_enfant": [["service_social"]] * 3,
                      "deposer_demande_logement": ["service_social"],
                      "regulariser_documents": ["service_social"]}
    finish_employment(h, iid, "training")
    finish_administrative(h, iid, consulate=True)
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    assert h.engine.timers(iid) == [] and "volets_termines_gw" not in completed(h, iid)
    assert offered(h, iid) == {"scolariser_enfant": [["service_social"]] * 3}
    finish_schooling(h, iid)
    done = completed(h, iid)
    assert {"volet_emploi", "volet_scolarisation", "volet_logement", "volet_administratif"} <= set(done)
    assert done.count("volets_termines_gw") == 1  # one join, after the last track
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]


def test_tracks__assessment_decides_the_tracks(h):
    """The registrant declared four needs; the interview retains two: only those tracks open."""
    iid = register(h)
    assess(h, iid, ["employment", "housing"])
    assert offered(h, iid) == {"orienter_agence_emploi": ["service_social"],
                               "deposer_demande_logement": ["service_social"]}
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    assert h.engine.timers(iid) == []
    finish_employment(h, iid)
    assert h.engine.get_instance(iid).active_elements == ["six_mois_ecoules"]
    for never in ("volet_scolarisation", "volet_administratif"):
        assert never not in completed(h, iid)


# -- follow-up: closure and extension ------------------------------------------------------------

def test_follow_up__case_closed_after_six_months(h):
    iid = register(h, needs=["housing"])
    assess(h, iid, ["housing"])
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    h.engine.advance_clock(by=timedelta(days=183))  # 1 September: not yet six months
    assert h.tasks(iid) == {}
    close_case(h, iid)
    inst = h.engine.get_instance(iid)
    assert inst.status == "completed" and inst.data["follow_up_decision"] == "close"
    assert completed(h, iid)[-1] == "dossier_cloture"
    sent = mails(h)
    assert [(n.to, n.subject) for n in sent] == [("rachid.benali@example.org", PLAN_SUBJECT),
                                                 ("rachid.benali@example.org", CLOSED_SUBJECT)]
    assert PLAN in sent[0].body and CLOSE["follow_up_summary"] in sent[1].body


def test_follow_up__extension_loops_to_a_new_follow_up(h):
    iid = register(h, needs=["employment"])
    assess(h, iid, ["employment"])
    finish_employment(h, iid)
    first = follow_up_due(h, iid)
    h.engine.advance_clock(to=first)
    h.complete(iid, "entretien_suivi", EXTEND, ASSISTANTE)
    assert h.tasks(iid) == {} and h.engine.get_instance(iid).status == "running"
    second = follow_up_due(h, iid)
    assert second.date() == date(2027, 3, 2)
    h.engine.advance_clock(to=second - timedelta(days=1))
    assert h.tasks(iid) == {}
    h.engine.advance_clock(to=second)
    h.complete(iid, "entretien_suivi", EXTEND, ASSISTANTE)  # extended twice
    assert follow_up_due(h, iid).date() == date(2027, 9, 2)
    close_case(h, iid)
    done = completed(h, iid)
    assert done.count("entretien_suivi") == 3 and done.count("six_mois_ecoules") == 3
    assert h.engine.get_instance(iid).status == "completed" and done[-1] == "dossier_cloture"
    assert [n.subject for n in mails(h)] == [PLAN_SUBJECT, CLOSED_SUBJECT]


def test_follow_up__invalid_decision_refused(h):
    iid = register(h, needs=["housing"])
    assess(h, iid, ["housing"])
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    h.engine.advance_clock(to=follow_up_due(h, iid))
    with pytest.raises(InvalidData) as err:
        h.complete(iid, "entretien_suivi", {"follow_up_summary": "ok", "follow_up_decision": "archive"}, ASSISTANTE)
    assert set(err.value.errors) == {"follow_up_summary", "follow_up_decision"}


def test_full_path__crisis_repatriation_with_every_track(h):
    payload = {k: v for k, v in REGISTRATION.items() if k not in ("data_consent", "return_reason")}
    (iid,) = h.engine.correlate("rapatriement_crise", "CRISE-2026-002", payload)
    assess(h, iid, REGISTRATION["needs"], return_reason="crisis_repatriation")
    finish_employment(h, iid, "direct_placement")
    finish_schooling(h, iid)
    h.complete(iid, "deposer_demande_logement", HOUSING, SOCIAL)
    finish_administrative(h, iid, consulate=False)
    close_case(h, iid)
    inst = h.engine.get_instance(iid)
    assert inst.status == "completed" and inst.business_key == "CRISE-2026-002"
    assert len(inst.data["schooling_outcomes"]) == 3
    assert [n.subject for n in mails(h)] == [PLAN_SUBJECT, CLOSED_SUBJECT]
