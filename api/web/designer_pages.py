"""The designers' pages beyond the editors: the index of definitions with their versions,
drafts and state, a new diagram, the publication page (diff and validation), and what the
modeler needs to open a draft, the current version or an old one. Routes are on the pages'
blueprint (`web.*`); writes go through the engine's commands (the admin log records them)."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from engine import NotFound
from engine.commands.draft_sources import KINDS

from ..extensions import current_engine


def index():
    from engine.db import definitions as rows

    engine = current_engine()
    processes = [(d, engine.definition_versions(d.key)) for d in engine.list_definitions()]
    with engine.db.connect() as conn:
        forms = [(f, engine.definition_versions(f.key, "form")) for f in rows.latest_of_each(conn, "form")]
        decisions = [(d, engine.definition_versions(d.key, "decision")) for d in rows.latest_of_each(conn, "decision")]
    drafts = {(d.kind, d.key): d for d in engine.drafts()}
    published = {("process", d.key) for d, _ in processes} | {("form", f.key) for f, _ in forms} | {
        ("decision", d.key) for d, _ in decisions}
    new_drafts = [d for (kind, key), d in sorted(drafts.items()) if (kind, key) not in published]
    return render_template("designer/index.html", processes=processes, forms=forms, decisions=decisions,
                           drafts=drafts, new_drafts=new_drafts)


def new_diagram(actor):
    draft = current_engine().new_process_draft(actor)
    return redirect(url_for("web.modeler", key=draft.key))


def modeler_context(key: str | None) -> dict:
    """The definition (latest), the version asked for (`?version=N`: read only) and the draft."""
    engine = current_engine()
    definition = draft = None
    try:
        definition = engine.get_definition(key)
    except NotFound:
        pass
    try:
        draft = engine.draft("process", key)
    except NotFound:
        pass
    if definition is None and draft is None:
        raise NotFound(f"process {key!r} not found")
    version = request.args.get("version", type=int)
    if version is not None:
        engine.get_definition(key, version)  # 404 for an unknown version
        if definition is not None and version == definition.version and draft is None:
            version = None
    return {"key": key, "definition": definition, "draft": draft, "version": version}


def publish_page(kind: str, key: str):
    if kind not in KINDS:
        raise NotFound(f"no such kind {kind!r}")
    engine = current_engine()
    draft = engine.draft(kind, key)
    try:
        definition = engine.get_definition(key, kind=kind)
    except NotFound:
        definition = None
    editor = {"process": url_for("web.modeler", key=key), "form": url_for("web.form_editor", key=key),
              "decision": url_for("web.decision_editor", key=key)}[kind]
    return render_template("designer/publish.html", kind=kind, key=key, draft=draft, definition=definition,
                           editor=editor)


def current_version(kind: str, key: str) -> int | None:
    try:
        return current_engine().get_definition(key, kind=kind).version
    except NotFound:
        return None


def download(kind: str, key: str, version: int) -> Response:
    """A version's file as deployed (the pages' session, not the API's CSRF header)."""
    import re

    if kind not in KINDS:
        raise NotFound(f"no such kind {kind!r}")
    source = current_engine().definition_source(key, version, kind)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    extension = {"process": "bpmn", "decision": "dmn", "form": "form"}[kind]
    return Response(source, mimetype="application/json" if kind == "form" else "application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}-v{version}.{extension}"'})
