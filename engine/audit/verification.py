"""Verifying one instance: its hash chain, its head and the latest signed checkpoint, its
replay, and its stored projections against the chain and the replay.

The result (API.md's verify, extended):

    {"instance_id", "ok", "chain_ok", "replay_ok", "projections_ok", "first_bad_seq",
     "detail", "findings": [{"kind", "subject", "stored", "expected", "detail"}],
     "checkpoint": {"status", "seq", "event_seq", "detail"}}

- `chain_ok`: every event's link and hash holds, the instance's head (last seq, last hash)
  is its last event, and the event the latest checkpoint signed for it is still there
  with the signed hash (a chain rewritten and rehashed after a checkpoint, or its covered
  tail removed, fails here).
- `replay_ok`: the recorded inputs re-executed give the recorded path and data.
- `projections_ok`: the instance row, stored state, task, timer and subscription rows are
  what the chain and the replay say (None when not checked: the chain is broken).
- `checkpoint.status`: `verified` (covered by the latest checkpoint, which checks out),
  `not_covered` (the instance is newer than it), `none` (no checkpoint yet), `off` (no
  key), `failed`.
"""
from __future__ import annotations

from typing import Any

import orjson

from ..db import audit_checkpoints, audit_events, instance_tasks, instances, projection_rows, subscriptions, timers
from ..errors import NotFound
from ..runtime import workflow_state
from ..runtime.workflow_run import WorkflowRun
from . import projections as p
from .checkpoint_checks import CheckpointVerifier
from .hash_chain import first_break_rows
from .replay import replay


def verify_instance(engine, instance_id: str, checkpoints: CheckpointVerifier) -> dict[str, Any]:
    """Verify one instance (see the module docstring for the result).

    Raises:
        NotFound: no such instance.
    """
    conn = engine.db.connect()
    if conn.dialect.name == "postgresql":  # one snapshot for every read below
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin():
        head = instances.full(conn, instance_id)
        if head is None:
            raise NotFound(f"instance {instance_id} not found")
        rows = audit_events.for_instance(conn, instance_id)
        state = instances.state(conn, instance_id)
        state_rows = instance_tasks.rows(conn, instance_id)
        recorded_tasks = [r.task_id for r in rows if r.type == "task_ready"]
        task_rows = projection_rows.tasks_of(conn, instance_id, recorded_tasks)
        candidate_rows = projection_rows.candidates_of(conn, [r.id for r in task_rows])
        timer_rows = timers.listing(conn, instance_id)
        subscription_rows = subscriptions.for_instance(conn, instance_id)
        latest = checkpoints.latest(conn)
        leaf = (audit_checkpoints.leaf_of(conn, instance_id, latest.row.seq)
                if latest.row is not None and latest.status != "off" else None)
    findings: list[p.Finding] = []
    bad = first_break_rows(rows, instance_id)
    detail = None
    if bad is not None:
        detail = f"the hash chain breaks at event {bad}: an event was edited, removed, inserted or moved"
    head_bad = _head_findings(head, rows, findings)
    checkpoint, cp_bad = _checkpoint(latest, leaf, rows, findings)
    first_bad = _first(bad, head_bad, cp_bad)
    chain_ok = bad is None and head_bad is None and checkpoint["status"] != "failed"
    if bad is not None or not rows:
        return _result(instance_id, False, False, None, first_bad, detail or "the instance has no events",
                       findings, checkpoint)

    events = [_event(r) for r in rows]
    result = replay(engine, events)
    facts = p.chain_facts(events)
    before = len(findings)
    findings += p.compare_instance(head, facts)
    findings += p.compare_tasks(task_rows, candidate_rows, facts, instance_id, facts.started.get("definition_key"))
    ended = facts.status in p.ENDED
    stored = _stored_projection(engine, state, state_rows, facts, ended, findings)
    replayed = p.state_projection(result.run, ended) if result.ok else None
    if stored is not None:
        findings += p.compare_state(stored, facts, replayed, result.task_map)
        findings += p.compare_timers(timer_rows, stored.timers, by_id=True)
        findings += p.compare_subscriptions(subscription_rows, stored.messages, facts.started.get("business_key"))
    elif replayed is not None:
        findings += p.compare_timers(timer_rows, replayed.timers, by_id=False)
    # Attachments the chain references: the stored bytes must still hash as recorded.
    findings += [p.Finding("attachment", f["subject"], f["stored"], f["expected"],
                           f"attachment {f['subject']}: the stored file's sha256 is not the recorded one")
                 for f in engine.verify_attachments(events)]
    projections_ok = len(findings) == before
    if not chain_ok:  # the head or the checkpoint: said before what follows from it
        detail = next(f.detail for f in findings if f.kind in ("head", "checkpoint"))
    elif not result.ok:
        detail = result.detail
    else:
        detail = _summary(projections_ok, findings)
    return _result(instance_id, chain_ok, result.ok, projections_ok,
                   _first(first_bad, result.first_bad_seq), detail, findings, checkpoint)


def _head_findings(head, rows, findings: list) -> int | None:
    """The head must be the last event: a removed tail, an appended event or an edited head
    shows here. Returns the first seq concerned."""
    last_seq, last_hash = (rows[-1].seq, rows[-1].hash) if rows else (0, None)
    if head.last_seq == last_seq and head.last_hash == last_hash:
        return None
    if head.last_seq != last_seq:
        findings.append(p.Finding("head", "last_seq", head.last_seq, last_seq,
                                  "the instance's head does not end where its events end: events were removed "
                                  "at the end (or added), or the head was edited"))
    if head.last_hash != last_hash:
        findings.append(p.Finding("head", "last_hash", head.last_hash, last_hash,
                                  "the instance's head hash is not its last event's hash: the last event was "
                                  "rewritten, or the head was edited"))
    return min(head.last_seq, last_seq) + 1 if head.last_seq != last_seq else last_seq


def _checkpoint(latest, leaf, rows, findings: list) -> tuple[dict, int | None]:
    """The instance against the latest checkpoint: (the checkpoint part of the result, the
    first seq concerned when the instance's events fail it)."""
    if latest.status == "off":
        return {"status": "off", "seq": None, "event_seq": None, "detail": latest.problems[0]}, None
    if latest.status == "none":
        return {"status": "none", "seq": None, "event_seq": None, "detail": "no checkpoint yet"}, None
    seq = latest.row.seq
    problems = list(latest.problems)
    for problem in problems:
        findings.append(p.Finding("checkpoint", f"checkpoint {seq}", None, None, problem))
    if leaf is None:
        if problems:
            return {"status": "failed", "seq": seq, "event_seq": None, "detail": "; ".join(problems)}, None
        return {"status": "not_covered", "seq": seq, "event_seq": None,
                "detail": f"the instance is newer than checkpoint {seq}"}, None
    signed, bad = leaf.last_seq, None
    if signed < 1 or len(rows) < signed:
        bad = len(rows) + 1
        problems.append(f"checkpoint {seq} signed this instance's chain up to event {signed}, which is missing: "
                        "covered events were removed")
        findings.append(p.Finding("checkpoint", f"event {signed}", None, leaf.last_hash, problems[-1]))
    elif rows[signed - 1].seq != signed or rows[signed - 1].hash != leaf.last_hash:
        bad = signed
        problems.append(f"checkpoint {seq} signed another hash for event {signed}: the history up to it was "
                        "rewritten (and rehashed)")
        findings.append(p.Finding("checkpoint", f"event {signed} hash", rows[signed - 1].hash, leaf.last_hash,
                                  problems[-1]))
    if problems:
        return {"status": "failed", "seq": seq, "event_seq": signed, "detail": "; ".join(problems)}, bad
    return {"status": "verified", "seq": seq, "event_seq": signed,
            "detail": f"events 1-{signed} are as checkpoint {seq} signed them"}, None


def _stored_projection(engine, state, state_rows, facts: p.ChainFacts, ended: bool, findings: list) -> p.StateProjection | None:
    """The stored workflow state's projection, restored on the recorded versions (None, with a
    finding, when it cannot be restored)."""
    try:
        with engine.db.connect() as conn:
            built = engine._built_spec(conn, facts.started["definition_id"], facts.started.get("bindings") or {})
        wf = workflow_state.restore(state.state, state_rows, built.spec, built.subprocess_specs)
        variables = wf.data.get("variables")
        if variables is None:
            variables = orjson.loads(state.data)
        return p.state_projection(WorkflowRun(wf, variables), ended)
    except Exception as exc:  # noqa: BLE001 - whatever the stored text is, it is a finding
        findings.append(p.Finding("state", "state", "unreadable", None,
                                  f"the stored workflow state cannot be restored: {type(exc).__name__}: {exc}"))
        return None


def _event(row) -> dict:
    return {"seq": row.seq, "at": row.at, "type": row.type, "actor": row.actor, "element_id": row.element_id,
            "task_id": row.task_id, "payload": orjson.loads(row.payload), "prev_hash": row.prev_hash,
            "hash": row.hash}


def _first(*seqs):
    known = [s for s in seqs if s is not None]
    return min(known) if known else None


def _summary(projections_ok: bool, findings: list) -> str:
    if projections_ok:
        return "replay matches the record"
    return "; ".join(f.detail for f in findings[:3]) + (f" (and {len(findings) - 3} more)" if len(findings) > 3 else "")


def _result(instance_id, chain_ok, replay_ok, projections_ok, first_bad_seq, detail, findings, checkpoint) -> dict:
    return {"instance_id": instance_id, "ok": bool(chain_ok and replay_ok and projections_ok),
            "chain_ok": chain_ok, "replay_ok": replay_ok, "projections_ok": projections_ok,
            "first_bad_seq": first_bad_seq, "detail": detail,
            "findings": [_jsonable(f.to_dict()) for f in findings], "checkpoint": checkpoint}


def _jsonable(value):
    """Findings carry stored values: make them plain JSON (tuples, sets, datetimes)."""
    return orjson.loads(orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS))


def _default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
