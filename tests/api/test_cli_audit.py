"""`diwan audit checkpoint | anchor | verify`: signed checkpoints from the command line, and
verify's findings as an auditor reads them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from engine import Actor, Engine, EngineSettings
from tests.conftest import PG_URL, verify_every_instance

FIXTURES = Path(__file__).parent.parent / "fixtures"
CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))


@pytest.fixture
def signed_cli(database_url, monkeypatch, tmp_path):
    """The CLI's environment (database and key file) and an engine on the same database."""
    key = tmp_path / "audit.key"
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    monkeypatch.setenv("DIWAN_AUDIT_KEY_FILE", str(key))
    engine = Engine(settings=EngineSettings(require_claim=False, database_url=database_url, audit_key_file=str(key)))
    engine.deploy([FIXTURES / "loop.bpmn"])
    yield engine
    verify_every_instance(engine)
    engine.dispose()


def run(*args: str):
    """The command; JSON is read from its stdout (logs go to stderr)."""
    return CliRunner().invoke(main, ["audit", *args])


def complete_one(engine, instance_id: str) -> str:
    [task] = engine.list_tasks(see_all=True, instance_id=instance_id).items
    engine.complete_task(task.id, {}, actor=CLERK)
    return task.id


def test_cli__checkpoint_then_anchor_prints_the_signed_checkpoint_with_the_public_key(signed_cli):
    a = signed_cli.start("loop", {"count": 0, "limit": 3}, actor=CLERK).id
    b = signed_cli.start("loop", {"count": 0, "limit": 3}, actor=CLERK).id
    made = run("checkpoint")
    assert made.exit_code == 0, made.output
    checkpoint = json.loads(made.stdout)
    assert checkpoint["seq"] == 1 and checkpoint["leaf_count"] == 2
    assert run("checkpoint").stdout.strip() == "no chain head changed since checkpoint 1"
    anchor = json.loads(run("anchor").stdout)
    assert anchor["seq"] == 1 and anchor["root"] == checkpoint["root"] and "leaves" not in anchor
    assert anchor["public_key"]["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in anchor["public_key"]["pem"]
    with_leaves = json.loads(run("anchor", "--leaves").stdout)
    assert {leaf["instance_id"] for leaf in with_leaves["leaves"]} == {a, b}


def test_cli__verify_prints_each_finding_and_fails_on_a_rewritten_covered_chain(signed_cli, tmp_path):
    good = signed_cli.start("loop", {"count": 0, "limit": 3}, actor=CLERK).id
    bad = signed_cli.start("loop", {"count": 0, "limit": 3}, actor=CLERK).id
    task_id = complete_one(signed_cli, bad)
    assert run("checkpoint").exit_code == 0
    held = tmp_path / "anchor.json"
    held.write_text(run("anchor").stdout)
    ok = run("verify", "--all", "--anchor", str(held))
    assert ok.exit_code == 0, ok.output
    assert "verified 2 instance(s): 2 ok, 0 failed" in ok.output and "checkpoint 1 of " in ok.output
    assert "2 verified" in ok.output
    with signed_cli.db.begin() as conn:
        conn.execute(sa.text("update task set completed_by = 'mallory' where id = :t"), {"t": task_id})
    failed = run("verify", "--instance", good, "--instance", bad)
    assert failed.exit_code == 1
    assert f"FAIL {bad}: chain_ok=True replay_ok=True projections_ok=False" in failed.output
    assert f'task task {task_id} completed_by: stored "mallory", expected "amina"' in failed.output
    assert "1 ok, 1 failed" in failed.output
    with signed_cli.db.begin() as conn:  # the checkpoints go, and with them the proof: the anchor says so
        conn.execute(sa.text("update task set completed_by = 'amina' where id = :t"), {"t": task_id})
        conn.execute(sa.text("delete from audit_checkpoint_leaf"))
        conn.execute(sa.text("delete from audit_checkpoint"))
    gone = run("verify", "--all", "--anchor", str(held))
    assert gone.exit_code == 1
    assert "FAIL checkpoints: checkpoint 1, held by the anchor, is missing from the database" in gone.output
    assert "verified 2 instance(s): 2 ok, 0 failed" in gone.output


def test_cli__verify_rejects_an_anchor_that_is_not_json(signed_cli, tmp_path):
    held = tmp_path / "anchor.json"
    held.write_text("not json")
    result = run("verify", "--all", "--anchor", str(held))
    assert result.exit_code == 2 and "is not JSON" in result.output


def test_cli__checkpoint_and_anchor_without_a_key(database_url, monkeypatch):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    monkeypatch.delenv("DIWAN_AUDIT_KEY_FILE", raising=False)
    engine = Engine(settings=EngineSettings(require_claim=False, database_url=database_url))
    engine.deploy([FIXTURES / "loop.bpmn"])
    engine.start("loop", {"count": 0, "limit": 3})
    checkpoint = run("checkpoint")
    if PG_URL:  # PostgreSQL and no key file: checkpoints are off, and every command says so
        assert checkpoint.exit_code == 1 and "DIWAN_AUDIT_KEY_FILE" in checkpoint.output
        anchor = run("anchor")
        assert anchor.exit_code == 1 and "checkpoints are off" in anchor.output
        assert "checkpoints are off" in run("verify", "--all").output
    else:  # a SQLite file: the key is generated beside it
        assert checkpoint.exit_code == 0 and json.loads(checkpoint.stdout)["seq"] == 1
        assert Path(engine.settings.database_url.removeprefix("sqlite:///") + ".audit-key").exists()
    verify_every_instance(engine)
    engine.dispose()
