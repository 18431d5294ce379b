"""Timer event definitions that ask the engine clock and count calendar units in the engine zone.

SpiffWorkflow's own timer definitions compute and check due times against the wall clock
(notes §2.4); these replace them through the parser (see definitions/camunda_parser.py),
so a manual clock governs due times as well as firing.
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.util.task import TaskState

from ..definitions import literals
from .cron import next_cron


def add_duration(start: datetime, iso: str, tz) -> datetime:
    """`start` + an ISO 8601 duration: years, months, weeks and days on the calendar of `tz`
    (wall-clock time kept across daylight-saving changes, month ends clamped), then hours,
    minutes and seconds as exact time."""
    parts = literals.parse_iso_duration(iso)
    local = start.astimezone(tz)
    months = int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))
    if months:
        y, m = divmod(local.month - 1 + months, 12)
        year, month = local.year + y, m + 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        local = local.replace(year=year, month=month, day=day)
    days = parts.get("weeks", 0) * 7 + parts.get("days", 0)
    if days:
        naive = local.replace(tzinfo=None) + timedelta(days=days)
        local = naive.replace(tzinfo=tz)
    exact = timedelta(hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                      seconds=parts.get("seconds", 0))
    return local.astimezone(timezone.utc) + exact


def _engine(my_task):
    return my_task.workflow.script_engine


def _to_utc(value) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"timer date {value!r} has no UTC offset")
    return dt.astimezone(timezone.utc)


class EngineTimeDate(TimeDateEventDefinition):
    """A timer at a date (ISO string or aware datetime, from a literal or a variable)."""

    def has_fired(self, my_task):
        engine = _engine(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = _to_utc(engine.evaluate(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=value)
        if _to_utc(value) <= engine.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineDuration(DurationTimerEventDefinition):
    """A timer after a duration from the moment it starts waiting."""

    def has_fired(self, my_task):
        engine = _engine(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            expression = engine.evaluate(my_task, self.expression)
            value = add_duration(engine.now(), str(expression), engine.tz).isoformat()
            my_task._set_internal_data(event_value=value)
        if _to_utc(value) <= engine.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineCycle(CycleTimerEventDefinition):
    """A repeating timer `R[n]/[start/]duration`; the k-th occurrence is start + k periods on
    the calendar, so a monthly cycle stays on its day of the month."""

    def cycle_complete(self, my_task):
        engine = _engine(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            text = str(engine.evaluate(my_task, self.expression)).strip()
            if literals.looks_like_cron(text) and isinstance(my_task.task_spec, StartEvent) \
                    and getattr(engine, "starting_event", None) == my_task.task_spec.bpmn_id:
                # A timer start event: the engine keeps its schedule (runtime/schedules.py) and starts
                # an instance at it when it falls due (WorkflowRun.start); the instance passes it once.
                my_task._set_internal_data(event_value={"cycles": 0, "next": engine.now().isoformat(), "cron": text})
                return True
            if literals.looks_like_cron(text):  # a Quartz cron cycle (runtime/cron.py)
                first = next_cron(text, engine.now(), engine.tz)
                value = {"cycles": -1 if first else 0, "next": (first or engine.now()).isoformat(), "cron": text}
        if value is None:
            reps, start, duration = literals.parse_cycle(text)
            origin = _to_utc(start) if start else engine.now()
            first = origin if start else add_duration(origin, duration, engine.tz)
            value = {"cycles": -1 if reps is None else reps, "next": first.isoformat(),
                     "origin": origin.isoformat(), "duration": duration, "k": 0 if start else 1}
        ready = False
        if value["cycles"] != 0:
            if _to_utc(value["next"]) <= engine.now() and "cron" in value:
                # Like Camunda, the next occurrence is counted from now: missed ones are not caught up.
                following = next_cron(value["cron"], max(engine.now(), _to_utc(value["next"])), engine.tz)
                value["next"] = (following or engine.now()).isoformat()
                value["cycles"] = -1 if following else 0
                ready = True
            elif _to_utc(value["next"]) <= engine.now():
                value["k"] += 1
                value["next"] = _nth(value, engine.tz).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
        return ready

    def update_task(self, my_task):
        if self.cycle_complete(my_task):
            for output in my_task.task_spec.outputs:
                child = my_task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
                child.task_spec._update(child)


class FirstEventWins(MultipleEventDefinition):
    """An event-based gateway's events: the first one caught wins, alone.

    SpiffWorkflow's definition re-checks every timer when a message is caught, so a
    message arriving after a timer fell due (but before it fired) would take both
    branches. Here the first event seen decides; a later timer firing finds the gateway
    gone and does nothing.
    """

    def has_fired(self, my_task):
        seen = my_task.internal_data.get("seen_events", [])
        if seen and not self.parallel:
            my_task.internal_data["seen_events"] = seen[:1]
            return True
        return super().has_fired(my_task)


def _nth(value: dict, tz) -> datetime:
    """Origin + k periods, each calendar period counted from the origin (no drift)."""
    parts = literals.parse_iso_duration(value["duration"])
    k = value["k"]
    scaled = "P"
    for unit, letter in (("years", "Y"), ("months", "M"), ("weeks", "W"), ("days", "D")):
        if parts.get(unit):
            scaled += f"{parts[unit] * k}{letter}"
    time = "".join(f"{parts[u] * k}{l}" for u, l in (("hours", "H"), ("minutes", "M"), ("seconds", "S"))
                   if parts.get(u))
    if time:
        scaled += "T" + time
    return add_duration(_to_utc(value["origin"]), scaled if scaled != "P" else "PT0S", tz)


def due_time(task) -> datetime | None:
    """When a waiting timer task falls due (None when it has no pending occurrence)."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        return _to_utc(value["next"]) if value.get("cycles") != 0 else None
    if value is None or task.internal_data.get("event_fired"):
        return None
    return _to_utc(value)
