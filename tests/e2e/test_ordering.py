"""Replays and ordering (issue 9, part 2): the real bot gets a backlog out of order, and the
updates it has already handled come again; every effect happens once.

While the bot is down the twelve liaisons of the crash test's cluster each send two report
files, confirm the draft, answer the meeting and press one candidate in the open poll. The
server then hands each batch over shuffled; PTB confirms with "last update of the batch + 1",
so everything after that update in id order is delivered a second time, after its neighbours.
A toggle that took effect twice would undo itself; a file would become a third version.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
from typing import TYPE_CHECKING

from tests.e2e.crash_driver import DIGITS
from tests.e2e.test_crash import LIAISONS, _setup, _wait_for
from tests.e2e.test_real_process import GROUP, _start_bot, _stop_bot

if TYPE_CHECKING:
    from pathlib import Path

    from bot.local_api import LocalBotAPI

SUBMITTED = "SELECT COUNT(*) FROM submissions WHERE request_id = 2"


async def test_backlog_out_of_order_and_twice_takes_effect_once(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    for li in LIAISONS:
        if li.user_id not in api.users:
            api.add_user(li.user_id, li.first_name)
    env = {"BOT_RATE_LIMIT": "off", "LOG_LEVEL": "INFO"}
    log_path = tmp_path / "bot.log"
    process = await _start_bot(api, tmp_path, log_path, env)
    try:
        await api.wait_until_polling(timeout=30)
        scene = await _setup(api)
    finally:
        assert await _stop_bot(process) == 0

    # The bot is down: the backlog queues up.
    rng = random.Random(20221101)
    files: dict[str, set[str]] = {}
    votes: dict[str, int] = {}
    first = len(api.updates)
    for li in LIAISONS:
        for n in (1, 2):
            content = f"{li.code} lần {n} {rng.getrandbits(64):016x}".encode() + rng.randbytes(300)
            files.setdefault(li.code, set()).add(hashlib.sha256(content).hexdigest())
            api.send_document(
                li.user_id, GROUP, f"BC {li.code} {n}.pdf", content, reply_to=scene.report_message
            )
        api.press(li.user_id, GROUP, scene.confirmation_message, f"cf1:c:{scene.confirmation_id}")
        api.press(li.user_id, GROUP, scene.meeting_message, f"mt1:x:{scene.meeting_id}")
        votes[li.code] = (li.index + 1) % len(LIAISONS)
        api.press(
            li.user_id,
            GROUP,
            scene.open_poll_message,
            f"po1:{scene.open_poll}:{DIGITS[votes[li.code]]}",
        )
    backlog = [u["update_id"] for u in api.updates[first:]]
    assert len(backlog) == 5 * len(LIAISONS)

    api.shuffle = random.Random(7)
    process = await _start_bot(api, tmp_path, log_path, env)
    try:
        await _wait_for(tmp_path, SUBMITTED, 2 * len(LIAISONS), within=60)
        await api.wait_until_idle(timeout=30)
        await asyncio.sleep(1.0)
    finally:
        assert await _stop_bot(process) == 0

    # It really came out of order, and partly twice.
    batches = [
        [int(u["update_id"]) for u in c.result]
        for c in api.calls
        if c.method == "getUpdates" and c.ok and c.result
    ]
    assert any(batch != sorted(batch) for batch in batches)
    twice = [uid for uid in backlog if api.delivery_count(uid) > 1]
    assert len(twice) >= 5, twice
    assert all(api.is_consumed(uid) for uid in backlog)

    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        code_of = dict(conn.execute("SELECT id, code FROM units").fetchall())
        rows = conn.execute(
            "SELECT unit_id, version, sha256 FROM submissions WHERE request_id = ?",
            (scene.report_id,),
        ).fetchall()
        got: dict[str, set[str]] = {}
        versions: dict[str, list[int]] = {}
        for unit_id, version, sha in rows:
            got.setdefault(code_of[unit_id], set()).add(sha)
            versions.setdefault(code_of[unit_id], []).append(version)
        assert got == files
        assert all(sorted(v) == [1, 2] for v in versions.values())
        confirmed = conn.execute(
            "SELECT COUNT(*) FROM confirmations WHERE request_id = ? AND status = 'confirmed'",
            (scene.confirmation_id,),
        ).fetchone()
        assert confirmed == (len(LIAISONS),)
        absent = conn.execute(
            "SELECT COUNT(*) FROM rsvps WHERE meeting_id = ? AND status = 'absent'",
            (scene.meeting_id,),
        ).fetchone()
        assert absent == (len(LIAISONS),)
        ballots = {
            code_of[u]: json.loads(m)
            for u, m in conn.execute(
                "SELECT unit_id, marks FROM open_ballots WHERE poll_id = ?", (scene.open_poll,)
            ).fetchall()
        }
        assert ballots == {code: [choice] for code, choice in votes.items()}
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # One receipt per file, in the group, whatever came twice.
    receipts = [m for m in api.sent(GROUP) if (m.plain or "").startswith("✅ Đã nhận báo cáo")]
    assert len(receipts) == 2 * len(LIAISONS)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
    # Each second copy was skipped: by the tracker (the first had committed), or by the
    # handler's own check (both copies in flight at once).
    assert log.count("already handled; skipped") >= len(twice) - 1
