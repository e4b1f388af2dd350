"""Crash test (issue 9, part 1): the real bot is killed with SIGKILL again and again while the
liaisons of twelve units submit, confirm, comment, answer a meeting and vote; nothing the bot
acknowledged is lost or counted twice, and the files and the database stay whole.

`python -m bot run` polls the loopback Bot API server (bot/local_api.py). A seeded driver
(tests/e2e/crash_driver.py) sends 1,000 mixed actions from twelve people, some while the bot is
down, kills the process at least five times (some updates are delivered again) and restarts
it. After a last, graceful stop every acknowledged action is checked against the database
(each unit's state is the replay of its committed actions), and the files, the secret ballot
box, the reminders and the live messages against what the people were shown. A report request
due in a few minutes carries two reminders that fall inside the run.

CI runs one seed; `CRASH_SEED=<n>` runs another (the soak in README loops over seeds).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import re
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.services.common import clean_text
from bot.services.submissions import _sweep
from tests.e2e.crash_driver import (
    COMMENT_DONE,
    MUTATING,
    NAMES_DONE,
    TEXTS,
    Action,
    CrashDriver,
    Liaison,
    Scene,
)
from tests.e2e.test_real_process import ADMIN, DUC, GROUP, HA, _start_bot, _stop_bot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from bot.local_api import LocalBotAPI

SEED = int(os.environ.get("CRASH_SEED", "20221115"))
ACTIONS = 1000
KILLS = 8
VN = ZoneInfo("Asia/Ho_Chi_Minh")
REPORT = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
DRAFT = "Dự thảo báo cáo tổng hợp của Cụm thi đua số 1"
MEETING = "Hội nghị tổng kết Cụm thi đua số 1"
OPEN_POLL = "Bình xét đề nghị Bằng khen của Tập đoàn"
SECRET_POLL = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022"
# Reminder slots of the report request, in seconds after it opens: both fall inside the run.
REMINDER_AT = (12, 30)

LIAISONS = [
    Liaison(HA, "Lê Thị Thu Hà", "VSP", "Liên doanh Việt – Nga Vietsovpetro", 0),
    Liaison(DUC, "Phạm Minh Đức", "PVEP", "Tổng công ty Thăm dò khai thác Dầu khí", 1),
    Liaison(1004, "Hoàng Anh Tuấn", "RVP", "Công ty TNHH Liên doanh Rusvietpetro", 2),
    Liaison(1005, "Đỗ Thị Lan", "GPV", "Công ty TNHH Gazpromviet", 3),
    Liaison(2001, "Nguyễn Văn Bình", "BSR", "Công ty CP Lọc hóa dầu Bình Sơn", 4),
    Liaison(2002, "Trần Thị Mai", "PVGAS", "Tổng công ty Khí Việt Nam", 5),
    Liaison(2003, "Lê Quang Huy", "PVPOWER", "Tổng công ty Điện lực Dầu khí Việt Nam", 6),
    Liaison(2004, "Phan Thị Hồng", "PVD", "Tổng công ty CP Khoan và Dịch vụ khoan Dầu khí", 7),
    Liaison(2005, "Võ Minh Tâm", "PVT", "Tổng công ty CP Vận tải Dầu khí", 8),
    Liaison(2006, "Đặng Thu Trang", "PVI", "Tổng công ty CP Bảo hiểm Dầu khí", 9),
    Liaison(2007, "Bùi Đức Thắng", "PVOIL", "Tổng công ty Dầu Việt Nam", 10),
    Liaison(2008, "Ngô Thị Yến", "NSRP", "Công ty TNHH Lọc hóa dầu Nghi Sơn", 11),
]


async def _setup(api: LocalBotAPI) -> Scene:
    """The seed cluster with twelve units, a report, a confirmation, a meeting, two polls."""
    api.add_bot_to_group(GROUP, ADMIN)
    api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
    await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký", timeout=60)
    units = "\n".join(f"{li.code} {li.unit_name}" for li in LIAISONS)
    api.send_text(ADMIN, GROUP, f"/addunit {units}")
    await api.wait_for_message(chat_id=GROUP, contains=f"Đã thêm {len(LIAISONS)} đơn vị")
    api.send_text(ADMIN, GROUP, "/lead VSP")
    await api.wait_for_message(chat_id=GROUP, contains="Đơn vị cụm trưởng")
    api.send_text(ADMIN, GROUP, "/caidat")
    settings = await api.wait_for_message(chat_id=GROUP, contains="Cài đặt của cụm")
    api.press(ADMIN, GROUP, settings.message_id, settings.button("Tham gia tự do"))
    await api.wait_for_message(chat_id=GROUP, contains="ngay lập tức")
    for li in LIAISONS:
        api.send_text(li.user_id, li.user_id, "/start")
        await api.wait_for_message(chat_id=li.user_id, contains="Bot điều phối cụm thi đua")
        api.send_text(li.user_id, GROUP, "/thamgia")
        menu = await api.wait_for_message(chat_id=GROUP, contains="đơn vị nào")
        api.press(li.user_id, GROUP, menu.message_id, f"join1:{li.index + 1}")
        if li.code == "VSP":  # the lead unit is never joined without approval
            approval = await api.wait_for_message(chat_id=GROUP, contains="xin làm đầu mối")
            api.press(ADMIN, GROUP, approval.message_id, approval.button("Duyệt"))
            await api.wait_for_message(chat_id=GROUP, contains="người duyệt")
        else:
            await api.wait_for_message(chat_id=GROUP, contains="đã trở thành đầu mối")

    local = datetime.now(UTC).astimezone(VN)
    later = (local + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    closes = (local + timedelta(days=2)).replace(hour=17, minute=0, second=0, microsecond=0)
    draft = api.send_document(HA, GROUP, "Du thao BC tong hop.docx", b"PK\x03\x04 draft")
    api.send_text(
        HA,
        GROUP,
        f"/xacnhan {DRAFT} | 17:00 {later:%d/%m/%Y}",
        reply_to=draft["message"]["message_id"],
    )
    confirmation = await api.wait_for_message(chat_id=GROUP, contains="Đề nghị xác nhận")
    api.send_text(ADMIN, GROUP, f"/hop {MEETING} | {later:%H:%M %d/%m/%Y} | Vũng Tàu")
    meeting = await api.wait_for_message(chat_id=GROUP, contains=f"Cuộc họp: {MEETING}")
    api.send_text(
        ADMIN, GROUP, f"/binhchon {OPEN_POLL} | {closes:%H:%M %d/%m/%Y} | bi_mat=khong | chon=2"
    )
    open_poll = await api.wait_for_message(chat_id=GROUP, contains=f"Bình xét: {OPEN_POLL}")
    api.send_text(
        ADMIN, GROUP, f"/binhchon {SECRET_POLL} | {closes:%H:%M %d/%m/%Y} | du_tat_ca=co"
    )
    await api.wait_for_message(chat_id=GROUP, contains=f"Bình xét: {SECRET_POLL}")

    # The report request last: its reminders come a few seconds into the run.
    now = time.time()
    deadline_ts = math.ceil((now + 150) / 60) * 60
    deadline = datetime.fromtimestamp(deadline_ts, UTC).astimezone(VN)
    offsets = ";".join(f"{int(deadline_ts - now - s)}s" for s in REMINDER_AT)
    api.send_text(ADMIN, GROUP, f"/yeucau {REPORT} | {deadline:%H:%M %d/%m/%Y} | nhac={offsets}")
    report = await api.wait_for_message(chat_id=GROUP, contains=f"Yêu cầu báo cáo: {REPORT}")
    return Scene(
        lead="VSP",
        report_id=2,
        report_message=report.message_id,
        confirmation_id=1,
        confirmation_message=confirmation.message_id,
        meeting_id=1,
        meeting_message=meeting.message_id,
        open_poll=1,
        open_poll_message=open_poll.message_id,
        secret_poll=2,
    )


REMINDERS_HANDLED = (
    "SELECT COUNT(*) FROM reminders_sent WHERE item_kind = 'request' AND item_id = 2 "
    "AND slot LIKE 'before:%'"
)
RESULT_SETTLED = (
    "SELECT COUNT(*) FROM polls WHERE id = 2 AND (result_posted = 1 OR EXISTS "
    "(SELECT 1 FROM poll_roll WHERE poll_id = 2 AND has_voted = 0))"
)


async def _wait_for(data_dir: Path, query: str, expected: int, within: float) -> None:
    """Poll the database (read-only) until the query counts `expected`."""
    deadline = time.monotonic() + within
    uri = f"file:{data_dir / 'bot.sqlite3'}?mode=ro"
    while True:
        conn = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            count = conn.execute(query).fetchone()[0]
        finally:
            conn.close()
        if count == expected:
            return
        assert time.monotonic() < deadline, f"{query!r} gave {count}, not {expected}"
        await asyncio.sleep(0.2)


async def test_kill_the_bot_while_a_thousand_actions_go_on(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    started = time.monotonic()
    for li in LIAISONS:
        if li.user_id not in api.users:
            api.add_user(li.user_id, li.first_name)
    env = {"BOT_RATE_LIMIT": "off", "LOG_LEVEL": "INFO"}
    log_path = tmp_path / "bot.log"
    process = await _start_bot(api, tmp_path, log_path, env)
    driver: CrashDriver | None = None
    try:
        await api.wait_until_polling(timeout=30)
        scene = await _setup(api)
        driver = CrashDriver(
            api,
            scene,
            LIAISONS,
            rng=random.Random(SEED),
            data_dir=tmp_path,
            log_path=log_path,
            env=env,
            process=process,
            total=ACTIONS,
            kills=KILLS,
        )
        chaos = time.monotonic()
        process = await driver.run()
        chaos_seconds = time.monotonic() - chaos
        # Both reminder slots were handled, the secret poll's result (if everyone voted) is
        # out, every update is confirmed and the handlers are done.
        await _wait_for(tmp_path, REMINDERS_HANDLED, len(REMINDER_AT), within=45)
        await _wait_for(tmp_path, RESULT_SETTLED, 1, within=30)
        await api.wait_until_idle(timeout=30)
        await asyncio.sleep(1.0)
    finally:
        current = driver.process if driver is not None else process
        # Graceful (PTB stops on SIGINT as on SIGTERM): pending live edits are flushed.
        returncode = await _stop_bot(current) if current.returncode is None else None
    assert returncode == 0
    driver.observe()
    redelivered = sum(1 for u in api.updates if api.delivery_count(u["update_id"]) > 1)
    outcomes = Counter(a.outcome for a in driver.actions)
    kinds = Counter(a.kind for a in driver.actions)
    acknowledged = sum(1 for a in driver.actions if a.acknowledged)
    print(
        f"\ncrash test (seed {SEED}): {len(driver.actions)} actions, {acknowledged} "
        f"acknowledged, {len(driver.kill_times)} kills, {redelivered} redelivered updates; "
        f"run {chaos_seconds:.1f} s, total {time.monotonic() - started:.1f} s\n"
        f"  kills: {driver.kill_log}\n  kinds: {dict(kinds)}\n  outcomes: {dict(outcomes)}"
    )
    counts = _check(api, driver, tmp_path)
    print(f"  database: {counts}\n  private messages no action explains: {driver.unmatched}")
    assert len(driver.kill_times) >= 5
    assert redelivered > 0
    assert driver.timeouts == [], [(a.kind, a.code, a.update_id) for a in driver.timeouts]


def _applied(actions: list[Action], handled: set[int], *kinds: str) -> list[Action]:
    """The actions of these kinds whose update was committed, in the order they were sent.

    A refusal is recorded too: those answered "no" are left out; one the bot was killed
    before answering is told apart by the rule that refused it (see _check_polls).
    """
    return [
        a
        for a in actions
        if a.kind in kinds and a.update_id in handled and a.ack_kind != "refused"
    ]


def _check(api: LocalBotAPI, driver: CrashDriver, data_dir: Path) -> dict[str, int]:
    """Check the database, the files and the group against what the people were told.

    `handled_updates` (written in the same transaction as each effect) says which updates
    took effect. Every acknowledged action must be among them; the final state of each unit
    must be its liaison's committed actions replayed in the order they were sent.
    """
    actions = driver.actions
    conn = sqlite3.connect(data_dir / "bot.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        handled = {row[0] for row in conn.execute("SELECT update_id FROM handled_updates")}
        unit_ids = dict(conn.execute("SELECT code, id FROM units").fetchall())

        # Acknowledged means committed once. Refused means recorded with no effect: the
        # refusal is recorded before it is said, so a redelivery is skipped, never judged
        # again (once, a press refused before a kill was accepted after the restart).
        for action in actions:
            if action.kind not in MUTATING:
                continue
            if action.acknowledged:
                assert action.update_id in handled, f"acknowledged but lost: {action}"
            if action.ack_kind == "refused":
                assert action.update_id in handled, f"refused but not recorded: {action}"
        unseen = sum(
            1 for a in actions if a.kind in MUTATING and a.update_id in handled and not a.ack
        )
        errors = [a for a in actions if a.ack_kind == "error"]
        assert errors == [], f"the bot apologised for an error: {errors}"

        orphans = _check_submissions(conn, actions, handled, unit_ids, data_dir)
        _check_answers(conn, actions, handled, unit_ids)
        result_repeats = _check_polls(api, conn, driver, handled, unit_ids)
        reminder_repeats = _check_reminders(api, conn, driver)
        _check_live_messages(api, conn, driver.scene)
        return {
            name: int(conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])  # noqa: S608
            for name in (
                "submissions",
                "confirmations",
                "rsvps",
                "open_ballots",
                "handled_updates",
                "reminders_sent",
            )
        } | {
            "committed_unanswered": unseen,
            "orphan_files_swept": orphans,
            "reminders_sent_again": reminder_repeats,
            "results_posted_again": result_repeats,
            "secret_ballots": len(_ballot_box(conn)),
        }
    finally:
        conn.close()


def _check_submissions(
    conn: sqlite3.Connection,
    actions: list[Action],
    handled: set[int],
    unit_ids: dict[str, int],
    data_dir: Path,
) -> int:
    """Replay each unit's committed submissions; check receipts, files and the sweep.

    Returns how many stored files the sweep removed (a kill between the move and COMMIT).
    """
    rows = conn.execute(
        "SELECT unit_id, version, file_unique_id, sha256, stored_name, storage, request_id, "
        "(SELECT cluster_id FROM requests r WHERE r.id = s.request_id) "
        "FROM submissions s ORDER BY unit_id, version"
    ).fetchall()
    by_fuid = {r[2]: r for r in rows}
    assert len(by_fuid) == len(rows), "a file was recorded twice"
    sent = {a.data["file_unique_id"]: a for a in actions if a.kind == "submit"}
    # Replay the committed submissions of each unit, in the order its liaison sent them.
    for code, unit_id in unit_ids.items():
        expected: list[tuple[int, str, str]] = []
        for action in _applied(actions, handled, "submit"):
            if action.code != code:
                continue
            fuid, sha = action.data["file_unique_id"], action.data["sha256"]
            if expected and (expected[-1][1] == fuid or expected[-1][2] == sha):
                continue  # the same file as the latest version: acknowledged, not recorded
            expected.append((len(expected) + 1, fuid, sha))
        actual = [(r[1], r[2], r[3]) for r in rows if r[0] == unit_id]
        assert actual == expected, f"{code}: versions {actual} != replay {expected}"
    # Every receipt names the version the database holds for that very file; "the same as
    # version n" names a version with the same bytes.
    versions = {(r[0], r[1]): r for r in rows}
    for action in actions:
        if action.kind == "submit" and action.acknowledged and action.ack:
            if match := re.search(r"— bản (\d+)", action.ack):
                row = by_fuid.get(action.data["file_unique_id"])
                assert row is not None, f"receipt without a row: {action}"
                assert row[1] == int(match.group(1)), f"receipt says v{match.group(1)}: {row}"
            elif match := re.search(r"trùng với bản (\d+)", action.ack):
                row = versions.get((unit_ids[action.code], int(match.group(1))))
                assert row is not None, f"duplicate of a missing version: {action}"
                assert action.data["sha256"] == row[3] or action.data["file_unique_id"] == row[2]
            else:
                raise AssertionError(f"unexpected receipt: {action.ack}")
    # The files on disk are the bytes that were sent, as hashed; nothing else stays.
    files_dir = data_dir / "files"
    known: set[tuple[int, int, str]] = set()
    for _unit, _version, fuid, sha, name, storage, request_id, cluster_id in rows:
        assert storage == "stored"
        path = files_dir / str(cluster_id) / str(request_id) / name
        content = path.read_bytes()
        assert hashlib.sha256(content).hexdigest() == sha
        assert content == sent[fuid].data["content"]
        known.add((cluster_id, request_id, name))
    orphans = _sweep(files_dir, known, time.time() + 1)  # the sweep, without its age rule
    left = {
        (int(p.parent.parent.name), int(p.parent.name), p.name)
        for p in files_dir.glob("*/*/*")
        if p.parent.parent.name.isdigit()
    }
    assert left == known
    assert list((files_dir / "tmp").glob("*.part")) == []
    return orphans


Conf = tuple[str, str | None] | None  # a unit's confirmation: status, comment
Rsvp = tuple[str, str] | None  # a unit's answer to the meeting: status, attendees


def _check_answers(
    conn: sqlite3.Connection, actions: list[Action], handled: set[int], unit_ids: dict[str, int]
) -> None:
    """Replay each unit's committed answers; a private text counts where the bot put it.

    A text answers the question the bot asked last (comment or attendees); when the bot
    never said which (killed before answering), both readings are allowed.
    """
    code_of = {v: k for k, v in unit_ids.items()}
    confirmations = {
        code_of[u]: (s, c)
        for u, s, c in conn.execute("SELECT unit_id, status, comment FROM confirmations")
    }
    rsvps = {
        code_of[u]: (s, a)
        for u, s, a in conn.execute("SELECT unit_id, status, attendees FROM rsvps")
    }
    kinds = ("confirm", "comment", "attend", "absent", "names")
    for code in unit_ids:
        states: set[tuple[Conf, Rsvp]] = {(None, None)}
        for action in _applied(actions, handled, *kinds):
            if action.code != code:
                continue
            effects = [action.kind]
            if action.kind in TEXTS:
                ack = action.ack or ""
                effects = (
                    ["comment"]
                    if ack.startswith(COMMENT_DONE)
                    else ["names"]
                    if ack.startswith(NAMES_DONE)
                    else ["comment", "names"]
                )
            text = clean_text(action.data.get("text", ""))
            after: set[tuple[Conf, Rsvp]] = set()
            for conf, rsvp in states:
                for effect in effects:
                    if effect == "confirm":  # a comment stays on record
                        after.add((("confirmed", conf[1] if conf else None), rsvp))
                    elif effect == "comment":
                        after.add((("commented", text), rsvp))
                    elif effect == "attend":
                        after.add((conf, ("attend", rsvp[1] if rsvp else "")))
                    elif effect == "absent":
                        after.add((conf, ("absent", "")))
                    else:
                        after.add((conf, ("attend", text)))
            states = after
        final = (confirmations.get(code), rsvps.get(code))
        assert final in states, f"{code}: {final} is no replay of its answers: {states}"


def _check_polls(
    api: LocalBotAPI,
    conn: sqlite3.Connection,
    driver: CrashDriver,
    handled: set[int],
    unit_ids: dict[str, int],
) -> int:
    """Replay the open votes; the secret box holds one ballot per unit that voted.

    Returns how many extra copies of the secret poll's result were posted (see _copies).
    """
    actions = driver.actions
    code_of = {v: k for k, v in unit_ids.items()}
    own = {li.code: li.index for li in LIAISONS}
    # Open poll: each committed press toggles a candidate (blank clears), within the rules.
    ballots: dict[str, set[int]] = {}
    for action in _applied(actions, handled, "vote"):
        marks = set(ballots.get(action.code, set()))
        choice = action.data["choice"]
        if choice is None:
            marks = set()
        else:
            marks ^= {choice}
        if len(marks) > 2 or own[action.code] in marks:
            # Refused (too many choices, or the unit's own): recorded, never answered.
            assert not action.acknowledged, f"invalid ballot accepted: {action}"
            continue
        ballots[action.code] = marks
    rows = conn.execute("SELECT unit_id, marks FROM open_ballots WHERE poll_id = 1").fetchall()
    assert {code_of[u]: set(json.loads(m)) for u, m in rows} == ballots
    voted = {
        code_of[u]
        for (u,) in conn.execute(
            "SELECT unit_id FROM poll_roll WHERE poll_id = 1 AND has_voted = 1"
        ).fetchall()
    }
    assert voted == set(ballots)

    # Secret poll: one ballot per unit that voted, in a box that says nothing more.
    casts: list[Action] = []
    for action in _applied(actions, handled, "cast"):
        if action.code in {a.code for a in casts}:
            # Refused (the unit had voted): recorded, never answered.
            assert not action.acknowledged, f"a unit's secret ballot was cast twice: {action}"
            continue
        casts.append(action)
    cast_units = [a.code for a in casts]
    assert len(cast_units) == len(set(cast_units)), "a unit's secret ballot was cast twice"
    voted = {
        code_of[u]
        for (u,) in conn.execute(
            "SELECT unit_id FROM poll_roll WHERE poll_id = 2 AND has_voted = 1"
        ).fetchall()
    }
    acknowledged = {a.code for a in actions if a.kind == "cast" and a.acknowledged}
    assert acknowledged <= voted
    assert voted == set(cast_units)
    box = _ballot_box(conn)
    assert len(box) == len(voted)
    assert sorted(box) == sorted(sorted(a.data["marks"]) for a in casts)
    status, posted = conn.execute(
        "SELECT status, result_posted FROM polls WHERE id = 2"
    ).fetchone()
    title = f"Kết quả bình xét: {SECRET_POLL}"
    results = [m for m in api.sent(GROUP) if title in (m.plain or "")]
    count, explained = _copies(api, driver, GROUP, lambda text: title in text)
    if len(voted) == len(LIAISONS):  # everyone voted: it closed by itself, result posted once
        assert (status, posted) == ("closed", 1)
        # ... or again, when the bot was killed right after Telegram took it (at least once).
        assert 1 <= count <= 1 + explained, (count, explained)
        tally = f"Số phiếu: {len(box)}/{len(LIAISONS)} đơn vị"
        assert all(tally in (m.plain or "") for m in results)
    else:
        assert (status, results) == ("open", [])
    return count - 1 if results else 0


def _ballot_box(conn: sqlite3.Connection) -> list[list[int]]:
    row = conn.execute("SELECT ballots FROM ballot_boxes WHERE poll_id = 2").fetchone()
    return [] if row is None else list(json.loads(row[0]))


def _check_reminders(api: LocalBotAPI, conn: sqlite3.Connection, driver: CrashDriver) -> int:
    """Each reminder slot is handled once and its group message sent once.

    Returns the copies sent again because the bot was killed right after Telegram accepted
    one (before it recorded the slot): reminders are sent at least once, by design.
    """
    rows = conn.execute(
        "SELECT slot, skipped FROM reminders_sent WHERE item_kind = 'request' AND item_id = 2 "
        "AND slot LIKE 'before:%'"
    ).fetchall()
    assert len(rows) == len(REMINDER_AT), rows  # each slot handled, once (primary key)
    # One group message per slot sent (missed slots caught up together count once).
    sent = sum(1 for _slot, skipped in rows if not skipped)
    count, explained = _copies(api, driver, GROUP, _is_reminder)
    assert sent >= 1
    assert sent <= count <= sent + explained, (count, sent, explained)
    for li in LIAISONS:
        private, explained_private = _copies(api, driver, li.user_id, _is_reminder)
        assert private <= sent + explained_private
    return count - sent


def _copies(
    api: LocalBotAPI, driver: CrashDriver, chat_id: int, match: Callable[[str], bool]
) -> tuple[int, int]:
    """How many matching messages the bot sent to the chat, and how many of them a kill
    followed within a second (the bot may not have recorded it: a copy may come again)."""
    seen = [
        driver.seen_at[i]
        for i, event in enumerate(api.history)
        if event.event == "sent" and event.chat_id == chat_id and match(event.plain or "")
    ]
    explained = sum(1 for t in seen if any(0 <= k - t <= 1.0 for k in driver.kill_times))
    return len(seen), explained


def _is_reminder(text: str) -> bool:
    return text.startswith("⏰") and f"“{REPORT}” hết hạn" in text


def _check_live_messages(api: LocalBotAPI, conn: sqlite3.Connection, scene: Scene) -> None:
    """After the graceful stop, the live messages show the database's final state."""
    total = len(LIAISONS)
    confirmed = conn.execute(
        "SELECT COUNT(*) FROM confirmations WHERE request_id = 1 AND status = 'confirmed'"
    ).fetchone()[0]
    attending = conn.execute(
        "SELECT COUNT(*) FROM rsvps WHERE meeting_id = 1 AND status = 'attend'"
    ).fetchone()[0]
    submitted = conn.execute(
        "SELECT COUNT(DISTINCT unit_id) FROM submissions WHERE request_id = 2"
    ).fetchone()[0]
    voted = conn.execute(
        "SELECT COUNT(*) FROM poll_roll WHERE poll_id = 1 AND has_voted = 1"
    ).fetchone()[0]
    expected = {
        scene.confirmation_message: f"Đã xác nhận {confirmed}/{total}",
        scene.meeting_message: f"Tham dự {attending}/{total}",
        scene.report_message: f"Đã nộp {submitted}/{total}",
        scene.open_poll_message: f"Đã bỏ phiếu: {voted}/{total} đơn vị",
    }
    for message_id, text in expected.items():
        shown = api.message(GROUP, message_id)
        assert shown is not None
        assert text in shown["text"], f"stale live message {message_id}: {shown['text']}"
