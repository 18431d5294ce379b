"""Prebuilt SQL run on the DBAPI connection: the command path's statements.

A command runs a handful of statements, thousands of times a second. Through SQLAlchemy
Core each costs more in Python (compiling, parameter processing, result wrapping) than
SQLite spends running it, so the hot statements are written here once, as SQL text with
`:name` parameters, turned once into each driver's parameter style, and run on the raw
DBAPI connection inside the SQLAlchemy transaction (same connection, same transaction).
Everything else (listings, deploy, workers) stays on SQLAlchemy Core.

Types are the schema's: timestamps are aware UTC datetimes in Python; SQLite stores them
as naive UTC text in SQLAlchemy's format (so both paths read and compare the same values),
PostgreSQL as `timestamptz`. A result column is a timestamp when the schema has a timestamp
column of that name (a test holds the schema to one type per column name).
"""
from __future__ import annotations

import re
from collections import namedtuple
from datetime import datetime, timezone
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_DATETIME = datetime
_TIMESTAMPS: frozenset[str] | None = None
# PostgreSQL: rows per multi-row INSERT (a batch's text is cached per size: at most this many
# texts per statement; a wide command's thousands of rows go this many at a time).
ROWS_PER_INSERT = 32


def timestamp_names() -> frozenset[str]:
    """Names of the schema's timestamp columns (a name is one in every table or in none)."""
    global _TIMESTAMPS
    if _TIMESTAMPS is None:
        from .base import UTCDateTime, metadata
        from . import schema  # noqa: F401  (every table registered)

        _TIMESTAMPS = frozenset(c.name for t in metadata.tables.values() for c in t.c
                                if isinstance(c.type, UTCDateTime))
    return _TIMESTAMPS


def is_timestamp(column: str) -> bool:
    """Whether a result column holds a timestamp (by its name; `x__name` labels count as `name`)."""
    return column.rpartition("__")[2] in timestamp_names()


class Statement:
    """One SQL statement with `:name` parameters, in each driver's style on demand.

    `columns`: for an INSERT of one row whose values are the parameters named after these
    columns (`insert`), which PostgreSQL can then be sent as one INSERT of many rows.
    """

    __slots__ = ("sql", "_pyformat", "_row_types", "_stamps", "names", "columns", "_rows_texts")

    def __init__(self, sql: str, columns: tuple[str, ...] | None = None):
        self.sql = " ".join(sql.split())
        self._pyformat = _NAMED.sub(r"%(\1)s", self.sql.replace("%", "%%"))
        self._row_types: dict[tuple[str, ...], tuple[type, list[int]]] = {}
        self._stamps: tuple[str, ...] | None = None
        self.names: tuple[str, ...] | None = None  # the result's column names (PostgreSQL's, once seen)
        self.columns = columns
        self._rows_texts: dict[int, str] = {}

    @property
    def stamps(self) -> tuple[str, ...]:
        """The parameters named after a timestamp column (a `b_` prefix aside)."""
        if self._stamps is None:
            names = dict.fromkeys(_NAMED.findall(self.sql))
            self._stamps = tuple(n for n in names if n.removeprefix("b_") in timestamp_names())
        return self._stamps

    def text(self, sqlite: bool) -> str:
        return self.sql if sqlite else self._pyformat

    def rows_text(self, n: int) -> str:
        """This INSERT of `n` rows, with positional parameters (psycopg's style), row after row."""
        text = self._rows_texts.get(n)
        if text is None:
            head = self.sql.partition(" VALUES ")[0]
            row = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
            text = self._rows_texts[n] = f"{head} VALUES {', '.join([row] * n)}"
        return text

    def row_type(self, names: tuple[str, ...]) -> tuple[type, list[int]]:
        """The named tuple for these result columns, and which of them hold timestamps."""
        t = self._row_types.get(names)
        if t is None:
            t = self._row_types[names] = (namedtuple("Row", names, rename=True),
                                          [i for i, n in enumerate(names) if is_timestamp(n)])
        return t


class Db:
    """The DBAPI side of one SQLAlchemy connection, kept with its DBAPI connection (`db`)."""

    __slots__ = ("raw", "sqlite", "_last_ts", "_last_text", "_cursor")

    def __init__(self, conn: Connection):
        self.raw = conn.connection.driver_connection
        self.sqlite = conn.dialect.name == "sqlite"
        self._last_ts = self._last_text = None
        self._cursor = None

    def cursor(self):
        """The connection's one cursor for these statements, kept (a statement reads its whole
        result before it returns, so none is left half read): psycopg builds a cursor's
        adapters and state at each `cursor()`, several microseconds a statement."""
        cur = self._cursor
        if cur is None:  # this object lives as long as its DBAPI connection (see `db`)
            cur = self._cursor = self.raw.cursor()
        return cur

    def ts(self, value: datetime | None):
        """A timestamp parameter (aware datetimes only, as `UTCDateTime`)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: diwan stores aware times only")
        if self.sqlite:
            if value is self._last_ts:  # a command stamps many rows with its one instant
                return self._last_text
            text = value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
            self._last_ts, self._last_text = value, text
            return text
        return value

    def params(self, values: dict[str, Any], stamps: tuple[str, ...] = ()) -> dict[str, Any]:
        """Parameters as the driver takes them (timestamps in the schema's form).

        Args:
            stamps: the names likely to hold timestamps (the statement's); a datetime
                under any other name is converted too, at the cost of a second pass.
        """
        if _DATETIME not in map(type, values.values()):  # a scan in C (datetime subclasses aside)
            return values
        out = dict(values)
        for name in stamps:
            value = out.get(name)
            if value is not None:
                out[name] = self.ts(value)
        if _DATETIME in map(type, out.values()):
            return {k: self.ts(v) if isinstance(v, datetime) else v for k, v in values.items()}
        return out

    def execute(self, stmt: Statement, params: dict[str, Any] | None = None) -> int:
        """Run a statement; returns the number of rows it changed."""
        cur = self.cursor()
        cur.execute(stmt.text(self.sqlite), self.params(params, stmt.stamps) if params else {})
        return cur.rowcount

    def execute_many(self, stmt: Statement, rows: list[dict[str, Any]]) -> int:
        """Run a statement once per parameter set; returns the rows changed in all."""
        if not rows:
            return 0
        if len(rows) == 1:
            return self.execute(stmt, rows[0])
        cur = self.cursor()
        stamps, convert = stmt.stamps, self.params
        rows = [convert(r, stamps) for r in rows]
        if stmt.columns is not None and not self.sqlite:
            return self._insert_rows(cur, stmt, rows)
        cur.executemany(stmt.text(self.sqlite), rows)
        return cur.rowcount

    def _insert_rows(self, cur, stmt: Statement, rows: list[dict[str, Any]]) -> int:
        """PostgreSQL: rows inserted ROWS_PER_INSERT at a time, each batch one statement.

        psycopg's `executemany` sends one execution per row through its pipeline, and its
        Python side costs more than PostgreSQL spends on a row: a command's audit events,
        tasks and offers as one statement each took about 8% of an API instance's CPU off
        (server and database, bench/api_throughput.py's loop, 2026-12-07). SQLite keeps
        `executemany` (a prepared statement stepped per row, cheaper than a longer text).
        """
        columns, count = stmt.columns, 0
        for start in range(0, len(rows), ROWS_PER_INSERT):
            batch = rows[start:start + ROWS_PER_INSERT]
            cur.execute(stmt.rows_text(len(batch)), [row[name] for row in batch for name in columns])
            count += cur.rowcount
        return count

    def all(self, stmt: Statement, params: dict[str, Any] | None = None) -> list:
        """The result rows (named tuples; timestamps as aware UTC datetimes)."""
        cur = self.cursor()
        cur.execute(stmt.text(self.sqlite), self.params(params, stmt.stamps) if params else {})
        names = stmt.names if not self.sqlite else None
        if names is None or len(names) != cur.pgresult.nfields:
            # psycopg builds a Column object per column for `description`, at every call.
            names = tuple(d[0] for d in cur.description)
            if not self.sqlite:
                stmt.names = names
        rows = cur.fetchall()
        Row, stamps = stmt.row_type(names)
        if not stamps:
            return [Row(*r) for r in rows]
        out = []
        for r in rows:
            values = list(r)
            for i in stamps:
                values[i] = _read_ts(values[i])
            out.append(Row(*values))
        return out

    def first(self, stmt: Statement, params: dict[str, Any] | None = None):
        rows = self.all(stmt, params)
        return rows[0] if rows else None


def _read_ts(value):
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def db(conn: Connection) -> Db:
    """The DBAPI side of `conn`, made once per DBAPI connection (kept in its `info`, which
    SQLAlchemy clears when it replaces the connection)."""
    info = conn.info
    d = info.get("diwan_db")
    if d is None:
        d = info["diwan_db"] = Db(conn)
    return d


def columns(table: sa.Table, *, prefix: str = "", exclude: Iterable[str] = ()) -> str:
    """`table.col, ...` for a select list (optionally labelled `prefix + col`)."""
    skip = set(exclude)
    return ", ".join(f"{table.name}.{c.name}" + (f" AS {prefix}{c.name}" if prefix else "")
                     for c in table.c if c.name not in skip)


def insert(table: sa.Table) -> Statement:
    """INSERT of every column of `table`, parameters named after the columns."""
    names = [c.name for c in table.c]
    return Statement(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})",
                     columns=tuple(names))
