"""The write probe behind /healthz: can the database take a write within a short timeout?"""
from __future__ import annotations

from sqlalchemy.engine import Engine as SAEngine


def write_problem(db: SAEngine, timeout: float = 1.0) -> tuple[str, str] | None:
    """None when a write transaction can begin (and write) within `timeout` seconds; else
    ("unreachable", detail) when no connection can be had, ("unwritable", detail) when one
    can but it cannot write (SQLite's write lock held, a read-only server, a timeout)."""
    try:
        conn = db.connect()
    except Exception as exc:  # noqa: BLE001 - whatever the driver says, it is the answer
        return "unreachable", _detail(exc)
    try:
        with conn:
            if conn.dialect.name == "sqlite":
                return _sqlite(conn.connection.driver_connection, timeout)
            return _postgresql(conn, timeout)
    except Exception as exc:  # noqa: BLE001
        return "unwritable", _detail(exc)


def _sqlite(driver, timeout: float) -> tuple[str, str] | None:
    previous = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute(f"PRAGMA busy_timeout={max(1, int(timeout * 1000))}")
    try:
        try:
            driver.execute("BEGIN IMMEDIATE")
        except Exception as exc:  # noqa: BLE001
            text = _detail(exc)
            if "locked" in text or "busy" in text:
                text = f"the write lock could not be had within {timeout:g} s ({text})"
            return "unwritable", text
        try:  # a write the file must take (a read-only file or connection refuses it), undone
            driver.execute("CREATE TABLE diwan_health_probe (x INTEGER)")
        finally:
            driver.execute("ROLLBACK")
        return None
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(previous)}")


def _postgresql(conn, timeout: float) -> tuple[str, str] | None:
    ms = max(1, int(timeout * 1000))
    transaction = conn.begin()
    try:
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
        # txid_current() must assign a transaction id: a standby (in recovery) refuses.
        read_only, _xid = conn.exec_driver_sql(
            "SELECT current_setting('transaction_read_only'), txid_current()").one()
        if read_only == "on":
            return "unwritable", "the server only accepts read-only transactions"
        return None
    finally:
        transaction.rollback()


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
