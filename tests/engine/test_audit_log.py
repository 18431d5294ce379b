"""The audit log written by commands: complete inputs, gap-free seq, the hash chain of API.md."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from engine import Actor
from engine.audit.hash_chain import first_break, format_at
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks", "finance"), roles=("clerk",))


def exported(engine, instance_id) -> list[dict]:
    """The events as a client receives them (JSON)."""
    out = []
    for e in engine.history(instance_id):
        d = asdict(e)
        d["at"] = format_at(d["at"])
        out.append(json.loads(json.dumps(d)))
    return out


def recompute(events: list[dict], instance_id: str) -> bool:
    """What an outsider runs (the recipe in engine/audit/hash_chain.py and the README)."""
    prev = "0" * 64
    for e in events:
        body = {k: v for k, v in e.items() if k != "hash"}
        body["instance_id"] = instance_id
        if body["prev_hash"] != prev:
            return False
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != e["hash"]:
            return False
        prev = e["hash"]
    return True


def _run(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    inst = engine.start("representative", {"amount": 10, "nom": "Ségolène Ould-Mʼbarek"},
                        business_key="R-1", actor=CLERK)
    [review] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    engine.claim(review.id, CLERK)
    engine.unclaim(review.id, CLERK)
    engine.complete_task(review.id, {"avis": "favorable"}, actor=CLERK)
    for t in engine.list_tasks(see_all=True, instance_id=inst.id).items:
        engine.complete_task(t.id, {}, actor=CLERK)
    return inst


def test_history__records_inputs_and_effects_in_order(engine):
    inst = _run(engine)
    events = engine.history(inst.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    types = [e.type for e in events]
    assert types[0] == "instance_started" and types[-1] == "instance_completed"
    for t in ("task_ready", "task_claimed", "task_unclaimed", "task_completed", "element_completed"):
        assert t in types
    started = events[0]
    assert started.actor == "amina"
    assert started.payload["data"] == {"amount": 10, "nom": "Ségolène Ould-Mʼbarek"}
    assert started.payload["definition_version"] == 1 and started.payload["business_key"] == "R-1"
    completed = next(e for e in events if e.type == "task_completed")
    assert completed.actor == "amina" and completed.element_id == "review"
    assert completed.payload["data"] == {"avis": "favorable"}
    assert completed.payload["changes"] == {"avis": "favorable"}
    script = next(e for e in events if e.element_id == "assess")
    assert script.actor == "system" and script.payload["changes"] == {"risk": "low"}
    split = next(e for e in events if e.element_id == "route")
    assert split.payload["taken"] == ["review"]


def test_hash_chain__an_outsider_recomputes_it(engine):
    inst = _run(engine)
    events = exported(engine, inst.id)
    assert events[0]["prev_hash"] == "0" * 64
    assert recompute(events, inst.id)
    assert first_break(events, inst.id) is None


def test_hash_chain__tampering_is_detected_at_its_seq(engine):
    inst = _run(engine)
    events = exported(engine, inst.id)
    edited = [dict(e) for e in events]
    edited[3]["payload"] = {"forged": True}
    assert not recompute(edited, inst.id) and first_break(edited, inst.id) == 4
    dropped = events[:2] + events[3:]
    assert first_break(dropped, inst.id) == 3
    swapped = events[:1] + [events[2], events[1]] + events[3:]
    assert first_break(swapped, inst.id) == 2


def test_time_travel__state_after_each_event(engine):
    inst = _run(engine)
    events = engine.history(inst.id)
    first = engine.state_at(inst.id, 1)
    assert first["data"] == {"amount": 10, "nom": "Ségolène Ould-Mʼbarek"}
    ready = next(e for e in events if e.type == "task_ready")
    at_ready = engine.state_at(inst.id, ready.seq)
    assert at_ready["data"]["risk"] == "low"
    assert at_ready["active_elements"] == ["review"] and at_ready["status"] == "running"
    assert [t["element_id"] for t in at_ready["open_tasks"]] == ["review"]
    completed = next(e for e in events if e.type == "task_completed")
    after_review = engine.state_at(inst.id, completed.seq)
    assert after_review["data"]["avis"] == "favorable"
    # At the completion itself the next tasks are not ready yet: they are from their own events on.
    assert after_review["active_elements"] == [] and after_review["open_tasks"] == []
    command_end = next(e for e in events if e.seq > completed.seq and "after" in e.payload)
    assert sorted(engine.state_at(inst.id, command_end.seq)["active_elements"]) == ["task_a", "task_b"]
    end = engine.state_at(inst.id, events[-1].seq)
    assert end["status"] == "completed" and end["active_elements"] == [] and end["open_tasks"] == []


def test_verify__chain_and_replay_of_an_untouched_instance(engine):
    inst = _run(engine)
    result = engine.verify(inst.id)
    assert {k: result[k] for k in ("chain_ok", "replay_ok", "first_bad_seq", "detail")} == {
        "chain_ok": True, "replay_ok": True, "first_bad_seq": None, "detail": "replay matches the record"}


def test_verify__recorded_functions_and_connectors_replay(engine, connectors):
    engine.deploy(fixture_files("services.bpmn"))
    inst = engine.start("services", {"fail_on_first": False})
    calls = len(connectors.issued)
    assert engine.verify(inst.id)["replay_ok"] is True
    assert len(connectors.issued) == calls  # replay used the recorded result, it did not call again


def test_verify__a_script_changed_in_place_is_reported(engine):
    import sqlalchemy as sa

    inst = _run(engine)
    with engine.db.begin() as conn:  # someone edits the deployed diagram in the database
        conn.execute(sa.text("update definition set source = replace(source, 'else ''high''', "
                             "'else ''medium''') where key = 'representative'"))
        conn.execute(sa.text("update definition set source = replace(source, "
                             "'risk = ''low'' if amount &lt; 1000', 'risk = ''tiny'' if amount &lt; 1000')"))
    engine.specs = type(engine.specs)()  # a restarted server parses the stored XML again
    result = engine.verify(inst.id)
    assert result["chain_ok"] is True and result["replay_ok"] is False
    assessed = next(e for e in engine.history(inst.id) if e.element_id == "assess")
    assert result["first_bad_seq"] == assessed.seq and "risk" in result["detail"]
    # The fixture replays every instance a test leaves: remove this deliberately broken one.
    with engine.db.begin() as conn:
        for table in ("audit_event", "task_candidate", "task", "timer", "message_subscription", "instance_task", "instance"):
            where = "task_id in (select id from task where instance_id = :i)" if table == "task_candidate" else \
                ("id = :i" if table == "instance" else "instance_id = :i")
            conn.execute(sa.text(f"delete from {table} where {where}"), {"i": inst.id})


def test_anchor__is_the_latest_signed_checkpoint_and_none_before_the_first(engine):
    # The signed checkpoints and their export: tests/engine/test_audit_checkpoints.py.
    from engine import NotFound

    _run(engine)
    with pytest.raises(NotFound):
        engine.anchor()


def _tamper(engine, sql: str, **params) -> None:
    import sqlalchemy as sa

    with engine.db.begin() as conn:
        conn.execute(sa.text(sql), params)


def _forget(engine, instance_id) -> None:
    """Remove a deliberately tampered instance (the fixture replays every instance left)."""
    for sql in ("delete from audit_event where instance_id = :i",
                "delete from task_candidate where task_id in (select id from task where instance_id = :i)",
                "delete from task where instance_id = :i", "delete from timer where instance_id = :i",
                "delete from message_subscription where instance_id = :i", "delete from instance_task where instance_id = :i", "delete from instance where id = :i"):
        _tamper(engine, sql, i=instance_id)


def test_tampering__each_kind_is_detected_at_its_seq(engine):
    cases = {
        "edited payload": ("update audit_event set payload = replace(payload, 'favorable', 'défavorable') "
                           "where instance_id = :i and type = 'task_completed'", "task_completed"),
        "edited actor": ("update audit_event set actor = 'mallory' where instance_id = :i and seq = 1", 1),
        "edited hash": ("update audit_event set hash = :h where instance_id = :i and seq = 3", 3),
        "deleted row": ("delete from audit_event where instance_id = :i and seq = 5", 5),
        "inserted row": (None, 4),
        "reordered rows": ("update audit_event set seq = case seq when 2 then 3 when 3 then 2 end "
                           "where instance_id = :i and seq in (2, 3)", 2),
    }
    for name, (sql, expected) in cases.items():
        inst = _run(engine)
        events = engine.history(inst.id)
        if isinstance(expected, str):
            expected = next(e.seq for e in events if e.type == expected)
        if name == "inserted row":  # make room at seq 4, forge an event there, close the gap
            _tamper(engine, "update audit_event set seq = seq + 1000 where instance_id = :i and seq >= 4", i=inst.id)
            _tamper(engine, "insert into audit_event (instance_id, seq, at, type, actor, element_id, task_id, "
                            "payload, prev_hash, hash) select instance_id, 4, at, 'task_completed', 'mallory', "
                            "element_id, task_id, '{}', hash, :h from audit_event where instance_id = :i and seq = 3",
                    i=inst.id, h="e" * 64)
            _tamper(engine, "update audit_event set seq = seq - 999 where instance_id = :i and seq >= 1000", i=inst.id)
        elif name == "reordered rows":  # swap through a free seq (primary key)
            _tamper(engine, "update audit_event set seq = 999 where instance_id = :i and seq = 2", i=inst.id)
            _tamper(engine, "update audit_event set seq = 2 where instance_id = :i and seq = 3", i=inst.id)
            _tamper(engine, "update audit_event set seq = 3 where instance_id = :i and seq = 999", i=inst.id)
        else:
            _tamper(engine, sql, i=inst.id, h="f" * 64)
        assert engine.verify_chain(inst.id) == expected, name
        result = engine.verify(inst.id)
        assert result["chain_ok"] is False and result["first_bad_seq"] == expected, name
        _forget(engine, inst.id)


def test_replay__after_a_redeploy_uses_the_original_version(engine):
    inst = _run(engine)
    changed = fixture_files("representative.bpmn")[0][1].replace(b"'low' if amount &lt; 1000", b"'low' if amount &lt; 5")
    assert engine.deploy([("representative.bpmn", changed)]).definitions[0]["version"] == 2
    assert engine.verify(inst.id)["replay_ok"] is True
    newer = engine.start("representative", {"amount": 10})
    assert newer.data["risk"] == "high" and newer.definition_version == 2


@pytest.mark.parametrize("payload", [
    {}, {"b": 1, "a": [1, 2.5, None, True, "é\u2028\n"]}, {"nested": {"z": (1, 2), "y": {"x": -0.0}}},
    {"big": 10 ** 15, "small": 1e-7, "e": 1e16, "float": 0.1 + 0.2},
    {"decimal": Decimal("12.50"), "when": date(2026, 3, 2), "at": datetime(2026, 3, 2, 9, tzinfo=timezone.utc)},
    {"nan": float("nan"), "inf": float("inf")}, {1: "int key"}, {"set": {3}},
])
def test_payload_text_is_the_canonical_text_of_the_json_payload(payload):
    # The command path writes JSON payloads straight; others go through json_safe first.
    from engine.audit.hash_chain import payload_text
    from engine.commands.instance_store import _payload_text, json_safe

    assert _payload_text(payload) == payload_text(json_safe(payload))
