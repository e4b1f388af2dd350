"""Handled update ids, so a redelivered update is not acted on twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.util import execute, fetch_one, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


async def is_handled(conn: aiosqlite.Connection, update_id: int) -> bool:
    """Tell whether an update's effects are already committed."""
    row = await fetch_one(conn, "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,))
    return row is not None


async def mark_handled(conn: aiosqlite.Connection, update_id: int, now: datetime) -> bool:
    """Record an update as handled; False if it already was."""
    changed = await execute(
        conn,
        "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
        (update_id, ts(now)),
    )
    return changed == 1


async def delete_handled_before(conn: aiosqlite.Connection, before: datetime) -> int:
    """Forget old update ids (Telegram redelivers only recent ones)."""
    return await execute(conn, "DELETE FROM handled_updates WHERE handled_at < ?", (ts(before),))
