"""Meetings with RSVPs, and the reminder tick sending to the group and privately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.reminders import job_tick
from tests.fakes import Failure, markup_buttons
from tests.handlers.test_reports import TITLE, open_request, seed_with_liaisons
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, LAN_GPV, OUTSIDER, TUAN_RVP

MEETING = "Họp Cụm thi đua số 1 | 9:00 01/11/2022 | Phòng họp Vietsovpetro, Vũng Tàu"
DEADLINE = datetime(2022, 11, 15, 10, 0, tzinfo=UTC)


async def tick(h: Harness) -> None:
    """Run the reminder job as JobQueue would."""
    await job_tick(h.job_context())


async def test_meeting_message_answers_and_who_attends(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await harness.say(ADMIN, f"/hop {MEETING} | Thống nhất danh sách đề nghị khen thưởng")
    message = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    text = message.params["text"]
    assert "📅 <b>Cuộc họp: Họp Cụm thi đua số 1</b>" in text
    assert "Thời gian: 09:00 thứ Ba, 01/11/2022" in text
    assert "Nội dung: Thống nhất danh sách đề nghị khen thưởng" in text
    assert [b[0] for b in markup_buttons(message)][:2] == ["Tham dự", "Vắng mặt"]
    await harness.press(DUC_PVEP, "mt1:a:1")
    assert harness.request.answers()[-1]["text"] == "Đã ghi nhận: đơn vị PVEP tham dự."
    assert "Thành phần tham dự" in harness.request.last_sent(DUC_PVEP.id)
    await harness.say(DUC_PVEP, "Ông Nguyễn Văn A – Phó Tổng giám đốc", chat_id=DUC_PVEP.id)
    await harness.press(TUAN_RVP, "mt1:x:1")
    shown = harness.request.last_text(GROUP_ID)
    assert "Tham dự 1/4: PVEP (Ông Nguyễn Văn A – Phó Tổng giám đốc)" in shown
    assert "Vắng mặt: RVP" in shown
    assert "Chưa trả lời: VSP, GPV" in shown
    # Changing the answer is allowed until the start.
    await harness.press(TUAN_RVP, "mt1:a:1")
    assert await harness.rows(
        "SELECT u.code, r.status FROM rsvps r JOIN units u ON u.id = r.unit_id ORDER BY u.id"
    ) == [("PVEP", "attend"), ("RVP", "attend")]
    await harness.press(OUTSIDER, "mt1:a:1")
    assert harness.request.answers()[-1]["show_alert"] is True


async def test_answers_close_at_the_start_and_meetings_stay_on_record(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/meeting {MEETING}")
    harness.clock.at = datetime(2022, 11, 1, 2, 0, tzinfo=UTC)
    await harness.press(DUC_PVEP, "mt1:a:1")
    assert "đã bắt đầu hoặc đã kết thúc" in harness.request.answers()[-1]["text"]
    await harness.press(ADMIN, "mtm1:close:1")
    assert await harness.scalar("SELECT status FROM meetings") == "closed"


async def test_moving_and_cancelling_tell_the_units(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(LAN_GPV, "/start", chat_id=LAN_GPV.id)
    await harness.say(ADMIN, f"/meeting {MEETING}")
    await harness.press(DUC_PVEP, "mtm1:move:1")
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(ADMIN, "mtm1:move:1")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "14h 02/11/2022", reply_to=reply_to)
    assert await harness.scalar("SELECT starts_at FROM meetings") == "2022-11-02T07:00:00+00:00"
    assert "được chuyển sang 14:00 thứ Tư, 02/11/2022" in harness.request.last_sent(GROUP_ID)
    assert "now starts at 14:00 Wednesday, 02/11/2022" in harness.request.last_sent(LAN_GPV.id)
    await harness.press(ADMIN, "mtm1:cancel:1")
    assert "đã bị hủy" in harness.request.last_sent(GROUP_ID)
    assert await harness.scalar("SELECT status FROM meetings") == "cancelled"


async def test_reminder_goes_to_owing_units_in_the_group_and_privately(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await harness.say(TUAN_RVP, "/start", chat_id=TUAN_RVP.id)
    await open_request(harness, " | nhac=1d")
    await harness.send_file(TUAN_RVP, "RVP.pdf", b"%PDF rvp")
    harness.clock.at = DEADLINE - timedelta(days=1)
    await tick(harness)
    reminders = _reminders(harness)
    assert len(reminders) == 1
    reminder = reminders[0]
    assert reminder.startswith(f"⏰ Nhắc hạn: “{TITLE}” hết hạn lúc 17:00 thứ Ba, 15/11/2022.")
    assert "Các đơn vị chưa nộp: VSP, PVEP, GPV" in reminder
    assert f"tg://user?id={DUC_PVEP.id}" in reminder
    assert f"tg://user?id={TUAN_RVP.id}" not in reminder
    assert "Đơn vị của anh/chị (PVEP) chưa nộp." in harness.request.last_sent(DUC_PVEP.id)
    assert "Nhắc hạn" not in harness.request.last_sent(TUAN_RVP.id)
    sent = len(harness.request.sent())
    await tick(harness)  # again at the same moment: nothing twice
    assert len(harness.request.sent()) == sent


async def test_overdue_notice_tells_the_secretariat_privately(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(HA_VSP, "/start", chat_id=HA_VSP.id)
    await open_request(harness)
    harness.clock.at = DEADLINE + timedelta(minutes=1)
    await tick(harness)
    assert any(t.startswith("⛔ Quá hạn:") for t in harness.request.texts(GROUP_ID))
    assert "đã quá hạn. Các đơn vị chưa nộp: VSP, PVEP, RVP, GPV" in (
        harness.request.last_sent(HA_VSP.id)
    )


async def test_a_failed_send_is_not_recorded_and_goes_out_next_tick(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness, " | nhac=1d")
    harness.clock.at = DEADLINE - timedelta(days=1)
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error"))
    await tick(harness)
    assert (
        await harness.scalar("SELECT COUNT(*) FROM reminders_sent WHERE slot = 'before:86400'")
        == 0
    )
    await tick(harness)
    assert len(_reminders(harness)) == 1
    assert (
        await harness.scalar("SELECT COUNT(*) FROM reminders_sent WHERE slot = 'before:86400'")
        == 1
    )


async def test_a_person_who_blocked_the_bot_still_gets_the_group_mention(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await open_request(harness, " | nhac=1d")
    harness.clock.at = DEADLINE - timedelta(days=1)
    harness.request.fail(
        "sendMessage",
        Failure(403, "Forbidden: bot was blocked by the user", chat_id=DUC_PVEP.id),
    )
    await tick(harness)
    assert f"tg://user?id={DUC_PVEP.id}" in _reminders(harness)[-1]
    assert await harness.scalar("SELECT blocked FROM people WHERE user_id = ?", DUC_PVEP.id) == 1
    assert (
        await harness.scalar("SELECT COUNT(*) FROM reminders_sent WHERE slot = 'before:86400'")
        == 1
    )


def _reminders(h: Harness) -> list[str]:
    """Reminders Telegram accepted in the group (failed attempts are recorded too)."""
    return [
        str(c.params["text"])
        for c in h.request.sent(GROUP_ID)
        if c.result is not None and str(c.params["text"]).startswith("⏰ Nhắc hạn")
    ]


async def test_meeting_reminder_names_units_without_an_answer(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/meeting {MEETING} | nhac=2h")
    await harness.press(DUC_PVEP, "mt1:a:1")
    await harness.press(TUAN_RVP, "mt1:x:1")
    harness.clock.at = datetime(2022, 11, 1, 0, 0, tzinfo=UTC)  # 07:00, two hours before
    await tick(harness)
    reminder = [t for t in harness.request.texts(GROUP_ID) if t.startswith("⏰ Nhắc lịch họp")]
    assert len(reminder) == 1
    assert "Các đơn vị chưa đăng ký tham dự: VSP, GPV" in reminder[0]


async def test_reminder_settings_change_through_settings(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/caidat")
    view = harness.request.last_sent(GROUP_ID)
    assert "Nhắc trước hạn hoặc trước cuộc họp: 3 ngày, 1 ngày, 2 giờ" in view
    assert "Bản tin hằng ngày lúc: 08:00" in view
    assert "Giờ yên lặng (tạm hoãn tin nhắn riêng): 21:00–07:00" in view
    for key, answer in (
        ("offsets", "2 ngày; 4 giờ"),
        ("digest", "7h30"),
        ("quiet", "22:00-06:30"),
    ):
        await harness.press(ADMIN, f"set2:{key}")
        prompt = harness.request.last_message_id(GROUP_ID)
        reply_to = {
            "message_id": prompt,
            "date": 0,
            "chat": {"id": GROUP_ID, "type": "supergroup"},
        }
        await harness.say(ADMIN, answer, reply_to=reply_to)
    await harness.press(ADMIN, "set1:daily:off")
    assert await harness.rows(
        "SELECT reminder_offsets, digest_time, quiet_start, quiet_end, overdue_daily FROM clusters"
    ) == [("172800;14400", "07:30", "22:00", "06:30", 0)]
    await harness.press(DUC_PVEP, "set2:quiet")
    assert harness.request.answers()[-1]["show_alert"] is True


async def test_bad_reminder_settings_are_explained(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.press(ADMIN, "set2:quiet")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "tối", reply_to=reply_to)
    assert "chưa đọc được giờ yên lặng" in harness.request.last_sent(GROUP_ID)
    await harness.say(ADMIN, "21:30-06:00", reply_to=reply_to)  # the corrected answer counts
    assert await harness.scalar("SELECT quiet_start FROM clusters") == "21:30"
    await harness.say(ADMIN, f"/request {TITLE} | 17:00 15/11/2022 | nhac=ba ngày")
    assert "chưa đọc được thời điểm nhắc" in harness.request.last_sent(GROUP_ID)


async def test_a_failed_private_copy_does_not_resend_the_group_reminder(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await open_request(harness, " | nhac=1d")
    harness.clock.at = DEADLINE - timedelta(days=1)
    harness.request.fail(
        "sendMessage", Failure(400, "Bad Request: chat not found", chat_id=DUC_PVEP.id, times=5)
    )
    await tick(harness)
    await tick(harness)
    assert len(_reminders(harness)) == 1


async def test_cancelling_twice_announces_once(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/meeting {MEETING}")
    await harness.press(ADMIN, "mtm1:cancel:1")
    await harness.press(ADMIN, "mtm1:cancel:1")
    assert harness.request.answers()[-1]["show_alert"] is True
    cancelled = [t for t in harness.request.texts(GROUP_ID) if t.startswith("🚫 Cuộc họp")]
    assert len(cancelled) == 1
    await harness.press(ADMIN, "mtm1:close:1")
    assert await harness.scalar("SELECT status FROM meetings") == "cancelled"
