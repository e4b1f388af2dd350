"""The pinned status board: posted when something opens, edited as things change, re-posted."""

from __future__ import annotations

import itertools
import logging
import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import Update

from bot.services import status as status_service
from handlers.common import BotContext
from handlers.reminders import job_tick
from tests.fakes import Call, Failure
from tests.handlers.test_polls import POLL, _vote_privately
from tests.handlers.test_reports import PDF, TITLE, open_request, seed_with_liaisons
from tests.harness import Harness
from tests.updates import (
    ADMIN,
    DUC_PVEP,
    GROUP_ID,
    HA_VSP,
    LAN_GPV,
    OUTSIDER,
    SEED_UNITS,
    TUAN_RVP,
)

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from bot.services.status import BoardState
    from db.connection import Database

HEADER = "📌 <b>Bảng tình hình – Cụm thi đua số 1</b>"
PIN_NOTICE = "“Ghim tin nhắn”"
LIAISONS = (HA_VSP, DUC_PVEP, TUAN_RVP, LAN_GPV)


async def board_id(h: Harness) -> int:
    """The board's message id as the database remembers it."""
    message_id = await h.scalar("SELECT message_id FROM status_boards")
    assert message_id is not None, "no board recorded"
    return int(message_id)


def board_sends(h: Harness) -> list[Call]:
    """Boards posted (new messages, not edits) in the group."""
    return [c for c in h.request.board_posts(GROUP_ID) if c.endpoint == "sendMessage"]


def board_edits(h: Harness) -> list[Call]:
    """Edits of the board in the group."""
    return [c for c in h.request.board_posts(GROUP_ID) if c.endpoint == "editMessageText"]


def pins(h: Harness) -> list[Call]:
    """Every pinChatMessage call."""
    return [c for c in h.request.calls if c.endpoint == "pinChatMessage"]


def last_board(h: Harness) -> str:
    """The text the board shows now."""
    posts = h.request.board_posts(GROUP_ID)
    assert posts, "the board was never posted"
    return str(posts[-1].params["text"])


def pin_notices(h: Harness) -> list[str]:
    """Messages telling the group the bot may not pin."""
    return [t for t in h.request.texts(GROUP_ID) if PIN_NOTICE in t]


def count_board_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each time the board reads its state (one entry per render)."""
    renders: list[int] = []
    load = status_service.load_board

    async def counting(db: Database, chat_id: int) -> BoardState | None:
        renders.append(chat_id)
        return await load(db, chat_id)

    monkeypatch.setattr(status_service, "load_board", counting)
    return renders


async def process_without_flush(h: Harness, data: dict[str, object]) -> None:
    """Handle one update as the running bot would, leaving batched edits pending."""
    await h.app.process_update(Update.de_json(data, h.app.bot))


async def test_no_board_until_something_opens_then_one_pinned_board(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await harness.say(ADMIN, "/addunit " + SEED_UNITS)
    await harness.say(ADMIN, "/lead VSP")
    await harness.say(OUTSIDER, "/tinhhinh")
    assert harness.request.board_posts(GROUP_ID) == []
    assert pins(harness) == []
    assert await harness.scalar("SELECT COUNT(*) FROM status_boards") == 0

    await harness.say(ADMIN, f"/yeucau {TITLE} | 17:00 15/11/2022")
    posted = board_sends(harness)
    assert len(posted) == 1
    assert board_edits(harness) == []
    message_id = int(posted[0].result["message_id"])
    assert await board_id(harness) == message_id
    # Pinned quietly: the group is not notified of the pin.
    assert [c.params for c in pins(harness)] == [
        {"chat_id": GROUP_ID, "message_id": message_id, "disable_notification": True}
    ]
    assert harness.request.pinned[GROUP_ID] == message_id
    text = str(posted[0].params["text"])
    assert text.startswith(HEADER + "\n\n")
    assert f"📋 <b>{TITLE}</b> – hạn 17:00 thứ Ba, 15/11/2022 – 0/4 đơn vị đã nộp" in text
    assert "❌ Chưa nộp: VSP, PVEP, RVP, GPV" in text
    assert text.endswith("<i>Cập nhật lúc 10:00 20/10/2022. Gõ /tinhhinh để xem chi tiết.</i>")
    # The request's own message came first; the board follows it.
    group = harness.request.sent(GROUP_ID, board=True)
    assert group[-1] is posted[0]
    assert group[-2].params["text"].startswith("📋 <b>Yêu cầu báo cáo:")
    assert pin_notices(harness) == []


async def test_a_change_edits_the_same_board_and_no_change_edits_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    board = await board_id(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    edits = board_edits(harness)
    assert len(edits) == 1
    assert int(edits[0].params["message_id"]) == board
    assert "1/4 đơn vị đã nộp" in edits[0].params["text"]
    assert "❌ Chưa nộp: VSP, RVP, GPV" in edits[0].params["text"]
    assert len(board_sends(harness)) == 1
    stored_hash = await harness.scalar("SELECT body_hash FROM status_boards")

    # Reading the status, asking for help, a duplicate file, a second identical answer:
    # handled group updates, none of which changes what the board shows.
    posts = len(harness.request.board_posts(GROUP_ID))
    renders = count_board_renders(monkeypatch)
    harness.clock.at += timedelta(minutes=5)  # the footer's time would differ
    await harness.say(OUTSIDER, "/status")
    await harness.say(DUC_PVEP, "/help")
    await harness.send_file(DUC_PVEP, "PVEP (1).pdf", PDF)
    assert "trùng với bản 1" in harness.request.last_sent(GROUP_ID)
    await harness.say(DUC_PVEP, "/tinhhinh PVEP")
    # Reading commands leave the board alone; after the duplicate file it was looked at and
    # its stored hash said "unchanged".
    assert len(renders) == 1
    assert len(harness.request.board_posts(GROUP_ID)) == posts
    assert await harness.scalar("SELECT body_hash FROM status_boards") == stored_hash
    assert await board_id(harness) == board
    assert len(pins(harness)) == 1


async def test_a_burst_of_changes_makes_few_edits_and_ends_on_the_latest_state(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/hop Họp cụm thi đua | 9:00 01/12/2022 | Vũng Tàu")
    board = await board_id(harness)
    meeting_message = await harness.scalar("SELECT message_id FROM meetings")
    assert "❔ Chưa trả lời: VSP, PVEP, RVP, GPV" in last_board(harness)
    harness.request.clear()
    interval = 1.0
    harness.deps.live.interval = interval

    started = time.monotonic()
    for n in range(50):
        # The four liaisons toggle absent / attend in turn: every press changes the state.
        answer = "x" if (n // 4) % 2 == 0 else "a"
        person = LIAISONS[n % 4]
        await process_without_flush(harness, harness.updates.callback(person, f"mt1:{answer}:1"))
    elapsed = time.monotonic() - started
    await harness.deps.live.flush()

    # Last answers: VSP and PVEP absent (presses 48, 49), RVP and GPV attending (46, 47).
    assert await harness.rows(
        "SELECT u.code, r.status FROM rsvps r JOIN units u ON u.id = r.unit_id ORDER BY u.id"
    ) == [("VSP", "absent"), ("PVEP", "absent"), ("RVP", "attend"), ("GPV", "attend")]
    edits = board_edits(harness)
    # One edit at once, at most one per interval after it, and the last one at the flush.
    assert 1 <= len(edits) <= 5, (len(edits), elapsed)
    assert len(edits) <= elapsed / interval + 2
    assert {int(c.params["message_id"]) for c in edits} == {board}
    assert board_sends(harness) == []
    final = last_board(harness)
    assert "4/4 đơn vị đã trả lời" in final
    assert "🚫 Vắng mặt: VSP, PVEP" in final
    assert "Chưa trả lời" not in final
    # The meeting's own message is batched the same way.
    meeting_edits = [
        c
        for c in harness.request.sent(GROUP_ID)
        if c.endpoint == "editMessageText" and int(c.params["message_id"]) == meeting_message
    ]
    assert 1 <= len(meeting_edits) <= 5


async def test_deleted_board_is_posted_again_and_pinned(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness)
    old = await board_id(harness)
    harness.request.fail(
        "editMessageText",
        Failure(400, "Bad Request: message to edit not found", chat_id=GROUP_ID, message_id=old),
    )
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    # The request's message was edited as usual; the board's edit failed and it came back.
    assert any(
        c.endpoint == "editMessageText"
        and int(c.params["message_id"]) == request_message
        and "Đã nộp 1/4: PVEP" in c.params["text"]
        for c in harness.request.sent(GROUP_ID)
    )
    failed, reposted = harness.request.board_posts(GROUP_ID)[-2:]
    assert failed.endpoint == "editMessageText"
    assert int(failed.params["message_id"]) == old
    assert reposted.endpoint == "sendMessage"
    assert "1/4 đơn vị đã nộp" in reposted.params["text"]
    new = int(reposted.result["message_id"])
    assert new != old
    assert await board_id(harness) == new
    assert pins(harness)[-1].params == {
        "chat_id": GROUP_ID,
        "message_id": new,
        "disable_notification": True,
    }
    assert harness.request.pinned[GROUP_ID] == new
    # From now on the new board is the one edited.
    await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"rvp")
    last = harness.request.board_posts(GROUP_ID)[-1]
    assert last.endpoint == "editMessageText"
    assert int(last.params["message_id"]) == new
    assert "❌ Chưa nộp: VSP, GPV" in last.params["text"]
    assert len(board_sends(harness)) == 2


async def test_pin_refused_tells_the_group_once(harness: Harness) -> None:
    harness.request.can_pin = False
    await seed_with_liaisons(harness)
    await open_request(harness)
    assert len(board_sends(harness)) == 1
    assert len(pins(harness)) == 1
    notices = pin_notices(harness)
    assert len(notices) == 1
    assert notices[0].startswith("Bot chưa ghim được bảng tình hình ở trên.")
    assert await harness.scalar("SELECT pin_warned FROM status_boards") == 1
    # The board is deleted twice; each time it comes back, the pin is tried, nobody is told.
    for person, content in ((DUC_PVEP, PDF), (TUAN_RVP, PDF + b"rvp")):
        old = await board_id(harness)
        harness.request.fail(
            "editMessageText",
            Failure(
                400, "Bad Request: message to edit not found", chat_id=GROUP_ID, message_id=old
            ),
        )
        await harness.send_file(person, f"{person.id}.pdf", content)
        assert await board_id(harness) != old
    assert len(board_sends(harness)) == 3
    assert len(pins(harness)) == 3
    assert len(pin_notices(harness)) == 1
    assert GROUP_ID not in harness.request.pinned
    assert "2/4 đơn vị đã nộp" in last_board(harness)


async def test_board_edit_refused_with_403_neither_crashes_nor_posts(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/hop Họp cụm thi đua | 9:00 01/12/2022 | Vũng Tàu")
    board = await board_id(harness)
    stored_hash = await harness.scalar("SELECT body_hash FROM status_boards")
    kicked = "Forbidden: bot was kicked from the supergroup chat"
    # The bot was removed: every edit of the board is refused from now on.
    harness.request.fail(
        "editMessageText", Failure(403, kicked, chat_id=GROUP_ID, message_id=board, times=100)
    )
    # An answer by button: the meeting's message is edited, then the board (refused).
    with caplog.at_level(logging.INFO):
        await harness.press(DUC_PVEP, "mt1:x:1")
    assert await harness.scalar("SELECT status FROM rsvps") == "absent"
    refused = harness.request.board_posts(GROUP_ID)[-1]
    assert refused.endpoint == "editMessageText"
    assert "🚫 Vắng mặt: PVEP" in refused.params["text"]
    assert len(board_sends(harness)) == 1
    assert len(pins(harness)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Nothing recorded: the board still points at its message, with the old text's hash.
    assert await board_id(harness) == board
    assert await harness.scalar("SELECT body_hash FROM status_boards") == stored_hash
    # Gone, and the group refuses a new one too: still no crash, nothing recorded.
    harness.request.failures.clear()
    gone = "Bad Request: message to edit not found"
    harness.request.fail(
        "editMessageText", Failure(400, gone, chat_id=GROUP_ID, message_id=board, times=100)
    )
    harness.request.fail("sendMessage", Failure(403, kicked, chat_id=GROUP_ID, times=100))
    before = len(harness.request.board_posts(GROUP_ID))
    with caplog.at_level(logging.INFO):
        await harness.press(TUAN_RVP, "mt1:x:1")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    attempts = [c.endpoint for c in harness.request.board_posts(GROUP_ID)[before:]]
    assert attempts[:2] == ["editMessageText", "sendMessage"]
    assert set(attempts) == {"editMessageText", "sendMessage"}
    assert len(pins(harness)) == 1
    assert await board_id(harness) == board
    assert await harness.scalar("SELECT body_hash FROM status_boards") == stored_hash


async def test_restart_does_not_edit_an_unchanged_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Harness(tmp_path)
    await first.start()
    try:
        await seed_with_liaisons(first)
        await open_request(first)
        await first.send_file(DUC_PVEP, "PVEP.pdf", PDF)
        board = await board_id(first)
        shown = last_board(first)
    finally:
        await first.stop()

    second = Harness(tmp_path)  # the same database file
    renders = count_board_renders(monkeypatch)
    # Telegram's update ids go on increasing across the restart.
    second.updates._update_ids = itertools.count(600_000_001)
    await second.start()
    try:
        second.clock.at += timedelta(hours=2)  # only the footer's time would differ
        await second.say(OUTSIDER, "/tinhhinh")  # reading: the board is not even looked at
        await second.send_file(DUC_PVEP, "PVEP (1).pdf", PDF)  # a duplicate: looked at
        assert len(renders) == 1
        assert second.request.board_posts(GROUP_ID) == []
        assert pins(second) == []
        # A real change edits the board posted before the restart.
        await second.send_file(TUAN_RVP, "RVP.pdf", PDF + b"rvp")
        edits = board_edits(second)
        assert len(edits) == 1
        assert int(edits[0].params["message_id"]) == board
        assert "2/4 đơn vị đã nộp" in edits[0].params["text"]
        assert edits[0].params["text"].split("\n\n")[1] != shown.split("\n\n")[1]
        assert board_sends(second) == []
    finally:
        await second.stop()


async def test_secret_poll_board_shows_turnout_never_a_choice(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(HA_VSP, f"/binhchon {POLL}")
    assert "▫️ Chưa bỏ phiếu: VSP, PVEP, RVP, GPV" in last_board(harness)
    await _vote_privately(harness, HA_VSP, "PVEP")
    assert "1/4 đơn vị đã bỏ phiếu" in last_board(harness)
    assert "▫️ Chưa bỏ phiếu: PVEP, RVP, GPV" in last_board(harness)
    await _vote_privately(harness, DUC_PVEP, "VSP")
    final = last_board(harness)
    assert "2/4 đơn vị đã bỏ phiếu" in final
    assert "▫️ Chưa bỏ phiếu: RVP, GPV" in final
    # The units that voted, and the candidates they chose, appear nowhere.
    assert "VSP" not in final
    assert "PVEP" not in final
    codes = re.compile(r"\b(VSP|PVEP|RVP|GPV)\b")
    for call in harness.request.board_posts(GROUP_ID):
        for line in str(call.params["text"]).split("\n"):
            if codes.search(line):
                assert line.startswith("▫️ Chưa bỏ phiếu: "), line
        assert "phiếu (" not in call.params["text"]  # no "1 phiếu (25%)" count per candidate


async def test_board_of_a_large_cluster_fits_one_message(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    units = "\n".join(
        f"PVN-DONVI-THANHV-{n:02d} Đơn vị thành viên số {n} của Tập đoàn" for n in range(1, 41)
    )
    await harness.say(ADMIN, "/addunit " + units)
    for n in range(1, 11):
        await harness.say(
            ADMIN,
            f"/yeucau Báo cáo chuyên đề số {n} về phong trào thi đua lao động sáng tạo, "
            "phát huy sáng kiến cải tiến kỹ thuật và hợp lý hóa sản xuất trong toàn Tập đoàn "
            f"Dầu khí Quốc gia Việt Nam năm 2022 | 17:00 {n + 10}/11/2022",
        )
    assert await harness.scalar("SELECT COUNT(*) FROM requests WHERE status = 'open'") == 10
    posts = harness.request.board_posts(GROUP_ID)
    assert len(board_sends(harness)) == 1
    assert len(posts) == 10  # posted for the first item, edited for each next one
    for call in posts:
        assert len(call.params["text"]) <= 4096
    final = last_board(harness)
    body, footer = final.rsplit("\n\n", 1)
    assert footer.startswith("<i>Cập nhật lúc ")
    shown = final.count("📋 <b>Báo cáo chuyên đề số ")
    assert 1 <= shown <= 10
    if shown < 10:
        more = body.rsplit("\n\n", 1)[1]
        assert more == f"… và {10 - shown} nội dung khác: gõ /tinhhinh để xem tất cả."
    # Long lists are cut so that more items fit: 11 codes, then how many more.
    missing = [line for line in body.split("\n") if line.startswith("❌ Chưa nộp: ")]
    assert len(missing) == shown
    for line in missing:
        names = line.removeprefix("❌ Chưa nộp: ").split(", ")
        assert len(names) == 12
        assert names[-1] == "và 29 đơn vị khác"


async def test_poll_closed_by_the_reminder_tick_leaves_the_board(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/binhchon {POLL}")
    assert "0/4 đơn vị đã bỏ phiếu" in last_board(harness)
    harness.clock.at += timedelta(days=10)  # past the poll's closing time
    await job_tick(BotContext(harness.app))  # a job's context is a BotContext too
    await harness.deps.live.flush()
    assert await harness.scalar("SELECT status FROM polls") == "closed"
    assert last_board(harness).startswith(HEADER + "\n\nHiện không có nội dung nào đang mở.")
    assert len(board_sends(harness)) == 1


async def test_switching_the_board_off_says_so_on_it_and_unpins_it(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    message_id = await board_id(harness)
    assert harness.request.pinned[GROUP_ID] == message_id
    await harness.press(ADMIN, "set1:board:off")
    retired = board_edits(harness)[-1]
    assert int(retired.params["message_id"]) == message_id
    assert retired.params["text"] == "📌 Bảng tình hình đã tắt. Gõ /tinhhinh để xem tình hình."
    assert GROUP_ID not in harness.request.pinned
    assert await harness.scalar("SELECT board_enabled FROM clusters") == 0
    # Later changes leave the old message alone.
    before = len(harness.request.board_posts(GROUP_ID))
    await harness.send_file(
        DUC_PVEP, "BC PVEP.pdf", PDF, reply_to=harness.request.last_message_id(GROUP_ID)
    )
    assert len(harness.request.board_posts(GROUP_ID)) == before
