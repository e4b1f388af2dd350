"""Nomination polls through real updates: secret ballots in private, open buttons, results."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING

from handlers.reminders import job_tick
from tests.fakes import markup_buttons
from tests.handlers.test_reports import seed_with_liaisons
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, LAN_GPV, OUTSIDER, TUAN_RVP

if TYPE_CHECKING:
    from pathlib import Path

POLL = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022 | 17:00 25/10/2022"
VOTERS = {"VSP": HA_VSP, "PVEP": DUC_PVEP, "RVP": TUAN_RVP, "GPV": LAN_GPV}


async def _vote_privately(h: Harness, person: object, choice: str) -> None:
    """Open the ballot from the deep link, mark one candidate, review and cast."""
    chat = person.id  # type: ignore[attr-defined]
    await h.say(person, "/start", chat_id=chat)
    await h.say(person, "/start poll_1", chat_id=chat)
    ballot = h.request.sent(chat)[-1]
    await h.press(
        person,
        dict((t.split(" ", 1)[1], d) for t, d in markup_buttons(ballot) if " " in t)[choice],
        chat_id=chat,
    )
    # The last button casts ("Gửi phiếu", or "Cast" for those who read English).
    review = markup_buttons(h.request.sent(chat)[-1])[-1][1]
    await h.press(person, review, chat_id=chat)
    cast = markup_buttons(h.request.sent(chat)[-1])[0][1]
    await h.press(person, cast, chat_id=chat)


async def test_secret_poll_from_opening_to_minutes(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    await harness.say(HA_VSP, f"/binhchon {POLL} | du_tat_ca=co")
    message = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    text = message.params["text"]
    assert "🗳 <b>Bình xét: Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022</b>" in text
    assert "Mỗi đơn vị 1 phiếu, chọn tối đa 1; không tự bầu; đạt khi ≥ 50% tổng số đơn vị" in text
    assert "bỏ phiếu kín" in text
    assert "Đã bỏ phiếu: 0/4 đơn vị" in text
    link = message.params["reply_markup"]["inline_keyboard"][0][0]
    assert link["url"] == "https://t.me/cum_thi_dua_bot?start=poll_1"
    # The ballot hides one's own unit.
    await harness.say(HA_VSP, "/start", chat_id=HA_VSP.id)
    await harness.say(HA_VSP, "/start poll_1", chat_id=HA_VSP.id)
    labels = [t for t, _ in markup_buttons(harness.request.sent(HA_VSP.id)[-1])]
    assert labels == ["☐ PVEP", "☐ RVP", "☐ GPV", "Gửi phiếu"]
    await _vote_privately(harness, HA_VSP, "PVEP")
    assert "Bot đã nhận phiếu bầu" in harness.request.last_text(HA_VSP.id)
    assert "Đã bỏ phiếu: 1/4 đơn vị" in harness.request.last_text(GROUP_ID)
    # A second ballot of the same unit is refused; an outsider is not on the roll.
    await harness.say(HA_VSP, "/start poll_1", chat_id=HA_VSP.id)
    assert "đã gửi phiếu kín" in harness.request.last_sent(HA_VSP.id)
    await harness.say(OUTSIDER, "/start poll_1", chat_id=OUTSIDER.id)
    assert "không phải người bỏ phiếu" in harness.request.last_sent(OUTSIDER.id)
    for code in ("PVEP", "RVP", "GPV"):
        await _vote_privately(harness, VOTERS[code], "VSP")
    await job_tick(harness.job_context())
    result = harness.request.last_sent(GROUP_ID)
    assert result.startswith("🗳 <b>Kết quả bình xét:")
    assert "Số phiếu: 4/4 đơn vị (100%); phiếu trắng: 0" in result
    assert "1. VSP – 3 phiếu (75%) ✅ đạt" in result
    assert "2. PVEP – 1 phiếu (25%)" in result
    posted = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    minutes = dict(markup_buttons(posted))["Biên bản kiểm phiếu"]
    await harness.press(OUTSIDER, minutes)
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(ADMIN, minutes)
    assert any(c.endpoint == "sendDocument" for c in harness.request.calls)
    assert await harness.scalar("SELECT status FROM polls") == "closed"


async def test_open_poll_buttons_in_the_group(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong | chon=2")
    buttons = dict(
        markup_buttons(
            [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
        )
    )
    assert {"VSP", "PVEP", "RVP", "GPV", "Phiếu trắng", "Kết thúc bỏ phiếu"} <= set(buttons)
    await harness.press(DUC_PVEP, buttons["VSP"])
    await harness.press(DUC_PVEP, buttons["RVP"])
    assert harness.request.answers()[-1]["text"] == "Đã ghi nhận phiếu của đơn vị PVEP: VSP, RVP"
    await harness.press(DUC_PVEP, buttons["PVEP"])  # own unit
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(TUAN_RVP, buttons["Phiếu trắng"])
    assert "Các đơn vị đã bỏ phiếu: PVEP, RVP" in harness.request.last_text(GROUP_ID)
    await harness.press(DUC_PVEP, buttons["Kết thúc bỏ phiếu"])
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(ADMIN, buttons["Kết thúc bỏ phiếu"])
    result = harness.request.last_sent(GROUP_ID)
    assert "Số phiếu: 2/4 đơn vị (50%); phiếu trắng: 1" in result
    assert "kết quả không hợp lệ" in result  # below the 2/3 quorum
    await harness.press(LAN_GPV, buttons["VSP"])
    assert "đã kết thúc bỏ phiếu" in harness.request.answers()[-1]["text"]


async def test_forged_ballot_payloads_are_refused(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL}")
    await harness.say(HA_VSP, "/start", chat_id=HA_VSP.id)
    # Casting VSP for VSP by a forged payload, and a poll that does not exist.
    await harness.press(HA_VSP, "ps1:1:0", chat_id=HA_VSP.id)
    assert "không được tự bầu" in harness.request.answers()[-1]["text"]
    await harness.press(HA_VSP, "ps1:99:1", chat_id=HA_VSP.id)
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(OUTSIDER, "ps1:1:1", chat_id=OUTSIDER.id)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT COUNT(*) FROM ballot_boxes") == 0


async def test_bad_poll_arguments_are_explained(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/binhchon Bình xét 2022")
    assert "thời hạn bỏ phiếu" in harness.request.last_sent(GROUP_ID)
    await harness.say(ADMIN, f"/binhchon {POLL} | nguong=150")
    assert "không phải tỷ lệ phần trăm" in harness.request.last_sent(GROUP_ID)
    await harness.say(DUC_PVEP, f"/binhchon {POLL}")
    assert "chỉ thường trực cụm" in harness.request.last_sent(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM polls") == 0


async def test_ranked_poll_is_ranked_in_private_and_counted_by_borda(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | xep_hang=co | bi_mat=khong | dai_bieu=0")
    posted = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    assert "xếp hạng tất cả ứng viên (tính điểm Borda)" in posted.params["text"]
    assert posted.params["reply_markup"]["inline_keyboard"][0][0]["url"].endswith("poll_1")
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await harness.say(DUC_PVEP, "/start poll_1", chat_id=DUC_PVEP.id)
    # PVEP ranks VSP, GPV, RVP (its own unit is not offered).
    for name in ("VSP", "GPV", "RVP"):
        buttons = dict(markup_buttons(harness.request.sent(DUC_PVEP.id)[-1]))
        await harness.press(DUC_PVEP, buttons[name], chat_id=DUC_PVEP.id)
    labels = [t for t, _ in markup_buttons(harness.request.sent(DUC_PVEP.id)[-1])]
    assert labels[:3] == ["1. VSP", "3. RVP", "2. GPV"]
    review = markup_buttons(harness.request.sent(DUC_PVEP.id)[-1])[-1][1]
    await harness.press(DUC_PVEP, review, chat_id=DUC_PVEP.id)
    assert "VSP, GPV, RVP" in harness.request.last_text(DUC_PVEP.id)
    cast = markup_buttons(harness.request.sent(DUC_PVEP.id)[-1])[0][1]
    await harness.press(DUC_PVEP, cast, chat_id=DUC_PVEP.id)
    await harness.press(ADMIN, "pm1:close:1")
    result = harness.request.last_sent(GROUP_ID)
    # Four candidates: first place 3 points, then 2, then 1, even with its own unit left out.
    assert "1. VSP – 3 điểm" in result
    assert "2. GPV – 2 điểm" in result
    assert "3. RVP – 1 điểm" in result


async def test_a_closed_poll_shows_its_result_again(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong")
    await harness.press(DUC_PVEP, "po1:1:0")
    await harness.press(ADMIN, "pm1:close:1")
    first = harness.request.last_sent(GROUP_ID)
    closed_view = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "editMessageText"][
        -1
    ]
    assert [t for t, _ in markup_buttons(closed_view)] == ["Kết quả", "Biên bản kiểm phiếu"]
    await harness.press(OUTSIDER, "pm1:result:1")
    assert harness.request.last_sent(GROUP_ID) == first
    assert len([t for t in harness.request.texts(GROUP_ID) if t == first]) == 2


async def test_private_ballot_buttons_are_refused_outside_the_private_chat(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL}")
    for payload in ("pb1:1:-:1", "pc1:1:1", "ps1:1:1"):
        await harness.press(DUC_PVEP, payload)  # pressed in the group
        assert harness.request.answers()[-1]["text"] == (
            "Phiếu bầu chỉ được điền trong tin nhắn riêng với bot."
        )
    # The group buttons of an open poll cannot cast a secret ballot either.
    await harness.press(DUC_PVEP, "po1:1:0")
    assert harness.request.answers()[-1]["show_alert"] is True
    # A forged index beyond the candidates is refused, not a crash.
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await harness.press(DUC_PVEP, "pb1:1:z:x", chat_id=DUC_PVEP.id)
    assert harness.request.answers()[-1]["show_alert"] is True
    assert await harness.scalar("SELECT COUNT(*) FROM ballot_boxes") == 0
    assert not [t for t in harness.request.texts(GROUP_ID) if "sắp gửi phiếu" in t]


async def test_a_result_that_failed_to_post_is_posted_by_the_next_tick(harness: Harness) -> None:
    from tests.fakes import Failure

    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong")
    await harness.press(DUC_PVEP, "po1:1:0")
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error", chat_id=GROUP_ID))
    await harness.press(ADMIN, "pm1:close:1")
    assert await harness.scalar("SELECT status, result_posted FROM polls") == "closed"
    assert await harness.scalar("SELECT result_posted FROM polls") == 0
    await job_tick(harness.job_context())
    assert harness.request.last_sent(GROUP_ID).startswith("🗳 <b>Kết quả bình xét:")
    assert await harness.scalar("SELECT result_posted FROM polls") == 1


async def test_the_twelfth_candidates_button_votes_for_that_candidate(harness: Harness) -> None:
    # Candidate buttons carry a base-36 index: the 12th is "b", which once also meant blank.
    await seed_with_liaisons(harness)
    names = ", ".join(f"Ông Nguyễn Văn {chr(ord('A') + i)}" for i in range(14))
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong | ung_vien={names}")
    buttons = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))
    await harness.press(DUC_PVEP, buttons["Ông Nguyễn Văn L"])
    assert harness.request.answers()[-1]["text"] == (
        "Đã ghi nhận phiếu của đơn vị PVEP: Ông Nguyễn Văn L"
    )
    assert await harness.scalar("SELECT marks FROM open_ballots") == "[11]"
    await harness.press(DUC_PVEP, buttons["Phiếu trắng"])
    assert await harness.scalar("SELECT marks FROM open_ballots") == "[]"


async def test_the_same_press_twice_at_once_counts_once_and_is_answered_once(
    harness: Harness,
) -> None:
    # Redelivered while the original is still being handled (updates run concurrently): the
    # twin finds it handled and leaves the answer to the original, which Telegram takes once.
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong")
    press = harness.updates.callback(DUC_PVEP, "po1:1:0")
    before = len(harness.request.answers())
    await asyncio.gather(harness.feed(press), harness.feed(press))
    answers = harness.request.answers()[before:]
    assert [a.get("text") for a in answers] == ["Đã ghi nhận phiếu của đơn vị PVEP: VSP"]
    assert await harness.scalar("SELECT marks FROM open_ballots") == "[0]"
    assert "Đã bỏ phiếu: 1/4 đơn vị" in harness.request.last_text(GROUP_ID)


async def test_a_press_answered_too_late_still_counts_and_says_no_error(harness: Harness) -> None:
    # Telegram refuses an answer after ~15 s ("query is too old"): the vote stands, once,
    # and nobody is told that something went wrong.
    from tests.fakes import Failure

    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong")
    stale = "Bad Request: query is too old and response timeout expired or query id is invalid"
    harness.request.fail("answerCallbackQuery", Failure(400, stale, times=2))
    press = await harness.press(DUC_PVEP, "po1:1:0")
    await harness.feed(press)  # delivered again later: already handled, answer refused too
    assert await harness.scalar("SELECT marks FROM open_ballots") == "[0]"
    assert not [t for t in harness.request.texts() if "đã có lỗi xảy ra" in t]
    assert [a for a in harness.request.answers() if a.get("show_alert")] == []


async def test_a_refused_press_delivered_again_after_a_restart_stays_refused(
    tmp_path: Path,
) -> None:
    # Refused ("too many choices"), then the bot dies before Telegram hears of it: the press
    # comes again after the restart, when the unit has freed a choice. The voter was told
    # "no"; the redelivery must not turn that into a vote nobody was told about.
    first = Harness(tmp_path)
    await first.start()
    try:
        await seed_with_liaisons(first)
        await first.say(ADMIN, f"/poll {POLL} | bi_mat=khong | chon=2")
        buttons = dict(markup_buttons(first.request.sent(GROUP_ID)[-1]))
        await first.press(DUC_PVEP, buttons["VSP"])
        await first.press(DUC_PVEP, buttons["RVP"])
        refused = await first.press(DUC_PVEP, buttons["GPV"])
        assert first.request.answers()[-1]["show_alert"] is True
        await first.press(DUC_PVEP, buttons["RVP"])  # RVP unmarked: one choice free again
        assert await first.scalar("SELECT marks FROM open_ballots") == "[0]"
    finally:
        await first.stop()

    second = Harness(tmp_path)  # the same database file
    second.updates._update_ids = itertools.count(700_000_001)
    await second.start()
    try:
        second.request.clear()
        await second.feed(refused)
        assert await second.scalar("SELECT marks FROM open_ballots") == "[0]"
        # Dropped as a redelivery before any handler (handlers/tracking.py): not a word.
        assert second.request.calls == []
    finally:
        await second.stop()
