"""Who reads an instance (API.md, "Who reads instances"), through the read-authorization queries."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import Actor
from engine.access import InstanceAccess
from engine.db import access
from tests.conftest import PG_URL, fixture_files

CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))
FINANCE = Actor("karim", groups=("finance",), roles=("clerk",))


@pytest.fixture
def worked_on(engine):
    """An instance karim worked on (he completed the finance task), then left finance."""
    engine.deploy(fixture_files("representative.bpmn"))
    inst = engine.start("representative", {"amount": 10})
    ready = lambda: {t.element_id: t for t in engine.list_tasks(see_all=True, instance_id=inst.id).items}  # noqa: E731
    engine.complete_task(ready()["review"].id, {}, actor=CLERK)
    engine.complete_task(ready()["task_b"].id, {}, actor=FINANCE)
    return engine, inst.id


def test_a_clerk_reads_what_they_worked_on_after_leaving_the_group(worked_on):
    engine, instance_id = worked_on
    reads = InstanceAccess(engine.db).may_read
    assert reads(Actor("karim", groups=("consulats",), roles=("clerk",)), instance_id)
    assert not reads(Actor("youssef", groups=("consulats",), roles=("clerk",)), instance_id)
    assert reads(Actor("amina", groups=(), roles=("clerk",)), instance_id)  # she completed the review


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's query plans (PostgreSQL scans tables this small)")
def test_who_worked_on_what_is_read_through_the_partial_actor_index(worked_on):
    engine, _ = worked_on
    worked = sa.select(access.audit_event.c.instance_id).where(access.audit_event.c.actor == "karim",
                                                               access._WORKED_ON_SQL)
    with engine.db.connect() as conn:
        sql = str(worked.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "USING INDEX ix_audit_event_actor" in plan, plan
        indexed = conn.exec_driver_sql("select count(*) from audit_event indexed by ix_audit_event_actor "
                                       "where audit_event.type in ('task_claimed', 'task_completed')").scalar_one()
        everything = conn.exec_driver_sql("select count(*) from audit_event").scalar_one()
    assert indexed == 2 < everything  # the two completions, not the whole log
