"""Camunda's published external-task clients against a live diwan server (a real HTTP server in a
thread on the test database): the Python client from PyPI in this process, the JS client from
npm in a node subprocess."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api import create_app
from tests.api.conftest import TEST_CONFIG
from tests.conftest import fixture_files

ROOT = Path(__file__).resolve().parents[2]
WORKER_USER, WORKER_PASSWORD = "robot", "robot-password-1"


@pytest.fixture
def server_app(engine):
    engine.deploy(fixture_files("external_tasks.bpmn"))
    app = create_app({**TEST_CONFIG, "EXTERNAL_TASK_MAX_WAIT_SECONDS": 10}, engine=engine)
    app.extensions["diwan.users"].create_user(WORKER_USER, WORKER_PASSWORD, ["worker"])
    return app


@pytest.fixture
def base_url(server_app):
    """The server's Camunda REST base (what the clients call `baseUrl`)."""
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/engine-rest"
    server.shutdown()
    thread.join(5)


def review_task(engine, instance_id):
    tasks = engine.list_tasks(see_all=True, instance_id=instance_id).items
    return [t.element_id for t in tasks]
