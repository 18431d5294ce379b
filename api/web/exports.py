"""The pages' CSV exports, for spreadsheet users (French Excel): `;` separated, UTF-8 with a
byte order mark, headers and event types in the page's language, dates in `DIWAN_TIMEZONE`,
values as people read them (form labels, lists as lists), the hashes kept for the auditor.

The API's CSV (`/api/v1/process-instances/<id>/history?format=csv`) is a contract
(docs/API.md) and stays as it is: `,` separated, canonical JSON payloads.
"""
from __future__ import annotations

import csv
import io

from flask import Response
from flask_babel import gettext as _

from engine import DiwanError

from . import i18n, labels
from .event_labels import event_label

def _value(value, choices: dict[str, str] | None) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v, choices) for v in value) or "—"
    if choices and not isinstance(value, (dict, bool)) and str(value) in choices:
        return choices[str(value)]
    return i18n.as_text(value)


def readable_payload(payload: dict, names: dict) -> str:
    """An event's payload in words: the data it set by field label, then its other facts."""
    fields, values = names.get("fields", {}), names.get("values", {})
    parts = []
    for key in ("data", "changes"):
        for k, v in sorted((payload.get(key) or {}).items()):
            parts.append(f"{fields.get(k, k)} : {_value(v, values.get(k))}")
    for k in payload.get("deleted") or ():
        parts.append(_("%(field)s : supprimé", field=fields.get(k, k)))
    for k, v in sorted(payload.items()):
        if k not in ("data", "changes", "deleted") and v not in (None, "", [], {}):
            parts.append(f"{k} : {i18n.as_text(v)}")
    return " ; ".join(parts)


def history_csv(engine, instance, events) -> Response:
    """One instance's history as a spreadsheet."""
    names = labels.form_labels(engine, instance.definition_key, instance.definition_version,
                               _start_form(engine, instance))
    for a in engine.attachments_of(instance.id):  # a file field's values: its files' names, not their ids
        names["values"].setdefault(a.field, {})[a.id] = a.filename
    steps = labels.element_names(engine, instance.definition_key, instance.definition_version)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("N°"), _("Date"), _("Événement"), _("Par"), _("Étape"), _("Détail"),
                     _("Empreinte précédente"), _("Empreinte")])
    for e in events:
        writer.writerow([e.seq, i18n.format_when(e.at, "seconds"), event_label(e.type),
                         _("système") if e.actor == "system" else e.actor,
                         steps.get(e.element_id, e.element_id) if e.element_id else "",
                         readable_payload(e.payload or {}, names), e.prev_hash, e.hash])
    reference = instance.business_key or instance.id[:8]
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="historique-{_safe(reference)}.csv"'})


def _start_form(engine, instance) -> str | None:
    try:
        return engine.get_definition(instance.definition_key, instance.definition_version).start_form_key
    except DiwanError:  # a definition gone from this server: no start form labels
        return None


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
