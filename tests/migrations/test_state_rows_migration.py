"""Migration 0061 (state format 3: task rows without child and merged lists, the data a row of
its own): a downgrade puts format-3 states back into format 2, which 0060's downgrade folds into
one document; either older format is read by the engine, and the case runs on to its end."""
from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import command

from engine import Actor
from engine.db import instance_tasks, instances
from engine.db.migrate import alembic_config
from engine.runtime import workflow_state
from tests.conftest import fixture_files

CLERK = Actor("clerk", groups=("clerks",), roles=("clerk",))


def _migrate(engine, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with engine.db.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def _state(engine, instance_id) -> tuple[dict, list]:
    with engine.db.connect() as conn:
        header = orjson.loads(conn.execute(sa.text("select state from instance where id = :i"),
                                           {"i": instance_id}).scalar_one())
        try:
            rows = [orjson.loads(b) for (b,) in conn.execute(
                sa.text("select body from instance_task where instance_id = :i"), {"i": instance_id})]
        except sa.exc.DBAPIError:  # below 0060 there is no such table
            rows = []
    return header, rows


def _run_to_the_end(engine, instance_id) -> None:
    engine.live.clear()  # the rows changed behind the engine
    for task in engine.list_tasks(see_all=True, instance_id=instance_id, per_page=100).items:
        engine.complete_task(task.id, {}, actor=CLERK)
    assert engine.get_instance(instance_id).status == "completed"
    result = engine.verify(instance_id)
    assert result["chain_ok"] and result["replay_ok"], result


def _started(engine, done: int) -> str:
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)
    for task in engine.list_tasks(see_all=True, instance_id=inst.id, per_page=done).items:
        engine.complete_task(task.id, {}, actor=CLERK)
    return inst.id


def _assembled(engine, instance_id) -> dict:
    with engine.db.connect() as conn:
        head = instances.state(conn, instance_id)
        state = workflow_state.assemble(head.state, instance_tasks.rows(conn, instance_id))
    state.pop("_next_position", None)  # kept for a format-3 state only
    return state


def test_downgrade_to_format_2_puts_the_lists_and_the_data_back(engine):
    instance_id = _started(engine, 3)
    header, rows = _state(engine, instance_id)
    assert header["format"].startswith("diwan-state-3/") and "data" not in header
    expected = _assembled(engine, instance_id)  # the state as the engine reads it
    _migrate(engine, "0041", down=True)
    header, rows = _state(engine, instance_id)
    assert header["format"].startswith("diwan-state-2/") and header["data"]["variables"]["items"] == list(range(40))
    assert all("children" in r and "merged_at" not in r for r in rows)
    review = next(r for r in rows if r["task_spec"] == "review" and len(r["children"]) > 1)
    assert len(review["children"]) == 41 and len(review["internal_data"]["merged"]) == 3
    assert _assembled(engine, instance_id) == expected  # the lists in the same order
    _migrate(engine, "head")
    _run_to_the_end(engine, instance_id)


def test_downgrade_below_the_rows_folds_one_document(engine):
    instance_id = _started(engine, 2)
    _migrate(engine, "0040", down=True)
    header, _ = _state(engine, instance_id)
    assert header["format"].startswith("diwan-state-1/") and len(header["tasks"]) > 80
    _migrate(engine, "head")
    _run_to_the_end(engine, instance_id)
