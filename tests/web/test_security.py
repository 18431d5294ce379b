"""The pages' security without a browser (Flask test client): session cookie flags, CSRF
on page posts and on API calls with the session, roles and redirects, CSP, no inline
scripts, the node_modules allow-list."""
from __future__ import annotations

import re

import pytest

from api import create_app

from .conftest import PASSWORD, TEST_CONFIG, USERS

PAGES = ["/tasks", "/processes", "/designer", "/modeler", "/instances", "/forms/x/edit"]
ADMIN_PAGES = ["/admin", "/admin/incidents", "/admin/instances", "/admin/users", "/admin/groups", "/admin/definitions",
               "/admin/migrations"]


@pytest.fixture
def client(engine):
    app = create_app(dict(TEST_CONFIG), engine=engine)
    store = app.extensions["diwan.users"]
    for name, roles, groups in USERS.values():
        store.create_user(name, PASSWORD, roles, groups)
    return app.test_client()


def csrf_of(response) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)


def login(client, who: str):
    page = client.get("/login")
    response = client.post("/login", data={"username": USERS[who][0], "password": PASSWORD,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 302, response.text
    return response


def test_anonymous_pages_redirect_to_login(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), path


def test_login_sets_a_hardened_cookie_and_needs_csrf(client):
    page = client.get("/login")
    assert client.post("/login", data={"username": "amina", "password": PASSWORD}).status_code == 400
    wrong = client.post("/login", data={"username": "amina", "password": "nope", "csrf_token": csrf_of(page)})
    assert wrong.status_code == 401 and "incorrect" in wrong.text
    response = login(client, "clerk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # TESTING; Secure otherwise


def test_secure_cookie_outside_testing(engine):
    app = create_app(dict(TEST_CONFIG, TESTING=False), engine=engine)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_api_accepts_the_session_only_with_the_csrf_header(client):
    login(client, "clerk")
    token = csrf_of(client.get("/tasks"))
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers={"X-CSRF-Token": "forged"}).status_code == 401
    assert client.get("/api/v1/tasks", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/logout").status_code == 400  # the page post needs the token too
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/tasks", headers={"X-CSRF-Token": token}).status_code == 401
    assert client.get("/tasks").status_code == 302


@pytest.mark.parametrize("who,allowed,refused", [
    ("clerk", ["/tasks", "/processes", "/instances"], ["/designer", "/modeler", "/forms/x/edit", *ADMIN_PAGES,
                                                      "/admin/journal"]),
    ("designer", ["/designer", "/modeler", "/processes", "/forms/x/edit"], ["/tasks", "/instances", *ADMIN_PAGES]),
    ("auditor", ["/instances", "/tasks", "/processes", "/admin/journal"], ["/designer", "/modeler", *ADMIN_PAGES]),
    ("admin", [*ADMIN_PAGES, "/admin/journal", "/designer"], []),
])
def test_pages_enforce_roles(client, who, allowed, refused):
    login(client, who)
    for path in allowed:
        assert client.get(path).status_code == 200, (who, path)
    for path in refused:
        response = client.get(path)
        assert response.status_code == 403 and "Accès refusé" in response.text, (who, path)


def test_strict_csp_and_no_inline_scripts(client):
    login(client, "admin")
    for path in PAGES + ADMIN_PAGES + ["/admin/journal", "/login"]:
        response = client.get(path) if path != "/login" else client.get("/tasks/nope")
        assert response.status_code == (404 if path == "/login" else 200), path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "'unsafe-eval'" not in csp, path
        inline_styles = path in ("/modeler", "/forms/x/edit")
        assert ("'unsafe-inline'" in csp) == inline_styles, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), path
        assert not re.search(r"\son[a-z]+=", response.text), path
        assert "<style" not in response.text, path
    docs = client.get("/api/docs")
    if docs.status_code == 200:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs.text)
        assert "script-src 'self';" in docs.headers["Content-Security-Policy"]


def test_vendor_route_serves_only_the_allow_list(client):
    from api.web import assets

    if not (assets.DEFAULT_NODE_MODULES / assets.ALLOWED[0]).is_file():
        pytest.skip("node_modules is not installed (npm install)")
    assert client.get("/vendor/bpmn-js/dist/bpmn-modeler.production.min.js").status_code == 200
    assert client.get("/vendor/bpmn-js/dist/assets/bpmn-font/css/bpmn.css").status_code == 200
    for path in ["/vendor/bpmn-js/package.json", "/vendor/../package.json", "/vendor/bpmn-js/dist/assets/../../package.json",
                 "/vendor/swagger-ui-dist/index.html", "/vendor/%2e%2e/package.json"]:
        assert client.get(path).status_code == 404, path


def test_unknown_task_and_instance_pages_are_404_pages(client):
    login(client, "admin")
    for path in ["/tasks/nope", "/instances/nope"]:
        response = client.get(path)
        assert response.status_code == 404 and "introuvable" in response.text, path


def test_security_headers_once_each_and_a_views_own_kept(client):
    from flask import Response

    app = client.application

    @app.get("/_own_frame_policy")
    def _own():
        return Response("x", headers={"X-Frame-Options": "SAMEORIGIN", "referrer-policy": "no-referrer"})

    own = client.get("/_own_frame_policy")
    assert own.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert own.headers.getlist("Referrer-Policy") == ["no-referrer"]  # named in another case: still its own
    assert own.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert len(own.headers.getlist("Content-Security-Policy")) == 1
    page = client.get("/login")
    for name, value in (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
                        ("Referrer-Policy", "same-origin")):
        assert page.headers.getlist(name) == [value]
    assert len(page.headers.getlist("Content-Security-Policy")) == 1
