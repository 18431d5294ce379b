"""Deterministic replay: re-execute an instance's recorded inputs and compare with the record.

The recorded inputs (start data, task submissions with their actors, timer firings at
their recorded times, messages, cancellations) are applied to a fresh run of the
recorded definition, decision and form versions, with a clock that replays recorded
times and the recorded results of `now()`, `today()`, `new_id()` and value connectors.
The path (every element completed, the gateway branches taken, the decisions) and the
data must come out the same; the first event that does not is named.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from ..runtime import workflow_state
from ..runtime.script_engine import DiwanScriptEngine, Recorder
from ..runtime.workflow_run import RunawayLoop, StepFailed, WorkflowRun
from .time_travel import apply_data


@dataclass(frozen=True)
class ReplayResult:
    """The outcome; when it matches, also the replayed run and how recorded task ids map to its own."""

    ok: bool
    first_bad_seq: int | None
    detail: str
    run: Any = field(default=None, compare=False, repr=False)
    task_map: dict = field(default_factory=dict, compare=False, repr=False)  # recorded task id -> replay's


class Divergence(Exception):
    def __init__(self, seq: int | None, detail: str):
        super().__init__(detail)
        self.seq, self.detail = seq, detail


class ReplayRecorder(Recorder):
    """Hands back the recorded results, in order, per element and function."""

    def __init__(self, recorded: dict[tuple[str, str], deque]):
        super().__init__()
        self.recorded = recorded

    def record(self, element, fn, value):
        queue = self.recorded.get((element, fn))
        if not queue:
            raise Divergence(None, f"{element} called {fn} more often than recorded")
        recorded = _typed(fn, queue.popleft())
        super().record(element, fn, recorded)
        return recorded


def _typed(fn: str, value):
    """The recorded JSON value as the function returned it."""
    from datetime import date

    if fn == "now":
        return datetime.fromisoformat(value)
    if fn == "today":
        return date.fromisoformat(value)
    return value


def _json(value) -> Any:
    return orjson.loads(orjson.dumps(value, default=workflow_state.to_json_value, option=orjson.OPT_NON_STR_KEYS))


def replay(engine, events: list[dict]) -> ReplayResult:
    """Replay one instance's events (dicts in seq order, `at` as datetimes)."""
    try:
        run, task_map = _replay(engine, events)
    except Divergence as d:
        return ReplayResult(False, d.seq, d.detail)
    return ReplayResult(True, None, "replay matches the record", run, task_map)


def _replay(engine, events: list[dict]) -> tuple[WorkflowRun, dict[str, str]]:
    if not events or events[0]["type"] != "instance_started":
        raise Divergence(events[0]["seq"] if events else None, "the history does not begin with instance_started")
    started = events[0]["payload"]
    recorded: dict[tuple[str, str], deque] = defaultdict(deque)
    for e in events:
        for item in e["payload"].get("recorded") or []:
            recorded[(e["element_id"], item["fn"])].append(item["value"])
    clock = {"now": events[0]["at"]}
    script_engine = DiwanScriptEngine(now=lambda: clock["now"], tz=engine.tz, max_steps=engine.settings.script_max_steps,
                                      connectors=engine.connectors, recorder=ReplayRecorder(recorded),
                                      host=engine.scripts)
    script_engine.replaying = True
    with engine.db.connect() as conn:
        built = engine._built_spec(conn, started["definition_id"], started["bindings"])
    run = WorkflowRun.create(built.spec, built.subprocess_specs, script_engine)
    run.attach(script_engine, engine.settings.max_steps)
    expected = [e for e in events if e["type"] in ("element_completed", "output_collected", "script_ran")]
    cursor = 0
    task_map: dict[str, Any] = {}
    ready_seen: set = set()
    data: dict[str, Any] = {}
    commands = _split(events)
    for command in commands:
        first = command[0]
        clock["now"] = first["at"]
        if first["type"] == "instance_migrated":  # the instance moved to another version here
            run = _migrated(engine, run, first["payload"], script_engine)
        run.begin_command()
        try:
            _apply(run, first, task_map)
        except (StepFailed, RunawayLoop) as exc:
            raise Divergence(first["seq"], f"replaying {first['type']} failed: {exc}") from None
        except Divergence as d:
            raise Divergence(d.seq or first["seq"], d.detail) from None
        for produced in run.events:
            if cursor >= len(expected):
                raise Divergence(first["seq"], f"replay completed {produced['element_id']}, which the record does not have")
            want = expected[cursor]
            _compare(want, produced)
            cursor += 1
        # Map the tasks this command made ready to the recorded ones, in order.
        new_ready = [t for tid, t in run.project().ready.items() if tid not in ready_seen]
        recorded_ready = [e for e in command if e["type"] == "task_ready"]
        if [t.element_id for t in new_ready] != [e["element_id"] for e in recorded_ready]:
            raise Divergence((recorded_ready or command)[0]["seq"],
                             f"tasks made ready differ: replay {[t.element_id for t in new_ready]}, "
                             f"record {[e['element_id'] for e in recorded_ready]}")
        for t, e in zip(new_ready, recorded_ready):
            task_map[e["task_id"]] = t.id
            ready_seen.add(t.id)
        run.compact()  # as the engine does between commands
        for e in command:
            apply_data(data, e["type"], e["payload"])
        replayed = _json(run.variables)
        if replayed != data:
            raise Divergence(command[-1]["seq"], f"data differs after the command: replay {replayed}, record {data}")
    if cursor != len(expected):
        raise Divergence(expected[cursor]["seq"], f"the record completed {expected[cursor]['element_id']}, "
                                                  "which the replay did not")
    return run, task_map


def _migrated(engine, run: WorkflowRun, payload: dict, script_engine) -> WorkflowRun:
    """The replay's run restored onto the version the instance migrated to (as the command did)."""
    from ..commands.migration import moved_run

    with engine.db.connect() as conn:
        built = engine._built_spec(conn, payload["to_definition_id"], payload["bindings"])
    run.wf.data["variables"] = run.variables
    moved = moved_run(run, built, payload.get("mapping") or {})
    moved.attach(script_engine, engine.settings.max_steps)
    return moved


def _split(events: list[dict]) -> list[list[dict]]:
    from .time_travel import INPUT_EVENTS

    commands: list[list[dict]] = []
    for e in events:
        if e["type"] in INPUT_EVENTS or not commands:
            commands.append([e])
        else:
            commands[-1].append(e)
    return commands


def _apply(run: WorkflowRun, e: dict, task_map: dict) -> None:
    kind, payload = e["type"], e["payload"]
    if kind == "instance_started":
        start = payload.get("start_event")
        run.start(dict(payload.get("data") or {}), start, _message_of(run, start))
    elif kind == "task_completed":
        task = run.task(task_map.get(e["task_id"], ""))
        if task is None:
            raise Divergence(e["seq"], f"task {e['element_id']} is not ready in the replay")
        run.complete_user_task(task, dict(payload.get("data") or {}))
    elif kind == "timer_fired":
        run.fire_timers()
    elif kind == "message_correlated":
        if not run.correlate(payload["name"], dict(payload.get("data") or {})):
            raise Divergence(e["seq"], f"no catch event took message {payload['name']!r} in the replay")
    elif kind == "signal_received":
        if not run.signal(payload["name"], payload.get("data")):
            raise Divergence(e["seq"], f"no catch event took signal {payload['name']!r} in the replay")
    elif kind == "instance_cancelled":
        run.cancel()
    elif kind == "instance_resumed":
        run.fire_timers()
    elif kind in ("external_task_completed", "external_task_bpmn_error"):
        from ..runtime.external_tasks import reapply

        if not reapply(run, e, task_map):
            raise Divergence(e["seq"], f"external task {e['element_id']} is not waiting in the replay")


def _message_of(run: WorkflowRun, start_event: str | None) -> str | None:
    if start_event is None:
        return None
    spec = run.wf.spec.task_specs.get(start_event)
    definition = getattr(spec, "event_definition", None)
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

    return definition.name if isinstance(definition, MessageEventDefinition) else None


def _compare(want: dict, produced: dict) -> None:
    got_payload = _json(produced["payload"])
    if want["element_id"] != produced["element_id"] or want["type"] != produced["type"]:
        raise Divergence(want["seq"], f"the record has {want['type']} {want['element_id']}, the replay "
                                      f"{produced['type']} {produced['element_id']}")
    for key in ("changes", "deleted", "taken", "decision"):
        if (want["payload"].get(key) or None) != (got_payload.get(key) or None):
            raise Divergence(want["seq"], f"{want['element_id']}: recorded {key} {want['payload'].get(key)} but the "
                                          f"replay gives {got_payload.get(key)}")
