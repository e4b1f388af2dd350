"""The roster cache (db/cache.py) never shows what the database does not hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from db import clusters, liaisons, people, units
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)
CHAT = -1001500000001


async def _seed(db: Database) -> tuple[int, int]:
    async with db.transaction() as conn:
        cid = await clusters.insert_cluster(
            conn,
            chat_id=CHAT,
            name="Cụm thi đua số 1",
            year=2022,
            locale="vi",
            tz="Asia/Ho_Chi_Minh",
            created_by=1001,
            now=NOW,
        )
        uid = await units.insert_unit(conn, cid, "VSP", "Liên doanh Việt – Nga Vietsovpetro", NOW)
        await people.upsert_person(
            conn,
            user_id=1002,
            first_name="Lê Thị Thu Hà",
            last_name=None,
            username=None,
            language_code="vi",
            started=False,
            now=NOW,
        )
    return cid, uid


async def test_writes_are_seen_at_once_and_rolled_back_reads_are_forgotten(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        cid, uid = await _seed(db)
        async with db.read() as conn:
            assert await liaisons.get_liaison(conn, cid, 1002) is None  # cached: nobody
            assert (await units.get_unit(conn, cid, uid)).voter_user_id is None  # type: ignore[union-attr]

        # A liaison written and read inside a transaction that then fails.
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await liaisons.insert_liaison(
                    conn,
                    cluster_id=cid,
                    user_id=1002,
                    unit_id=uid,
                    via="open",
                    approved_by=None,
                    now=NOW,
                )
                assert await liaisons.get_liaison(conn, cid, 1002) is not None
                raise RuntimeError
        async with db.read() as conn:
            assert await liaisons.get_liaison(conn, cid, 1002) is None
            assert await liaisons.list_liaisons(conn, cid) == []

        # Committed writes are read back at once, through every cached reader.
        async with db.transaction() as conn:
            await liaisons.insert_liaison(
                conn,
                cluster_id=cid,
                user_id=1002,
                unit_id=uid,
                via="open",
                approved_by=None,
                now=NOW,
            )
            await units.update_voter(conn, uid, 1002)
            await people.update_blocked(conn, 1002, True)
            await clusters.update_chat_id(conn, CHAT, -1009876543210)
        async with db.read() as conn:
            liaison = await liaisons.get_liaison(conn, cid, 1002)
            assert liaison is not None and liaison.person.blocked
            assert (await units.get_unit(conn, cid, uid)).voter_user_id == 1002  # type: ignore[union-attr]
            assert (await people.get_person(conn, 1002)).blocked  # type: ignore[union-attr]
            assert await clusters.get_cluster_by_chat(conn, CHAT) is None
            moved = await clusters.get_cluster_by_chat(conn, -1009876543210)
            assert moved is not None and moved.id == cid
            # What a caller does to a returned list does not reach the next caller.
            listed = await units.list_units(conn, cid)
            listed.clear()
            assert len(await units.list_units(conn, cid)) == 1
    finally:
        await db.close()


async def test_each_database_has_its_own_cache(tmp_path: Path) -> None:
    first = await Database.open(tmp_path / "a.sqlite3")
    second = await Database.open(tmp_path / "b.sqlite3")
    try:
        cid, _ = await _seed(first)
        async with first.read() as conn:
            assert await clusters.get_cluster(conn, cid) is not None
        async with second.read() as conn:
            assert await clusters.get_cluster(conn, cid) is None
    finally:
        await first.close()
        await second.close()
