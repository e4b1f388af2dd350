"""Liaisons (who represents which unit) and their join requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import JoinRequest, Liaison
from db import cache
from db.people import row_to_person
from db.util import execute, fetch_all, fetch_one, from_ts, insert, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


def _row_to_liaison(row: aiosqlite.Row) -> Liaison:
    return Liaison(
        cluster_id=row["cluster_id"],
        unit_id=row["unit_id"],
        person=row_to_person(row),
        via=row["via"],
        joined_at=from_ts(row["joined_at"]),
    )


def _row_to_join_request(row: aiosqlite.Row) -> JoinRequest:
    return JoinRequest(
        id=row["id"],
        cluster_id=row["cluster_id"],
        user_id=row["user_id"],
        unit_id=row["unit_id"],
        status=row["status"],
        message_id=row["message_id"],
    )


async def get_liaison(conn: aiosqlite.Connection, cluster_id: int, user_id: int) -> Liaison | None:
    """Return the person's liaison record in this cluster, if any (one per person)."""
    return next(
        (li for li in await _liaisons(conn, cluster_id) if li.person.user_id == user_id), None
    )


async def list_liaisons(conn: aiosqlite.Connection, cluster_id: int) -> list[Liaison]:
    """Return every liaison of a cluster, by unit then by joining order."""
    return list(await _liaisons(conn, cluster_id))


async def _liaisons(conn: aiosqlite.Connection, cluster_id: int) -> tuple[Liaison, ...]:
    cached = cache.lookup(conn, ("liaisons", cluster_id))
    if cached is not cache.MISSING:
        return cached  # type: ignore[no-any-return]
    rows = await fetch_all(
        conn,
        """SELECT l.cluster_id, l.unit_id, l.via, l.joined_at,
                  p.user_id, p.first_name, p.last_name, p.username, p.language_code,
                  p.locale, p.started, p.blocked
           FROM liaisons l JOIN people p ON p.user_id = l.user_id
           WHERE l.cluster_id = ?
           ORDER BY l.unit_id, l.joined_at""",
        (cluster_id,),
    )
    found = tuple(_row_to_liaison(r) for r in rows)
    cache.store(conn, ("liaisons", cluster_id), found)
    return found


async def insert_liaison(
    conn: aiosqlite.Connection,
    *,
    cluster_id: int,
    user_id: int,
    unit_id: int,
    via: str,
    approved_by: int | None,
    now: datetime,
) -> None:
    """Attach a person to a unit (the caller checked they are not attached yet)."""
    cache.invalidate(conn)  # the roster changes
    await execute(
        conn,
        """INSERT INTO liaisons (cluster_id, user_id, unit_id, via, approved_by, joined_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (cluster_id, user_id, unit_id, via, approved_by, ts(now)),
    )


async def get_join_request(conn: aiosqlite.Connection, request_id: int) -> JoinRequest | None:
    """Return a join request by id."""
    row = await fetch_one(
        conn,
        """SELECT id, cluster_id, user_id, unit_id, status, message_id
           FROM join_requests WHERE id = ?""",
        (request_id,),
    )
    return _row_to_join_request(row) if row else None


async def get_pending_join_request(
    conn: aiosqlite.Connection, cluster_id: int, user_id: int
) -> JoinRequest | None:
    """Return the person's waiting join request in this cluster, if any."""
    row = await fetch_one(
        conn,
        """SELECT id, cluster_id, user_id, unit_id, status, message_id
           FROM join_requests
           WHERE cluster_id = ? AND user_id = ? AND status = 'pending'""",
        (cluster_id, user_id),
    )
    return _row_to_join_request(row) if row else None


async def insert_join_request(
    conn: aiosqlite.Connection, *, cluster_id: int, user_id: int, unit_id: int, now: datetime
) -> int:
    """Record a waiting join request and return its id."""
    return await insert(
        conn,
        """INSERT INTO join_requests (cluster_id, user_id, unit_id, created_at)
           VALUES (?, ?, ?, ?)""",
        (cluster_id, user_id, unit_id, ts(now)),
    )


async def update_join_request_message(
    conn: aiosqlite.Connection, request_id: int, message_id: int
) -> None:
    """Remember the group message that carries the approve/reject buttons."""
    await execute(
        conn, "UPDATE join_requests SET message_id = ? WHERE id = ?", (message_id, request_id)
    )


async def decide_join_request(
    conn: aiosqlite.Connection, request_id: int, status: str, decided_by: int, now: datetime
) -> bool:
    """Close a pending request; False if it was no longer pending."""
    changed = await execute(
        conn,
        """UPDATE join_requests SET status = ?, decided_by = ?, decided_at = ?
           WHERE id = ? AND status = 'pending'""",
        (status, decided_by, ts(now), request_id),
    )
    return changed == 1


async def list_liaisons_of_person(conn: aiosqlite.Connection, user_id: int) -> list[Liaison]:
    """Return every unit the person represents, across clusters."""
    rows = await fetch_all(
        conn,
        """SELECT l.cluster_id, l.unit_id, l.via, l.joined_at,
                  p.user_id, p.first_name, p.last_name, p.username, p.language_code,
                  p.locale, p.started, p.blocked
           FROM liaisons l JOIN people p ON p.user_id = l.user_id
           WHERE l.user_id = ?
           ORDER BY l.cluster_id""",
        (user_id,),
    )
    return [_row_to_liaison(r) for r in rows]
