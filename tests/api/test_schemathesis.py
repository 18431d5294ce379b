"""Property-based requests from /api/v1/openapi.json (schemathesis, in-process WSGI, as admin): no 5xx.

One test walks every operation (schemathesis' pytest fixture loader does not run on pytest 9),
twice: with generated path parameters (mostly unknown ids), then with ids that exist.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import ready_task, start_loop

MAX_EXAMPLES = 15


def _real_parameters(path: str, instance_id: str, task_id: str) -> dict[str, str]:
    key = ("cofinancing_rate" if path.startswith("/api/v1/decisions") else
           "decision_form" if path.startswith("/api/v1/forms") else
           "loop" if path.endswith("/start") else "with_forms")
    return {"key": key, "instance_id": instance_id, "task_id": task_id, "incident_id": "no-such-incident",
            "kind": "process", "version": 1, "username": "amina", "name": "clerks", "attachment_id": "no-such-file"}


def test_api__no_server_errors(app, deployed, call, tokens):
    instance = start_loop(call, "admin")
    task = ready_task(call, instance["id"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    failures, operations = {}, 0
    # Tasks before the instance's suspend, resume and cancel, so they meet a running instance.
    ended_last = ("/suspend", "/resume", "/cancel")
    for operation in sorted((r.ok() for r in schema.get_all_operations()),
                            key=lambda op: [op.path.endswith(e) for e in ended_last]):
        if operation.path == "/api/v1/auth/logout":
            continue  # it would revoke the admin token the other operations use
        real = _real_parameters(operation.path, instance["id"], task["id"])
        for use_real in (False, True) if "{" in operation.path else (False,):

            @given(case=operation.as_strategy())
            @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            def run(case):
                if use_real:
                    case.path_parameters = {k: real[k] for k in case.path_parameters}
                response = case.call(headers={**(case.headers or {}), **headers})
                case.validate_response(response, checks=[not_a_server_error])

            operations += 1
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
                failures[f"{operation.method.upper()} {operation.path} real={use_real}"] = \
                    f"{type(exc).__name__}: {exc}"[:3000]
    assert operations >= 40
    assert failures == {}
