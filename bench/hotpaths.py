"""Section 1: hot paths against bare python-telegram-bot baselines, interleaved in one run.

For each path, a calibration pass through our bot counts, per update, the Bot API calls
(by endpoint) and the SQLite write statements and transactions it made. The baseline is a
bare `Application` with one `TypeHandler` that makes the same calls (same endpoints, same
text and keyboard shapes, a quote of the update's message where ours replies, at the same
average rate per update) and the same number of
trivial `INSERT`s in the same number of transactions on an aiosqlite connection with the
same pragmas, but none of our logic. Both are fed prebuilt `Update` objects through
`Application.process_update` with an instant fake request object:

* burst: every update at once (at most `max_concurrent_updates` in flight, as PTB's
  `concurrent_updates` would), throughput = updates / wall time;
* paced: one update every 1/200 s, latency = completion − the moment it was due.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, TypeHandler

from bench.fakeapi import FakeBotAPI
from bench.scenario import PEOPLE, UNITS, BotUnderTest, ClusterIds, set_up
from bench.stats import median, percentile
from db.connection import PRAGMAS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from telegram.ext import Application

PACED_RATE = 200.0
CONCURRENCY = 256  # PTB's default max_concurrent_updates with concurrent_updates=True
PDF = b"%PDF-1.7\n% report of a member unit\n" + b"0" * 2000 + b"\n%%EOF\n"


@dataclass(frozen=True)
class HotPath:
    """One kind of update: how to make it for (cluster, unit), and how to undo its effect."""

    name: str
    label: str
    make: Callable[[BotUnderTest, ClusterIds, int, int], dict[str, Any]]
    effect: str | None  # a COUNT query whose growth proves each update did its work
    reset: tuple[str, ...] = ()


def _document(bot: BotUnderTest, ids: ClusterIds, j: int, serial: int) -> dict[str, Any]:
    content = PDF + f"unit {j} copy {serial}".encode()
    update, file_id = bot.updates.document(
        PEOPLE[j], ids.chat_id, f"BC U{j:02d} {serial}.pdf", content, reply_to=ids.report_message
    )
    bot.api.files[file_id] = content
    return update


def _press(data: str, *, private: bool = False) -> Callable[..., dict[str, Any]]:
    def make(bot: BotUnderTest, ids: ClusterIds, j: int, serial: int) -> dict[str, Any]:  # noqa: ARG001
        person = PEOPLE[j]
        chat = person["id"] if private else ids.chat_id
        vote = _base36((j + 1) % UNITS)  # never one's own unit
        payload = data.format(ids=ids, vote=vote)
        return bot.updates.press(person, chat, payload)

    return make


def _command(text: str) -> Callable[..., dict[str, Any]]:
    def make(bot: BotUnderTest, ids: ClusterIds, j: int, serial: int) -> dict[str, Any]:  # noqa: ARG001
        return bot.updates.message(PEOPLE[j], ids.chat_id, text)

    return make


def _base36(n: int) -> str:
    return "0123456789abcdefghijklmnopqrstuvwxyz"[n]


PATHS = (
    HotPath(
        "document",
        "document submission (receipt)",
        _document,
        "SELECT COUNT(*) FROM submissions",
        ("DELETE FROM submissions",),
    ),
    HotPath(
        "confirm",
        "confirmation press",
        _press("cf1:c:{ids.confirmation}"),
        "SELECT COUNT(*) FROM confirmations",
        ("DELETE FROM confirmations",),
    ),
    HotPath(
        "rsvp",
        "RSVP press (attend)",
        _press("mt1:a:{ids.meeting}"),
        "SELECT COUNT(*) FROM rsvps",
        ("DELETE FROM rsvps", "DELETE FROM dialogues"),
    ),
    HotPath(
        "open_vote",
        "open-poll vote press",
        _press("po1:{ids.open_poll}:{vote}"),
        "SELECT COUNT(*) FROM open_ballots",
        (
            "DELETE FROM open_ballots",
            "UPDATE poll_roll SET has_voted = 0 WHERE poll_id IN "
            "(SELECT id FROM polls WHERE secret = 0)",
        ),
    ),
    HotPath(
        "secret_ballot",
        "secret ballot cast",
        _press("ps1:{ids.secret_poll}:{vote}", private=True),
        "SELECT COUNT(*) FROM poll_roll WHERE has_voted = 1 AND poll_id IN "
        "(SELECT id FROM polls WHERE secret = 1)",
        (
            "UPDATE poll_roll SET has_voted = 0 WHERE poll_id IN "
            "(SELECT id FROM polls WHERE secret = 1)",
            "UPDATE ballot_boxes SET ballots = '[]'",
        ),
    ),
    HotPath("status", "/status, 20-unit cluster", _command("/status"), None),
    HotPath("command", "plain command (/help)", _command("/help"), None),
)


@dataclass
class Plan:
    """What the baseline does per update, from the calibration of our bot."""

    rates: dict[str, float]
    samples: dict[str, dict[str, Any]]
    writes: float
    transactions: float

    def describe(self) -> str:
        """One line for the report."""
        calls = ", ".join(f"{k} {v:.2g}" for k, v in sorted(self.rates.items()))
        return f"{calls}; writes {self.writes:.2g} in {self.transactions:.2g} txn"


def _spread(i: int, rate: float) -> int:
    """How many of a per-update average fall on update i (evenly spread)."""
    return math.floor((i + 1) * rate + 1e-9) - math.floor(i * rate + 1e-9)


class Baseline:
    """A bare PTB Application: same calls and trivial writes, none of our logic."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-base-")
        self.api = FakeBotAPI()
        self.plan = Plan({}, {}, 0.0, 0.0)
        self._serial = 0
        self._lock = asyncio.Lock()
        self.conn: aiosqlite.Connection | None = None
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token("123456:BASE-token")
            .defaults(Defaults(parse_mode="HTML"))
            .context_types(ContextTypes())
            .concurrent_updates(True)
            .request(self.api)
            .get_updates_request(FakeBotAPI())
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._handle))

    async def start(self) -> None:
        """Open the database and initialise the bot."""
        path = Path(self._tmp.name) / "base.sqlite3"
        self.conn = await aiosqlite.connect(str(path), isolation_level=None)
        for pragma in PRAGMAS:
            await self.conn.execute(pragma)
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, update_id INTEGER, v TEXT)"
        )
        await self.app.initialize()

    async def stop(self) -> None:
        """Close everything."""
        await self.app.shutdown()
        if self.conn is not None:
            await self.conn.close()
        self._tmp.cleanup()

    def update(self, data: dict[str, Any]) -> Update:
        """De-serialise update JSON for this bot."""
        update = Update.de_json(data, self.app.bot)
        assert update is not None
        return update

    async def _handle(self, update: Update, context: Any) -> None:  # noqa: ARG002
        i = self._serial
        self._serial += 1
        plan = self.plan
        conn = self.conn
        assert conn is not None
        transactions = _spread(i, plan.transactions)
        writes = _spread(i, plan.writes)
        if writes and not transactions:
            transactions = 1
        for n in range(transactions):
            share = writes // transactions + (1 if n < writes % transactions else 0)
            async with self._lock:
                await conn.execute("BEGIN IMMEDIATE")
                for _ in range(share):
                    await conn.execute(
                        "INSERT INTO t (update_id, v) VALUES (?, ?)", (update.update_id, "x")
                    )
                await conn.execute("COMMIT")
        for endpoint, rate in plan.rates.items():
            for _ in range(_spread(i, rate)):
                await self._call(update, endpoint, plan.samples.get(endpoint, {}))

    async def _call(self, update: Update, endpoint: str, sample: dict[str, Any]) -> None:
        bot = self.app.bot
        chat = update.effective_chat
        chat_id = chat.id if chat is not None else int(sample.get("chat_id", 1))
        markup = sample.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        keyboard = InlineKeyboardMarkup.de_json(markup, bot) if isinstance(markup, dict) else None
        if endpoint == "sendMessage":
            # A reply quotes the update's message, as ours do: the same call, same parameters.
            message = update.effective_message
            quote = (
                ReplyParameters(message.message_id)
                if message is not None and sample.get("reply_parameters")
                else None
            )
            await bot.send_message(
                chat_id,
                str(sample.get("text", "ok")),
                reply_markup=keyboard,
                reply_parameters=quote,
            )
        elif endpoint == "editMessageText":
            await bot.edit_message_text(
                str(sample.get("text", "ok")),
                chat_id=chat_id,
                message_id=int(sample.get("message_id", 1)),
                reply_markup=keyboard,
            )
        elif endpoint == "answerCallbackQuery":
            query = update.callback_query
            await bot.answer_callback_query(
                query.id if query else "1", text=sample.get("text"), show_alert=False
            )
        elif endpoint == "getFile":
            document = update.effective_message.document if update.effective_message else None
            file = await bot.get_file(document.file_id if document else "x")
            if self.plan.rates.get("download"):
                await file.download_to_memory(BytesIO())
        elif endpoint == "download":
            return  # made together with getFile
        else:
            await bot.do_api_request(endpoint, api_kwargs=dict(sample))


@dataclass
class PathResult:
    """Measurements of one path over all runs."""

    path: HotPath
    plan: Plan | None = None
    ours_tput: list[float] = field(default_factory=list)
    base_tput: list[float] = field(default_factory=list)
    ours_p50: list[float] = field(default_factory=list)
    ours_p99: list[float] = field(default_factory=list)
    base_p50: list[float] = field(default_factory=list)
    base_p99: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    effect_ok: bool = True

    @property
    def ratio(self) -> float:
        """Median over runs of (our throughput / baseline throughput) in the same run."""
        return median(self.ratios)


async def _burst(process: Callable[[Update], Awaitable[None]], updates: list[Update]) -> float:
    """Throughput (updates/s) with every update in flight at once (bounded like PTB)."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(update: Update) -> None:
        async with gate:
            await process(update)

    start = time.perf_counter()
    await asyncio.gather(*(one(u) for u in updates))
    return len(updates) / (time.perf_counter() - start)


async def _paced(
    process: Callable[[Update], Awaitable[None]], updates: list[Update], rate: float
) -> list[float]:
    """Latencies (ms) from each update's due moment to the end of its processing."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def one(update: Update, due: float) -> None:
        await process(update)
        latencies.append((loop.time() - due) * 1000)

    tasks = []
    start = loop.time() + 0.01
    for i, update in enumerate(updates):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(update, due)))
    await asyncio.gather(*tasks)
    return latencies


class HotPathBench:
    """Our bot and the bare baseline, side by side."""

    def __init__(self, clusters: int, runs: int, log: Callable[[str], None]) -> None:
        self.clusters = clusters
        self.runs = runs
        self.log = log
        self.ours = BotUnderTest()
        self.base = Baseline()
        self.ids: list[ClusterIds] = []
        self._serial = 0

    def _json(self, path: HotPath) -> list[dict[str, Any]]:
        out = []
        for ids in self.ids:
            for j in range(UNITS):
                self._serial += 1
                out.append(path.make(self.ours, ids, j, self._serial))
        return out

    async def _settle(self, path: HotPath) -> None:
        """Between batches: pending live edits out, answers undone, a fresh edit window."""
        await self.ours.deps.live.flush(immediate=True)
        self.ours.deps.live._last.clear()  # each batch starts like the first
        if path.reset:
            await self.ours.execute(*path.reset)

    async def calibrate(self, path: HotPath) -> tuple[Plan, bool]:
        """Run the path once through our bot, counting calls, writes and transactions."""
        data = self._json(path)
        updates = [self.ours.update(d) for d in data]
        conn = self.ours.deps.db._conn
        statements: Counter[str] = Counter()

        def trace(sql: str) -> None:
            word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            statements[word] += 1

        before = await self.ours.scalar(path.effect) if path.effect else 0
        self.ours.api.reset()
        self.ours.api.keep_samples = True
        await conn.set_trace_callback(trace)
        for update in updates:
            await self.ours.app.process_update(update)
        await self.ours.deps.live.flush(immediate=True)
        await conn.set_trace_callback(None)  # type: ignore[arg-type]  # None ends tracing
        self.ours.api.keep_samples = False
        after = await self.ours.scalar(path.effect) if path.effect else len(updates)
        effect_ok = (after - before) == len(updates)
        n = len(updates)
        writes = sum(statements[w] for w in ("INSERT", "UPDATE", "DELETE", "REPLACE"))
        plan = Plan(
            rates={k: v / n for k, v in self.ours.api.counts.items()},
            samples=dict(self.ours.api.samples),
            writes=writes / n,
            transactions=statements["BEGIN"] / n,
        )
        await self._settle(path)
        return plan, effect_ok

    async def run(self) -> list[PathResult]:
        """Set up, calibrate every path, then interleave the measured runs."""
        await self.ours.start()
        await self.base.start()
        try:
            started = time.perf_counter()
            self.ids = await set_up(self.ours, self.clusters)
            self.log(
                f"  set up {self.clusters} clusters × {UNITS} units through the bot "
                f"in {time.perf_counter() - started:.1f} s"
            )
            results = [PathResult(p) for p in PATHS]
            for result in results:
                result.plan, result.effect_ok = await self.calibrate(result.path)
            for run in range(self.runs):
                for result in results:
                    await self._measure(result, run)
                self.log(f"  run {run + 1}/{self.runs} done")
            return results
        finally:
            await self.ours.stop()
            await self.base.stop()

    async def _measure(self, result: PathResult, run: int) -> None:
        path = result.path
        assert result.plan is not None
        self.base.plan = result.plan
        ours_process = self.ours.app.process_update
        base_process = self.base.app.process_update
        # Alternate who goes first, so neither always gets the warmer caches.
        order = ("ours", "base") if run % 2 == 0 else ("base", "ours")
        tput: dict[str, float] = {}
        for who in order:
            data = self._json(path)
            if who == "ours":
                tput[who] = await _burst(ours_process, [self.ours.update(d) for d in data])
                await self._settle(path)
            else:
                tput[who] = await _burst(base_process, [self.base.update(d) for d in data])
        for who in order:
            data = self._json(path)
            if who == "ours":
                lat = await _paced(ours_process, [self.ours.update(d) for d in data], PACED_RATE)
                await self._settle(path)
                result.ours_p50.append(percentile(lat, 50))
                result.ours_p99.append(percentile(lat, 99))
            else:
                lat = await _paced(base_process, [self.base.update(d) for d in data], PACED_RATE)
                result.base_p50.append(percentile(lat, 50))
                result.base_p99.append(percentile(lat, 99))
        result.ours_tput.append(tput["ours"])
        result.base_tput.append(tput["base"])
        result.ratios.append(tput["ours"] / tput["base"])
