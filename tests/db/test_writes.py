"""Database.writes(): a write-only unit of work sent in one trip, all or nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from db import audit, boards, clusters
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)


async def _cluster(db: Database) -> int:
    async with db.transaction() as conn:
        return await clusters.insert_cluster(
            conn,
            chat_id=-1001500000001,
            name="Cụm thi đua số 1",
            year=2022,
            locale="vi",
            tz="Asia/Ho_Chi_Minh",
            created_by=1001,
            now=NOW,
        )


async def test_writes_land_together_or_not_at_all(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        cid = await _cluster(db)
        async with db.writes() as conn:
            await boards.upsert_board(conn, cid, message_id=77, body_hash="a", now=NOW)
            await audit.insert_audit(
                conn, cluster_id=cid, user_id=1, action="board", detail="x", now=NOW
            )
        async with db.read() as conn:
            board = await boards.get_board(conn, cid)
        assert board is not None and board.message_id == 77

        # The second statement fails (no such cluster): the first does not stay either.
        with pytest.raises(sqlite3.IntegrityError):
            async with db.writes() as conn:
                await boards.upsert_board(conn, cid, message_id=78, body_hash="b", now=NOW)
                await boards.upsert_board(conn, 999, message_id=1, body_hash="c", now=NOW)
        async with db.read() as conn:
            board = await boards.get_board(conn, cid)
        assert board is not None and board.message_id == 77

        # An insert needs its row id back: refused, nothing written.
        with pytest.raises(RuntimeError):
            async with db.writes() as conn:
                await clusters.insert_cluster(
                    conn,
                    chat_id=-2,
                    name="B",
                    year=2022,
                    locale="vi",
                    tz="Asia/Ho_Chi_Minh",
                    created_by=1,
                    now=NOW,
                )
        async with db.read() as conn:
            assert await clusters.get_cluster_by_chat(conn, -2) is None
        # And the connection is usable as usual afterwards.
        async with db.transaction() as conn:
            await boards.upsert_board(conn, cid, message_id=79, body_hash="d", now=NOW)
    finally:
        await db.close()
