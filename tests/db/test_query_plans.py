"""Queries on the hot paths use indexes (issue 8): every statement the bot runs while
liaisons submit, confirm, answer a meeting, vote (openly and secretly), ask for /status and
the reminder tick runs, is explained by SQLite, and none reads a whole table."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from handlers.reminders import job_tick
from tests.fakes import markup_buttons
from tests.handlers.test_reports import PDF, open_request, seed_with_liaisons
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, LAN_GPV, TUAN_RVP

if TYPE_CHECKING:
    from tests.harness import Harness

# A table that grows with the clusters and their years (everything but the tiny ones).
LARGE = {
    "clusters",
    "units",
    "people",
    "liaisons",
    "requests",
    "request_units",
    "submissions",
    "confirmations",
    "meetings",
    "rsvps",
    "polls",
    "poll_roll",
    "open_ballots",
    "ballot_boxes",
    "reminders_sent",
    "handled_updates",
    "audit_log",
    "dialogues",
    "pending_documents",
    "status_boards",
    "join_requests",
    "invites",
}
_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
# Reads of a whole table on purpose: the reminder tick walks every cluster (each has its
# digest hour and quiet hours), once per tick, not per update.
ON_PURPOSE = ("FROM clusters ORDER BY id",)


async def test_hot_paths_never_scan_a_large_table(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(ADMIN, "/hop Họp cụm thi đua | 9:00 01/12/2022 | Vũng Tàu")
    await harness.say(ADMIN, "/binhchon Bình xét Bằng khen | 17:00 10/12/2022 | bi_mat=khong")
    await harness.say(ADMIN, "/binhchon Bình xét Cờ thi đua | 17:00 10/12/2022")
    confirm_draft = await harness.send_file(ADMIN, "Du thao.docx", b"PK\x03\x04 draft")
    reply = {
        "message_id": confirm_draft["message"]["message_id"],
        "date": 0,
        "chat": {"id": GROUP_ID, "type": "supergroup"},
    }
    await harness.say(ADMIN, "/xacnhan Dự thảo báo cáo | 17:00 30/11/2022", reply_to=reply)

    statements: list[str] = []
    conn = harness.db._conn
    await conn.set_trace_callback(statements.append)
    try:
        await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)  # a receipt
        await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"r")
        await harness.press(DUC_PVEP, "cf1:c:2")  # confirmation
        await harness.press(DUC_PVEP, "mt1:a:1")  # RSVP
        await harness.press(TUAN_RVP, "mt1:x:1")
        await harness.press(DUC_PVEP, "po1:1:0")  # open vote
        await harness.say(LAN_GPV, "/start", chat_id=LAN_GPV.id)
        await harness.press(LAN_GPV, "pb1:2:-:0", chat_id=LAN_GPV.id)  # secret ballot
        ballot = harness.request.sent(LAN_GPV.id)[-1]
        for _label, data in markup_buttons(ballot):
            if data.startswith("pc1:"):
                await harness.press(LAN_GPV, data, chat_id=LAN_GPV.id)
        review = harness.request.sent(LAN_GPV.id)[-1]
        for _label, data in markup_buttons(review):
            if data.startswith("ps1:"):
                await harness.press(LAN_GPV, data, chat_id=LAN_GPV.id)
        await harness.say(TUAN_RVP, "/tinhhinh")  # status
        harness.clock.at += timedelta(days=20)  # reminders fall due
        await job_tick(harness.job_context())
    finally:
        await conn.set_trace_callback(None)  # type: ignore[arg-type]

    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 2
    assert await harness.scalar("SELECT COUNT(*) FROM ballot_boxes") == 1
    scans: dict[str, str] = {}
    explained = 0
    for sql in dict.fromkeys(statements):
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue
        async with harness.db.read() as read:
            plan = await read.execute_fetchall("EXPLAIN QUERY PLAN " + sql)
        explained += 1
        for row in plan:
            match = _SCAN.match(str(row[3]))
            flat = " ".join(sql.split())
            if match and match.group(1) in LARGE and not flat.endswith(ON_PURPOSE):
                scans[" ".join(sql.split())[:160]] = str(row[3])
    assert explained >= 30  # the scenario really ran the hot paths
    assert scans == {}
