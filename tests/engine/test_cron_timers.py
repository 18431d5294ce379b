"""Quartz cron timer cycles (Camunda's timeCycle flavour) on the calendar of DIWAN_TIMEZONE, on a manual clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine import Engine, EngineSettings, InvalidDefinition, ManualClock
from engine.definitions.literals import LiteralError, quartz_cron
from engine.runtime.cron import next_cron
from tests.conftest import verify_every_instance

UTC = timezone.utc
CASABLANCA = ZoneInfo("Africa/Casablanca")  # UTC+1, UTC+0 during Ramadan (2026-02-15 .. 2026-03-22)
PARIS = ZoneInfo("Europe/Paris")


def _walk(expression: str, after: datetime, tz, n: int) -> list[str]:
    out = []
    for _ in range(n):
        after = next_cron(expression, after, tz)
        out.append(after.astimezone(tz).isoformat())
    return out


@pytest.mark.parametrize("expression, after, expected", [
    ("0 0/5 * * * ?", datetime(2026, 5, 4, 9, 1, tzinfo=UTC),
     ["2026-05-04T10:05:00+01:00", "2026-05-04T10:10:00+01:00"]),
    ("30 15 10 ? * MON-FRI", datetime(2026, 5, 8, 12, tzinfo=UTC),  # a Friday
     ["2026-05-11T10:15:30+01:00", "2026-05-12T10:15:30+01:00"]),
    ("0 0 12 L * ?", datetime(2026, 1, 1, tzinfo=UTC), ["2026-01-31T12:00:00+01:00", "2026-02-28T12:00:00+00:00"]),
    ("0 0 9 15W * ?", datetime(2026, 3, 1, tzinfo=UTC),  # 15 March 2026 is a Sunday: Monday 16th
     ["2026-03-16T09:00:00+00:00", "2026-04-15T09:00:00+01:00"]),
    ("0 0 9 ? * 6#3", datetime(2026, 5, 1, tzinfo=UTC), ["2026-05-15T09:00:00+01:00", "2026-06-19T09:00:00+01:00"]),
    ("0 0 9 ? * 6L", datetime(2026, 5, 1, tzinfo=UTC), ["2026-05-29T09:00:00+01:00", "2026-06-26T09:00:00+01:00"]),
    ("0 0 9 ? * 1", datetime(2026, 5, 1, tzinfo=UTC), ["2026-05-03T09:00:00+01:00", "2026-05-10T09:00:00+01:00"]),
    ("0 0 8 1 1 ? 2028", datetime(2026, 5, 1, tzinfo=UTC), ["2028-01-01T08:00:00+01:00"]),
])
def test_next_cron__quartz_fields(expression, after, expected):
    assert _walk(expression, after, CASABLANCA, len(expected)) == expected


def test_next_cron__a_year_in_the_past_never_falls_due():
    assert next_cron("0 0 8 1 1 ? 2026", datetime(2026, 5, 1, tzinfo=UTC), CASABLANCA) is None


def test_next_cron__daylight_saving_keeps_the_wall_clock():
    # Casablanca leaves Ramadan time on 2026-03-22 (02:00 UTC+0 -> 03:00 UTC+1): 09:00 stays 09:00.
    assert _walk("0 0 9 * * ?", datetime(2026, 3, 21, 0, tzinfo=UTC), CASABLANCA, 2) == [
        "2026-03-21T09:00:00+00:00", "2026-03-22T09:00:00+01:00"]
    # Paris springs forward on 2026-03-29 at 02:00: 02:30 does not exist and falls due at 03:30.
    assert _walk("0 30 2 * * ?", datetime(2026, 3, 28, 12, tzinfo=UTC), PARIS, 2) == [
        "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]
    # Paris falls back on 2026-10-25 at 03:00: the repeated 02:30 falls due once, the first time.
    utc = [datetime.fromisoformat(t).astimezone(UTC).strftime("%H:%M")
           for t in _walk("0 30 * * * ?", datetime(2026, 10, 24, 23, tzinfo=UTC), PARIS, 4)]
    assert utc == ["23:30", "00:30", "02:30", "03:30"]


@pytest.mark.parametrize("expression, message", [
    ("0 0 12 * * *", "exactly one of day-of-month and day-of-week must be '?'"),
    ("0 0 12 ? * ?", "exactly one of day-of-month and day-of-week must be '?'"),
    ("0 0 12 LW * ?", "LW, L-n and C in the day fields are not supported"),
    ("0 0 12 L-3 * ?", "LW, L-n and C in the day fields are not supported"),
    ("0 0 12 ? * 8", "'8' is not a day of the week"),
    ("61 0 12 * * ?", "is not a valid cron expression"),
    ("0 0 0 30 2 ?", "never falls due"),
])
def test_quartz_cron__refused_with_the_reason(expression, message):
    with pytest.raises(LiteralError) as err:
        quartz_cron(expression)
    assert message in str(err.value)


HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">')


def reminders(cycle: str) -> tuple[str, bytes]:
    body = ('<bpmn:process id="daily" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>'
            '<bpmn:userTask id="work" camunda:candidateGroups="g"/>'
            '<bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">'
            f'<bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>'
            '</bpmn:boundaryEvent><bpmn:sequenceFlow id="fr" sourceRef="remind" targetRef="count"/>'
            '<bpmn:scriptTask id="count"><bpmn:script>reminders = reminders + [now().isoformat()]</bpmn:script>'
            '</bpmn:scriptTask><bpmn:sequenceFlow id="fc" sourceRef="count" targetRef="r_end"/>'
            '<bpmn:endEvent id="r_end"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>'
            '<bpmn:endEvent id="e"/></bpmn:process>')
    return ("daily.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())


def scheduled(cycle: str) -> tuple[str, bytes]:
    body = ('<bpmn:process id="every" isExecutable="true"><bpmn:startEvent id="tick">'
            f'<bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>'
            '</bpmn:startEvent><bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="stamp"/>'
            '<bpmn:scriptTask id="stamp"><bpmn:script>started_at = now().isoformat()</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="stamp" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>')
    return ("every.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())


@pytest.fixture
def casablanca(database_url):
    clock = ManualClock(datetime(2026, 3, 20, 12, tzinfo=UTC))
    engine = Engine(settings=EngineSettings(database_url=database_url, timezone="Africa/Casablanca"), clock=clock)
    yield engine, clock
    verify_every_instance(engine)
    engine.dispose()


def test_cron_cycle__a_boundary_timer_fires_at_local_nine_across_the_dst_change(casablanca):
    engine, clock = casablanca
    engine.deploy([reminders("0 0 9 * * ?")])
    inst = engine.start("daily", {"reminders": []})
    assert [t["due_at"] for t in engine.timers(inst.id)] == [datetime(2026, 3, 21, 9, tzinfo=UTC)]
    _, fired = engine.advance_clock(to=datetime(2026, 3, 24, 12, tzinfo=UTC))
    assert fired == 4
    assert engine.get_instance(inst.id).data["reminders"] == [
        "2026-03-21T09:00:00+00:00", "2026-03-22T08:00:00+00:00", "2026-03-23T08:00:00+00:00",
        "2026-03-24T08:00:00+00:00"]
    assert [t["due_at"] for t in engine.timers(inst.id)] == [datetime(2026, 3, 25, 8, tzinfo=UTC)]


def test_cron_cycle__a_timer_start_event_every_five_minutes(casablanca):
    engine, clock = casablanca
    engine.deploy([scheduled("0 0/5 * * * ?")])
    _, fired = engine.advance_clock(by=timedelta(minutes=16))
    assert fired == 3
    starts = sorted(i.data["started_at"] for i in engine.list_instances().items)
    assert starts == ["2026-03-20T12:05:00+00:00", "2026-03-20T12:10:00+00:00", "2026-03-20T12:15:00+00:00"]


def test_cron_cycle__refused_at_deploy_naming_the_event(casablanca):
    engine, _ = casablanca
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([reminders("0 0 9 * * MON")])
    [found] = err.value.errors
    assert found["element"] == "remind" and "exactly one of day-of-month and day-of-week" in found["message"]


@pytest.mark.parametrize("text, python", [
    ("due if urgent and soon else later", "due if urgent and soon else later"),  # six words: Python, not cron
    ("0 0/5 * * * ?", "'0 0/5 * * * ?'"),
])
def test_timer_to_python__cron_is_told_apart_from_python(text, python):
    from engine.definitions.literals import timer_to_python

    assert timer_to_python(text, "timeCycle") == python
