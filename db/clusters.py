"""Clusters: one per Telegram group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Cluster
from db.util import execute, fetch_one, from_ts, insert, ts

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
    )


async def get_cluster_by_chat(conn: aiosqlite.Connection, chat_id: int) -> Cluster | None:
    """Return the cluster living in a chat, if any."""
    row = await fetch_one(
        conn,
        """SELECT id, chat_id, name, year, locale, tz, join_policy, lead_unit_id,
                  created_by, created_at
           FROM clusters WHERE chat_id = ?""",
        (chat_id,),
    )
    return _row_to_cluster(row) if row else None


async def get_cluster(conn: aiosqlite.Connection, cluster_id: int) -> Cluster | None:
    """Return a cluster by id."""
    row = await fetch_one(
        conn,
        """SELECT id, chat_id, name, year, locale, tz, join_policy, lead_unit_id,
                  created_by, created_at
           FROM clusters WHERE id = ?""",
        (cluster_id,),
    )
    return _row_to_cluster(row) if row else None


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
) -> None:
    """Change the given fields of a cluster, leaving the others."""
    await execute(
        conn,
        """UPDATE clusters SET
               name = COALESCE(:name, name),
               year = COALESCE(:year, year),
               locale = COALESCE(:locale, locale),
               join_policy = COALESCE(:join_policy, join_policy),
               lead_unit_id = COALESCE(:lead_unit_id, lead_unit_id)
           WHERE id = :id""",
        {
            "id": cluster_id,
            "name": name,
            "year": year,
            "locale": locale,
            "join_policy": join_policy,
            "lead_unit_id": lead_unit_id,
        },
    )


async def update_chat_id(conn: aiosqlite.Connection, old_chat_id: int, new_chat_id: int) -> int:
    """Move a cluster to the chat id of its upgraded supergroup; return rows moved."""
    return await execute(
        conn,
        "UPDATE clusters SET chat_id = ? WHERE chat_id = ?",
        (new_chat_id, old_chat_id),
    )
