"""Deploy-time translation pass over a parsed BPMN or DMN tree.

What Camunda Modeler, bpmn-js and dmn-js write (JUEL conditions, ISO timer literals,
FEEL unary tests, Camunda multi-instance attributes) is rewritten in place into what
SpiffWorkflow evaluates (Python), and every script and expression is checked by the
sandbox. Problems name the file and the element; nothing is left to fail at run time.
"""
from __future__ import annotations

import ast
import keyword

from lxml import etree

from ..errors import problem
from ..forms.camunda_form_data import translate_form_data
from ..runtime.sandbox import UnsafeCode, check_code
from . import literals
from .expressions import check_expressions

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
PYTHON_SCRIPT_FORMATS = {"", "python", "python3", "text/x-python"}
INT64 = (-(2 ** 63), 2 ** 63 - 1)  # the range of integers a variable may hold (engine/values.py)


def _element_id(node: etree._Element) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


MAX_MESSAGE = 400  # a problem quotes the designer's text: a hostile one may be megabytes long


def _capped(message: str) -> str:
    """The message with its middle cut out when it is too long (the reason comes last)."""
    half = MAX_MESSAGE // 2
    return message if len(message) <= MAX_MESSAGE else f"{message[:half]} [...] {message[-half:]}"


def _quote(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:60]) + f"... ({len(text)} characters)"


def _check_expr(source: str, mode: str = "eval") -> str | None:
    try:
        check_code(source, mode)
    except UnsafeCode as exc:
        return str(exc)
    return None


def strip_comments(root: etree._Element) -> None:
    """Remove comments and processing instructions, keeping the text around them.

    SpiffWorkflow reads `.text` (the text before an element's first child), so a comment inside a
    script would silently cut it short, and it takes "the first child" of a correlation retrieval
    expression and the tag of every child of a decision table, which a comment would be.
    """
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)


def translate_bpmn(root: etree._Element, filename: str, forms: list[dict] | None = None) -> list[dict]:
    """Rewrite conditions, timers and Camunda multi-instance of a BPMN tree; check scripts and the
    other expressions SpiffWorkflow evaluates (expressions.py); give elements with a
    `camunda:formData` their generated form's key (forms/camunda_form_data.py).

    Args:
        forms: when given, the generated form-js schemas are appended to it.

    Returns:
        The problems found (empty when the tree is ready for SpiffWorkflow's parser).
    """
    strip_comments(root)
    problems: list[dict] = check_expressions(root, filename)

    def fail(node, message):
        problems.append(problem(filename, _element_id(node), _capped(message)))

    for node in root.iterfind(".//bpmn:conditionExpression", NS):
        _rewrite(node, literals.condition_to_python, "condition", fail)
    for tag in ("completionCondition", "loopCondition"):
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            _rewrite(node, literals.condition_to_python, tag, fail)
    for node in root.iterfind(".//bpmn:loopCardinality", NS):
        _rewrite(node, _cardinality_to_python, "loop cardinality", fail)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iterfind(f".//bpmn:timerEventDefinition/bpmn:{kind}", NS):
            _rewrite(node, lambda text, k=kind: literals.timer_to_python(text, k), "timer", fail)
    for node in root.iterfind(".//bpmn:scriptTask", NS):
        fmt = (node.get("scriptFormat") or "").strip().lower()
        if fmt not in PYTHON_SCRIPT_FORMATS:
            fail(node, f"script format {node.get('scriptFormat')!r} is not supported: scripts are Python")
            continue
        script = node.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            fail(node, "a script task needs a script")
            continue
        error = _check_expr(script.text, "exec")
        if error:
            fail(node, f"script refused: {error}")
    for node in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        _camunda_multi_instance(node, fail)
    _camunda_starters(root, fail)
    generated = translate_form_data(root, fail)
    if forms is not None:
        forms.extend(generated)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        due = node.get(f"{{{CAMUNDA}}}dueDate")
        if due is not None:
            try:
                literals.due_date_check(due)
            except literals.LiteralError as exc:
                fail(node, f"camunda:dueDate {due!r}: {exc}")
    return problems


def _rewrite(node, translate, what: str, fail) -> None:
    text = (node.text or "").strip()
    if not text:
        fail(node, f"empty {what}")
        return
    try:
        python = translate(text)
    except literals.LiteralError as exc:
        fail(node, f"{what} {_quote(text)}: {exc}")
        return
    error = _check_expr(python)
    if error:
        fail(node, f"{what} {_quote(text)} refused: {error}")
        return
    node.text = python


def _cardinality_to_python(text: str) -> str:
    if (text.startswith("${") and text.endswith("}")) or (text.startswith("=") and not text.startswith("==")):
        return literals.condition_to_python(text)
    return text


def _camunda_starters(root, fail) -> None:
    """`camunda:initiator` names a variable, only on a start event of a process (not of an event
    sub-process); `camunda:candidateStarterGroups`/`Users` are literal comma lists on a process."""
    attr = f"{{{CAMUNDA}}}initiator"
    for node in root.iter():
        if not isinstance(node.tag, str) or node.get(attr) is None:
            continue
        name = node.get(attr).strip()
        parent = node.getparent()
        if node.tag != f"{{{BPMN}}}startEvent" or parent is None or parent.tag != f"{{{BPMN}}}process":
            fail(node, "camunda:initiator belongs on a start event of a process (diwan sets it when a "
                       "person or a message starts the instance)")
        elif not name.isidentifier() or keyword.iskeyword(name):
            fail(node, f"camunda:initiator {name!r} must be a variable name (e.g. starter)")
    for proc in root.iterfind("bpmn:process", NS):
        for which in ("candidateStarterGroups", "candidateStarterUsers"):
            value = proc.get(f"{{{CAMUNDA}}}{which}")
            if value is not None and ("${" in value or "#{" in value):
                fail(proc, f"camunda:{which} {value!r}: expressions are not supported here, write the names "
                           "separated by commas")


def _camunda_multi_instance(node, fail) -> None:
    """`camunda:collection`/`camunda:elementVariable` -> standard loopDataInputRef/inputDataItem.

    SpiffWorkflow's Camunda multi-instance task rewrites its (shared) spec at run time
    (notes §2.6); the standard BPMN form does not, so we parse everything as standard.
    """
    collection = node.get(f"{{{CAMUNDA}}}collection")
    element_var = node.get(f"{{{CAMUNDA}}}elementVariable")
    if collection is None:
        if element_var is not None:
            fail(node, "camunda:elementVariable needs camunda:collection")
        return
    name = collection.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1].strip()
    if not name.isidentifier():
        fail(node, f"camunda:collection {collection!r}: name a variable holding a list (e.g. ${{children}})")
        return
    if node.find("bpmn:loopDataInputRef", NS) is not None or node.find("bpmn:loopCardinality", NS) is not None:
        fail(node, "give either camunda:collection or loopCardinality/loopDataInputRef, not both")
        return
    ref = etree.SubElement(node, f"{{{BPMN}}}loopDataInputRef")
    ref.text = name
    if element_var:
        if not element_var.isidentifier():
            fail(node, f"camunda:elementVariable {element_var!r} is not a valid variable name")
            return
        etree.SubElement(node, f"{{{BPMN}}}inputDataItem", id=element_var, name=element_var)
    for attr in ("collection", "elementVariable"):
        node.attrib.pop(f"{{{CAMUNDA}}}{attr}", None)


def translate_dmn(root: etree._Element, filename: str) -> list[dict]:
    """Rewrite FEEL input expressions, unary tests and output entries of every decision table."""
    strip_comments(root)
    problems: list[dict] = []

    def fail(node, message):
        problems.append(problem(filename, _element_id(node), _capped(message)))

    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.endswith("}text"):
            continue
        parent = node.getparent()
        kind = etree.QName(parent).localname
        text = node.text or ""
        try:
            if kind == "inputExpression":
                python = literals.feel_input_expression_to_python(text)
            elif kind == "inputEntry":
                python = literals.feel_input_entry_to_python(text)
            elif kind == "outputEntry":
                python = literals.feel_output_entry_to_python(text)
            else:
                continue
        except literals.LiteralError as exc:
            fail(parent, f"{kind} {_quote(text.strip())}: {exc}")
            continue
        if python is None:
            node.text = "-"
            continue
        error = _check_expr(python.replace("?", "dmn_input")) or _int64(python, kind)
        if error:
            fail(parent, f"{kind} {_quote(text.strip())} refused: {error}")
            continue
        node.text = python
    return problems


def _int64(python: str, kind: str) -> str | None:
    """Integer literals of a translated DMN cell must fit the signed 64-bit range."""
    tree = ast.parse(python.replace("?", "dmn_input"), mode="eval")
    negated = {id(n.operand) for n in ast.walk(tree)
               if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            value = -node.value if id(node) in negated else node.value
            if not INT64[0] <= value <= INT64[1]:
                if kind == "outputEntry":
                    return "outputs are stored as 64-bit integers: use a decimal or text"
                return "integers beyond the signed 64-bit range are not supported: use a decimal or text"
    return None
