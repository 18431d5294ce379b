"""The `diwan` command line and the app's health route, on a real database."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from api import create_app
from api.cli import main
from engine import Engine, EngineSettings

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def cli_env(database_url, monkeypatch):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    return database_url


def test_cli__db_upgrade_then_deploy_and_redeploy(cli_env):
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    files = [str(FIXTURES / "with_forms.bpmn"), str(FIXTURES / "request.form"), str(FIXTURES / "decision_form.form")]
    first = runner.invoke(main, ["deploy", *files])
    assert first.exit_code == 0, first.output
    assert "process with_forms v1" in first.output and "form request v1" in first.output
    again = runner.invoke(main, ["deploy", *files])
    assert "process with_forms v1" in again.output  # identical content keeps its version


def test_cli__deploy_refusal_lists_file_and_element(cli_env, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text((FIXTURES / "representative.bpmn").read_text().replace("PT1H", "une heure"))
    result = CliRunner().invoke(main, ["deploy", str(bad)])
    assert result.exit_code == 1
    assert "bad.bpmn: review_timeout:" in result.output


def test_cli__deploy_a_folder(cli_env, tmp_path):
    for name in ("loop.bpmn", "representative.bpmn"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    result = CliRunner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 0 and "process loop v1" in result.output and "process representative v1" in result.output


def test_healthz__ok_and_definitions(database_url):
    engine = Engine(settings=EngineSettings(database_url=database_url))
    engine.deploy([FIXTURES / "loop.bpmn"])
    app = create_app({"TESTING": True, "PASSWORD_PROFILE": "CHEAPEST"}, engine=engine)
    store = app.extensions["diwan.users"]
    token = store.issue_token(store.create_user("dina", "design-pass", ["designer"])).token
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    assert client.get("/api/v1/process-definitions").status_code == 401
    [definition] = client.get("/api/v1/process-definitions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert definition["key"] == "loop" and definition["version"] == 1
    engine.dispose()


def test_healthz__503_when_the_database_is_unreachable():
    engine = Engine(settings=EngineSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = create_app({"TESTING": True}, engine=engine).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_cli__audit_verify(cli_env):
    import sqlalchemy as sa

    from engine import Engine, EngineSettings

    engine = Engine(settings=EngineSettings(database_url=cli_env))
    engine.deploy([FIXTURES / "loop.bpmn"])
    good = engine.start("loop", {"count": 0, "limit": 2})
    bad = engine.start("loop", {"count": 0, "limit": 2})
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--all"])
    assert ok.exit_code == 0 and "verified 2 instance(s): 2 ok, 0 failed" in ok.output
    with engine.db.begin() as conn:
        conn.execute(sa.text("update audit_event set payload = '{}' where instance_id = :i and seq = 1"), {"i": bad.id})
    failed = runner.invoke(main, ["audit", "verify", "--instance", good.id, "--instance", bad.id])
    assert failed.exit_code == 1
    assert f"FAIL {bad.id}: chain_ok=False" in failed.output and "first_bad_seq=1" in failed.output
    assert "1 ok, 1 failed" in failed.output
    with engine.db.begin() as conn:  # let the suite's final check pass
        conn.execute(sa.text("delete from audit_event where instance_id = :i"), {"i": bad.id})
        conn.execute(sa.text("delete from task_candidate where task_id in (select id from task where instance_id = :i)"),
                     {"i": bad.id})
        conn.execute(sa.text("delete from task where instance_id = :i"), {"i": bad.id})
        conn.execute(sa.text("delete from instance_task where instance_id = :i"), {"i": bad.id})
        conn.execute(sa.text("delete from instance where id = :i"), {"i": bad.id})
    engine.dispose()
