"""Every route x every role (admin, designer, clerk, auditor, anonymous): the status each gets."""
from __future__ import annotations

import io

import pytest

from engine import SYSTEM, Actor
from tests.api.conftest import PASSWORD, USERS
from tests.conftest import FIXTURES

ROLES = ("admin", "designer", "clerk", "auditor", None)
AMINA = Actor("amina", ("clerks", "bureau_ordre"), ("clerk",))


def _loop(engine, **_):
    """A running `loop` instance started by the system, its task offered to `clerks` (amina's group)."""
    instance = engine.start("loop", {"count": 0, "limit": 1}, actor=SYSTEM)
    task = engine.list_tasks(see_all=True, instance_id=instance.id).items[0]
    return {"id": instance.id, "task": task.id}


def _claimed(engine, **_):
    ids = _loop(engine)
    engine.claim(ids["task"], AMINA)
    return ids


def _suspended(engine, **_):
    ids = _loop(engine)
    engine.suspend(ids["id"])
    return ids


def _waiting(engine, who, **_):
    engine.start("ebg", business_key=f"M-{who}", actor=SYSTEM)
    return {"key": f"M-{who}"}


def _no_incident(engine, **_):
    return {"incident": "no-such-incident"}


def _nothing(engine, **_):
    return {}


def _external(engine, **_):
    """An external task (topic check_documents) locked by worker `w`."""
    from tests.conftest import fixture_files

    engine.deploy(fixture_files("external_tasks.bpmn"))
    instance = engine.start("document_check", {"urgency": 1}, actor=SYSTEM)
    task = engine.external_tasks(instance_id=instance.id)[0]
    engine.lock_external_task(task.id, "w", 60_000)
    return {"id": instance.id, "task": task.id}


def _fetch(_who):
    return {"json": {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "check_documents", "lockDuration": 1000}]}}


LOOP = (FIXTURES / "loop.bpmn").read_text()
EDITORS = {"admin": 200, "designer": 200, "clerk": 403, "auditor": 403}


def _fresh_draft(engine, who, **_):
    """A draft of `loop` at revision 1 from the current version, changed for this role."""
    from engine import NotFound

    try:
        engine.discard_draft("process", "loop", revision=engine.draft("process", "loop").revision)
    except NotFound:
        pass
    current = engine.get_definition("loop").version
    engine.save_draft("process", "loop", LOOP.replace("Travailler", f"Travailler ({who})"), revision=0,
                      base_version=current)
    return {"rev": 1}


def _no_draft(engine, **_):
    from engine import NotFound

    try:
        engine.discard_draft("process", "loop", revision=engine.draft("process", "loop").revision)
    except NotFound:
        pass
    return {"base": engine.get_definition("loop").version}


def _two_versions(engine, **_):
    if engine.get_definition("loop").version == 1:
        engine.deploy([("loop.bpmn", LOOP.replace("Travailler", "Travailler (v2)").encode())])
    return {}


def _withdrawn(engine, withdrawn=True, **_):
    if engine.get_definition("loop").withdrawn != withdrawn:
        (engine.withdraw if withdrawn else engine.reinstate)("loop")
    return {}


def _login_body(who):
    return {"json": {"username": USERS[who or "clerk"][0], "password": PASSWORD}}


def _new_user(who):
    return {"json": {"username": f"new-{who}", "password": "new-password", "roles": ["clerk"]}}


def _upload(_who):
    return {"content_type": "multipart/form-data",
            "data": {"files": [(io.BytesIO((FIXTURES / "branches.bpmn").read_bytes()), "branches.bpmn")]}}


def _message(_who):
    return {"json": {"name": "reply", "correlation_key": "{key}"}}


ALL = dict.fromkeys(("admin", "designer", "clerk", "auditor"), 200)
READERS = {"admin": 200, "designer": 403, "clerk": 200, "auditor": 200}
WORKERS = {"admin": 200, "designer": 403, "clerk": 200, "auditor": 403}
ADMIN = {"admin": 200, "designer": 403, "clerk": 403, "auditor": 403}
AUDITORS = {"admin": 200, "designer": 403, "clerk": 403, "auditor": 200}

# (method, path, prepare, request kwargs, {role: status}; anonymous gets 401 unless "anon" says otherwise)
EXTERNAL = {"admin": 204, "designer": 403, "clerk": 403, "auditor": 403}  # and the role worker (test_external_tasks)

ROUTES = [
    ("post", "/api/v1/auth/token", _nothing, _login_body, {**ALL, "anon": 200}),
    ("post", "/api/v1/auth/logout", _nothing, None, dict.fromkeys(ALL, 204)),
    ("get", "/api/v1/auth/me", _nothing, None, ALL),
    ("get", "/api/v1/users", _nothing, None, ADMIN),
    ("post", "/api/v1/users", _nothing, _new_user, {**ADMIN, "admin": 201}),
    ("post", "/api/v1/deployments", _nothing, _upload, {"admin": 201, "designer": 201, "clerk": 403, "auditor": 403}),
    ("get", "/api/v1/process-definitions", _nothing, None, ALL),
    ("get", "/api/v1/process-definitions/loop", _nothing, None, ALL),
    ("get", "/api/v1/process-definitions/loop/versions", _nothing, None, ALL),
    ("get", "/api/v1/process-definitions/loop/xml", _nothing, None, ALL),
    ("get", "/api/v1/decisions/cofinancing_rate/xml", _nothing, None, ALL),
    ("get", "/api/v1/forms/request", _nothing, None, ALL),
    ("post", "/api/v1/process-definitions/loop/start", _nothing, lambda w: {"json": {"data": {"count": 0, "limit": 1}}},
     {**WORKERS, "admin": 201, "clerk": 201}),
    ("get", "/api/v1/process-instances", _nothing, None, READERS),
    ("get", "/api/v1/process-instances/{id}", _loop, None, READERS),
    ("post", "/api/v1/process-instances/{id}/cancel", _loop, lambda w: {"json": {"reason": "test"}}, ADMIN),
    ("post", "/api/v1/process-instances/{id}/suspend", _loop, None, ADMIN),
    ("post", "/api/v1/process-instances/{id}/resume", _suspended, None, ADMIN),
    ("get", "/api/v1/process-instances/{id}/history", _loop, None, READERS),
    ("get", "/api/v1/process-instances/{id}/history?format=csv", _loop, None, {**READERS, "clerk": 403}),
    ("get", "/api/v1/process-instances/{id}/state?at_seq=1", _loop, None, AUDITORS),
    ("post", "/api/v1/process-instances/{id}/verify", _loop, None, AUDITORS),
    ("get", "/api/v1/audit/checkpoint", _nothing, None, AUDITORS),
    ("get", "/api/v1/incidents", _nothing, None, ADMIN),
    ("post", "/api/v1/incidents/{incident}/retry", _no_incident, None, {**ADMIN, "admin": 404}),
    ("post", "/api/v1/admin/clock", _nothing, lambda w: {"json": {"advance": "PT1M"}}, ADMIN),
    ("get", "/api/v1/tasks", _nothing, None, READERS),
    ("get", "/api/v1/tasks/{task}", _loop, None, READERS),
    ("post", "/api/v1/tasks/{task}/claim", _loop, None, WORKERS),
    ("post", "/api/v1/tasks/{task}/unclaim", _claimed, None, WORKERS),
    ("post", "/api/v1/tasks/{task}/complete", _loop, lambda w: {"json": {"data": {}}}, WORKERS),
    ("post", "/api/v1/messages", _waiting, _message, WORKERS),
    ("post", "/engine-rest/external-task/fetchAndLock", _nothing, _fetch, {**ADMIN}),
    ("get", "/engine-rest/external-task", _nothing, None, ADMIN),
    ("get", "/engine-rest/external-task/{task}", _external, None, ADMIN),
    ("post", "/engine-rest/external-task/{task}/complete", _external, lambda w: {"json": {"workerId": "w"}}, EXTERNAL),
    ("post", "/engine-rest/external-task/{task}/failure", _external,
     lambda w: {"json": {"workerId": "w", "retries": 2}}, EXTERNAL),
    ("post", "/engine-rest/external-task/{task}/bpmnError", _external,
     lambda w: {"json": {"workerId": "w", "errorCode": "DOCS_MISSING"}}, EXTERNAL),
    ("post", "/engine-rest/external-task/{task}/extendLock", _external,
     lambda w: {"json": {"workerId": "w", "newDuration": 1000}}, EXTERNAL),
    ("post", "/engine-rest/external-task/{task}/lock", _external,
     lambda w: {"json": {"workerId": "w", "lockDuration": 1000}}, EXTERNAL),
    ("post", "/engine-rest/external-task/{task}/unlock", _external, None, EXTERNAL),
    ("get", "/api/v1/drafts", _nothing, None, EDITORS),
    ("post", "/api/v1/drafts/process", _nothing, None, {**EDITORS, "admin": 201, "designer": 201}),
    ("get", "/api/v1/drafts/process/loop", _fresh_draft, None, EDITORS),
    ("put", "/api/v1/drafts/process/loop", _no_draft,
     lambda w: {"json": {"source": LOOP.replace("Travailler", "Autre"), "revision": 0, "base_version": "{base}"}},
     EDITORS),
    ("delete", "/api/v1/drafts/process/loop?revision={rev}", _fresh_draft, None,
     {**EDITORS, "admin": 204, "designer": 204}),
    ("get", "/api/v1/drafts/process/loop/preview", _fresh_draft, None, EDITORS),
    ("post", "/api/v1/drafts/process/loop/publish", _fresh_draft, lambda w: {"json": {"revision": 1}},
     {**EDITORS, "admin": 201, "designer": 201}),
    ("get", "/api/v1/definitions/process/loop/versions", _nothing, None, ALL),
    ("post", "/api/v1/definitions/process/loop/versions/1/republish", _two_versions, None,
     {**EDITORS, "admin": 201, "designer": 201}),
    ("post", "/api/v1/process-definitions/loop/withdraw", lambda e, **k: _withdrawn(e, False), None, EDITORS),
    ("post", "/api/v1/process-definitions/loop/reinstate", _withdrawn, None, EDITORS),
    ("put", "/api/v1/process-definitions/loop/starters", _nothing, lambda w: {"json": {"groups": []}}, ADMIN),
    ("get", "/api/v1/admin/events", _nothing, None, AUDITORS),
    ("post", "/api/v1/admin/events/verify", _nothing, None, AUDITORS),
    ("post", "/api/v1/process-definitions/loop/migrations", _nothing,
     lambda w: {"json": {"to_version": 1, "dry_run": True}}, ADMIN),
    ("get", "/api/v1/users/amina", _nothing, None, ADMIN),
    ("patch", "/api/v1/users/amina", _nothing, lambda w: {"json": {"groups": ["clerks", "bureau_ordre"]}}, ADMIN),
    ("post", "/api/v1/users/karim/password", _nothing, lambda w: {"json": {"password": PASSWORD}},
     {**ADMIN, "admin": 204}),
    ("get", "/api/v1/groups", _nothing, None, ALL),
    ("get", "/api/v1/groups/clerks", _nothing, None, ADMIN),
    ("put", "/api/v1/groups/clerks", _nothing, lambda w: {"json": {"label": "Agents"}}, ADMIN),
    ("post", "/api/v1/tasks/{task}/reassign", _claimed, lambda w: {"json": {"to_user": "amina"}}, WORKERS),
    ("get", "/api/v1/process-instances/{id}/comments", _loop, None, READERS),
    ("post", "/api/v1/process-instances/{id}/comments", _loop, lambda w: {"json": {"text": "Vu."}},
     {**WORKERS, "admin": 201, "clerk": 201}),
    ("post", "/api/v1/tasks/{task}/attachments", _loop, lambda w: {
        "content_type": "multipart/form-data", "data": {"field": "piece", "file": (io.BytesIO(b"%PDF-1.7"), "a.pdf")}},
     {**WORKERS, "admin": 422, "clerk": 422}),  # the task's form has no file field
    ("get", "/api/v1/process-instances/{id}/attachments", _loop, None, READERS),
    ("get", "/api/v1/attachments/{attachment}", lambda e, **k: {"attachment": "no-such-file"}, None,
     {**READERS, "admin": 404, "clerk": 404, "auditor": 404}),
    ("get", "/api/v1/access-log", _nothing, None, AUDITORS),
    ("get", "/api/v1/dashboard/sla", _nothing, None, ADMIN),  # and supervisors (test_clerk_work_api)
    ("get", "/healthz", _nothing, None, {**ALL, "anon": 200}),
    ("get", "/metrics", _nothing, None, dict.fromkeys((*ALL, "anon"), 404)),  # no DIWAN_METRICS_TOKEN: off
    ("get", "/api/v1/openapi.json", _nothing, None, {**ALL, "anon": 200}),
]


def _fill(value, ids):
    if value == "{base}":
        return ids["base"]
    return value.format(**ids) if isinstance(value, str) and "{" in value and "<" not in value else value


@pytest.mark.parametrize("method, path, prepare, kwargs, expected", ROUTES,
                         ids=[f"{m.upper()} {p}" for m, p, *_ in ROUTES])
def test_roles__route_by_role(call, deployed, method, path, prepare, kwargs, expected):
    got, want = {}, {}
    for who in ROLES:
        ids = prepare(deployed, who=who)
        extra = kwargs(who) if kwargs else {}
        if "json" in extra:
            extra["json"] = {k: _fill(v, ids) for k, v in extra["json"].items()}
        response = call(method, path.format(**ids), who, **extra)
        got[who or "anon"] = response.status_code
        want[who or "anon"] = expected.get(who or "anon", 401)
    assert got == want


def test_roles__every_api_route_is_in_the_matrix(app):
    covered = {(m.upper(), p.split("?")[0]) for m, p, *_ in ROUTES}
    placeholders = {"<key>": "loop", "<instance_id>": "{id}", "<task_id>": "{task}", "<incident_id>": "{incident}",
                    "<kind>": "process", "<int:version>": "1", "<username>": "amina", "<name>": "clerks",
                    "<attachment_id>": "{attachment}"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/v1", "/engine-rest")) or rule.rule == "/api/v1/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = rule.rule
            for name, value in placeholders.items():
                path = path.replace(name, value)
            if path.startswith("/api/v1/decisions/"):
                path = path.replace("loop", "cofinancing_rate")
            if path.startswith("/api/v1/forms/"):
                path = path.replace("loop", "request")
            if path == "/api/v1/users/amina/password":
                path = "/api/v1/users/karim/password"  # karim's: the reset revokes amina's token
            assert (method, path) in covered, f"{method} {rule.rule} is missing from the roles matrix"
