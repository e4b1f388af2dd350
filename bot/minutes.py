"""The vote-count minutes (biên bản kiểm phiếu) of a closed poll, as a .docx document."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from bot.i18n import format_date, format_when
from bot.tally import format_percent_vi, rules_summary_vi

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from docx.document import Document as DocxDocument

    from bot.domain import Cluster
    from bot.services.polls import PollView
    from bot.tally import Result


def _centered(document: DocxDocument, text: str, *, bold: bool = False, size: int = 13) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def build_minutes(
    cluster: Cluster, view: PollView, result: Result, closed_at: datetime, tz: ZoneInfo
) -> bytes:
    """Write the minutes in the formal style of a Vietnamese administrative record."""
    poll = view.poll
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    _centered(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _centered(document, "Độc lập – Tự do – Hạnh phúc", bold=True)
    _centered(document, cluster.name.upper(), bold=True)
    _centered(document, "BIÊN BẢN KIỂM PHIẾU", bold=True, size=15)
    _centered(document, f"Về việc: {poll.title}")
    document.add_paragraph(
        f"Thời gian bỏ phiếu: từ {format_when(poll.created_at, tz, 'vi')} "
        f"đến {format_when(closed_at, tz, 'vi')}. "
        "Hình thức: bỏ phiếu trực tuyến qua bot điều phối cụm thi đua trên Telegram"
        + (", bỏ phiếu kín." if poll.secret else ", bỏ phiếu công khai.")
    )
    document.add_paragraph(f"Nguyên tắc bình xét: {rules_summary_vi(poll.rules)}.")
    roll = ", ".join(entry.unit.code for entry in view.roll)
    document.add_paragraph(f"Tổng số đơn vị có quyền bỏ phiếu: {result.roll_size} ({roll}).")
    document.add_paragraph(
        f"Số phiếu thu về: {result.cast} ({format_percent_vi(result.turnout_percent)}); "
        f"số phiếu hợp lệ: {result.valid_ballots}; số phiếu trắng: {result.blank}."
    )
    heading = "Số điểm" if poll.rules.ranked else "Số phiếu"
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("STT", "Ứng viên", heading, "Tỷ lệ", "Kết quả"), strict=True
    ):
        cell.text = text
    for candidate in result.candidates:
        outcome = "Đạt" if candidate.passed else "Không đạt"
        if candidate.tied:
            outcome += " (bằng phiếu)"  # never for candidates nobody chose
        cells = table.add_row().cells
        cells[0].text = str(candidate.rank)
        cells[1].text = candidate.name
        cells[2].text = str(candidate.score)
        cells[3].text = format_percent_vi(candidate.percent)
        cells[4].text = outcome
    if not result.quorum_met:
        conclusion = (
            "Kết luận: số đơn vị tham gia bỏ phiếu chưa đạt mức tối thiểu theo quy định; "
            "kết quả bình xét không hợp lệ."
        )
    else:
        passed = ", ".join(c.name for c in result.candidates if c.passed) or "không có"
        conclusion = f"Kết luận: ứng viên đạt tỷ lệ theo quy định: {passed}."
    document.add_paragraph(conclusion)
    document.add_paragraph(
        f"Biên bản được lập vào ngày {format_date(closed_at, tz)}, các thành viên tổ kiểm "
        "phiếu thống nhất nội dung trên."
    )
    signatures = document.add_table(rows=2, cols=3)
    for cell, text in zip(
        signatures.rows[0].cells, ("TỔ TRƯỞNG", "THƯ KÝ", "THÀNH VIÊN"), strict=True
    ):
        cell.text = text
    for cell in signatures.rows[1].cells:
        cell.text = "(Ký, ghi rõ họ tên)"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
