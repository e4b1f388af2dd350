"""Answers recorded without a read-back: the view a liaison is shown is what was stored.

Confirmations and RSVPs write with COMMIT and put the answer into the view in memory
(db/confirmations.upsert_answer, db/meetings.upsert_rsvp); the stored row follows SQL rules
(a comment kept when confirming after one, attendees kept unless new ones are given, an
absence clears them). After each answer the view must equal a fresh read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services import confirmations, meetings, requests
from tests.services.test_submissions import CHAT, NOW, _seed

if TYPE_CHECKING:
    from pathlib import Path

LIAISON = 3  # Phạm Minh Đức, PVEP


async def test_confirmation_answers_shown_are_the_answers_stored(tmp_path: Path) -> None:
    db, _candidate = await _seed(tmp_path)
    try:
        opened = await requests.open_request(
            db,
            chat_id=CHAT,
            kind="confirmation",
            text="Dự thảo báo cáo tổng hợp | 17:00 01/12/2022",
            user_id=1,
            is_group_admin=True,
            now=NOW,
        )
        rid = opened.request.id
        steps = [
            (False, "Đề nghị bổ sung số liệu quý IV"),
            (True, None),  # confirming after a comment keeps the comment on record
            (True, None),  # the same again: nothing changes
            (False, "Đã bổ sung, đề nghị xem lại"),
        ]
        for update_id, (confirm, comment) in enumerate(steps, start=1):
            answered = await confirmations.answer(
                db,
                chat_id=CHAT,
                request_id=rid,
                user_id=LIAISON,
                confirm=confirm,
                comment=comment,
                now=NOW,
                update_id=update_id,
            )
            stored = await requests.get_view(db, CHAT, rid)
            assert answered.view.answers == stored.answers
        final = stored.answers[answered.unit.id]
        assert (final.status, final.comment) == ("commented", "Đã bổ sung, đề nghị xem lại")
    finally:
        await db.close()


async def test_meeting_answers_shown_are_the_answers_stored(tmp_path: Path) -> None:
    db, _candidate = await _seed(tmp_path)
    try:
        scheduled = await meetings.schedule_meeting(
            db,
            chat_id=CHAT,
            text="Hội nghị tổng kết Cụm thi đua số 1 | 8:30 05/12/2022 | Vũng Tàu",
            user_id=1,
            is_group_admin=True,
            now=NOW,
        )
        mid = scheduled.meeting.id
        steps = [
            (True, None),  # attending, names not given yet: ''
            (True, "Ông Nguyễn Văn A, Bà Trần Thị B"),
            (True, None),  # pressed again: the names stay
            (False, None),  # absent: the names go
            (True, None),  # attending again: none until given
        ]
        for update_id, (attend, names) in enumerate(steps, start=1):
            view, _unit, _changed = await meetings.answer(
                db,
                chat_id=CHAT,
                meeting_id=mid,
                user_id=LIAISON,
                attend=attend,
                attendees=names,
                now=NOW,
                update_id=update_id,
            )
            stored = await meetings.get_meeting_view(db, CHAT, mid)
            assert view.rsvps == stored.rsvps, f"step {update_id}"
        assert [(r.status, r.attendees) for r in stored.rsvps.values()] == [("attend", "")]
    finally:
        await db.close()
