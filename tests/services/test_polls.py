"""Nomination polls without Telegram: roll, ballots, secrecy in the database, closing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.domain import AlreadyVoted, BallotRefused, InvalidInput, NotOnRoll, PollClosed
from bot.services import clusters, membership, polls
from bot.services.membership import PersonInfo
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 11, 20, 3, 0, tzinfo=UTC)
CHAT = -1001500000001
TITLE = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022"
VOTERS = {"VSP": 1002, "PVEP": 1003, "RVP": 1004, "GPV": 1005}


async def _cluster(tmp_path: Path) -> Database:
    db = await Database.open(tmp_path / "bot.sqlite3")
    await clusters.setup_cluster(
        db,
        chat_id=CHAT,
        text="Cụm thi đua số 1 | 2022",
        user_id=1,
        is_group_admin=True,
        locale="vi",
        tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        now=NOW,
    )
    await clusters.add_units(
        db,
        chat_id=CHAT,
        text="VSP Vietsovpetro\nPVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
        "RVP Công ty TNHH Liên doanh Rusvietpetro\nGPV Công ty TNHH Gazpromviet",
        user_id=1,
        is_group_admin=True,
        now=NOW,
    )
    await clusters.update_settings(
        db, chat_id=CHAT, user_id=1, is_group_admin=True, now=NOW, join_policy="open"
    )
    for unit_id, user_id in enumerate(VOTERS.values(), start=1):
        await membership.request_join(
            db,
            chat_id=CHAT,
            unit_id=unit_id,
            info=PersonInfo(user_id, f"Người {unit_id}"),
            now=NOW,
        )
    return db


async def _open(db: Database, options: str = "") -> int:
    view = await polls.open_poll(
        db,
        chat_id=CHAT,
        text=f"{TITLE} | 17:00 25/11/2022{options}",
        user_id=1,
        is_group_admin=True,
        now=NOW,
    )
    return view.poll.id


async def test_seed_secret_poll_counts_and_closes(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    poll_id = await _open(db, " | du_tat_ca=co")
    view = await polls.get_poll_view(db, poll_id)
    assert [(e.unit.code, e.voter_user_id) for e in view.roll] == list(VOTERS.items())
    assert view.poll.secret
    # VSP (index 0) gets three votes; VSP itself votes for PVEP (no self-vote).
    for code, choice in (("VSP", 1), ("PVEP", 0), ("RVP", 0), ("GPV", 0)):
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS[code], marks=(choice,), now=NOW)
    due, _ = await polls.polls_to_close(db, NOW)
    assert due == [poll_id]  # everyone voted and du_tat_ca=co
    closed = await polls.close(db, poll_id=poll_id, now=NOW)
    assert closed is not None
    _view, result = closed
    assert (result.cast, result.quorum_met) == (4, True)
    assert [(c.name, c.score, c.passed) for c in result.candidates[:2]] == [
        ("VSP", 3, True),
        ("PVEP", 1, False),
    ]
    assert await polls.close(db, poll_id=poll_id, now=NOW) is None  # closed once
    await db.close()


async def test_refusals_change_nothing(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    poll_id = await _open(db)
    with pytest.raises(NotOnRoll):
        await polls.cast(db, poll_id=poll_id, user_id=9999, marks=(0,), now=NOW)
    with pytest.raises(BallotRefused):  # self-vote
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS["VSP"], marks=(0,), now=NOW)
    with pytest.raises(BallotRefused):  # two marks, choose 1
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS["PVEP"], marks=(0, 2), now=NOW)
    await polls.cast(db, poll_id=poll_id, user_id=VOTERS["PVEP"], marks=(0,), now=NOW)
    with pytest.raises(AlreadyVoted):  # a cast secret ballot is final
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS["PVEP"], marks=(2,), now=NOW)
    with pytest.raises(PollClosed):
        await polls.cast(
            db, poll_id=poll_id, user_id=VOTERS["RVP"], marks=(0,), now=NOW + timedelta(days=6)
        )
    view = await polls.get_poll_view(db, poll_id)
    assert view.turnout == 1
    await db.close()


async def test_open_poll_ballots_can_change_until_closing(tmp_path: Path) -> None:
    db = await _cluster(tmp_path)
    poll_id = await _open(db, " | bi_mat=khong | chon=2")
    await polls.cast(db, poll_id=poll_id, user_id=VOTERS["RVP"], marks=(0, 1), now=NOW)
    await polls.cast(db, poll_id=poll_id, user_id=VOTERS["RVP"], marks=(3,), now=NOW)
    closed = await polls.close(db, poll_id=poll_id, now=NOW)
    assert closed is not None
    assert {c.name: c.score for c in closed[1].candidates} == {
        "VSP": 0,
        "PVEP": 0,
        "RVP": 0,
        "GPV": 1,
    }
    await db.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (" | nguong=120", "threshold"),
        (" | chon=9", "choices"),
        (" | bi_mat=có lẽ", "option"),
        (" | ung_vien=", "option"),
    ],
)
async def test_bad_poll_options_are_refused(tmp_path: Path, options: str, field: str) -> None:
    db = await _cluster(tmp_path)
    with pytest.raises(InvalidInput) as caught:
        await _open(db, options)
    assert caught.value.details["field"] == field
    await db.close()


async def _box_after(tmp_path: Path, order: list[tuple[str, int]]) -> tuple[bytes, str]:
    """Cast secret ballots in this order; return the database file and the box's content."""
    db = await _cluster(tmp_path)
    poll_id = await _open(db, " | ung_vien=Nguyễn Văn Hùng; Trần Thị Mai; Lê Văn Nam; Phạm Thu")
    for code, choice in order:
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS[code], marks=(choice,), now=NOW)
        # The write-ahead log is emptied after each ballot: no commit order survives there.
        wal = tmp_path / "bot.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    await db.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        box = conn.execute("SELECT ballots FROM ballot_boxes").fetchone()[0]
    return (tmp_path / "bot.sqlite3").read_bytes(), box


async def test_secret_ballots_cannot_be_linked_to_units_with_full_database_access(
    tmp_path: Path,
) -> None:
    """Cast the same ballots in two orders: everything stored about them is identical."""
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    _file_a, box_a = await _box_after(first, [("GPV", 3), ("VSP", 0), ("RVP", 2), ("PVEP", 1)])
    _file_b, box_b = await _box_after(second, [("PVEP", 1), ("RVP", 2), ("VSP", 0), ("GPV", 3)])
    assert box_a == box_b == "[[0], [1], [2], [3]]"
    with sqlite3.connect(first / "bot.sqlite3") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(ballot_boxes)")]
        assert columns == ["poll_id", "ballots"]  # no unit, user or time
        roll = conn.execute("SELECT unit_id, has_voted FROM poll_roll ORDER BY unit_id").fetchall()
        assert roll == [(1, 1), (2, 1), (3, 1), (4, 1)]  # who voted, with no time or order
        # No journal entry per ballot: nothing else says when each unit voted.
        actions = {r[0] for r in conn.execute("SELECT action FROM audit_log")}
        assert actions == {"setup", "add_unit", "settings", "join", "poll"}
        assert conn.execute("SELECT COUNT(*) FROM open_ballots").fetchone()[0] == 0
        # The ballot box's page holds the sorted box only: the raw bytes of the table show
        # no trace of the order the ballots came in (secure_delete zeroed the old copies).
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ballot_boxes'"
        ).fetchone()[0]
    for folder in (first, second):
        data = (folder / "bot.sqlite3").read_bytes()
        page = data[(root - 1) * page_size : root * page_size]
        assert page.count(b"[[0], [1], [2], [3]]") == 1
        assert b"[[3]" not in page and b"[[1]]" not in page


async def test_minutes_document_carries_the_numbers(tmp_path: Path) -> None:
    import io

    from docx import Document as read_docx

    from bot.minutes import build_minutes

    db = await _cluster(tmp_path)
    poll_id = await _open(db)
    for code, choice in (("VSP", 1), ("PVEP", 0), ("RVP", 0), ("GPV", 0)):
        await polls.cast(db, poll_id=poll_id, user_id=VOTERS[code], marks=(choice,), now=NOW)
    closed = await polls.close(db, poll_id=poll_id, now=NOW)
    assert closed is not None
    view, result = closed
    data = build_minutes(view.cluster, view, result, NOW, ZoneInfo("Asia/Ho_Chi_Minh"))
    document = read_docx(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert f"Về việc: {TITLE}" in text
    assert "Tổng số đơn vị có quyền bỏ phiếu: 4 (VSP, PVEP, RVP, GPV)." in text
    assert "Số phiếu thu về: 4 (100%); số phiếu hợp lệ: 4; số phiếu trắng: 0." in text
    assert "Kết luận: ứng viên đạt tỷ lệ theo quy định: VSP." in text
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["STT", "Ứng viên", "Số phiếu", "Tỷ lệ", "Kết quả"]
    assert rows[1] == ["1", "VSP", "3", "75%", "Đạt"]
    assert rows[2] == ["2", "PVEP", "1", "25%", "Không đạt"]
    await db.close()
