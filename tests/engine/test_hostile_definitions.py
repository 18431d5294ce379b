"""Hostile and malformed definitions: every one is an InvalidDefinition naming file and element, nothing stored.

The table is tests/engine/hostile_cases.py (the API test runs the same cases over HTTP).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import InvalidDefinition
from tests.engine.hostile_cases import ANY, CASES, around, bpmn, dmn, rule


def _count(engine, table: str) -> int:
    with engine.db.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def matches(found: dict, case) -> bool:
    element_ok = found["element"] is not None if case.element is ANY else found["element"] == case.element
    return found["file"] == case.file and element_ok and case.says in found["message"]


def test_the_table_is_large_enough():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_deployment_is_refused_naming_file_and_element(engine, case):
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy(list(case.files))
    problems = err.value.errors
    assert any(matches(p, case) for p in problems), problems
    assert all(set(p) == {"file", "element", "message", "template", "params"} for p in problems)
    assert all(len(p["message"]) < 1000 for p in problems)  # a hostile text is not echoed whole
    assert _count(engine, "definition") == 0 and _count(engine, "deployment") == 0


def test_a_long_file_name_is_refused(engine):
    errors = pytest.raises(InvalidDefinition, engine.deploy, [("x" * 300 + ".bpmn", b"<x/>")]).value.errors
    assert "a file name has 1 to 255 characters" in errors[0]["message"]


def test_a_decision_is_parsed_at_deploy_even_when_no_process_uses_it(engine):
    # SpiffWorkflow parses a DMN only when a business rule task asks for it; diwan parses it at deploy.
    bad = dmn(rule("&lt; 10", "5")).replace(b"<text>5</text>", b"<text>5</text><text>6</text>")
    errors = pytest.raises(InvalidDefinition, engine.deploy, [("alone.dmn", bad)]).value.errors
    assert {"file": "alone.dmn", "element": "r1o"}.items() <= errors[0].items()
    assert "holds one text, not 2" in errors[0]["message"]


def test_boundaries_that_are_still_accepted(engine):
    """The limits refuse only what cannot work: the largest accepted values deploy and run."""
    out = engine.deploy([
        ("ok.bpmn", bpmn(around(f'<bpmn:userTask id="t" name="{"n" * 500}" '
                                f'camunda:candidateGroups="{"g" * 255}"/>'), pid="p" * 255)),
        ("ok.dmn", dmn(rule("&lt; 9223372036854775807", "-9223372036854775808"))),
    ])
    assert out.definitions[0]["key"] == "p" * 255 and [{k: d[k] for k in ("key", "version")} for d in out.decisions] == [{"key": "dec", "version": 1}]
    inst = engine.start("p" * 255)
    assert [t.name for t in engine.list_tasks("someone", ["g" * 255]).items] == ["n" * 500]
    engine.cancel(inst.id)


def test_a_comment_in_a_decision_table_no_longer_breaks_it(engine):
    with_comment = dmn("<!-- rates of 2026 -->" + rule("&lt; 10", "5") + "<?pi x?>")
    decision_task = bpmn(around('<bpmn:businessRuleTask id="t" camunda:decisionRef="dec"/>'))
    engine.deploy([("rate.dmn", with_comment), ("uses.bpmn", decision_task)])
    inst = engine.start("p", {"amount": 3})
    assert engine.get_instance(inst.id).data["rate"] == 5


def test_a_comment_in_a_script_is_not_a_cut(engine):
    # SpiffWorkflow reads `.text`, the text before the first child: the comment used to cut the script.
    script = '<bpmn:scriptTask id="t"><bpmn:script>x = 1<!-- then -->\ny = x + 1</bpmn:script></bpmn:scriptTask>'
    engine.deploy([("s.bpmn", bpmn(around(script)))])
    inst = engine.start("p")
    assert engine.get_instance(inst.id).data == {"x": 1, "y": 2}


def test_camunda_multi_instance_without_an_element_variable_deploys_and_runs(engine):
    # The translation used to delete a camunda:elementVariable that was not there (a KeyError, a 500).
    mi = '<bpmn:userTask id="t" camunda:candidateGroups="g"><bpmn:multiInstanceLoopCharacteristics ' \
         'camunda:collection="${items}"/></bpmn:userTask>'
    engine.deploy([("mi.bpmn", bpmn(around(mi)))])
    inst = engine.start("p", {"items": ["a", "b"]})
    assert len(engine.list_tasks("someone", ["g"]).items) == 2
    engine.cancel(inst.id)
