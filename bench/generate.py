"""A large database generated fast: migrate with `Database.open`, then bulk `executemany`.

`year` mode — per cluster, 20 units with one liaison each and a year of data around NOW:
20 requests (5 closed in the past with every unit's submission or answer, 15 open with
deadlines ahead and half the units done), 10 meetings (4 past, 6 ahead, half answered),
5 polls (4 closed with full rolls and ballots, 1 open), the reminder log of the past half
year (every daily digest, every slot of the closed items). Offsets are 7d;3d;1d;2h, so each
cluster has exactly 100 pending reminder slots: 15 × (4 before + overdue) + 6 × 4 + the next
digest. Two liaisons per cluster opened the private chat (they get private copies).

`due` mode — per cluster, `due_per_cluster` open requests whose 2-hour reminder falls on
NOW exactly (planned 3 h before, so earlier offsets were never due): they all come due in
the same second. Today's digest is already handled.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from db.connection import Database
from db.util import ts

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, outside quiet hours
UNITS = 20
OFFSETS = "604800;259200;86400;7200"
STARTED_PER_CLUSTER = 2
_PERSON_BASE = 20_000_000


def chat_of(cluster: int) -> int:
    """Supergroup id of generated cluster n (1-based)."""
    return -1_003_000_000_000 - cluster


def person_of(cluster: int, unit: int) -> int:
    """User id of the liaison of unit j (0-based) in cluster n."""
    return _PERSON_BASE + cluster * UNITS + unit


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


class _Rows:
    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, table: str, *row: Any) -> None:
        self.tables.setdefault(table, []).append(row)


_COLUMNS = {
    "clusters": "id, chat_id, name, year, join_policy, lead_unit_id, created_by, created_at, "
    "reminder_offsets",
    "units": "id, cluster_id, code, name, created_at",
    "people": "user_id, first_name, language_code, started, updated_at",
    "liaisons": "cluster_id, user_id, unit_id, via, joined_at",
    "requests": "id, cluster_id, kind, title, deadline_at, status, file_types, message_id, "
    "created_by, created_at, closed_at",
    "request_units": "request_id, unit_id",
    "submissions": "request_id, unit_id, version, user_id, submitted_at, file_name, "
    "stored_name, file_size, mime_type, sha256, file_id, file_unique_id, storage, review",
    "confirmations": "request_id, unit_id, status, user_id, answered_at",
    "meetings": "id, cluster_id, title, starts_at, place, status, message_id, created_by, "
    "created_at",
    "rsvps": "meeting_id, unit_id, status, user_id, answered_at",
    "polls": "id, cluster_id, title, closes_at, status, candidates, candidate_units, secret, "
    "result_posted, message_id, created_by, created_at, closed_at",
    "poll_roll": "poll_id, unit_id, voter_user_id, has_voted",
    "ballot_boxes": "poll_id, ballots",
    "reminders_sent": "item_kind, item_id, slot, due_at, sent_at, skipped, kind",
    "status_boards": "cluster_id, message_id, body_hash, updated_at",
}


def _cluster(rows: _Rows, n: int, ids: dict[str, int], started: int) -> tuple[int, list[int]]:
    """One cluster with its units, people and liaisons; returns (cluster id, unit ids)."""
    cid = n
    created = ts(NOW - timedelta(days=200))
    unit_ids = []
    for j in range(UNITS):
        ids["unit"] += 1
        uid = ids["unit"]
        unit_ids.append(uid)
        rows.add("units", uid, cid, f"U{j:02d}", f"Đơn vị thành viên số {j + 1} cụm {n}", created)
        person = person_of(n, j)
        rows.add("people", person, f"Liên lạc viên {n}-{j}", "vi", int(j < started), created)
        rows.add("liaisons", cid, person, uid, "open", created)
    rows.add(
        "clusters",
        cid,
        chat_of(n),
        f"Cụm thi đua số {n}",
        2022,
        "open",
        unit_ids[0],
        person_of(n, 0),
        created,
        OFFSETS,
    )
    rows.add("status_boards", cid, 900_000 + n, None, created)
    return cid, unit_ids


def _request(
    rows: _Rows,
    ids: dict[str, int],
    cid: int,
    n: int,
    unit_ids: list[int],
    *,
    kind: str,
    deadline: datetime,
    created: datetime,
    closed: bool,
    done: int,
) -> int:
    ids["request"] += 1
    rid = ids["request"]
    rows.add(
        "requests",
        rid,
        cid,
        kind,
        f"{'Báo cáo' if kind == 'report' else 'Dự thảo'} số {rid} của cụm {n}",
        ts(deadline),
        "closed" if closed else "open",
        "pdf;docx" if kind == "report" else "",
        rid,
        person_of(n, 0),
        ts(created),
        ts(deadline + timedelta(days=3)) if closed else None,
    )
    for j, uid in enumerate(unit_ids):
        rows.add("request_units", rid, uid)
        if j >= done:
            continue
        at = ts(deadline - timedelta(hours=j + 1))
        if kind == "report":
            digest = f"{rid:08x}{uid:08x}".ljust(64, "0")
            rows.add(
                "submissions",
                rid,
                uid,
                1,
                person_of(n, j),
                at,
                f"BC U{j:02d}.pdf",
                f"U{j:02d}_v1.pdf",
                120_000,
                "application/pdf",
                digest,
                f"BQAC{rid}x{uid}",
                f"AgAD{rid}x{uid}",
                "stored",
                "accepted" if closed else "pending",
            )
        else:
            rows.add("confirmations", rid, uid, "confirmed", person_of(n, j), at)
    return rid


def _year(rows: _Rows, ids: dict[str, int], n: int) -> None:
    cid, unit_ids = _cluster(rows, n, ids, STARTED_PER_CLUSTER)
    for k in range(20):
        kind = "confirmation" if k % 4 == 3 else "report"
        if k < 5:  # closed, in the past half year
            deadline = NOW - timedelta(days=170 - 30 * k, hours=7)
            rid = _request(
                rows,
                ids,
                cid,
                n,
                unit_ids,
                kind=kind,
                deadline=deadline,
                created=deadline - timedelta(days=20),
                closed=True,
                done=UNITS,
            )
            for offset in OFFSETS.split(";"):
                due = ts(deadline - timedelta(seconds=int(offset)))
                rows.add(
                    "reminders_sent", "request", rid, f"before:{offset}", due, due, 0, "before"
                )
            rows.add(
                "reminders_sent",
                "request",
                rid,
                "overdue",
                ts(deadline),
                ts(deadline),
                0,
                "overdue",
            )
        else:  # open, deadline ahead (all four offsets still to come)
            deadline = NOW + timedelta(days=8 + 9 * (k - 5), hours=7)
            _request(
                rows,
                ids,
                cid,
                n,
                unit_ids,
                kind=kind,
                deadline=deadline,
                created=NOW - timedelta(days=1),
                closed=False,
                done=UNITS // 2,
            )
    for k in range(10):
        ids["meeting"] += 1
        mid = ids["meeting"]
        past = k < 4
        starts = NOW + (
            timedelta(days=-150 + 30 * k, hours=-1) if past else timedelta(days=8 + 14 * k)
        )
        rows.add(
            "meetings",
            mid,
            cid,
            f"Họp cụm lần {k + 1}",
            ts(starts),
            "Phòng họp tầng 5",
            "closed" if past else "scheduled",
            mid,
            person_of(n, 0),
            ts(NOW - timedelta(days=1) if not past else starts - timedelta(days=10)),
        )
        answered = UNITS if past else UNITS // 2
        for j, uid in enumerate(unit_ids[:answered]):
            status = "attend" if j % 5 else "absent"
            rows.add("rsvps", mid, uid, status, person_of(n, j), ts(starts - timedelta(days=2)))
        if past:
            for offset in OFFSETS.split(";"):
                due = ts(starts - timedelta(seconds=int(offset)))
                rows.add(
                    "reminders_sent", "meeting", mid, f"before:{offset}", due, due, 0, "before"
                )
    codes = json.dumps([f"U{j:02d}" for j in range(UNITS)])
    for k in range(5):
        ids["poll"] += 1
        pid = ids["poll"]
        closed = k < 4
        closes = NOW + (timedelta(days=-160 + 40 * k) if closed else timedelta(days=5))
        rows.add(
            "polls",
            pid,
            cid,
            f"Bình xét đợt {k + 1}",
            ts(closes),
            "closed" if closed else "open",
            codes,
            json.dumps(unit_ids),
            1,
            int(closed),
            pid,
            person_of(n, 0),
            ts(closes - timedelta(days=7)),
            ts(closes) if closed else None,
        )
        voted = UNITS if closed else UNITS // 2
        for j, uid in enumerate(unit_ids):
            rows.add("poll_roll", pid, uid, person_of(n, j), int(j < voted))
        ballots = sorted([[(j + 1) % UNITS] for j in range(voted)])
        rows.add("ballot_boxes", pid, json.dumps(ballots))
    # Every daily digest of the past half year, today's included.
    for day in range(183):
        at = NOW - timedelta(days=day, hours=2)  # 08:00 local
        local_date = (at + timedelta(hours=7)).date().isoformat()
        rows.add(
            "reminders_sent", "cluster", cid, f"digest:{local_date}", ts(at), ts(at), 0, "digest"
        )


def _due(rows: _Rows, ids: dict[str, int], n: int, per_cluster: int, started: int) -> None:
    cid, unit_ids = _cluster(rows, n, ids, started)
    for _k in range(per_cluster):
        _request(
            rows,
            ids,
            cid,
            n,
            unit_ids,
            kind="report",
            deadline=NOW + timedelta(hours=2),
            created=NOW - timedelta(hours=3),
            closed=False,
            done=0,
        )
    today = (NOW + timedelta(hours=7)).date().isoformat()
    at = ts(NOW - timedelta(hours=2))
    rows.add("reminders_sent", "cluster", cid, f"digest:{today}", at, at, 0, "digest")


def generate(
    path: Path,
    clusters: int,
    *,
    mode: str = "year",
    due_per_cluster: int = 10,
    started: int = STARTED_PER_CLUSTER,
) -> dict[str, int]:
    """Write a migrated database at `path`; return the row count per table."""
    if path.exists():
        path.unlink()
    asyncio.run(_migrate(path))
    ids = {"unit": 0, "request": 0, "meeting": 0, "poll": 0}
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for n in range(1, clusters + 1):
            rows = _Rows()
            if mode == "year":
                _year(rows, ids, n)
            else:
                _due(rows, ids, n, due_per_cluster, started)
            # Clusters first: units and boards point at them (foreign keys are off here,
            # but the order keeps the file as the bot would have written it).
            for table in ("clusters", *[t for t in _COLUMNS if t != "clusters"]):
                data = rows.tables.get(table)
                if not data:
                    continue
                columns = _COLUMNS[table]
                marks = ",".join("?" * len(data[0]))
                conn.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    data,
                )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in _COLUMNS
        }
    finally:
        conn.close()
    return counts
