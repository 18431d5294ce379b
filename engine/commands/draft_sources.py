"""What a draft holds: its key read from the source, the sources of new definitions, and the
checks a publication adds to a deployment's (a process that does nothing is not published)."""
from __future__ import annotations

import re

import orjson
from lxml import etree

from ..definitions import safe_xml
from ..errors import InvalidData
from ..messages import msg

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,254}")  # an XML id (NCName) or a form id
EXTENSIONS = {"process": ".bpmn", "decision": ".dmn", "form": ".form"}
KINDS = tuple(EXTENSIONS)


def check_key(key: str, field: str = "key") -> str:
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise InvalidData(f"invalid key {key!r}", errors={field: [
            "1 to 255 characters: a letter or _ first, then letters, digits, _ . -"]})
    return key


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidData(f"unknown kind {kind!r}", errors={"kind": [f"One of {', '.join(KINDS)}."]})
    return kind


def keys_in(kind: str, source: str) -> list[str]:
    """The keys the source declares (process ids, decision ids, the form's id), in order.

    Raises:
        InvalidData: the source does not parse (a draft is work in progress, but well-formed).
    """
    if kind == "form":
        try:
            value = orjson.loads(source)
        except orjson.JSONDecodeError as exc:
            raise InvalidData("the form is not JSON", errors={"source": [f"Not JSON: {exc}"]}) from None
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            raise InvalidData("the form has no id", errors={"source": ["A form-js schema with an `id`."]})
        return [value["id"]]
    try:
        root = safe_xml.parse(source.encode("utf-8"))
    except safe_xml.UnsafeXml as exc:
        raise InvalidData(str(exc), errors={"source": [str(exc)]}) from None
    local = "process" if kind == "process" else "decision"
    return [n.get("id") for n in root.iter() if isinstance(n.tag, str) and etree.QName(n).localname == local
            and n.get("id")]


def with_key(kind: str, source: str, old: str, new: str) -> str:
    """The source of a new definition whose key the server chose, renamed (used before any save)."""
    if kind == "form":
        value = orjson.loads(source)
        value["id"] = new
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    return source.replace(f'"{old}"', f'"{new}"')


def new_source(kind: str, key: str) -> str:
    """The source a new definition starts from (French labels: the designers' language)."""
    if kind == "form":
        return orjson.dumps({"type": "default", "id": key, "schemaVersion": 16, "components": []},
                            option=orjson.OPT_INDENT_2).decode()
    if kind == "decision":
        return DECISION.format(key=key)
    return PROCESS.format(key=key)


def publish_problems(kind: str, filename: str, source: str) -> list[dict]:
    """What a deployment accepts but a publication refuses: a process that does nothing (its
    start events lead nowhere: issue 14, a lone start event clerks could start)."""
    from ..errors import problem

    if kind != "process":
        return []
    root = safe_xml.parse(source.encode("utf-8"))
    out = []
    for proc in root.iter(f"{{{BPMN}}}process"):
        flows = {f.get("sourceRef") for f in proc.iter(f"{{{BPMN}}}sequenceFlow")}
        for start in proc.findall(f"{{{BPMN}}}startEvent"):
            if start.get("id") not in flows:
                out.append(problem(filename, start.get("id"), msg("the start event leads nowhere: draw what the process does (tasks, an end event) before publishing")))
    return out


PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="Nouvelle procédure" isExecutable="true">
    <bpmn:startEvent id="debut" name="Début" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{key}">
      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut"><dc:Bounds x="180" y="160" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

DECISION = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="Definitions_{key}" name="Décision" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="{key}" name="Nouvelle décision">
    <decisionTable id="table_{key}">
      <input id="input_1" label="Entrée"><inputExpression id="inputExpression_1" typeRef="string"><text>valeur</text></inputExpression></input>
      <output id="output_1" label="Résultat" name="resultat" typeRef="string" />
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="DMNDiagram_1"><dmndi:DMNShape id="DMNShape_1" dmnElementRef="{key}"><dc:Bounds height="80" width="180" x="160" y="100" /></dmndi:DMNShape></dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>
"""
