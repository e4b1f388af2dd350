"""Units' answers to confirmation requests: confirmed, or a comment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Confirmation
from db.util import Query, execute_at_commit, fetch_all, from_ts, ts

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    import aiosqlite


async def list_answers(conn: aiosqlite.Connection, request_id: int) -> dict[int, Confirmation]:
    """Return each unit's answer to a confirmation request, by unit id."""
    return answers_from_rows(await fetch_all(conn, *answers_query(request_id)))


def answers_query(request_id: int) -> Query:
    """`list_answers` as a query, for `db.util.fetch_batch` (rows: `answers_from_rows`)."""
    return (
        """SELECT request_id, unit_id, status, comment, user_id, answered_at
           FROM confirmations WHERE request_id = ?""",
        (request_id,),
    )


def answers_from_rows(rows: Iterable[aiosqlite.Row]) -> dict[int, Confirmation]:
    """Each unit's answer, by unit id, from `answers_query` rows."""
    return {
        r["unit_id"]: Confirmation(
            request_id=r["request_id"],
            unit_id=r["unit_id"],
            status=r["status"],
            comment=r["comment"],
            user_id=r["user_id"],
            answered_at=from_ts(r["answered_at"]),
        )
        for r in rows
    }


async def upsert_answer(
    conn: aiosqlite.Connection,
    *,
    request_id: int,
    unit_id: int,
    status: str,
    comment: str | None,
    user_id: int,
    now: datetime,
    previous: Confirmation | None,
) -> Confirmation:
    """Record (or replace) a unit's answer and return it as stored.

    `previous` is the unit's answer as read in the same transaction. Nothing reads the row
    back before COMMIT, so the write goes with it (one trip).
    """
    sql = """INSERT INTO confirmations (request_id, unit_id, status, comment, user_id, answered_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (request_id, unit_id) DO UPDATE SET
               status = excluded.status,
               -- Confirming after a comment keeps the comment on record.
               comment = COALESCE(excluded.comment, confirmations.comment),
               user_id = excluded.user_id, answered_at = excluded.answered_at"""
    at = ts(now)
    params = (request_id, unit_id, status, comment, user_id, at)
    await execute_at_commit(conn, sql, params)
    kept = comment if comment is not None else previous.comment if previous else None
    return Confirmation(request_id, unit_id, status, kept, user_id, from_ts(at))
