"""Camunda variable mappings read from a diagram: `camunda:inputOutput` parameters and call activity
`camunda:in`/`camunda:out` bindings, as plain data the runtime evaluates (runtime/scopes.py).

A parameter value is one of (JSON-able, kept in the task spec's `extensions`):
`["null"]` (empty), `["text", str]`, `["expr", python]` (a whole `${...}`/`#{...}` JUEL expression,
translated by literals.condition_to_python), `["script", python]` (a Python `camunda:script`
whose final expression statement is its value, rewritten as an assignment to RESULT),
`["list", [value, ...]]`, `["map", [[key, value], ...]]`. The same functions check the diagram at
deploy (translate.py) and build the extensions at parse (camunda_parser.py).
"""
from __future__ import annotations

import ast
from typing import Any

from lxml import etree

from ..messages import msg, why
from ..runtime.sandbox import syntax_message
from . import literals

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
PYTHON_FORMATS = {"python", "python3", "text/x-python"}
RESULT = "camunda_result"  # the name a parameter script's final expression is assigned to


class MappingError(ValueError):
    """A mapping diwan cannot run (the message says what and why)."""


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).namespace == CAMUNDA]


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def expression(text: str) -> list:
    """A text value: `${...}` (or `#{...}`) alone is an expression, anything else literal text."""
    s = text.strip()
    if not s:
        return ["null"]
    if (s.startswith("${") or s.startswith("#{")) and s.endswith("}") and "${" not in s[2:] and "#{" not in s[2:]:
        try:
            return ["expr", literals.condition_to_python(s)]
        except literals.LiteralError as exc:
            raise MappingError(why(exc)) from None
    if "${" in s or "#{" in s:
        raise MappingError(msg("composite expressions such as {text} are not supported: write one ${{...}} alone, or a Python camunda:script", text=repr(s[:60])))
    return ["text", text.strip()]


def script_value(source: str, result: str = RESULT) -> str:
    """The script with its final expression statement assigned to `result` (its value, as Camunda
    takes a script's return value).

    Raises:
        MappingError: the script is not Python, or does not end with an expression.
    """
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise MappingError(msg("invalid Python script: {detail} (line {line})", detail=syntax_message(exc.msg), line=exc.lineno)) from None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise MappingError(msg("the script must end with an expression: its value is the result"))
    last = tree.body[-1]
    lines = source.splitlines(keepends=True)
    line = lines[last.lineno - 1]
    col = len(line.encode("utf-8")[: last.col_offset].decode("utf-8"))  # col_offset counts UTF-8 bytes
    lines[last.lineno - 1] = f"{line[:col]}{result} = {line[col:]}"
    return "".join(lines)


def parameter(el: etree._Element) -> list:
    """The value of an inputParameter, outputParameter, map entry or list value element."""
    inner = _children(el)
    if not inner:
        return expression(el.text or "")
    if len(inner) > 1 or (el.text or "").strip():
        raise MappingError(msg("camunda:{tag} holds either text or one camunda:list, camunda:map or camunda:script", tag=_local(el)))
    return definition(inner[0])


def definition(el: etree._Element) -> list:
    kind = _local(el)
    if kind == "list":
        return ["list", [definition(c) if _local(c) != "value" else parameter(c) for c in _children(el)]]
    if kind == "map":
        entries = []
        for entry in _children(el):
            if _local(entry) != "entry" or entry.get("key") is None:
                raise MappingError(msg("a camunda:map holds camunda:entry elements with a key"))
            entries.append([entry.get("key"), parameter(entry)])
        return ["map", entries]
    if kind == "script":
        fmt = (el.get("scriptFormat") or "").strip()
        if fmt.lower() not in PYTHON_FORMATS:
            raise MappingError((msg("{format} is not supported: write the script in Python", format=fmt) if fmt else msg("a script without scriptFormat is not supported: write the script in Python")))
        if el.get("resource"):
            raise MappingError(msg("external script resources are not supported: write the script in the diagram"))
        return ["script", script_value(el.text or "")]
    if kind == "value":
        return parameter(el)
    raise MappingError(msg("camunda:{kind} is not a parameter value (camunda:list, camunda:map, camunda:script)", kind=kind))


def input_output(activity: etree._Element) -> dict[str, list] | None:
    """`{"inputs": [[name, value], ...], "outputs": [...]}` of an activity's camunda:inputOutput."""
    found = activity.findall(f"{{http://www.omg.org/spec/BPMN/20100524/MODEL}}extensionElements/{{{CAMUNDA}}}inputOutput")
    if not found:
        return None
    if len(found) > 1:
        raise MappingError(msg("an activity has one camunda:inputOutput"))
    out: dict[str, list] = {"inputs": [], "outputs": []}
    for param in _children(found[0]):
        kind = {"inputParameter": "inputs", "outputParameter": "outputs"}.get(_local(param))
        if kind is None:
            raise MappingError(msg("camunda:{tag} is not supported inside camunda:inputOutput", tag=_local(param)))
        name = (param.get("name") or "").strip()
        if not name.isidentifier() or name.startswith("_"):
            raise MappingError(msg("parameter name {name} is not a variable name", name=repr(name)))
        out[kind].append([name, parameter(param)])
    return out


def bindings(activity: etree._Element, tag: str) -> list[dict[str, Any]] | None:
    """A call activity's camunda:in (tag "in") or camunda:out bindings, each
    `{"all": True}` or `{"target": name, "value": value}`; None when there are none."""
    found = activity.findall(f"{{http://www.omg.org/spec/BPMN/20100524/MODEL}}extensionElements/{{{CAMUNDA}}}{tag}")
    if not found:
        return None
    out: list[dict[str, Any]] = []
    for b in found:
        if (b.get("local") or "false").strip() != "false":
            raise MappingError(msg('camunda:{tag} local="{local}" is not supported', tag=tag, local=b.get("local")))
        if b.get("businessKey") is not None:
            key = b.get("businessKey").strip().replace("#{", "${")
            if tag != "in" or key != "${execution.processBusinessKey}":
                raise MappingError(msg("camunda:in businessKey is supported only as #{{execution.processBusinessKey}}: the called process shares the instance's business key"))
            continue
        if b.get("variables") is not None:
            if b.get("variables").strip() != "all":
                raise MappingError(msg('camunda:{tag} variables="{variables}" is not supported: only "all"', tag=tag, variables=b.get("variables")))
            out.append({"all": True})
            continue
        target = (b.get("target") or "").strip()
        if not target.isidentifier() or target.startswith("_"):
            raise MappingError(msg("camunda:{tag} needs a target that is a variable name, not {target}", tag=tag, target=repr(target)))
        if b.get("source") is not None and b.get("sourceExpression") is None:
            source = b.get("source").strip()
            if not source.isidentifier():
                raise MappingError(msg("camunda:{tag} source {source} is not a variable name", tag=tag, source=repr(source)))
            out.append({"target": target, "value": ["var", source]})
        elif b.get("sourceExpression") is not None and b.get("source") is None:
            value = expression(b.get("sourceExpression"))
            out.append({"target": target, "value": value})
        else:
            raise MappingError(msg("camunda:{tag} needs either source or sourceExpression", tag=tag))
    return out


def pythons(value: list) -> list[tuple[str, str]]:
    """Every (mode, Python text) a parameter value evaluates, for the deploy-time sandbox check."""
    kind = value[0]
    if kind == "expr":
        return [("eval", value[1])]
    if kind == "script":
        return [("exec", value[1])]
    if kind == "list":
        return [p for v in value[1] for p in pythons(v)]
    if kind == "map":
        return [p for _, v in value[1] for p in pythons(v)]
    return []


LISTENER_EVENTS = {"executionListener": ("start", "end"), "taskListener": ("create", "complete")}


def listeners(activity: etree._Element) -> dict[str, list[str]] | None:
    """The Python scripts of an activity's execution listeners (start, end) and a user task's task
    listeners (create, complete), by event, in document order; None when there are none."""
    out: dict[str, list[str]] = {}
    ext = activity.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements")
    if ext is None:
        return None
    for listener in _children(ext):
        kind = _local(listener)
        if kind not in LISTENER_EVENTS:
            continue
        event = (listener.get("event") or "").strip()
        if event not in LISTENER_EVENTS[kind]:
            allowed = " or ".join(f'"{e}"' for e in LISTENER_EVENTS[kind])
            raise MappingError(msg('camunda:{kind} event="{event}" is not supported: only {allowed}', kind=kind, event=event, allowed=allowed))
        scripts = [c for c in _children(listener) if _local(c) == "script"]
        if len(scripts) != 1:
            raise MappingError(msg("a camunda:{kind} runs one Python camunda:script (Java listeners do not run in diwan)", kind=kind))
        script = scripts[0]
        fmt = (script.get("scriptFormat") or "").strip()
        if fmt.lower() not in PYTHON_FORMATS:
            raise MappingError((msg("{format} is not supported: write the script in Python", format=fmt) if fmt else msg("a script without scriptFormat is not supported: write the script in Python")))
        if script.get("resource") or not (script.text or "").strip():
            raise MappingError(msg("a camunda:{kind} script is written in the diagram", kind=kind))
        out.setdefault(event, []).append(script.text)
    return out or None
