"""Database plumbing: metadata with a naming convention, column types, connection set-up."""
from __future__ import annotations

from datetime import timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine as SAEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

class UTCDateTime(sa.TypeDecorator):
    """An aware timestamp, stored in UTC on every database (SQLite keeps naive UTC text).

    Without it SQLite would store an aware value's wall time, so a +01:00 time and a UTC
    time would compare wrongly; values read back are always aware UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: diwan stores aware times only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


# Column shapes used across tables.
Id = sa.String(36)
Timestamp = UTCDateTime()
LongText = sa.Text()
JsonText = sa.Text  # JSON stored as text: portable and fast to (de)serialize with orjson

WRITE = {"diwan_write": True}
READ = {"diwan_write": False}
WAL_AUTOCHECKPOINT_PAGES = 10_000


def create_db_engine(url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 10) -> SAEngine:
    """Build the SQLAlchemy engine for `url` with diwan's connection settings.

    SQLite: WAL journal checkpointed at the latest every WAL_AUTOCHECKPOINT_PAGES pages
    (the engine checkpoints in the background: db/checkpoints.py), a busy timeout,
    foreign keys on, and write transactions opened with `BEGIN IMMEDIATE` (so two writers
    never deadlock on a lock upgrade; a lock that cannot be had within the timeout
    surfaces as an OperationalError, mapped to a conflict by the command chain). Reads
    use a plain deferred `BEGIN`.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine, sqlite_synchronous)
    else:
        engine = sa.create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: SAEngine, synchronous: str) -> None:
    if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"DIWAN_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # A checkpoint copies the WAL into the database and syncs both files: with
        # synchronous=NORMAL it is the one place a commit waits for the disk. SQLite's
        # default runs one every 1,000 pages (every ~40 commands); every 10,000 pages
        # (a WAL of up to ~40 MB) it runs a tenth as often, and a page written by many
        # commands in between (the inbox's, an index's last leaf) is copied once.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # On the driver connection: SQLAlchemy's statement machinery costs more than BEGIN.
        driver = conn.connection.driver_connection
        if driver.in_transaction:  # a kept connection's (db/connections.py): this joins it
            return
        write = conn.get_execution_options().get("diwan_write")
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
