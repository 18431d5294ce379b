"""Clerk work through the API: claim-to-complete (409), reassign, comments, attachments, access log, inbox filters."""
from __future__ import annotations

import hashlib
import io

import pytest

from api import create_app
from engine import Engine, EngineSettings
from tests.api.conftest import PASSWORD, TEST_CONFIG, Caller
from tests.conftest import fixture_files, verify_every_instance

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# username, roles, groups
PEOPLE = {"amina": (["clerk"], ["bureau_ordre"]), "karim": (["clerk"], ["bureau_ordre"]),
          "salma": (["clerk"], ["finance"]), "nadia": (["clerk", "supervisor"], ["bureau_ordre"]),
          "omar": (["auditor"], []), "root": (["admin"], [])}


@pytest.fixture
def call(database_url, clock, connectors):
    engine = Engine(settings=EngineSettings(database_url=database_url, require_claim=True), clock=clock,
                    connectors=connectors)
    app = create_app(dict(TEST_CONFIG), engine=engine)
    store = app.extensions["diwan.users"]
    tokens = {name: store.issue_token(store.create_user(name, PASSWORD, roles, groups)).token
              for name, (roles, groups) in PEOPLE.items()}
    engine.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    yield Caller(app.test_client(), tokens)
    verify_every_instance(engine)
    engine.dispose()


def _case(call, key="CW-1", name="Fatima Zahra El Idrissi"):
    r = call("post", "/api/v1/process-definitions/clerk_work/start", "amina",
             json={"data": {"applicant_name": name}, "business_key": key})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    [task] = call("get", f"/api/v1/tasks?instance_id={iid}", "root").get_json()["items"]
    return iid, task["id"]


def _upload(call, task, who="amina", field="justificatif", content=PDF, name="acte.pdf"):
    return call("post", f"/api/v1/tasks/{task}/attachments", who, content_type="multipart/form-data",
                data={"field": field, "file": (io.BytesIO(content), name)})


def test_complete__needs_the_claim_409_with_a_clear_message(call):
    iid, task = _case(call)
    r = call("post", f"/api/v1/tasks/{task}/complete", "amina", json={"data": {}})
    assert r.status_code == 409 and "claim the task" in r.get_json()["message"]
    assert call("post", f"/api/v1/tasks/{task}/claim", "amina").status_code == 200
    up = _upload(call, task)
    assert up.status_code == 201, up.get_json()
    r = call("post", f"/api/v1/tasks/{task}/complete", "amina", json={"data": {"justificatif": [up.get_json()["id"]]}})
    assert r.status_code == 200 and r.get_json()["active_elements"] == ["examiner"]


def test_reassign__route_statuses(call):
    iid, task = _case(call)
    assert call("post", f"/api/v1/tasks/{task}/reassign", "amina", json={"to_user": "karim"}).status_code == 409
    call("post", f"/api/v1/tasks/{task}/claim", "amina")
    r = call("post", f"/api/v1/tasks/{task}/reassign", "karim", json={"to_user": "karim"})
    assert r.status_code == 403
    r = call("post", f"/api/v1/tasks/{task}/reassign", "amina", json={"to_user": "salma"})
    assert r.status_code == 422 and "to_user" in r.get_json()["errors"]
    r = call("post", f"/api/v1/tasks/{task}/reassign", "amina", json={"to_user": "karim"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "karim"
    r = call("post", f"/api/v1/tasks/{task}/reassign", "nadia", json={"to_user": "amina"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "amina"
    assert call("post", f"/api/v1/tasks/{task}/reassign", "omar", json={"to_user": "amina"}).status_code == 403


def test_comments__posted_listed_and_checked(call):
    iid, task = _case(call)
    r = call("post", f"/api/v1/process-instances/{iid}/comments", "amina", json={"text": "Appeler la requérante."})
    assert r.status_code == 201 and r.get_json()["actor"] == "amina"
    assert call("post", f"/api/v1/process-instances/{iid}/comments", "amina", json={"text": ""}).status_code == 422
    assert call("post", f"/api/v1/process-instances/{iid}/comments", "salma", json={"text": "x"}).status_code == 403
    assert call("post", f"/api/v1/process-instances/{iid}/comments", "omar", json={"text": "x"}).status_code == 403
    items = call("get", f"/api/v1/process-instances/{iid}/comments", "omar").get_json()["items"]
    assert [c["text"] for c in items] == ["Appeler la requérante."]


def test_attachments__upload_download_and_refusals(call):
    iid, task = _case(call)
    call("post", f"/api/v1/tasks/{task}/claim", "amina")
    assert _upload(call, task, content=b"\x89PNG\r\n\x1a\n....", name="x.pdf").status_code == 422
    assert _upload(call, task, field="note").status_code == 422
    assert _upload(call, task, who="karim").status_code == 409  # claimed by amina
    up = _upload(call, task, name="acte de naissance.pdf").get_json()
    assert up["sha256"] == hashlib.sha256(PDF).hexdigest() and up["content_type"] == "application/pdf"
    r = call("get", f"/api/v1/attachments/{up['id']}", "omar")
    assert r.status_code == 200 and r.data == PDF and r.headers["Content-Type"] == "application/pdf"
    assert "attachment;" in r.headers["Content-Disposition"] and r.headers["X-Content-Type-Options"] == "nosniff"
    assert call("get", f"/api/v1/attachments/{up['id']}", "salma").status_code == 403
    assert call("get", "/api/v1/attachments/nope", "omar").status_code == 404
    listed = call("get", f"/api/v1/process-instances/{iid}/attachments", "amina").get_json()["items"]
    assert [a["id"] for a in listed] == [up["id"]]


def test_access_log__reads_of_case_data_are_recorded_for_auditors(call):
    iid, task = _case(call)
    call("get", f"/api/v1/process-instances/{iid}", "amina")
    call("get", f"/api/v1/tasks/{task}", "karim")
    call("get", f"/api/v1/process-instances/{iid}/history", "omar")
    assert call("get", "/api/v1/access-log", "amina").status_code == 403
    r = call("get", f"/api/v1/access-log?instance_id={iid}", "omar")
    assert r.status_code == 200
    assert [(x["actor"], x["view"]) for x in r.get_json()["items"]] == [
        ("omar", "api_history"), ("karim", "api_task"), ("amina", "api_instance")]
    assert call("get", "/api/v1/access-log?actor=karim", "root").get_json()["total"] == 1


def test_inbox__filters_and_sort_by_query(call):
    _case(call, "CW-1", "Fatima Zahra El Idrissi")
    _case(call, "REC-2026-0003", "Youssef Benali")
    items = call("get", "/api/v1/tasks?q=FATIMA", "amina").get_json()["items"]
    assert len(items) == 1
    assert call("get", "/api/v1/tasks?q=rec-2026", "amina").get_json()["total"] == 1
    assert call("get", "/api/v1/tasks?due=week&sort=-created", "amina").get_json()["total"] == 2
    r = call("get", "/api/v1/tasks?due=someday", "amina")
    assert r.status_code == 422 and "due" in r.get_json()["errors"]


def test_dashboard__json_csv_and_xlsx_for_supervisors(call):
    import openpyxl

    _case(call, "CW-1")
    assert call("get", "/api/v1/dashboard/sla", "amina").status_code == 403
    assert call("get", "/api/v1/dashboard/sla", "omar").status_code == 403
    r = call("get", "/api/v1/dashboard/sla", "nadia")
    assert r.status_code == 200
    board = r.get_json()
    assert board["volumes"][0]["definition_key"] == "clerk_work" and board["volumes"][0]["running"] == 1
    assert board["generated_at"].startswith("20")
    csv_r = call("get", "/api/v1/dashboard/sla?format=csv", "nadia")
    assert csv_r.status_code == 200 and csv_r.data.startswith("\ufeff".encode())
    text = csv_r.data.decode("utf-8-sig")
    assert "Procédure;En cours;Terminées" in text and "clerk_work;1;0" in text
    x = call("get", "/api/v1/dashboard/sla?format=xlsx", "root")
    assert x.status_code == 200 and x.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(x.data))
    assert book.sheetnames[0] == "Volumes par procédure"
    assert [c.value for c in book["Volumes par procédure"][2]][:3] == ["clerk_work", 1, 0]
    assert call("get", "/api/v1/dashboard/sla?format=pdf", "root").status_code == 422
