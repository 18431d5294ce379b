"""Instance migration through the API and the CLI: dry run, 422 naming what cannot map, the batch."""
from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from tests.api.conftest import start_loop
from tests.conftest import FIXTURES

LOOP = (FIXTURES / "loop.bpmn").read_text()
RENAMED = LOOP.replace('id="work"', 'id="traiter"').replace('Ref="work"', 'Ref="traiter"')


def test_migrations__dry_run_refusal_then_batch(call, deployed):
    instance = start_loop(call)
    deployed.deploy([("loop.bpmn", RENAMED.encode())])
    dry = call("post", "/api/v1/process-definitions/loop/migrations", "admin", json={"to_version": 2, "dry_run": True})
    assert dry.status_code == 200
    [item] = dry.get_json()["instances"]
    assert item["instance_id"] == instance["id"] and item["unmapped"] == ["work"] and not item["ok"]
    refused = call("post", "/api/v1/process-definitions/loop/migrations", "admin", json={"to_version": 2})
    assert refused.status_code == 422 and instance["id"] in refused.get_json()["errors"]
    done = call("post", "/api/v1/process-definitions/loop/migrations", "admin",
                json={"to_version": 2, "mapping": {"work": "traiter"}})
    assert done.status_code == 200 and done.get_json()["migrated"] == 1
    moved = call("get", f"/api/v1/process-instances/{instance['id']}", "admin").get_json()
    assert moved["definition_version"] == 2 and moved["active_elements"] == ["traiter"]
    assert call("post", "/api/v1/process-definitions/loop/migrations", "designer",
                json={"to_version": 2}).status_code == 403


def test_cli__instances_migrate(database_url, monkeypatch, engine):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    engine.deploy([("loop.bpmn", LOOP.encode())])
    inst = engine.start("loop", {"count": 0, "limit": 1}, business_key="B-1")
    engine.deploy([("loop.bpmn", RENAMED.encode())])
    runner = CliRunner()
    dry = runner.invoke(main, ["instances", "migrate", "loop", "--to", "2", "--dry-run"])
    assert dry.exit_code == 0 and f"{inst.id} (B-1) v1: cannot move" in dry.output and "0 migrated" in dry.output
    refused = runner.invoke(main, ["instances", "migrate", "loop", "--to", "2"])
    assert refused.exit_code == 1 and "work" in refused.output
    done = runner.invoke(main, ["instances", "migrate", "loop", "--to", "2", "--map", "work=traiter"])
    assert done.exit_code == 0 and "1 migrated to v2" in done.output, done.output
    engine.live.clear()
    assert engine.get_instance(inst.id).definition_version == 2
