"""People the bot has met."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Person
from db import cache
from db.util import execute, fetch_one, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


def row_to_person(row: aiosqlite.Row) -> Person:
    """Map a row with the people columns to a Person."""
    return Person(
        user_id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language_code=row["language_code"],
        locale=row["locale"],
        started=bool(row["started"]),
        blocked=bool(row["blocked"]),
    )


async def get_person(conn: aiosqlite.Connection, user_id: int) -> Person | None:
    """Return a person by Telegram user id."""
    cached = cache.lookup(conn, ("person", user_id))
    if cached is not cache.MISSING:
        return cached  # type: ignore[no-any-return]
    row = await fetch_one(
        conn,
        """SELECT user_id, first_name, last_name, username, language_code, locale, started,
                  blocked
           FROM people WHERE user_id = ?""",
        (user_id,),
    )
    person = row_to_person(row) if row else None
    cache.store(conn, ("person", user_id), person)
    return person


async def upsert_person(
    conn: aiosqlite.Connection,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    started: bool,
    now: datetime,
) -> None:
    """Record a person's current names; `started` only ever turns on."""
    cache.invalidate(conn)  # the roster changes
    await execute(
        conn,
        """INSERT INTO people (user_id, first_name, last_name, username, language_code,
                               started, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET
               first_name = excluded.first_name,
               last_name = excluded.last_name,
               username = excluded.username,
               language_code = excluded.language_code,
               started = MAX(people.started, excluded.started),
               blocked = CASE WHEN excluded.started THEN 0 ELSE people.blocked END,
               updated_at = excluded.updated_at""",
        (user_id, first_name, last_name, username, language_code, int(started), ts(now)),
    )


async def update_locale(conn: aiosqlite.Connection, user_id: int, locale: str) -> None:
    """Store the language a person chose for the private chat."""
    cache.invalidate(conn)  # the roster changes
    await execute(conn, "UPDATE people SET locale = ? WHERE user_id = ?", (locale, user_id))


async def update_blocked(conn: aiosqlite.Connection, user_id: int, blocked: bool) -> None:
    """Remember that a person blocked the bot (403), so private messages are skipped."""
    cache.invalidate(conn)  # the roster changes
    await execute(conn, "UPDATE people SET blocked = ? WHERE user_id = ?", (int(blocked), user_id))
