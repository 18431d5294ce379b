"""Deploy-time checks that a DMN document is what SpiffWorkflow's DMN parser can read.

SpiffWorkflow (dmn/parser/DMNParser.py) reads one decision per file, in the document's
default namespace, with exactly one decision table whose children are inputs, outputs and
rules, every one with an id; it takes the cell of an entry from the last child whose tag
*ends with* "text" (so `<x:context>` counts). Anything else is an IndexError, a KeyError or
an XPath error, or a cell nobody checked. These rules name the element and the reason.
Decisions are also parsed on their own at deploy (`parse_alone`), used by a process or not.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..errors import problem
from ..messages import Msg, msg

log = logging.getLogger(__name__)

DMN_NAMESPACES = frozenset({
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # DMN 1.1
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3 (dmn-js, Camunda Modeler)
    "https://www.omg.org/spec/DMN/20211108/MODEL/",  # 1.4
    "https://www.omg.org/spec/DMN/20230324/MODEL/",  # 1.5
})
# DMNEngine implements UNIQUE and FIRST (the first matching rule), COLLECT (every match, no
# aggregation) and ANY (valid tables give one output); the ordered policies it runs as FIRST.
HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "COLLECT", "ANY"})
MAX_ID, MAX_NAME = 255, 500
_NCNAME = re.compile(r"[^\W\d][\w.\-]*")

Found = Iterator[tuple[str | None, Msg]]


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def structure_problems(root: etree._Element, filename: str) -> list[dict]:
    """What keeps SpiffWorkflow's DMN parser from reading this document faithfully.

    Args:
        root: the DMN `definitions` element, comments and processing instructions removed.
        filename: the file name to put in each problem.
    """
    return [problem(filename, element, message) for element, message in _problems(root)]


def _problems(root: etree._Element) -> Found:
    ns = etree.QName(root).namespace
    if local(root) != "definitions" or ns not in DMN_NAMESPACES:
        yield None, (msg('not a DMN document: the root must be a DMN 1.1-1.5 definitions element (e.g. xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/")'))
        return
    if root.nsmap.get(None) != ns:
        yield None, (msg('DMN elements must be in the default namespace (xmlns="{ns}", as dmn-js writes them): SpiffWorkflow cannot read a prefixed DMN', ns=ns))
        return
    yield from _ids(root)
    decisions = root.findall(f".//{{{ns}}}decision")
    if not decisions:
        yield None, msg("the DMN file declares no decision")
        return
    if len(decisions) > 1:
        names = ", ".join(repr(d.get("id")) for d in decisions)
        yield None, msg("a DMN file holds one decision (SpiffWorkflow reads only the first); this one has {names}", names=names)
        return
    decision = decisions[0]
    if decision.getparent() is not root:
        yield decision.get("id"), msg("the decision must be a child of the definitions element")
    if not decision.get("id"):
        yield None, msg("the decision has no id (the id is the decision's key: camunda:decisionRef names it)")
    if len(decision.get("name") or "") > MAX_NAME:
        yield decision.get("id"), msg("the decision's name is too long (at most {limit} characters)", limit=MAX_NAME)
    tables = decision.findall(f"{{{ns}}}decisionTable")
    others = [local(c) for c in decision if isinstance(c.tag, str) and etree.QName(c).namespace == ns
              and local(c) not in ("decisionTable", "description", "question", "allowedAnswers", "variable",
                                   "informationRequirement", "knowledgeRequirement", "authorityRequirement",
                                   "extensionElements")]
    if others:
        yield decision.get("id"), (msg("only decision tables are supported, not {names} (SpiffWorkflow runs decision tables only)", names=', '.join(sorted(set(others)))))
    if len(tables) != 1:
        yield decision.get("id"), (msg("the decision has no decision table") if not tables else
                                   msg("a decision holds one decision table (SpiffWorkflow runs only the first)"))
        return
    yield from _table(tables[0], ns)


def _ids(root: etree._Element) -> Found:
    seen: set[str] = set()
    for el in root.iter():
        eid = el.get("id") if isinstance(el.tag, str) else None
        if eid is None:
            continue
        if len(eid) > MAX_ID:
            yield None, msg("the id {id}... is too long ({length} characters, at most {limit})", id=repr(eid[:60]), length=len(eid), limit=MAX_ID)
        elif not _NCNAME.fullmatch(eid):
            yield None, (msg("the id {id} of a {tag} is not a valid XML id (a letter or '_' first, then letters, digits, '_', '-' or '.')", id=repr(eid), tag=local(el)))
        elif eid in seen:
            yield eid, msg("the id {id} is used twice", id=repr(eid))
        seen.add(eid)


def _table(table: etree._Element, ns: str) -> Found:
    tid = table.get("id")
    if not tid:
        yield None, msg("the decision table has no id")
    policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    if policy not in HIT_POLICIES:
        yield tid, (msg("hit policy {policy} is not supported (SpiffWorkflow would run it as FIRST): use UNIQUE, FIRST, ANY or COLLECT", policy=policy))
    elif table.get("aggregation"):
        yield tid, (msg("COLLECT with aggregation {aggregation} is not supported (SpiffWorkflow ignores it and returns the list)", aggregation=table.get('aggregation')))
    inputs, outputs, rules = [], [], []
    order = ""
    for child in table:
        if not isinstance(child.tag, str):
            continue
        kind = child.tag.rsplit("}", 1)[-1]
        # The same test as DMNParser._parse_inputs_outputs: by the tag's ending.
        if child.tag.endswith("input"):
            inputs.append(child)
            order += "i"
        elif child.tag.endswith("output"):
            outputs.append(child)
            order += "o"
        elif child.tag.endswith("rule"):
            rules.append(child)
            order += "r"
        else:
            yield tid, msg("a decision table holds inputs, outputs and rules, not {kind}", kind=repr(kind))
    if order != "".join(sorted(order, key="ior".index)):
        # SpiffWorkflow reads a rule's cells against the columns read before it.
        yield tid, msg("a decision table lists its inputs first, then its outputs, then its rules")
    if not outputs:
        yield tid, msg("the decision table has no output")
    names: set[str] = set()
    for el in inputs:
        if not el.get("id"):
            yield tid, msg("an input of the decision table has no id")
        expression = el.find(f"{{{ns}}}inputExpression")
        if expression is None or expression.find(f"{{{ns}}}text") is None:
            yield el.get("id") or tid, msg("the input has no inputExpression text (the value it tests)")
    for el in outputs:
        if not el.get("id"):
            yield tid, msg("an output of the decision table has no id")
        name = el.get("name") or el.get("label")
        if not name:
            yield el.get("id") or tid, msg("the output has no name (the variable it sets)")
        elif name in names:
            yield el.get("id") or tid, msg("two outputs set the variable {name}", name=repr(name))
        names.add(name or "")
    for rule in rules:
        yield from _rule(rule, len(inputs), len(outputs), ns, tid)


def _rule(rule: etree._Element, inputs: int, outputs: int, ns: str, tid: str | None) -> Found:
    rid = rule.get("id")
    if not rid:
        yield tid, msg("a rule of the decision table has no id")
    for kind, count in (("inputEntry", inputs), ("outputEntry", outputs)):
        entries = [c for c in rule if isinstance(c.tag, str) and c.tag.endswith(kind)]
        if len(entries) != count:
            yield rid or tid, msg("the rule has {count} {kind} cell(s) for {columns} column(s)", count=len(entries), kind=kind, columns=count)
        for entry in entries:
            if not entry.get("id"):
                yield rid or tid, msg("an {kind} of the rule has no id", kind=kind)
            texts = [c for c in entry if isinstance(c.tag, str) and c.tag.endswith("text")]
            strangers = [c for c in texts if c.tag != f"{{{ns}}}text"]
            if strangers:
                yield entry.get("id") or rid, (
                    msg("<{tag}> inside an {kind} is not allowed: SpiffWorkflow takes any child whose name ends in 'text' as the cell", tag=etree.QName(strangers[0]).localname, kind=kind))
            elif len(texts) != 1:
                yield entry.get("id") or rid, msg("an {kind} holds one text, not {count}", kind=kind, count=len(texts))


def parse_alone(root: etree._Element, filename: str) -> list[dict]:
    """Parse a translated DMN document with SpiffWorkflow as a business rule task would."""
    from .camunda_parser import DiwanParser
    from .spec_cache import validation_problem

    parser = DiwanParser()
    try:
        parser.add_dmn_xml(root, filename=filename)
        for key in list(parser.dmn_parsers):
            parser.get_engine(key, root)
    except ValidationException as exc:
        return [validation_problem(exc, filename)]
    except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises, the uploader gets a problem
        log.warning("SpiffWorkflow failed on %s", filename, exc_info=True)
        return [problem(filename, None, msg("SpiffWorkflow cannot read this decision ({detail})", detail=f"{type(exc).__name__}: {exc}"))]
    return []
