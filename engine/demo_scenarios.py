"""The demo instances of each of the ministry's processes (see engine/demo.py): a few per
process, left at different steps so every group finds work and auditors find history."""
from __future__ import annotations

from .demo import DemoContext, scenario

COMPLAINANTS = [
    ("Fatima Zahra El Idrissi", "France", "Consulat général du Royaume du Maroc à Lyon", "property",
     "Un terrain hérité de mon père à Taroudant est occupé sans titre depuis 2019 ; ma plainte auprès "
     "de la commune est restée sans réponse."),
    ("Mohamed Benali", "Belgique", "Consulat général du Royaume du Maroc à Bruxelles", "consular_service",
     "Mon passeport déposé au consulat il y a quatre mois n'a toujours pas été délivré malgré plusieurs relances."),
    ("Khadija Ouazzani", "Espagne", "Consulat général du Royaume du Maroc à Madrid", "transfers_customs",
     "Les droits de douane réclamés à l'entrée de mon véhicule à Tanger Med ne correspondent pas au barème."),
    ("Youssef Amrani", "Italie", "Consulat général du Royaume du Maroc à Milan", "education",
     "L'équivalence du diplôme de mon fils, obtenu à Milan, est refusée par l'académie régionale de Fès."),
]


@scenario("complaint_handling")
def complaints(ctx: DemoContext) -> int:
    engine = ctx.engine
    bureau = ctx.clerk_of("bureau_ordre")
    ids = []
    for n, (name, country, consulate, category, description) in enumerate(COMPLAINANTS, start=1):
        data = {"applicant_name": name, "id_number": f"AB{123450 + n}", "country_of_residence": country,
                "consulate": consulate, "email": f"demandeur{n}@example.org", "category": category,
                "description": description}
        ids.append(engine.start("complaint_handling", data, business_key=f"REC-2026-{n:04d}", actor=bureau).id)
    # 1: waiting at triage (bureau_ordre). 2: with the consular service. 3: answered, awaiting appeal.
    # 4: not admissible (ended).
    ctx.complete(ids[1], "qualifier_reclamation", {"category": "consular_service", "admissibility": "admissible"})
    ctx.complete(ids[2], "qualifier_reclamation", {"category": "transfers_customs", "admissibility": "admissible"})
    ctx.complete(ids[2], "instruire_consulaire", {"investigation_notes": "Barème vérifié avec la douane.",
                                                   "investigation_outcome": "ready_to_answer"})
    ctx.complete(ids[2], "rediger_consulaire", {"draft_answer": "Le barème appliqué a été corrigé ; la différence "
                                                                "vous sera remboursée."})
    ctx.complete(ids[2], "valider_reponse", {"decision": "approve"})
    ctx.complete(ids[3], "qualifier_reclamation", {"category": "education", "admissibility": "not_admissible",
                                                   "inadmissibility_reason": "Relève de la compétence du "
                                                   "ministère de l'Éducation nationale."})
    return len(ids)


ASSOCIATIONS = [
    ("Solidarité Rif-Bruxelles", "Belgique", "0456.789.123", 7, "main"),
    ("Association Atlas Solidarité", "France", "W751234567", 12, "main"),
    ("Amicale des Marocains de Turin", "Italie", "TO-2015-0442", 9, "secondary"),
    ("Jeunesse Maroc-Montréal", "Canada", "1171234567", 3, "main"),
]
FIELD_REPORT = {"field_visit_date": "2026-03-10", "activities_verified": True, "field_assessment": "favourable",
                "field_report": "Visite des locaux : activités vérifiées, bénévoles rencontrés."}
FINANCIAL_REVIEW = {"accounts_consistent": True, "financial_opinion": "favourable",
                    "financial_report": "Comptes certifiés, ressources diversifiées."}


@scenario("association_labelling")
def labels(ctx: DemoContext) -> int:
    engine = ctx.engine
    bureau = ctx.clerk_of("bureau_ordre")
    ids = []
    for n, (name, country, registration, years, activity) in enumerate(ASSOCIATIONS, start=1):
        data = {"association_name": name, "country": country, "registration_number": registration,
                "years_of_existence": years, "members": 40 + 20 * n, "annual_budget": 150000.0 * n,
                "fields_of_action": ["social_action", "education"], "social_activity": activity,
                "activities_description": "Soutien scolaire et accompagnement social des familles.",
                "governance_documents": True, "audited_accounts": n != 3, "contact_name": f"Contact {n}",
                "email": f"association{n}@example.org"}
        ids.append(engine.start("association_labelling", data, business_key=f"LAB-2026-{n:03d}", actor=bureau).id)
    # 1: completeness check. 2: granted (label issued, its life followed). 3: with the consulate and the
    # financial service. 4: waiting for documents.
    ctx.complete(ids[1], "verifier_completude", {"completeness": "complete"})
    ctx.complete(ids[1], "evaluer_terrain", FIELD_REPORT)
    ctx.complete(ids[1], "examiner_finances", FINANCIAL_REVIEW)
    ctx.complete(ids[1], "statuer_labellisation", {"decision": "grant",
                                                   "decision_reason": "Action sociale vérifiée et bien gérée."})
    ctx.complete(ids[2], "verifier_completude", {"completeness": "complete"})
    ctx.complete(ids[3], "verifier_completude", {"completeness": "incomplete",
                                                 "missing_documents": "Procès-verbal de la dernière assemblée"})
    return len(ids)


PROJECTS = [
    ("Soutien scolaire en arabe et en amazighe à Gennevilliers", "education", "France", 120, 300000, 200000),
    ("Caravane médicale Rif–Bruxelles", "sante", "Belgique", 400, 500000, 250000),
    ("Festival des cultures marocaines de Turin", "culture", "Italie", 2000, 180000, 90000),
    ("Incubateur de jeunes entrepreneurs MRE", "economie", "Canada", 35, 400000, 150000),
]


@scenario("grant_cofinancing")
def grants(ctx: DemoContext) -> int:
    from .db import labels as label_db

    engine = ctx.engine
    bureau = ctx.clerk_of("bureau_ordre")
    with engine.db.connect() as conn:
        valid = [row.number for row in label_db.all_labels(conn)]
    label = valid[0] if valid else "MDM-LBL-2026-00000"
    ids = []
    for n, (title, category, country, beneficiaries, budget, requested) in enumerate(PROJECTS, start=1):
        data = {"label_number": label if n != 4 else "MDM-LBL-1999-99999", "contact_name": f"Responsable {n}",
                "email": f"projet{n}@example.org", "project_title": title, "project_category": category,
                "country": country, "beneficiaries": beneficiaries,
                "project_summary": "Projet porté par une association labellisée au profit des Marocains du monde.",
                "total_budget": budget, "amount_requested": requested, "duration_months": 12}
        ids.append(engine.start("grant_cofinancing", data, business_key=f"COF-2026-{n:04d}", actor=bureau).id)
    # 1: two evaluations pending. 2: evaluated, with the committee. 3: approved, awaiting the signed
    # convention. 4: refused (the label is not in the registry).
    evaluators = [a for a in ctx.actors.values() if "evaluateurs" in a.groups]
    for instance_id in ids[1:3]:
        tasks = [t for t in engine.list_tasks(see_all=True, instance_id=instance_id).items
                 if t.element_id == "evaluer_projet"]
        for task, evaluator, value in zip(tasks, evaluators, (14, 16.5)):
            engine.claim(task.id, evaluator)
            engine.complete_task(task.id, {"score": {"value": value, "comments": "Projet pertinent, équipe expérimentée et budget réaliste."}},
                                 actor=evaluator)
    instance = engine.get_instance(ids[2])
    ctx.complete(ids[2], "decider_financement", {"committee_decision": "approve",
                                                 "approved_amount": instance.data["max_amount"],
                                                 "committee_comments": "Projet solide et bien budgété."})
    return len(ids)


def _returnee(last, first, country, reason, needs, children, n):
    return {"last_name": last, "first_name": first, "birth_date": "1980-01-15", "id_number": f"BK4829{n:02d}",
            "return_date": "2026-02-20", "host_country": country, "return_reason": reason,
            "settlement_city": "Fès", "family_situation": "married", "household_size": 2 + len(children),
            "children": children, "needs": needs, "email": f"retour{n}@example.org", "data_consent": True}


@scenario("returnee_reintegration")
def returnees(ctx: DemoContext) -> int:
    engine = ctx.engine
    social = ctx.clerk_of("assistants_sociaux")
    children = [{"child_name": "Yasmine Benali", "child_age": 9}, {"child_name": "Adam Benali", "child_age": 15}]
    first = engine.start("returnee_reintegration", _returnee("Benali", "Rachid", "Italie", "voluntary",
                                                             ["employment", "schooling"], children, 1),
                         business_key="REI-2026-0001", actor=social).id
    second = engine.start("returnee_reintegration", _returnee("Tazi", "Samira", "Espagne", "retirement",
                                                              ["housing", "administrative"], [], 2),
                          business_key="REI-2026-0002", actor=social).id
    [crisis] = engine.correlate("rapatriement_crise", "CRISE-2026-001", {
        **_returnee("Alaoui", "Hamid", "Libye", "crisis_repatriation", ["employment", "administrative"], [], 3)})
    # 1: tracks under way (employment, one schooling task per child). 2: waiting for the needs
    # assessment. 3 (crisis repatriation, started by the crisis unit's message): assessment pending.
    ctx.complete(first, "evaluer_besoins", {
        "last_name": "Benali", "first_name": "Rachid", "return_date": "2026-02-20", "host_country": "Italie",
        "return_reason": "voluntary", "family_situation": "married", "children": children,
        "needs": ["employment", "schooling"], "email": "retour1@example.org", "case_priority": "normal",
        "case_plan": "Inscription à l'ANAPEC de Fès et scolarisation des deux enfants à la rentrée."})
    del second, crisis
    return 3
