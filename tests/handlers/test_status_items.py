"""/status <part of a title>: one item in detail, buttons when several match, long answers."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from bot.i18n import translator
from bot.services.status import build_status
from handlers.status import render_status
from tests.fakes import markup_buttons
from tests.handlers.test_polls import POLL
from tests.handlers.test_reports import PDF, TITLE, open_request, seed_with_liaisons
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

OTHER_TITLE = "Báo cáo phương hướng nhiệm vụ năm 2023"
MEETING = "Họp cụm thi đua tổng kết năm 2022"
NO_MATCH = "Không có đơn vị hay nội dung nào khớp với “{text}”."


async def return_with_comment(h: Harness, submission_id: int, comment: str) -> None:
    """The group admin returns a submission and gives the comment as a reply to the prompt."""
    await h.press(ADMIN, f"rv1:r:{submission_id}")
    prompt = h.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await h.say(ADMIN, comment, reply_to=reply_to)


def group_messages(h: Harness) -> list[str]:
    """New messages (not edits, not the board) the bot sent in the group."""
    return [str(c.params["text"]) for c in h.request.sent(GROUP_ID) if c.endpoint == "sendMessage"]


async def test_part_of_a_title_shows_that_item_in_detail(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness)
    await harness.say(ADMIN, f"/yeucau {OTHER_TITLE} | 17:00 20/11/2022")
    # PVEP: version 1 returned, then version 2 an hour later.
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, reply_to=request_message)
    await return_with_comment(harness, 1, "Bổ sung số liệu quý IV")
    harness.clock.at += timedelta(hours=1)
    await harness.send_file(DUC_PVEP, "PVEP_v2.pdf", PDF + b"v2", reply_to=request_message)
    # RVP: its only version returned, so it owes again.
    await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"rvp", reply_to=request_message)
    await return_with_comment(harness, 3, "Thiếu chữ ký của lãnh đạo & con dấu")
    assert await harness.rows("SELECT id, review FROM submissions ORDER BY id") == [
        (1, "returned"),
        (2, "pending"),
        (3, "returned"),
    ]

    await harness.say(OUTSIDER, "/tinhhinh báo cáo tổng kết")
    detail = harness.request.last_sent(GROUP_ID)
    lines = detail.split("\n")
    assert lines[0] == f"📋 <b>{TITLE}</b> – hạn 17:00 thứ Ba, 15/11/2022 – 1/4 đơn vị đã nộp"
    assert lines[1] == "Trạng thái: đang mở"
    assert lines[2] == ""
    assert lines[3:] == [
        "❌ VSP: chưa nộp",
        "   Đầu mối: Lê Thị Thu Hà",
        "✅ PVEP: đã nộp (bản 2, 11:00 20/10)",
        "   bản 1, 10:00 20/10 (đã trả lại); bản 2, 11:00 20/10",
        "↩️ RVP: cần bổ sung",
        "   Ý kiến: Thiếu chữ ký của lãnh đạo &amp; con dấu",
        "   Đầu mối: Tuấn Hoàng Anh",
        "❌ GPV: chưa nộp",
        "   Đầu mối: Đỗ Thị Lan",
    ]
    assert OTHER_TITLE not in detail
    # Without diacritics, and in another case, the same item.
    await harness.say(OUTSIDER, "/tinhhinh BAO CAO TONG KET")
    assert harness.request.last_sent(GROUP_ID) == detail
    await harness.say(OUTSIDER, "/status bao cao tong ket")
    assert harness.request.last_sent(GROUP_ID) == detail


async def test_several_matches_give_one_button_per_item(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(ADMIN, f"/yeucau {OTHER_TITLE} | 17:00 20/11/2022")
    await harness.say(ADMIN, f"/hop {MEETING} | 9:00 01/12/2022 | Vũng Tàu")
    await harness.say(ADMIN, f"/binhchon {POLL}")
    await harness.press(DUC_PVEP, "mt1:x:1")

    await harness.say(OUTSIDER, "/tinhhinh năm 2022")
    question = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    assert question.params["text"] == (
        "Có nhiều nội dung khớp với “năm 2022”. Xin chọn nội dung cần xem:"
    )
    buttons = markup_buttons(question)
    assert [data for _, data in buttons] == ["st1:r:1", "st1:m:1", "st1:p:1"]
    assert buttons[0][0] == "🔎 Báo cáo tổng kết công tác thi đua khen…"
    assert buttons[1][0] == f"🔎 {MEETING}"

    # Anyone in the group presses one: that item's detail comes as a new group message.
    sent = len(group_messages(harness))
    await harness.press(LAN_GPV, "st1:m:1")
    assert harness.request.answers()[-1].get("show_alert") is not True
    assert len(group_messages(harness)) == sent + 1
    detail = harness.request.last_sent(GROUP_ID)
    assert detail.startswith(f"📅 <b>{MEETING}</b> – ")
    assert "Trạng thái: đang mở" in detail
    assert "Địa điểm: Vũng Tàu" in detail
    assert "🚫 PVEP: vắng mặt" in detail
    assert "❔ VSP: chưa trả lời" in detail
    assert "   Đầu mối: Lê Thị Thu Hà" in detail
    # The secret poll in detail: turnout only.
    await harness.press(LAN_GPV, "st1:p:1")
    poll_detail = harness.request.last_sent(GROUP_ID)
    assert poll_detail.startswith("🗳 <b>Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022</b>")
    assert "▫️ GPV: chưa bỏ phiếu" in poll_detail

    # A forged payload: a polite alert, nothing sent, nothing changed.
    sent = len(group_messages(harness))
    await harness.press(LAN_GPV, "st1:r:999")
    answer = harness.request.answers()[-1]
    assert answer["show_alert"] is True
    assert str(answer["text"]).startswith(NO_MATCH.format(text="999"))
    assert len(group_messages(harness)) == sent
    assert await harness.scalar("SELECT COUNT(*) FROM requests") == 2

    # From another cluster's group, this cluster's item ids show nothing.
    harness.request.admins[OTHER_GROUP_ID] = [OUTSIDER.id]
    await harness.say(OUTSIDER, "/setup Cụm thi đua số 2 | 2022", chat_id=OTHER_GROUP_ID)
    harness.request.clear()
    for payload in ("st1:r:1", "st1:m:1", "st1:p:1"):
        await harness.press(OUTSIDER, payload, chat_id=OTHER_GROUP_ID)
        assert harness.request.answers()[-1]["show_alert"] is True, payload
    assert not [c for c in harness.request.calls if c.endpoint == "sendMessage"]
    # Nor does typing its title there.
    await harness.say(OUTSIDER, "/tinhhinh tổng kết", chat_id=OTHER_GROUP_ID)
    assert NO_MATCH.format(text="tổng kết") in harness.request.last_sent(OTHER_GROUP_ID)
    assert TITLE not in "".join(harness.request.texts())


async def test_long_status_is_split_at_line_ends(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    codes = [f"PVN-DONVI-THANHV-{n:02d}" for n in range(1, 61)]
    await harness.say(ADMIN, "/addunit " + "\n".join(f"{c} Đơn vị thành viên {c}" for c in codes))
    for n in range(1, 5):
        await harness.say(ADMIN, f"/yeucau Báo cáo chuyên đề số {n} | 17:00 {n + 10}/11/2022")
    await harness.say(ADMIN, f"/hop {MEETING} | 9:00 01/12/2022 | Vũng Tàu")
    harness.request.clear()

    await harness.say(OUTSIDER, "/tinhhinh")
    parts = harness.request.sent(GROUP_ID)
    assert len(parts) >= 2
    assert all(c.endpoint == "sendMessage" for c in parts)
    texts = [str(c.params["text"]) for c in parts]
    assert all(len(t) <= 4096 for t in texts)
    # Cut only between lines: put back together, the parts are the whole status.
    status = await build_status(harness.db, GROUP_ID)
    assert "\n".join(texts) == render_status(status, translator("vi"))
    # Every unit line is whole in one part: four requests and the meeting, for each unit.
    lines = [line for t in texts for line in t.split("\n")]
    for code in codes:
        assert lines.count(f"❌ {code}: chưa nộp") == 4
        assert lines.count(f"❔ {code}: chưa trả lời") == 1
    assert len([line for line in lines if line.startswith(("❌ PVN-", "❔ PVN-"))]) == 300
    # The item buttons come once, under the last part.
    assert [markup_buttons(c) != [] for c in parts] == [False] * (len(parts) - 1) + [True]
    assert len(markup_buttons(parts[-1])) == 5


async def test_unknown_text_is_answered_in_vietnamese(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(HA_VSP, "/tinhhinh Báo cáo quý III")
    text = harness.request.last_sent(GROUP_ID)
    assert text.startswith(NO_MATCH.format(text="Báo cáo quý III"))
    assert "/tinhhinh VSP để xem một đơn vị" in text
    await harness.say(HA_VSP, "/tinhhinh <b>x</b>")
    assert NO_MATCH.format(text="&lt;b&gt;x&lt;/b&gt;") in harness.request.last_sent(GROUP_ID)


async def test_closed_items_are_found_when_nothing_open_matches(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.press(ADMIN, "rq1:close:1")
    assert await harness.scalar("SELECT status FROM requests") == "closed"
    await harness.say(ADMIN, f"/poll {POLL} | bi_mat=khong")
    await harness.press(HA_VSP, "po1:1:1")
    await harness.press(ADMIN, "pm1:close:1")
    assert await harness.scalar("SELECT status FROM polls") == "closed"

    # /status alone lists only open items.
    await harness.say(OUTSIDER, "/tinhhinh")
    assert "Hiện không có nội dung nào đang mở." in harness.request.last_sent(GROUP_ID)

    await harness.say(OUTSIDER, "/tinhhinh tổng kết")
    detail = harness.request.last_sent(GROUP_ID)
    assert detail.startswith(f"📋 <b>{TITLE}</b>")
    assert "Trạng thái: đã đóng" in detail
    assert "✅ PVEP: đã nộp (bản 1, 10:00 20/10)" in detail
    assert "❌ GPV: chưa nộp" in detail
    # A closed open-ballot poll: who voted, never what.
    await harness.say(OUTSIDER, "/tinhhinh cờ thi đua")
    poll_detail = harness.request.last_sent(GROUP_ID)
    assert "Trạng thái: đã đóng" in poll_detail
    assert "🗳 VSP: đã bỏ phiếu" in poll_detail
    assert "▫️ PVEP: chưa bỏ phiếu" in poll_detail

    # Once an open item matches too, the open one is meant.
    await harness.say(ADMIN, "/yeucau Báo cáo tổng kết phong trào năm 2023 | 17:00 20/11/2022")
    await harness.say(OUTSIDER, "/tinhhinh tổng kết")
    detail = harness.request.last_sent(GROUP_ID)
    assert detail.startswith("📋 <b>Báo cáo tổng kết phong trào năm 2023</b>")
    assert "Trạng thái: đang mở" in detail


async def test_status_as_a_picture_when_the_cluster_wants_one(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness)
    await harness.send_file(DUC_PVEP, "BC PVEP.pdf", PDF, reply_to=request_message)
    await harness.press(ADMIN, "set1:picture:on")
    assert await harness.scalar("SELECT status_picture FROM clusters") == 1
    await harness.say(HA_VSP, "/tinhhinh")
    photo = next(c for c in reversed(harness.request.calls) if c.endpoint == "sendPhoto")
    ((_name, png),) = photo.uploads.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.width > 300
        assert image.height > 200
    assert "1/4 đơn vị đã nộp" in photo.params["caption"]
    assert [d for _, d in markup_buttons(photo)] == ["st1:r:1"]
    # One unit's status stays text.
    await harness.say(HA_VSP, "/tinhhinh PVEP")
    assert "✅ PVEP: đã nộp" in harness.request.last_sent(GROUP_ID)
