"""The modeler opens every diagram of processes/bpmn (deployed: /modeler/<key>; from disk
otherwise) and imports every file of tests/conformance/miwg, without a JavaScript error.
Both folders are globbed at run time (processes/bpmn fills up as the processes are written)."""
from __future__ import annotations

from pathlib import Path

import re

import pytest
from playwright.sync_api import expect

from engine import DiwanError

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes" / "bpmn"
MIWG = ROOT / "tests" / "conformance" / "miwg"


def import_file(page, path: Path):
    page.locator("#import-file").set_input_files(str(path))
    expect(page.locator("body")).to_have_attribute("data-imported-file", path.name)
    status = page.locator("body").get_attribute("data-imported")
    assert status.startswith("ok:"), (path.name, status)
    assert page.locator("#canvas .djs-element").count() > 1, path.name


def open_new_diagram(page):
    """A new diagram is a draft first (procedure_N): the modeler opens it empty."""
    page.goto("/designer")
    page.get_by_role("button", name="Nouveau diagramme").click()
    page.wait_for_url(re.compile(r"/modeler/procedure_\d+$"))
    expect(page.locator("body")).to_have_attribute("data-imported-file", re.compile(r"^procedure_\d+$"))


def test_modeler_opens_every_process_diagram(engine, session_factory, users):
    diagrams = sorted(PROCESSES.glob("*.bpmn"))
    if not diagrams:
        pytest.skip("processes/bpmn has no diagram yet")
    support = [(f.name, f.read_bytes()) for f in [*PROCESSES.glob("*.dmn"), *(ROOT / "forms").glob("*.form")]]
    s = session_factory()
    page = s.login(users["designer"])
    opened, imported = [], []
    for path in diagrams:
        try:
            deployment = engine.deploy([(path.name, path.read_bytes()), *support])
        except DiwanError:  # a diagram still being written: import it from disk instead
            open_new_diagram(page)
            import_file(page, path)
            imported.append(path.name)
            continue
        key = next(d["key"] for d in deployment.definitions if d["key"] in path.read_text())
        page.goto(f"/modeler/{key}")
        expect(page.locator("body")).to_have_attribute("data-imported-file", key)
        status = page.locator("body").get_attribute("data-imported")
        assert status.startswith("ok:"), (path.name, status)  # import warnings show on the page, not errors
        assert page.locator("#canvas .djs-shape").count() > 3, path.name
        s.shot(f"modeler-{key}")
        opened.append(key)
    s.assert_no_errors()
    assert opened or imported


def test_modeler_imports_every_miwg_file(session_factory, users):
    files = sorted(MIWG.glob("*.bpmn"))
    assert len(files) >= 20, f"the MIWG corpus is part of the repository: {MIWG}"
    s = session_factory()
    page = s.login(users["designer"])
    open_new_diagram(page)
    for path in files:
        import_file(page, path)
        if path.name in ("A.4.0.bpmn", "C.1.0.bpmn"):
            s.shot(f"miwg-{path.stem}")
    s.assert_no_errors()
