"""Clusters: one per Telegram group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Cluster
from db import cache
from db.util import execute, fetch_all, fetch_one, from_ts, insert, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


def _row_to_cluster(row: aiosqlite.Row) -> Cluster:
    return Cluster(
        id=row["id"],
        chat_id=row["chat_id"],
        name=row["name"],
        year=row["year"],
        locale=row["locale"],
        tz=row["tz"],
        join_policy=row["join_policy"],
        lead_unit_id=row["lead_unit_id"],
        created_by=row["created_by"],
        created_at=from_ts(row["created_at"]),
        reminder_offsets=tuple(int(x) for x in row["reminder_offsets"].split(";") if x),
        digest_time=row["digest_time"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        overdue_daily=bool(row["overdue_daily"]),
        offsets_changed_at=from_ts(row["offsets_changed_at"])
        if row["offsets_changed_at"]
        else None,
        board_enabled=bool(row["board_enabled"]),
        status_picture=bool(row["status_picture"]),
    )


async def get_cluster_by_chat(conn: aiosqlite.Connection, chat_id: int) -> Cluster | None:
    """Return the cluster living in a chat, if any."""
    cached = cache.lookup(conn, ("cluster_by_chat", chat_id))
    if cached is not cache.MISSING:
        return cached  # type: ignore[no-any-return]
    row = await fetch_one(
        conn,
        """SELECT id, chat_id, name, year, locale, tz, join_policy, lead_unit_id,
                  created_by, created_at, reminder_offsets, digest_time, quiet_start,
                  quiet_end, overdue_daily, offsets_changed_at, board_enabled, status_picture
           FROM clusters WHERE chat_id = ?""",
        (chat_id,),
    )
    cluster = _row_to_cluster(row) if row else None
    cache.store(conn, ("cluster_by_chat", chat_id), cluster)
    return cluster


async def get_cluster(conn: aiosqlite.Connection, cluster_id: int) -> Cluster | None:
    """Return a cluster by id."""
    cached = cache.lookup(conn, ("cluster", cluster_id))
    if cached is not cache.MISSING:
        return cached  # type: ignore[no-any-return]
    row = await fetch_one(
        conn,
        """SELECT id, chat_id, name, year, locale, tz, join_policy, lead_unit_id,
                  created_by, created_at, reminder_offsets, digest_time, quiet_start,
                  quiet_end, overdue_daily, offsets_changed_at, board_enabled, status_picture
           FROM clusters WHERE id = ?""",
        (cluster_id,),
    )
    cluster = _row_to_cluster(row) if row else None
    cache.store(conn, ("cluster", cluster_id), cluster)
    return cluster


async def insert_cluster(
    conn: aiosqlite.Connection,
    *,
    chat_id: int,
    name: str,
    year: int | None,
    locale: str,
    tz: str,
    created_by: int,
    now: datetime,
) -> int:
    """Register a chat as a cluster and return its id."""
    cache.invalidate(conn)  # the roster changes
    return await insert(
        conn,
        """INSERT INTO clusters (chat_id, name, year, locale, tz, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (chat_id, name, year, locale, tz, created_by, ts(now)),
    )


async def update_cluster(
    conn: aiosqlite.Connection,
    cluster_id: int,
    *,
    name: str | None = None,
    year: int | None = None,
    locale: str | None = None,
    join_policy: str | None = None,
    lead_unit_id: int | None = None,
    reminder_offsets: str | None = None,
    digest_time: str | None = None,
    quiet_start: str | None = None,
    quiet_end: str | None = None,
    overdue_daily: bool | None = None,
    offsets_changed_at: datetime | None = None,
    board_enabled: bool | None = None,
    status_picture: bool | None = None,
) -> None:
    """Change the given fields of a cluster, leaving the others."""
    cache.invalidate(conn)  # the roster changes
    await execute(
        conn,
        """UPDATE clusters SET
               name = COALESCE(:name, name),
               year = COALESCE(:year, year),
               locale = COALESCE(:locale, locale),
               join_policy = COALESCE(:join_policy, join_policy),
               lead_unit_id = COALESCE(:lead_unit_id, lead_unit_id),
               reminder_offsets = COALESCE(:reminder_offsets, reminder_offsets),
               digest_time = COALESCE(:digest_time, digest_time),
               quiet_start = COALESCE(:quiet_start, quiet_start),
               quiet_end = COALESCE(:quiet_end, quiet_end),
               overdue_daily = COALESCE(:overdue_daily, overdue_daily),
               offsets_changed_at = COALESCE(:offsets_changed_at, offsets_changed_at),
               board_enabled = COALESCE(:board_enabled, board_enabled),
               status_picture = COALESCE(:status_picture, status_picture)
           WHERE id = :id""",
        {
            "id": cluster_id,
            "name": name,
            "year": year,
            "locale": locale,
            "join_policy": join_policy,
            "lead_unit_id": lead_unit_id,
            "reminder_offsets": reminder_offsets,
            "digest_time": digest_time,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "overdue_daily": None if overdue_daily is None else int(overdue_daily),
            "offsets_changed_at": ts(offsets_changed_at) if offsets_changed_at else None,
            "board_enabled": None if board_enabled is None else int(board_enabled),
            "status_picture": None if status_picture is None else int(status_picture),
        },
    )


async def update_chat_id(conn: aiosqlite.Connection, old_chat_id: int, new_chat_id: int) -> int:
    """Move a cluster to the chat id of its upgraded supergroup; return rows moved."""
    cache.invalidate(conn)  # the roster changes
    return await execute(
        conn,
        "UPDATE clusters SET chat_id = ? WHERE chat_id = ?",
        (new_chat_id, old_chat_id),
    )


async def forget_item_messages(conn: aiosqlite.Connection, cluster_id: int) -> None:
    """Drop the group message ids of a cluster's open items (they belong to the old chat)."""
    for sql in (
        "UPDATE requests SET message_id = NULL WHERE cluster_id = ? AND status = 'open'",
        "UPDATE meetings SET message_id = NULL WHERE cluster_id = ? AND status = 'scheduled'",
        "UPDATE polls SET message_id = NULL WHERE cluster_id = ? AND status = 'open'",
    ):
        await execute(conn, sql, (cluster_id,))


async def list_clusters(conn: aiosqlite.Connection) -> list[Cluster]:
    """Return every cluster (the reminder planner walks them)."""
    rows = await fetch_all(
        conn,
        """SELECT id, chat_id, name, year, locale, tz, join_policy, lead_unit_id,
                  created_by, created_at, reminder_offsets, digest_time, quiet_start,
                  quiet_end, overdue_daily, offsets_changed_at, board_enabled, status_picture
           FROM clusters ORDER BY id""",
    )
    return [_row_to_cluster(r) for r in rows]
