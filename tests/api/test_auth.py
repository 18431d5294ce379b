"""Authentication and users: tokens, logout, throttling, user creation, the CLI."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from api import create_app
from api.cli import main
from engine import ManualClock
from engine.identity import UserStore, password_hasher
from tests.api.conftest import PASSWORD, TEST_CONFIG


def _login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_token__login_returns_token_expiry_and_user(client, tokens):
    response = _login(client, "amina")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"username": "amina", "roles": ["clerk"], "groups": ["bureau_ordre", "clerks"]}
    assert len(body["token"]) >= 43  # 32 random bytes, url-safe base64
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["username"] == "amina"


def test_token__wrong_password_or_unknown_user_is_401(client, tokens):
    for username, password in (("amina", "wrong password"), ("nobody", PASSWORD)):
        response = _login(client, username, password)
        assert response.status_code == 401
        assert response.get_json()["code"] == "unauthorized"


def test_token__missing_fields_are_422(client):
    response = client.post("/api/v1/auth/token", json={"username": "amina"})
    assert response.status_code == 422
    assert response.get_json() == {"code": "validation_error", "message": "Invalid input.",
                                   "errors": {"password": ["Missing data for required field."]}}


def test_token__is_stored_as_sha256_only(app, engine, tokens):
    import hashlib

    import sqlalchemy as sa

    from engine.db.users import api_token

    with engine.db.connect() as conn:
        stored = set(conn.execute(sa.select(api_token.c.token_hash)).scalars())
    assert tokens["clerk"] not in stored
    assert hashlib.sha256(tokens["clerk"].encode()).hexdigest() in stored


def test_logout__revokes_the_token(call):
    assert call("get", "/api/v1/auth/me", "clerk").status_code == 200
    response = call("post", "/api/v1/auth/logout", "clerk")
    assert response.status_code == 204 and response.data == b""
    again = call("get", "/api/v1/auth/me", "clerk")
    assert again.status_code == 401 and again.headers["WWW-Authenticate"] == "Bearer"


def test_auth__missing_malformed_or_unknown_bearer_is_401(client, tokens):
    for header in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YTpi"},
                   {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer " + "x" * 5000}):
        response = client.get("/api/v1/tasks", headers=header)
        assert response.status_code == 401, header
        assert response.get_json()["code"] == "unauthorized"


def test_token__expires_on_the_real_clock(engine):
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    store = UserStore(engine.db, token_ttl=timedelta(hours=1), hasher=password_hasher("CHEAPEST"), clock=clock)
    issued = store.login(store.create_user("amina", PASSWORD, ["clerk"]).username, PASSWORD)
    assert store.resolve(issued.token).username == "amina"
    clock.advance(timedelta(minutes=61))
    assert store.resolve(issued.token) is None


def test_token__throttled_after_repeated_failures(engine):
    app = create_app({**TEST_CONFIG, "LOGIN_MAX_FAILURES": 3, "LOGIN_WINDOW_SECONDS": 600}, engine=engine)
    app.extensions["diwan.users"].create_user("amina", PASSWORD, ["clerk"])
    client = app.test_client()
    assert [_login(client, "amina", "wrong password").status_code for _ in range(3)] == [401, 401, 401]
    throttled = _login(client, "amina")  # even the right password waits
    assert throttled.status_code == 429
    assert throttled.get_json()["code"] == "too_many_requests"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 601
    assert _login(client, "someone_else", "wrong password").status_code == 401  # per username


def _login_from(client, address, username, password=PASSWORD, **headers):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_token__a_stranger_cannot_lock_a_user_out_from_another_address(engine):
    app = create_app({**TEST_CONFIG, "LOGIN_MAX_FAILURES": 3, "LOGIN_MAX_FAILURES_PER_ADDRESS": 50}, engine=engine)
    app.extensions["diwan.users"].create_user("root", PASSWORD, ["admin"])
    client = app.test_client()
    assert [_login_from(client, "203.0.113.9", "root", "guess").status_code for _ in range(3)] == [401] * 3
    throttled = _login_from(client, "203.0.113.9", "root")  # the guesser waits, even with the right password
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 901
    assert _login_from(client, "198.51.100.7", "root").status_code == 200  # the admin, from their own desk


def test_token__one_address_trying_many_usernames_is_throttled(engine):
    app = create_app({**TEST_CONFIG, "LOGIN_MAX_FAILURES": 3, "LOGIN_MAX_FAILURES_PER_ADDRESS": 5,
                      "LOGIN_WINDOW_SECONDS": 600}, engine=engine)
    app.extensions["diwan.users"].create_user("amina", PASSWORD, ["clerk"])
    client = app.test_client()
    statuses = [_login_from(client, "203.0.113.9", f"user{i}", "guess").status_code for i in range(5)]
    assert statuses == [401] * 5  # each username tried once: only the address limit can stop this
    sprayed = _login_from(client, "203.0.113.9", "amina")
    assert sprayed.status_code == 429 and sprayed.get_json()["code"] == "too_many_requests"
    assert 1 <= int(sprayed.headers["Retry-After"]) <= 601
    assert _login_from(client, "192.0.2.1", "amina").status_code == 200


def test_token__x_forwarded_for_is_ignored_unless_proxies_are_trusted(engine):
    config = {**TEST_CONFIG, "LOGIN_MAX_FAILURES": 2, "LOGIN_MAX_FAILURES_PER_ADDRESS": 1000}
    direct = create_app(config, engine=engine)
    direct.extensions["diwan.users"].create_user("amina", PASSWORD, ["clerk"])
    client = direct.test_client()
    for forged in ("1.1.1.1", "2.2.2.2"):  # a client cannot pick a fresh address per guess
        assert _login_from(client, "203.0.113.9", "amina", "guess", **{"X-Forwarded-For": forged}).status_code == 401
    assert _login_from(client, "203.0.113.9", "amina", **{"X-Forwarded-For": "3.3.3.3"}).status_code == 429

    proxied = create_app({**config, "TRUSTED_PROXIES": 1}, engine=engine).test_client()
    # Behind one proxy (the socket peer 10.0.0.2), the client is the last X-Forwarded-For entry.
    for _ in range(2):
        response = _login_from(proxied, "10.0.0.2", "amina", "guess", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.4"})
        assert response.status_code == 401
    assert _login_from(proxied, "10.0.0.2", "amina", **{"X-Forwarded-For": "198.51.100.4"}).status_code == 429
    assert _login_from(proxied, "10.0.0.2", "amina", **{"X-Forwarded-For": "192.0.2.8"}).status_code == 200


def test_token__a_success_clears_earlier_failures(engine):
    app = create_app({**TEST_CONFIG, "LOGIN_MAX_FAILURES": 2}, engine=engine)
    app.extensions["diwan.users"].create_user("amina", PASSWORD, ["clerk"])
    client = app.test_client()
    assert _login(client, "amina", "wrong password").status_code == 401
    assert _login(client, "amina").status_code == 200
    assert _login(client, "amina", "wrong password").status_code == 401
    assert _login(client, "amina").status_code == 200


def test_users__admin_creates_a_user_who_can_log_in(call, client):
    response = call("post", "/api/v1/users", "admin", json={
        "username": "leila", "password": "s3cret-pass", "roles": ["clerk", "auditor"], "groups": ["finance"]})
    assert response.status_code == 201
    assert response.get_json() == {"username": "leila", "roles": ["auditor", "clerk"], "groups": ["finance"]}
    assert _login(client, "leila", "s3cret-pass").status_code == 200


def test_users__duplicate_username_is_409(call):
    response = call("post", "/api/v1/users", "admin", json={"username": "amina", "password": "s3cret-pass",
                                                            "roles": ["clerk"]})
    assert response.status_code == 409 and response.get_json()["code"] == "conflict"


def test_users__invalid_fields_are_422_by_field(call):
    response = call("post", "/api/v1/users", "admin", json={
        "username": "bad name!", "password": "short", "roles": ["boss"], "groups": ["a b"]})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"username", "password", "roles", "groups"}


def test_users__system_is_reserved(call):
    response = call("post", "/api/v1/users", "admin", json={"username": "system", "password": "s3cret-pass",
                                                            "roles": ["clerk"]})
    assert response.status_code == 422 and "username" in response.get_json()["errors"]


def test_users__only_admins_create_or_list(call):
    body = {"username": "leila", "password": "s3cret-pass", "roles": ["clerk"]}
    assert call("post", "/api/v1/users", "designer", json=body).status_code == 403
    assert call("post", "/api/v1/users", None, json=body).status_code == 401
    listed = call("get", "/api/v1/users?per_page=2", "admin").get_json()
    assert listed["total"] == 5 and [u["username"] for u in listed["items"]] == ["amina", "dina"]


def test_cli__users_create_with_roles_and_groups(database_url, monkeypatch, engine):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["users", "create", "root", "--password", "admin-pass",
                                       "--role", "admin", "--role", "auditor", "--group", "g1", "--group", "g2"])
    assert result.exit_code == 0, result.output
    assert "user root created" in result.output
    user = UserStore(engine.db, hasher=password_hasher("CHEAPEST")).authenticate("root", "admin-pass")
    assert user.roles == ("admin", "auditor") and user.groups == ("g1", "g2")
    again = CliRunner().invoke(main, ["users", "create", "root", "--password", "admin-pass", "--role", "admin"])
    assert again.exit_code == 1 and "taken" in again.output
    bad = CliRunner().invoke(main, ["users", "create", "x", "--password", "short", "--role", "admin"])
    assert bad.exit_code == 1 and "password" in bad.output
