"""/status: every open item with each unit's state, and one unit across items."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from handlers import status as status_handler
from tests.handlers.test_reports import PDF, open_request, seed_with_liaisons
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, LAN_GPV, OUTSIDER, TUAN_RVP

if TYPE_CHECKING:
    from babel.support import NullTranslations

    from bot.services.status import Status


async def test_status_shows_every_item_and_each_unit(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"r")
    await harness.press(ADMIN, "rv1:r:2")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "Bổ sung chữ ký", reply_to=reply_to)
    harness.clock.at += timedelta(days=30)  # GPV submits after the deadline
    await harness.send_file(LAN_GPV, "GPV.pdf", PDF + b"g")
    await harness.say(ADMIN, "/hop Họp cụm | 9:00 01/12/2022 | Vũng Tàu")
    await harness.press(DUC_PVEP, "mt1:a:1")
    await harness.press(TUAN_RVP, "mt1:x:1")
    await harness.say(ADMIN, "/binhchon Bình xét 2022 | 17:00 10/12/2022")
    await harness.say(OUTSIDER, "/tinhhinh")
    text = harness.request.last_sent(GROUP_ID)
    assert text.startswith("📊 <b>Tình hình thực hiện của “Cụm thi đua số 1”</b>")
    assert "3/4 đơn vị đã nộp" not in text  # RVP was returned: it owes again
    assert "2/4 đơn vị đã nộp" in text
    assert "❌ VSP: chưa nộp" in text
    assert "✅ PVEP: đã nộp (bản 1, 10:00 20/10)" in text
    assert "↩️ RVP: cần bổ sung" in text
    assert "⏰ GPV: nộp muộn (bản 1, 10:00 19/11)" in text
    assert "👥 PVEP: tham dự" in text
    assert "🚫 RVP: vắng mặt" in text
    assert "❔ VSP: chưa trả lời" in text
    assert "0/4 đơn vị đã bỏ phiếu" in text
    assert "▫️ GPV: chưa bỏ phiếu" in text


async def test_status_for_one_unit_and_when_nothing_is_open(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(HA_VSP, "/status")
    assert "Hiện không có nội dung nào đang mở." in harness.request.last_sent(GROUP_ID)
    await open_request(harness)
    await harness.say(HA_VSP, "/status pvep")
    text = harness.request.last_sent(GROUP_ID)
    assert "❌ PVEP: chưa nộp" in text
    assert "VSP:" not in text
    await harness.say(HA_VSP, "/status XYZ")
    assert "Không có đơn vị hay nội dung nào khớp với “XYZ”" in harness.request.last_sent(GROUP_ID)


async def test_status_asked_twice_shows_what_changed_in_between(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The open items are kept between two reads (db/cache.py snapshots), and so is the text
    # rendered from them; a write forgets both.
    renders: list[str | None] = []
    render = status_handler.render_status

    def counting(status: Status, t: NullTranslations) -> str:
        renders.append(status.unit.code if status.unit is not None else None)
        return render(status, t)

    monkeypatch.setattr(status_handler, "render_status", counting)
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(OUTSIDER, "/tinhhinh")
    first = harness.request.last_sent(GROUP_ID)
    assert "0/4 đơn vị đã nộp" in first
    await harness.say(OUTSIDER, "/tinhhinh")
    assert harness.request.last_sent(GROUP_ID) == first
    await harness.say(OUTSIDER, "/tinhhinh PVEP")  # one unit: rendered on its own
    assert "VSP:" not in harness.request.last_sent(GROUP_ID)
    assert renders == [None, "PVEP"]
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.say(OUTSIDER, "/tinhhinh")
    assert "1/4 đơn vị đã nộp" in harness.request.last_sent(GROUP_ID)
    await harness.say(OUTSIDER, "/tinhhinh PVEP")
    assert "✅ PVEP: đã nộp" in harness.request.last_sent(GROUP_ID)
    assert renders == [None, "PVEP", None, "PVEP"]
