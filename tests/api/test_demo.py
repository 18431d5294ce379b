"""`diwan demo`: demo users of every group and role, instances of each deployed process."""
from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from engine import Engine, EngineSettings
from engine.demo import DEMO_PASSWORD, DEMO_USERS
from engine.identity import UserStore
from tests.conftest import verify_every_instance

GROUPS = {"bureau_ordre", "service_juridique", "service_consulaire", "service_social", "superviseurs",
          "comite_labellisation", "evaluateurs", "comite_financement", "service_financier", "assistants_sociaux",
          "consulats"}


def test_demo__users_instances_and_refusal_on_a_used_database(database_url, monkeypatch):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    engine = Engine(settings=EngineSettings(database_url=database_url))
    users = UserStore(engine.db)
    roles = {r for _, rs, _ in DEMO_USERS for r in rs}
    assert roles == {"admin", "designer", "clerk", "auditor"}
    assert GROUPS == {g for _, _, gs in DEMO_USERS for g in gs}
    for name, _, _ in DEMO_USERS:
        assert users.authenticate(name, DEMO_PASSWORD).username == name
    instances = engine.list_instances(per_page=500).items
    deployed = {d.key for d in engine.list_definitions()}
    assert deployed and {i.definition_key for i in instances} == deployed  # every process has demo instances
    assert len({i.status for i in instances}) >= 2  # some still running, some ended
    assert engine.list_tasks(see_all=True).total > 0
    verify_every_instance(engine)
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 1 and "already has instances" in again.output
    assert runner.invoke(main, ["demo", "--if-empty"]).exit_code == 0
    engine.dispose()
