"""Backups: an online copy of the live database, rotation, integrity checks, restore."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from bot.backup import (
    KEEP,
    BackupError,
    backup_file,
    integrity_problem,
    list_backups,
    restore,
)
from bot.scheduler import backup_due, job_backup
from db.connection import Database
from tests.harness import Harness

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 11, 20, 20, 0, tzinfo=UTC)


async def _live_database(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "data" / "bot.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO clusters (chat_id, name, created_by, created_at) VALUES (?, ?, ?, ?)",
            (-1001500000001, "Cụm thi đua số 1", 1001, NOW.isoformat()),
        )
    return db, path


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [str(r[0]) for r in conn.execute("SELECT name FROM clusters ORDER BY id")]


async def test_backup_of_the_live_database_is_complete_and_private(tmp_path: Path) -> None:
    db, path = await _live_database(tmp_path)
    try:
        # Committed rows still in the write-ahead log are in the copy too.
        copy = backup_file(path, tmp_path / "backups", NOW)
    finally:
        await db.close()
    assert copy.name == "bot-20221120-200000.sqlite3"
    assert _names(copy) == ["Cụm thi đua số 1"]
    assert integrity_problem(copy) is None
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    assert not list((tmp_path / "backups").glob("*.part"))


async def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    db, path = await _live_database(tmp_path)
    try:
        for day in range(KEEP + 3):
            backup_file(path, tmp_path / "backups", NOW + timedelta(days=day))
    finally:
        await db.close()
    kept = list_backups(tmp_path / "backups")
    assert len(kept) == KEEP
    assert kept[0].name == "bot-20221123-200000.sqlite3"  # the three oldest went
    assert kept[-1].name == "bot-20221206-200000.sqlite3"


def test_integrity_problems_are_named(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    assert "not a readable database" in str(integrity_problem(garbage))
    assert "does not exist" in str(integrity_problem(tmp_path / "missing.sqlite3"))


def _corrupt(path: Path) -> None:
    """Overwrite the middle pages of a database file, as a failing disk would."""
    data = bytearray(path.read_bytes())
    for i in range(4096, len(data) - 100):
        data[i] = 0x5A
    path.write_bytes(bytes(data))


async def test_restore_puts_a_backup_back_and_keeps_the_old_database(tmp_path: Path) -> None:
    db, path = await _live_database(tmp_path)
    copy = backup_file(path, tmp_path / "backups", NOW)
    async with db.transaction() as conn:
        await conn.execute("UPDATE clusters SET name = 'Sau bản sao'")
    await db.close()
    _corrupt(path)
    assert integrity_problem(path) is not None
    aside = restore(copy, path, NOW + timedelta(hours=1))
    assert _names(path) == ["Cụm thi đua số 1"]
    assert integrity_problem(path) is None
    assert aside.name == "bot.sqlite3.before-restore-20221120-210000"
    assert aside.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The restored database opens and migrates as usual.
    reopened = await Database.open(path)
    await reopened.close()


async def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    db, path = await _live_database(tmp_path)
    copy = backup_file(path, tmp_path / "backups", NOW)
    await db.close()
    _corrupt(copy)
    before = path.read_bytes()
    with pytest.raises(BackupError, match="cannot be restored"):
        restore(copy, path, NOW)
    assert path.read_bytes() == before


def test_backup_due_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    now = datetime.now(UTC)
    assert backup_due(folder, now)
    folder.mkdir()
    recent = folder / "bot-20221120-200000.sqlite3"
    recent.write_bytes(b"")
    assert not backup_due(folder, now)
    old = now - timedelta(days=2)
    os.utime(recent, (old.timestamp(), old.timestamp()))
    assert backup_due(folder, now)


async def test_the_daily_job_backs_up_the_running_bot(harness: Harness) -> None:
    await job_backup(harness.job_context())
    backups = list_backups(harness.deps.settings.backups_dir)
    assert len(backups) == 1
    assert integrity_problem(backups[0]) is None


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update({"TELEGRAM_BOT_TOKEN": "123456:CLI-TEST", "DATA_DIR": str(tmp_path / "data")})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    db, path = await _live_database(tmp_path)
    await db.close()
    made = _cli(tmp_path, "backup")
    assert made.returncode == 0, made.stderr
    (copy,) = list_backups(tmp_path / "data" / "backups")
    assert str(copy) in made.stdout
    _corrupt(path)
    # A damaged database: the bot refuses to start and says how to restore.
    refused = _cli(tmp_path, "run")
    assert refused.returncode == 2
    assert "the database is damaged" in refused.stderr
    assert "python -m bot restore" in refused.stderr
    restored = _cli(tmp_path, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert _names(path) == ["Cụm thi đua số 1"]
    assert _cli(tmp_path, "restore").returncode == 2
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"nothing")
    assert _cli(tmp_path, "restore", str(broken)).returncode == 1
    assert _names(path) == ["Cụm thi đua số 1"]
