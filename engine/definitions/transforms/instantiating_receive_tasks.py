"""Receive tasks that start their process (`instantiate="true"`, BPMN 2.0 §10.2.4): a process starts
when the message arrives, and the task is done on arrival. SpiffWorkflow cannot start a process by
a receive task, so such a task becomes a message start event of the same id and message. Only the
form BPMN means is transformed: a receive task directly in a process with no start event, without
incoming flows, boundary events, loop characteristics or data associations; anything else stays for
constructs.instantiating_receive_tasks to refuse."""
from __future__ import annotations

from lxml import etree

from .base import NS, q

KEEP = ("documentation", "extensionElements", "incoming", "outgoing")


def to_start_events(root: etree._Element) -> None:
    for process in root.findall("bpmn:process", NS):
        tasks = process.xpath("bpmn:receiveTask[@instantiate='true']", namespaces=NS)
        if len(tasks) != 1 or process.find("bpmn:startEvent", NS) is not None:
            continue
        task = tasks[0]
        tid = task.get("id")
        fed = any(f.get("targetRef") == tid for f in process.iterfind("bpmn:sequenceFlow", NS))
        attached = any(b.get("attachedToRef") == tid for b in process.iterfind("bpmn:boundaryEvent", NS))
        if not task.get("messageRef") or fed or attached \
                or any(isinstance(c.tag, str) and etree.QName(c).localname not in KEEP for c in task):
            continue
        task.tag = q("startEvent")
        definition = etree.SubElement(task, q("messageEventDefinition"), messageRef=task.get("messageRef"))
        definition.set("id", f"{tid}__message")
        for attr in ("instantiate", "messageRef", "operationRef", "implementation"):
            task.attrib.pop(attr, None)
