"""The log of reminder slots handled: nothing is sent twice, nothing is lost on restart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.util import execute, fetch_all, from_ts, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


async def handled_slots(conn: aiosqlite.Connection, item_kind: str, item_id: int) -> set[str]:
    """Return the slots of an item already sent or skipped."""
    rows = await fetch_all(
        conn,
        "SELECT slot FROM reminders_sent WHERE item_kind = ? AND item_id = ?",
        (item_kind, item_id),
    )
    return {r[0] for r in rows}


async def insert_slot(
    conn: aiosqlite.Connection,
    *,
    item_kind: str,
    item_id: int,
    slot: str,
    due_at: datetime,
    now: datetime,
    skipped: bool = False,
    private_due: datetime | None = None,
    kind: str | None = None,
    catch_up: bool = False,
) -> bool:
    """Record a slot as handled; False if it already was (another tick got there first)."""
    changed = await execute(
        conn,
        """INSERT OR IGNORE INTO reminders_sent
               (item_kind, item_id, slot, due_at, sent_at, skipped, private_due, kind, catch_up)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            item_kind,
            item_id,
            slot,
            ts(due_at),
            ts(now),
            int(skipped),
            ts(private_due) if private_due else None,
            kind,
            int(catch_up),
        ),
    )
    return changed == 1


async def pending_private(
    conn: aiosqlite.Connection,
) -> list[tuple[str, int, str, datetime, str, bool]]:
    """Slots whose private copies wait for the end of quiet hours, with what they are."""
    rows = await fetch_all(
        conn,
        """SELECT item_kind, item_id, slot, private_due, kind, catch_up FROM reminders_sent
           WHERE private_due IS NOT NULL ORDER BY private_due""",
    )
    return [(r[0], r[1], r[2], from_ts(r[3]), r[4] or "before", bool(r[5])) for r in rows]


async def clear_private(
    conn: aiosqlite.Connection, item_kind: str, item_id: int, slot: str
) -> None:
    """The private copies went out (or are no longer owed)."""
    await execute(
        conn,
        """UPDATE reminders_sent SET private_due = NULL
           WHERE item_kind = ? AND item_id = ? AND slot = ?""",
        (item_kind, item_id, slot),
    )


async def replan_item(
    conn: aiosqlite.Connection, item_kind: str, item_id: int, now: datetime
) -> None:
    """Plan an item's reminders anew from `now` (created, or its time moved).

    The `planned` slot's due time is the instant offsets are counted from: an offset
    that lands before it is skipped, as for a newly created item.
    """
    await execute(
        conn,
        "DELETE FROM reminders_sent WHERE item_kind = ? AND item_id = ?",
        (item_kind, item_id),
    )
    await insert_slot(
        conn,
        item_kind=item_kind,
        item_id=item_id,
        slot="planned",
        due_at=now,
        now=now,
        skipped=True,
    )


async def planned_at(conn: aiosqlite.Connection, item_kind: str, item_id: int) -> datetime | None:
    """When the item's reminders were last planned."""
    rows = await fetch_all(
        conn,
        """SELECT due_at FROM reminders_sent
           WHERE item_kind = ? AND item_id = ? AND slot = 'planned'""",
        (item_kind, item_id),
    )
    return from_ts(rows[0][0]) if rows else None


@dataclass(frozen=True)
class OpenItem:
    """What the planner needs of an open request or scheduled meeting, without its view."""

    kind: str  # request | meeting
    id: int
    cluster_id: int
    at: datetime  # deadline or start
    offsets: tuple[int, ...] | None  # None: the cluster's defaults
    created_at: datetime


def _offsets(text: str | None) -> tuple[int, ...] | None:
    return tuple(int(x) for x in text.split(";") if x) if text is not None else None


async def open_items(conn: aiosqlite.Connection) -> list[OpenItem]:
    """Every open request and scheduled meeting, by cluster, then by time (two queries)."""
    requests = await fetch_all(
        conn,
        """SELECT id, cluster_id, deadline_at, reminder_offsets, created_at FROM requests
           WHERE status = 'open' ORDER BY cluster_id, deadline_at, id""",
    )
    meetings = await fetch_all(
        conn,
        """SELECT id, cluster_id, starts_at, reminder_offsets, created_at FROM meetings
           WHERE status = 'scheduled' ORDER BY cluster_id, starts_at, id""",
    )
    return [
        OpenItem(kind, r[0], r[1], from_ts(r[2]), _offsets(r[3]), from_ts(r[4]))
        for kind, rows in (("request", requests), ("meeting", meetings))
        for r in rows
    ]


async def open_items_log(
    conn: aiosqlite.Connection, daily_since: str
) -> dict[tuple[str, int], tuple[set[str], datetime | None]]:
    """Handled slots and planning instant of every open item, in one grouped query.

    Daily slots before `daily_since` (an ISO date) are left out: the planner never looks
    that far back, and a request overdue for months would otherwise bring all its days.
    """
    rows = await fetch_all(
        conn,
        # Open items outside, each log read by its primary key prefix (never the history
        # of closed items); INDEXED BY keeps the planner from walking the whole log instead.
        """SELECT 'request', r.id, group_concat(rs.slot, ' '),
                  max(CASE WHEN rs.slot = 'planned' THEN rs.due_at END)
           FROM requests AS r INDEXED BY requests_open
           CROSS JOIN reminders_sent AS rs
           WHERE r.status = 'open' AND rs.item_kind = 'request' AND rs.item_id = r.id
             AND (substr(rs.slot, 1, 6) <> 'daily:' OR rs.slot >= ?)
           GROUP BY r.id
           UNION ALL
           SELECT 'meeting', m.id, group_concat(rs.slot, ' '),
                  max(CASE WHEN rs.slot = 'planned' THEN rs.due_at END)
           FROM meetings AS m INDEXED BY meetings_scheduled
           CROSS JOIN reminders_sent AS rs
           WHERE m.status = 'scheduled' AND rs.item_kind = 'meeting' AND rs.item_id = m.id
           GROUP BY m.id""",
        ("daily:" + daily_since,),
    )
    return {(r[0], r[1]): (set(r[2].split(" ")), from_ts(r[3]) if r[3] else None) for r in rows}


async def handled_among(
    conn: aiosqlite.Connection, item_kind: str, slots: list[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Which of these (item id, slot) pairs are handled, in one query (primary key lookups)."""
    if not slots:
        return set()
    rows = await fetch_all(
        conn,
        """SELECT rs.item_id, rs.slot FROM json_each(?) AS j
           CROSS JOIN reminders_sent AS rs
           WHERE rs.item_kind = ? AND rs.item_id = json_extract(j.value, '$[0]')
             AND rs.slot = json_extract(j.value, '$[1]')""",
        (json.dumps(slots), item_kind),
    )
    return {(r[0], r[1]) for r in rows}


async def item_log(
    conn: aiosqlite.Connection, item_kind: str, item_id: int
) -> tuple[set[str], datetime | None]:
    """An item's handled slots and when it was last planned, in one query."""
    rows = await fetch_all(
        conn,
        "SELECT slot, due_at FROM reminders_sent WHERE item_kind = ? AND item_id = ?",
        (item_kind, item_id),
    )
    planned = next((from_ts(r[1]) for r in rows if r[0] == "planned"), None)
    return {r[0] for r in rows}, planned
