"""/export (/xuat): the spreadsheet, a ZIP per report request and the minutes, sent privately.

The command checks the role and answers in the group at once; the work runs as a
background task (files are built in threads), so the bot keeps answering everyone else.
A private progress message is edited as each part is sent (batched like any live message).
"""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram import InputFile
from telegram.constants import FileSizeLimit
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.domain import PrivateChatNeeded
from bot.i18n import format_date, translator
from bot.services import clusters as cluster_service
from bot.services import membership
from handlers.common import (
    BotApp,
    BotContext,
    guarded,
    mention,
    private_locale,
    reply,
    require_group,
    require_user,
    sender_is_admin,
)

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import Update

    from bot.domain import Cluster

log = logging.getLogger(__name__)

# Clusters with an export under way, and the tasks doing it (awaited at shutdown and in tests).
_running: set[int] = set()
_tasks: set[asyncio.Task[None]] = set()
UPLOAD_LIMIT = FileSizeLimit.FILESIZE_UPLOAD


@dataclass
class Progress:
    """What the private progress message shows."""

    title: str
    lines: list[str] = field(default_factory=list)
    finished: str = ""

    def text(self) -> str:
        """The message: a heading, one line per finished part, then the outcome."""
        body = "\n".join([self.title, *self.lines])
        return body + ("\n\n" + self.finished if self.finished else "")


@guarded
async def cmd_export(update: Update, context: BotContext) -> None:
    """Secretariat: prepare the export and send it in the private chat."""
    chat = require_group(update)
    user = require_user(update)
    deps = context.deps
    is_admin = await sender_is_admin(update, context)
    cluster = await cluster_service.check_secretariat(deps.db, chat.id, user.id, is_admin)
    person = await membership.get_person(deps.db, user.id)
    if person is None or not person.reachable:
        raise PrivateChatNeeded(bot_username=context.bot.username, purpose="files")
    _ = translator(cluster.locale).gettext
    if cluster.id in _running:
        await reply(
            update,
            _("An export of this cluster is already being prepared; it will arrive shortly."),
        )
        return
    # Imported here: openpyxl and python-docx are needed only for an export (idle memory).
    from bot.services import exports as export_service

    await export_service.start_export(
        deps.db,
        chat_id=chat.id,
        user_id=user.id,
        is_group_admin=is_admin,
        update_id=update.update_id,
        now=deps.clock.now(),
    )
    _running.add(cluster.id)
    await reply(
        update,
        _("I am preparing the export; {name} will receive the files in a private chat.").format(
            name=mention(user.id, user.full_name)
        ),
    )
    locale = private_locale(person, cluster.locale)
    task = asyncio.create_task(_run(context, cluster, user.id, translator(locale)))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def wait_for_exports() -> None:
    """Let every running export finish (shutdown, tests)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)


async def _run(context: BotContext, cluster: Cluster, user_id: int, t: NullTranslations) -> None:
    _ = t.gettext
    deps = context.deps
    bot = context.bot
    progress = Progress(
        _("⏳ Exporting the records of “{name}”…").format(name=html.escape(cluster.name))
    )
    message = None

    async def show() -> None:
        if message is not None:
            try:
                await bot.edit_message_text(
                    progress.text(), chat_id=user_id, message_id=message.message_id
                )
            except TelegramError as exc:
                log.info("export progress not edited: %s", exc)

    def step(line: str) -> None:
        progress.lines.append(line)
        deps.live.touch(("export", user_id), show)

    from bot.services import exports as export_service

    try:
        message = await bot.send_message(user_id, progress.text())
        data = await export_service.gather_export(deps.db, cluster.id)
        slug = export_service.slugify(cluster.name) or "cum"
        day = format_date(deps.clock.now(), ZoneInfo(cluster.tz)).replace("/", "-")
        workbook = await asyncio.to_thread(export_service.build_workbook, data)
        await bot.send_document(
            user_id,
            InputFile(workbook, filename=f"{slug}_{day}.xlsx"),
            caption=_("Spreadsheet of “{name}”").format(name=html.escape(cluster.name)),
        )
        step(_("✅ Spreadsheet"))
        separate = 0
        zips = 0
        for report in data.reports:
            if not report.versions:
                step(_("▫️ {title}: no file yet").format(title=html.escape(report.request.title)))
                continue
            bundle = await asyncio.to_thread(
                export_service.build_request_zip,
                data,
                report.request.id,
                deps.settings.files_dir,
            )
            by_file_id = list(bundle.by_file_id)
            if len(bundle.data) <= UPLOAD_LIMIT:
                await bot.send_document(
                    user_id,
                    InputFile(bundle.data, filename=bundle.filename),
                    caption=html.escape(report.request.title),
                )
                zips += 1
            else:
                # Too big to upload as one file: send the latest files one by one instead.
                by_file_id = [
                    (s.file_id, s.file_name) for s in report.latest.values()
                ] + by_file_id
            for file_id, name in by_file_id:
                await bot.send_document(user_id, file_id, caption=html.escape(name))
                separate += 1
            step(_("✅ {title}").format(title=html.escape(report.request.title)))
        minutes = await asyncio.to_thread(export_service.build_all_minutes, data)
        for item in minutes:
            await bot.send_document(
                user_id,
                InputFile(item.data, filename=item.filename),
                caption=html.escape(item.title),
            )
            step(_("✅ Minutes: {title}").format(title=html.escape(item.title)))
        progress.title = _("📦 Export of “{name}”").format(name=html.escape(cluster.name))
        progress.finished = _(
            "Done: 1 spreadsheet, {zips} ZIP file(s), {minutes} minutes, "
            "{separate} file(s) sent separately."
        ).format(zips=zips, minutes=len(minutes), separate=separate)
    except Exception:
        log.exception("export of cluster %s failed", cluster.id)
        progress.finished = _(
            "⚠️ The export stopped because of an error. Please type /export in the group again."
        )
    finally:
        _running.discard(cluster.id)
        deps.live.touch(("export", user_id), show)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(
        CommandHandler(["export", "xuat"], cmd_export, filters=filters.UpdateType.MESSAGE)
    )
