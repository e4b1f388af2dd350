"""Telegram's faults on the calls the real bot makes: it waits, retries or falls back, and
loses nothing it acknowledged (issue 9, part 3)."""

from __future__ import annotations

import math
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tests.e2e.test_real_process import ADMIN, DUC, GROUP, _start_bot, _stop_bot

if TYPE_CHECKING:
    from pathlib import Path

    from bot.local_api import LocalBotAPI

TUAN, LAN = 1004, 1005
TITLE = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _in(days: int) -> str:
    day = datetime.now(UTC).astimezone(VN) + timedelta(days=days)
    return f"17:00 {day:%d/%m/%Y}"


async def _seed(api: LocalBotAPI, group: int = GROUP) -> None:
    """Cluster No. 1 in `group`, four units, one liaison each (open joining)."""
    if group not in api.chats:
        api.add_group(group, "Cụm thi đua số 1", admins=[ADMIN], bot_member=False, members=[DUC])
    api.add_bot_to_group(group, ADMIN)
    api.set_admins(group, [ADMIN], bot_is_admin=True)
    api.send_text(ADMIN, group, "/setup Cụm thi đua số 1 | 2022")
    await api.wait_for_message(chat_id=group, contains="Nhóm đã được đăng ký", timeout=60)
    api.send_text(
        ADMIN,
        group,
        "/addunit VSP Liên doanh Việt – Nga Vietsovpetro\n"
        "PVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
        "RVP Công ty TNHH Liên doanh Rusvietpetro\n"
        "GPV Công ty TNHH Gazpromviet",
    )
    await api.wait_for_message(chat_id=group, contains="Đã thêm 4 đơn vị", timeout=60)
    api.send_text(ADMIN, group, "/lead VSP")
    await api.wait_for_message(chat_id=group, contains="Đơn vị cụm trưởng", timeout=60)
    api.send_text(ADMIN, group, "/caidat")
    settings = await api.wait_for_message(chat_id=group, contains="Cài đặt của cụm", timeout=60)
    api.press(ADMIN, group, settings.message_id, settings.button("Tham gia tự do"))
    await api.wait_for_message(chat_id=group, contains="ngay lập tức", timeout=60)
    for user, code in ((DUC, "PVEP"), (TUAN, "RVP"), (LAN, "GPV")):
        api.send_text(user, user, "/start")
        await api.wait_for_message(chat_id=user, contains="Bot điều phối cụm thi đua", timeout=60)
        api.send_text(user, group, "/thamgia")
        menu = await api.wait_for_message(chat_id=group, contains="đơn vị nào", timeout=60)
        api.press(user, group, menu.message_id, menu.button(code))
        await api.wait_for_message(
            chat_id=group, contains=f"đầu mối của đơn vị {code}", timeout=60
        )


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "bot.sqlite3")


async def test_telegram_faults_are_waited_out_retried_or_worked_around(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    api.add_user(TUAN, "Tuấn", "Hoàng Anh")
    api.add_user(LAN, "Đỗ Thị Lan")
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log")
    try:
        await api.wait_until_polling(timeout=30)
        await _seed(api)
        api.send_text(ADMIN, GROUP, f"/yeucau {TITLE} | {_in(2)}")
        request = await api.wait_for_message(chat_id=GROUP, contains="Yêu cầu báo cáo", timeout=60)
        board = await api.wait_for_message(chat_id=GROUP, contains="📌", timeout=60)

        # 429 on the group receipt: the bot waits retry_after and sends it once.
        api.inject_error(
            "sendMessage",
            error_code=429,
            description="Too Many Requests: retry after 2",
            retry_after=2,
            chat_id=GROUP,
        )
        sent_at = time.monotonic()
        api.send_document(
            DUC, GROUP, "BC PVEP 2022.pdf", b"%PDF PVEP", reply_to=request.message_id
        )
        await api.wait_for_message(
            chat_id=GROUP, contains="Đã nhận báo cáo của Tổng công ty", timeout=60
        )
        assert time.monotonic() - sent_at >= 2
        receipts = [
            m for m in api.sent(GROUP) if "Đã nhận báo cáo của Tổng công ty" in (m.plain or "")
        ]
        assert len(receipts) == 1

        # Telegram's 502 twice on a private receipt: sent again, delivered once.
        api.inject_error(
            "sendMessage", error_code=502, description="Bad Gateway", times=2, chat_id=TUAN
        )
        api.send_document(TUAN, TUAN, "BC RVP 2022.docx", b"PK\x03\x04 RVP")
        await api.wait_for_message(chat_id=TUAN, contains="✅ Đã nhận báo cáo", timeout=60)
        assert len([m for m in api.sent(TUAN) if "✅ Đã nhận báo cáo" in (m.plain or "")]) == 1

        # Someone deleted the pinned board: the next change posts and pins a new one.
        api.delete_message(GROUP, board.message_id)
        api.send_document(LAN, GROUP, "BC GPV 2022.pdf", b"%PDF GPV", reply_to=request.message_id)
        await api.wait_for_message(
            chat_id=GROUP, contains="Đã nhận báo cáo của Công ty TNHH Gazpromviet", timeout=60
        )
        new_board = await api.wait_for_message(
            lambda m: m.message_id != board.message_id and (m.plain or "").startswith("📌"),
            chat_id=GROUP,
            timeout=60,
        )
        await api.wait_for_call(
            "pinChatMessage",
            lambda c: int(c.params.get("message_id", 0)) == new_board.message_id and c.ok is True,
            timeout=30,
        )
        assert api.chats[GROUP].pinned == [new_board.message_id]

        # A liaison blocked the bot (Telegram answers 403): the deadline change still reaches
        # the group and the other liaisons, and the person is marked as unreachable.
        api.inject_error(
            "sendMessage",
            error_code=403,
            description="Forbidden: bot was blocked by the user",
            times=5,
            chat_id=LAN,
        )
        api.press(ADMIN, GROUP, request.message_id, request.button("Đổi hạn"))
        prompt = await api.wait_for_message(chat_id=GROUP, contains="bằng hạn mới", timeout=60)
        api.send_text(ADMIN, GROUP, _in(4), reply_to=prompt.message_id)
        await api.wait_for_message(chat_id=GROUP, contains="được điều chỉnh thành", timeout=60)
        await api.wait_for_message(chat_id=TUAN, contains="được điều chỉnh thành", timeout=60)
    finally:
        assert await _stop_bot(process) == 0
    with _db(tmp_path) as conn:
        counts = dict(
            conn.execute(
                "SELECT u.code, COUNT(*) FROM submissions s JOIN units u ON u.id = s.unit_id "
                "GROUP BY u.code"
            ).fetchall()
        )
        assert counts == {"PVEP": 1, "RVP": 1, "GPV": 1}
        assert conn.execute("SELECT blocked FROM people WHERE user_id = ?", (LAN,)).fetchone() == (
            1,
        )
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert "Traceback" not in log


BASIC = -4500000001  # a basic group: negative id without the -100 prefix
SUPERGROUP = -1001500000099


async def test_group_upgraded_to_supergroup_keeps_its_cluster_and_reminders(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    """The group becomes a supergroup mid-year (new chat id): the bot follows it, answers
    there, and the reminder due after the upgrade reaches the supergroup, not the dead id."""
    api.add_user(TUAN, "Tuấn", "Hoàng Anh")
    api.add_user(LAN, "Đỗ Thị Lan")
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log")
    try:
        await api.wait_until_polling(timeout=30)
        await _seed(api, BASIC)
        now = time.time()
        deadline_ts = math.ceil((now + 150) / 60) * 60
        deadline = datetime.fromtimestamp(deadline_ts, UTC).astimezone(VN)
        reminder_in = 25
        offset = int(deadline_ts - now - reminder_in)
        api.send_text(
            ADMIN, BASIC, f"/yeucau {TITLE} | {deadline:%H:%M %d/%m/%Y} | nhac={offset}s"
        )
        request = await api.wait_for_message(chat_id=BASIC, contains="Yêu cầu báo cáo", timeout=60)
        api.send_document(
            DUC, BASIC, "BC PVEP 2022.pdf", b"%PDF PVEP", reply_to=request.message_id
        )
        await api.wait_for_message(
            chat_id=BASIC, contains="Đã nhận báo cáo của Tổng công ty", timeout=60
        )

        api.migrate_group(BASIC, SUPERGROUP, by_user_id=ADMIN)
        upgraded_at = len(api.calls)
        # The old messages cannot be answered in the supergroup: the request is posted there
        # again with what it already holds, and a new board is pinned.
        reposted = await api.wait_for_message(
            chat_id=SUPERGROUP, contains="Yêu cầu báo cáo", timeout=60
        )
        assert "Đã nộp 1/4" in (reposted.plain or "")
        board = await api.wait_for_message(
            lambda m: (m.plain or "").startswith("📌"), chat_id=SUPERGROUP, timeout=60
        )
        api.send_document(
            TUAN, SUPERGROUP, "BC RVP 2022.docx", b"PK\x03\x04 RVP", reply_to=reposted.message_id
        )
        await api.wait_for_message(chat_id=SUPERGROUP, contains="Rusvietpetro", timeout=60)
        api.send_text(TUAN, SUPERGROUP, "/tinhhinh")
        status = await api.wait_for_message(chat_id=SUPERGROUP, contains="2/4", timeout=60)
        reminder = await api.wait_for_message(
            chat_id=SUPERGROUP, contains=f"“{TITLE}” hết hạn", timeout=60
        )
        assert "GPV" in (reminder.plain or "") and "PVEP" not in (reminder.plain or "")
        assert "VSP" in (reminder.plain or "")
        assert board.message_id in api.chats[SUPERGROUP].pinned
        assert status.message_id > board.message_id
    finally:
        assert await _stop_bot(process) == 0
    late = [
        c
        for c in api.calls[upgraded_at:]
        if c.method.startswith("send") and int(c.params.get("chat_id", 0)) == BASIC
    ]
    assert all(c.ok is False for c in late)  # at most a refused try, then the new id
    with _db(tmp_path) as conn:
        assert conn.execute("SELECT chat_id FROM clusters").fetchall() == [(SUPERGROUP,)]
        counts = dict(
            conn.execute(
                "SELECT u.code, COUNT(*) FROM submissions s JOIN units u ON u.id = s.unit_id "
                "GROUP BY u.code"
            ).fetchall()
        )
        assert counts == {"PVEP": 1, "RVP": 1}
        assert conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'migrate'"
        ).fetchone() == (1,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert "Traceback" not in log
