"""Online backups of the database (SQLite's backup API), their rotation, and restoring one.

A backup is a consistent copy taken while the bot runs: `sqlite3.Connection.backup` copies
page by page under a read lock, so it never sees a half-done transaction. Files are named
`bot-YYYYMMDD-HHMMSS.sqlite3` (UTC) in `DATA_DIR/backups`; the newest `KEEP` are kept.
Restoring checks the file's integrity first and keeps the replaced database aside.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

KEEP = 14
PREFIX = "bot-"
SUFFIX = ".sqlite3"
# Database and backups are readable by the bot's user only.
FILE_MODE = 0o600
DIR_MODE = 0o700


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, for a person."""


def integrity_problem(path: Path, *, quick: bool = False) -> str | None:
    """None when the file is a sound SQLite database; otherwise what is wrong with it.

    `quick` runs `quick_check` (no index contents; fast enough for every start).
    """
    if not path.exists():
        return f"{path} does not exist"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            pragma = "PRAGMA quick_check" if quick else "PRAGMA integrity_check"
            rows = conn.execute(pragma).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a readable database ({exc})"
    found = [str(row[0]) for row in rows]
    return None if found == ["ok"] else f"{path}: " + "; ".join(found[:5])


def backup_name(now: datetime) -> str:
    """The file name of a backup taken at `now`."""
    return f"{PREFIX}{now.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"


def list_backups(folder: Path) -> list[Path]:
    """Backups in the folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.suffix == SUFFIX)


def copy_database(source: sqlite3.Connection, folder: Path, now: datetime) -> Path:
    """Copy an open database into the folder with the backup API; rotate; return the file.

    Runs in a thread (blocking sqlite3 calls); `source` must not be used meanwhile by
    another thread — the caller holds the database lock.
    """
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(DIR_MODE)
    target = folder / backup_name(now)
    partial = target.with_suffix(".part")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest)
    finally:
        dest.close()
    partial.chmod(FILE_MODE)
    problem = integrity_problem(partial)
    if problem is not None:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup copy failed its integrity check: {problem}")
    partial.replace(target)
    for old in list_backups(folder)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def backup_file(db_path: Path, folder: Path, now: datetime) -> Path:
    """Back up the database at `db_path` (the command line: the bot may be running)."""
    if not db_path.exists():
        raise BackupError(f"there is no database at {db_path}")
    source = sqlite3.connect(db_path, timeout=30)
    try:
        return copy_database(source, folder, now)
    finally:
        source.close()


def restore(backup: Path, db_path: Path, now: datetime) -> Path:
    """Put a backup in place of the database (the bot must be stopped).

    The backup is checked first; the replaced database (with its write-ahead log) is kept
    next to it as `<name>.before-restore-<time>`. Returns where the old one went.
    """
    problem = integrity_problem(backup)
    if problem is not None:
        raise BackupError(f"this backup cannot be restored: {problem}")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{now.strftime('%Y%m%d-%H%M%S')}")
    if db_path.exists():
        # Fold the log into the old database so the copy kept aside is complete; a damaged
        # database may refuse, and then its log is kept aside next to it.
        try:
            old = sqlite3.connect(db_path)
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
        except sqlite3.DatabaseError:
            pass
        for extra in ("", "-wal"):
            source = Path(f"{db_path}{extra}")
            if source.exists():
                kept = Path(f"{aside}{extra}")
                shutil.copy2(source, kept)
                kept.chmod(FILE_MODE)
    for extra in ("-wal", "-shm"):
        Path(f"{db_path}{extra}").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_name(db_path.name + ".restoring")
    shutil.copyfile(backup, partial)
    partial.chmod(FILE_MODE)
    partial.replace(db_path)
    return aside
