"""The seed story's year-end report and draft confirmation, through the real bot process."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tests.e2e.test_real_process import (
    ADMIN,
    DUC,
    GROUP,
    HA,
    KHANH,
    _start_bot,
    _stop_bot,
)

if TYPE_CHECKING:
    from pathlib import Path

    from bot.local_api import LocalBotAPI

TUAN, LAN = 1004, 1005
TITLE = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
DRAFT = "Dự thảo báo cáo tổng hợp của Cụm thi đua số 1"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _in(days: int) -> str:
    """A deadline `days` from now at 17:00, written as a Vietnamese office would."""
    day = datetime.now(UTC).astimezone(VN) + timedelta(days=days)
    return f"17:00 {day:%d/%m/%Y}"


async def _reply(api: LocalBotAPI, user: int, chat: int, contains: str, text: str) -> None:
    """Answer the bot's latest question containing `contains` with a reply."""
    prompt = await api.wait_for_message(chat_id=chat, contains=contains)
    api.send_text(user, chat, text, reply_to=prompt.message_id)


async def test_seed_report_and_confirmation_story(api: LocalBotAPI, tmp_path: Path) -> None:
    api.add_user(TUAN, "Tuấn", "Hoàng Anh")
    api.add_user(LAN, "Đỗ Thị Lan")
    clock_file = tmp_path / "clock"

    def shifted() -> float:
        # People's messages carry dates on the same shifted clock as the bot's.
        text = clock_file.read_text() if clock_file.exists() else "0"
        return time.time() + float(text or 0)

    api.clock = shifted
    process = await _start_bot(
        api, tmp_path, tmp_path / "bot.log", {"BOT_CLOCK_FILE": str(clock_file)}
    )
    try:
        await api.wait_until_polling(timeout=30)
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
        api.send_text(ADMIN, GROUP, "/lead VSP")
        await api.wait_for_message(chat_id=GROUP, contains="Đơn vị cụm trưởng")
        api.send_text(ADMIN, GROUP, "/caidat")
        settings = await api.wait_for_message(chat_id=GROUP, contains="Cài đặt của cụm")
        api.press(ADMIN, GROUP, settings.message_id, settings.button("Tham gia tự do"))
        await api.wait_for_message(chat_id=GROUP, contains="ngay lập tức")
        for user, code in ((DUC, "PVEP"), (TUAN, "RVP"), (LAN, "GPV"), (HA, "VSP")):
            api.send_text(user, GROUP, "/thamgia")
            menu = await api.wait_for_message(chat_id=GROUP, contains="đơn vị nào")
            api.press(user, GROUP, menu.message_id, menu.button(code))
        approval = await api.wait_for_message(chat_id=GROUP, contains="xin làm đầu mối")
        api.press(ADMIN, GROUP, approval.message_id, approval.button("Duyệt"))
        await api.wait_for_message(chat_id=GROUP, contains="người duyệt")
        for user in (TUAN, LAN):
            api.send_text(user, user, "/start")
            await api.wait_for_message(chat_id=user, contains="Bot điều phối cụm thi đua")

        # The lead unit's liaison opens the year-end report request.
        api.send_text(HA, GROUP, f"/yeucau {TITLE} | {_in(2)}")
        request = await api.wait_for_message(chat_id=GROUP, contains="Yêu cầu báo cáo")
        assert "Chưa nộp: VSP, PVEP, RVP, GPV" in (request.plain or "")

        pvep = b"%PDF-1.7 PVEP 2022"
        api.send_document(DUC, GROUP, "BC PVEP 2022.pdf", pvep, reply_to=request.message_id)
        await api.wait_for_message(
            chat_id=GROUP, contains="✅ Đã nhận báo cáo của Tổng công ty Thăm dò"
        )
        rvp1, rvp2 = b"PK\x03\x04 RVP v1", b"PK\x03\x04 RVP v2"
        api.send_document(TUAN, TUAN, "BC RVP 2022.docx", rvp1)
        await api.wait_for_message(chat_id=TUAN, contains="✅ Đã nhận báo cáo")
        api.send_document(TUAN, GROUP, "BC RVP 2022 (sua).docx", rvp2, reply_to=request.message_id)
        await api.wait_for_message(chat_id=GROUP, contains="— bản 2")
        # Three days later Gazpromviet submits: late.
        clock_file.write_text(str(3 * 24 * 3600))
        gpv = b"%PDF-1.7 GPV 2022"
        api.send_document(LAN, GROUP, "BC GPV 2022.pdf", gpv, reply_to=request.message_id)
        late = await api.wait_for_message(
            chat_id=GROUP, contains="✅ Đã nhận báo cáo của Công ty TNHH Gazpromviet"
        )
        assert "nộp muộn" in (late.plain or "")

        # The secretariat returns PVEP's report and accepts the others.
        receipts = [m for m in api.sent(GROUP) if (m.plain or "").startswith("✅ Đã nhận")]
        by_unit = {
            "PVEP": next(m for m in receipts if "Thăm dò" in (m.plain or "")),
            "RVP": next(m for m in receipts if "bản 2" in (m.plain or "")),
            "GPV": next(m for m in receipts if "Gazpromviet" in (m.plain or "")),
        }
        notice = next(m for m in api.sent(GROUP) if "qua tin nhắn riêng" in (m.plain or ""))
        assert "RVP" in (notice.plain or "")
        api.press(
            ADMIN, GROUP, by_unit["PVEP"].message_id, by_unit["PVEP"].button("Yêu cầu bổ sung")
        )
        await _reply(api, ADMIN, GROUP, "nội dung đơn vị cần bổ sung", "Bổ sung số liệu quý IV")
        await api.wait_for_message(chat_id=GROUP, contains="đề nghị đơn vị PVEP bổ sung")
        for code in ("RVP", "GPV"):
            api.press(ADMIN, GROUP, by_unit[code].message_id, by_unit[code].button("Tiếp nhận"))
            await api.wait_for_message(
                chat_id=GROUP, contains=f"tiếp nhận báo cáo của đơn vị {code}"
            )

        # The draft consolidated report goes out for confirmation.
        draft = api.send_document(HA, GROUP, "Du thao BC tong hop.docx", b"PK\x03\x04 draft")
        api.send_text(
            HA, GROUP, f"/xacnhan {DRAFT} | {_in(6)}", reply_to=draft["message"]["message_id"]
        )
        confirmation = await api.wait_for_message(chat_id=GROUP, contains="Đề nghị xác nhận")
        for user in (HA, DUC, TUAN):
            api.press(user, GROUP, confirmation.message_id, confirmation.button("Xác nhận"))
        api.press(LAN, GROUP, confirmation.message_id, confirmation.button("Góp ý"))
        await api.wait_for_message(chat_id=LAN, contains="góp ý của đơn vị GPV")
        api.send_text(LAN, LAN, "Đề nghị bổ sung số liệu doanh thu quý IV của Gazpromviet")
        await api.wait_for_message(chat_id=LAN, contains="Đã ghi nhận góp ý")
        # The confirmation message catches up within one batching window (5 s).
        await api.wait_for_message(
            lambda m: (
                m.message_id == confirmation.message_id and "Có góp ý: GPV" in (m.plain or "")
            ),
            chat_id=GROUP,
            timeout=15,
        )
        api.send_text(KHANH, GROUP, "/units")
        await api.wait_for_message(chat_id=GROUP, contains="Đầu mối: Lê Thị Thu Hà")
    finally:
        assert await _stop_bot(process) == 0

    # The group's messages, as they stand now, say exactly that.
    shown = api.message(GROUP, confirmation.message_id)
    assert shown is not None
    assert "Đã xác nhận 3/4: VSP, PVEP, RVP" in shown["text"]
    assert "Có góp ý: GPV" in shown["text"]
    request_now = api.message(GROUP, request.message_id)
    assert request_now is not None
    assert "Đã nộp 2/4: RVP, GPV" in request_now["text"]
    assert "Cần bổ sung, hoàn thiện: PVEP" in request_now["text"]
    assert "Chưa nộp: VSP" in request_now["text"]

    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        rows = conn.execute(
            """SELECT u.code, s.version, s.review, s.late_seconds > 0, s.stored_name, s.sha256
               FROM submissions s JOIN units u ON u.id = s.unit_id ORDER BY s.id"""
        ).fetchall()
        answers = conn.execute(
            """SELECT u.code, c.status FROM confirmations c JOIN units u ON u.id = c.unit_id
               ORDER BY u.id"""
        ).fetchall()
    contents = {"PVEP_v1.pdf": pvep, "RVP_v1.docx": rvp1, "RVP_v2.docx": rvp2, "GPV_v1.pdf": gpv}
    assert [(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows] == [
        ("PVEP", 1, "returned", False, "PVEP_v1.pdf"),
        ("RVP", 1, "pending", False, "RVP_v1.docx"),
        ("RVP", 2, "accepted", False, "RVP_v2.docx"),
        ("GPV", 1, "accepted", True, "GPV_v1.pdf"),
    ]
    folder = tmp_path / "files" / "1" / "1"
    assert sorted(p.name for p in folder.iterdir()) == sorted(contents)
    for name, sha in ((r[4], r[5]) for r in rows):
        assert (folder / name).read_bytes() == contents[name]
        assert hashlib.sha256(contents[name]).hexdigest() == sha
    assert answers == [
        ("VSP", "confirmed"),
        ("PVEP", "confirmed"),
        ("RVP", "confirmed"),
        ("GPV", "commented"),
    ]
