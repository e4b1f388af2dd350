"""Meetings and the units' RSVPs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Meeting, Rsvp
from db.util import Query, execute, execute_at_commit, fetch_all, fetch_one, from_ts, insert, ts

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    import aiosqlite

_SELECT = """SELECT id, cluster_id, title, starts_at, place, agenda, status, reminder_offsets,
                    message_id, created_at FROM meetings"""


def _row_to_meeting(row: aiosqlite.Row) -> Meeting:
    offsets = row["reminder_offsets"]
    return Meeting(
        id=row["id"],
        cluster_id=row["cluster_id"],
        title=row["title"],
        starts_at=from_ts(row["starts_at"]),
        place=row["place"],
        agenda=row["agenda"],
        status=row["status"],
        reminder_offsets=tuple(int(x) for x in offsets.split(";") if x)
        if offsets is not None
        else None,
        message_id=row["message_id"],
        created_at=from_ts(row["created_at"]),
    )


async def get_meeting(
    conn: aiosqlite.Connection, cluster_id: int, meeting_id: int
) -> Meeting | None:
    """Return a meeting of this cluster."""
    row = await fetch_one(
        conn, _SELECT + " WHERE cluster_id = ? AND id = ?", (cluster_id, meeting_id)
    )
    return _row_to_meeting(row) if row else None


async def list_meetings(
    conn: aiosqlite.Connection, cluster_id: int, statuses: tuple[str, ...] = ("scheduled",)
) -> list[Meeting]:
    """Return a cluster's meetings in these statuses, soonest first."""
    marks = ",".join("?" for _ in statuses)
    rows = await fetch_all(
        conn,
        _SELECT + " WHERE cluster_id = ? AND status IN (" + marks + ") ORDER BY starts_at, id",
        (cluster_id, *statuses),
    )
    return [_row_to_meeting(r) for r in rows]


async def insert_meeting(
    conn: aiosqlite.Connection,
    *,
    cluster_id: int,
    title: str,
    starts_at: datetime,
    place: str,
    agenda: str,
    reminder_offsets: tuple[int, ...] | None,
    created_by: int,
    now: datetime,
) -> int:
    """Store a scheduled meeting; return its id."""
    return await insert(
        conn,
        """INSERT INTO meetings (cluster_id, title, starts_at, place, agenda, reminder_offsets,
                                 created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            cluster_id,
            title,
            ts(starts_at),
            place,
            agenda,
            None if reminder_offsets is None else ";".join(str(o) for o in reminder_offsets),
            created_by,
            ts(now),
        ),
    )


async def update_meeting(
    conn: aiosqlite.Connection,
    meeting_id: int,
    *,
    starts_at: datetime | None = None,
    status: str | None = None,
    message_id: int | None = None,
) -> None:
    """Move, close or cancel a meeting, or remember its group message."""
    await execute(
        conn,
        """UPDATE meetings SET
               starts_at = COALESCE(?, starts_at),
               status = COALESCE(?, status),
               message_id = COALESCE(?, message_id)
           WHERE id = ?""",
        (ts(starts_at) if starts_at else None, status, message_id, meeting_id),
    )


async def list_rsvps(conn: aiosqlite.Connection, meeting_id: int) -> dict[int, Rsvp]:
    """Return each unit's answer, by unit id."""
    return rsvps_from_rows(await fetch_all(conn, *rsvps_query(meeting_id)))


def rsvps_query(meeting_id: int) -> Query:
    """`list_rsvps` as a query, for `db.util.fetch_batch` (rows: `rsvps_from_rows`)."""
    return (
        """SELECT meeting_id, unit_id, status, attendees, user_id
           FROM rsvps WHERE meeting_id = ?""",
        (meeting_id,),
    )


def rsvps_from_rows(rows: Iterable[aiosqlite.Row]) -> dict[int, Rsvp]:
    """Each unit's answer, by unit id, from `rsvps_query` rows."""
    return {
        r["unit_id"]: Rsvp(
            r["meeting_id"], r["unit_id"], r["status"], r["attendees"], r["user_id"]
        )
        for r in rows
    }


async def upsert_rsvp(
    conn: aiosqlite.Connection,
    *,
    meeting_id: int,
    unit_id: int,
    status: str,
    attendees: str | None,
    user_id: int,
    now: datetime,
    previous: Rsvp | None,
) -> Rsvp:
    """Record or change a unit's answer; attendees are kept unless new ones are given (an
    absence clears them). Returns the answer as stored.

    `previous` is the unit's answer as read in the same transaction. Nothing reads the row
    back before COMMIT, so the write goes with it (one trip).
    """
    sql = """INSERT INTO rsvps (meeting_id, unit_id, status, attendees, user_id, answered_at)
           VALUES (?, ?, ?, COALESCE(?, ''), ?, ?)
           ON CONFLICT (meeting_id, unit_id) DO UPDATE SET
               status = excluded.status,
               attendees = CASE WHEN ? IS NULL THEN
                   CASE WHEN excluded.status = 'absent' THEN '' ELSE rsvps.attendees END
                   ELSE excluded.attendees END,
               user_id = excluded.user_id,
               answered_at = excluded.answered_at"""
    params = (meeting_id, unit_id, status, attendees, user_id, ts(now), attendees)
    await execute_at_commit(conn, sql, params)
    if attendees is not None:
        kept = attendees
    elif previous is None or status == "absent":
        kept = ""
    else:
        kept = previous.attendees
    return Rsvp(meeting_id, unit_id, status, kept, user_id)


async def get_meeting_any(conn: aiosqlite.Connection, meeting_id: int) -> Meeting | None:
    """Return a meeting by id, whatever its cluster (the reminder planner's own lookups)."""
    row = await fetch_one(conn, _SELECT + " WHERE id = ?", (meeting_id,))
    return _row_to_meeting(row) if row else None


async def list_scheduled_without_message(conn: aiosqlite.Connection) -> list[Meeting]:
    """Scheduled meetings whose group message is missing (a crash, or the group moved)."""
    rows = await fetch_all(
        conn, _SELECT + " WHERE status = 'scheduled' AND message_id IS NULL ORDER BY id"
    )
    return [_row_to_meeting(r) for r in rows]
