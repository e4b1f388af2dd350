"""Reminders through the real process: the instant, restarts, catch-up, quiet hours, digest."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tests.e2e.test_real_process import ADMIN, DUC, GROUP, _start_bot, _stop_bot

if TYPE_CHECKING:
    from pathlib import Path

    from bot.local_api import LocalBotAPI

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def _set_quiet(api: LocalBotAPI, window: str) -> None:
    api.send_text(ADMIN, GROUP, "/caidat")
    view = await api.wait_for_message(chat_id=GROUP, contains="Cài đặt của cụm", timeout=60)
    api.press(ADMIN, GROUP, view.message_id, view.button("Giờ yên lặng"))
    prompt = await api.wait_for_message(chat_id=GROUP, contains="khung giờ yên lặng", timeout=60)
    api.send_text(ADMIN, GROUP, window, reply_to=prompt.message_id)
    await api.wait_for_message(
        chat_id=GROUP,
        contains=f"Giờ yên lặng (tạm hoãn tin nhắn riêng): {window.replace('-', '–')}",
    )


def _reminders(api: LocalBotAPI, chat: int, start: str) -> list[str]:
    return [m.plain or "" for m in api.sent(chat) if (m.plain or "").startswith(start)]


async def test_reminders_through_restarts(api: LocalBotAPI, tmp_path: Path) -> None:
    clock_file = tmp_path / "clock"
    offset = {"seconds": 0.0}

    def shift(seconds: float) -> None:
        offset["seconds"] = seconds
        clock_file.write_text(str(seconds))

    api.clock = lambda: time.time() + offset["seconds"]
    env = {"BOT_CLOCK_FILE": str(clock_file)}
    log = tmp_path / "bot.log"

    process = await _start_bot(api, tmp_path, log, env)
    await api.wait_until_polling(timeout=30)
    api.add_bot_to_group(GROUP, ADMIN)
    api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
    await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký")
    api.send_text(
        ADMIN, GROUP, "/addunit VSP Vietsovpetro\nPVEP Tổng công ty Thăm dò khai thác Dầu khí"
    )
    await api.wait_for_message(chat_id=GROUP, contains="Đã thêm 2 đơn vị")
    api.send_text(ADMIN, GROUP, "/caidat")
    settings = await api.wait_for_message(chat_id=GROUP, contains="Cài đặt của cụm")
    api.press(ADMIN, GROUP, settings.message_id, settings.button("Tham gia tự do"))
    api.send_text(DUC, GROUP, "/thamgia")
    menu = await api.wait_for_message(chat_id=GROUP, contains="đơn vị nào")
    api.press(DUC, GROUP, menu.message_id, menu.button("PVEP"))
    await api.wait_for_message(chat_id=GROUP, contains="đã trở thành đầu mối")
    api.send_text(DUC, DUC, "/start")
    await api.wait_for_message(chat_id=DUC, contains="Bot điều phối")
    # Quiet hours away from now (this test runs at any hour of the day).
    hour = datetime.now(UTC).astimezone(VN).hour
    await _set_quiet(api, f"{(hour + 6) % 24:02d}:00-{(hour + 7) % 24:02d}:00")

    # A deadline a few minutes ahead, with reminders 20 s and 45 s from now.
    now = datetime.now(UTC)
    deadline = (now + timedelta(minutes=4)).astimezone(VN).replace(second=0, microsecond=0)
    first = int((deadline - now).total_seconds()) - 20
    second = first - 25
    api.send_text(
        ADMIN,
        GROUP,
        f"/yeucau Báo cáo nhanh | {deadline:%H:%M %d/%m/%Y} | nhac={first}s;{second}s",
    )
    request = await api.wait_for_message(chat_id=GROUP, contains="Yêu cầu báo cáo: Báo cáo nhanh")
    reminder = await api.wait_for_message(chat_id=GROUP, contains="⏰ Nhắc hạn", timeout=40)
    due_first = deadline - timedelta(seconds=first)
    assert reminder.date >= int(due_first.timestamp()) - 1  # not early
    assert reminder.date <= int(due_first.timestamp()) + 10  # and on time
    assert "Các đơn vị chưa nộp: VSP, PVEP" in (reminder.plain or "")
    await api.wait_for_message(chat_id=DUC, contains="Đơn vị của anh/chị (PVEP) chưa nộp")

    # PVEP submits; then a restart between the two reminders: the first is not sent again,
    # the second comes and names only the unit that still owes.
    api.send_document(DUC, GROUP, "PVEP.pdf", b"%PDF pvep", reply_to=request.message_id)
    await api.wait_for_message(chat_id=GROUP, contains="✅ Đã nhận báo cáo")
    assert await _stop_bot(process) == 0
    process = await _start_bot(api, tmp_path, log, env)
    second_reminder = await api.wait_for_message(chat_id=GROUP, contains="⏰ Nhắc hạn", timeout=40)
    assert "Các đơn vị chưa nộp: VSP" in (second_reminder.plain or "")
    assert "PVEP" not in (second_reminder.plain or "").split("\n")[1]
    assert len(_reminders(api, GROUP, "⏰ Nhắc hạn")) == 2
    assert len(_reminders(api, DUC, "⏰ Nhắc hạn")) == 1

    # Stopped across the deadline: on start, one overdue notice and no stale reminder.
    assert await _stop_bot(process) == 0
    shift(10 * 60)
    process = await _start_bot(api, tmp_path, log, env)
    await api.wait_for_message(chat_id=GROUP, contains="⛔ Quá hạn", timeout=30)
    await asyncio.sleep(1)
    assert len(_reminders(api, GROUP, "⏰ Nhắc hạn")) == 2

    # A request with three reminders, all missed while the bot was down: one catch-up.
    local = (datetime.now(UTC) + timedelta(seconds=offset["seconds"])).astimezone(VN)
    later = (local + timedelta(days=2)).replace(hour=17, minute=0, second=0, microsecond=0)
    api.send_text(
        ADMIN, GROUP, f"/yeucau Báo cáo bổ sung | {later:%H:%M %d/%m/%Y} | nhac=1d;12h;2h"
    )
    extra = await api.wait_for_message(chat_id=GROUP, contains="Yêu cầu báo cáo: Báo cáo bổ sung")
    assert await _stop_bot(process) == 0
    now_shifted = datetime.now(UTC) + timedelta(seconds=offset["seconds"])
    shift(offset["seconds"] + (later - timedelta(hours=1) - now_shifted).total_seconds())
    process = await _start_bot(api, tmp_path, log, env)
    catch_up = await api.wait_for_message(
        chat_id=GROUP, contains="Báo cáo bổ sung” hết hạn", timeout=30
    )
    assert "Nhắc bù" in (catch_up.plain or "")
    await asyncio.sleep(1)
    assert len([t for t in _reminders(api, GROUP, "⏰ Nhắc hạn") if "bổ sung" in t]) == 1
    # The morning's digest came with the restart (the clock crossed 08:00).
    digest = await api.wait_for_message(chat_id=GROUP, contains="📰", timeout=30)
    assert "Báo cáo bổ sung" in (digest.plain or "")

    # The deadline moves three days later: the 2-hour reminder comes again before the new one.
    api.press(ADMIN, GROUP, extra.message_id, extra.button("Đổi hạn"))
    prompt = await api.wait_for_message(chat_id=GROUP, contains="hạn mới", timeout=60)
    moved = later + timedelta(days=3)
    api.send_text(ADMIN, GROUP, f"{moved:%H:%M %d/%m/%Y}", reply_to=prompt.message_id)
    await api.wait_for_message(chat_id=GROUP, contains="được điều chỉnh thành", timeout=60)
    assert await _stop_bot(process) == 0
    now_shifted = datetime.now(UTC) + timedelta(seconds=offset["seconds"])
    shift(offset["seconds"] + (moved - timedelta(hours=2) - now_shifted).total_seconds() + 5)
    process = await _start_bot(api, tmp_path, log, env)
    again = await api.wait_for_message(
        chat_id=GROUP, contains="Báo cáo bổ sung” hết hạn", timeout=60
    )
    assert f"{moved:%d/%m/%Y}" in (again.plain or "")

    # Quiet hours now: a reminder's private copies wait for their end.
    shifted_now = (datetime.now(UTC) + timedelta(seconds=offset["seconds"])).astimezone(VN)
    quiet_end = shifted_now + timedelta(minutes=20)
    await _set_quiet(api, f"{shifted_now - timedelta(minutes=5):%H:%M}-{quiet_end:%H:%M}")
    start = (shifted_now + timedelta(days=3, minutes=3)).replace(second=0, microsecond=0)
    api.send_text(ADMIN, GROUP, f"/hop Họp cụm | {start:%H:%M %d/%m/%Y} | Vũng Tàu | nhac=3d")
    await api.wait_for_message(chat_id=GROUP, contains="Cuộc họp: Họp cụm", timeout=60)
    assert await _stop_bot(process) == 0
    shift(offset["seconds"] + 5 * 60)  # past the meeting's 3-day reminder, still quiet
    process = await _start_bot(api, tmp_path, log, env)
    await api.wait_for_message(chat_id=GROUP, contains="⏰ Nhắc lịch họp", timeout=60)
    await asyncio.sleep(2)
    assert _reminders(api, DUC, "⏰ Nhắc lịch họp") == []
    assert await _stop_bot(process) == 0
    shift(offset["seconds"] + 20 * 60)  # quiet hours are over
    process = await _start_bot(api, tmp_path, log, env)
    await api.wait_for_message(chat_id=DUC, contains="⏰ Nhắc lịch họp", timeout=60)
    assert await _stop_bot(process) == 0

    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        sent = conn.execute(
            "SELECT item_id, slot, skipped FROM reminders_sent "
            "WHERE item_kind = 'request' AND slot != 'planned' ORDER BY item_id, slot"
        ).fetchall()
    assert (1, f"before:{first}", 0) in sent
    assert (1, f"before:{second}", 0) in sent
    assert (1, "overdue", 0) in sent
    assert [(i, s) for i, s, skipped in sent if i == 2 and not skipped] == [(2, "before:7200")]
