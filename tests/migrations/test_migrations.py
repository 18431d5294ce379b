"""Migrations: upgrading an empty database to head gives exactly the tables the code declares."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.db.schema import metadata


def test_upgrade__head_matches_the_metadata(engine):
    # The `engine` fixture's database was built by the migrations (the session template).
    with engine.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upgrade__is_idempotent(engine):
    engine.upgrade_schema()
    with engine.db.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
