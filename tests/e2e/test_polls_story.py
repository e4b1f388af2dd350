"""The seed's bình xét through the real process: secret ballots in private chats, the result."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from docx import Document as read_docx

from tests.e2e.test_real_process import ADMIN, DUC, GROUP, HA, _start_bot, _stop_bot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from bot.local_api import LocalBotAPI, SentMessage

TUAN, LAN = 1004, 1005
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022"


async def _seed(api: LocalBotAPI) -> None:
    api.add_bot_to_group(GROUP, ADMIN)
    api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
    await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký")
    api.send_text(
        ADMIN,
        GROUP,
        "/addunit VSP Liên doanh Việt – Nga Vietsovpetro\n"
        "PVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
        "RVP Công ty TNHH Liên doanh Rusvietpetro\n"
        "GPV Công ty TNHH Gazpromviet",
    )
    await api.wait_for_message(chat_id=GROUP, contains="Đã thêm 4 đơn vị")
    api.send_text(ADMIN, GROUP, "/caidat")
    settings = await api.wait_for_message(chat_id=GROUP, contains="Cài đặt của cụm")
    api.press(ADMIN, GROUP, settings.message_id, settings.button("Tham gia tự do"))
    for user, code in ((HA, "VSP"), (DUC, "PVEP"), (TUAN, "RVP"), (LAN, "GPV")):
        api.send_text(user, GROUP, "/thamgia")
        menu = await api.wait_for_message(chat_id=GROUP, contains="đơn vị nào", timeout=60)
        api.press(user, GROUP, menu.message_id, menu.button(code))
        api.send_text(user, user, "/start")
        await api.wait_for_message(chat_id=user, contains="Bot điều phối", timeout=60)


def _marked(choice: str) -> Callable[[SentMessage], bool]:
    """Match the ballot once the candidate shows as marked."""

    def match(message: SentMessage) -> bool:
        return message.event == "edited" and f"☑ {choice}" in str(message.reply_markup)

    return match


async def test_seed_secret_poll_end_to_end(api: LocalBotAPI, tmp_path: Path) -> None:
    api.add_user(TUAN, "Tuấn", "Hoàng Anh")
    api.add_user(LAN, "Đỗ Thị Lan")
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log")
    try:
        await api.wait_until_polling(timeout=30)
        await _seed(api)
        closes = (datetime.now(UTC) + timedelta(days=2)).astimezone(VN)
        api.send_text(ADMIN, GROUP, f"/binhchon {TITLE} | 17:00 {closes:%d/%m/%Y} | du_tat_ca=co")
        poll = await api.wait_for_message(chat_id=GROUP, contains="Bình xét:", timeout=60)
        assert "bỏ phiếu kín" in (poll.plain or "")
        for user, choice in ((HA, "PVEP"), (DUC, "VSP"), (TUAN, "VSP"), (LAN, "VSP")):
            api.send_text(user, user, "/start poll_1")
            ballot = await api.wait_for_message(chat_id=user, contains="Phiếu bầu:", timeout=60)
            api.press(user, user, ballot.message_id, ballot.button(f"☐ {choice}"))
            marked = await api.wait_for_message(_marked(choice), chat_id=user, timeout=30)
            api.press(user, user, marked.message_id, marked.button("Gửi phiếu"))
            review = await api.wait_for_message(chat_id=user, contains="sắp gửi phiếu", timeout=30)
            api.press(user, user, review.message_id, review.button("Xác nhận gửi phiếu"))
            await api.wait_for_message(chat_id=user, contains="Bot đã nhận phiếu bầu", timeout=30)
        # Everyone voted: the poll closes by itself and the result is posted.
        result = await api.wait_for_message(chat_id=GROUP, contains="Kết quả bình xét", timeout=60)
        text = result.plain or ""
        assert "Số phiếu: 4/4 đơn vị (100%); phiếu trắng: 0" in text
        assert "1. VSP – 3 phiếu (75%) ✅ đạt" in text
        assert "2. PVEP – 1 phiếu (25%)" in text
        api.send_text(ADMIN, ADMIN, "/start")
        await api.wait_for_message(chat_id=ADMIN, contains="Bot điều phối", timeout=60)
        api.press(ADMIN, GROUP, result.message_id, result.button("Biên bản kiểm phiếu"))
        sent = await api.wait_for_message(
            lambda m: m.document is not None, chat_id=ADMIN, timeout=60
        )
        assert sent.document is not None
        document = read_docx(io.BytesIO(api.file_content(sent.document["file_id"])))
        minutes = "\n".join(p.text for p in document.paragraphs)
        assert "BIÊN BẢN KIỂM PHIẾU" in minutes
        assert "Số phiếu thu về: 4 (100%); số phiếu hợp lệ: 4; số phiếu trắng: 0." in minutes
        assert "Kết luận: ứng viên đạt tỷ lệ theo quy định: VSP." in minutes
    finally:
        assert await _stop_bot(process) == 0
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        assert conn.execute("SELECT status FROM polls").fetchone() == ("closed",)
        box = conn.execute("SELECT ballots FROM ballot_boxes").fetchone()[0]
        assert box == "[[0], [0], [0], [1]]"
        assert [r[1] for r in conn.execute("PRAGMA table_info(ballot_boxes)")] == [
            "poll_id",
            "ballots",
        ]


async def test_open_ranked_poll_refusals_and_closing_after_a_restart(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    from tests.e2e.test_real_process import KHANH

    api.add_user(TUAN, "Tuấn", "Hoàng Anh")
    api.add_user(LAN, "Đỗ Thị Lan")
    clock_file = tmp_path / "clock"
    env = {"BOT_CLOCK_FILE": str(clock_file)}
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log", env)
    try:
        await api.wait_until_polling(timeout=30)
        await _seed(api)
        closes = (datetime.now(UTC) + timedelta(days=2)).astimezone(VN)
        api.send_text(
            ADMIN,
            GROUP,
            f"/binhchon Bình xét Bằng khen | 17:00 {closes:%d/%m/%Y} | xep_hang=co | bi_mat=khong",
        )
        poll = await api.wait_for_message(chat_id=GROUP, contains="Bình xét:", timeout=60)
        assert "xếp hạng tất cả ứng viên" in (poll.plain or "")
        api.send_text(DUC, DUC, "/start poll_1")
        ballot = await api.wait_for_message(chat_id=DUC, contains="Phiếu bầu:", timeout=60)
        for position, name in enumerate(("VSP", "GPV", "RVP"), start=1):
            button = next(b["text"] for b in ballot.buttons if b["text"].endswith(name))
            api.press(DUC, DUC, ballot.message_id, ballot.button(button))
            ballot = await api.wait_for_message(
                _ranked(f"{position}. {name}"), chat_id=DUC, timeout=30
            )
        api.press(DUC, DUC, ballot.message_id, ballot.button("Gửi phiếu"))
        review = await api.wait_for_message(chat_id=DUC, contains="VSP, GPV, RVP", timeout=30)
        api.press(DUC, DUC, review.message_id, review.button("Xác nhận gửi phiếu"))
        await api.wait_for_message(chat_id=DUC, contains="Bot đã nhận phiếu bầu", timeout=30)
        # Refusals: someone not on the roll, and an incomplete ranking forged in a payload.
        api.send_text(KHANH, KHANH, "/start poll_1")
        await api.wait_for_message(chat_id=KHANH, contains="không phải người bỏ phiếu", timeout=30)
        api.send_text(HA, HA, "/start poll_1")
        own = await api.wait_for_message(chat_id=HA, contains="Phiếu bầu:", timeout=30)
        api.press(HA, HA, own.message_id, "ps1:1:1", strict=False)
        answer = await api.wait_for_call(
            "answerCallbackQuery", lambda c: "xếp hạng đủ" in str(c.params.get("text")), timeout=30
        )
        assert answer.params.get("show_alert") is True
        # Down across the closing time: on start, the poll closes and its result is posted.
        assert await _stop_bot(process) == 0
        clock_file.write_text(str(3 * 24 * 3600))
        process = await _start_bot(api, tmp_path, tmp_path / "bot.log", env)
        result = await api.wait_for_message(chat_id=GROUP, contains="Kết quả bình xét", timeout=60)
        assert "1. VSP – 3 điểm" in (result.plain or "")
        assert "kết quả không hợp lệ" in (result.plain or "")  # 1 of 4 voted, below quorum
        api.send_text(TUAN, TUAN, "/start poll_1")
        await api.wait_for_message(chat_id=TUAN, contains="đã kết thúc bỏ phiếu", timeout=30)
    finally:
        assert await _stop_bot(process) == 0


def _ranked(label: str) -> Callable[[SentMessage], bool]:
    """Match the ballot once a candidate shows its rank."""

    def match(message: SentMessage) -> bool:
        return message.event == "edited" and any(b["text"] == label for b in message.buttons)

    return match
