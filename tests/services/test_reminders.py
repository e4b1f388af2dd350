"""Reminder planning over a real database with an injected clock: no sleeps, no Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from bot.services import clusters, meetings, membership, reminders, requests
from bot.services.membership import PersonInfo
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

    from bot.services.reminders import Due

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2022, 11, 10, 3, 0, tzinfo=UTC)  # 10:00 Thursday in Hà Nội
DEADLINE = datetime(2022, 11, 15, 10, 0, tzinfo=UTC)  # 17:00 Tuesday
CHAT = -1001500000001


async def _cluster(tmp_path: Path) -> Database:
    db = await Database.open(tmp_path / "bot.sqlite3")
    await clusters.setup_cluster(
        db,
        chat_id=CHAT,
        text="Cụm thi đua số 1 | 2022",
        user_id=1,
        is_group_admin=True,
        locale="vi",
        tz=VN,
        now=T0,
    )
    await clusters.add_units(
        db,
        chat_id=CHAT,
        text="VSP Vietsovpetro\nPVEP Tổng công ty Thăm dò khai thác Dầu khí",
        user_id=1,
        is_group_admin=True,
        now=T0,
    )
    await clusters.update_settings(
        db, chat_id=CHAT, user_id=1, is_group_admin=True, now=T0, join_policy="open"
    )
    await membership.request_join(
        db, chat_id=CHAT, unit_id=2, info=PersonInfo(3, "Phạm Minh Đức"), now=T0
    )
    return db


async def _request(db: Database, extra: str = "", now: datetime = T0) -> int:
    view = await requests.open_request(
        db,
        chat_id=CHAT,
        kind="report",
        text=f"Báo cáo tổng kết | 17:00 15/11/2022{extra}",
        user_id=1,
        is_group_admin=True,
        now=now,
    )
    return view.request.id


async def _tick(
    db: Database, now: datetime, items: tuple[str, ...] = ("request", "meeting")
) -> tuple[list[Due], datetime | None]:
    """What the job does, minus Telegram: take what is due and record it as sent.

    Returns what would be sent for the given item kinds (the daily digest is a cluster
    item, looked at in its own test).
    """
    due, next_at = await reminders.due_now(db, now)
    for item in due:
        await reminders.mark_done(db, item, now)
    return [d for d in due if d.kind != "skip" and d.item_kind in items], next_at


async def test_reminders_come_at_their_offsets_and_only_once(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db)
    sent, next_at = await _tick(db, T0)
    assert sent == []
    # The next wake-up is tomorrow's 08:00 digest, which comes before the first reminder.
    assert next_at == datetime(2022, 11, 11, 1, 0, tzinfo=UTC)
    assert (await _tick(db, DEADLINE - timedelta(days=3, seconds=1)))[0] == []
    sent, next_at = await _tick(db, DEADLINE - timedelta(days=3))
    assert [(d.kind, [s.name for s in d.slots]) for d in sent] == [("before", ["before:259200"])]
    assert [u.code for u in sent[0].owing] == ["VSP", "PVEP"]
    assert [p.user_id for p in sent[0].people] == [3]
    assert next_at == datetime(2022, 11, 13, 1, 0, tzinfo=UTC)  # the next digest
    # The same moment again (a restart): nothing is sent twice.
    again, _ = await _tick(db, DEADLINE - timedelta(days=3))
    assert again == []
    await db.close()


async def test_missed_reminders_make_one_catch_up(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db)
    await _tick(db, DEADLINE - timedelta(days=3))
    # Down from D-2d to D-1h: the 1-day and 2-hour reminders were missed.
    sent, _ = await _tick(db, DEADLINE - timedelta(hours=1))
    assert len(sent) == 1
    assert sent[0].catch_up
    assert [s.name for s in sent[0].slots] == ["before:86400", "before:7200"]
    assert (await _tick(db, DEADLINE - timedelta(minutes=30)))[0] == []
    await db.close()


async def test_after_the_deadline_only_the_overdue_notice_then_daily(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db)
    # Down across the deadline: no stale "due soon" reminders, one overdue notice.
    sent, next_at = await _tick(db, DEADLINE + timedelta(hours=1))
    assert [d.kind for d in sent] == ["overdue"]
    assert next_at == datetime(2022, 11, 16, 1, 0, tzinfo=UTC)  # 08:00 next day
    sent, _ = await _tick(db, datetime(2022, 11, 16, 1, 0, tzinfo=UTC), ("request", "cluster"))
    assert sorted(d.kind for d in sent) == ["daily", "digest"]
    await db.close()


async def test_nobody_owing_means_no_reminder(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db, " | don_vi=PVEP")
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO submissions (request_id, unit_id, version, user_id, submitted_at,
                   file_name, file_id, file_unique_id, storage)
               VALUES (1, 2, 1, 3, ?, 'a.pdf', 'f', 'u', 'stored')""",
            (T0.isoformat(),),
        )
    sent, _ = await _tick(db, DEADLINE - timedelta(days=1))
    assert [d for d in sent if d.item_kind == "request"] == []
    await db.close()


async def test_offsets_in_the_past_at_creation_are_skipped_and_moves_replan(
    tmp_path: Path,
) -> None:
    db = await _cluster(tmp_path)
    created = DEADLINE - timedelta(hours=20)  # the 3-day and 1-day offsets are already past
    await _request(db, " | nhac=3d;1d;2h", now=created)
    sent, _ = await _tick(db, created)
    assert sent == []
    assert (await _tick(db, DEADLINE - timedelta(hours=2, seconds=1)))[0] == []
    # The deadline moves two days later: planned again from the moment of the move.
    await requests.change_deadline(
        db,
        chat_id=CHAT,
        request_id=1,
        text="17:00 17/11/2022",
        user_id=1,
        is_group_admin=True,
        now=created + timedelta(hours=1),
    )
    moved = DEADLINE + timedelta(days=2)
    # The old 2-hour slot no longer fires; the new 1-day one does.
    assert (await _tick(db, DEADLINE - timedelta(hours=2)))[0] == []
    sent, _ = await _tick(db, moved - timedelta(days=1))
    assert [[s.name for s in d.slots] for d in sent] == [["before:86400"]]
    await db.close()


async def test_quiet_hours_hold_private_copies_until_morning(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db, " | nhac=19h")  # due at 22:00 the evening before
    evening = DEADLINE - timedelta(hours=19)
    sent, next_at = await _tick(db, evening)
    assert len(sent) == 1
    morning = datetime(2022, 11, 15, 0, 0, tzinfo=UTC)  # 07:00
    assert sent[0].private_due == morning
    assert next_at == morning
    sent, _ = await _tick(db, morning)
    assert [d.kind for d in sent if d.item_kind == "request"] == ["private"]
    assert (await _tick(db, morning + timedelta(minutes=1)))[0] == []
    await db.close()


async def test_meeting_inside_quiet_hours_still_gets_private_reminders(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await meetings.schedule_meeting(
        db,
        chat_id=CHAT,
        text="Họp trực tuyến khẩn | 06:30 12/11/2022 | Zoom | nhac=8h",
        user_id=1,
        is_group_admin=True,
        now=T0,
    )
    due_at = datetime(2022, 11, 11, 15, 30, tzinfo=UTC)  # 22:30, inside the quiet window
    sent, _ = await _tick(db, due_at)
    meeting_due = [d for d in sent if d.item_kind == "meeting"]
    assert len(meeting_due) == 1
    assert meeting_due[0].private_due is None
    await db.close()


async def test_digest_lists_open_items_and_is_skipped_when_none(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    eight = datetime(2022, 11, 11, 1, 0, tzinfo=UTC)
    sent, _ = await _tick(db, eight, ("cluster",))
    assert sent == []  # nothing open: no digest
    await _request(db, now=eight + timedelta(hours=1))
    sent, _ = await _tick(db, eight + timedelta(days=1), ("cluster",))
    digest = [d for d in sent if d.kind == "digest"]
    assert len(digest) == 1
    assert [v.request.title for v in digest[0].digest] == ["Báo cáo tổng kết"]  # type: ignore[union-attr]
    await db.close()


async def test_digest_waits_for_items_opened_after_its_hour_and_skips_no_news(
    tmp_path: Path,
) -> None:
    db = await _cluster(tmp_path)
    eight = datetime(2022, 11, 11, 1, 0, tzinfo=UTC)
    # Opened at 08:30: today's 08:00 digest is not sent late for it.
    await _request(db, " | don_vi=PVEP", now=eight + timedelta(minutes=30))
    sent, _ = await _tick(db, eight + timedelta(minutes=31), ("cluster",))
    assert sent == []
    # The next morning it is news.
    sent, _ = await _tick(db, eight + timedelta(days=1), ("cluster",))
    assert [d.kind for d in sent] == ["digest"]
    # Once PVEP submitted, nobody owes anything: no digest.
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO submissions (request_id, unit_id, version, user_id, submitted_at,
                   file_name, file_id, file_unique_id, storage)
               VALUES (1, 2, 1, 3, ?, 'a.pdf', 'f', 'u', 'stored')""",
            (T0.isoformat(),),
        )
    sent, _ = await _tick(db, eight + timedelta(days=2), ("cluster",))
    assert sent == []
    await db.close()


async def test_a_moved_deadline_reminds_again_at_the_same_offset(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db, " | nhac=1d")
    sent, _ = await _tick(db, DEADLINE - timedelta(days=1))
    assert len(sent) == 1
    moved_at = DEADLINE - timedelta(hours=20)
    await requests.change_deadline(
        db,
        chat_id=CHAT,
        request_id=1,
        text="17:00 18/11/2022",
        user_id=1,
        is_group_admin=True,
        now=moved_at,
    )
    # Nothing fires at once for the new deadline; the 1-day reminder comes again later.
    assert (await _tick(db, moved_at))[0] == []
    sent, _ = await _tick(db, DEADLINE + timedelta(days=2))
    assert [[s.name for s in d.slots] for d in sent] == [["before:86400"]]
    assert not sent[0].catch_up
    await db.close()


async def test_changing_the_default_offsets_does_not_fire_past_ones(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db)
    changed_at = DEADLINE - timedelta(days=2)
    await clusters.update_settings(
        db, chat_id=CHAT, user_id=1, is_group_admin=True, now=changed_at, offsets_text="4d;6h"
    )
    assert (await _tick(db, changed_at))[0] == []
    sent, _ = await _tick(db, DEADLINE - timedelta(hours=6))
    assert [[s.name for s in d.slots] for d in sent] == [["before:21600"]]
    await db.close()


async def test_held_copies_keep_their_kind_and_are_dropped_for_closed_items(
    tmp_path: Path,
) -> None:
    db = await _cluster(tmp_path)
    await _request(db, " | nhac=1d")
    late_evening = DEADLINE + timedelta(hours=5)  # 22:00: overdue noticed in quiet hours
    sent, _ = await _tick(db, late_evening)
    assert [(d.kind, d.private_due is not None) for d in sent] == [("overdue", True)]
    morning = datetime(2022, 11, 16, 0, 0, tzinfo=UTC)
    sent, _ = await _tick(db, morning)
    held = [d for d in sent if d.kind == "private"]
    assert [d.shown_kind for d in held] == ["overdue"]
    # A second request, closed before the morning: its held copies are dropped.
    await _request(db, " | nhac=19h")
    await _tick(db, DEADLINE - timedelta(hours=19))
    await requests.change_status(
        db,
        chat_id=CHAT,
        request_id=2,
        action="close",
        user_id=1,
        is_group_admin=True,
        now=DEADLINE - timedelta(hours=18),
    )
    sent, _ = await _tick(db, morning - timedelta(days=1))
    assert [d.view for d in sent if d.kind == "private" and d.item_id == 2] == [None]
    await db.close()


async def test_daily_reminders_go_on_after_sixty_days(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    await _request(db)
    await _tick(db, DEADLINE + timedelta(minutes=1))
    day_70 = datetime(2023, 1, 24, 1, 0, tzinfo=UTC)  # 08:00, 70 days after
    sent, _ = await _tick(db, day_70)
    assert [[s.name for s in d.slots][-1] for d in sent] == ["daily:2023-01-24"]
    await db.close()


async def test_only_items_due_have_their_view_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner reads every open item set-wise; full views only for what is due now."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    for k in range(8):
        chat = CHAT - k
        await clusters.setup_cluster(
            db,
            chat_id=chat,
            text=f"Cụm thi đua số {k + 1} | 2022",
            user_id=1,
            is_group_admin=True,
            locale="vi",
            tz=VN,
            now=T0,
        )
        await clusters.add_units(
            db, chat_id=chat, text="VSP Vietsovpetro", user_id=1, is_group_admin=True, now=T0
        )
        await requests.open_request(
            db,
            chat_id=chat,
            kind="report",
            text=f"Báo cáo tổng kết | 17:00 {15 + k}/11/2022",
            user_id=1,
            is_group_admin=True,
            now=T0,
        )
        await meetings.schedule_meeting(
            db,
            chat_id=chat,
            text="Họp cụm | 09:00 20/12/2022 | Phòng họp tầng 5",
            user_id=1,
            is_group_admin=True,
            now=T0,
        )
    # This morning's digests (every cluster) are handled first.
    await _tick(db, datetime(2022, 11, 12, 1, 0, tzinfo=UTC))
    loaded: list[tuple[str, int]] = []
    # The planner's own references (it imports them by name).
    load_view = vars(reminders)["load_view"]
    load_meeting_view = vars(reminders)["load_meeting_view"]

    async def counting_view(conn: Any, cluster: Any, request: Any) -> Any:
        loaded.append(("request", request.id))
        return await load_view(conn, cluster, request)

    async def counting_meeting_view(conn: Any, cluster: Any, meeting: Any) -> Any:
        loaded.append(("meeting", meeting.id))
        return await load_meeting_view(conn, cluster, meeting)

    monkeypatch.setattr(reminders, "load_view", counting_view)
    monkeypatch.setattr(reminders, "load_meeting_view", counting_meeting_view)
    # Only the first cluster's request is 3 days from its deadline.
    sent, next_at = await _tick(db, DEADLINE - timedelta(days=3))
    assert [(d.cluster.chat_id, d.item_id, d.slots[0].name) for d in sent] == [
        (CHAT, 1, "before:259200")
    ]
    assert loaded == [("request", 1)]
    assert next_at == datetime(2022, 11, 13, 1, 0, tzinfo=UTC)  # tomorrow's digests
    # Nothing due: no view at all, and the same next instant.
    loaded.clear()
    sent, next_at = await _tick(db, DEADLINE - timedelta(days=3, seconds=-1))
    assert (sent, loaded) == ([], [])
    assert next_at == datetime(2022, 11, 13, 1, 0, tzinfo=UTC)
    await db.close()
