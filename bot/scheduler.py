"""Job callbacks run by PTB's JobQueue: thin, they load, call a service and send."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.backup import BackupError, backup_file, list_backups
from bot.services.common import forget_old_updates
from bot.services.submissions import remove_orphan_files

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from telegram.ext import CallbackContext

    from bot.deps import Deps

log = logging.getLogger(__name__)


async def job_forget_old_updates(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Keep the table of handled update ids small."""
    deps: Deps = context.application.bot_data["deps"]
    removed = await forget_old_updates(deps.db, deps.clock.now())
    log.debug("forgot %d old update ids", removed)


async def job_remove_orphan_files(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Once after start: files a crash left without their database row are removed."""
    deps: Deps = context.application.bot_data["deps"]
    removed = await remove_orphan_files(deps.db, deps.settings.files_dir)
    if removed:
        log.warning("removed %d stored files that no submission refers to", removed)


# A backup is taken every day, and at start when the newest one is older than this.
BACKUP_EVERY = timedelta(days=1)


async def job_backup(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Copy the database into DATA_DIR/backups (online, consistent) and keep the last 14."""
    deps: Deps = context.application.bot_data["deps"]
    now = deps.clock.now()
    try:
        path = await asyncio.to_thread(
            backup_file, deps.settings.db_path, deps.settings.backups_dir, now
        )
    except (BackupError, OSError) as exc:
        log.error("backup failed: %s", exc)
        return
    log.info("database backed up to %s", path.name)


def backup_due(folder: Path, now: datetime) -> bool:
    """Whether the newest backup is missing or older than a day (checked at start)."""
    backups = list_backups(folder)
    if not backups:
        return True
    age = now.timestamp() - backups[-1].stat().st_mtime
    return age >= BACKUP_EVERY.total_seconds()
