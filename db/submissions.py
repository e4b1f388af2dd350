"""Report submissions: every version a unit sent, with its review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain import Request, Submission
from db.requests import get_request_here
from db.util import (
    Query,
    execute,
    fetch_all,
    fetch_one,
    from_ts,
    in_thread,
    row_here,
    rows_here,
    ts,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from datetime import datetime
    from pathlib import Path

    import aiosqlite

_COLUMNS = """id, request_id, unit_id, version, user_id, submitted_at, late_seconds, file_name,
    stored_name, file_size, mime_type, sha256, file_id, file_unique_id, caption, storage,
    review, review_comment"""


def _row_to_submission(row: aiosqlite.Row) -> Submission:
    return Submission(
        id=row["id"],
        request_id=row["request_id"],
        unit_id=row["unit_id"],
        version=row["version"],
        user_id=row["user_id"],
        submitted_at=from_ts(row["submitted_at"]),
        late_seconds=row["late_seconds"],
        file_name=row["file_name"],
        stored_name=row["stored_name"],
        file_size=row["file_size"],
        mime_type=row["mime_type"],
        sha256=row["sha256"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        caption=row["caption"],
        storage=row["storage"],
        review=row["review"],
        review_comment=row["review_comment"],
    )


async def get_submission(conn: aiosqlite.Connection, submission_id: int) -> Submission | None:
    """Return one submission by id."""
    row = await fetch_one(
        conn,
        "SELECT " + _COLUMNS + " FROM submissions WHERE id = ?",  # noqa: S608 - constant columns
        (submission_id,),
    )
    return _row_to_submission(row) if row else None


async def get_latest(
    conn: aiosqlite.Connection, request_id: int, unit_id: int
) -> Submission | None:
    """Return the unit's latest version for a request (the one that counts)."""
    row = await fetch_one(
        conn,
        "SELECT " + _COLUMNS + " FROM submissions "  # noqa: S608 - constant columns
        "WHERE request_id = ? AND unit_id = ? ORDER BY version DESC LIMIT 1",
        (request_id, unit_id),
    )
    return _row_to_submission(row) if row else None


_LATEST = (
    "SELECT " + _COLUMNS + " FROM submissions s "  # noqa: S608 - constant columns
    """WHERE request_id = ? AND version = (
           SELECT MAX(version) FROM submissions
           WHERE request_id = s.request_id AND unit_id = s.unit_id)"""
)


async def list_latest(conn: aiosqlite.Connection, request_id: int) -> dict[int, Submission]:
    """Return each unit's latest version for a request, by unit id."""
    return latest_from_rows(await fetch_all(conn, *latest_query(request_id)))


def latest_query(request_id: int) -> Query:
    """`list_latest` as a query, for `db.util.fetch_batch` (rows: `latest_from_rows`)."""
    return _LATEST, (request_id,)


def latest_from_rows(rows: Iterable[aiosqlite.Row]) -> dict[int, Submission]:
    """Each unit's latest version, by unit id, from `latest_query` rows."""
    return {r["unit_id"]: _row_to_submission(r) for r in rows}


async def read_request_and_latest(
    conn: aiosqlite.Connection, cluster_id: int, request_id: int
) -> tuple[Request | None, dict[int, Submission]]:
    """A request of this cluster and each unit's latest version of it, in one trip."""
    return await in_thread(conn, _request_and_latest, cluster_id, request_id)


def _request_and_latest(
    raw: sqlite3.Connection, cluster_id: int, request_id: int
) -> tuple[Request | None, dict[int, Submission]]:
    request = get_request_here(raw, cluster_id, request_id)
    if request is None:
        return None, {}
    return request, latest_from_rows(rows_here(raw, *latest_query(request_id)))


async def list_versions(conn: aiosqlite.Connection, request_id: int) -> list[Submission]:
    """Return every version of every unit for a request, in submission order."""
    rows = await fetch_all(
        conn,
        "SELECT " + _COLUMNS + " FROM submissions "  # noqa: S608 - constant columns
        "WHERE request_id = ? ORDER BY id",
        (request_id,),
    )
    return [_row_to_submission(r) for r in rows]


_INSERT = (
    """INSERT INTO submissions (request_id, unit_id, version, user_id, submitted_at,
           late_seconds, file_name, stored_name, file_size, mime_type, sha256, file_id,
           file_unique_id, caption, storage)
       VALUES (:request_id, :unit_id, :version, :user_id, :submitted_at, :late_seconds,
           :file_name, :stored_name, :file_size, :mime_type, :sha256, :file_id,
           :file_unique_id, :caption, :storage)
       RETURNING """  # noqa: S608 - constant columns
    + _COLUMNS
)


async def insert_submission(
    conn: aiosqlite.Connection, *, move: tuple[Path, Path] | None = None, **values: Any
) -> Submission:
    """Store a new version and return it as stored; the caller computed `version` inside
    the same transaction.

    `move` (downloaded file, its final name): the file is moved there in the same trip to
    the database thread, once the row is in (a failed move fails the insert). Renaming
    costs more than the insert on some disks; the event loop does not wait for it.
    """
    values["submitted_at"] = ts(values["submitted_at"])
    return await in_thread(conn, _insert_and_move, values, move)


def _insert_and_move(
    raw: sqlite3.Connection, values: dict[str, Any], move: tuple[Path, Path] | None
) -> Submission:
    row = row_here(raw, _INSERT, values)
    if row is None:
        raise RuntimeError("insert returned no row")
    if move is not None:
        source, final = move
        final.parent.mkdir(parents=True, exist_ok=True)
        source.replace(final)
    return _row_to_submission(row)


async def update_review(
    conn: aiosqlite.Connection,
    submission_id: int,
    *,
    review: str,
    comment: str | None,
    reviewed_by: int,
    now: datetime,
) -> None:
    """Record the secretariat's decision on a submission."""
    await execute(
        conn,
        """UPDATE submissions SET review = ?, review_comment = ?, reviewed_by = ?,
               reviewed_at = ?
           WHERE id = ?""",
        (review, comment, reviewed_by, ts(now), submission_id),
    )


async def list_stored_paths(conn: aiosqlite.Connection) -> set[tuple[int, int, str]]:
    """Every (cluster id, request id, stored name) a recorded version points at."""
    rows = await fetch_all(
        conn,
        """SELECT r.cluster_id, s.request_id, s.stored_name
           FROM submissions s JOIN requests r ON r.id = s.request_id
           WHERE s.stored_name IS NOT NULL""",
    )
    return {(r[0], r[1], r[2]) for r in rows}
