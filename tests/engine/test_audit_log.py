"""The audit log written by commands: complete inputs, gap-free seq, the hash chain of API.md."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

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
