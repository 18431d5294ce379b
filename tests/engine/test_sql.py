"""Prebuilt SQL on the DBAPI connection reads and writes what SQLAlchemy Core does."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engine.db import definitions
from engine.db.base import UTCDateTime, create_db_engine
from engine.db.schema import metadata
from engine.db.sql import Statement, db, is_timestamp


def test_a_column_name_is_a_timestamp_in_every_table_or_in_none():
    # The DBAPI path recognises timestamps in results by column name.
    for table in metadata.sorted_tables:
        for column in table.c:
            assert is_timestamp(column.name) == isinstance(column.type, UTCDateTime), (table.name, column.name)
    assert is_timestamp("inst__created_at") and not is_timestamp("inst__status")


def test_parameters_in_each_driver_style():
    stmt = Statement("SELECT a FROM t WHERE b = :b AND c LIKE '50%' AND d = :d_2 AND e = 'x:y'")
    assert stmt.text(sqlite=True) == "SELECT a FROM t WHERE b = :b AND c LIKE '50%' AND d = :d_2 AND e = 'x:y'"
    assert stmt.text(sqlite=False) == ("SELECT a FROM t WHERE b = %(b)s AND c LIKE '50%%' AND d = %(d_2)s "
                                       "AND e = 'x:y'")


@pytest.fixture
def conn(database_url):
    engine = create_db_engine(database_url)
    with engine.connect() as c, c.begin() as txn:
        yield c
        txn.rollback()
    engine.dispose()


def test_timestamps_round_trip_between_core_and_the_dbapi_path(conn):
    at = datetime(2026, 3, 29, 1, 30, 0, tzinfo=timezone(timedelta(hours=1)))  # not UTC, no microseconds
    later = at + timedelta(microseconds=7)
    table = definitions.deployment
    conn.execute(sa.insert(table).values(id="core", deployed_at=at, deployed_by="x"))
    db(conn).execute(Statement("INSERT INTO deployment (id, deployed_at, deployed_by) VALUES (:id, :at, 'y')"),
                     {"id": "raw", "at": later})
    core = {r.id: r.deployed_at for r in conn.execute(sa.select(table))}
    raw = {r.id: r.deployed_at for r in db(conn).all(Statement("SELECT id, deployed_at FROM deployment"))}
    assert core == raw == {"core": at, "raw": later}
    assert all(v.tzinfo is not None and v.utcoffset() == timedelta(0) for v in raw.values())
    # Compared in SQL, a value written one way orders with one written the other way.
    before = db(conn).all(Statement("SELECT id FROM deployment WHERE deployed_at < :t ORDER BY id"), {"t": later})
    assert [r.id for r in before] == ["core"]
    with pytest.raises(ValueError, match="naive"):
        db(conn).execute(Statement("SELECT :t"), {"t": datetime(2026, 1, 1)})


def test_timestamp_parameters_are_found_by_name_and_anywhere_else(conn):
    d = db(conn)
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    stmt = Statement("UPDATE task SET completed_at = :completed_at WHERE id = :b_id AND due_at < :b_due_at")
    assert stmt.stamps == ("completed_at", "b_due_at")
    plain = {"b_id": "t1", "completed_at": None, "b_due_at": None}
    assert d.params(plain, stmt.stamps) is plain  # nothing to convert: the same dict
    converted = d.params({"b_id": "t1", "completed_at": at, "b_due_at": at, "other": at}, stmt.stamps)
    expected = d.ts(at)
    assert converted == {"b_id": "t1", "completed_at": expected, "b_due_at": expected, "other": expected}
    assert d.params({"other": at}, ()) == {"other": expected}
    if conn.dialect.name == "sqlite":
        assert expected == "2026-03-29 00:30:00.000000"  # naive UTC text, as SQLAlchemy writes it
    else:
        assert expected == at  # the driver takes aware datetimes


def test_insert_of_many_rows__every_row_written_on_each_database(conn):
    # PostgreSQL sends ROWS_PER_INSERT rows per statement (a last, shorter batch too);
    # SQLite steps one prepared statement per row. Both write the same rows, timestamps included.
    from engine.db import sql
    from engine.db.sql import insert

    stmt = insert(definitions.deployment)
    at = datetime(2026, 3, 29, 1, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    rows = [{"id": f"d{i:03d}", "deployed_at": at + timedelta(seconds=i), "deployed_by": f"u{i} 50% :x %(y)s"}
            for i in range(2 * sql.ROWS_PER_INSERT + 5)]
    assert db(conn).execute_many(stmt, rows) == len(rows)
    stored = {r.id: (r.deployed_at, r.deployed_by) for r in conn.execute(sa.select(definitions.deployment))}
    assert stored == {r["id"]: (r["deployed_at"], r["deployed_by"]) for r in rows}
    assert stmt.rows_text(2).endswith("VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(stmt.columns)) + ")"] * 2))
