"""The /export spreadsheet (.xlsx): one sheet per kind of record, Vietnamese headers and words."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from bot.files import format_duration_vi

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openpyxl.worksheet.worksheet import Worksheet

    from bot.domain import Person
    from bot.services.exports import ExportData

__all__ = [
    "ACTION_LABELS",
    "ANSWER_LABELS",
    "DATETIME_FORMAT",
    "MEETING_STATUS_LABELS",
    "NOT_SUBMITTED",
    "NO_ANSWER",
    "POLL_STATUS_LABELS",
    "REQUEST_STATUS_LABELS",
    "REVIEW_LABELS",
    "RSVP_LABELS",
    "SHEETS",
    "STORAGE_LABELS",
    "action_label",
    "build_workbook",
    "local_naive",
    "person_label",
]

SHEETS = ("Đơn vị", "Báo cáo", "Xác nhận", "Cuộc họp", "Bình xét", "Nhật ký")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

YES, NO = "Có", "Không"
NOT_SUBMITTED = "Chưa nộp"
NO_ANSWER = "Chưa trả lời"
SYSTEM = "Tự động (bot)"
_DEFAULT_VOTER = "do chưa chỉ định người bỏ phiếu"
REQUEST_STATUS_LABELS = {"open": "Đang mở", "closed": "Đã đóng", "cancelled": "Đã hủy"}
MEETING_STATUS_LABELS = {
    "scheduled": "Đã lên lịch",
    "closed": "Đã kết thúc",
    "cancelled": "Đã hủy",
}
POLL_STATUS_LABELS = {"open": "Đang bỏ phiếu", "closed": "Đã kết thúc"}
REVIEW_LABELS = {"pending": "Chờ xem xét", "accepted": "Đã tiếp nhận", "returned": "Cần bổ sung"}
STORAGE_LABELS = {
    "stored": "Đã lưu",
    "too_big": "Quá lớn – giữ theo file id",
    "failed": "Tải lỗi – giữ theo file id",
}
ANSWER_LABELS = {"confirmed": "Đã xác nhận", "commented": "Góp ý"}
RSVP_LABELS = {"attend": "Tham dự", "absent": "Vắng mặt"}

# Every `action=` written to audit_log (grep `insert_audit(`); an unknown code is shown raw.
ACTION_LABELS = {
    "setup": "Thiết lập cụm thi đua",
    "rename": "Đổi tên cụm thi đua",
    "add_unit": "Thêm đơn vị",
    "lead": "Chỉ định cụm trưởng",
    "settings": "Thay đổi cài đặt",
    "migrate": "Chuyển sang nhóm mới (siêu nhóm)",
    "voter": "Chỉ định người bỏ phiếu",
    "join": "Tham gia làm đầu mối",
    "join_request": "Đề nghị làm đầu mối",
    "join_approved": "Chấp thuận đề nghị làm đầu mối",
    "join_rejected": "Từ chối đề nghị làm đầu mối",
    "invite": "Tạo đường dẫn mời",
    "revoke": "Thu hồi đường dẫn mời",
    "join_invite": "Làm đầu mối qua đường dẫn mời",
    "open_report": "Mở yêu cầu báo cáo",
    "open_confirmation": "Mở yêu cầu xác nhận",
    "deadline": "Thay đổi hạn",
    "request_close": "Đóng yêu cầu",
    "request_reopen": "Mở lại yêu cầu",
    "request_cancel": "Hủy yêu cầu",
    "submit": "Nộp báo cáo",
    "review_accepted": "Chấp nhận báo cáo",
    "review_returned": "Yêu cầu bổ sung báo cáo",
    "confirmation_confirmed": "Xác nhận",
    "confirmation_commented": "Góp ý",
    "meeting": "Lên lịch cuộc họp",
    "meeting_move": "Dời lịch cuộc họp",
    "meeting_cancel": "Hủy cuộc họp",
    "meeting_close": "Kết thúc cuộc họp",
    "rsvp_attend": "Báo tham dự cuộc họp",
    "rsvp_absent": "Báo vắng mặt cuộc họp",
    "poll": "Mở bình xét",
    "poll_closed": "Kết thúc bình xét, kiểm phiếu",
    "export": "Xuất dữ liệu",
}

Kind = Literal["text", "datetime", "int", "percent"]
Value = str | int | datetime | Fraction | None
_WIDTH = {"datetime": 17, "percent": 10}
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its Vietnamese header and kind of value (width, number format)."""

    header: str
    kind: Kind = "text"


def local_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment on the cluster's clock, without a zone (Excel has none)."""
    return moment.astimezone(tz).replace(tzinfo=None)


def person_label(person: Person) -> str:
    """A person as the secretariat knows them: 'Phạm Minh Đức (@ducpm)'."""
    return f"{person.full_name} (@{person.username})" if person.username else person.full_name


def action_label(action: str) -> str:
    """A journal action in Vietnamese words; an unknown code as it is."""
    return ACTION_LABELS.get(action, action)


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _text(value: str) -> str:
    # openpyxl refuses control characters; user text is cleaned, but a file name may not be.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _write_sheet(
    ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Value]]
) -> None:
    widths = [len(c.header) for c in columns]
    for col, column in enumerate(columns, start=1):
        header = ws.cell(row=1, column=col, value=column.header)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        header.alignment = Alignment(vertical="center", wrap_text=True)
    for r, values in enumerate(rows, start=2):
        for col, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = ws.cell(row=r, column=col)
            if value is None:
                continue
            if isinstance(value, datetime):
                cell.value = value
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, Fraction):
                cell.value = float(value) / 100  # a percentage, stored as Excel's fraction
                cell.number_format = "0.0%"
            elif isinstance(value, int):
                cell.value = value
                cell.number_format = "#,##0" if column.kind == "int" else "0"
                widths[col - 1] = max(widths[col - 1], len(f"{value:,}"))
            else:
                text = _text(value)
                cell.value = text
                # A title or file name starting with '=' stays text, never a formula.
                cell.data_type = "s"
                widths[col - 1] = max(widths[col - 1], len(text))
    for col, (column, width) in enumerate(zip(columns, widths, strict=True), start=1):
        size = max(width, _WIDTH.get(column.kind, 0)) + 2
        ws.column_dimensions[get_column_letter(col)].width = min(max(size, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def _units_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    columns = [
        Column("Mã đơn vị"),
        Column("Tên đơn vị"),
        Column("Cụm trưởng"),
        Column("Đầu mối"),
        Column("Tài khoản Telegram"),
        Column("Người bỏ phiếu"),
    ]
    rows: list[list[Value]] = []
    for entry in data.units:
        if entry.voter is not None:
            voter = person_label(entry.voter)
        elif entry.liaisons:
            voter = f"{person_label(entry.liaisons[0])} – đầu mối, {_DEFAULT_VOTER}"
        else:
            voter = ""
        rows.append(
            [
                entry.unit.code,
                entry.unit.name,
                YES if entry.is_lead else "",
                "; ".join(person_label(p) for p in entry.liaisons),
                "; ".join(f"@{p.username}" for p in entry.liaisons if p.username),
                voter,
            ]
        )
    return columns, rows


def _reports_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    tz = ZoneInfo(data.cluster.tz)
    columns = [
        Column("Yêu cầu báo cáo"),
        Column("Trạng thái yêu cầu"),
        Column("Hạn nộp", "datetime"),
        Column("Mã đơn vị"),
        Column("Lần nộp", "int"),
        Column("Bản cuối"),
        Column("Tên tệp"),
        Column("Thời điểm nộp", "datetime"),
        Column("Nộp muộn"),
        Column("Muộn"),
        Column("Tình trạng xem xét"),
        Column("Ý kiến xem xét"),
        Column("Người nộp"),
        Column("Dung lượng (byte)", "int"),
        Column("SHA-256"),
        Column("Lưu trữ"),
    ]
    rows: list[list[Value]] = []
    for report in data.reports:
        request = report.request
        head: list[Value] = [
            request.title,
            REQUEST_STATUS_LABELS.get(request.status, request.status),
            local_naive(request.deadline_at, tz),
        ]
        latest = report.latest
        for unit in report.units:
            versions = report.versions_of(unit.id)
            if not versions:
                rows.append([*head, unit.code, *[None] * 6, NOT_SUBMITTED, *[None] * 5])
                continue
            for sub in versions:
                late = report.late_seconds(sub)
                rows.append(
                    [
                        *head,
                        unit.code,
                        sub.version,
                        YES if sub.id == latest[unit.id].id else "",
                        sub.file_name,
                        local_naive(sub.submitted_at, tz),
                        _yes_no(late > 0),
                        format_duration_vi(late) if late > 0 else "",
                        REVIEW_LABELS.get(sub.review, sub.review),
                        sub.review_comment,
                        data.name_of(sub.user_id),
                        sub.file_size,
                        sub.sha256,
                        STORAGE_LABELS.get(sub.storage, sub.storage),
                    ]
                )
    return columns, rows


def _confirmations_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    tz = ZoneInfo(data.cluster.tz)
    columns = [
        Column("Yêu cầu xác nhận"),
        Column("Trạng thái yêu cầu"),
        Column("Hạn trả lời", "datetime"),
        Column("Mã đơn vị"),
        Column("Trả lời"),
        Column("Nội dung góp ý"),
        Column("Người trả lời"),
        Column("Thời điểm trả lời", "datetime"),
    ]
    rows: list[list[Value]] = []
    for item in data.confirmations:
        request = item.request
        answers = {a.unit_id: a for a in item.answers}
        for unit in item.units:
            answer = answers.get(unit.id)
            rows.append(
                [
                    request.title,
                    REQUEST_STATUS_LABELS.get(request.status, request.status),
                    local_naive(request.deadline_at, tz),
                    unit.code,
                    ANSWER_LABELS.get(answer.status, answer.status) if answer else NO_ANSWER,
                    answer.comment if answer else None,
                    data.name_of(answer.user_id) if answer else None,
                    local_naive(answer.answered_at, tz) if answer else None,
                ]
            )
    return columns, rows


def _meetings_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    tz = ZoneInfo(data.cluster.tz)
    columns = [
        Column("Cuộc họp"),
        Column("Thời gian", "datetime"),
        Column("Địa điểm"),
        Column("Nội dung"),
        Column("Trạng thái"),
        Column("Mã đơn vị"),
        Column("Trả lời"),
        Column("Người tham dự"),
        Column("Người trả lời"),
    ]
    rows: list[list[Value]] = []
    for item in data.meetings:
        meeting = item.meeting
        rsvps = {r.unit_id: r for r in item.rsvps}
        for unit in item.units:
            rsvp = rsvps.get(unit.id)
            rows.append(
                [
                    meeting.title,
                    local_naive(meeting.starts_at, tz),
                    meeting.place,
                    meeting.agenda or None,
                    MEETING_STATUS_LABELS.get(meeting.status, meeting.status),
                    unit.code,
                    RSVP_LABELS.get(rsvp.status, rsvp.status) if rsvp else NO_ANSWER,
                    rsvp.attendees or None if rsvp else None,
                    data.name_of(rsvp.user_id) if rsvp else None,
                ]
            )
    return columns, rows


def _polls_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    # Totals only, for secret and open polls alike: never a ballot, never who chose whom.
    tz = ZoneInfo(data.cluster.tz)
    columns = [
        Column("Cuộc bình xét"),
        Column("Hình thức"),
        Column("Xếp hạng (Borda)"),
        Column("Hạn bỏ phiếu", "datetime"),
        Column("Thời điểm kết thúc", "datetime"),
        Column("Trạng thái"),
        Column("Số đơn vị có quyền bỏ phiếu", "int"),
        Column("Số phiếu đã bỏ", "int"),
        Column("Tỷ lệ tham gia", "percent"),
        Column("Số phiếu trắng", "int"),
        Column("Đủ số đơn vị tham gia tối thiểu"),
        Column("Ứng viên"),
        Column("Số phiếu / số điểm", "int"),
        Column("Tỷ lệ", "percent"),
        Column("Kết quả"),
        Column("Thứ hạng", "int"),
    ]
    rows: list[list[Value]] = []
    for item in data.polls:
        poll = item.view.poll
        head: list[Value] = [
            poll.title,
            "Bỏ phiếu kín" if poll.secret else "Bỏ phiếu công khai",
            _yes_no(poll.rules.ranked),
            local_naive(poll.closes_at, tz),
            local_naive(poll.closed_at, tz) if poll.closed_at else None,
            POLL_STATUS_LABELS.get(poll.status, poll.status),
            len(item.view.roll),
        ]
        result = item.result
        if result is None:
            # Still open: the count is made only at closing, like a paper ballot box.
            turnout = Fraction(item.view.turnout * 100, max(len(item.view.roll), 1))
            rows.append([*head, item.view.turnout, turnout, *[None] * 7])
            continue
        for candidate in result.candidates:
            outcome = "Đạt" if candidate.passed else "Không đạt"
            if candidate.tied:
                outcome += " (bằng phiếu)"
            rows.append(
                [
                    *head,
                    result.cast,
                    result.turnout_percent,
                    result.blank,
                    _yes_no(result.quorum_met),
                    candidate.name,
                    candidate.score,
                    candidate.percent,
                    outcome,
                    candidate.rank,
                ]
            )
    return columns, rows


def _journal_sheet(data: ExportData) -> tuple[list[Column], list[list[Value]]]:
    tz = ZoneInfo(data.cluster.tz)
    columns = [
        Column("Thời điểm", "datetime"),
        Column("Người thực hiện"),
        Column("Thao tác"),
        Column("Chi tiết"),
    ]
    rows: list[list[Value]] = [
        [
            local_naive(entry.at, tz),
            SYSTEM if entry.user_id is None else data.name_of(entry.user_id),
            action_label(entry.action),
            entry.detail or None,
        ]
        for entry in data.journal
    ]
    return columns, rows


def _fixed_times(archive: bytes, moment: datetime) -> bytes:
    """Rewrite a ZIP with every entry dated `moment`: the same data gives the same bytes."""
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def build_workbook(data: ExportData) -> bytes:
    """Write the cluster's records as an .xlsx (pure and synchronous: run it in a thread)."""
    workbook = Workbook()
    builders = (
        _units_sheet,
        _reports_sheet,
        _confirmations_sheet,
        _meetings_sheet,
        _polls_sheet,
        _journal_sheet,
    )
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for title, builder in zip(SHEETS, builders, strict=True):
        columns, rows = builder(data)
        _write_sheet(workbook.create_sheet(title), columns, rows)
    # Dated by the data, not the clock, so the same records always give the same file.
    moment = data.as_of.replace(tzinfo=None)
    workbook.properties.creator = data.cluster.name
    workbook.properties.title = f"Dữ liệu {data.cluster.name}"
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    # Not workbook.save(): it stamps the file with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _fixed_times(buffer.getvalue(), local_naive(data.as_of, ZoneInfo(data.cluster.tz)))
