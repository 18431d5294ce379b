"""Shared fixtures: a real database per test (SQLite by default, PostgreSQL when
DIWAN_TEST_DATABASE_URL is set), a manual clock and a connector registry."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

# Every save's incremental state write is compared with a full dump (runtime/workflow_state.py).
os.environ.setdefault("DIWAN_STATE_CHECK", "1")

from engine import ConnectorRegistry, Engine, EngineSettings, ManualClock

FIXTURES = Path(__file__).parent / "fixtures"
# problem() refuses a message that is not a msg(...) template (engine/errors.py).
os.environ.setdefault("DIWAN_STRICT_MESSAGES", "1")
PG_BASE_URL = os.environ.get("DIWAN_TEST_DATABASE_URL")


def _worker_url(base: str | None) -> str | None:
    """One PostgreSQL database per pytest-xdist worker (created next to the given one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker:
        return base
    url = sa.engine.make_url(base)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


PG_URL = _worker_url(PG_BASE_URL)


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    """The migrated schema, built once per session."""
    if PG_URL:
        admin = sa.create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
        try:  # an unreachable PostgreSQL is a failure, never a skip
            with admin.connect() as conn:
                name = sa.engine.make_url(PG_URL).database
                if PG_URL != PG_BASE_URL and not conn.execute(
                        sa.text("select 1 from pg_database where datname = :n"), {"n": name}).first():
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        Engine(settings=EngineSettings(database_url=PG_URL)).upgrade_schema()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = Engine(settings=EngineSettings(database_url=f"sqlite:///{path}"))
    engine.upgrade_schema()
    engine.dispose()
    return path


@pytest.fixture
def database_url(_template, tmp_path) -> str:
    if PG_URL:
        from engine.db.schema import metadata

        db = sa.create_engine(PG_URL)
        with db.begin() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} CASCADE"))
        db.dispose()
        return PG_URL
    target = tmp_path / "diwan.db"
    shutil.copy(_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def connectors() -> ConnectorRegistry:
    """Test connectors: a label-number issuer (value) and a notification (effect)."""
    registry = ConnectorRegistry()
    issued = []

    @registry.value("issue_number")
    def issue_number(call):
        issued.append(call)
        return {"number": f"{call.properties.get('prefix', 'N')}-{len(issued):04d}"}

    @registry.effect("notify")
    def notify(delivery):
        return None

    registry.issued = issued
    return registry


@pytest.fixture
def engine(database_url, clock, connectors):
    # The engine's tests complete tasks without claiming them first; claim-to-complete (the
    # default, as served) has its own tests (tests/*/test_clerk_work*.py, tests/web).
    eng = Engine(settings=EngineSettings(database_url=database_url, timezone="Africa/Casablanca", require_claim=False),
                 clock=clock, connectors=connectors)
    yield eng
    verify_every_instance(eng)
    eng.dispose()


def verify_every_instance(engine: Engine) -> None:
    """Every instance a test left must verify: intact chain (head and checkpoint included), a
    replay equal to the record, and stored projections equal to what the chain and replay say."""
    checkpoints = engine.checkpoint_verifier()
    for inst in engine.list_instances(per_page=500).items:
        result = engine.verify(inst.id, checkpoints)
        assert result["ok"], (inst.definition_key, inst.id, *(result.get("findings") or []), result)


def fixture_files(*names: str) -> list[tuple[str, bytes]]:
    return [(n, (FIXTURES / n).read_bytes()) for n in names]
