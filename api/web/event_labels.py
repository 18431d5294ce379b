"""The audit events' names for people, in one place: the CSV export (api/web/exports.py) writes
them and the pages' scripts read them (`window.DIWAN_EVENT_LABELS`, served with the scripts'
catalogue by `/i18n/<lang>.js`; common.js `diwan.eventLabel`)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

EVENT_LABELS = {
    "instance_started": _l("Dossier ouvert"), "instance_completed": _l("Dossier clos"),
    "instance_cancelled": _l("Dossier annulé"), "instance_suspended": _l("Dossier suspendu"),
    "instance_resumed": _l("Dossier repris"), "instance_migrated": _l("Dossier migré"),
    "task_ready": _l("Tâche à traiter"), "task_claimed": _l("Tâche prise en charge"),
    "task_unclaimed": _l("Tâche libérée"), "task_completed": _l("Tâche terminée"),
    "task_cancelled": _l("Tâche annulée"), "task_reassigned": _l("Tâche réattribuée"),
    "comment_added": _l("Commentaire"), "element_completed": _l("Étape franchie"),
    "timer_fired": _l("Délai échu"), "message_correlated": _l("Message reçu"), "incident_created": _l("Incident"),
    "incident_retried": _l("Incident relancé"), "event_fired": _l("Événement"),
    "output_collected": _l("Résultats rassemblés"), "scope_opened": _l("Variables locales posées"),
    "listener_ran": _l("Script d’écoute exécuté"), "external_task_created": _l("Tâche externe en attente"),
    "external_task_completed": _l("Tâche externe terminée"), "external_task_failed": _l("Échec de la tâche externe"),
    "external_task_bpmn_error": _l("Erreur métier de la tâche externe"),
    "external_task_cancelled": _l("Tâche externe annulée"), "script_ran": _l("Script exécuté"),
}


def event_label(event_type: str) -> str:
    """An event type's name in the page's language (an unknown type: "Événement")."""
    return str(EVENT_LABELS.get(event_type, EVENT_LABELS["event_fired"]))


def all_labels() -> dict[str, str]:
    """Every event type's name in the request's language (for the scripts)."""
    return {k: str(v) for k, v in EVENT_LABELS.items()}
