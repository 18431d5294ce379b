"""Call activities whose calledElement is a global task of the same file (globalScriptTask,
globalUserTask, ...): SpiffWorkflow only calls processes. Calling a global task runs that task in
place (BPMN 2.0 §10.2.5), so the call activity becomes the task itself: same id, name, flows,
boundary events and loop characteristics, with the global task's attributes and script. Global
tasks with an ioSpecification (or of another kind), and calls past the copy budget
(base.CopyBudget), stay for constructs.global_task_calls."""
from __future__ import annotations

from copy import deepcopy

from lxml import etree

from .base import NS, CopyBudget, local, q

TASKS = {"globalTask": "task", "globalScriptTask": "scriptTask", "globalUserTask": "userTask",
         "globalManualTask": "manualTask"}
KEEP_CHILDREN = ("documentation", "extensionElements", "script")


def inline(root: etree._Element) -> None:
    globals_ = {el.get("id"): el for el in root if isinstance(el.tag, str) and local(el) in TASKS and el.get("id")}
    if not globals_:
        return
    inlined, kept, budget = set(), set(), CopyBudget()
    for call in root.xpath(".//bpmn:callActivity", namespaces=NS):
        target = globals_.get((call.get("calledElement") or "").strip().rpartition(":")[2])
        if target is None or target.find("bpmn:ioSpecification", NS) is not None:
            continue
        if not budget.take(target):
            kept.add(target.get("id"))
            continue
        inlined.add(target.get("id"))
        call.tag = q(TASKS[local(target)])
        del call.attrib["calledElement"]
        for attr, value in target.attrib.items():
            if attr not in ("id", "name") and attr not in call.attrib:
                call.set(attr, value)
        if not call.get("name") and target.get("name"):
            call.set("name", target.get("name"))
        own_docs = call.find("bpmn:documentation", NS) is not None
        position = 0
        for child in target:
            if not isinstance(child.tag, str) or local(child) not in KEEP_CHILDREN:
                continue
            if local(child) == "documentation" and own_docs:
                continue
            copy = deepcopy(child)
            if local(child) == "script":
                call.append(copy)  # after incoming/outgoing, before nothing BPMN-specific
            else:
                call.insert(position, copy)
                position += 1
    for name in inlined - kept:  # every call of it is inlined: SpiffWorkflow never sees the global task
        root.remove(globals_[name])
