"""The hot-path scenario: clusters of 20 units set up through the bot's own commands.

Every cluster gets one open item of each kind (report request, confirmation request,
meeting, open poll, secret poll); each of the 20 people is the liaison (and voter) of the
same-numbered unit in every cluster, and has opened the private chat. One press per
(cluster, unit) is a first, effective press; `reset` puts the answers back between runs.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import Update

from bench.fakeapi import ADMIN_ID, FakeBotAPI
from bench.updates import Updates, user_json
from bot.app import build_application
from bot.clock import FixedClock
from bot.config import load_settings

if TYPE_CHECKING:
    from bot.deps import Deps
    from handlers.common import BotApp

# A Thursday, 10:00 in Hà Nội; every item below is still open then.
NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)
UNITS = 20
ADMIN = user_json(ADMIN_ID, "Trần Văn Hải")
PEOPLE = [user_json(9_100_000 + j, f"Liên lạc viên {j}") for j in range(UNITS)]


def chat_of(cluster: int) -> int:
    """The supergroup id of the n-th benchmark cluster."""
    return -1_002_000_000_000 - cluster


@dataclass
class ClusterIds:
    """Ids of one cluster's rows, read back after set-up."""

    chat_id: int
    units: list[int] = field(default_factory=list)
    report: int = 0
    report_message: int = 0
    confirmation: int = 0
    meeting: int = 0
    open_poll: int = 0
    secret_poll: int = 0


class BotUnderTest:
    """Our application on a temp-dir database, with the instant fake API."""

    def __init__(self, data_dir: Path | None = None, *, rate_limit: bool = False) -> None:
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="bench-")
        self.data_dir = data_dir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.settings = load_settings(
            {"TELEGRAM_BOT_TOKEN": "123456:BENCH-token", "DATA_DIR": str(self.data_dir)}
        )
        self.api = FakeBotAPI()
        self.clock = FixedClock(NOW)
        self.updates = Updates()
        self.app: BotApp = build_application(
            self.settings,
            clock=self.clock,
            request=self.api,
            get_updates_request=FakeBotAPI(),
            rate_limit=rate_limit,
        )

    async def start(self) -> None:
        """Initialise as run_polling would (post_init included)."""
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)

    async def stop(self) -> None:
        """Shut down as run_polling would."""
        await self.deps.live.flush(immediate=True)
        if self.app.post_stop is not None:
            await self.app.post_stop(self.app)
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def deps(self) -> Deps:
        """The running bot's dependencies."""
        deps: Deps = self.app.bot_data["deps"]
        return deps

    def update(self, data: dict[str, Any]) -> Update:
        """De-serialise update JSON for this bot."""
        update = Update.de_json(data, self.app.bot)
        assert update is not None
        return update

    async def feed(self, data: dict[str, Any]) -> None:
        """Process one update to the end."""
        await self.app.process_update(self.update(data))

    async def scalar(self, sql: str, *params: Any) -> Any:
        """One value from the database."""
        async with self.deps.db.read() as conn, conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def execute(self, *statements: str) -> None:
        """Run statements in one transaction (between measured runs)."""
        async with self.deps.db.transaction() as conn:
            for sql in statements:
                await conn.execute(sql)


async def set_up(bot: BotUnderTest, clusters: int) -> list[ClusterIds]:
    """Create the clusters through real commands and presses; return their ids."""
    u = bot.updates
    for person in PEOPLE:
        await bot.feed(u.message(person, person["id"], "/start"))
    result = []
    for n in range(clusters):
        chat = chat_of(n)
        await bot.feed(u.message(ADMIN, chat, f"/setup Cụm thi đua số {n + 1} | 2022"))
        lines = "\n".join(f"U{j:02d} Đơn vị thành viên số {j + 1}" for j in range(UNITS))
        await bot.feed(u.message(ADMIN, chat, "/addunit " + lines))
        await bot.feed(u.press(ADMIN, chat, "set1:join:open"))
        cluster_id = await bot.scalar("SELECT id FROM clusters WHERE chat_id = ?", chat)
        ids = ClusterIds(chat)
        for j in range(UNITS):
            unit = await bot.scalar(
                "SELECT id FROM units WHERE cluster_id = ? AND code = ?", cluster_id, f"U{j:02d}"
            )
            ids.units.append(int(unit))
            await bot.feed(u.press(PEOPLE[j], chat, f"join1:{unit}"))
        before = bot.api.counts["sendMessage"]
        await bot.feed(
            u.message(
                ADMIN,
                chat,
                "/request Báo cáo tổng kết công tác thi đua khen thưởng năm 2022 "
                "| 17:00 15/11/2022 | dinh_dang=pdf",
            )
        )
        assert bot.api.counts["sendMessage"] > before, "the request was not posted"
        await bot.feed(
            u.message(
                ADMIN,
                chat,
                "/confirm Dự thảo báo cáo tổng hợp kết quả thi đua năm 2022 | 17:00 20/11/2022",
            )
        )
        await bot.feed(
            u.message(
                ADMIN, chat, "/meeting Họp cụm tổng kết | 9:00 01/11/2022 | Phòng họp tầng 5"
            )
        )
        await bot.feed(
            u.message(ADMIN, chat, "/poll Bình xét Cờ thi đua | 17:00 25/10/2022 | bi_mat=khong")
        )
        await bot.feed(u.message(ADMIN, chat, "/poll Bình xét Bằng khen | 17:00 25/10/2022"))
        q = "SELECT id FROM {} WHERE cluster_id = ? {} ORDER BY id LIMIT 1"
        ids.report = int(await bot.scalar(q.format("requests", "AND kind='report'"), cluster_id))
        ids.report_message = int(
            await bot.scalar("SELECT message_id FROM requests WHERE id = ?", ids.report)
        )
        ids.confirmation = int(
            await bot.scalar(q.format("requests", "AND kind='confirmation'"), cluster_id)
        )
        ids.meeting = int(await bot.scalar(q.format("meetings", ""), cluster_id))
        ids.open_poll = int(await bot.scalar(q.format("polls", "AND secret=0"), cluster_id))
        ids.secret_poll = int(await bot.scalar(q.format("polls", "AND secret=1"), cluster_id))
        result.append(ids)
    await bot.deps.live.flush(immediate=True)
    return result
