"""Two interleaved units of work on the shared connection commit and roll back independently."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from bot.domain import AlreadyHandled
from bot.services.common import unit_of_work
from db import clusters
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)


async def _names(db: Database) -> list[str]:
    async with db.read() as conn, conn.execute("SELECT name FROM clusters ORDER BY id") as cur:
        return [row[0] for row in await cur.fetchall()]


async def test_interleaved_handlers_commit_and_roll_back_independently(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    a_wrote = asyncio.Event()
    b_done = asyncio.Event()

    async def handler_a() -> None:
        # Writes, then yields to the loop mid-transaction, then fails: must roll back.
        async with db.transaction() as conn:
            await clusters.insert_cluster(
                conn,
                chat_id=-1,
                name="A",
                year=2022,
                locale="vi",
                tz="UTC",
                created_by=1,
                now=NOW,
            )
            a_wrote.set()
            await asyncio.sleep(0.05)
            raise RuntimeError("crash in A")

    async def handler_b() -> None:
        await a_wrote.wait()
        async with db.transaction() as conn:
            await clusters.insert_cluster(
                conn,
                chat_id=-2,
                name="B",
                year=2022,
                locale="vi",
                tz="UTC",
                created_by=2,
                now=NOW,
            )
        b_done.set()

    async def reader() -> list[str]:
        await a_wrote.wait()
        # A read while A's transaction is open must not see A's uncommitted row.
        return await _names(db)

    results = await asyncio.gather(handler_a(), handler_b(), reader(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert "A" not in results[2]  # type: ignore[operator]
    assert b_done.is_set()
    assert await _names(db) == ["B"]
    await db.close()


async def test_unit_of_work_refuses_a_replayed_update(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    async with unit_of_work(db, 42, NOW) as conn:
        await clusters.insert_cluster(
            conn, chat_id=-1, name="A", year=2022, locale="vi", tz="UTC", created_by=1, now=NOW
        )
    with pytest.raises(AlreadyHandled):
        async with unit_of_work(db, 42, NOW) as conn:
            await clusters.insert_cluster(
                conn,
                chat_id=-2,
                name="A again",
                year=2022,
                locale="vi",
                tz="UTC",
                created_by=1,
                now=NOW,
            )
    assert await _names(db) == ["A"]
    await db.close()


async def test_crash_mid_unit_of_work_leaves_update_unhandled(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, 7, NOW) as conn:
            await clusters.insert_cluster(
                conn,
                chat_id=-1,
                name="A",
                year=2022,
                locale="vi",
                tz="UTC",
                created_by=1,
                now=NOW,
            )
            raise RuntimeError("power cut")
    # The redelivered update is processed again, because nothing of it was committed.
    async with unit_of_work(db, 7, NOW) as conn:
        await clusters.insert_cluster(
            conn, chat_id=-1, name="A", year=2022, locale="vi", tz="UTC", created_by=1, now=NOW
        )
    assert await _names(db) == ["A"]
    await db.close()


async def test_old_handled_updates_are_forgotten(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot.services.common import already_handled, forget_old_updates

    db = await Database.open(tmp_path / "bot.sqlite3")
    async with unit_of_work(db, 1, NOW - timedelta(days=3)):
        pass
    async with unit_of_work(db, 2, NOW - timedelta(hours=1)):
        pass
    assert await forget_old_updates(db, NOW) == 1
    assert not await already_handled(db, 1)
    assert await already_handled(db, 2)
    await db.close()
