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
from ..messages import Msg, msg, why
from ..forms.camunda_form_data import translate_form_data
from ..runtime.sandbox import UnsafeCode, check_code
from . import io_mappings, literals
from .expressions import check_expressions
from .transforms import ORIGIN, apply_transforms

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
PYTHON_SCRIPT_FORMATS = {"", "python", "python3", "text/x-python"}
CONDITION_LANGUAGES = {"juel", "${}"}  # JUEL conditions are translated (literals.condition_to_python)
INT64 = (-(2 ** 63), 2 ** 63 - 1)  # the range of integers a variable may hold (engine/values.py)


def _element_id(node: etree._Element) -> str | None:
    while node is not None:
        if node.get(ORIGIN):  # added by a transformation: name the designer's element
            return node.get(ORIGIN)
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


MAX_MESSAGE = 400  # a problem quotes the designer's text: a hostile one may be megabytes long


def _capped(message: Msg) -> Msg:
    """The message with its longest quoted texts shortened when it is too long (the reason stays)."""
    return message.capped(MAX_MESSAGE) if isinstance(message, Msg) else message


def _quote(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:60]) + f"... ({len(text)} characters)"


def _check_expr(source: str, mode: str = "eval") -> Msg | None:
    try:
        check_code(source, mode)
    except UnsafeCode as exc:
        return exc.as_msg()
    return None


def strip_comments(root: etree._Element) -> None:
    """Remove comments and processing instructions, keeping the text around them.

    SpiffWorkflow reads `.text` (the text before an element's first child), so a comment inside a
    script would silently cut it short, and it takes "the first child" of a correlation retrieval
    expression and the tag of every child of a decision table, which a comment would be.
    """
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)


def translate_bpmn(root: etree._Element, filename: str, forms: list[dict] | None = None) -> list[dict]:
    """Apply the deploy-time transformations (transforms/), rewrite conditions, timers and Camunda
    multi-instance of a BPMN tree; check scripts and the other expressions SpiffWorkflow evaluates
    (expressions.py); give elements with a `camunda:formData` their generated form's key
    (forms/camunda_form_data.py).

    Args:
        forms: when given, the generated form-js schemas are appended to it.

    Returns:
        The problems found (empty when the tree is ready for SpiffWorkflow's parser).
    """
    strip_comments(root)
    apply_transforms(root)
    problems: list[dict] = check_expressions(root, filename)

    def fail(node, message):
        problems.append(problem(filename, _element_id(node), _capped(message)))

    deferred_to_immediate(root)
    for node in root.iterfind(".//bpmn:conditionExpression", NS):
        language = (node.get("language") or "").strip()
        if language and language.lower() not in PYTHON_SCRIPT_FORMATS | CONDITION_LANGUAGES:
            fail(node, msg("{language} is not supported: write the condition in Python or as ${{...}}", language=language))
            continue
        _rewrite(node, literals.condition_to_python, msg("condition"), fail)
    for node in root.iterfind(".//bpmn:conditionalEventDefinition/bpmn:condition", NS):
        _rewrite(node, literals.condition_to_python, msg("condition"), fail)
    for tag in ("completionCondition", "loopCondition"):
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            _rewrite(node, literals.condition_to_python, tag, fail)
    for node in root.iterfind(".//bpmn:loopCardinality", NS):
        _rewrite(node, _cardinality_to_python, msg("loop cardinality"), fail)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iterfind(f".//bpmn:timerEventDefinition/bpmn:{kind}", NS):
            _rewrite(node, lambda text, k=kind: literals.timer_to_python(text, k), msg("timer"), fail)
    for node in root.iterfind(".//bpmn:scriptTask", NS):
        fmt = (node.get("scriptFormat") or "").strip().lower()
        if fmt not in PYTHON_SCRIPT_FORMATS:
            if not node.get("scriptFormat").strip():
                fail(node, msg("an empty script format is not supported: write the script in Python"))
            else:
                fail(node, msg("{format} is not supported: write the script in Python",
                               format=node.get("scriptFormat").strip()))
            continue
        script = node.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            fail(node, msg("a script task needs a script"))
            continue
        error = _check_expr(script.text, "exec")
        if error:
            fail(node, msg("script refused: {error}", error=error))
    for node in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        _camunda_multi_instance(node, fail)
    _camunda_mappings(root, fail)
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
                fail(node, msg("camunda:dueDate {due}: {detail}", due=repr(due), detail=why(exc)))
    return problems


# Elements whose whole text may be one JUEL expression (a script's `#{` is Python: a comment).
_EXPRESSION_TEXTS = frozenset({"conditionExpression", "timeDate", "timeDuration", "timeCycle", "loopCardinality",
                               "completionCondition", "loopCondition", "inputParameter", "outputParameter",
                               "entry", "value"})


def deferred_to_immediate(root: etree._Element) -> None:
    """`#{...}` (JUEL's deferred form) is read as `${...}` wherever a whole text or Camunda attribute
    is one expression: Camunda 7 evaluates both alike."""
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        text = (node.text or "").strip()
        if text.startswith("#{") and text.endswith("}") and len(node) == 0 and etree.QName(node).localname in _EXPRESSION_TEXTS:
            node.text = "$" + text[1:]
        for name, value in node.attrib.items():
            v = value.strip()
            if v.startswith("#{") and v.endswith("}") and etree.QName(name).namespace == CAMUNDA:
                node.set(name, "$" + v[1:])


MAPPED_ACTIVITIES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
                     "businessRuleTask", "subProcess", "transaction", "callActivity")


def _camunda_mappings(root: etree._Element, fail) -> None:
    """camunda:inputOutput, camunda:in/out and camunda:resultVariable: read as the runtime will
    (io_mappings.py), every Python they evaluate checked by the sandbox; a script task's
    resultVariable becomes an assignment of its final expression statement."""
    for node in root.iter(*(f"{{{BPMN}}}{t}" for t in (*MAPPED_ACTIVITIES, "process"))):
        tag = etree.QName(node).localname
        try:
            for scripts in (io_mappings.listeners(node) or {}).values():
                for script in scripts:
                    error = _check_expr(script, "exec")
                    if error:
                        fail(node, msg("listener script refused: {error}", error=error))
            io = io_mappings.input_output(node)
            ins = io_mappings.bindings(node, "in") if tag == "callActivity" else None
            outs = io_mappings.bindings(node, "out") if tag == "callActivity" else None
        except io_mappings.MappingError as exc:
            fail(node, why(exc))
            continue
        multi = node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None
        if io is not None and multi:
            fail(node, msg("camunda:inputOutput on a multi-instance activity is not supported yet"))
        if multi and io_mappings.listeners(node):
            fail(node, msg("listeners on a multi-instance activity are not supported yet"))
        if io is not None and (ins is not None or outs is not None):
            fail(node, msg("camunda:inputOutput together with camunda:in/camunda:out on one call activity is not supported yet: map the variables with camunda:in and camunda:out"))
        values = [v for _, v in (io or {}).get("inputs", []) + (io or {}).get("outputs", [])]
        values += [b["value"] for b in (ins or []) + (outs or []) if "value" in b]
        for value in values:
            for mode, python in io_mappings.pythons(value):
                error = _check_expr(python, mode)
                if error:
                    fail(node, msg("camunda:inputOutput refused: {error}", error=error))
    for node in root.iterfind(".//bpmn:scriptTask", NS):
        variable = node.get(f"{{{CAMUNDA}}}resultVariable")
        script = node.find("bpmn:script", NS)
        if variable is None or script is None or not (script.text or "").strip():
            continue
        if not variable.strip().isidentifier() or variable.strip().startswith("_"):
            fail(node, msg("camunda:resultVariable {variable} is not a variable name", variable=repr(variable)))
            continue
        try:
            script.text = io_mappings.script_value(script.text, variable.strip())
        except io_mappings.MappingError as exc:
            fail(node, msg("camunda:resultVariable: {detail}", detail=why(exc)))


def _rewrite(node, translate, what: str, fail) -> None:
    text = (node.text or "").strip()
    if not text:
        fail(node, msg("empty {what}", what=what))
        return
    try:
        python = translate(text)
    except literals.LiteralError as exc:
        fail(node, msg("{what} {value}: {detail}", what=what, value=_quote(text), detail=why(exc)))
        return
    error = _check_expr(python)
    if error:
        fail(node, msg("{what} {value} refused: {error}", what=what, value=_quote(text), error=error))
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
            fail(node, msg("camunda:initiator belongs on a start event of a process (diwan sets it when a person or a message starts the instance)"))
        elif not name.isidentifier() or keyword.iskeyword(name):
            fail(node, msg("camunda:initiator {name} must be a variable name (e.g. starter)", name=repr(name)))
    for proc in root.iterfind("bpmn:process", NS):
        for which in ("candidateStarterGroups", "candidateStarterUsers"):
            value = proc.get(f"{{{CAMUNDA}}}{which}")
            if value is not None and ("${" in value or "#{" in value):
                fail(proc, msg("camunda:{which} {value}: expressions are not supported here, write the names separated by commas", which=which, value=repr(value)))


def _camunda_multi_instance(node, fail) -> None:
    """`camunda:collection`/`camunda:elementVariable` -> standard loopDataInputRef/inputDataItem.

    SpiffWorkflow's Camunda multi-instance task rewrites its (shared) spec at run time
    (notes §2.6); the standard BPMN form does not, so we parse everything as standard.
    """
    collection = node.get(f"{{{CAMUNDA}}}collection")
    element_var = node.get(f"{{{CAMUNDA}}}elementVariable")
    if collection is None:
        if element_var is not None:
            fail(node, msg("camunda:elementVariable needs camunda:collection"))
        return
    name = collection.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1].strip()
    if not name.isidentifier():
        fail(node, msg("camunda:collection {collection}: name a variable holding a list (e.g. ${{children}})", collection=repr(collection)))
        return
    if node.find("bpmn:loopDataInputRef", NS) is not None or node.find("bpmn:loopCardinality", NS) is not None:
        fail(node, msg("give either camunda:collection or loopCardinality/loopDataInputRef, not both"))
        return
    ref = etree.SubElement(node, f"{{{BPMN}}}loopDataInputRef")
    ref.text = name
    if element_var:
        if not element_var.isidentifier():
            fail(node, msg("camunda:elementVariable {element_var} is not a valid variable name", element_var=repr(element_var)))
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
            fail(parent, msg("{kind} {value}: {detail}", kind=kind, value=_quote(text.strip()), detail=why(exc)))
            continue
        if python is None:
            node.text = "-"
            continue
        error = _check_expr(python.replace("?", "dmn_input")) or _int64(python, kind)
        if error:
            fail(parent, msg("{kind} {value} refused: {error}", kind=kind, value=_quote(text.strip()), error=error))
            continue
        node.text = python
    return problems


def _int64(python: str, kind: str) -> Msg | None:
    """Integer literals of a translated DMN cell must fit the signed 64-bit range."""
    tree = ast.parse(python.replace("?", "dmn_input"), mode="eval")
    negated = {id(n.operand) for n in ast.walk(tree)
               if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            value = -node.value if id(node) in negated else node.value
            if not INT64[0] <= value <= INT64[1]:
                if kind == "outputEntry":
                    return msg("outputs are stored as 64-bit integers: use a decimal or text")
                return msg("integers beyond the signed 64-bit range are not supported: use a decimal or text")
    return None
