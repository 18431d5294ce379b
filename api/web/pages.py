"""The pages: login, the clerk's inbox and task, processes, the designer's editors, the
auditor's instance search and instance view. Lists are rendered here (same reads and
access rules as the API); the scripts call the JSON API for the rest (forms, diagrams,
history, commands) with the session cookie and the CSRF header."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from engine import DiwanError, Forbidden
from engine.identity import TooManyRequests, Unauthorized

from ..auth import current_user
from ..extensions import current_access, current_engine, current_users
from ..resources.reads import require_readable, require_readable_task
from . import admin_pages, assets, designer_pages, event_labels, exports, i18n, labels, security

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

ROLE_LABELS = {"admin": _l("Administration"), "designer": _l("Conception"), "clerk": _l("Agent"),
               "auditor": _l("Inspection"), "worker": _l("Service automatisé"),
               "supervisor": _l("Encadrement")}
STATUS_LABELS = {"running": _l("En cours"), "completed": _l("Terminée"), "cancelled": _l("Annulée"),
                 "failed": _l("En échec"), "suspended": _l("Suspendue")}
ADMIN_EVENT_LABELS = {
    "draft_saved": _l("Brouillon enregistré"), "draft_discarded": _l("Brouillon abandonné"),
    "draft_published": _l("Publication"), "version_republished": _l("Version republiée"),
    "definition_withdrawn": _l("Procédure retirée"), "definition_reinstated": _l("Procédure remise en service"),
    "starters_changed": _l("Droits de démarrage modifiés"), "user_created": _l("Utilisateur créé"),
    "user_changed": _l("Utilisateur modifié"), "group_saved": _l("Groupe enregistré"),
    "instance_migrated": _l("Dossiers migrés"),
}
EDITOR_ROLES = ("designer", "admin")
TASK_ROLES = ("clerk", "admin", "auditor")
INSTANCE_ROLES = ("admin", "auditor", "clerk")
AUDIT_ROLES = ("admin", "auditor")


# -- helpers -------------------------------------------------------------------------------
def page(*roles: str, inline_styles: bool = False):
    """A page for `roles` (none: any user): anonymous -> /login, other roles -> 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if roles and not set(roles) & set(user.roles):
                return error_page(403)
            if inline_styles:
                security.allow_inline_styles()
            return view(*args, **kwargs)

        return wrapper

    return decorator


ERROR_TEXT = {
    400: (_l("Requête invalide"), _l("La requête n'a pas pu être traitée. Rechargez la page et réessayez.")),
    403: (_l("Accès refusé"), _l("Votre profil ne vous donne pas accès à cette page.")),
    404: (_l("Page introuvable"), _l("L'élément demandé n'existe pas ou plus.")),
    409: (_l("Conflit"), _l("L'élément a été modifié entre-temps. Rechargez la page.")),
    503: (_l("Service momentanément indisponible"), _l("Le service ne peut pas répondre pour l'instant. "
                                                       "Réessayez dans quelques instants.")),
}


def error_page(status: int, detail: str | None = None):
    title, text = ERROR_TEXT.get(status, (_l("Erreur"), _l("Une erreur est survenue.")))
    return render_template("errors/error.html", status=status, title=title, text=text, detail=detail), status


@bp.errorhandler(DiwanError)
def _engine_error(error: DiwanError):
    from ..errors import STATUS_BY_CODE

    return error_page(STATUS_BY_CODE.get(error.code, 400))


def page_not_found(error):
    """An unknown address opened in a browser: the pages' 404 page; elsewhere the API's JSON 404."""
    from ..errors import handle_http_exception

    html = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if not html or request.path.startswith(("/api/", "/metrics", "/healthz", "/vendor/", "/assets/")):
        return handle_http_exception(error)
    return error_page(404)


@bp.before_request
def _csrf():
    if security.web_post_refused():
        return error_page(400, _("Jeton de sécurité (CSRF) absent ou invalide."))
    return None


@bp.app_context_processor
def _globals():
    user = g.get("diwan_user")
    return {"user": user, "role_labels": ROLE_LABELS, "status_labels": STATUS_LABELS,
            "admin_event_labels": ADMIN_EVENT_LABELS,
            "has_role": lambda *r: user is not None and bool(set(r) & set(user.roles)),
            "assets_installed": assets.installed()}


def _actor():
    return current_user().actor


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _home_for(user) -> str:
    roles = set(user.roles)
    if roles & {"clerk"}:
        return url_for("web.inbox")
    if roles & {"designer"}:
        return url_for("web.designer")
    if "supervisor" in roles:
        return url_for("web.dashboard")
    if "admin" in roles:
        return url_for("web.admin")
    if roles & {"auditor"}:
        return url_for("web.instances")
    return url_for("web.processes")


def _instances_by_id(instance_ids) -> dict:
    ids = sorted(instance_ids)
    if not ids:
        return {}
    return {i.id: i for i in current_engine().list_instances(ids=ids, per_page=len(ids)).items}


def _references(instances: dict, instance_ids) -> dict[str, str]:
    """Each instance's reference for people: its business key, else a short number."""
    return {i: (instances[i].business_key if i in instances else None) or _("n° %(short)s", short=i[:8].upper())
            for i in instance_ids}


def _item_texts(tasks, instances: dict) -> dict[str, str]:
    """What tells the tasks of a multi-instance activity apart (same instance, same element): the
    item's label (labels.item_text), else a number in creation order for rows older than items."""
    by_step: dict[tuple[str, str], list] = {}
    for t in tasks:
        by_step.setdefault((t.instance_id, t.element_id), []).append(t)
    texts, choices = {}, {}
    for t in tasks:
        if t.item is None or t.instance_id not in instances:
            continue
        inst = instances[t.instance_id]
        if (inst.definition_key, inst.definition_version) not in choices:
            choices[(inst.definition_key, inst.definition_version)] = _labels_of(inst)["values"]
        text = labels.item_text(t.item, choices[(inst.definition_key, inst.definition_version)])
        if text:
            texts[t.id] = text
    for same in by_step.values():
        if len(same) > 1:
            for n, t in enumerate(sorted(same, key=lambda t: (t.created_at, t.id)), start=1):
                texts.setdefault(t.id, _("n° %(n)s", n=n))
    return texts


def _definition_names() -> dict[str, str]:
    return {d.key: d.name or d.key for d in current_engine().list_definitions()}


def _labels_of(instance, attachments=()) -> dict:
    """The field and choice labels of the forms of an instance's process version (for its case data);
    a file field's attachment ids are named by their file names."""
    engine = current_engine()
    try:
        start_form = engine.get_definition(instance.definition_key, instance.definition_version).start_form_key
    except (DiwanError, TypeError):
        start_form = None
    found = labels.form_labels(engine, instance.definition_key, instance.definition_version, start_form)
    for a in attachments:
        found["values"].setdefault(a.field, {})[a.id] = a.filename
    return found


# -- login ---------------------------------------------------------------------------------
@bp.get("/")
@page()
def home():
    return redirect(_home_for(current_user()))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, username = None, ""
    target = _safe_next(request.values.get("next"))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            user = current_users().authenticate(username, request.form.get("password", ""), request.remote_addr)
        except TooManyRequests as exc:
            error = _("Trop de tentatives échouées. Réessayez dans %(n)s secondes.", n=exc.retry_after)
        except Unauthorized:
            error = _("Identifiant ou mot de passe incorrect.")
        else:
            security.log_in(user)
            return redirect(target or _home_for(user))
    elif current_user() is not None:
        return redirect(target or _home_for(current_user()))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username, next=target), status


@bp.post("/language")
def language():
    """The language switch of the header: remembered for the user (and in a cookie for the login page)."""
    chosen = request.form.get("lang", "")
    target = _safe_next(request.form.get("next")) or url_for("web.home")
    if chosen not in i18n.LANGUAGES:
        return error_page(400, _("Langue inconnue : « %(lang)s ».", lang=chosen))
    user = current_user()
    if user is not None:
        current_users().set_language(user.username, chosen)
    response = redirect(target)
    response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.get("/i18n/<lang>.js")
def script_catalogue(lang: str):
    """The scripts' messages in `lang` as `window.DIWAN_MESSAGES` (French: none, the scripts are in French),
    the engine's messages to designers as `window.DIWAN_DEPLOY_MESSAGES` (English templates, French too)
    and the audit events' names as `window.DIWAN_EVENT_LABELS` (api/web/event_labels.py)."""
    if lang not in i18n.LANGUAGES:
        return error_page(404)
    with force_locale(i18n.FORMAT_LOCALES[lang]):
        events = event_labels.all_labels()
    body = ("window.DIWAN_MESSAGES = " + json.dumps(i18n.script_messages(lang), ensure_ascii=False) + ";\n"
            "window.DIWAN_DEPLOY_MESSAGES = " + json.dumps(i18n.deploy_messages(lang), ensure_ascii=False) + ";\n"
            "window.DIWAN_EVENT_LABELS = " + json.dumps(events, ensure_ascii=False) + ";\n")
    response = Response(body, mimetype="text/javascript")
    response.cache_control.max_age = 300
    return response


@bp.post("/logout")
def logout():
    security.log_out()
    return redirect(url_for("web.login"))


# -- clerk ---------------------------------------------------------------------------------
INBOX_DUE = {"overdue": _l("En retard"), "today": _l("Échéance aujourd'hui"), "week": _l("Échéance sous 7 jours")}
INBOX_SORT = {"due": _l("Échéance (retards d'abord)"), "created": _l("Plus anciennes d'abord"),
              "-created": _l("Plus récentes d'abord"), "name": _l("Nom de la tâche")}


@bp.get("/tasks")
@page(*TASK_ROLES)
def inbox():
    engine, actor = current_engine(), _actor()
    see_all = current_access().reads_all(actor)
    everything = engine.list_tasks(actor.username, actor.groups, see_all=see_all, per_page=500).items
    counts = Counter(t.definition_key for t in everything)
    args = request.args
    selected = args.get("process") or None
    filters = {"due": args.get("due") if args.get("due") in INBOX_DUE else None,
               "candidate_group": args.get("group") or None, "q": (args.get("q") or "").strip()[:200] or None,
               "sort": args.get("sort") if args.get("sort") in INBOX_SORT else "due"}
    filtered = bool(selected or filters["due"] or filters["candidate_group"] or filters["q"])
    tasks = engine.list_tasks(actor.username, actor.groups, see_all=see_all, definition_key=selected, per_page=500,
                              **filters).items if filtered or filters["sort"] != "due" else everything
    now = engine.clock.now()
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def order(t):
        overdue = t.due_at is not None and t.due_at < now
        return (not overdue, t.due_at or far, t.created_at)

    def arranged(rows):
        return sorted(rows, key=order) if filters["sort"] == "due" else list(rows)

    mine = arranged(t for t in tasks if t.assignee == actor.username)
    offered = arranged(t for t in tasks if t.assignee is None)
    others = arranged(t for t in tasks if t.assignee not in (None, actor.username))
    instances = _instances_by_id({t.instance_id for t in tasks})
    refs = _references(instances, {t.instance_id for t in tasks})
    groups = sorted(set(actor.groups) | ({g for t in everything for g in t.candidate_groups} if see_all else set()))
    shown = len(mine) + len(offered) + (len(others) if see_all else 0)
    return render_template("tasks/inbox.html", mine=mine, offered=offered, others=others, counts=counts,
                           selected=selected, names=_definition_names(), now=now, see_all=see_all, refs=refs,
                           can_act=bool({"clerk", "admin"} & set(actor.roles)), filters=filters, groups=groups,
                           due_labels=INBOX_DUE, sort_labels=INBOX_SORT, filtered=filtered, shown=shown,
                           group_labels=engine.group_labels(), items=_item_texts(tasks, instances),
                           total_all=len(everything))


@bp.get("/tasks/<task_id>")
@page(*TASK_ROLES)
def task(task_id: str):
    engine = current_engine()
    view = engine.get_task(task_id)
    require_readable_task(view)
    actor = _actor()
    engine.log_access(actor, view.instance_id, "task_page", request.remote_addr)
    work = task_work(engine, view, actor)
    instance = engine.get_instance(view.instance_id)
    attachments = engine.attachments_of(view.instance_id)
    form_labels, groups = _labels_of(instance, attachments), engine.group_labels()
    return render_template("tasks/task.html", task=view, process_name=_definition_names().get(view.definition_key),
                           instance=instance, now=engine.clock.now(), groups=groups, labels=form_labels,
                           item=labels.item_text(view.item, form_labels["values"]),
                           offered_to=[groups.get(g, g) for g in view.candidate_groups],
                           attachments=attachments, **work)


def task_work(engine, view, actor) -> dict:
    """What the page offers on a task: claim, an editable form, release, reassignment."""
    ready = view.state == "ready" and bool({"clerk", "admin"} & set(actor.roles))
    offered = actor.is_admin or view.assignee == actor.username or (view.assignee is None and (
        actor.username in view.candidate_users or bool(set(view.candidate_groups) & set(actor.groups))))
    holds = view.assignee == actor.username or actor.is_admin or (
        view.assignee is None and not engine.settings.require_claim)
    supervises = actor.is_admin or ("supervisor" in actor.roles and bool(set(view.candidate_groups) & set(actor.groups)))
    can_reassign = ready and view.assignee is not None and (view.assignee == actor.username or supervises)
    candidates = []
    if can_reassign:
        names = {u for g in view.candidate_groups for u in engine.group_members(g)} | set(view.candidate_users)
        candidates = sorted(names - {view.assignee})
    return {"can_act": ready and offered and holds, "can_claim": ready and offered and view.assignee is None,
            "can_release": ready and view.assignee == actor.username,
            "foreign": ready and not offered and view.assignee is None,
            "held_elsewhere": ready and not offered and view.assignee is not None,
            "can_reassign": can_reassign, "reassign_to": candidates,
            "can_comment": bool({"clerk", "admin", "supervisor"} & set(actor.roles))}


@bp.get("/processes")
@page()
def processes():
    engine = current_engine()
    definitions = engine.list_definitions(startable=True)  # a withdrawn process starts nothing
    return render_template("processes/list.html", definitions=definitions,
                           can_start=bool({"clerk", "admin"} & set(_actor().roles)), actor=_actor(),
                           can_edit=bool(set(EDITOR_ROLES) & set(_actor().roles)))


@bp.get("/processes/<key>/start")
@page("clerk", "admin")
def start(key: str):
    definition = current_engine().get_definition(key)
    if not definition.may_start(_actor()):
        raise Forbidden(definition.starters().refusal(key))
    return render_template("processes/start.html", definition=definition)


# -- designer ------------------------------------------------------------------------------
@bp.get("/designer")
@page(*EDITOR_ROLES)
def designer():
    return designer_pages.index()


@bp.post("/designer/new-diagram")
@page(*EDITOR_ROLES)
def new_diagram():
    return designer_pages.new_diagram(_actor())


@bp.get("/designer/<kind>/<key>/publish")
@page(*EDITOR_ROLES)
def publish(kind: str, key: str):
    return designer_pages.publish_page(kind, key)


@bp.get("/designer/<kind>/<key>/versions/<int:version>/download")
@page(*EDITOR_ROLES)
def download_version(kind: str, key: str, version: int):
    return designer_pages.download(kind, key, version)


@bp.get("/modeler")
@bp.get("/modeler/<key>")
@page(*EDITOR_ROLES, inline_styles=True)
def modeler(key: str | None = None):
    if key is None:
        return render_template("designer/new_diagram.html")
    return render_template("designer/modeler.html", **designer_pages.modeler_context(key))


@bp.get("/forms/edit")
@page(*EDITOR_ROLES)
def form_edit_by_query():
    from engine.commands.draft_sources import KEY

    key = request.args.get("key", "").strip()
    if not key:
        return redirect(url_for("web.designer"))
    if not KEY.fullmatch(key):
        return error_page(400, _("Clé de formulaire invalide : « %(key)s ». Une lettre ou _ d'abord, puis lettres, "
                                 "chiffres, _ . -", key=key))
    return redirect(url_for("web.form_editor", key=key))


@bp.get("/forms/<key>/edit")
@page(*EDITOR_ROLES, inline_styles=True)
def form_editor(key: str):
    from engine.commands.draft_sources import KEY

    if not KEY.fullmatch(key):
        return error_page(400, _("Clé de formulaire invalide : « %(key)s ».", key=key))
    return render_template("designer/form_editor.html", key=key, kind="form", version=request.args.get("version", type=int),
                           base=designer_pages.current_version("form", key))


@bp.get("/decisions/<key>/edit")
@page(*EDITOR_ROLES, inline_styles=True)
def decision_editor(key: str):
    base = designer_pages.current_version("decision", key)
    if base is None:
        current_engine().draft("decision", key)  # 404 page for a key with neither a version nor a draft
    return render_template("designer/decision_editor.html", key=key, kind="decision", base=base,
                           version=request.args.get("version", type=int))


# -- admin console (api/web/admin_pages.py) -------------------------------------------------
@bp.get("/admin")
@page("admin")
def admin():
    return admin_pages.overview()


@bp.get("/admin/incidents")
@page("admin")
def admin_incidents():
    return admin_pages.incidents()


@bp.get("/admin/instances")
@page("admin")
def admin_instances():
    return admin_pages.instances()


@bp.get("/admin/users")
@page("admin")
def admin_users():
    return admin_pages.users()


@bp.get("/admin/users/<username>")
@page("admin")
def admin_user(username: str):
    return admin_pages.user(username)


@bp.get("/admin/groups")
@page("admin")
def admin_groups():
    return admin_pages.groups()


@bp.get("/admin/groups/<name>")
@page("admin")
def admin_group(name: str):
    return admin_pages.group(name)


@bp.get("/admin/definitions")
@page("admin")
def admin_definitions():
    return admin_pages.definitions()


@bp.get("/admin/migrations")
@page("admin")
def admin_migrations():
    return admin_pages.migrations()


@bp.get("/admin/journal")
@page("admin", "auditor")
def admin_journal():
    return admin_pages.journal()


# -- auditor -------------------------------------------------------------------------------
def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/instances")
@page(*INSTANCE_ROLES)
def instances():
    engine, access, actor = current_engine(), current_access(), _actor()
    args = request.args
    filters = {"definition_key": args.get("process") or None, "status": args.get("status") or None,
               "business_key": args.get("business_key", "").strip() or None}
    since, until = _parse_date(args.get("from")), _parse_date(args.get("to"))
    tz = engine.tz
    if since:
        filters["created_from"] = datetime.combine(since, time(), tz)
    if until:
        filters["created_to"] = datetime.combine(until + timedelta(days=1), time(), tz) - timedelta(microseconds=1)
    try:
        page_no = max(1, int(args.get("page", 1)))
    except ValueError:
        page_no = 1
    per_page = 25
    if access.reads_all(actor):
        found = engine.list_instances(**filters, page=page_no, per_page=per_page)
        shown, total = found.items, found.total
    else:
        ids, total = access.readable_page(actor, **filters, page=page_no, per_page=per_page)
        by_id = {i.id: i for i in engine.list_instances(ids=ids, per_page=max(len(ids), 1)).items} if ids else {}
        shown = [by_id[i] for i in ids if i in by_id]
    steps = {i.id: labels.element_names(engine, i.definition_key, i.definition_version) for i in shown}
    return render_template("instances/search.html", items=shown, total=total, page=page_no, per_page=per_page,
                           names=_definition_names(), args=args, statuses=STATUS_LABELS, steps=steps)


@bp.get("/instances/<instance_id>")
@page(*INSTANCE_ROLES)
def instance(instance_id: str):
    engine = current_engine()
    require_readable(instance_id)
    view = engine.get_instance(instance_id)
    engine.log_access(_actor(), instance_id, "case_page", request.remote_addr)
    attachments = engine.attachments_of(instance_id)
    return render_template("instances/detail.html", instance=view, now=engine.state_now(instance_id),
                           labels=_labels_of(view, attachments),
                           steps=labels.element_names(engine, view.definition_key, view.definition_version),
                           can_comment=bool({"clerk", "admin", "supervisor"} & set(_actor().roles))
                           and view.status not in ("completed", "cancelled"),
                           attachments=attachments,
                           process_name=_definition_names().get(view.definition_key),
                           auditor=bool(set(AUDIT_ROLES) & set(_actor().roles)))


@bp.get("/dashboard")
@page("supervisor", "admin")
def dashboard():
    board = current_engine().sla_dashboard()
    return render_template("dashboard/sla.html", board=board, names=_definition_names(),
                           group_labels=current_engine().group_labels())


@bp.get("/dashboard/export.<fmt>")
@page("supervisor", "admin")
def dashboard_export(fmt: str):
    from ..resources.dashboard import dashboard_response

    if fmt not in ("csv", "xlsx"):
        return error_page(404)
    return dashboard_response(fmt)


@bp.get("/attachments/<attachment_id>")
@page(*INSTANCE_ROLES, "supervisor")
def attachment(attachment_id: str):
    from ..resources.clerk_work import attachment_response

    return attachment_response(attachment_id)


ACCESS_VIEWS = {"case_page": _l("Page du dossier"), "task_page": _l("Page de la tâche"),
                "history_page": _l("Export de l'historique"), "api_instance": _l("API : dossier"),
                "api_task": _l("API : tâche"), "api_history": _l("API : historique"),
                "api_state": _l("API : état passé"), "attachment": _l("Pièce jointe")}


@bp.get("/access-log")
@page(*AUDIT_ROLES)
def access_log():
    args = request.args
    try:
        page_no = max(1, int(args.get("page", 1)))
    except ValueError:
        page_no = 1
    filters = {"instance_id": (args.get("instance_id") or "").strip() or None,
               "actor": (args.get("actor") or "").strip() or None}
    rows, total = current_engine().access_log(**filters, page=page_no, per_page=50)
    ids = {r["instance_id"] for r in rows}
    return render_template("audit/access_log.html", rows=rows, total=total, page=page_no, per_page=50,
                           filters=filters, views=ACCESS_VIEWS, refs=_references(_instances_by_id(ids), ids))


@bp.get("/instances/<instance_id>/history.csv")
@page(*AUDIT_ROLES)
def instance_csv(instance_id: str) -> Response:
    require_readable(instance_id)
    engine = current_engine()
    engine.log_access(_actor(), instance_id, "history_page", request.remote_addr)
    return exports.history_csv(engine, engine.get_instance(instance_id), engine.history(instance_id))


__all__ = ["bp", "Forbidden"]
