"""The world of the authorisation matrix, built once and copied for every cell.

`build_template` drives a real bot through the seed year far enough that every command and
every button family has something to act on: Cluster No. 1 with its four units, one
liaison each (PVEP has two, one of them its designated voter), a pending join request, an
invitation link, open, closed and guided report requests, a submission, a parked document,
a confirmation, a meeting, an open, a secret and a closed poll; and Cluster No. 2 in
another group, whose administrator tries this cluster's ids there.

Every cell then starts a fresh bot on a copy of that database (`start_copy`), so cells
are independent and the whole matrix runs in seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers import export as export_handler
from tests.fakes import markup_buttons
from tests.harness import Harness
from tests.updates import (
    ADMIN,
    DUC_PVEP,
    GROUP_ID,
    HA_VSP,
    LAN_GPV,
    OTHER_GROUP_ID,
    OUTSIDER,
    SEED_UNITS,
    TUAN_RVP,
    Person,
)

if TYPE_CHECKING:
    from pathlib import Path

# People the shared fixtures do not have.
MAI_PVEP = Person(1006, "Ngô Thị Mai")  # second liaison of PVEP, its designated voter
APPLICANT = Person(1007, "Trịnh Văn Phúc")  # asked to join VSP (the lead unit); waiting
OTHER_ADMIN = Person(1101, "Bùi Văn Nam")  # administrator of Cluster No. 2's group, BSR liaison

EVERYONE = (ADMIN, HA_VSP, DUC_PVEP, TUAN_RVP, LAN_GPV, MAI_PVEP, APPLICANT, OUTSIDER, OTHER_ADMIN)

REPORT_TITLE = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
PDF = b"%PDF-1.7\nBao cao tong ket RVP 2022\n%%EOF"
# The update id of the one update a cell feeds: clear of the ids the template used.
FIRST_UPDATE_ID = 900_000_001


def _reply_to(message_id: int, chat_id: int = GROUP_ID) -> dict[str, Any]:
    return {"message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": "supergroup"}}


@dataclass
class World:
    """Where the template lives and the ids of what it holds (filled into payloads)."""

    path: Path
    ids: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


async def _id(h: Harness, sql: str, *params: Any) -> int:
    value = await h.scalar(sql, *params)
    assert value is not None, sql
    return int(value)


async def _build(h: Harness) -> tuple[dict[str, int], dict[str, str]]:
    ids: dict[str, int] = {}
    texts: dict[str, str] = {}
    h.request.admins[OTHER_GROUP_ID] = [OTHER_ADMIN.id]
    # Everyone has opened the private chat (invites, files and ballots go there), and has
    # been seen in the group: later cells change nothing in `people` just by speaking.
    for person in EVERYONE:
        await h.say(person, "/start", chat_id=person.id)
    for person in EVERYONE:
        await h.say(person, "/help", chat_id=OTHER_GROUP_ID if person is OTHER_ADMIN else GROUP_ID)

    # Cluster No. 1: units, lead, open joining, one liaison per unit, VSP's approved.
    await h.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    await h.say(ADMIN, "/addunit " + SEED_UNITS)
    await h.say(ADMIN, "/lead VSP")
    await h.press(ADMIN, "set1:join:open")
    for code in ("VSP", "PVEP", "RVP", "GPV"):
        ids[code] = await _id(h, "SELECT id FROM units WHERE code = ?", code)
    for person, code in (
        (DUC_PVEP, "PVEP"),
        (MAI_PVEP, "PVEP"),
        (TUAN_RVP, "RVP"),
        (LAN_GPV, "GPV"),
        (HA_VSP, "VSP"),
    ):
        await h.press(person, f"join1:{ids[code]}")
    ha_request = await _id(h, "SELECT id FROM join_requests WHERE user_id = ?", HA_VSP.id)
    await h.press(ADMIN, f"jr1:a:{ha_request}")
    # The lead unit is never joined without approval: Phúc's request waits.
    await h.press(APPLICANT, f"join1:{ids['VSP']}")
    ids["join_request"] = await _id(
        h, "SELECT id FROM join_requests WHERE user_id = ? AND status = 'pending'", APPLICANT.id
    )
    await h.press(ADMIN, f"votp1:{ids['PVEP']}:{MAI_PVEP.id}")
    await h.say(ADMIN, "/invite GPV")
    ids["invite"] = await _id(h, "SELECT id FROM invites")
    texts["invite_token"] = str(await h.scalar("SELECT token FROM invites"))

    # Cluster No. 2 in another group, whose administrator is also the liaison of BSR.
    await h.say(OTHER_ADMIN, "/setup Cụm thi đua số 2 | 2022", chat_id=OTHER_GROUP_ID)
    await h.say(OTHER_ADMIN, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn", chat_id=OTHER_GROUP_ID)
    await h.press(OTHER_ADMIN, "set1:join:open", chat_id=OTHER_GROUP_ID)
    ids["BSR"] = await _id(h, "SELECT id FROM units WHERE code = 'BSR'")
    await h.press(OTHER_ADMIN, f"join1:{ids['BSR']}", chat_id=OTHER_GROUP_ID)

    # Report requests: the year's report (with a submission), a half-year one, a closed one.
    await h.say(HA_VSP, f"/yeucau {REPORT_TITLE} | 17:00 15/11/2022")
    report_message = ids["report_message"] = h.request.last_message_id(GROUP_ID)
    ids["report"] = await _id(h, "SELECT id FROM requests WHERE title = ?", REPORT_TITLE)
    await h.say(HA_VSP, "/yeucau Báo cáo sơ kết 6 tháng đầu năm | 17:00 10/11/2022")
    ids["report2"] = await _id(h, "SELECT MAX(id) FROM requests")
    await h.say(HA_VSP, "/yeucau Báo cáo quý III | 17:00 05/11/2022")
    ids["closed_report"] = await _id(h, "SELECT MAX(id) FROM requests")
    await h.press(ADMIN, f"rq1:close:{ids['closed_report']}")
    await h.send_file(TUAN_RVP, "BC tong ket RVP 2022.pdf", PDF, reply_to=report_message)
    ids["submission"] = await _id(h, "SELECT id FROM submissions")
    # In private with two requests open, Đức's file waits for him to pick one.
    await h.send_file(DUC_PVEP, "BC PVEP.pdf", PDF + b"PVEP", chat_id=DUC_PVEP.id)
    ids["pending"] = await _id(h, "SELECT id FROM pending_documents")

    await h.say(HA_VSP, "/xacnhan Dự thảo báo cáo tổng hợp của Cụm | 17:00 20/11/2022")
    ids["confirmation"] = await _id(h, "SELECT id FROM requests WHERE kind = 'confirmation'")
    await h.say(
        HA_VSP, "/hop Họp Cụm thi đua số 1 | 9:00 01/11/2022 | Phòng họp Vietsovpetro, Vũng Tàu"
    )
    ids["meeting"] = await _id(h, "SELECT id FROM meetings")

    # Polls: open buttons in the group, a secret one, and one already closed.
    await h.say(
        HA_VSP, "/binhchon Bình xét Cờ thi đua của Tập đoàn | 17:00 25/10/2022 | bi_mat=khong"
    )
    ids["open_poll"] = await _id(h, "SELECT MAX(id) FROM polls")
    await h.say(HA_VSP, "/binhchon Bình xét Bằng khen của Tập đoàn | 17:00 25/10/2022")
    ids["secret_poll"] = await _id(h, "SELECT MAX(id) FROM polls")
    await h.say(
        HA_VSP, "/binhchon Bình xét Cờ thi đua của Chính phủ | 17:00 25/10/2022 | bi_mat=khong"
    )
    ids["closed_poll"] = await _id(h, "SELECT MAX(id) FROM polls")
    await h.press(ADMIN, f"pm1:close:{ids['closed_poll']}")

    # The administrator is halfway through the guided /request: the deadline buttons wait.
    await h.say(ADMIN, "/request")
    prompt = h.request.last_message_id(GROUP_ID)
    await h.say(ADMIN, "Báo cáo thi đua quý IV", reply_to=_reply_to(prompt))
    deadline_prompt = h.request.sent(GROUP_ID)[-1]
    assert any(data == "rqq1:tomorrow" for _label, data in markup_buttons(deadline_prompt))
    await export_handler.wait_for_exports()
    await h.deps.live.flush()
    return ids, texts


def build_template(path: Path) -> World:
    """Build the world once into `path` (synchronously, for a module-scoped fixture)."""

    async def run() -> tuple[dict[str, int], dict[str, str]]:
        h = Harness(path)
        # Template update ids stay below the ones the cells use (see `start_copy`).
        h.updates._update_ids = itertools.count(100_000_001)
        await h.start()
        try:
            return await _build(h)
        finally:
            await h.stop()

    ids, texts = asyncio.run(run())
    return World(path=path, ids=ids, texts=texts)


async def start_copy(world: World, data_dir: Path) -> Harness:
    """A fresh bot on a copy of the template database, ready for one cell."""
    shutil.copytree(world.path, data_dir)
    h = Harness(data_dir)
    # Fresh counters, clear of the ids the template already used (handled updates, bot
    # messages): a reused update id would be dropped as a redelivery.
    h.updates._update_ids = itertools.count(FIRST_UPDATE_ID)
    h.updates._message_ids = itertools.count(900_000)
    h.request._ids = itertools.count(800_000)
    h.request.admins[OTHER_GROUP_ID] = [OTHER_ADMIN.id]
    await h.start()
    return h


# Tables a cell may leave untouched only if nothing at all happened. Every table is
# compared, `audit_log` and `people` included: a refused action runs inside a transaction
# that rolls back, and every actor was already seen with the same names at the same fixed
# time in the template. Only its update id is recorded, afterwards (handlers/common.py).
async def snapshot(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    tables = [
        str(name)
        for (name,) in await h.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {table: sorted(await h.rows(f"SELECT * FROM {table}"), key=repr) for table in tables}  # noqa: S608


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """Names of the tables whose rows differ."""
    return [t for t in sorted(set(before) | set(after)) if before.get(t) != after.get(t)]
