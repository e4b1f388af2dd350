"""Polls, their frozen voter roll, open ballots and unlinkable secret ballots."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from db.util import (
    Query,
    checkpoint_after_commit,
    execute,
    execute_at_commit,
    fetch_all,
    fetch_one,
    in_thread,
    insert,
    row_here,
    rowcount_here,
    rows_here,
    ts,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from datetime import datetime

    import aiosqlite

_SELECT = """SELECT id, cluster_id, title, closes_at, status, candidates, candidate_units, ranked,
                    max_choices, threshold, quorum, self_vote, secret, close_when_all,
                    message_id, created_by, created_at, closed_at, result_posted FROM polls"""


async def get_poll_row(
    conn: aiosqlite.Connection, poll_id: int, cluster_id: int | None = None
) -> aiosqlite.Row | None:
    """Return a poll's row (of this cluster, when given)."""
    if cluster_id is None:
        return await fetch_one(conn, _SELECT + " WHERE id = ?", (poll_id,))
    return await fetch_one(
        conn, _SELECT + " WHERE id = ? AND cluster_id = ?", (poll_id, cluster_id)
    )


async def list_open_poll_rows(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    """Every open poll (the closing schedule walks them)."""
    return await fetch_all(conn, _SELECT + " WHERE status = 'open' ORDER BY closes_at, id")


async def list_open_rows_without_message(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    """Open polls whose group message is missing (a crash, or the group moved)."""
    return await fetch_all(
        conn, _SELECT + " WHERE status = 'open' AND message_id IS NULL ORDER BY id"
    )


async def list_cluster_poll_rows(
    conn: aiosqlite.Connection, cluster_id: int, statuses: tuple[str, ...] = ("open",)
) -> list[aiosqlite.Row]:
    """A cluster's polls in these statuses, closing soonest first."""
    marks = ",".join("?" for _ in statuses)
    return await fetch_all(
        conn,
        _SELECT + " WHERE cluster_id = ? AND status IN (" + marks + ") ORDER BY closes_at, id",
        (cluster_id, *statuses),
    )


async def insert_poll(conn: aiosqlite.Connection, **values: Any) -> int:
    """Store a new open poll; return its id."""
    values = dict(values)
    values["candidates"] = json.dumps(values["candidates"], ensure_ascii=False)
    values["candidate_units"] = json.dumps(values["candidate_units"])
    values["closes_at"] = ts(values["closes_at"])
    values["created_at"] = ts(values["created_at"])
    return await insert(
        conn,
        """INSERT INTO polls (cluster_id, title, closes_at, candidates, candidate_units, ranked,
               max_choices, threshold, quorum, self_vote, secret, close_when_all, created_by,
               created_at)
           VALUES (:cluster_id, :title, :closes_at, :candidates, :candidate_units, :ranked,
               :max_choices, :threshold, :quorum, :self_vote, :secret, :close_when_all,
               :created_by, :created_at)""",
        values,
    )


async def insert_roll(
    conn: aiosqlite.Connection, poll_id: int, roll: list[tuple[int, int | None]]
) -> None:
    """Freeze the voter roll: (unit id, voter user id) per unit."""
    await conn.executemany(
        "INSERT INTO poll_roll (poll_id, unit_id, voter_user_id) VALUES (?, ?, ?)",
        [(poll_id, unit_id, voter) for unit_id, voter in roll],
    )


_ROLL = """SELECT unit_id, voter_user_id, has_voted FROM poll_roll
           WHERE poll_id = ? ORDER BY unit_id"""
_OPEN_BALLOTS = "SELECT unit_id, marks FROM open_ballots WHERE poll_id = ? ORDER BY unit_id"

Roll = list[tuple[int, int | None, bool]]


async def list_roll(conn: aiosqlite.Connection, poll_id: int) -> Roll:
    """(unit id, voter user id, has voted) for each unit on the roll."""
    return roll_from_rows(await fetch_all(conn, *roll_query(poll_id)))


def roll_query(poll_id: int) -> Query:
    """`list_roll` as a query, for `db.util.fetch_batch` (rows: `roll_from_rows`)."""
    return _ROLL, (poll_id,)


def roll_from_rows(rows: Iterable[aiosqlite.Row]) -> Roll:
    """The roll from `roll_query` rows."""
    return [(r[0], r[1], bool(r[2])) for r in rows]


async def read_for_ballot(
    conn: aiosqlite.Connection, poll_id: int
) -> tuple[aiosqlite.Row | None, Roll, dict[int, tuple[int, ...]]]:
    """A poll's row, its roll and (an open poll's) ballots by unit, in one trip."""
    return await in_thread(conn, _read_for_ballot, poll_id)


def _read_for_ballot(
    raw: sqlite3.Connection, poll_id: int
) -> tuple[aiosqlite.Row | None, Roll, dict[int, tuple[int, ...]]]:
    row = row_here(raw, _SELECT + " WHERE id = ?", (poll_id,))
    if row is None:
        return None, [], {}
    roll = roll_from_rows(rows_here(raw, *roll_query(poll_id)))
    if row["secret"]:
        return row, roll, {}  # a secret poll's ballots are in the box, unlinked
    ballots = rows_here(raw, _OPEN_BALLOTS, (poll_id,))
    return row, roll, {r[0]: tuple(json.loads(r[1])) for r in ballots}


_MARK_VOTED = (
    "UPDATE poll_roll SET has_voted = 1 WHERE poll_id = ? AND unit_id = ? AND has_voted = 0"
)


async def upsert_open_ballot(
    conn: aiosqlite.Connection, poll_id: int, unit_id: int, marks: tuple[int, ...]
) -> None:
    """Record or replace a unit's open ballot, and mark the unit as having voted.

    Nothing in the transaction reads them back: both go with its COMMIT (one trip).
    """
    for sql, params in (
        (
            """INSERT INTO open_ballots (poll_id, unit_id, marks) VALUES (?, ?, ?)
               ON CONFLICT (poll_id, unit_id) DO UPDATE SET marks = excluded.marks""",
            (poll_id, unit_id, json.dumps(list(marks))),
        ),
        (_MARK_VOTED, (poll_id, unit_id)),
    ):
        await execute_at_commit(conn, sql, params)


async def cast_secret_ballot(
    conn: aiosqlite.Connection, poll_id: int, unit_id: int, marks: tuple[int, ...]
) -> bool:
    """Mark the unit as having voted and drop its ballot into the box, in one trip; False
    (nothing written) when it had voted already.

    The box is rewritten whole, sorted by content: one row per ballot would keep the cast
    order in the page layout; a sorted box keeps only what was chosen, never by whom or in
    which order. The transaction empties the write-ahead log with its COMMIT, which would
    otherwise keep the order of commits.
    """
    if not await in_thread(conn, _cast_secret, poll_id, unit_id, list(marks)):
        return False
    checkpoint_after_commit(conn)
    return True


def _cast_secret(raw: sqlite3.Connection, poll_id: int, unit_id: int, marks: list[int]) -> bool:
    if rowcount_here(raw, _MARK_VOTED, (poll_id, unit_id)) != 1:
        return False
    _drop_ballot(raw, poll_id, marks)
    return True


def _drop_ballot(raw: sqlite3.Connection, poll_id: int, marks: list[int]) -> None:
    """Read, add, sort and write the box in one trip to the database thread."""
    row = row_here(raw, "SELECT ballots FROM ballot_boxes WHERE poll_id = ?", (poll_id,))
    ballots: list[list[int]] = json.loads(row[0]) if row else []
    ballots.append(marks)
    ballots.sort()
    raw.execute(
        """INSERT INTO ballot_boxes (poll_id, ballots) VALUES (?, ?)
           ON CONFLICT (poll_id) DO UPDATE SET ballots = excluded.ballots""",
        (poll_id, json.dumps(ballots)),
    ).close()


async def list_ballot_marks(
    conn: aiosqlite.Connection, poll_id: int, secret: bool
) -> list[tuple[int, ...]]:
    """Every ballot's marks (secret ones in the box's sorted order)."""
    if secret:
        row = await fetch_one(
            conn, "SELECT ballots FROM ballot_boxes WHERE poll_id = ?", (poll_id,)
        )
        return [tuple(b) for b in json.loads(row[0])] if row else []
    rows = await fetch_all(
        conn, "SELECT marks FROM open_ballots WHERE poll_id = ? ORDER BY unit_id", (poll_id,)
    )
    return [tuple(json.loads(r[0])) for r in rows]


async def close_poll(conn: aiosqlite.Connection, poll_id: int, now: datetime) -> bool:
    """Close an open poll; False if it already was."""
    changed = await execute(
        conn,
        "UPDATE polls SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
        (ts(now), poll_id),
    )
    return changed == 1


async def update_poll_message(conn: aiosqlite.Connection, poll_id: int, message_id: int) -> None:
    """Remember the group message that shows the poll."""
    await execute(conn, "UPDATE polls SET message_id = ? WHERE id = ?", (message_id, poll_id))


async def mark_result_posted(conn: aiosqlite.Connection, poll_id: int) -> None:
    """The result reached the group."""
    await execute(conn, "UPDATE polls SET result_posted = 1 WHERE id = ?", (poll_id,))


async def list_unposted_results(conn: aiosqlite.Connection) -> list[int]:
    """Closed polls whose result has not reached the group yet (a failed send)."""
    rows = await fetch_all(
        conn, "SELECT id FROM polls WHERE status = 'closed' AND result_posted = 0 ORDER BY id"
    )
    return [r[0] for r in rows]
