"""The composition root: builds the Application, opens the database, registers handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.clock import Clock, FileClock, SystemClock
from bot.deps import Deps
from bot.i18n import N_, translator
from bot.scheduler import (
    backup_due,
    job_backup,
    job_forget_old_updates,
    job_remove_orphan_files,
)
from bot.services.submissions import remove_partial_downloads
from bot.transport import RetryingRequest
from db.connection import Database
from handlers import register_all
from handlers.common import (
    LIVE_REFRESH_PENDING,
    BotApp,
    BotContext,
    job_refresh_live,
    schedule_missing_posts,
)
from handlers.export import wait_for_exports
from handlers.reminders import follow_clock_file
from handlers.reminders import start as start_reminders

if TYPE_CHECKING:
    from pathlib import Path

    from telegram.ext import CallbackContext

    from bot.config import Settings

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
# Written after a graceful stop flushed every live edit; missing at start means a crash.
CLEAN_STOP_FILE = "clean_stop"
# How long a stopping bot lets a running /export finish.
EXPORT_GRACE = 30.0

# (command, description) for the menu; Vietnamese aliases work too but are not listed twice.
GROUP_COMMANDS = (
    ("help", N_("What the bot does and how to use it")),
    ("units", N_("Units, liaisons and voters")),
    ("status", N_("What each unit still owes")),
    ("join", N_("Become the liaison of your unit")),
    ("setup", N_("Register this group as a cluster")),
    ("addunit", N_("Add member units")),
    ("lead", N_("Set the lead unit")),
    ("request", N_("Open a report request")),
    ("confirm", N_("Ask the units to confirm")),
    ("meeting", N_("Schedule a meeting")),
    ("poll", N_("Open a nomination vote")),
    ("export", N_("Spreadsheet, files and minutes, sent privately")),
    ("invite", N_("Invitation link for a unit")),
    ("voter", N_("Who casts a unit's vote")),
    ("settings", N_("Cluster settings")),
    ("cancel", N_("Stop the current dialogue")),
)
PRIVATE_COMMANDS = (
    ("start", N_("Start the private chat with the bot")),
    ("help", N_("What the bot does and how to use it")),
    ("settings", N_("Language of this chat")),
    ("cancel", N_("Stop the current dialogue")),
)


class HeartbeatRequest(HTTPXRequest):
    """The getUpdates connection; touches a file after each successful poll.

    The Docker HEALTHCHECK reads the file's age: a stale file means the bot is not
    really polling, even if the process is alive.
    """

    def __init__(self, heartbeat: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._heartbeat = heartbeat

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Forward the request and record a heartbeat when it succeeds."""
        result = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if result[0] == 200:
            self._heartbeat.touch()
        return result


async def set_commands(app: BotApp) -> None:
    """Register the command menu in Vietnamese (default) and English, for groups and private."""
    for locale, language_code in (("vi", None), ("vi", "vi"), ("en", "en")):
        _ = translator(locale).gettext
        for scope, commands in (
            (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
            (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
        ):
            await app.bot.set_my_commands(
                [BotCommand(name, _(desc)) for name, desc in commands],
                scope=scope,
                language_code=language_code,
            )


def default_clock_for(settings: Settings) -> Clock:
    """The real clock, or the shifted one tests and the offline demo drive."""
    return FileClock(settings.clock_file) if settings.clock_file else SystemClock()


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> BotApp:
    """Build the bot; the database opens in post_init and closes in post_shutdown."""

    async def post_init(app: BotApp) -> None:
        db = await Database.open(settings.db_path)
        # Downloads a crash interrupted were never recorded: the units can resubmit.
        remove_partial_downloads(settings.files_dir)
        app.bot_data["deps"] = Deps(
            db=db, settings=settings, clock=clock or default_clock_for(settings)
        )
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                job_forget_old_updates,
                interval=timedelta(hours=6),
                first=60,
                name="forget_updates",
            )
            # Off the start-up path: walking the files can take a while on a large install.
            app.job_queue.run_once(job_remove_orphan_files, when=30, name="orphan_files")
            # A daily online backup at 03:00 (BOT_TZ); at start too when the last is old.
            app.job_queue.run_daily(job_backup, time=time(3, 0, tzinfo=settings.tz), name="backup")
            if backup_due(settings.backups_dir, app.bot_data["deps"].clock.now()):
                app.job_queue.run_once(job_backup, when=60, name="backup_at_start")
        # Items recorded just before a crash may still lack their group message.
        schedule_missing_posts(app.job_queue, 1)
        # A crash loses the live edits still waiting in their window: refresh them all once.
        clean_stop = settings.data_dir / CLEAN_STOP_FILE
        if not clean_stop.exists() and app.job_queue is not None:
            app.bot_data[LIVE_REFRESH_PENDING] = True
            app.job_queue.run_once(job_refresh_live, when=2, name="refresh_live_after_crash")
        clean_stop.unlink(missing_ok=True)
        # Reminders missed while the bot was down go out now, once; then the next is planned.
        start_reminders(app)
        if settings.clock_file is not None:
            follow_clock_file(app, settings.clock_file)
        try:
            await set_commands(app)
        except TelegramError as exc:  # the menu is a convenience; never stop the bot for it
            log.warning("could not set the command menu: %s", exc)

    async def post_stop(app: BotApp) -> None:
        deps: Deps | None = app.bot_data.get("deps")
        if deps is not None:
            # An export under way may finish (briefly) before the connection closes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wait_for_exports(), EXPORT_GRACE)
            # Stopped before the refresh after a crash ran: it runs now, or the messages
            # would stay behind the database (the mark below says nothing is pending).
            if app.bot_data.get(LIVE_REFRESH_PENDING):
                await job_refresh_live(BotContext(app))
            # Pending live edits go out now, while the bot can still talk to Telegram.
            await deps.live.flush(immediate=True)
            # Nothing is left waiting: the next start need not refresh every live message.
            (deps.settings.data_dir / CLEAN_STOP_FILE).touch()

    async def post_shutdown(app: BotApp) -> None:
        deps: Deps | None = app.bot_data.get("deps")
        if deps is not None:
            await deps.db.close()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(True)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if rate_limit and settings.rate_limit:
        # Paces to Telegram's limits and waits out 429s instead of losing the message. The
        # overall 30/s is spread evenly (one send per 1/30 s): the default lets 30 go at once
        # and then 30 more in the same second, which a strict flood counter answers with 429
        # (bench: 33 × 429 on a 1,000-group broadcast). Groups keep their 20-a-minute bucket.
        limiter = AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=5)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    # Telegram's 5xx and requests that never reached it are sent again (bot/transport.py).
    builder = builder.request(request or RetryingRequest(connection_pool_size=256))
    builder = builder.get_updates_request(
        get_updates_request
        or HeartbeatRequest(settings.data_dir / HEARTBEAT_FILE, read_timeout=40.0)
    )
    app: BotApp = builder.build()
    register_all(app)
    return app


async def _webhook_heartbeat(context: CallbackContext[Any, Any, Any, Any]) -> None:
    deps: Deps = context.application.bot_data["deps"]
    await context.bot.get_webhook_info()
    (deps.settings.data_dir / HEARTBEAT_FILE).touch()


def run(settings: Settings) -> None:
    """Run until stopped: long polling, or a webhook server when WEBHOOK_URL is set."""
    app = build_application(settings)
    # Updates people sent while the bot was down are handled, never dropped.
    if settings.webhook_url is None:
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, timeout=30)
        return
    if app.job_queue is not None:
        app.job_queue.run_repeating(_webhook_heartbeat, interval=timedelta(seconds=60), first=1)
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        # The bot serves the path of the public URL, so a proxy can pass it through unchanged.
        url_path=urlsplit(settings.webhook_url).path.strip("/") or "telegram",
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
    )


__all__ = ["Application", "build_application", "run"]
