"""`python -m bot sandbox` driven through stdin, as a person at the terminal would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SESSION = """\
/thietlap Cụm thi đua số 1 | 2022
/themdonvi VSP Liên doanh Việt – Nga Vietsovpetro \\
PVEP Tổng công ty Thăm dò khai thác Dầu khí
/cumtruong VSP
:ai 3
:rieng
/start
:nhom
/thamgia
:bam PVEP
:ai Hải
:bam Duyệt
/yeucau Báo cáo tổng kết năm 2022 | 17:00 15/11/2022
:ai 3
:tra Yêu cầu báo cáo
:tep {report}
:ai 1
:bam Tiếp nhận
:khonghieu
:nguoi
:thoat
"""


def test_a_person_drives_the_bot_through_the_terminal(tmp_path: Path) -> None:
    report = tmp_path / "BC PVEP 2022.pdf"
    report.write_bytes(b"%PDF-1.7 Bao cao PVEP")
    session = SESSION.format(report=report)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--dir", str(tmp_path / "data")],
        input=session,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr + out[-3000:]
    assert "Nhóm đã được đăng ký là cụm thi đua “Cụm thi đua số 1”" in out
    assert "Đã thêm 2 đơn vị" in out  # the two lines joined by "\" made one message
    assert "» Đang gõ: Phạm Minh Đức @ Riêng · Phạm Minh Đức" in out
    assert "[Nhóm Cụm thi đua số 1] Phạm Minh Đức: bấm [PVEP]" in out
    assert "» Dòng tiếp theo trả lời tin nhắn #" in out
    assert "↩ 📎 BC PVEP 2022.pdf" in out
    assert "Đã nhận báo cáo của Tổng công ty Thăm dò khai thác Dầu khí" in out
    assert "» Không có lệnh “:khonghieu”" in out
    assert "» 3. Phạm Minh Đức (đầu mối PVEP)" in out
    db = sqlite3.connect(tmp_path / "data" / "data" / "bot.sqlite3")
    with db:
        rows = db.execute(
            "SELECT u.code, s.version, s.review, s.file_name FROM submissions s "
            "JOIN units u ON u.id = s.unit_id"
        ).fetchall()
    db.close()
    assert rows == [("PVEP", 1, "accepted", "BC PVEP 2022.pdf")]
