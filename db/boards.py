"""The pinned status board of each cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.util import execute, fetch_one, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


@dataclass(frozen=True)
class Board:
    """Where a cluster's board lives and what it last showed."""

    cluster_id: int
    message_id: int | None
    body_hash: str | None
    pin_warned: bool


async def get_board(conn: aiosqlite.Connection, cluster_id: int) -> Board | None:
    """Return the cluster's board, if one was ever posted."""
    row = await fetch_one(
        conn,
        """SELECT cluster_id, message_id, body_hash, pin_warned
           FROM status_boards WHERE cluster_id = ?""",
        (cluster_id,),
    )
    if row is None:
        return None
    return Board(row["cluster_id"], row["message_id"], row["body_hash"], bool(row["pin_warned"]))


async def upsert_board(
    conn: aiosqlite.Connection,
    cluster_id: int,
    *,
    message_id: int | None,
    body_hash: str | None,
    now: datetime,
) -> None:
    """Record the board's message and the hash of what it shows."""
    await execute(
        conn,
        """INSERT INTO status_boards (cluster_id, message_id, body_hash, updated_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (cluster_id) DO UPDATE SET
               message_id = excluded.message_id,
               body_hash = excluded.body_hash,
               updated_at = excluded.updated_at""",
        (cluster_id, message_id, body_hash, ts(now)),
    )


async def update_pin_warned(conn: aiosqlite.Connection, cluster_id: int, now: datetime) -> None:
    """Note that the group was told the bot may not pin."""
    await execute(
        conn,
        """INSERT INTO status_boards (cluster_id, pin_warned, updated_at) VALUES (?, 1, ?)
           ON CONFLICT (cluster_id) DO UPDATE SET pin_warned = 1""",
        (cluster_id, ts(now)),
    )
