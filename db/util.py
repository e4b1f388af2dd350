"""Small helpers shared by the repositories: timestamps and row fetching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterable, Sequence

    import aiosqlite

_T = TypeVar("_T")


def ts(dt: datetime) -> str:
    """Store an aware datetime as ISO-8601 UTC text."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(UTC).isoformat()


def from_ts(text: str) -> datetime:
    """Read a stored timestamp back as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> aiosqlite.Row | None:
    """Run a query and return its first row or None.

    One trip to aiosqlite's thread (execute_fetchall) instead of three (execute, fetch,
    close): each trip costs more than most of our queries. Callers ask for one row.
    """
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> list[aiosqlite.Row]:
    """Run a query and return all rows (in one trip to aiosqlite's thread)."""
    return list(await conn.execute_fetchall(sql, params))


Query = tuple[str, tuple[Any, ...]]


async def fetch_batch(
    conn: aiosqlite.Connection, queries: Sequence[Query]
) -> list[list[aiosqlite.Row]]:
    """Several queries' rows in one trip to aiosqlite's thread (each trip costs more than
    a short query: a view of many items would otherwise pay one per item)."""
    return await in_thread(conn, _fetch_batch, list(queries))


def _fetch_batch(raw: sqlite3.Connection, queries: list[Query]) -> list[list[aiosqlite.Row]]:
    return [rows_here(raw, sql, params) for sql, params in queries]


# For functions already on the database thread (one-trip units run with `in_thread`): a
# statement's first row, its rows, or its row count, the cursor closed in every case.


def row_here(raw: sqlite3.Connection, sql: str, params: Any = ()) -> aiosqlite.Row | None:
    """The first row of a statement (an INSERT … RETURNING's row too)."""
    cursor = raw.execute(sql, params)
    try:
        row: aiosqlite.Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


def rows_here(raw: sqlite3.Connection, sql: str, params: Any = ()) -> list[aiosqlite.Row]:
    """Every row of a query."""
    cursor = raw.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def rowcount_here(raw: sqlite3.Connection, sql: str, params: Any = ()) -> int:
    """How many rows a statement changed."""
    cursor = raw.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _lastrowid(raw: sqlite3.Connection, sql: str, params: Any) -> int | None:
    cursor = raw.execute(sql, params)
    try:
        return cursor.lastrowid
    finally:
        cursor.close()


async def in_thread(conn: aiosqlite.Connection, fn: Callable[..., _T], *args: Any) -> _T:
    """Run `fn(sqlite3 connection, *args)` on aiosqlite's thread in one trip.

    `execute()` as a context manager costs two trips (execute, then close); a trip is the
    dearest part of a short statement (bench/RESULTS.md). `_execute` is how aiosqlite's own
    methods reach its thread; tests/db cover it, so an aiosqlite that changes it fails CI.
    """
    result: _T = await conn._execute(fn, conn._conn, *args)  # type: ignore[no-untyped-call]
    return result


# Writes no statement of the transaction reads back (the audit journal), kept until COMMIT
# and sent with it in one trip (Database.transaction); a rollback drops them with the rest.
_deferred: WeakKeyDictionary[aiosqlite.Connection, list[tuple[str, Any]]] = WeakKeyDictionary()


# Connections whose current transaction only writes (Database.writes): every statement waits.
_write_only: WeakKeyDictionary[aiosqlite.Connection, bool] = WeakKeyDictionary()


async def execute_at_commit(conn: aiosqlite.Connection, sql: str, params: Any) -> None:
    """A write no statement of the transaction reads back: sent with its COMMIT (one trip
    for all of them); outside a transaction, run now."""
    if not defer(conn, sql, params):
        await execute(conn, sql, params)


def defer(conn: aiosqlite.Connection, sql: str, params: Any) -> bool:
    """Keep a write for the transaction's COMMIT; False outside a transaction."""
    pending = _deferred.get(conn)
    if pending is None:
        return False
    pending.append((sql, params))
    return True


def start_deferring(conn: aiosqlite.Connection) -> None:
    """A transaction began on this connection."""
    _deferred[conn] = []


def take_deferred(conn: aiosqlite.Connection) -> list[tuple[str, Any]]:
    """The writes kept for this transaction (and stop keeping)."""
    return _deferred.pop(conn, [])


# Connections whose current transaction must empty the write-ahead log right after its
# COMMIT (a secret ballot: the log keeps transactions in commit order).
_checkpoint_after: WeakKeyDictionary[aiosqlite.Connection, bool] = WeakKeyDictionary()


def checkpoint_after_commit(conn: aiosqlite.Connection) -> None:
    """Empty the write-ahead log in the same trip as this transaction's COMMIT."""
    _checkpoint_after[conn] = True


def take_checkpoint(conn: aiosqlite.Connection) -> bool:
    """Whether the transaction asked for a checkpoint (and stop asking)."""
    return _checkpoint_after.pop(conn, False)


def write_and_commit(
    raw: sqlite3.Connection, writes: list[tuple[str, Any]], checkpoint: bool = False
) -> bool:
    """Run the kept writes, COMMIT, and (asked) checkpoint, in one trip.

    False when the checkpoint was asked and could not finish (busy): try again later.
    """
    for sql, params in writes:
        raw.execute(sql, params).close()
    raw.execute("COMMIT")
    if not checkpoint:
        return True
    row = row_here(raw, "PRAGMA wal_checkpoint(TRUNCATE)")
    # (busy, log frames, checkpointed): done when not busy.
    return row is None or row[0] == 0


def begin_write_commit(raw: sqlite3.Connection, writes: list[tuple[str, Any]]) -> None:
    """A whole write-only transaction in one trip; nothing stays if a statement fails."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        write_and_commit(raw, writes)
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise


def write_only(conn: aiosqlite.Connection, on: bool) -> None:
    """Mark (or unmark) the connection's transaction as write-only."""
    if on:
        _write_only[conn] = True
    else:
        _write_only.pop(conn, None)


async def insert(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> int:
    """Run an INSERT and return the new row id."""
    if conn in _write_only:
        raise RuntimeError("a write-only transaction cannot give back a row id")
    rowid = await in_thread(conn, _lastrowid, sql, params)
    if rowid is None:
        raise RuntimeError("insert returned no row id")
    return rowid


async def execute(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> int:
    """Run a statement and return how many rows it changed (-1: kept for a write-only
    transaction's single trip, not run yet)."""
    if conn in _write_only and defer(conn, sql, params):
        return -1
    return await in_thread(conn, rowcount_here, sql, params)
