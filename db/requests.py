"""Report and confirmation requests, and the units each is addressed to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Request
from db.util import execute, fetch_all, fetch_one, from_ts, insert, row_here, ts

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from datetime import datetime

    import aiosqlite


# One trip for a request and the units it concerns (unit ids in unit order, as numbers).
_SELECT = """SELECT id, cluster_id, kind, title, deadline_at, status, file_types,
                    document_file_id, document_name, message_id, created_by,
                    reminder_offsets, created_at,
                    (SELECT group_concat(ru.unit_id) FROM request_units ru
                     JOIN units u ON u.id = ru.unit_id
                     WHERE ru.request_id = requests.id) AS unit_list
             FROM requests"""


def _row_to_request(row: aiosqlite.Row) -> Request:
    unit_list = row["unit_list"]
    unit_ids = sorted(int(x) for x in unit_list.split(",")) if unit_list else []
    return Request(
        id=row["id"],
        cluster_id=row["cluster_id"],
        kind=row["kind"],
        title=row["title"],
        deadline_at=from_ts(row["deadline_at"]),
        status=row["status"],
        file_types=tuple(t for t in row["file_types"].split(";") if t),
        document_file_id=row["document_file_id"],
        document_name=row["document_name"],
        message_id=row["message_id"],
        created_by=row["created_by"],
        unit_ids=tuple(unit_ids),
        reminder_offsets=tuple(int(x) for x in row["reminder_offsets"].split(";") if x)
        if row["reminder_offsets"] is not None
        else None,
        created_at=from_ts(row["created_at"]),
    )


async def get_request(
    conn: aiosqlite.Connection, cluster_id: int, request_id: int
) -> Request | None:
    """Return a request of this cluster (None for another cluster's id)."""
    row = await fetch_one(
        conn,
        _SELECT + """ WHERE cluster_id = ? AND id = ?""",
        (cluster_id, request_id),
    )
    return _row_to_request(row) if row else None


def get_request_here(raw: sqlite3.Connection, cluster_id: int, request_id: int) -> Request | None:
    """`get_request` for a function already on the database thread (one-trip reads)."""
    row = row_here(raw, _SELECT + " WHERE cluster_id = ? AND id = ?", (cluster_id, request_id))
    return _row_to_request(row) if row else None


async def get_request_by_message(
    conn: aiosqlite.Connection, cluster_id: int, message_id: int
) -> Request | None:
    """Return the request whose group message has this id."""
    row = await fetch_one(
        conn, _SELECT + " WHERE cluster_id = ? AND message_id = ?", (cluster_id, message_id)
    )
    return _row_to_request(row) if row else None


async def list_requests(
    conn: aiosqlite.Connection,
    cluster_id: int,
    *,
    kind: str | None = None,
    statuses: tuple[str, ...] = ("open",),
) -> list[Request]:
    """Return a cluster's requests of the given kind and statuses, oldest first."""
    marks = ",".join("?" for _ in statuses)
    rows = await fetch_all(
        conn,
        _SELECT
        + """
           WHERE cluster_id = ? AND (? IS NULL OR kind = ?) AND status IN ("""
        + marks
        + ") ORDER BY deadline_at, id",
        (cluster_id, kind, kind, *statuses),
    )
    return [_row_to_request(r) for r in rows]


async def insert_request(
    conn: aiosqlite.Connection,
    *,
    cluster_id: int,
    kind: str,
    title: str,
    deadline_at: datetime,
    file_types: tuple[str, ...],
    document_file_id: str | None,
    document_name: str | None,
    unit_ids: Iterable[int],
    created_by: int,
    now: datetime,
    reminder_offsets: tuple[int, ...] | None = None,
) -> int:
    """Store a new open request with the units it concerns; return its id."""
    request_id = await insert(
        conn,
        """INSERT INTO requests (cluster_id, kind, title, deadline_at, file_types,
                                 document_file_id, document_name, created_by, created_at,
                                 reminder_offsets)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            cluster_id,
            kind,
            title,
            ts(deadline_at),
            ";".join(file_types),
            document_file_id,
            document_name,
            created_by,
            ts(now),
            None if reminder_offsets is None else ";".join(str(o) for o in reminder_offsets),
        ),
    )
    await conn.executemany(
        "INSERT INTO request_units (request_id, unit_id) VALUES (?, ?)",
        [(request_id, unit_id) for unit_id in unit_ids],
    )
    return request_id


async def update_message(conn: aiosqlite.Connection, request_id: int, message_id: int) -> None:
    """Remember the group message that shows the request."""
    await execute(
        conn, "UPDATE requests SET message_id = ? WHERE id = ?", (message_id, request_id)
    )


async def update_deadline(
    conn: aiosqlite.Connection, request_id: int, deadline_at: datetime
) -> None:
    """Move a request's deadline."""
    await execute(
        conn, "UPDATE requests SET deadline_at = ? WHERE id = ?", (ts(deadline_at), request_id)
    )


async def update_status(
    conn: aiosqlite.Connection, request_id: int, status: str, now: datetime
) -> None:
    """Open, close or cancel a request; closing times are kept for the record."""
    await execute(
        conn,
        """UPDATE requests SET status = ?,
               closed_at = CASE WHEN ? = 'open' THEN NULL ELSE ? END
           WHERE id = ?""",
        (status, status, ts(now), request_id),
    )


async def list_open_without_message(conn: aiosqlite.Connection) -> list[Request]:
    """Open requests whose group message was never posted (a send failed, or a crash)."""
    rows = await fetch_all(
        conn,
        _SELECT + """ WHERE status = 'open' AND message_id IS NULL ORDER BY id""",
    )
    return [_row_to_request(r) for r in rows]


async def get_request_any(conn: aiosqlite.Connection, request_id: int) -> Request | None:
    """Return a request by id, whatever its cluster (the reminder planner's own lookups)."""
    row = await fetch_one(conn, _SELECT + " WHERE id = ?", (request_id,))
    return _row_to_request(row) if row else None
