"""The inventory of evaluated expressions (engine/definitions/expressions.py) against SpiffWorkflow's parsers.

Every XML path, attribute or tag test that SpiffWorkflow's BPMN, Camunda and DMN parsers (and
diwan's own camunda_parser.py) read must be classified: evaluated (a row of EXPRESSIONS, with
what diwan does about it at deploy) or NOT_EVALUATED. A SpiffWorkflow upgrade that reads a new
element fails here until someone says whether its text ends up in eval/exec. Each row is then
shown to refuse hostile text at deploy, naming the element.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import SpiffWorkflow

import engine.definitions.camunda_parser as diwan_parser
import engine.definitions.spiff_parser as diwan_spiff_parser
from engine import InvalidDefinition
from engine.definitions.expressions import EXPRESSIONS, NOT_EVALUATED
from tests.engine.hostile_cases import around, bpmn, dmn, gateway, rule

SPIFF = Path(SpiffWorkflow.__file__).parent
# The parsers DiwanParser is made of (SpiffWorkflow/spiff/parser is SpiffArena's, not used by diwan).
PARSER_SOURCES = [*sorted((SPIFF / "bpmn" / "parser").glob("*.py")), *sorted((SPIFF / "camunda" / "parser").glob("*.py")),
                  *sorted((SPIFF / "dmn" / "parser").glob("*.py")), Path(diwan_parser.__file__),
                  Path(diwan_spiff_parser.__file__)]
READERS = {"xpath", "doc_xpath", "_xpath", "find", "findall", "iterfind", "get", "attribute", "endswith"}


def _literal(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The string an argument stands for; '{}' for each interpolated part; None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, constants), _literal(node.right, constants)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _literal(node.left, constants)
    return None


def parser_reads(path: Path) -> set[str]:
    """What a parser module reads, as "method:literal" (e.g. "xpath:.//bpmn:timeDate")."""
    tree = ast.parse(path.read_text())
    constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                 for t in n.targets if isinstance(t, ast.Name)}
    # Module-level XPath constants (MESSAGE_EVENT_XPATH, ...) are read through lists of them.
    reads = {f"xpath:{v}" for v in constants.values() if v.startswith(("./", "//"))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS:
            if not node.args:
                continue
            method = node.func.attr
            value = _literal(node.args[-1] if method == "_xpath" else node.args[0], constants)
            if value is None:
                continue  # a computed key: a dict lookup by a variable
            if method == "attribute" and len(node.args) > 1:
                namespace = _literal(node.args[1], constants)
                value = f"{namespace}:{value}" if namespace and namespace != "bpmn" else value
            reads.add(f"{method}:{value}")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "attrib":
            value = _literal(node.slice, constants)
            if value is not None:
                reads.add(f"attrib:{value}")
    return reads


def all_reads() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in PARSER_SOURCES:
        for read in parser_reads(path):
            out.setdefault(read, set()).add(path.name)
    return out


def test_the_walker_finds_what_it_should():
    reads = all_reads()
    # The three reads behind the holes this inventory was made for: correlation expressions, the DMN
    # cell test by tag ending, and timer values searched anywhere below their event.
    assert {"xpath:.//bpmn:correlationPropertyRetrievalExpression", "endswith:text", "xpath:.//bpmn:timeDate",
            "xpath:.//bpmn:{}", "attribute:camunda:expression"} <= set(reads)
    assert len(reads) > 120


def test_every_read_of_the_parsers_is_classified():
    evaluated = {r for row in EXPRESSIONS for r in row.reads}
    unclassified = {read: files for read, files in all_reads().items()
                    if read not in evaluated and read not in NOT_EVALUATED}
    assert not unclassified, ("SpiffWorkflow's parsers read these: add each to EXPRESSIONS (if its text is "
                              f"evaluated or executed) or NOT_EVALUATED: {unclassified}")


def test_the_inventory_has_no_stale_or_double_entry():
    reads = set(all_reads())
    evaluated = [r for row in EXPRESSIONS for r in row.reads]
    assert len(evaluated) == len(set(evaluated))
    assert not set(evaluated) & set(NOT_EVALUATED)
    assert not (set(evaluated) | set(NOT_EVALUATED)) - reads, "entries that no parser reads any more"
    assert all(row.mode in ("eval", "exec") and row.deploy for row in EXPRESSIONS)


# One hostile sample per row: (files, the element the refusal must name).
EVIL = "__import__('os').system('id')"
SAMPLES = {
    "condition": ([("a.bpmn", bpmn(gateway(EVIL)))], "f2"),
    "loop_condition": ([("a.bpmn", bpmn(around(f'<bpmn:task id="t"><bpmn:standardLoopCharacteristics>'
                                               f'<bpmn:loopCondition>{EVIL}</bpmn:loopCondition>'
                                               '</bpmn:standardLoopCharacteristics></bpmn:task>')))], "t"),
    "loop_cardinality": ([("a.bpmn", bpmn(around(f'<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics>'
                                                 f'<bpmn:loopCardinality>{EVIL}</bpmn:loopCardinality>'
                                                 '</bpmn:multiInstanceLoopCharacteristics></bpmn:task>')))], "t"),
    "completion_condition": ([("a.bpmn", bpmn(around(
        '<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality>'
        f'<bpmn:completionCondition>{EVIL}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>'
        '</bpmn:task>')))], "t"),
    "ad_hoc_completion": ([("a.bpmn", bpmn(around(f'<bpmn:adHocSubProcess id="t"><bpmn:task id="a1"/>'
                                                  f'<bpmn:completionCondition>{EVIL}</bpmn:completionCondition>'
                                                  '</bpmn:adHocSubProcess>')))], "t"),
    "timer": ([("a.bpmn", bpmn(around(f'<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
                                      f'<bpmn:timeDuration>{EVIL}</bpmn:timeDuration></bpmn:timerEventDefinition>'
                                      '</bpmn:intermediateCatchEvent>')))], "t"),
    "script": ([("a.bpmn", bpmn(around('<bpmn:scriptTask id="t"><bpmn:script>import os</bpmn:script>'
                                       '</bpmn:scriptTask>')))], "t"),
    "conditional_event": ([("a.bpmn", bpmn(around(
        f'<bpmn:intermediateCatchEvent id="t"><bpmn:conditionalEventDefinition><bpmn:condition>{EVIL}'
        '</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>')))], "t"),
    "correlation": ([("a.bpmn", bpmn(around('<bpmn:task id="t"/>'), '<bpmn:message id="m" name="m"/>'
                                     '<bpmn:correlationProperty id="cp"><bpmn:correlationPropertyRetrievalExpression '
                                     f'messageRef="m"><bpmn:messagePath>{EVIL}</bpmn:messagePath>'
                                     '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>'))],
                    "cp"),
    "message_payload": ([("a.bpmn", bpmn(around('<bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition '
                                                f'messageRef="m" camunda:expression="{EVIL}"/>'
                                                '</bpmn:intermediateThrowEvent>'), '<bpmn:message id="m" name="m"/>'))],
                        "t"),
    "spiff_scripts": ([("a.bpmn", bpmn(around(
        '<bpmn:task id="t"><bpmn:extensionElements><spiffworkflow:postScript>import os</spiffworkflow:postScript>'
        '</bpmn:extensionElements></bpmn:task>')))], "t"),
    "spiff_message_payload": ([("a.bpmn", bpmn(around(
        '<bpmn:sendTask id="t" messageRef="m"><bpmn:extensionElements><spiffworkflow:messagePayload>'
        f'{EVIL}</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:sendTask>'),
        '<bpmn:message id="m" name="m"/>'))], "t"),
    "spiff_operator_parameters": ([("a.bpmn", bpmn(around(
        '<bpmn:serviceTask id="t"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="c">'
        '<spiffworkflow:parameters><spiffworkflow:parameter id="p" value="__import__(&#34;os&#34;)"/>'
        '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>')))],
        "t"),
    "spiff_process_correlation": ([("a.bpmn", bpmn(around(
        '<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition id="md" messageRef="m">'
        '<bpmn:extensionElements><spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>cp'
        f'</spiffworkflow:propertyId><spiffworkflow:expression>{EVIL}</spiffworkflow:expression>'
        '</spiffworkflow:processVariableCorrelation></bpmn:extensionElements></bpmn:messageEventDefinition>'
        '</bpmn:intermediateCatchEvent>'), '<bpmn:message id="m" name="m"/><bpmn:correlationProperty id="cp">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="m"><bpmn:formalExpression>k</bpmn:formalExpression>'
        '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>'))], "t"),
    "spiff_item_payload": ([("a.bpmn", bpmn(around('<bpmn:task id="t"/>'), '<bpmn:signal id="sig" name="go">'
        f'<bpmn:extensionElements><spiffworkflow:payloadExpression>{EVIL}</spiffworkflow:payloadExpression>'
        '</bpmn:extensionElements></bpmn:signal>'))], "sig"),
    "dmn_input_expression": ([("a.dmn", dmn().replace(b"<text>amount</text>", f"<text>{EVIL}</text>".encode()))],
                             "ie1"),
    "dmn_cell": ([("a.dmn", dmn(rule("&lt; 10", EVIL.replace("'", "&quot;"))))], "r1o"),
}


def test_every_row_has_a_hostile_sample():
    assert set(SAMPLES) == {row.name for row in EXPRESSIONS}


@pytest.mark.parametrize("row", EXPRESSIONS, ids=lambda r: r.name)
def test_hostile_text_in_every_evaluated_place_is_refused_at_deploy(engine, row):
    files, element = SAMPLES[row.name]
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy(files)
    assert element in {p["element"] for p in err.value.errors}, err.value.errors
