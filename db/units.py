"""Member units of a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Unit
from db import cache
from db.util import execute, fetch_all, fetch_one, insert, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


def _row_to_unit(row: aiosqlite.Row) -> Unit:
    return Unit(
        id=row["id"],
        cluster_id=row["cluster_id"],
        code=row["code"],
        name=row["name"],
        voter_user_id=row["voter_user_id"],
    )


async def _units(conn: aiosqlite.Connection, cluster_id: int) -> tuple[Unit, ...]:
    cached = cache.lookup(conn, ("units", cluster_id))
    if cached is not cache.MISSING:
        return cached  # type: ignore[no-any-return]
    rows = await fetch_all(
        conn,
        """SELECT id, cluster_id, code, name, voter_user_id
           FROM units WHERE cluster_id = ? ORDER BY id""",
        (cluster_id,),
    )
    found = tuple(_row_to_unit(r) for r in rows)
    cache.store(conn, ("units", cluster_id), found)
    return found


async def list_units(conn: aiosqlite.Connection, cluster_id: int) -> list[Unit]:
    """Return a cluster's units, ordered by when they were added."""
    return list(await _units(conn, cluster_id))


async def get_unit(conn: aiosqlite.Connection, cluster_id: int, unit_id: int) -> Unit | None:
    """Return a unit of this cluster by id (None if it belongs to another cluster)."""
    return next((u for u in await _units(conn, cluster_id) if u.id == unit_id), None)


async def get_unit_by_code(conn: aiosqlite.Connection, cluster_id: int, code: str) -> Unit | None:
    """Return a unit of this cluster by its code."""
    row = await fetch_one(
        conn,
        """SELECT id, cluster_id, code, name, voter_user_id
           FROM units WHERE cluster_id = ? AND code = ?""",
        (cluster_id, code),
    )
    return _row_to_unit(row) if row else None


async def insert_unit(
    conn: aiosqlite.Connection, cluster_id: int, code: str, name: str, now: datetime
) -> int:
    """Add a unit and return its id."""
    cache.invalidate(conn)  # the roster changes
    return await insert(
        conn,
        "INSERT INTO units (cluster_id, code, name, created_at) VALUES (?, ?, ?, ?)",
        (cluster_id, code, name, ts(now)),
    )


async def update_voter(conn: aiosqlite.Connection, unit_id: int, user_id: int | None) -> None:
    """Designate (or clear) the person who casts the unit's vote."""
    cache.invalidate(conn)  # the roster changes
    await execute(conn, "UPDATE units SET voter_user_id = ? WHERE id = ?", (user_id, unit_id))
