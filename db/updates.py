"""Handled update ids, so a redelivered update is not acted on twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.util import execute, fetch_one, rowcount_here, ts

if TYPE_CHECKING:
    import sqlite3
    from datetime import datetime

    import aiosqlite


async def is_handled(conn: aiosqlite.Connection, update_id: int) -> bool:
    """Tell whether an update's effects are already committed."""
    row = await fetch_one(conn, "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,))
    return row is not None


def begin_and_record(raw: sqlite3.Connection, update_id: int, at: str) -> bool:
    """BEGIN IMMEDIATE and record the update in one trip to the database thread.

    True when the id is new; the transaction stays open either way (the caller ends it).
    """
    raw.execute("BEGIN IMMEDIATE")
    try:
        fresh = (
            rowcount_here(
                raw,
                "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                (update_id, at),
            )
            == 1
        )
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    return fresh


async def delete_handled_before(conn: aiosqlite.Connection, before: datetime) -> int:
    """Forget old update ids (Telegram redelivers only recent ones)."""
    return await execute(conn, "DELETE FROM handled_updates WHERE handled_at < ?", (ts(before),))
