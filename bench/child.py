"""Measurements that need a fresh process: `python -m bench.child <mode> <data dir> [args]`.

Prints one JSON line on stdout (after a `READY` line in `scale` mode, so the parent can time
process start to ready). Modes:

* scale     — start the bot over the big database (post_init + the schedule reload through
              `due_now`), idle RSS, /status latency for one cluster, due_now repeated, peak RSS;
* due       — every reminder due in the same second: one production tick (`job_tick`) with
              the rate limiter off, counted against the database; a second tick sends nothing;
* broadcast — the same tick through AIORateLimiter against a fake API with Telegram's limits.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

from telegram import Update  # noqa: E402

from bench.fakeapi import FakeBotAPI, FloodLimitedAPI  # noqa: E402
from bench.generate import NOW, chat_of, person_of  # noqa: E402
from bench.stats import percentile, proc_status_kb  # noqa: E402
from bench.updates import Updates, user_json  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.services.reminders import due_now  # noqa: E402
from handlers.reminders import job_tick  # noqa: E402

_IMPORTED = time.perf_counter()


def _build(data_dir: Path, api: FakeBotAPI, *, rate_limit: bool) -> Any:
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": "123456:BENCH-token", "DATA_DIR": str(data_dir)}
    )
    return build_application(
        settings,
        clock=FixedClock(NOW),
        request=api,
        get_updates_request=FakeBotAPI(),
        rate_limit=rate_limit,
    )


async def _start(app: Any) -> None:
    await app.initialize()
    await app.post_init(app)


async def _stop(app: Any) -> None:
    deps = app.bot_data["deps"]
    await deps.live.flush(immediate=True)
    await app.post_shutdown(app)
    await app.shutdown()


async def scale(data_dir: Path, status_runs: int, clusters: int) -> dict[str, Any]:
    """Start to ready, memory, /status for one cluster, the 100k-slot reload."""
    api = FakeBotAPI()
    t_build = time.perf_counter()
    # Limiter off: repeated /status in one group would otherwise wait for the group's
    # 20-a-minute budget, which is the platform's pace, not our cost.
    app = _build(data_dir, api, rate_limit=False)
    await _start(app)
    t_init = time.perf_counter()
    deps = app.bot_data["deps"]
    # The schedule reload: what the first reminder tick computes at start.
    due, next_at = await due_now(deps.db, NOW)
    t_ready = time.perf_counter()
    print("READY", flush=True)
    gc.collect()
    await asyncio.sleep(0.5)
    idle_kb = proc_status_kb("VmRSS")
    # /status in the middle cluster, by one of its liaisons.
    n = max(1, clusters // 2)
    updates = Updates()
    person = user_json(person_of(n, 3), "Liên lạc viên")
    latencies = []
    api.keep_samples = True
    for _ in range(status_runs):
        update = Update.de_json(updates.message(person, chat_of(n), "/status"), app.bot)
        start = time.perf_counter()
        await app.process_update(update)
        latencies.append((time.perf_counter() - start) * 1000)
    sent = api.samples.get("sendMessage", {})
    reloads = [t_ready - t_init]
    # Repeat the reload only when it is quick: at minutes per reload the budget would burst.
    for _ in range(2 if reloads[0] < 5.0 else 0):
        start = time.perf_counter()
        await due_now(deps.db, NOW)
        reloads.append(time.perf_counter() - start)
    pending = await _pending_slots(deps)
    await _stop(app)
    return {
        "imports_s": _IMPORTED - _T0,
        "build_to_post_init_s": t_init - t_build,
        "reload_at_start_s": t_ready - t_init,
        "build_to_ready_s": t_ready - t_build,
        "due_at_start": len([d for d in due if d.kind != "skip"]),
        "next_at": next_at.isoformat() if next_at else None,
        "idle_rss_mb": idle_kb / 1024,
        "peak_rss_mb": proc_status_kb("VmHWM") / 1024,
        "status_ms": latencies,
        "status_p50_ms": percentile(latencies, 50),
        "status_p99_ms": percentile(latencies, 99),
        "status_sent": api.counts["sendMessage"],
        "status_text_len": len(str(sent.get("text", ""))),
        "reload_s": reloads,
        "pending_slots": pending,
    }


async def _pending_slots(deps: Any) -> int:
    """Slots still to come (what a reload must re-plan), counted the way the planner does."""
    from bot.schedule import before_slots
    from db import clusters, meetings, requests

    count = 0
    async with deps.db.read() as conn:
        for cluster in await clusters.list_clusters(conn):
            count += 1  # the next digest
            for request in await requests.list_requests(conn, cluster.id):
                offsets = request.reminder_offsets or cluster.reminder_offsets
                start = request.created_at or NOW
                slots = before_slots(request.deadline_at, offsets, start)
                count += sum(1 for s in slots if s.due_at > NOW) + int(request.deadline_at > NOW)
            for meeting in await meetings.list_meetings(conn, cluster.id):
                offsets = meeting.reminder_offsets or cluster.reminder_offsets
                slots = before_slots(meeting.starts_at, offsets, meeting.created_at)
                count += sum(1 for s in slots if s.due_at > NOW)
    return count


async def due(data_dir: Path, rate_limit: bool) -> dict[str, Any]:
    """One production tick with everything due at NOW; then a second one."""
    api: FakeBotAPI = FloodLimitedAPI() if rate_limit else FakeBotAPI()
    app = _build(data_dir, api, rate_limit=rate_limit)
    await _start(app)
    deps = app.bot_data["deps"]
    context = SimpleNamespace(application=app, bot=app.bot, deps=deps)
    async with (
        deps.db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM requests WHERE status = 'open'") as cur,
    ):
        row = await cur.fetchone()
    to_send = int(row[0]) if row else 0  # each open request has its 2 h reminder due now
    api.reset()
    start = time.perf_counter()
    await job_tick(context)  # type: ignore[arg-type]
    drained = time.perf_counter() - start
    group_sends = sum(api.group_sends.values())
    chats = len(api.group_sends)
    private_sends = api.private_sends
    async with (
        deps.db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM reminders_sent WHERE slot = 'before:7200' AND skipped = 0"
        ) as cur,
    ):
        row = await cur.fetchone()
    recorded = int(row[0]) if row else 0
    api.reset()
    await job_tick(context)  # type: ignore[arg-type]
    resent = sum(api.group_sends.values())
    result: dict[str, Any] = {
        "due": to_send,
        "drain_s": drained,
        "group_sends": group_sends,
        "private_sends": private_sends,
        "recorded": recorded,
        "missed": to_send - min(group_sends, recorded),
        "resent_by_second_tick": resent,
        "groups_reached": chats,
    }
    if isinstance(api, FloodLimitedAPI):
        result["refusals_429"] = api.refusals
    await _stop(app)
    return result


def main() -> None:
    """Dispatch on the mode given by the parent process."""
    mode, data_dir = sys.argv[1], Path(sys.argv[2])
    if mode == "scale":
        result = asyncio.run(scale(data_dir, int(sys.argv[3]), int(sys.argv[4])))
    elif mode == "due":
        result = asyncio.run(due(data_dir, rate_limit=False))
    elif mode == "broadcast":
        result = asyncio.run(due(data_dir, rate_limit=True))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
