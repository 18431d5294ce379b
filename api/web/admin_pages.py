"""The admin console (French): incidents to retry, instances to suspend, resume or cancel with
a reason, users and groups, definitions and who may start them, the admin log. Pages read
through the engine and the user store; their buttons call the JSON API (commands, audited)."""
from __future__ import annotations

from flask import render_template, request

from engine import NotFound
from engine.identity import ROLES

from ..extensions import current_engine, current_users
from . import labels

ADMIN_STATUSES = ("running", "suspended", "failed")


def overview():
    engine = current_engine()
    counts = {status: engine.list_instances(status=status, per_page=1).total for status in ADMIN_STATUSES}
    return render_template("admin/index.html", counts=counts, incidents=engine.incidents(per_page=1).total,
                           users=current_users().list_users(1, 1)[1], groups=len(engine.groups()),
                           definitions=len(engine.list_definitions()), drafts=len(engine.drafts()))


def incidents():
    engine = current_engine()
    page = engine.incidents(per_page=500)
    instances = {i.id: i for i in engine.list_instances(ids=list({x.instance_id for x in page.items}),
                                                        per_page=500).items} if page.items else {}
    steps = {i.id: labels.element_names(engine, i.definition_key, i.definition_version) for i in instances.values()}
    return render_template("admin/incidents.html", incidents=page.items, instances=instances, names=_names(),
                           steps=steps)


def instances():
    engine = current_engine()
    status = request.args.get("status") or None
    business_key = request.args.get("business_key", "").strip() or None
    key = request.args.get("process") or None
    if status:
        found = engine.list_instances(status=status, business_key=business_key, definition_key=key, per_page=200)
        items, total = found.items, found.total
    else:  # the ones an admin acts on
        items, total = [], 0
        for s in ADMIN_STATUSES:
            found = engine.list_instances(status=s, business_key=business_key, definition_key=key, per_page=200)
            items += found.items
            total += found.total
        items.sort(key=lambda i: i.created_at, reverse=True)
    steps = {i.id: labels.element_names(engine, i.definition_key, i.definition_version) for i in items}
    return render_template("admin/instances.html", items=items, total=total, names=_names(), args=request.args,
                           steps=steps)


def users():
    store, engine = current_users(), current_engine()
    items, total = store.list_users(1, 500)
    return render_template("admin/users.html", users=items, total=total, roles=ROLES, groups=engine.groups(),
                           labels=engine.group_labels())


def user(username: str):
    engine = current_engine()
    return render_template("admin/user.html", subject=current_users().get_user(username), roles=ROLES,
                           groups=engine.groups(), log=engine.admin_log(subject=f"user:{username}", per_page=20).items)


def groups():
    return render_template("admin/groups.html", groups=current_engine().groups())


def group(name: str):
    engine = current_engine()
    found = next((g for g in engine.groups() if g["name"] == name), None)
    if found is None:
        raise NotFound(f"group {name!r} not found")
    members = set(engine.group_members(name))
    everyone, _ = current_users().list_users(1, 500)
    return render_template("admin/group.html", group=found, members=members, users=everyone,
                           log=engine.admin_log(subject=f"group:{name}", per_page=20).items)


def definitions():
    engine = current_engine()
    return render_template("admin/definitions.html", definitions=engine.list_definitions(), groups=engine.groups(),
                           labels=engine.group_labels(), states=engine.process_states())


def journal():
    try:
        page_no = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_no = 1
    subject = request.args.get("subject", "").strip() or None
    log = current_engine().admin_log(subject=subject, page=page_no, per_page=50)
    return render_template("admin/journal.html", log=log, subject=subject)


def _names() -> dict[str, str]:
    return {d.key: d.name or d.key for d in current_engine().list_definitions()}


def migrations():
    engine = current_engine()
    definitions = engine.list_definitions()
    versions = {d.key: [v.version for v in engine.definition_versions(d.key)] for d in definitions}
    return render_template("admin/migrations.html", definitions=definitions, versions=versions,
                           selected=request.args.get("process"))
