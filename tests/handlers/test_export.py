"""/export (/xuat) through real updates: what reaches the secretariat's private chat."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import docx
import openpyxl
import pytest

from handlers import export as export_handler
from tests.fakes import markup_buttons
from tests.handlers.test_reports import PDF, TITLE, open_request, seed_with_liaisons
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, OUTSIDER, TUAN_RVP

POLL = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022 | 17:00 25/10/2022 | bi_mat=khong"
DOCX = b"PK\x03\x04" + b"Bao cao RVP" * 20


async def _seed_year(h: Harness) -> None:
    """The seed cluster with one report request (two files), and a closed poll."""
    await seed_with_liaisons(h)
    await h.say(ADMIN, "/start", chat_id=ADMIN.id)
    request_message = await open_request(h)
    await h.send_file(DUC_PVEP, "BC tong ket PVEP 2022.pdf", PDF, reply_to=request_message)
    await h.send_file(TUAN_RVP, "BC RVP.pdf", PDF + b"RVP", reply_to=request_message)
    await h.say(HA_VSP, f"/binhchon {POLL}")
    poll = [c for c in h.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    vote = dict(markup_buttons(poll))
    await h.press(DUC_PVEP, vote["RVP"])
    await h.press(ADMIN, "pm1:close:1")


async def _export(h: Harness, person: object = ADMIN) -> None:
    await h.say(person, "/xuat")
    await export_handler.wait_for_exports()
    await h.deps.live.flush()


async def test_export_sends_spreadsheet_zip_and_minutes_privately(harness: Harness) -> None:
    await _seed_year(harness)
    await _export(harness)
    assert "sẽ nhận các tệp trong tin nhắn riêng" in harness.request.last_sent(GROUP_ID)
    files = dict(
        (name, content)
        for name, content in harness.request.documents(ADMIN.id)
        if isinstance(content, bytes)
    )
    # Nothing goes to the group: the export is for the secretariat only.
    assert harness.request.documents(GROUP_ID) == []
    sheet_name = next(n for n in files if n.endswith(".xlsx"))
    assert sheet_name.startswith("cum-thi-dua-so-1_")
    book = openpyxl.load_workbook(io.BytesIO(files[sheet_name]))
    assert book.sheetnames == ["Đơn vị", "Báo cáo", "Xác nhận", "Cuộc họp", "Bình xét", "Nhật ký"]
    table = [[c.value for c in row] for row in book["Báo cáo"].iter_rows()]
    reports = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    by_unit = {row["Mã đơn vị"]: row for row in reports if row["Yêu cầu báo cáo"] == TITLE}
    assert set(by_unit) == {"VSP", "PVEP", "RVP", "GPV"}
    assert by_unit["PVEP"]["Tên tệp"] == "BC tong ket PVEP 2022.pdf"
    assert by_unit["VSP"]["Tên tệp"] in (None, "")
    journal = [[c.value for c in row] for row in book["Nhật ký"].iter_rows(min_row=2)]
    assert any("Xuất dữ liệu" in str(row) for row in journal)
    # One ZIP for the request: each unit's latest file under its code, and a manifest.
    zip_name = next(n for n in files if n.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(files[zip_name])) as archive:
        names = archive.namelist()
        pvep = next(n for n in names if n.startswith("PVEP_"))
        assert pvep.endswith("_v1.pdf")
        assert hashlib.sha256(archive.read(pvep)).hexdigest() == hashlib.sha256(PDF).hexdigest()
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(manifest)))
    assert [row[0] for row in rows[1:]] == ["VSP", "PVEP", "RVP", "GPV"]
    assert rows[1][-1] == rows[4][-1] == "Chưa nộp"
    assert pvep in rows[2]
    # The minutes of the closed poll, in formal Vietnamese.
    minutes = next(n for n in files if n.endswith(".docx"))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(files[minutes])).paragraphs)
    assert "BIÊN BẢN KIỂM PHIẾU" in text.upper()
    # The progress message ends with what was sent.
    assert "Đã xong: 1 bảng tính, 1 tệp ZIP, 1 biên bản" in harness.request.last_text(ADMIN.id)
    assert await harness.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export'") == 1


async def test_export_is_refused_to_others_and_needs_the_private_chat(harness: Harness) -> None:
    await _seed_year(harness)
    harness.request.clear()
    await _export(harness, OUTSIDER)
    assert "chỉ thường trực cụm" in harness.request.last_sent(GROUP_ID)
    await _export(harness, DUC_PVEP)  # a liaison of a member unit is not secretariat
    assert harness.request.calls and all(
        c.endpoint != "sendDocument" for c in harness.request.calls
    )
    # The lead unit's liaison is secretariat but never opened the private chat.
    await _export(harness, HA_VSP)
    assert "Tệp chỉ được gửi qua tin nhắn riêng" in harness.request.last_sent(GROUP_ID)
    assert "t.me/cum_thi_dua_bot" in harness.request.last_sent(GROUP_ID)
    assert not any(c.endpoint == "sendDocument" for c in harness.request.calls)
    assert await harness.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export'") == 0


async def test_a_replayed_export_sends_nothing_twice(harness: Harness) -> None:
    await _seed_year(harness)
    update = harness.updates.message(ADMIN, "/xuat")
    await harness.feed(update)
    await harness.feed(update)
    await export_handler.wait_for_exports()
    sheets = [n for n, _ in harness.request.documents(ADMIN.id) if n.endswith(".xlsx")]
    assert len(sheets) == 1


async def test_a_second_export_while_one_runs_is_told_to_wait(harness: Harness) -> None:
    await _seed_year(harness)
    await harness.say(ADMIN, "/xuat")
    await harness.say(ADMIN, "/xuat")  # the first has not started its work yet
    assert "đang được xuất" in harness.request.last_sent(GROUP_ID)
    await export_handler.wait_for_exports()
    sheets = [n for n, _ in harness.request.documents(ADMIN.id) if n.endswith(".xlsx")]
    assert len(sheets) == 1


async def test_a_zip_over_the_upload_limit_becomes_files_by_id(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed_year(harness)
    monkeypatch.setattr(export_handler, "UPLOAD_LIMIT", 100)
    await _export(harness)
    documents = harness.request.documents(ADMIN.id)
    assert not any(name.endswith(".zip") for name, _ in documents)
    by_id = [(name, content) for name, content in documents if isinstance(content, str)]
    assert sorted(name for name, _ in by_id) == ["BC RVP.pdf", "BC tong ket PVEP 2022.pdf"]
