"""The bundled processes/ and forms/ are deployed once: `diwan serve` restarts, `diwan demo`
and `diwan deploy` of the disk files never put them back over what a designer published."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from engine import Engine, EngineSettings

from .serve_process import ROOT, diwan_serve

COMPLAINT = ROOT / "processes" / "bpmn" / "complaint_handling.bpmn"


def _serve_once(database_url: str, log_path: Path) -> None:
    """Run `diwan serve` until /healthz answers, then stop it (a start and a stop of the server)."""
    with diwan_serve(database_url, log_path, deploy=True, ready_seconds=90):
        pass


def _edited(with_forms: bool = False) -> list[tuple[str, bytes]]:
    """complaint_handling as a designer changed it (a renamed task)."""
    forms = [(f.name, f.read_bytes()) for f in sorted((ROOT / "forms").glob("rec_*.form"))] if with_forms else []
    return [("complaint_handling.bpmn",
             COMPLAINT.read_bytes().replace(b'name="Enregistrer', b'name="Enregistrer et qualifier', 1)), *forms]


@pytest.fixture
def engine_on(database_url, monkeypatch):
    monkeypatch.setenv("DIWAN_DATABASE_URL", database_url)
    engine = Engine(settings=EngineSettings(database_url=database_url))
    yield engine
    engine.dispose()


def test_serve__deploys_the_bundled_files_once_and_never_over_a_designers_version(engine_on, database_url,
                                                                                    tmp_path):
    _serve_once(database_url, tmp_path / "serve.log")
    first = {d.key: d.version for d in engine_on.list_definitions()}
    assert first and set(first.values()) == {1}
    assert engine_on.deploy(_edited()).definitions[0]["version"] == 2  # published from the browser
    _serve_once(database_url, tmp_path / "serve.log")
    assert [v.version for v in engine_on.definition_versions("complaint_handling")] == [2, 1]
    assert "Enregistrer et qualifier" in engine_on.definition_source("complaint_handling")
    assert {d.key: d.version for d in engine_on.list_definitions()} == {**first, "complaint_handling": 2}


def test_demo__keeps_what_a_designer_published(engine_on):
    assert engine_on.deploy(_edited(with_forms=True)).definitions[0]["version"] == 1
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "process complaint_handling v1 (already deployed: left as it is)" in result.output
    assert "Enregistrer et qualifier" in engine_on.definition_source("complaint_handling")
    assert [v.version for v in engine_on.definition_versions("complaint_handling")] == [1]


def test_cli_deploy__the_disk_copy_of_an_older_version_leaves_the_current_one(engine_on):
    runner = CliRunner()
    folders = [str(ROOT / "processes" / "bpmn"), str(ROOT / "forms")]
    assert runner.invoke(main, ["deploy", *folders]).exit_code == 0
    engine_on.deploy(_edited())
    result = runner.invoke(main, ["deploy", *folders])
    assert result.exit_code == 0, result.output
    assert "process complaint_handling v1 (the content of an older version" in result.output
    assert "process grant_cofinancing v1 (unchanged)" in result.output
    assert engine_on.get_definition("complaint_handling").version == 2
