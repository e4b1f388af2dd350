"""Migrations: an empty database reaches the newest version; a second run does nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiosqlite
import pytest

from db.connection import Database
from db.migrate import available_migrations, current_version, migrate

if TYPE_CHECKING:
    from pathlib import Path


async def test_empty_database_reaches_newest_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    newest = available_migrations()[-1][0]
    async with db.read() as conn:
        assert await current_version(conn) == newest
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    await db.close()


async def test_second_run_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await Database.open(path)).close()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        before = await (await conn.execute("SELECT COUNT(*) FROM schema_version")).fetchone()
        version = await migrate(conn)
        after = await (await conn.execute("SELECT COUNT(*) FROM schema_version")).fetchone()
    assert before == after
    assert version == available_migrations()[-1][0]


async def test_failing_migration_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = available_migrations()
    broken = [*good, (len(good) + 1, "CREATE TABLE half_done (x INTEGER);\nSELECT nonsense(;")]
    monkeypatch.setattr("db.migrate.available_migrations", lambda: broken)
    async with aiosqlite.connect(tmp_path / "x.sqlite3", isolation_level=None) as conn:
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(conn)
        assert await current_version(conn) == len(good)
        tables = await (
            await conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'")
        ).fetchall()
        assert list(tables) == []
