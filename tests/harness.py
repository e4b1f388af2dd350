"""Drives the real Application with recorded Bot API calls and a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from telegram import Update

from bot.app import build_application
from bot.clock import FixedClock
from bot.config import load_settings
from tests.fakes import RecordingRequest
from tests.updates import ADMIN, GROUP_ID, UpdateFactory

if TYPE_CHECKING:
    from pathlib import Path

    from bot.deps import Deps
    from db.connection import Database
    from handlers.common import BotApp

# A Thursday in the seed story, 10:00 in Hà Nội.
SEED_NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)


class Harness:
    """One bot with its database in a temp dir; feed it updates, read what it sent."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = load_settings(
            {"TELEGRAM_BOT_TOKEN": "123456:TEST-token", "DATA_DIR": str(data_dir)}
        )
        self.request = RecordingRequest(admins={GROUP_ID: [ADMIN.id]})
        self.clock = FixedClock(SEED_NOW)
        self.updates = UpdateFactory(lambda: self.clock.now().timestamp())
        self.app: BotApp = build_application(
            self.settings,
            clock=self.clock,
            request=self.request,
            get_updates_request=RecordingRequest(),
            rate_limit=False,
        )

    async def start(self) -> None:
        """Initialise the bot as run_polling would (post_init included)."""
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        self.deps.live.interval = 0.0

    async def stop(self) -> None:
        """Shut down as run_polling would."""
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()

    @property
    def deps(self) -> Deps:
        """The running bot's dependencies."""
        deps: Deps = self.app.bot_data["deps"]
        return deps

    @property
    def db(self) -> Database:
        """The running bot's database."""
        return self.deps.db

    async def feed(self, data: dict[str, Any]) -> dict[str, Any]:
        """Process one update JSON and return it (for replays)."""
        await self.app.process_update(Update.de_json(data, self.app.bot))
        # Live messages are edited in batches; tests look once the batch is out.
        await self.deps.live.flush()
        return data

    async def say(self, person: Any, text: str, **kwargs: Any) -> dict[str, Any]:
        """The person sends a text (or command) message."""
        return await self.feed(self.updates.message(person, text, **kwargs))

    async def send_file(
        self,
        person: Any,
        file_name: str | None,
        content: bytes,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The person sends a document; its content is served by getFile and download."""
        update = self.updates.document(person, file_name, content, **kwargs)
        document = update["message"]["document"]
        self.request.files[document["file_id"]] = content
        return await self.feed(update)

    async def press(self, person: Any, data: str, **kwargs: Any) -> dict[str, Any]:
        """The person presses an inline button carrying `data`."""
        return await self.feed(self.updates.callback(person, data, **kwargs))

    def job_context(self) -> Any:
        """What a JobQueue callback receives, for calling a job by hand."""
        return SimpleNamespace(application=self.app, bot=self.app.bot, deps=self.deps)

    async def scalar(self, sql: str, *params: Any) -> Any:
        """Read one value from the database."""
        async with self.db.read() as conn, conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read rows from the database as tuples."""
        async with self.db.read() as conn, conn.execute(sql, params) as cur:
            return [tuple(r) for r in await cur.fetchall()]
