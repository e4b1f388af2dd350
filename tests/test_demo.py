"""`python -m bot demo`: the seed year played offline against the real bot process."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from bot.demo import TOKEN, Demo, run_demo

ROOT = Path(__file__).resolve().parent.parent
GROUP = "[Nhóm Cụm thi đua số 1]"


@pytest.fixture(scope="module")
def played(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(out)],
        cwd=ROOT,
        # Everything the bot can log, so the token scan below sees the most it could leak.
        env={**os.environ, "LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
    )
    return result, out


def test_demo_plays_the_seed_year_and_exits_0(
    played: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = played
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    text = result.stdout
    expected = [
        f"{GROUP} Trần Văn Hải: /thietlap Cụm thi đua số 1 | 2022",
        f"{GROUP} 🤖 Bot: Nhóm đã được đăng ký là cụm thi đua “Cụm thi đua số 1” (năm 2022).",
        f"{GROUP} 🤖 Bot: Đã thêm 4 đơn vị:",
        "[Riêng · Trần Văn Hải] 🤖 Bot: Đường dẫn mời đầu mối của đơn vị PVEP",
        "[Riêng · Lê Thị Thu Hà] 🤖 Bot: Chào mừng anh/chị!",
        "[Riêng · Phạm Minh Đức] Phạm Minh Đức: /start inv_",
        "📅 Cuộc họp: Họp Cụm thi đua số 1",
        "Thời gian: 09:00 thứ Ba, 01/11/2022",
        "Vắng mặt: RVP",
        "[Tham dự] [Vắng mặt]",
        "📋 Yêu cầu báo cáo: Báo cáo tổng kết công tác thi đua khen thưởng năm 2022",
        "[Tiếp nhận] [Yêu cầu bổ sung]",
        "Trần Văn Hải: bấm [Yêu cầu bổ sung]",
        "Thường trực cụm đề nghị đơn vị PVEP bổ sung",
        "— bản 2",
        "⏰ Nhắc hạn",
        "⛔ Quá hạn",
        "(nộp muộn",
        "Đã xác nhận 3/4: VSP, PVEP, RVP",
        "Có góp ý: GPV",
        "🗳 Bình xét: Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022",
        "[Riêng · Đỗ Thị Lan] 🤖 Bot (sửa tin nhắn): ✅ Bot đã nhận phiếu bầu",
        "1. VSP – 3 phiếu (75%) ✅ đạt",
        "📊 Tình hình thực hiện của “Cụm thi đua số 1”",
        "Đã xong: 1 bảng tính, 1 tệp ZIP, 1 biên bản",
        "✅ Demo hoàn tất",
    ]
    missing = [line for line in expected if line not in text]
    assert missing == []
    # The transcript shows plain text: Telegram's HTML is stripped.
    assert "<b>" not in text
    assert "</a>" not in text
    # The story is told in order: the set-up comes before the export.
    assert text.index("/thietlap") < text.index("/yeucau") < text.index("/xuat")
    assert (out / "transcript.txt").read_text(encoding="utf-8").strip().endswith("bot.log")
    # The bot process logged no error.
    log = (out / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert " ERROR " not in log
    assert "Traceback" not in log


def test_the_token_is_nowhere_in_what_a_full_run_leaves(
    played: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    # The whole seed year at LOG_LEVEL=DEBUG (PTB and httpx put the token in every URL):
    # not in the bot's log, the transcript, the database, the exports, nor on the screen.
    result, out = played
    assert result.returncode == 0
    secret = TOKEN.split(":", 1)[1].encode()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 5
    log = (out / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert " DEBUG " in log  # the scan covers the chattiest level
    leaked = [str(p.relative_to(out)) for p in files if secret in p.read_bytes()]
    assert leaked == []
    assert secret.decode() not in result.stdout + result.stderr


def test_demo_keeps_the_exports_and_the_database(
    played: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = played
    assert result.returncode == 0
    exports = out / "exports"
    (sheet,) = exports.glob("*.xlsx")
    book = openpyxl.load_workbook(sheet)
    assert "Báo cáo" in book.sheetnames
    table = [[c.value for c in row] for row in book["Báo cáo"].iter_rows()]
    units = {row[table[0].index("Mã đơn vị")] for row in table[1:]}
    assert units >= {"VSP", "PVEP", "RVP", "GPV"}

    (archive_path,) = exports.glob("*.zip")
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
    assert any(n.startswith("PVEP_") and n.endswith("_v2.pdf") for n in names)
    assert len([n for n in names if n != "manifest.csv"]) == 4
    rows = list(csv.reader(io.StringIO(manifest)))
    assert len(rows) == 1 + 5  # a header and every version (PVEP has two)

    (minutes_path,) = exports.glob("*.docx")
    minutes = "\n".join(p.text for p in docx.Document(str(minutes_path)).paragraphs)
    assert "BIÊN BẢN KIỂM PHIẾU" in minutes.upper()

    with sqlite3.connect(out / "data" / "bot.sqlite3") as conn:
        submissions = conn.execute(
            "SELECT u.code, s.version, s.review, s.late_seconds > 0 FROM submissions s "
            "JOIN units u ON u.id = s.unit_id ORDER BY s.id"
        ).fetchall()
        poll = conn.execute("SELECT status FROM polls").fetchall()
    assert submissions == [
        ("PVEP", 1, "returned", 0),
        ("VSP", 1, "accepted", 0),
        ("GPV", 1, "accepted", 0),
        ("PVEP", 2, "accepted", 0),
        ("RVP", 1, "accepted", 1),
    ]
    assert poll == [("closed",)]


def test_a_missing_answer_fails_the_demo_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def wrong_answer(self: Demo) -> None:
        await self.step("Một bước không có câu trả lời")
        await self.expect(-1001000000001, "câu trả lời không bao giờ đến", timeout=1)

    async def not_reached(self: Demo) -> None:
        raise AssertionError

    monkeypatch.setattr(Demo, "setup_cluster", wrong_answer)
    monkeypatch.setattr(Demo, "_meeting", not_reached)
    assert run_demo(tmp_path / "out") == 1
    captured = capsys.readouterr()
    assert "❌ Demo thất bại: bước “Một bước không có câu trả lời”" in captured.err
    assert "“câu trả lời không bao giờ đến”" in captured.err
    assert list((tmp_path / "out").glob("exports/*")) == []


def test_demo_is_a_subcommand_with_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out
