"""Time travel checked against the history it folds: at every step, what the picture shows
(active elements, open tasks, done elements, taken flows) is what the events up to that step say."""
from __future__ import annotations

from lxml import etree

from engine.audit.flow_map import BPMN, flow_map

STARTS = ("task_ready", "external_task_created")
COMPLETIONS = ("element_completed", "task_completed", "external_task_completed")
ENDS = ("task_completed", "task_cancelled", "external_task_completed", "external_task_cancelled",
        "external_task_bpmn_error")


def check_time_travel(engine, instance_id: str) -> list[dict]:
    """Assert every step's picture agrees with the history; returns the pictures."""
    events = [e.to_dict() for e in engine.history(instance_id)]
    pictures = engine.pictures(instance_id)
    assert [p["seq"] for p in pictures] == [e["seq"] for e in events]
    view = engine.get_instance(instance_id)
    source_xml = engine.definition_source(view.definition_key, view.definition_version)
    flows = flow_map(source_xml)
    inside = _inside(source_xml)
    source_of = {f: (s, t) for s, out in flows.outgoing.items() for f, t in out}
    user_tasks = {e["element_id"] for e in events if e["type"] in STARTS}
    for index, (event, picture) in enumerate(zip(events, pictures)):
        seen = events[: index + 1]
        where = f"instance {instance_id} at #{event['seq']} ({event['type']} {event['element_id']})"
        # Open tasks: exactly those that became ready and did not end yet.
        ended = {e["task_id"] for e in seen if e["type"] in ENDS}
        ready = [e["task_id"] for e in seen if e["type"] == "task_ready" and e["task_id"] not in ended]
        assert sorted(t["id"] for t in picture["open_tasks"]) == sorted(ready), where
        # A user task is shown active only while one of its tasks is open (no later task shown early).
        open_elements = {e["element_id"] for e in seen if e["type"] in STARTS and e["task_id"] not in ended}
        for element in picture["active_elements"]:
            if element in user_tasks:
                assert element in open_elements, f"{where}: {element} shown active before or after its task"
        # Where a command ends, the picture is exactly where it left the instance.
        if "after" in event["payload"]:
            assert picture["active_elements"] == event["payload"]["after"]["active_elements"], where
            assert picture["status"] == event["payload"]["after"]["status"], where
        # Done elements: completions recorded so far.
        done: dict[str, int] = {}
        for e in seen:
            if e["type"] in COMPLETIONS and e["element_id"]:
                done[e["element_id"]] = done.get(e["element_id"], 0) + 1
        assert picture["completed_elements"] == done, where
        # A taken flow leaves an element that completed by then and reaches an element the history
        # reaches after that completion (or, for a join, one still waiting for its other branches).
        for flow in picture["taken_flows"]:
            source, target = source_of[flow]
            fired = source in flows.boundaries and any(e["type"] == "timer_fired" and e["element_id"] == source
                                                         for e in seen)
            assert source in done or fired, f"{where}: {flow} taken before {source} completed"
            lefts = [i for i, e in enumerate(seen) if e["element_id"] == source
                     and (e["type"] in COMPLETIONS or (fired and e["type"] == "timer_fired"))]
            first = min(lefts)
            reached = any(e["element_id"] == target or target in inside.get(e["element_id"], ())
                          for e in events[first + 1:]) or \
                any(target in p["active_elements"] for p in pictures[first:]) or \
                (target in flows.gateways and view.status != "completed")
            assert reached, f"{where}: {flow} shown taken but the history never reaches {target} after {source}"
        if index:
            assert set(pictures[index - 1]["taken_flows"]) <= set(picture["taken_flows"]), where
    assert pictures[-1]["data"] == view.data
    return pictures


def _inside(source: str) -> dict[str, set[str]]:
    """Element id -> the subprocesses that contain it (reaching an inner element reaches them)."""
    root = etree.fromstring(source.encode())
    out: dict[str, set[str]] = {}
    for sub in root.iter(BPMN + "subProcess", BPMN + "transaction"):
        for element in sub.iter():
            if element is not sub and element.get("id"):
                out.setdefault(element.get("id"), set()).add(sub.get("id"))
    return out


def check_every_instance(engine) -> None:
    for instance in engine.list_instances(per_page=500).items:
        check_time_travel(engine, instance.id)
