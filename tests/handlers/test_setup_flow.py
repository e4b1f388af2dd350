"""Set-up of the seed cluster through real updates: /setup, /addunit, /lead, /units, /settings."""

from __future__ import annotations

import json

import pytest

from tests.fakes import Failure, markup_buttons
from tests.harness import Harness
from tests.updates import (
    ADMIN,
    DUC_PVEP,
    GROUP_ID,
    HA_VSP,
    OTHER_GROUP_ID,
    OUTSIDER,
    SEED_UNITS,
)


async def setup_seed_cluster(h: Harness, *, lead: bool = True) -> None:
    """The group admin registers Cluster No. 1 with its four units and VSP as lead."""
    await h.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await h.say(ADMIN, "/addunit " + SEED_UNITS)
    if lead:
        await h.say(ADMIN, "/lead VSP")
    h.request.clear()


async def test_setup_registers_the_group_and_explains_next_steps(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    text = harness.request.last_text(GROUP_ID)
    assert "Nhóm đã được đăng ký là cụm thi đua “Cụm thi đua số 1” (năm 2022)." in text
    assert "/themdonvi" in text
    # Not an admin and privacy mode on: the bot says it cannot see documents and how to fix it.
    assert "chưa thể nhận tài liệu" in text and "/setprivacy" in text
    assert await harness.rows("SELECT chat_id, name, year, locale, tz FROM clusters") == [
        (GROUP_ID, "Cụm thi đua số 1", 2022, "vi", "Asia/Ho_Chi_Minh")
    ]


async def test_setup_says_documents_are_visible_when_bot_is_admin(harness: Harness) -> None:
    harness.request.bot_status = "administrator"
    await harness.say(ADMIN, "/thietlap Cụm thi đua số 1")
    text = harness.request.last_text(GROUP_ID)
    assert "Bot có thể nhận tài liệu gửi trong nhóm này." in text
    # Without a year, the current year in Vietnam is taken.
    assert await harness.scalar("SELECT year FROM clusters") == 2022


async def test_setup_by_a_non_admin_is_refused_and_changes_nothing(harness: Harness) -> None:
    await harness.say(OUTSIDER, "/setup Cụm của tôi | 2022")
    assert "chỉ quản trị viên của nhóm" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM clusters") == 0


async def test_setup_in_private_chat_is_refused(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1", chat_id=ADMIN.id)
    assert "Lệnh này dùng trong nhóm" in harness.request.last_text(ADMIN.id)
    assert await harness.scalar("SELECT COUNT(*) FROM clusters") == 0


async def test_setup_with_bad_year_explains_and_changes_nothing(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | hai nghìn")
    text = harness.request.last_text(GROUP_ID)
    assert "Năm “hai nghìn” không hợp lệ" in text and "/thietlap Cụm thi đua số 1 | 2022" in text
    assert await harness.scalar("SELECT COUNT(*) FROM clusters") == 0


async def test_setup_again_renames_the_cluster(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 PVN | 2023")
    assert "Đã đổi tên cụm thành “Cụm thi đua số 1 PVN” (năm 2023)." in (
        harness.request.last_text(GROUP_ID)
    )
    assert await harness.rows("SELECT name, year FROM clusters") == [
        ("Cụm thi đua số 1 PVN", 2023)
    ]


async def test_setup_without_arguments_asks_then_takes_the_reply(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup")
    prompt = harness.request.sent(GROUP_ID)[-1]
    assert "trả lời tin nhắn này bằng tên cụm" in prompt.params["text"]
    assert json.loads(json.dumps(prompt.params["reply_markup"]))["force_reply"] is True
    prompt_id = harness.request.last_message_id(GROUP_ID)
    # Chatter that is not a reply to the prompt is not taken as the answer.
    await harness.say(ADMIN, "Chào cả nhà")
    assert await harness.scalar("SELECT COUNT(*) FROM clusters") == 0
    reply_to = {"message_id": prompt_id, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "Cụm thi đua số 1 | 2022", reply_to=reply_to)
    assert await harness.rows("SELECT name, year FROM clusters") == [("Cụm thi đua số 1", 2022)]


async def test_cancel_ends_a_dialogue(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup")
    await harness.say(ADMIN, "/huy")
    assert harness.request.last_text(GROUP_ID) == "Đã hủy."
    await harness.say(ADMIN, "/cancel")
    assert harness.request.last_text(GROUP_ID) == "Không có thao tác nào đang chờ để hủy."


async def test_addunit_adds_the_four_seed_units(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, "/themdonvi " + SEED_UNITS)
    text = harness.request.last_text(GROUP_ID)
    assert text.startswith("Đã thêm 4 đơn vị:")
    assert "<b>RVP</b> – Công ty TNHH Liên doanh Rusvietpetro" in text
    assert await harness.rows("SELECT code, name FROM units ORDER BY id") == [
        ("VSP", "Liên doanh Việt – Nga Vietsovpetro"),
        ("PVEP", "Tổng công ty Thăm dò khai thác Dầu khí"),
        ("RVP", "Công ty TNHH Liên doanh Rusvietpetro"),
        ("GPV", "Công ty TNHH Gazpromviet"),
    ]


async def test_addunit_again_keeps_existing_units(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(
        ADMIN,
        "/addunit VSP Liên doanh Việt – Nga Vietsovpetro\n"
        "pvep Tổng công ty Thăm dò khai thác Dầu khí\n"
        "PVPOWER Tổng công ty Điện lực Dầu khí Việt Nam",
    )
    text = harness.request.last_text(GROUP_ID)
    assert "Đã thêm 1 đơn vị:" in text and "giữ nguyên: VSP, PVEP" in text
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 5


async def test_addunit_with_a_bad_line_adds_nothing(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(
        ADMIN, "/addunit VSP Liên doanh Việt – Nga Vietsovpetro\nĐơn_vị Không mã hợp lệ"
    )
    text = harness.request.last_text(GROUP_ID)
    assert "Dòng 2" in text and "Chưa có đơn vị nào được thêm." in text
    await harness.say(ADMIN, "/addunit VSP\n")
    assert "thiếu tên đầy đủ" in harness.request.last_text(GROUP_ID)
    await harness.say(ADMIN, "/addunit VSP Một\nVSP Hai")
    assert "mã VSP bị lặp lại" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 0


async def test_addunit_refuses_a_code_taken_by_another_name(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/addunit VSP Vietsovpetro mới\nBSR Công ty Lọc hóa dầu Bình Sơn")
    assert "Mã VSP đã được dùng cho đơn vị" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 4


async def test_addunit_without_a_cluster_says_how_to_set_up(harness: Harness) -> None:
    await harness.say(ADMIN, "/addunit VSP Vietsovpetro")
    assert "chưa được đăng ký là cụm thi đua" in harness.request.last_text(GROUP_ID)


async def test_addunit_by_an_outsider_is_refused(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(OUTSIDER, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM units WHERE code = 'BSR'") == 0


async def test_addunit_dialogue_takes_lines_in_the_reply(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, "/addunit")
    prompt_id = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt_id, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, SEED_UNITS, reply_to=reply_to)
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 4


async def test_lead_by_code_and_unknown_code(harness: Harness) -> None:
    await setup_seed_cluster(harness, lead=False)
    await harness.say(ADMIN, "/cumtruong XYZ")
    assert "Cụm không có đơn vị nào mang mã XYZ" in harness.request.last_text(GROUP_ID)
    await harness.say(ADMIN, "/lead vsp")
    assert "Đơn vị cụm trưởng: <b>VSP</b>" in harness.request.last_text(GROUP_ID)
    assert (
        await harness.scalar("SELECT u.code FROM clusters c JOIN units u ON u.id = c.lead_unit_id")
        == "VSP"
    )


async def test_lead_without_argument_offers_buttons(harness: Harness) -> None:
    await setup_seed_cluster(harness, lead=False)
    await harness.say(ADMIN, "/lead")
    buttons = markup_buttons(harness.request.sent(GROUP_ID)[-1])
    assert [text for text, _ in buttons] == ["VSP", "PVEP", "RVP", "GPV"]
    pvep_data = buttons[1][1]
    # An outsider's press is refused with an alert and changes nothing.
    await harness.press(OUTSIDER, pvep_data)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT lead_unit_id FROM clusters") is None
    await harness.press(ADMIN, pvep_data)
    assert (
        await harness.scalar("SELECT u.code FROM clusters c JOIN units u ON u.id = c.lead_unit_id")
        == "PVEP"
    )


async def test_units_lists_units_liaisons_and_lead(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(OUTSIDER, "/donvi")
    text = harness.request.last_text(GROUP_ID)
    assert "<b>Cụm thi đua số 1</b>" in text
    assert "1. <b>VSP</b> – Liên doanh Việt – Nga Vietsovpetro (cụm trưởng)" in text
    assert text.count("Đầu mối: chưa có") == 4


async def test_settings_switch_language_and_join_policy(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/caidat")
    view = harness.request.sent(GROUP_ID)[-1]
    assert "Cài đặt của cụm" in view.params["text"]
    data = dict(markup_buttons(view))
    await harness.press(ADMIN, data["English"])
    assert "Settings of the cluster" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT locale FROM clusters") == "en"
    await harness.say(OUTSIDER, "/units")
    assert "Liaisons: none yet" in harness.request.last_text(GROUP_ID)
    await harness.press(ADMIN, data["Tham gia tự do"])
    assert await harness.scalar("SELECT join_policy FROM clusters") == "open"


async def test_settings_refused_to_non_secretariat(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(DUC_PVEP, "/settings")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)
    await harness.press(DUC_PVEP, "set1:lang:en")
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT locale FROM clusters") == "vi"


async def test_private_settings_choose_the_persons_language(harness: Harness) -> None:
    await harness.say(HA_VSP, "/settings", chat_id=HA_VSP.id)
    assert "chọn ngôn ngữ" in harness.request.last_text(HA_VSP.id)
    await harness.press(HA_VSP, "set1:plang:en", chat_id=HA_VSP.id)
    assert harness.request.last_text(HA_VSP.id) == "From now on I will write to you in English."
    await harness.say(HA_VSP, "/help", chat_id=HA_VSP.id)
    assert "In this private chat" in harness.request.last_text(HA_VSP.id)


async def test_commands_are_per_cluster(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    # Another group's admins are not this cluster's; its data stays separate.
    harness.request.admins[OTHER_GROUP_ID] = [OUTSIDER.id]
    await harness.say(OUTSIDER, "/setup Cụm thi đua số 2 | 2022", chat_id=OTHER_GROUP_ID)
    await harness.say(
        OUTSIDER, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn", chat_id=OTHER_GROUP_ID
    )
    await harness.say(OUTSIDER, "/units", chat_id=OTHER_GROUP_ID)
    text = harness.request.last_text(OTHER_GROUP_ID)
    assert "BSR" in text and "VSP" not in text
    await harness.say(OUTSIDER, "/addunit XX Không được")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)


async def test_a_replayed_command_acts_once(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    update = await harness.say(ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
    sent_before = len(harness.request.sent(GROUP_ID))
    await harness.feed(update)
    assert len(harness.request.sent(GROUP_ID)) == sent_before
    assert await harness.scalar("SELECT COUNT(*) FROM units WHERE code = 'BSR'") == 1


async def test_an_edited_command_is_not_run_again(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn", edited=True)
    assert harness.request.sent(GROUP_ID) == []
    assert await harness.scalar("SELECT COUNT(*) FROM units WHERE code = 'BSR'") == 0


async def test_group_admins_are_cached_and_refreshed_on_member_change(harness: Harness) -> None:
    await setup_seed_cluster(harness)

    def admin_lookups() -> int:
        return len([c for c in harness.request.calls if c.endpoint == "getChatAdministrators"])

    await harness.say(ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
    assert admin_lookups() == 0  # still cached from set-up
    # Khánh is promoted: the cache is dropped and his next command is allowed.
    harness.request.admins[GROUP_ID].append(OUTSIDER.id)
    await harness.feed(harness.updates.chat_member(OUTSIDER, "administrator"))
    await harness.say(OUTSIDER, "/addunit PVPOWER Tổng công ty Điện lực Dầu khí Việt Nam")
    assert admin_lookups() == 1
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 6


async def test_error_in_telegram_call_is_reported_politely(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    harness.request.fail("getChatAdministrators", Failure(500, "Internal Server Error"))
    harness.deps.admins.invalidate(GROUP_ID)
    await harness.say(ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
    assert "đã có lỗi xảy ra" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM units WHERE code = 'BSR'") == 0


async def test_a_corrected_dialogue_answer_still_counts(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, "/addunit")
    reply_to = {
        "message_id": harness.request.last_message_id(GROUP_ID),
        "date": 0,
        "chat": {"id": GROUP_ID, "type": "supergroup"},
    }
    await harness.say(ADMIN, "VSP", reply_to=reply_to)
    assert "thiếu tên đầy đủ" in harness.request.last_text(GROUP_ID)
    await harness.say(ADMIN, "VSP Liên doanh Việt – Nga Vietsovpetro", reply_to=reply_to)
    assert await harness.scalar("SELECT code FROM units") == "VSP"


async def test_no_prompt_or_buttons_for_people_who_may_not_act(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    for command in ("/addunit", "/lead", "/invite", "/voter", "/settings"):
        await harness.say(OUTSIDER, command)
        assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID), command
    assert not any(c.params.get("reply_markup") for c in harness.request.sent(GROUP_ID))
    assert await harness.scalar("SELECT COUNT(*) FROM dialogues") == 0
    await harness.say(OUTSIDER, "/setup")
    assert "chỉ quản trị viên của nhóm" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM dialogues") == 0


async def test_refusal_alerts_are_plain_text(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.press(OUTSIDER, "lead1:2")
    alert = harness.request.answers()[-1]
    assert alert["show_alert"] is True
    assert "<" not in alert["text"]
    assert alert["text"].startswith("Xin lỗi anh/chị, chỉ thường trực cụm")


@pytest.mark.parametrize("separator", [" ", ": ", " - ", " – ", " — ", " | ", "\t"])
async def test_addunit_accepts_the_usual_separators(harness: Harness, separator: str) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, f"/addunit VSP{separator}Liên doanh Việt – Nga Vietsovpetro")
    assert await harness.rows("SELECT code, name FROM units") == [
        ("VSP", "Liên doanh Việt – Nga Vietsovpetro")
    ]


async def test_two_interleaved_updates_commit_and_roll_back_independently(
    harness: Harness,
) -> None:
    """Through the Application: one /addunit fails mid-transaction, the other commits."""
    import asyncio

    await setup_seed_cluster(harness)
    failing = harness.updates.message(
        ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn\nVSP Tên khác của Vietsovpetro"
    )
    passing = harness.updates.message(ADMIN, "/addunit PVPOWER Tổng công ty Điện lực Dầu khí")
    await asyncio.gather(harness.feed(failing), harness.feed(passing))
    assert await harness.rows("SELECT code FROM units WHERE code IN ('BSR', 'PVPOWER')") == [
        ("PVPOWER",)
    ]
    texts = harness.request.texts(GROUP_ID)
    assert any("Mã VSP đã được dùng" in t for t in texts)
    assert any("Đã thêm 1 đơn vị" in t for t in texts)
