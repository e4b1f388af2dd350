"""Invite links: unguessable tokens that attach whoever opens them to a unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Invite
from db.util import execute, fetch_one, from_ts, insert, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


def _row_to_invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        id=row["id"],
        token=row["token"],
        cluster_id=row["cluster_id"],
        unit_id=row["unit_id"],
        revoked=row["revoked_at"] is not None,
        uses=row["uses"],
        expires_at=from_ts(row["expires_at"]) if row["expires_at"] else None,
    )


async def get_invite_by_token(conn: aiosqlite.Connection, token: str) -> Invite | None:
    """Return the invite carrying this token."""
    row = await fetch_one(
        conn,
        """SELECT id, token, cluster_id, unit_id, revoked_at, uses, expires_at
           FROM invites WHERE token = ?""",
        (token,),
    )
    return _row_to_invite(row) if row else None


async def get_invite(conn: aiosqlite.Connection, invite_id: int) -> Invite | None:
    """Return an invite by id."""
    row = await fetch_one(
        conn,
        """SELECT id, token, cluster_id, unit_id, revoked_at, uses, expires_at
           FROM invites WHERE id = ?""",
        (invite_id,),
    )
    return _row_to_invite(row) if row else None


async def insert_invite(
    conn: aiosqlite.Connection,
    *,
    token: str,
    cluster_id: int,
    unit_id: int,
    created_by: int,
    now: datetime,
    expires_at: datetime,
) -> int:
    """Store a new invite and return its id."""
    return await insert(
        conn,
        """INSERT INTO invites (token, cluster_id, unit_id, created_by, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (token, cluster_id, unit_id, created_by, ts(now), ts(expires_at)),
    )


async def revoke_invite(conn: aiosqlite.Connection, invite_id: int, now: datetime) -> bool:
    """Revoke an invite; False if it already was."""
    changed = await execute(
        conn,
        "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (ts(now), invite_id),
    )
    return changed == 1


async def count_use(conn: aiosqlite.Connection, invite_id: int) -> None:
    """Count one more person attached through this invite."""
    await execute(conn, "UPDATE invites SET uses = uses + 1 WHERE id = ?", (invite_id,))
