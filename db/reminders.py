"""The log of reminder slots handled: nothing is sent twice, nothing is lost on restart."""

from __future__ import annotations

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
