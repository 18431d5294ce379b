"""Reading deployed files: what each BPMN, DMN or form file declares and references."""
from __future__ import annotations

import hashlib
from copy import deepcopy
from dataclasses import dataclass, field

import orjson
from lxml import etree

from ..errors import problem
from . import safe_xml
from .translate import BPMN, CAMUNDA, NS, translate_bpmn, translate_dmn

FORM_PREFIX = "camunda-forms:deployment:"


def normalize_form_key(key: str | None) -> str | None:
    """`camunda-forms:deployment:KEY.form` or `KEY` -> `KEY`."""
    if not key:
        return None
    key = key.strip()
    if key.startswith(FORM_PREFIX):
        key = key[len(FORM_PREFIX):]
        if key.endswith(".form"):
            key = key[:-5]
    return key


@dataclass
class ProcessInfo:
    key: str
    name: str | None
    start_form_key: str | None
    forms: set[str] = field(default_factory=set)
    decisions: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    message_starts: list[dict] = field(default_factory=list)  # [{"id": start event, "message": name}]
    timer_starts: list[dict] = field(default_factory=list)  # [{"id", "kind", "value"}] (ISO literal)
    signal_starts: list[dict] = field(default_factory=list)  # [{"id": start event, "signal": name}]
    has_none_start: bool = False

    def meta(self) -> dict:
        return {"start_form_key": self.start_form_key, "forms": sorted(self.forms),
                "decisions": sorted(self.decisions), "calls": sorted(self.calls),
                "message_starts": self.message_starts, "timer_starts": self.timer_starts,
                "signal_starts": self.signal_starts,
                "has_none_start": self.has_none_start}


@dataclass
class DeployedFile:
    """One uploaded file, read and (for XML) translated, ready for SpiffWorkflow's parser."""

    filename: str
    kind: str  # bpmn | dmn | form
    content: bytes
    content_hash: str
    translated: etree._Element | None = None
    form: dict | None = None
    processes: list[ProcessInfo] = field(default_factory=list)
    decisions: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def read_file(filename: str, content: bytes, constructs_check=None) -> tuple[DeployedFile | None, list[dict]]:
    """Read one uploaded file; returns it with the problems found (None when unreadable)."""
    lower = filename.lower()
    digest = hashlib.sha256(content).hexdigest()
    if lower.endswith(".form"):
        return _read_form(filename, content, digest)
    if not (lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml") or lower.endswith(".dmn")):
        return None, [problem(filename, None, "unsupported file type: deploy .bpmn, .dmn or .form files")]
    try:
        root = safe_xml.parse(content)
    except safe_xml.UnsafeXml as exc:
        return None, [problem(filename, None, str(exc))]
    if lower.endswith(".dmn"):
        return _read_dmn(filename, content, digest, root)
    return _read_bpmn(filename, content, digest, root, constructs_check)


def _read_form(filename, content, digest):
    from ..forms.form_schema import check_form

    try:
        form = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        return None, [problem(filename, None, f"malformed JSON: {exc}")]
    issues = check_form(form)
    if issues:
        return None, [problem(filename, None if not isinstance(form, dict) else form.get("id"), m) for m in issues]
    return DeployedFile(filename, "form", content, digest, form=form), []


def _read_dmn(filename, content, digest, root):
    if etree.QName(root).localname != "definitions":
        return None, [problem(filename, None, "not a DMN document (no definitions root)")]
    translated = deepcopy(root)
    problems = translate_dmn(translated, filename)
    decisions = [(d.get("id"), d.get("name")) for d in translated.iter()
                 if isinstance(d.tag, str) and etree.QName(d).localname == "decision"]
    if not decisions:
        problems.append(problem(filename, None, "the DMN file declares no decision"))
    return DeployedFile(filename, "dmn", content, digest, translated=translated, decisions=decisions), problems


def _read_bpmn(filename, content, digest, root, constructs_check):
    if root.tag != f"{{{BPMN}}}definitions":
        return None, [problem(filename, None, "not a BPMN 2.0 document (no bpmn:definitions root)")]
    problems = list(constructs_check(root, filename)) if constructs_check else []
    translated = deepcopy(root)
    problems += translate_bpmn(translated, filename)
    messages = {m.get("id"): m.get("name") or m.get("id") for m in translated.iterfind("bpmn:message", NS)}
    signals = {m.get("id"): m.get("name") or m.get("id") for m in translated.iterfind("bpmn:signal", NS)}
    processes = [_process_info(p, messages, signals) for p in translated.iterfind("bpmn:process", NS)]
    if not processes:
        problems.append(problem(filename, None, "the file declares no process"))
    return DeployedFile(filename, "bpmn", content, digest, translated=translated, processes=processes), problems


def _process_info(proc: etree._Element, messages: dict[str, str], signals: dict[str, str]) -> ProcessInfo:
    info = ProcessInfo(proc.get("id"), proc.get("name"), None)
    for start in proc.iterfind("bpmn:startEvent", NS):
        signal = start.find("bpmn:signalEventDefinition", NS)
        if signal is not None:
            info.signal_starts.append({"id": start.get("id"),
                                       "signal": signals.get(signal.get("signalRef"), start.get("name"))})
        timer = start.find("bpmn:timerEventDefinition", NS)
        if timer is not None:
            for node in timer:
                if isinstance(node.tag, str):
                    info.timer_starts.append({"id": start.get("id"), "kind": etree.QName(node).localname,
                                              "value": _literal(node.text)})
        definition = start.find("bpmn:messageEventDefinition", NS)
        if definition is not None:
            ref = definition.get("messageRef")
            info.message_starts.append({"id": start.get("id"), "message": messages.get(ref, start.get("name"))})
        elif len([c for c in start if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]) == 0:
            info.has_none_start = True
            info.start_form_key = _form_key(start) or info.start_form_key
    for node in proc.iter():
        if not isinstance(node.tag, str):
            continue
        key = _form_key(node)
        if key:
            info.forms.add(key)
        ref = node.get(f"{{{CAMUNDA}}}decisionRef")
        if ref:
            info.decisions.add(ref)
        if node.tag == f"{{{BPMN}}}callActivity" and node.get("calledElement"):
            info.calls.add(node.get("calledElement"))
    return info


def _literal(python_text: str | None) -> str | None:
    """The ISO literal a translated timer expression stands for (None when it is not one)."""
    import ast

    try:
        value = ast.literal_eval((python_text or "").strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _form_key(node) -> str | None:
    return normalize_form_key(node.get(f"{{{CAMUNDA}}}formKey") or node.get(f"{{{CAMUNDA}}}formRef"))
