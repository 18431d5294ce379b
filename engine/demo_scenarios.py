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
