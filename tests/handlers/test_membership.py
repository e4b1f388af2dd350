"""Liaisons joining their unit: /join with approval, open joining, invite links, roles."""

from __future__ import annotations

import re

from tests.fakes import markup_buttons
from tests.handlers.test_setup_flow import setup_seed_cluster
from tests.harness import Harness
from tests.updates import (
    ADMIN,
    DUC_PVEP,
    GROUP_ID,
    HA_VSP,
    LAN_GPV,
    OTHER_GROUP_ID,
    OUTSIDER,
    TUAN_RVP,
)


async def _unit_button(h: Harness, code: str) -> str:
    await h.say(OUTSIDER, "/join")
    buttons = dict(markup_buttons(h.request.sent(GROUP_ID)[-1]))
    return buttons[code]


async def _request_join(h: Harness, person: object, code: str) -> tuple[str, str]:
    """The person presses their unit; returns the approve and reject payloads posted."""
    data = await _unit_button(h, code)
    await h.press(person, data)
    posted = h.request.sent(GROUP_ID)[-1]
    buttons = dict(markup_buttons(posted))
    return buttons["Duyệt"], buttons["Từ chối"]


async def liaisons(h: Harness) -> list[tuple[int, str, str]]:
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in await h.rows(
            "SELECT l.user_id, u.code, l.via FROM liaisons l JOIN units u ON u.id = l.unit_id "
            "ORDER BY l.user_id"
        )
    ]


async def test_join_shows_unit_buttons(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(DUC_PVEP, "/thamgia")
    message = harness.request.sent(GROUP_ID)[-1]
    assert "Anh/chị là đầu mối của đơn vị nào?" in message.params["text"]
    buttons = markup_buttons(message)
    assert [b[0] for b in buttons] == ["VSP", "PVEP", "RVP", "GPV"]
    assert all(len(b[1].encode()) <= 64 and re.fullmatch(r"join1:\d+", b[1]) for b in buttons)


async def test_join_request_is_approved_by_an_admin(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    approve, _reject = await _request_join(harness, DUC_PVEP, "PVEP")
    assert harness.request.answers()[-1]["text"] == (
        "Đề nghị của anh/chị đã được gửi tới thường trực cụm."
    )
    posted = harness.request.last_text(GROUP_ID)
    assert "xin làm đầu mối của đơn vị <b>PVEP</b>" in posted
    assert f'href="tg://user?id={DUC_PVEP.id}"' in posted
    assert await liaisons(harness) == []
    # Nobody but the secretariat may approve — not even the person asking.
    await harness.press(DUC_PVEP, approve)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await liaisons(harness) == []
    await harness.press(ADMIN, approve)
    assert "✅ Anh/chị" in harness.request.last_text(GROUP_ID)
    assert "(người duyệt: Trần Văn Hải)" in harness.request.last_text(GROUP_ID)
    assert await liaisons(harness) == [(DUC_PVEP.id, "PVEP", "approved")]
    # A second press of the same button is told the request was handled.
    await harness.press(ADMIN, approve)
    assert harness.request.answers()[-1]["text"] == "Đề nghị này đã được xử lý trước đó."
    assert await liaisons(harness) == [(DUC_PVEP.id, "PVEP", "approved")]


async def test_join_request_rejected(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    _approve, reject = await _request_join(harness, OUTSIDER, "VSP")
    await harness.press(ADMIN, reject)
    assert "không được chấp thuận" in harness.request.last_text(GROUP_ID)
    assert await liaisons(harness) == []
    assert await harness.scalar("SELECT status FROM join_requests") == "rejected"


async def test_second_join_while_pending_is_refused(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await _request_join(harness, TUAN_RVP, "RVP")
    data = await _unit_button(harness, "GPV")
    await harness.press(TUAN_RVP, data)
    assert "đang chờ thường trực cụm duyệt" in harness.request.answers()[-1]["text"]
    assert await harness.scalar("SELECT COUNT(*) FROM join_requests") == 1


async def test_open_joining_attaches_at_once_and_one_unit_per_person(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.press(ADMIN, "set1:join:open")
    data = await _unit_button(harness, "GPV")
    await harness.press(LAN_GPV, data)
    assert "đã trở thành đầu mối của đơn vị <b>GPV</b>" in harness.request.last_text(GROUP_ID)
    assert await liaisons(harness) == [(LAN_GPV.id, "GPV", "open")]
    other = await _unit_button(harness, "RVP")
    await harness.press(LAN_GPV, other)
    assert "mỗi người chỉ làm đầu mối cho một đơn vị" in harness.request.answers()[-1]["text"]
    assert await liaisons(harness) == [(LAN_GPV.id, "GPV", "open")]


async def test_lead_unit_liaison_becomes_secretariat(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    approve, _ = await _request_join(harness, HA_VSP, "VSP")
    await harness.press(ADMIN, approve)
    await harness.say(HA_VSP, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
    assert "Đã thêm 1 đơn vị" in harness.request.last_text(GROUP_ID)
    # A liaison of another unit is not.
    approve, _ = await _request_join(harness, DUC_PVEP, "PVEP")
    await harness.press(HA_VSP, approve)  # the lead unit's liaison approves
    await harness.say(DUC_PVEP, "/addunit PVPOWER Tổng công ty Điện lực Dầu khí Việt Nam")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 5


async def test_forged_and_foreign_payloads_change_nothing(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await _request_join(harness, DUC_PVEP, "PVEP")
    request_id = await harness.scalar("SELECT id FROM join_requests")
    # A request id that does not exist, and a unit id of another cluster.
    await harness.press(ADMIN, "jr1:a:999999")
    assert harness.request.answers()[-1]["show_alert"] is True
    harness.request.admins[OTHER_GROUP_ID] = [OUTSIDER.id]
    await harness.say(OUTSIDER, "/setup Cụm thi đua số 2 | 2022", chat_id=OTHER_GROUP_ID)
    await harness.press(OUTSIDER, f"jr1:a:{request_id}", chat_id=OTHER_GROUP_ID)
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(OUTSIDER, "join1:1", chat_id=OTHER_GROUP_ID)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await liaisons(harness) == []
    assert await harness.scalar("SELECT status FROM join_requests WHERE id = ?", request_id) == (
        "pending"
    )


async def test_approval_tells_the_person_privately_when_they_started_the_bot(
    harness: Harness,
) -> None:
    await setup_seed_cluster(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    approve, _ = await _request_join(harness, DUC_PVEP, "PVEP")
    await harness.press(ADMIN, approve)
    assert "đã được chấp thuận" in harness.request.last_text(DUC_PVEP.id)


async def _invite_link(h: Harness, code: str) -> tuple[str, str]:
    """The admin (who opened the private chat) asks for a link; returns token and revoke data."""
    await h.say(ADMIN, f"/moi {code}")
    sent = h.request.sent(ADMIN.id)[-1]
    match = re.search(
        r"https://t\.me/cum_thi_dua_bot\?start=(inv_[A-Za-z0-9_-]{32})", sent.params["text"]
    )
    assert match is not None
    return match.group(1), dict(markup_buttons(sent))["Thu hồi đường dẫn"]


async def test_invite_link_attaches_whoever_opens_it_once(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    token, _revoke = await _invite_link(harness, "RVP")
    assert len(token) <= 64
    # The link itself never appears in the group, only a note that it was sent.
    assert "qua tin nhắn riêng" in harness.request.last_text(GROUP_ID)
    assert all("?start=" not in t for t in harness.request.texts(GROUP_ID))
    assert "chỉ dùng được một lần và hết hạn vào ngày 27/10/2022" in harness.request.last_text(
        ADMIN.id
    )
    await harness.say(TUAN_RVP, f"/start {token}", chat_id=TUAN_RVP.id)
    welcome = harness.request.last_text(TUAN_RVP.id)
    assert "Chào mừng anh/chị! Anh/chị đã trở thành đầu mối của đơn vị <b>RVP</b>" in welcome
    assert "(qua đường dẫn mời)" in harness.request.last_text(GROUP_ID)
    assert await liaisons(harness) == [(TUAN_RVP.id, "RVP", "invite")]
    assert await harness.scalar("SELECT started FROM people WHERE user_id = ?", TUAN_RVP.id) == 1
    # Opening it again is harmless; a forwarded copy attaches no one else.
    await harness.say(TUAN_RVP, f"/start {token}", chat_id=TUAN_RVP.id)
    assert "Anh/chị hiện đã là đầu mối của đơn vị <b>RVP</b>" in harness.request.last_text(
        TUAN_RVP.id
    )
    await harness.say(OUTSIDER, f"/start {token}", chat_id=OUTSIDER.id)
    assert "không còn hiệu lực" in harness.request.last_text(OUTSIDER.id)
    assert await liaisons(harness) == [(TUAN_RVP.id, "RVP", "invite")]


async def test_invite_expires_after_seven_days(harness: Harness) -> None:
    from datetime import timedelta

    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    token, _ = await _invite_link(harness, "GPV")
    harness.clock.at += timedelta(days=7, minutes=1)
    await harness.say(LAN_GPV, f"/start {token}", chat_id=LAN_GPV.id)
    assert "expires after 7 days" in harness.request.last_text(LAN_GPV.id)
    assert await liaisons(harness) == []


async def test_invite_needs_the_issuers_private_chat(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/invite RVP")
    text = harness.request.last_text(GROUP_ID)
    assert "Đường dẫn mời chỉ được gửi qua tin nhắn riêng" in text
    assert "https://t.me/cum_thi_dua_bot" in text
    assert "?start=inv_" not in text
    assert await harness.scalar("SELECT COUNT(*) FROM invites") == 0


async def test_invite_supersedes_a_pending_join_request(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await _request_join(harness, TUAN_RVP, "RVP")
    request_message = harness.request.last_message_id(GROUP_ID)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    token, _ = await _invite_link(harness, "RVP")
    await harness.say(TUAN_RVP, f"/start {token}", chat_id=TUAN_RVP.id)
    edit = harness.request.sent(GROUP_ID)[-1]
    assert edit.endpoint == "editMessageText"
    assert int(edit.params["message_id"]) == request_message
    assert "(qua đường dẫn mời)" in edit.params["text"]
    assert "reply_markup" not in edit.params  # the approve/reject buttons are gone
    assert await harness.scalar("SELECT status FROM join_requests") == "cancelled"


async def test_invite_is_sent_privately_in_the_issuers_language(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    await harness.press(ADMIN, "set1:plang:en", chat_id=ADMIN.id)
    await harness.say(ADMIN, "/invite PVEP")
    assert "Invitation link for the liaison of <b>PVEP</b>" in harness.request.last_text(ADMIN.id)
    assert "qua tin nhắn riêng" in harness.request.last_text(GROUP_ID)


async def test_revoked_invite_no_longer_works(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    token, revoke = await _invite_link(harness, "GPV")
    # A forged press by someone who is not secretariat changes nothing.
    await harness.press(OUTSIDER, revoke, chat_id=OUTSIDER.id)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT revoked_at FROM invites") is None
    await harness.press(ADMIN, revoke, chat_id=ADMIN.id)
    assert "Đã thu hồi đường dẫn mời của đơn vị GPV" in harness.request.last_text(ADMIN.id)
    await harness.say(LAN_GPV, f"/start {token}", chat_id=LAN_GPV.id)
    # Lan's Telegram is in English and she chose nothing: the refusal is in English.
    assert "no longer valid" in harness.request.last_text(LAN_GPV.id)
    assert await liaisons(harness) == []


async def test_guessed_invite_token_is_refused(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(OUTSIDER, "/start inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", chat_id=OUTSIDER.id)
    assert "không còn hiệu lực" in harness.request.last_text(OUTSIDER.id)
    assert await liaisons(harness) == []


async def test_invite_by_a_non_secretariat_is_refused(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(OUTSIDER, "/invite VSP")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM invites") == 0


async def test_invite_without_code_offers_buttons(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    await harness.say(ADMIN, "/invite")
    buttons = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))
    await harness.press(ADMIN, buttons["PVEP"])
    assert "Đường dẫn mời đầu mối của đơn vị <b>PVEP</b>" in harness.request.last_text(ADMIN.id)
    # The button is answered before the (paced) sends.
    answer_index = next(
        i for i, c in enumerate(harness.request.calls) if c.endpoint == "answerCallbackQuery"
    )
    send_index = max(i for i, c in enumerate(harness.request.calls) if c.endpoint == "sendMessage")
    assert answer_index < send_index
    await harness.say(OUTSIDER, "/invite")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)


async def test_units_show_liaisons_and_default_voter(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    approve, _ = await _request_join(harness, DUC_PVEP, "PVEP")
    await harness.press(ADMIN, approve)
    await harness.say(OUTSIDER, "/units")
    text = harness.request.last_text(GROUP_ID)
    assert 'Đầu mối: <a href="tg://user?id=1003">Phạm Minh Đức</a>' in text
    assert "Người bỏ phiếu: Phạm Minh Đức (đầu mối, do chưa chỉ định người bỏ phiếu)" in text


async def test_secretariat_names_the_voter_among_the_units_liaisons(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.press(ADMIN, "set1:join:open")
    for person in (DUC_PVEP, TUAN_RVP):
        await harness.press(person, await _unit_button(harness, "PVEP"))
    await harness.say(ADMIN, "/nguoibophieu PVEP")
    buttons = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))
    assert set(buttons) == {"Phạm Minh Đức", "Tuấn Hoàng Anh", "Đầu mối (mặc định)"}
    # Only the secretariat may choose; a liaison's press changes nothing.
    await harness.press(DUC_PVEP, buttons["Phạm Minh Đức"])
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT voter_user_id FROM units WHERE code = 'PVEP'") is None
    await harness.press(ADMIN, buttons["Tuấn Hoàng Anh"])
    assert "Anh/chị Tuấn Hoàng Anh sẽ bỏ phiếu thay mặt đơn vị <b>PVEP</b>." in (
        harness.request.last_text(GROUP_ID)
    )
    assert await harness.scalar("SELECT voter_user_id FROM units WHERE code = 'PVEP'") == (
        TUAN_RVP.id
    )
    # A forged payload naming someone who is not the unit's liaison is refused.
    pvep = await harness.scalar("SELECT id FROM units WHERE code = 'PVEP'")
    await harness.press(ADMIN, f"votp1:{pvep}:{OUTSIDER.id}")
    assert "phải là một trong các đầu mối" in harness.request.answers()[-1]["text"]
    await harness.press(ADMIN, buttons["Đầu mối (mặc định)"])
    assert await harness.scalar("SELECT voter_user_id FROM units WHERE code = 'PVEP'") is None


async def test_voter_of_a_unit_without_liaison_explains(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/voter")
    buttons = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))
    await harness.press(ADMIN, buttons["GPV"])
    assert "chưa có đầu mối" in harness.request.last_text(GROUP_ID)
    await harness.say(OUTSIDER, "/voter GPV")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)


async def test_open_joining_never_grants_the_lead_unit(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.press(ADMIN, "set1:join:open")
    await harness.press(OUTSIDER, await _unit_button(harness, "VSP"))
    # Liaisons of the lead unit are secretariat: approval is still needed.
    assert "xin làm đầu mối của đơn vị <b>VSP</b>" in harness.request.last_text(GROUP_ID)
    assert await liaisons(harness) == []
    await harness.say(OUTSIDER, "/addunit XX Đơn vị lạ")
    assert "chỉ thường trực cụm" in harness.request.last_text(GROUP_ID)


async def test_join_request_whose_buttons_never_reached_the_group_is_posted_again(
    harness: Harness,
) -> None:
    from tests.fakes import Failure

    await setup_seed_cluster(harness)
    data = await _unit_button(harness, "PVEP")
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error"))
    await harness.press(DUC_PVEP, data)
    assert await harness.scalar("SELECT message_id FROM join_requests") is None
    # Pressing again re-posts the request instead of saying it is waiting forever.
    await harness.press(DUC_PVEP, data)
    assert "xin làm đầu mối của đơn vị <b>PVEP</b>" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT message_id FROM join_requests") is not None
    assert await harness.scalar("SELECT COUNT(*) FROM join_requests") == 1


async def test_a_replayed_button_press_acts_once(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    approve, _ = await _request_join(harness, DUC_PVEP, "PVEP")
    press = await harness.press(ADMIN, approve)
    edits = len(harness.request.sent(GROUP_ID))
    await harness.feed(press)
    assert len(harness.request.sent(GROUP_ID)) == edits
    assert await liaisons(harness) == [(DUC_PVEP.id, "PVEP", "approved")]
    assert (
        await harness.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'join_approved'") == 1
    )
