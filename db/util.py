"""Small helpers shared by the repositories: timestamps and row fetching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import aiosqlite


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


async def insert(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> int:
    """Run an INSERT and return the new row id."""
    async with conn.execute(sql, params) as cur:
        if cur.lastrowid is None:
            raise RuntimeError("insert returned no row id")
        return cur.lastrowid


async def execute(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> int:
    """Run a statement and return how many rows it changed."""
    async with conn.execute(sql, params) as cur:
        return cur.rowcount
