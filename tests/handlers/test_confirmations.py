"""Confirmations: units confirm or comment with buttons; progress is shown in batches."""

from __future__ import annotations

import asyncio

from telegram import Update

from tests.fakes import markup_buttons
from tests.handlers.test_reports import seed_with_liaisons
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, LAN_GPV, OUTSIDER, TUAN_RVP

DRAFT = "Dự thảo báo cáo tổng hợp kết quả công tác thi đua khen thưởng năm 2022 của Cụm"


async def open_confirmation(h: Harness, extra: str = "") -> int:
    """The lead's liaison asks units to confirm the draft, attached by replying to it."""
    draft = h.updates.document(HA_VSP, "Du thao BC tong hop Cum 1.docx", b"PK\x03\x04draft")
    await h.feed(draft)
    reply_to = draft["message"]
    await h.say(HA_VSP, f"/xacnhan {DRAFT} | 17:00 20/11/2022{extra}", reply_to=reply_to)
    return h.request.last_message_id(GROUP_ID)


async def test_confirmation_is_posted_with_document_and_buttons(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    message = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    text = message.params["text"]
    assert f"✍️ <b>Đề nghị xác nhận: {DRAFT}</b>" in text
    assert "Tài liệu kèm theo: Du thao BC tong hop Cum 1.docx" in text
    assert "Đã xác nhận 0/4: —" in text
    assert [b[0] for b in markup_buttons(message)][:2] == ["Xác nhận", "Góp ý"]
    assert message.params["reply_parameters"]["message_id"] > 0  # shown under the draft
    assert await harness.scalar("SELECT document_name FROM requests") == (
        "Du thao BC tong hop Cum 1.docx"
    )


async def test_confirm_presses_are_recorded_once_and_shown(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    for person in (HA_VSP, DUC_PVEP, TUAN_RVP):
        await harness.press(person, "cf1:c:1")
    assert harness.request.answers()[-1]["text"] == "Đã ghi nhận xác nhận của đơn vị RVP."
    await harness.press(TUAN_RVP, "cf1:c:1")
    assert harness.request.answers()[-1]["text"] == "Đơn vị RVP đã xác nhận trước đó."
    assert await harness.rows(
        "SELECT u.code, c.status FROM confirmations c JOIN units u ON u.id = c.unit_id "
        "ORDER BY u.id"
    ) == [("VSP", "confirmed"), ("PVEP", "confirmed"), ("RVP", "confirmed")]
    assert "Đã xác nhận 3/4: VSP, PVEP, RVP" in harness.request.last_text(GROUP_ID)
    assert "Chưa trả lời: GPV" in harness.request.last_text(GROUP_ID)


async def test_presses_by_people_who_may_not_answer(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness, " | don_vi=VSP;PVEP;RVP")
    await harness.press(OUTSIDER, "cf1:c:1")
    assert "chưa là đầu mối" in harness.request.answers()[-1]["text"]
    await harness.press(LAN_GPV, "cf1:c:1")
    assert "không áp dụng cho đơn vị GPV" in harness.request.answers()[-1]["text"]
    await harness.press(LAN_GPV, "cf1:g:1")
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(DUC_PVEP, "cf1:c:999")
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT COUNT(*) FROM confirmations") == 0
    assert await harness.scalar("SELECT COUNT(*) FROM dialogues") == 0


async def test_comment_is_asked_privately_and_recorded(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(LAN_GPV, "/start", chat_id=LAN_GPV.id)
    await open_confirmation(harness)
    await harness.press(LAN_GPV, "cf1:g:1")
    # Lan's Telegram is in English: the private prompt is in English.
    assert "Please write the comment of GPV" in harness.request.last_sent(LAN_GPV.id)
    comment = "Đề nghị bổ sung số liệu doanh thu quý IV của Gazpromviet"
    await harness.say(LAN_GPV, comment, chat_id=LAN_GPV.id)
    assert harness.request.last_sent(LAN_GPV.id).startswith("Recorded the comment of GPV")
    assert await harness.rows("SELECT status, comment FROM confirmations") == [
        ("commented", comment)
    ]
    assert "Có góp ý: GPV" in harness.request.last_text(GROUP_ID)


async def test_comment_in_the_group_when_private_chat_is_not_open(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    await harness.press(TUAN_RVP, "cf1:g:1")
    prompt = harness.request.last_message_id(GROUP_ID)
    assert "góp ý của đơn vị RVP" in harness.request.last_sent(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(TUAN_RVP, "Thống nhất, đề nghị sửa lỗi chính tả trang 3", reply_to=reply_to)
    assert await harness.scalar("SELECT status FROM confirmations") == "commented"


async def test_closed_confirmation_takes_no_answers(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    await harness.press(ADMIN, "rq1:close:1")
    await harness.press(DUC_PVEP, "cf1:c:1")
    assert "đã đóng" in harness.request.answers()[-1]["text"]
    assert await harness.scalar("SELECT COUNT(*) FROM confirmations") == 0


async def test_progress_edits_are_batched(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    harness.deps.live.interval = 0.3  # production uses 5 s; short here, same behaviour

    def edits() -> int:
        # The request message's edits (the pinned board has its own window).
        return len([c for c in harness.request.sent(GROUP_ID) if c.endpoint == "editMessageText"])

    before = edits()
    for person in (HA_VSP, DUC_PVEP, TUAN_RVP):
        update = harness.updates.callback(person, "cf1:c:1")
        await harness.app.process_update(Update.de_json(update, harness.app.bot))
    await asyncio.sleep(0.05)
    # The first press edits at once; the next two wait for the window to pass.
    assert edits() == before + 1
    await harness.deps.live.flush()
    # Then a single edit shows the latest state.
    assert edits() == before + 2
    assert "Đã xác nhận 3/4: VSP, PVEP, RVP" in harness.request.last_text(GROUP_ID)


async def test_confirming_after_a_comment_keeps_the_comment(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_confirmation(harness)
    await harness.press(TUAN_RVP, "cf1:g:1")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(TUAN_RVP, "Sửa lỗi chính tả trang 3", reply_to=reply_to)
    await harness.press(TUAN_RVP, "cf1:c:1")
    await harness.press(TUAN_RVP, "cf1:c:1")
    assert harness.request.answers()[-1]["text"] == "Đơn vị RVP đã xác nhận trước đó."
    assert await harness.rows("SELECT status, comment FROM confirmations") == [
        ("confirmed", "Sửa lỗi chính tả trang 3")
    ]


async def test_guided_confirmation_keeps_the_document_it_replied_to(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    draft = harness.updates.document(HA_VSP, "Ke hoach 2023.docx", b"PK\x03\x04 plan")
    await harness.feed(draft)
    await harness.say(HA_VSP, "/confirm", reply_to=draft["message"])
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(HA_VSP, "Kế hoạch hoạt động năm 2023 | 17:00 30/10/2022", reply_to=reply_to)
    assert await harness.rows("SELECT kind, document_name FROM requests") == [
        ("confirmation", "Ke hoach 2023.docx")
    ]
