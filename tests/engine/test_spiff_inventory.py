"""The SpiffArena extension inventory (engine/definitions/spiff_inventory.py) covers every name that
SpiffWorkflow's spiff parser and schema know: an upgrade that reads a new one fails here until the
inventory decides on it (implemented with a test, without effect, or refused)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import SpiffWorkflow
from lxml import etree

from engine.definitions import spiff_dialect
from engine.definitions import spiff_inventory as inv

SPIFF = Path(SpiffWorkflow.__file__).parent / "spiff"
XSD = SPIFF / "parser" / "schema" / "spiffworkflow.xsd"
_QUALIFIED = re.compile(r"spiffworkflow:([A-Za-z_][A-Za-z0-9_]*)")


def names_in_sources() -> set[str]:
    """Extension names SpiffWorkflow's spiff package reads: `spiffworkflow:NAME` in xpaths,
    `extensions.get('NAME')`, `name == 'NAME'` in the extension loop, `_node_children_by_tag_name(.., 'NAME')`."""
    found: set[str] = set()
    for path in SPIFF.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(_QUALIFIED.findall(node.value))
            elif isinstance(node, ast.JoinedStr):
                for part in node.values:
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        found.update(_QUALIFIED.findall(part.value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.attr == "get" and isinstance(node.func.value, ast.Name) \
                        and node.func.value.id == "extensions" and args:
                    found.add(args[0])
                elif node.func.attr == "_node_children_by_tag_name" and args:
                    found.add(args[-1])
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "name":
                for right in node.comparators:
                    if isinstance(right, ast.Constant) and isinstance(right.value, str):
                        found.add(right.value)
    return found


def names_in_schema() -> set[str]:
    """Every element SpiffWorkflow's spiffworkflow.xsd declares."""
    root = etree.parse(str(XSD)).getroot()
    return {el.get("name") for el in root.iter("{http://www.w3.org/2001/XMLSchema}element") if el.get("name")}


def test_the_scan_finds_what_the_parser_is_known_to_read():
    found = names_in_sources()
    assert {"preScript", "postScript", "calledDecisionId", "messagePayload", "messageVariable", "properties",
            "unitTests", "serviceTaskOperator", "processVariableCorrelation", "scriptsOnInstances",
            "payloadExpression", "variableName", "taskMetadataValues", "category", "property"} <= found, found


def test_every_name_spiffworkflow_reads_is_in_the_inventory():
    missing = (names_in_sources() | names_in_schema()) - inv.known_names()
    assert not missing, f"spiffworkflow names without a decision in spiff_inventory.py: {sorted(missing)}"


def test_the_inventory_tables_do_not_overlap():
    tables = [inv.IMPLEMENTED, inv.NO_EFFECT, inv.REFUSED, inv.NESTED, inv.ATTRIBUTES_IMPLEMENTED,
              inv.ATTRIBUTES_NO_EFFECT, inv.ATTRIBUTES_REFUSED]
    seen: set[str] = set()
    for table in tables:
        assert not (seen & set(table)), seen & set(table)
        seen |= set(table)
    assert set(inv.NESTED.values()) <= set(inv.IMPLEMENTED) | set(inv.NO_EFFECT) | set(inv.REFUSED)


def test_every_implemented_name_has_a_deploy_handler():
    assert set(spiff_dialect.HANDLERS) == set(inv.IMPLEMENTED)


def test_every_implemented_and_refused_name_is_exercised_by_the_engine_tests():
    tests = (Path(__file__).parent / "test_spiff_dialect.py").read_text()
    for name in [*inv.IMPLEMENTED, *inv.NO_EFFECT, *inv.ATTRIBUTES_IMPLEMENTED, *inv.ATTRIBUTES_REFUSED,
                 *inv.PROPERTIES_REFUSED]:
        assert f"spiffworkflow:{name}" in tests or f'"{name}"' in tests, name
    assert "sorted(inv.REFUSED)" in tests  # each refused element is a parametrized case
