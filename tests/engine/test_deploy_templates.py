"""Every message a designer can get at deploy time is a template of the deploy catalogue (issue 13, item 7).

- every `msg(...)` template of the engine is in `api/web/translations/deploy.pot` and translated in fr
  and ar with the same placeholders (a new message without its translations fails here);
- the refused corpus (tests/engine/hostile_cases.py, the Camunda and SpiffArena refusals, every refused
  or not-yet entry of the Camunda inventory through a generated diagram, every refused SpiffArena name)
  only yields problems whose template (and nested templates) are in the catalogue;
- no bare string reaches a problem: the tests run with DIWAN_STRICT_MESSAGES (problem() raises on a
  plain str), and an AST scan refuses a string literal handed to a message sink.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from lxml import etree

from engine import Actor
from engine.definitions import spiff_inventory
from engine.definitions.camunda_check import EXTENDS, camunda_problems
from engine.definitions.camunda_inventory import CAMUNDA_INVENTORY, NOT_YET, REFUSED
from engine.errors import InvalidDefinition, problem
from engine.messages import Msg, msg, templates_of
from tests.engine.hostile_cases import CASES, bpmn

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "api" / "web" / "translations"
ADMIN = Actor("admin", roles=("admin",))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


@lru_cache(maxsize=1)
def source_templates() -> set[str]:
    """The templates of the engine's source, extracted as scripts/i18n-update does (babel-deploy.cfg)."""
    method_map = [(pattern.strip("[]").split(": ", 1)[1], "python")
                  for pattern in (ROOT / "babel-deploy.cfg").read_text().splitlines() if pattern.startswith("[python")]
    found = extract_from_dir(str(ROOT), method_map=method_map, keywords={"msg": None}, comment_tags=())
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@lru_cache(maxsize=3)
def catalogue(lang: str) -> dict[str, str]:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "deploy.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale=lang) if m.id}


def test_catalogue__every_template_of_the_source_is_in_the_pot_and_both_catalogues():
    with (TRANSLATIONS / "deploy.pot").open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    missing = sorted(source_templates() - pot)
    assert not missing, f"run ./scripts/i18n-update and translate: {missing}"
    for lang in ("fr", "ar"):
        missing = sorted(t for t in source_templates() if not catalogue(lang).get(t))
        assert not missing, f"{lang}/LC_MESSAGES/deploy.po has no translation for {missing}"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_catalogue__translations_keep_the_placeholders_and_format(lang):
    for template, said in catalogue(lang).items():
        if not said:
            continue
        assert placeholders(said) == placeholders(template), (lang, template, said)
        names = {name: "x" for name in placeholders(template)}
        assert said.format(**names) and template.format(**names)  # no stray brace in either


def test_catalogue__french_says_no_english():
    english = re.compile(r"\b(the|is|are|not supported|must|needs|use|remove)\b")
    for template, said in catalogue("fr").items():
        words = english.findall(_PLACEHOLDER.sub("", re.sub(r"[\w.-]*:[\w.*-]+|\"[^\"]*\"|'[^']*'", "", said)))
        assert not words, (template, said, words)


def assert_in_catalogue(found: list[dict]) -> None:
    fr, ar = catalogue("fr"), catalogue("ar")
    for p in found:
        assert p.get("template"), p
        for template in _nested_templates(p["template"], p.get("params") or {}):
            assert fr.get(template) and ar.get(template), (template, p)


def _nested_templates(template: str, params: dict) -> list[str]:
    out = [template]
    for value in params.values():
        if isinstance(value, dict) and "template" in value:
            out += _nested_templates(value["template"], value.get("params") or {})
    return out


def _refusal(engine, files) -> list[dict]:
    try:
        engine.deploy(list(files), actor=ADMIN)
    except InvalidDefinition as exc:
        return exc.errors
    return []


@pytest.mark.parametrize("case", CASES)
def test_corpus__hostile_definitions_say_catalogued_templates(engine, case):
    found = _refusal(engine, case.files)
    assert found, case.name
    assert_in_catalogue(found)


@pytest.mark.parametrize("name", sorted(spiff_inventory.REFUSED) + sorted(spiff_inventory.PROPERTIES_REFUSED)
                         + ["madeUpExtension"])
def test_corpus__refused_spiffarena_names_say_catalogued_templates(engine, name):
    spiff = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    if name in spiff_inventory.PROPERTIES_REFUSED:
        inner = f'<spiffworkflow:properties><spiffworkflow:property name="{name}" value="x"/></spiffworkflow:properties>'
    else:
        inner = f"<spiffworkflow:{name}/>"
    body = (f'<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            f'<bpmn:userTask id="t"><bpmn:extensionElements>{inner}</bpmn:extensionElements></bpmn:userTask>'
            f'<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    content = bpmn(body)
    if b"xmlns:spiffworkflow" not in content:
        content = content.replace(b"<bpmn:definitions ", f"<bpmn:definitions {spiff} ".encode(), 1)
    found = _refusal(engine, [("s.bpmn", content)])
    assert any(p["element"] == "t" for p in found), found
    assert_in_catalogue(found)


def _bpmn_tag(target: str) -> str:
    """A BPMN element that an extension type's attribute may sit on."""
    tags = {"bpmn:Activity": "userTask", "bpmn:Gateway": "exclusiveGateway", "bpmn:Event": "startEvent",
            "bpmn:Process": "process", "bpmn:FlowElement": "userTask", "bpmn:Collaboration": "collaboration"}
    name = target.removeprefix("bpmn:")
    return tags.get(target, name[:1].lower() + name[1:])


def _inventory_diagrams():
    """A diagram per refused (or not yet) entry of the Camunda inventory that camunda_check can judge."""
    for key, entry in sorted(CAMUNDA_INVENTORY.items()):
        if entry.status not in (REFUSED, NOT_YET) or entry.by:
            continue
        owner, _, prop = key.partition(".")
        if owner in EXTENDS:  # an attribute on a BPMN element
            target = next((t for t in EXTENDS[owner] if t.startswith("bpmn:")), None)
            if target is None or not prop:
                continue
            tag = _bpmn_tag(target)
            if tag.endswith("EventDefinition"):
                body = f'<bpmn:intermediateThrowEvent id="t"><bpmn:{tag} camunda:{prop}="x"/></bpmn:intermediateThrowEvent>'
            elif tag == "process":
                yield key, None, f'camunda:{prop}="x"'
                continue
            else:
                body = f'<bpmn:{tag} id="t" camunda:{prop}="x"/>'
        else:  # a camunda:* element (or one of its attributes) inside a user task's extension elements
            element = owner[:1].lower() + owner[1:]
            attribute = f' {prop}="x"' if prop else ""
            body = (f'<bpmn:userTask id="t"><bpmn:extensionElements><camunda:{element}{attribute}/>'
                    f'</bpmn:extensionElements></bpmn:userTask>')
        yield key, body, ""


@pytest.mark.parametrize("key, body, process_attr", list(_inventory_diagrams()), ids=lambda v: v if isinstance(v, str) and "<" not in v and "=" not in v else "")
def test_corpus__every_refused_camunda_entry_says_catalogued_templates(key, body, process_attr):
    text = bpmn(body or '<bpmn:userTask id="t"/>')
    if process_attr:
        text = text.replace(b'<bpmn:process id="p"', f'<bpmn:process id="p" {process_attr}'.encode(), 1)
    found = [problem("c.bpmn", element, message) for element, message in camunda_problems(etree.fromstring(text))]
    assert found, key
    assert_in_catalogue(found)


def test_corpus__inventory_reasons_are_templates():
    for key, entry in CAMUNDA_INVENTORY.items():
        if entry.status in (REFUSED, NOT_YET):
            assert isinstance(entry.note, Msg) and entry.note.template in catalogue("ar"), key
    for table in (spiff_inventory.REFUSED, spiff_inventory.PROPERTIES_REFUSED, spiff_inventory.ATTRIBUTES_REFUSED):
        for name, reason in table.items():
            assert isinstance(reason, Msg) and reason.template in catalogue("ar"), name


def test_problem__refuses_a_plain_string_under_the_tests():
    with pytest.raises(TypeError):
        problem("f.bpmn", None, "a plain string")
    entry = problem("f.bpmn", "t", msg("the generated form: {detail}", detail=msg("Form has no 'id'.")))
    assert entry == {"file": "f.bpmn", "element": "t", "message": "the generated form: Form has no 'id'.",
                     "template": "the generated form: {detail}",
                     "params": {"detail": {"template": "Form has no 'id'.", "params": {}}}}
    assert templates_of(msg("line {line}: {detail}", line=3, detail=msg("imports are not allowed"))) == [
        "line {line}: {detail}", "imports are not allowed"]


# The calls whose argument is a designer's message (position), in the deploy-time modules.
SINKS = {"problem": 2, "fail": 1, "say": 0, "UnsafeCode": 0, "LiteralError": 0, "MappingError": 0, "UnsafeXml": 0,
         "PatternError": 0, "ValidationException": 0}
SCANNED = ["engine/definitions", "engine/forms", "engine/commands/deploy.py", "engine/commands/draft_sources.py",
           "engine/runtime/sandbox.py"]


def _strings(node):
    if isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        yield node


def test_no_bare_string_is_handed_to_a_message_sink():
    files = [p for s in SCANNED for p in ([ROOT / s] if s.endswith(".py") else sorted((ROOT / s).rglob("*.py")))]
    bare = []
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            args = []
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name in SINKS and len(node.args) > SINKS[name]:
                    args = [node.args[SINKS[name]]]
            elif isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
                args = [node.value.elts[1]]
            for arg in args:
                bare += [f"{path.relative_to(ROOT)}:{s.lineno}" for s in _strings(arg)]
    assert not bare, f"wrap these messages in msg(...): {bare}"
