"""Recording submissions without Telegram: replays, crashes and duplicates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from bot.domain import AlreadyHandled
from bot.services import clusters, membership, requests
from bot.services.membership import PersonInfo
from bot.services.submissions import Candidate, Document, Download, record_submission
from db.connection import Database

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)
CHAT = -1001500000001


async def _seed(tmp_path: Path) -> tuple[Database, Candidate]:
    from zoneinfo import ZoneInfo

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
        text="PVEP Tổng công ty Thăm dò khai thác Dầu khí",
        user_id=1,
        is_group_admin=True,
        now=NOW,
    )
    await clusters.update_settings(
        db, chat_id=CHAT, user_id=1, is_group_admin=True, now=NOW, join_policy="open"
    )
    await membership.request_join(
        db, chat_id=CHAT, unit_id=1, info=PersonInfo(3, "Phạm Minh Đức"), now=NOW
    )
    view = await requests.open_request(
        db,
        chat_id=CHAT,
        kind="report",
        text="Báo cáo tổng kết | 17:00 15/11/2022",
        user_id=1,
        is_group_admin=True,
        now=NOW,
    )
    return db, Candidate(view.cluster, view.units[0], view.request)


def _download(tmp_path: Path, content: bytes) -> Download:
    import hashlib

    part = tmp_path / "files" / "tmp" / "x.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(content)
    return Download(part, hashlib.sha256(content).hexdigest(), len(content))


async def test_a_replayed_update_records_one_version_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    db, candidate = await _seed(tmp_path)
    document = Document("BQAC1", "AgAD1", "PVEP.pdf", "application/pdf", 9)
    for attempt in range(2):
        download = _download(tmp_path, b"%PDF v1 x")
        kwargs = dict(
            files_dir=tmp_path / "files",
            candidate=candidate,
            document=document,
            download=download,
            storage="stored",
            user_id=3,
            now=NOW,
            update_id=77,
        )
        if attempt == 0:
            recorded = await record_submission(db, **kwargs)  # type: ignore[arg-type]
            assert recorded.submission.version == 1
        else:
            with pytest.raises(AlreadyHandled):
                await record_submission(db, **kwargs)  # type: ignore[arg-type]
        assert not download.path.exists()
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM submissions") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    assert sorted(p.name for p in (tmp_path / "files" / "1" / "1").iterdir()) == ["PVEP_v1.pdf"]
    await db.close()


async def test_orphan_files_are_removed_and_recorded_ones_kept(tmp_path: Path) -> None:
    import os

    from bot.services.submissions import remove_orphan_files

    db, candidate = await _seed(tmp_path)
    document = Document("BQAC1", "AgAD1", "PVEP.pdf", "application/pdf", 9)
    await record_submission(
        db,
        files_dir=tmp_path / "files",
        candidate=candidate,
        document=document,
        download=_download(tmp_path, b"%PDF v1 x"),
        storage="stored",
        user_id=3,
        now=NOW,
    )
    folder = tmp_path / "files" / "1" / "1"
    orphan = folder / "PVEP_v2.docx"  # a hard kill after the move, before COMMIT
    orphan.write_bytes(b"half")
    fresh = folder / "PVEP_v3.pdf"  # being recorded right now
    fresh.write_bytes(b"new")
    old = 1_000_000_000
    for path in (orphan, folder / "PVEP_v1.pdf"):
        os.utime(path, (old, old))
    assert await remove_orphan_files(db, tmp_path / "files") == 1
    assert sorted(p.name for p in folder.iterdir()) == ["PVEP_v1.pdf", "PVEP_v3.pdf"]
    await db.close()
