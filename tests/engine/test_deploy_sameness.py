"""Versions by meaning: a file written differently but saying the same keeps its version; the
bytes of an older version never replace a newer one; bundled deploys never touch a key that
has versions."""
from __future__ import annotations

import orjson
import pytest
from lxml import etree

from engine.definitions import sameness
from tests.conftest import FIXTURES

ROOT = FIXTURES.parents[1]
COMPLAINT = ROOT / "processes" / "bpmn" / "complaint_handling.bpmn"
FORM = ROOT / "forms" / "rec_depot.form"


@pytest.fixture
def connectors():
    """The ministry's connectors (the bundled processes name them)."""
    from engine.connectors.ministry import ministry_connectors
    from engine.connectors.transports import LogTransport

    return ministry_connectors(LogTransport())


def _rewritten(xml: bytes) -> bytes:
    """The same diagram as another tool writes it: other prefixes, attribute order, indentation,
    no comments, an exporter stamp."""
    root = etree.fromstring(xml)
    nsmap = {("semantic" if k == "bpmn" else k): v for k, v in root.nsmap.items()}
    copy = etree.Element(root.tag, nsmap=nsmap)

    def clone(src, dst):
        for k, v in reversed(list(src.attrib.items())):
            dst.set(k, v)
        dst.text = src.text
        for child in src:
            if not isinstance(child.tag, str):
                continue
            clone(child, etree.SubElement(dst, child.tag))

    clone(root, copy)
    copy.set("exporter", "Camunda Modeler")
    for node in copy.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
    etree.indent(copy, space="    ")
    return etree.tostring(copy, xml_declaration=True, encoding="UTF-8")


def _complaint_files(process: bytes | None = None, form: bytes | None = None):
    files = [("complaint_handling.bpmn", process or COMPLAINT.read_bytes())]
    for f in sorted((ROOT / "forms").glob("rec_*.form")):
        files.append((f.name, form if form is not None and f.name == FORM.name else f.read_bytes()))
    return files


def test_sameness__formatting_prefixes_and_attribute_order_say_the_same():
    original = COMPLAINT.read_text()
    rewritten = _rewritten(COMPLAINT.read_bytes()).decode()
    assert rewritten != original and "semantic:" in rewritten
    assert sameness.same("process", original, rewritten)
    changed = original.replace('name="Enregistrer', 'name="Bien enregistrer', 1)
    assert changed != original and not sameness.same("process", original, changed)


def test_sameness__a_script_line_indentation_is_meaning():
    script = "<bpmn:script>if a:\n    b = 1\nc = 2</bpmn:script>"
    head = '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    a = f"{head}<bpmn:process id='p'><bpmn:scriptTask id='s'>{script}</bpmn:scriptTask></bpmn:process></bpmn:definitions>"
    b = a.replace("\nc = 2", "\n    c = 2")
    assert not sameness.same("process", a, b)


def test_deploy__a_rewritten_diagram_and_form_keep_their_versions(engine):
    first = engine.deploy(_complaint_files())
    schema = orjson.loads(FORM.read_bytes())
    schema = {"exporter": {"name": "form-js (https://demo.bpmn.io)", "version": "1.23.0"},
              **dict(reversed(list(schema.items())))}
    again = engine.deploy(_complaint_files(_rewritten(COMPLAINT.read_bytes()), orjson.dumps(schema)))
    assert [(d["id"], d["version"]) for d in again.definitions] == [(d["id"], d["version"]) for d in first.definitions]
    assert [d["status"] for d in again.definitions] == ["unchanged"]
    assert {f["status"] for f in again.forms} == {"unchanged"}
    assert [v.version for v in engine.definition_versions("complaint_handling")] == [1]
    assert [v.version for v in engine.definition_versions("rec_depot", kind="form")] == [1]


def test_deploy__the_bytes_of_an_older_version_never_replace_the_newer_one(engine):
    original = COMPLAINT.read_bytes()
    engine.deploy(_complaint_files())
    edited = original.replace(b'name="Enregistrer', b'name="Bien enregistrer', 1)
    assert engine.deploy(_complaint_files(edited)).definitions[0]["version"] == 2
    back = engine.deploy(_complaint_files(original)).definitions[0]
    assert (back["version"], back["status"]) == (1, "older")
    assert engine.get_definition("complaint_handling").version == 2
    assert b"Bien enregistrer" in engine.definition_source("complaint_handling").encode()


def test_deploy__only_new_leaves_every_deployed_key_alone(engine):
    original = COMPLAINT.read_bytes()
    engine.deploy(_complaint_files())
    edited = original.replace(b'name="Enregistrer', b'name="Bien enregistrer', 1)
    engine.deploy(_complaint_files(edited))
    loop = (FIXTURES / "loop.bpmn").read_bytes()
    out = engine.deploy([*_complaint_files(), ("loop.bpmn", loop)], only_new=True)
    assert {(d["key"], d["version"], d["status"]) for d in out.definitions} == {
        ("complaint_handling", 2, "kept"), ("loop", 1, "new")}
    assert {f["status"] for f in out.forms} == {"kept"}
    assert engine.get_definition("complaint_handling").version == 2


@pytest.mark.parametrize("name, kind", [("complaint_handling.bpmn", "process"), ("grant_cofinancing.bpmn", "process")])
def test_sameness__what_bpmn_js_writes_back_unchanged_says_the_same(name, kind):
    """Files exported by bpmn-js 18 after importing the bundled ones untouched
    (tests/fixtures/written_by_bpmn_js): shapes reordered, gateway markers and lanes flagged.
    (dmn-js 17 writes the bundled tables back byte for byte.)"""
    original = (ROOT / "processes" / "bpmn" / name).read_text()
    written = (FIXTURES / "written_by_bpmn_js" / name).read_text()
    assert written != original and sameness.same(kind, original, written)


def test_sameness__a_moved_shape_is_a_change():
    written = (FIXTURES / "written_by_bpmn_js" / "complaint_handling.bpmn").read_text()
    moved = written.replace('<dc:Bounds x="260" y="260"', '<dc:Bounds x="300" y="260"', 1)
    assert moved != written and not sameness.same("process", written, moved)
