"""/export without Telegram: the spreadsheet, the ZIP of a request's files and the minutes."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain import NotACluster, UnknownPoll, UnknownRequest
from bot.services import clusters, confirmations, meetings, membership, polls, requests
from bot.services.exports import (
    ExportData,
    build_all_minutes,
    build_poll_minutes,
    build_request_zip,
    build_workbook,
    gather_export,
    slugify,
)
from bot.services.membership import PersonInfo
from bot.services.submissions import (
    Candidate,
    Document,
    Download,
    record_submission,
    review_submission,
)
from bot.workbook import ACTION_LABELS, SHEETS
from db.connection import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from bot.services.requests import RequestView

ROOT = Path(__file__).resolve().parents[2]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CHAT = -1001500000001
ADMIN = 1
T0 = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)  # 10:00 20/10/2022 in Hà Nội
TITLE = "Báo cáo tổng kết công tác thi đua, khen thưởng năm 2022"
SLUG = "bao-cao-tong-ket-cong-tac-thi-dua-khen"
CONFIRM_TITLE = "Xác nhận danh sách đề nghị khen thưởng năm 2022"
MEETING_TITLE = "Hội nghị tổng kết Cụm thi đua số 1 năm 2022"
PLACE = "Hội trường tầng 5, 18 Láng Hạ, Hà Nội"
POLL_TITLE = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022"
OPEN_POLL_TITLE = "Bình xét danh hiệu Tập thể lao động xuất sắc năm 2022"
PEOPLE = {
    "VSP": PersonInfo(1001, "Nguyễn Văn", "Hùng", "hungnv_vsp"),
    "PVEP": PersonInfo(1002, "Phạm Minh", "Đức", "ducpm_pvep"),
    "RVP": PersonInfo(1003, "Trần Thị", "Mai"),
    "GPV": PersonInfo(1004, "Lê Quang", "Vinh", "vinhlq"),
}
PVEP_VOTER = PersonInfo(1005, "Đỗ Thu", "Hà", "hadt_pvep")
VOTER = {"VSP": 1001, "PVEP": 1005, "RVP": 1003, "GPV": 1004}
# Candidate index per voting unit (VSP 0, PVEP 1, RVP 2, GPV 3); nobody votes for itself.
BALLOTS = {"VSP": 1, "PVEP": 0, "RVP": 0, "GPV": 0}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
VSP_FILE = b"%PDF-1.7 Vietsovpetro bao cao tong ket 2022"
RVP_V1 = b"PK\x03\x04 Rusvietpetro v1"
RVP_V2 = b"PK\x03\x04 Rusvietpetro v2 bo sung quy IV"


class _Secretariat(TypedDict):
    chat_id: int
    user_id: int
    is_group_admin: bool


@dataclass(frozen=True)
class Seed:
    """A seeded cluster: its database, where its files live, and the ids the tests need."""

    db: Database
    files: Path
    cluster_id: int
    report_id: int
    cancelled_id: int
    confirmation_id: int
    poll_id: int
    open_poll_id: int


async def _submit(
    db: Database,
    files: Path,
    view: RequestView,
    code: str,
    document: Document,
    content: bytes | None,
    at: datetime,
) -> int:
    download = None
    if content is not None:
        part = files / "tmp" / f"{document.file_unique_id}.part"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(content)
        download = Download(part, hashlib.sha256(content).hexdigest(), len(content))
    unit = next(u for u in view.units if u.code == code)
    recorded = await record_submission(
        db,
        files_dir=files,
        candidate=Candidate(view.cluster, unit, view.request),
        document=document,
        download=download,
        storage="stored" if content is not None else "too_big",
        user_id=PEOPLE[code].user_id,
        now=at,
    )
    return recorded.submission.id


async def seed(tmp_path: Path, ballots: dict[str, int] = BALLOTS, *, secret: bool = True) -> Seed:
    """Cụm thi đua số 1 as it stands at the end of 2022, built through the services."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    files = tmp_path / "files"
    admin: _Secretariat = {"chat_id": CHAT, "user_id": ADMIN, "is_group_admin": True}
    await membership.record_person(
        db, PersonInfo(ADMIN, "Hoàng Anh", "Tuấn", "tuanha_ttc"), started=True, now=T0
    )
    await clusters.setup_cluster(
        db, text="Cụm thi đua số 1 | 2022", locale="vi", tz=HCM, now=T0, **admin
    )
    await clusters.add_units(
        db,
        text="VSP Vietsovpetro\nPVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
        "RVP Công ty TNHH Liên doanh Rusvietpetro\nGPV Công ty TNHH Gazpromviet",
        now=T0,
        **admin,
    )
    await clusters.set_lead(db, code="VSP", now=T0, **admin)
    await clusters.update_settings(db, now=T0, join_policy="open", **admin)
    for unit_id, code in enumerate(PEOPLE, start=1):
        outcome = await membership.request_join(
            db, chat_id=CHAT, unit_id=unit_id, info=PEOPLE[code], now=T0
        )
        if not outcome.joined:  # the lead unit's liaison is always approved by hand
            assert outcome.request is not None
            await membership.decide_join(
                db, request_id=outcome.request.id, approve=True, now=T0, **admin
            )
    await membership.request_join(db, chat_id=CHAT, unit_id=2, info=PVEP_VOTER, now=T0)
    await clusters.set_voter(db, unit_id=2, voter_user_id=PVEP_VOTER.user_id, now=T0, **admin)

    report = await requests.open_request(
        db, kind="report", text=f"{TITLE} | 17:00 15/11/2022", now=T0, **admin
    )
    cancelled = await requests.open_request(
        db, kind="report", text="Báo cáo sơ kết 9 tháng | 17:00 30/10/2022", now=T0, **admin
    )
    await requests.change_status(
        db, request_id=cancelled.request.id, action="cancel", now=T0, **admin
    )
    confirmation = await requests.open_request(
        db, kind="confirmation", text=f"{CONFIRM_TITLE} | 17:00 10/11/2022", now=T0, **admin
    )
    meeting = await meetings.schedule_meeting(
        db, text=f"{MEETING_TITLE} | 9:00 01/11/2022 | {PLACE}", now=T0, **admin
    )

    day = datetime(2022, 10, 25, 2, 0, tzinfo=UTC)
    for code, attend, names in (
        ("VSP", True, "Nguyễn Văn Hùng, Lê Thị Lan"),
        ("PVEP", False, None),
        ("RVP", True, None),
    ):
        await meetings.answer(
            db,
            chat_id=CHAT,
            meeting_id=meeting.meeting.id,
            user_id=PEOPLE[code].user_id,
            attend=attend,
            attendees=names,
            now=day,
        )
    day = datetime(2022, 10, 28, 2, 0, tzinfo=UTC)
    for code, confirm, comment in (
        ("VSP", True, None),
        ("PVEP", False, "Đề nghị bổ sung đồng chí Nguyễn Văn An vào danh sách"),
        ("RVP", True, None),
    ):
        await confirmations.answer(
            db,
            chat_id=CHAT,
            request_id=confirmation.request.id,
            user_id=PEOPLE[code].user_id,
            confirm=confirm,
            comment=comment,
            now=day,
        )
    await meetings.change_meeting(
        db,
        meeting_id=meeting.meeting.id,
        action="close",
        now=datetime(2022, 11, 1, 5, 0, tzinfo=UTC),
        **admin,
    )

    rvp_v1 = await _submit(
        db,
        files,
        report,
        "RVP",
        Document("BQAC-rvp1", "AgAD-rvp1", "RVP Báo cáo tổng kết.docx", DOCX, len(RVP_V1)),
        RVP_V1,
        datetime(2022, 11, 8, 2, 0, tzinfo=UTC),
    )
    await review_submission(
        db,
        submission_id=rvp_v1,
        accept=False,
        comment="Đề nghị bổ sung số liệu quý IV",
        now=datetime(2022, 11, 9, 2, 0, tzinfo=UTC),
        **admin,
    )
    await _submit(
        db,
        files,
        report,
        "RVP",
        Document(
            "BQAC-rvp2", "AgAD-rvp2", "RVP Báo cáo tổng kết (bổ sung).docx", DOCX, len(RVP_V2)
        ),
        RVP_V2,
        datetime(2022, 11, 12, 3, 0, tzinfo=UTC),
    )
    vsp = await _submit(
        db,
        files,
        report,
        "VSP",
        Document(
            "BQAC-vsp1",
            "AgAD-vsp1",
            "VSP - Báo cáo tổng kết 2022.pdf",
            "application/pdf",
            len(VSP_FILE),
        ),
        VSP_FILE,
        datetime(2022, 11, 14, 2, 0, tzinfo=UTC),
    )
    await review_submission(
        db,
        submission_id=vsp,
        accept=True,
        comment=None,
        now=datetime(2022, 11, 14, 4, 0, tzinfo=UTC),
        **admin,
    )
    # PVEP sends 60 MB after the deadline: too big to download, kept by its file id.
    await _submit(
        db,
        files,
        report,
        "PVEP",
        Document(
            "BQAC-pvep1",
            "AgAD-pvep1",
            "PVEP BC tổng kết 2022 (bản đầy đủ).pdf",
            "application/pdf",
            60 * 1024 * 1024,
        ),
        None,
        datetime(2022, 11, 16, 1, 30, tzinfo=UTC),
    )

    opened = datetime(2022, 11, 20, 3, 0, tzinfo=UTC)
    options = "" if secret else " | bi_mat=khong"
    poll = await polls.open_poll(
        db, text=f"{POLL_TITLE} | 17:00 25/11/2022{options}", now=opened, **admin
    )
    open_poll = await polls.open_poll(
        db,
        text=f"{OPEN_POLL_TITLE} | 17:00 30/11/2022 | bi_mat=khong | chon=2",
        now=opened,
        **admin,
    )
    cast_at = datetime(2022, 11, 21, 2, 0, tzinfo=UTC)
    for code in VOTER:  # always in the same order: only the choices differ between seeds
        await polls.cast(
            db,
            poll_id=poll.poll.id,
            user_id=VOTER[code],
            marks=(ballots[code],),
            now=cast_at,
        )
    await polls.cast(
        db, poll_id=open_poll.poll.id, user_id=VOTER["RVP"], marks=(0, 3), now=cast_at
    )
    await polls.close(
        db, poll_id=poll.poll.id, now=datetime(2022, 11, 26, 1, 0, tzinfo=UTC), user_id=None
    )
    return Seed(
        db=db,
        files=files,
        cluster_id=report.cluster.id,
        report_id=report.request.id,
        cancelled_id=cancelled.request.id,
        confirmation_id=confirmation.request.id,
        poll_id=poll.poll.id,
        open_poll_id=open_poll.poll.id,
    )


@pytest.fixture
async def seeded(tmp_path: Path) -> AsyncIterator[Seed]:
    s = await seed(tmp_path)
    yield s
    await s.db.close()


async def _export(s: Seed) -> ExportData:
    return await gather_export(s.db, s.cluster_id)


def _sheet(data: bytes, title: str) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook[title].iter_rows(values_only=True)]


def _rows(data: bytes, title: str) -> list[dict[str, object]]:
    header, *rows = _sheet(data, title)
    return [dict(zip(header, row, strict=True)) for row in rows]  # type: ignore[arg-type]


async def _db_rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    async with db.read() as conn, conn.execute(sql) as cursor:
        return [tuple(r) for r in await cursor.fetchall()]


# --- the spreadsheet ---------------------------------------------------------------------


async def test_workbook_sheets_have_bold_frozen_filtered_vietnamese_headers(
    seeded: Seed,
) -> None:
    workbook = load_workbook(io.BytesIO(build_workbook(await _export(seeded))))
    assert workbook.sheetnames == [
        "Đơn vị",
        "Báo cáo",
        "Xác nhận",
        "Cuộc họp",
        "Bình xét",
        "Nhật ký",
    ]
    assert tuple(workbook.sheetnames) == SHEETS
    for ws in workbook.worksheets:
        assert isinstance(ws, Worksheet)
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == ws.dimensions
        assert all(cell.font.bold for cell in ws[1])
        assert all(
            ws.column_dimensions[get_column_letter(col)].width >= 8
            for col in range(1, ws.max_column + 1)
        )
    assert [c.value for c in workbook["Báo cáo"][1]][:5] == [
        "Yêu cầu báo cáo",
        "Trạng thái yêu cầu",
        "Hạn nộp",
        "Mã đơn vị",
        "Lần nộp",
    ]


async def test_units_sheet_lists_liaisons_and_voters(seeded: Seed) -> None:
    rows = _rows(build_workbook(await _export(seeded)), "Đơn vị")
    assert [(r["Mã đơn vị"], r["Cụm trưởng"]) for r in rows] == [
        ("VSP", "Có"),
        ("PVEP", None),
        ("RVP", None),
        ("GPV", None),
    ]
    pvep = rows[1]
    assert pvep["Tên đơn vị"] == "Tổng công ty Thăm dò khai thác Dầu khí"
    assert pvep["Đầu mối"] == "Phạm Minh Đức (@ducpm_pvep); Đỗ Thu Hà (@hadt_pvep)"
    assert pvep["Tài khoản Telegram"] == "@ducpm_pvep; @hadt_pvep"
    assert pvep["Người bỏ phiếu"] == "Đỗ Thu Hà (@hadt_pvep)"
    # No voter designated: the liaison votes, and the sheet says so.
    assert rows[2]["Người bỏ phiếu"] == "Trần Thị Mai – đầu mối, do chưa chỉ định người bỏ phiếu"
    assert rows[2]["Tài khoản Telegram"] is None


async def test_reports_sheet_has_every_version_and_the_units_that_owe(seeded: Seed) -> None:
    rows = _rows(build_workbook(await _export(seeded)), "Báo cáo")
    main = [r for r in rows if r["Yêu cầu báo cáo"] == TITLE]
    assert [(r["Mã đơn vị"], r["Lần nộp"]) for r in main] == [
        ("VSP", 1),
        ("PVEP", 1),
        ("RVP", 1),
        ("RVP", 2),
        ("GPV", None),
    ]
    vsp, pvep, rvp1, rvp2, gpv = main
    assert vsp["Trạng thái yêu cầu"] == "Đang mở"
    assert (vsp["Nộp muộn"], vsp["Muộn"], vsp["Tình trạng xem xét"]) == (
        "Không",
        None,
        "Đã tiếp nhận",
    )
    assert (vsp["Tên tệp"], vsp["Lưu trữ"]) == ("VSP - Báo cáo tổng kết 2022.pdf", "Đã lưu")
    assert vsp["Người nộp"] == "Nguyễn Văn Hùng (@hungnv_vsp)"
    assert (pvep["Nộp muộn"], pvep["Muộn"]) == ("Có", "15 giờ 30 phút")
    assert pvep["Lưu trữ"] == "Quá lớn – giữ theo file id"
    assert (pvep["Dung lượng (byte)"], pvep["SHA-256"]) == (60 * 1024 * 1024, None)
    assert (rvp1["Tình trạng xem xét"], rvp1["Bản cuối"]) == ("Cần bổ sung", None)
    assert rvp1["Ý kiến xem xét"] == "Đề nghị bổ sung số liệu quý IV"
    assert (rvp2["Tình trạng xem xét"], rvp2["Bản cuối"]) == ("Chờ xem xét", "Có")
    assert gpv["Tình trạng xem xét"] == "Chưa nộp"
    assert gpv["Tên tệp"] is None
    recorded = await _db_rows(
        seeded.db, "SELECT file_name, sha256, file_size FROM submissions ORDER BY id"
    )
    assert sorted((r["Tên tệp"], r["SHA-256"], r["Dung lượng (byte)"]) for r in main[:4]) == (
        sorted(recorded)
    )
    # A cancelled request stays on record, every unit still shown.
    cancelled = [r for r in rows if r["Yêu cầu báo cáo"] == "Báo cáo sơ kết 9 tháng"]
    assert {r["Trạng thái yêu cầu"] for r in cancelled} == {"Đã hủy"}
    assert len(cancelled) == 4


async def test_timestamps_are_shown_on_the_clusters_clock(seeded: Seed) -> None:
    workbook = load_workbook(io.BytesIO(build_workbook(await _export(seeded))))
    reports = workbook["Báo cáo"]
    header = [c.value for c in reports[1]]
    vsp = next(
        row
        for row in reports.iter_rows(min_row=2)
        if (row[0].value, row[3].value) == (TITLE, "VSP")
    )
    deadline = vsp[header.index("Hạn nộp")]
    sent = vsp[header.index("Thời điểm nộp")]
    # 10:00 UTC is 17:00 in Asia/Ho_Chi_Minh; 02:00 UTC is 09:00.
    assert deadline.value == datetime(2022, 11, 15, 17, 0)  # noqa: DTZ001 - Excel has no zones
    assert sent.value == datetime(2022, 11, 14, 9, 0)  # noqa: DTZ001
    assert deadline.number_format == sent.number_format == "dd/mm/yyyy hh:mm"
    meeting = workbook["Cuộc họp"].cell(row=2, column=2)
    assert meeting.value == datetime(2022, 11, 1, 9, 0)  # noqa: DTZ001
    journal = workbook["Nhật ký"].cell(row=2, column=1)
    assert journal.value == datetime(2022, 10, 20, 10, 0)  # noqa: DTZ001


async def test_confirmations_sheet_shows_each_units_answer(seeded: Seed) -> None:
    rows = _rows(build_workbook(await _export(seeded)), "Xác nhận")
    assert [(r["Mã đơn vị"], r["Trả lời"]) for r in rows] == [
        ("VSP", "Đã xác nhận"),
        ("PVEP", "Góp ý"),
        ("RVP", "Đã xác nhận"),
        ("GPV", "Chưa trả lời"),
    ]
    pvep = rows[1]
    assert pvep["Yêu cầu xác nhận"] == CONFIRM_TITLE
    assert pvep["Nội dung góp ý"] == "Đề nghị bổ sung đồng chí Nguyễn Văn An vào danh sách"
    assert pvep["Người trả lời"] == "Phạm Minh Đức (@ducpm_pvep)"
    assert pvep["Thời điểm trả lời"] == datetime(2022, 10, 28, 9, 0)  # noqa: DTZ001
    assert rows[3]["Người trả lời"] is None


async def test_meetings_sheet_shows_answers_and_attendees(seeded: Seed) -> None:
    rows = _rows(build_workbook(await _export(seeded)), "Cuộc họp")
    assert [(r["Mã đơn vị"], r["Trả lời"], r["Người tham dự"]) for r in rows] == [
        ("VSP", "Tham dự", "Nguyễn Văn Hùng, Lê Thị Lan"),
        ("PVEP", "Vắng mặt", None),
        ("RVP", "Tham dự", None),
        ("GPV", "Chưa trả lời", None),
    ]
    assert {(r["Cuộc họp"], r["Địa điểm"], r["Trạng thái"]) for r in rows} == {
        (MEETING_TITLE, PLACE, "Đã kết thúc")
    }


async def test_polls_sheet_shows_the_posted_totals(seeded: Seed) -> None:
    export = await _export(seeded)
    rows = _rows(build_workbook(export), "Bình xét")
    closed = [r for r in rows if r["Cuộc bình xét"] == POLL_TITLE]
    assert [
        (r["Ứng viên"], r["Số phiếu / số điểm"], r["Tỷ lệ"], r["Kết quả"], r["Thứ hạng"])
        for r in closed
    ] == [
        ("VSP", 3, 0.75, "Đạt", 1),
        ("PVEP", 1, 0.25, "Không đạt", 2),
        ("RVP", 0, 0.0, "Không đạt", 3),
        ("GPV", 0, 0.0, "Không đạt", 3),
    ]
    first = closed[0]
    assert (first["Hình thức"], first["Xếp hạng (Borda)"], first["Trạng thái"]) == (
        "Bỏ phiếu kín",
        "Không",
        "Đã kết thúc",
    )
    assert (first["Số đơn vị có quyền bỏ phiếu"], first["Số phiếu đã bỏ"]) == (4, 4)
    assert (first["Tỷ lệ tham gia"], first["Đủ số đơn vị tham gia tối thiểu"]) == (1.0, "Có")
    assert first["Hạn bỏ phiếu"] == datetime(2022, 11, 25, 17, 0)  # noqa: DTZ001
    assert first["Thời điểm kết thúc"] == datetime(2022, 11, 26, 8, 0)  # noqa: DTZ001
    # The same counts the bot posts when the poll closes.
    _view, posted = await polls.result_of(seeded.db, seeded.poll_id)
    assert [(c.name, c.score) for c in posted.candidates] == [
        (r["Ứng viên"], r["Số phiếu / số điểm"]) for r in closed
    ]
    # An open poll shows its turnout only: no count before closing.
    (still_open,) = [r for r in rows if r["Cuộc bình xét"] == OPEN_POLL_TITLE]
    assert (still_open["Trạng thái"], still_open["Hình thức"]) == (
        "Đang bỏ phiếu",
        "Bỏ phiếu công khai",
    )
    assert (still_open["Số phiếu đã bỏ"], still_open["Tỷ lệ tham gia"]) == (1, 0.25)
    assert still_open["Ứng viên"] is None
    assert still_open["Số phiếu / số điểm"] is None


@pytest.mark.parametrize("secret", [True, False], ids=["secret", "open"])
async def test_who_voted_for_whom_appears_nowhere(tmp_path: Path, secret: bool) -> None:
    # Two clusters with the same totals but the ballots swapped between units export the
    # very same bytes: nothing in the file can say which unit chose whom.
    first = await seed(tmp_path / "a", {"VSP": 1, "PVEP": 0, "RVP": 3, "GPV": 2}, secret=secret)
    second = await seed(tmp_path / "b", {"VSP": 2, "PVEP": 3, "RVP": 0, "GPV": 1}, secret=secret)
    exports = [build_workbook(await _export(s)) for s in (first, second)]
    sql = "SELECT poll_id, unit_id, marks FROM open_ballots ORDER BY poll_id, unit_id"
    ballots = [await _db_rows(s.db, sql) for s in (first, second)]
    # An open poll's ballots differ between the databases (a secret box is sorted, so its
    # content is the same), yet the exports are identical.
    assert (ballots[0] != ballots[1]) is not secret
    assert exports[0] == exports[1]
    rows = _rows(exports[0], "Bình xét")
    assert len([r for r in rows if r["Cuộc bình xét"] == POLL_TITLE]) == 4  # one per candidate
    for s in (first, second):
        await s.db.close()


async def test_workbook_is_the_same_for_the_same_data(seeded: Seed) -> None:
    assert build_workbook(await _export(seeded)) == build_workbook(await _export(seeded))


async def test_journal_names_people_and_actions_in_vietnamese(seeded: Seed) -> None:
    rows = _rows(build_workbook(await _export(seeded)), "Nhật ký")
    recorded = await _db_rows(seeded.db, "SELECT action FROM audit_log ORDER BY id")
    assert len(rows) == len(recorded)
    assert rows[0]["Người thực hiện"] == "Hoàng Anh Tuấn (@tuanha_ttc)"
    assert rows[0]["Thao tác"] == "Thiết lập cụm thi đua"
    actions = {r["Thao tác"] for r in rows}
    assert {
        "Nộp báo cáo",
        "Yêu cầu bổ sung báo cáo",
        "Chấp nhận báo cáo",
        "Góp ý",
        "Báo vắng mặt cuộc họp",
        "Kết thúc bình xét, kiểm phiếu",
        "Hủy yêu cầu",
    } <= actions
    assert not actions & {a for (a,) in recorded}  # no raw code left for the known ones
    closing = next(r for r in rows if r["Thao tác"] == "Kết thúc bình xét, kiểm phiếu")
    assert closing["Người thực hiện"] == "Tự động (bot)"


def test_every_audited_action_has_a_vietnamese_label() -> None:
    literal, prefixes = set(), set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"insert_audit\((.*?)\n\s*\)", source, re.S):
            literal |= set(re.findall(r'action="(\w+)"', call.group(1)))
            prefixes |= set(re.findall(r'action=f"(\w*)\{', call.group(1)))
            # `action="setup" if existing is None else "rename"`
            literal |= set(re.findall(r'else "(\w+)"', call.group(1)))
    assert {"submit", "poll_closed", "rename"} <= literal
    assert literal - set(ACTION_LABELS) == set()
    assert {p for p in prefixes if not any(k.startswith(p) for k in ACTION_LABELS)} == set()


async def test_formula_like_titles_stay_text(seeded: Seed) -> None:
    await requests.open_request(
        seeded.db,
        chat_id=CHAT,
        kind="report",
        text='=HYPERLINK("http://example.com","Bấm") | 17:00 20/12/2022',
        user_id=ADMIN,
        is_group_admin=True,
        now=T0,
    )
    workbook = load_workbook(io.BytesIO(build_workbook(await _export(seeded))))
    cells = [row[0] for row in workbook["Báo cáo"].iter_rows(min_row=2)]
    tricky = [c for c in cells if str(c.value).startswith("=")]
    assert tricky
    assert {c.data_type for c in tricky} == {"s"}


async def test_unknown_cluster_is_refused(seeded: Seed) -> None:
    with pytest.raises(NotACluster):
        await gather_export(seeded.db, 999)


# --- the ZIP of a request's files --------------------------------------------------------


async def test_zip_holds_each_units_latest_stored_file(seeded: Seed) -> None:
    bundle = build_request_zip(await _export(seeded), seeded.report_id, seeded.files)
    assert bundle.filename == f"{SLUG}.zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    assert archive.namelist() == [
        "manifest.csv",
        f"VSP_{SLUG}_v1.pdf",
        f"RVP_{SLUG}_v2.docx",
    ]
    assert bundle.included == (f"VSP_{SLUG}_v1.pdf", f"RVP_{SLUG}_v2.docx")
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
    sql = "SELECT stored_name, sha256 FROM submissions WHERE sha256 IS NOT NULL"
    recorded = {str(name): str(digest) for name, digest in await _db_rows(seeded.db, sql)}
    assert hashlib.sha256(archive.read(f"VSP_{SLUG}_v1.pdf")).hexdigest() == recorded["VSP_v1.pdf"]
    assert archive.read(f"RVP_{SLUG}_v2.docx") == RVP_V2
    assert hashlib.sha256(RVP_V2).hexdigest() == recorded["RVP_v2.docx"]
    # The too-big file travels by its Telegram file id; GPV sent nothing.
    assert bundle.by_file_id == (("BQAC-pvep1", f"PVEP_{SLUG}_v1.pdf"),)
    assert bundle.missing_units == ("GPV",)
    # Entries are dated when the unit sent the file, on the cluster's clock.
    assert archive.getinfo(f"VSP_{SLUG}_v1.pdf").date_time == (2022, 11, 14, 9, 0, 0)


async def test_manifest_lists_every_version_for_excel(seeded: Seed) -> None:
    bundle = build_request_zip(await _export(seeded), seeded.report_id, seeded.files)
    raw = zipfile.ZipFile(io.BytesIO(bundle.data)).read("manifest.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[:6] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Lần nộp",
        "Tên tệp gốc",
        "Tên tệp trong ZIP",
        "Thời điểm nộp",
    ]
    table = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["Mã đơn vị"], r["Lần nộp"]) for r in table] == [
        ("VSP", "1"),
        ("PVEP", "1"),
        ("RVP", "1"),
        ("RVP", "2"),
        ("GPV", ""),
    ]
    vsp, pvep, rvp1, rvp2, gpv = table
    assert vsp["Tên đơn vị"] == "Vietsovpetro"
    assert vsp["Tên tệp trong ZIP"] == f"VSP_{SLUG}_v1.pdf"
    assert vsp["Thời điểm nộp"] == "14/11/2022 09:00"
    assert (vsp["Tình trạng xem xét"], vsp["Nộp muộn"]) == ("Đã tiếp nhận", "Không")
    assert vsp["SHA-256"] == hashlib.sha256(VSP_FILE).hexdigest()
    assert (pvep["Nộp muộn"], pvep["Muộn"], pvep["File id"]) == (
        "Có",
        "15 giờ 30 phút",
        "BQAC-pvep1",
    )
    assert pvep["Lưu trữ"] == "Quá lớn – giữ theo file id"
    assert pvep["Ghi chú"] == "Không lưu trên máy chủ – gửi riêng theo file id"
    assert pvep["Tên tệp trong ZIP"] == ""
    assert (rvp1["Tên tệp gốc"], rvp1["Tình trạng xem xét"]) == (
        "RVP Báo cáo tổng kết.docx",
        "Cần bổ sung",
    )
    assert (rvp1["Tên tệp trong ZIP"], rvp1["Ghi chú"]) == ("", "Bản trước – không kèm trong ZIP")
    assert rvp2["Tên tệp trong ZIP"] == f"RVP_{SLUG}_v2.docx"
    assert (gpv["Tên đơn vị"], gpv["Ghi chú"]) == ("Công ty TNHH Gazpromviet", "Chưa nộp")


async def test_missing_or_altered_files_are_sent_by_file_id(seeded: Seed) -> None:
    folder = seeded.files / str(seeded.cluster_id) / str(seeded.report_id)
    (folder / "RVP_v2.docx").unlink()
    (folder / "VSP_v1.pdf").write_bytes(b"%PDF-1.7 altered on disk")
    bundle = build_request_zip(await _export(seeded), seeded.report_id, seeded.files)
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    assert archive.namelist() == ["manifest.csv"]
    assert bundle.included == ()
    assert bundle.by_file_id == (
        ("BQAC-vsp1", f"VSP_{SLUG}_v1.pdf"),
        ("BQAC-pvep1", f"PVEP_{SLUG}_v1.pdf"),
        ("BQAC-rvp2", f"RVP_{SLUG}_v2.docx"),
    )
    text = archive.read("manifest.csv").decode("utf-8-sig")
    notes = {row[0] + row[2]: row[-1] for row in csv.reader(io.StringIO(text))}
    assert notes["VSP1"] == "Tệp đã lưu không khớp mã SHA-256 đã ghi – gửi riêng theo file id"
    assert notes["RVP2"] == "Không tìm thấy tệp đã lưu – gửi riêng theo file id"


async def test_zip_only_for_a_report_request_of_the_cluster(seeded: Seed) -> None:
    export = await _export(seeded)
    for request_id in (seeded.confirmation_id, 999):
        with pytest.raises(UnknownRequest):
            build_request_zip(export, request_id, seeded.files)
    # A request nobody answered gives a manifest of the units that owe, and nothing else.
    bundle = build_request_zip(export, seeded.cancelled_id, seeded.files)
    assert zipfile.ZipFile(io.BytesIO(bundle.data)).namelist() == ["manifest.csv"]
    assert bundle.missing_units == ("VSP", "PVEP", "RVP", "GPV")
    assert bundle.filename == "bao-cao-so-ket-9-thang.zip"


def test_slug_is_plain_ascii_cut_at_a_word() -> None:
    assert slugify(TITLE) == SLUG
    assert slugify("Đăng ký thi đua năm 2023") == "dang-ky-thi-dua-nam-2023"
    assert slugify("  Báo cáo: «Quý IV» / 2022  ") == "bao-cao-quy-iv-2022"
    assert slugify("Отчёт") == ""
    assert len(slugify("Một " * 30)) <= 40


# --- the minutes -------------------------------------------------------------------------


async def test_minutes_of_every_closed_poll(seeded: Seed) -> None:
    export = await _export(seeded)
    (minutes,) = build_all_minutes(export)
    assert (minutes.poll_id, minutes.filename) == (
        seeded.poll_id,
        f"bien_ban_kiem_phieu_{seeded.poll_id}.docx",
    )
    document = open_docx(io.BytesIO(minutes.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert f"Về việc: {POLL_TITLE}" in text
    assert "bỏ phiếu kín" in text
    assert "Tổng số đơn vị có quyền bỏ phiếu: 4 (VSP, PVEP, RVP, GPV)." in text
    assert "Số phiếu thu về: 4 (100%); số phiếu hợp lệ: 4; số phiếu trắng: 0." in text
    assert "Kết luận: ứng viên đạt tỷ lệ theo quy định: VSP." in text
    table = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert table[1] == ["1", "VSP", "3", "75%", "Đạt"]
    assert "ngày 26/11/2022" in text  # closed 08:00 26/11 in Hà Nội
    with pytest.raises(ValueError, match="still open"):
        build_poll_minutes(export, seeded.open_poll_id)
    with pytest.raises(UnknownPoll):
        build_poll_minutes(export, 999)


async def test_builders_run_in_a_thread(seeded: Seed) -> None:
    import asyncio

    export = await _export(seeded)
    data = await asyncio.to_thread(build_workbook, export)
    bundle = await asyncio.to_thread(build_request_zip, export, seeded.report_id, seeded.files)
    assert data.startswith(b"PK")
    assert bundle.data.startswith(b"PK")
    assert export.as_of == datetime(2022, 11, 26, 1, 0, tzinfo=UTC)
