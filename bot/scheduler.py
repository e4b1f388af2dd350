"""Job callbacks run by PTB's JobQueue: thin, they load, call a service and send."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.services.common import forget_old_updates
from bot.services.submissions import remove_orphan_files

if TYPE_CHECKING:
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
