"""Event sub-processes of a process that SpiffWorkflow does not run faithfully at process level.

SpiffWorkflow ignores `isInterrupting` (an interrupting event sub-process lets the main flow run
on), parses no error or escalation start event (the event sub-process starts at once), runs a
timer start as a parallel branch and never fires a conditional start. Inside a sub-process,
event_subprocesses.py runs them as boundary events of that sub-process. So a process with such an
event sub-process gets its content wrapped into one: a none start event `<process>__start`, a
sub-process `<process>__body` holding every flow element of the process and the event
sub-processes concerned, and a none end event `<process>__end`. An interrupting event sub-process
then replaces the whole main flow and the process ends after it, as BPMN says.

Only processes that start by one none start event are wrapped (a message, timer or signal start
names the process's own start event), with an end event, without data objects or data stores (SpiffWorkflow looks for
a data object in its scope and the one around only) or an ioSpecification; the start event's
attributes and extension elements (camunda:formKey, form fields, initiator) are copied onto the new
start event, so the start form is unchanged. The non-interrupting message and signal event
sub-processes that SpiffWorkflow runs at process level stay where they are. Anything else stays for
constructs.event_subprocess_start_events and conditional_events to refuse.
"""
from __future__ import annotations

from copy import deepcopy

from lxml import etree

from .base import NS, ORIGIN, Ids, Scope, definitions_of, local, q
from .event_subprocesses import trigger

STAY = {"laneSet", "documentation", "extensionElements", "ioSpecification", "property", "ioBinding",
        "auditing", "monitoring", "supportedInterfaceRef", "resourceRole", "performer", "humanPerformer",
        "potentialOwner", "correlationSubscription"}
DATA = ".//bpmn:dataObject | .//bpmn:dataObjectReference | .//bpmn:dataStoreReference | ./bpmn:ioSpecification"


def _needs_wrapping(esp: etree._Element) -> bool:
    found = trigger(esp)
    if found is None:
        return False
    start, definition, interrupting = found
    kind = local(definition)[: -len("EventDefinition")]
    return interrupting or kind not in ("message", "signal")


def wrap(root: etree._Element) -> None:
    ids = None
    for process in root.findall("bpmn:process", NS):
        moved = [e for e in process.findall("bpmn:subProcess[@triggeredByEvent='true']", NS) if _needs_wrapping(e)]
        starts = process.findall("bpmn:startEvent", NS)
        if not moved or len(starts) != 1 or definitions_of(starts[0]) \
                or starts[0].find("bpmn:eventDefinitionRef", NS) is not None or process.xpath(DATA, namespaces=NS) \
                or process.find("bpmn:endEvent", NS) is None:  # SpiffWorkflow: a sub-process needs an end event
            continue
        ids = ids or Ids(root)
        pid, start = process.get("id"), starts[0]
        keep = {id(e) for e in process.findall("bpmn:subProcess[@triggeredByEvent='true']", NS)} - {id(e) for e in moved}
        body = etree.Element(q("subProcess"), id=ids.new(pid, "body"))
        body.set(ORIGIN, pid)
        for child in list(process):
            if not isinstance(child.tag, str) or etree.QName(child).namespace != NS["bpmn"] \
                    or local(child) in STAY or id(child) in keep:
                continue
            body.append(child)  # moves it
        scope = Scope(process)
        first = etree.Element(q("startEvent"), id=ids.new(pid, "start"))
        for attr, value in start.attrib.items():
            if attr != "id":
                first.set(attr, value)
        first.set(ORIGIN, start.get("id"))
        for extension in start.findall("bpmn:extensionElements", NS):
            first.append(deepcopy(extension))
        last = etree.Element(q("endEvent"), id=ids.new(pid, "end"))
        last.set(ORIGIN, pid)
        for el in (first, body, last):
            scope.add_node(el)
        scope.add_flow(ids, first.get("id"), body.get("id"), pid)
        scope.add_flow(ids, body.get("id"), last.get("id"), pid)
