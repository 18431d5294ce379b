"""API fixtures: the app on the test database, users of every role with their tokens, a caller."""
from __future__ import annotations

import pytest

from api import create_app
from tests.conftest import fixture_files

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_PROFILE": "CHEAPEST",  # argon2 at test speed
    "LOGIN_MAX_FAILURES": 1000,  # only test_auth's throttling tests lower these
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 1000,
    "LOG_LEVEL": "WARNING",
    "EXTERNAL_TASK_MAX_WAIT_SECONDS": 0.2,  # a generated long poll (schemathesis) answers quickly
}

# username, roles, groups
USERS = {
    "admin": ("root", ["admin"], []),
    "designer": ("dina", ["designer"], []),
    "clerk": ("amina", ["clerk"], ["clerks", "bureau_ordre"]),
    "clerk2": ("karim", ["clerk"], ["finance"]),
    "auditor": ("omar", ["auditor"], []),
}
PASSWORD = "correct horse battery"


@pytest.fixture
def app(engine):
    return create_app(dict(TEST_CONFIG), engine=engine)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app):
    """A bearer token per role key of USERS."""
    store = app.extensions["diwan.users"]
    out = {}
    for key, (name, roles, groups) in USERS.items():
        out[key] = store.issue_token(store.create_user(name, PASSWORD, roles, groups)).token
    return out


class Caller:
    """`call(method, path, who, **kwargs)`: a request as one of the USERS (or anonymous: who=None)."""

    def __init__(self, client, tokens):
        self.client, self.tokens = client, tokens

    def __call__(self, method: str, path: str, who: str | None = "admin", **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.open(path, method=method.upper(), headers=headers, **kwargs)


@pytest.fixture
def call(client, tokens):
    return Caller(client, tokens)


@pytest.fixture
def deployed(engine):
    """The test processes, decision and forms."""
    engine.deploy(fixture_files("loop.bpmn", "with_forms.bpmn", "request.form", "decision_form.form",
                                "event_gateway.bpmn", "two_starts.bpmn", "decision.bpmn", "rate.dmn"))
    return engine


def start_loop(call, who="clerk", **body):
    """Start `loop` (one `work` task for the group clerks) through the API; returns the instance."""
    body.setdefault("data", {"count": 0, "limit": 1})
    response = call("post", "/api/v1/process-definitions/loop/start", who, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ready_task(call, instance_id, who="admin"):
    items = call("get", f"/api/v1/tasks?instance_id={instance_id}", who).get_json()["items"]
    assert len(items) == 1, items
    return items[0]
