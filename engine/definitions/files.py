"""Reading deployed files: what each BPMN, DMN or form file declares and references."""
from __future__ import annotations

import codecs
import hashlib
import logging
from copy import deepcopy
from dataclasses import dataclass, field

import orjson
from lxml import etree

from ..errors import problem
from ..messages import msg
from ..starters import split_list
from . import decision_tables, safe_xml
from .spiff_dialect import item_variable, message_variable, translate_spiff
from .structure import structure_problems
from .translate import BPMN, CAMUNDA, NS, strip_comments, translate_bpmn, translate_dmn

log = logging.getLogger(__name__)

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
    initiator: str | None = None  # camunda:initiator of the none start event: gets the starter's name
    starter_groups: list[str] = field(default_factory=list)  # camunda:candidateStarterGroups
    starter_users: list[str] = field(default_factory=list)  # camunda:candidateStarterUsers

    def meta(self) -> dict:
        return {"start_form_key": self.start_form_key, "forms": sorted(self.forms),
                "decisions": sorted(self.decisions), "calls": sorted(self.calls),
                "message_starts": self.message_starts, "timer_starts": self.timer_starts,
                "signal_starts": self.signal_starts,
                "has_none_start": self.has_none_start, "initiator": self.initiator,
                "candidate_starter_groups": self.starter_groups, "candidate_starter_users": self.starter_users}


@dataclass
class DeployedFile:
    """One uploaded file, read and (for XML) translated, ready for SpiffWorkflow's parser."""

    filename: str
    kind: str  # bpmn | dmn | form
    source: str  # the decoded text as stored and served (XML: normalised to UTF-8, see safe_xml.decode)
    content_hash: str  # sha256 of the source's UTF-8 bytes (a UTF-8 file's own bytes, unless it has a BOM)
    translated: etree._Element | None = None
    form: dict | None = None
    processes: list[ProcessInfo] = field(default_factory=list)
    decisions: list[tuple[str, str | None]] = field(default_factory=list)
    generated: list["DeployedFile"] = field(default_factory=list)  # forms made from camunda:formData

    @property
    def text(self) -> str:
        return self.source


def read_file(filename: str, content: bytes, constructs_check=None) -> tuple[DeployedFile | None, list[dict]]:
    """Read one uploaded file; returns it with the problems found (None when unreadable).

    Whatever the file holds, the answer is problems, never an exception: a check that fails
    unexpectedly is logged and reported as a problem of the file.
    """
    try:
        return _read(filename, content, constructs_check)
    except RecursionError:
        return None, [problem(filename, None, msg("the file is nested too deeply to be checked"))]
    except Exception as exc:  # noqa: BLE001 - a hostile file must never become a 500
        log.exception("checking %s failed", filename)
        return None, [problem(filename, None, msg("the file could not be checked ({detail})",
                                                  detail=f"{type(exc).__name__}: {exc}"))]


def _read(filename: str, content: bytes, constructs_check) -> tuple[DeployedFile | None, list[dict]]:
    lower = filename.lower()
    if lower.endswith(".form"):
        return _read_form(filename, content)
    if not (lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml") or lower.endswith(".dmn")):
        return None, [problem(filename, None, msg("unsupported file type: deploy .bpmn, .dmn or .form files"))]
    try:
        document = safe_xml.read(content)
    except safe_xml.UnsafeXml as exc:
        return None, [problem(filename, None, exc.args[0])]
    source, root = document.text, document.root
    digest = _digest(source)
    if lower.endswith(".dmn"):
        return _read_dmn(filename, source, digest, root)
    return _read_bpmn(filename, source, digest, root, constructs_check)


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _read_form(filename, content):
    from ..forms.form_schema import check_form

    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    if content[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in content[:4]:
        return None, [problem(filename, None, msg("a .form file must be JSON in UTF-8 (this one looks like "
                                                  "UTF-16 or UTF-32): save it as UTF-8"))]
    try:
        source = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = content[exc.start:exc.start + 1]
        return None, [problem(filename, None, msg("a .form file must be JSON in UTF-8: byte 0x{byte} at "
                                                  "offset {offset} is not valid UTF-8", byte=byte.hex(),
                                                  offset=exc.start))]
    try:
        form = orjson.loads(source)
    except orjson.JSONDecodeError as exc:
        return None, [problem(filename, None, msg("malformed JSON: {detail}", detail=str(exc)))]
    issues = check_form(form)
    if issues:
        key = form.get("id") if isinstance(form, dict) and isinstance(form.get("id"), str) else None
        key = key if key and len(key) <= 255 else None
        return None, [problem(filename, key, m) for m in issues]
    return DeployedFile(filename, "form", source, _digest(source), form=form), []


def _read_dmn(filename, source, digest, root):
    if etree.QName(root).localname != "definitions":
        return None, [problem(filename, None, msg("not a DMN document (no definitions root)"))]
    translated = deepcopy(root)
    strip_comments(translated)
    problems = decision_tables.structure_problems(translated, filename)
    if problems:
        return None, problems
    problems = translate_dmn(translated, filename)
    if not problems:
        problems = decision_tables.parse_alone(translated, filename)
    decisions = [(d.get("id"), d.get("name")) for d in translated.iter()
                 if isinstance(d.tag, str) and etree.QName(d).localname == "decision"]
    return DeployedFile(filename, "dmn", source, digest, translated=translated, decisions=decisions), problems


def _read_bpmn(filename, source, digest, root, constructs_check):
    if root.tag != f"{{{BPMN}}}definitions":
        return None, [problem(filename, None, msg("not a BPMN 2.0 document (no bpmn:definitions root)"))]
    problems = structure_problems(root, filename)
    problems += list(constructs_check(root, filename)) if constructs_check else []
    translated = deepcopy(root)
    problems += translate_spiff(translated, filename)  # before: it writes Camunda forms translate_bpmn reads
    forms: list[dict] = []
    problems += translate_bpmn(translated, filename, forms)
    generated = []
    for form in forms:  # camunda:formData: deployed with the diagram as a form of its own
        from ..forms.form_schema import check_form

        issues = check_form(form)
        element = form["id"].rpartition(".")[2]
        problems += [problem(filename, element, msg("the generated form: {detail}", detail=m)) for m in issues]
        text = orjson.dumps(form, option=orjson.OPT_INDENT_2).decode()
        generated.append(DeployedFile(filename, "form", text, _digest(text), form=form))
    messages = {m.get("id"): m.get("name") or m.get("id") for m in translated.iterfind("bpmn:message", NS)}
    signals = {m.get("id"): m.get("name") or m.get("id") for m in translated.iterfind("bpmn:signal", NS)}
    processes = [_process_info(p, messages, signals) for p in translated.iterfind("bpmn:process", NS)
                 if not _black_box(p)]
    if not processes:
        problems.append(problem(filename, None, msg("the file declares no process")))
    return DeployedFile(filename, "bpmn", source, digest, translated=translated, processes=processes,
                        generated=generated), problems


def _black_box(proc: etree._Element) -> bool:
    """A collaboration's black-box pool: a non-executable process with nothing inside (SpiffArena and
    bpmn-js write one per outside participant). It has nothing to run and is not deployed."""
    return proc.get("isExecutable") == "false" and not any(isinstance(c.tag, str) for c in proc)


def _process_info(proc: etree._Element, messages: dict[str, str], signals: dict[str, str]) -> ProcessInfo:
    info = ProcessInfo(proc.get("id"), proc.get("name"), None)
    info.starter_groups = list(split_list(proc.get(f"{{{CAMUNDA}}}candidateStarterGroups")))
    info.starter_users = list(split_list(proc.get(f"{{{CAMUNDA}}}candidateStarterUsers")))
    for start in proc.iterfind("bpmn:startEvent", NS):
        signal = start.find("bpmn:signalEventDefinition", NS)
        if signal is not None:
            entry = {"id": start.get("id"), "signal": signals.get(signal.get("signalRef"), start.get("name"))}
            variable = item_variable(proc.getroottree().getroot(), signal, "signal")
            if variable:  # SpiffArena: the signal's payload becomes this variable
                entry["variable"] = variable
            info.signal_starts.append(entry)
        timer = start.find("bpmn:timerEventDefinition", NS)
        if timer is not None:
            for node in timer:
                if isinstance(node.tag, str):
                    info.timer_starts.append({"id": start.get("id"), "kind": etree.QName(node).localname,
                                              "value": _literal(node.text)})
        definition = start.find("bpmn:messageEventDefinition", NS)
        if definition is not None:
            ref = definition.get("messageRef")
            entry = {"id": start.get("id"), "message": messages.get(ref, start.get("name"))}
            variable = message_variable(proc.getroottree().getroot(), definition)
            if variable:  # SpiffArena: the message's data becomes this variable
                entry["variable"] = variable
            if start.get(f"{{{CAMUNDA}}}initiator"):
                entry["initiator"] = start.get(f"{{{CAMUNDA}}}initiator")
            info.message_starts.append(entry)
        elif len([c for c in start if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]) == 0:
            info.has_none_start = True
            info.start_form_key = _form_key(start) or info.start_form_key
            info.initiator = start.get(f"{{{CAMUNDA}}}initiator") or info.initiator
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
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _form_key(node) -> str | None:
    return normalize_form_key(node.get(f"{{{CAMUNDA}}}formKey") or node.get(f"{{{CAMUNDA}}}formRef"))
