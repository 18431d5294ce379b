"""POST /process-definitions/{key}/start with a business key an instance of the process has: 409 naming it."""
from __future__ import annotations

from tests.api.conftest import start_loop


def test_start__a_taken_business_key_is_a_409_naming_it(call, deployed):
    first = start_loop(call, business_key="REC-2026-0042")
    response = call("post", "/api/v1/process-definitions/loop/start", "clerk",
                    json={"data": {"count": 0, "limit": 1}, "business_key": "REC-2026-0042"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "conflict" and "REC-2026-0042" in body["message"] and first["id"] in body["message"]
    assert "business_key" in body["errors"]
    listed = call("get", "/api/v1/process-instances?business_key=REC-2026-0042", "admin").get_json()
    assert listed["total"] == 1
