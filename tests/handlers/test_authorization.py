"""Who may do what: every command and every button family against every role.

One row per action; one cell per (action, role). Each cell starts from the same world
(`authz_cases.build_template`: Cluster No. 1 in the middle of its year, Cluster No. 2 in
another group) and feeds ONE update. Then:

- allowed (`Ok`): no refusal alert, and the effect is there (what the bot says, and/or a
  database probe);
- refused (`No`): the person is told why, in Vietnamese, by a reply (commands, files) or a
  callback alert (buttons), and NOTHING changed but the record of the update itself (so a
  redelivery is skipped, not judged again): every other table of the database is the same
  row for row (`audit_log` and `people` included: a refused service call rolls back, and
  the tracker rewrites an already-known person identically), `handled_updates` gains the
  one update id, and the bot sent, edited, pinned or uploaded nothing else.

Every press must get exactly one answer. Cells the bot gets wrong today are in `BUGS`
(strict xfail: they start failing, as a reminder to move them up, once fixed).

Roles (DESIGN.md, People): `admin` administers the group; `lead` is the liaison of the lead
unit (VSP), so secretariat; `liaison` represents PVEP, whose designated voter is `voter`
(a second PVEP liaison); `submitter` is RVP's liaison, whose file waits for review;
`applicant` waits for approval to join VSP; `outsider` is in the group and represents no
unit; `other` administers Cluster No. 2 (and is BSR's liaison there) and acts in ITS group
with this cluster's ids and codes; `private` is the group admin in the private chat with the
bot; `<role>-private` is that person in their own private chat (ballots, files, invites).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from handlers import export as export_handler
from tests.handlers.authz_cases import (
    APPLICANT,
    FIRST_UPDATE_ID,
    MAI_PVEP,
    OTHER_ADMIN,
    PDF,
    REPORT_TITLE,
    World,
    build_template,
    changed_tables,
    snapshot,
    start_copy,
)
from tests.updates import (
    ADMIN,
    DUC_PVEP,
    GROUP_ID,
    HA_VSP,
    OTHER_GROUP_ID,
    OUTSIDER,
    TUAN_RVP,
    Person,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.harness import Harness

# ----- the roles ------------------------------------------------------------------------

ROLES: dict[str, tuple[Person, int]] = {
    "admin": (ADMIN, GROUP_ID),
    "lead": (HA_VSP, GROUP_ID),
    "liaison": (DUC_PVEP, GROUP_ID),
    "voter": (MAI_PVEP, GROUP_ID),
    "submitter": (TUAN_RVP, GROUP_ID),
    "applicant": (APPLICANT, GROUP_ID),
    "outsider": (OUTSIDER, GROUP_ID),
    "other": (OTHER_ADMIN, OTHER_GROUP_ID),
    "private": (ADMIN, ADMIN.id),
    "lead-private": (HA_VSP, HA_VSP.id),
    "liaison-private": (DUC_PVEP, DUC_PVEP.id),
    "voter-private": (MAI_PVEP, MAI_PVEP.id),
    "outsider-private": (OUTSIDER, OUTSIDER.id),
    "other-private": (OTHER_ADMIN, OTHER_ADMIN.id),
}

# ----- the outcomes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    """Allowed: what the bot says (message, button label or alert-free answer) and/or the
    value a query reads afterwards (`{…}` in either is filled with the world's ids)."""

    shows: str | None = None
    probe: str | None = None
    value: object = None
    hides: str | None = None  # must not appear anywhere in what the bot sent


@dataclass(frozen=True)
class No:
    """Refused with this (fragment of a) Vietnamese explanation; nothing may change."""

    says: str
    avoid: str | None = None  # must not appear in the explanation


# The real texts of locales/vi/LC_MESSAGES/messages.po.
NOT_ADMIN = No("Xin lỗi anh/chị, chỉ quản trị viên của nhóm mới đăng ký được cụm thi đua.")
NOT_SECRETARIAT = No(
    "Xin lỗi anh/chị, chỉ thường trực cụm (quản trị viên nhóm và đầu mối của đơn vị cụm "
    "trưởng) mới thực hiện được thao tác này."
)
GROUP_ONLY = No("Lệnh này dùng trong nhóm của cụm thi đua.")
NO_VSP_HERE = No("Cụm không có đơn vị nào mang mã VSP. Gõ /donvi để xem danh sách đơn vị.")
UNIT_NOT_HERE = No("Đơn vị này không còn trong cụm. Gõ /donvi để xem danh sách đơn vị.")
ALREADY_LIAISON = No("Anh/chị hiện đã là đầu mối của đơn vị")
JOIN_WAITING = No("Đề nghị tham gia của anh/chị đang chờ thường trực cụm duyệt.")
STALE_JOIN = No("Đề nghị này đã được xử lý trước đó.")
REQUEST_NOT_HERE = No("Yêu cầu này không còn tồn tại hoặc thuộc cụm khác.")
MEETING_NOT_HERE = No("Cuộc họp này không còn tồn tại hoặc thuộc cụm khác.")
POLL_NOT_HERE = No("Cuộc bình xét này không còn tồn tại.")
PRIVATE_BALLOT = No("Phiếu bầu chỉ được điền trong tin nhắn riêng với bot.")
NOT_ON_ROLL = No("Anh/chị không phải người bỏ phiếu của đơn vị nào trong cuộc bình xét này.")
POLL_CLOSED = No("Cuộc bình xét “Bình xét Cờ thi đua của Chính phủ” đã kết thúc bỏ phiếu.")
NO_SUCH_ITEM = No("Không có đơn vị hay nội dung nào khớp với")
FILE_NOT_LIAISON = No(
    "Anh/chị chưa là đầu mối của đơn vị nào trong cụm nên bot chưa ghi nhận tệp."
)
FILE_NOT_LIAISON_PRIVATE = No("Anh/chị chưa là đầu mối của đơn vị nào nên bot chưa ghi nhận tệp.")
INVITE_INVALID = No("Đường dẫn mời này không còn hiệu lực")
ANSWER_NOT_LIAISON = No(
    "Anh/chị chưa là đầu mối của đơn vị nào trong cụm này nên không thể trả lời.", avoid="tệp"
)
NOT_YOUR_BUTTONS = No("Các nút này chỉ dành cho người đang mở yêu cầu.")
PRIVATE_LANGUAGE = No("Nút này chỉ dùng trong tin nhắn riêng với bot.")

# Effects of allowed actions, read back from the database.
REQUESTS_5 = Ok(probe="SELECT COUNT(*) FROM requests", value=5)
MEETINGS_2 = Ok(probe="SELECT COUNT(*) FROM meetings", value=2)
POLLS_4 = Ok(probe="SELECT COUNT(*) FROM polls", value=4)
INVITES_2 = Ok(probe="SELECT COUNT(*) FROM invites", value=2)
LEAD_PVEP = Ok(probe="SELECT lead_unit_id FROM clusters WHERE id = 1", value="{PVEP}")
STATUS_SHOWN = Ok(shows=REPORT_TITLE)
SECRETARIAT_HELP = Ok(shows="Dành cho thường trực cụm")
LIAISON_HELP = Ok(shows="Dành cho đầu mối", hides="Dành cho thường trực cụm")


def attached(person: Person, code: str) -> Ok:
    """Allowed, and the person is now a liaison of that unit of Cluster No. 1."""
    sql = f"SELECT unit_id FROM liaisons WHERE cluster_id = 1 AND user_id = {person.id}"  # noqa: S608
    return Ok(probe=sql, value="{" + code + "}")


def dialogue(kind: str) -> Ok:
    """Allowed, and a guided dialogue of this kind now waits for the person's answer."""
    return Ok(probe=f"SELECT COUNT(*) FROM dialogues WHERE kind = '{kind}'", value=1)  # noqa: S608


# ----- the matrix -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One (action, role) pair and what must happen."""

    id: str
    action: str  # "/command …", "file:<reply|plain>", or a button payload
    role: str
    outcome: Ok | No


def row(name: str, action: str, **outcomes: Ok | No) -> list[Cell]:
    """An action's cells, one per role given (`voter_private=` is role `voter-private`)."""
    return [
        Cell(f"{name}-by-{role.replace('_', '-')}", action, role.replace("_", "-"), outcome)
        for role, outcome in outcomes.items()
    ]


SECRETARIAT_REFUSES = {
    "liaison": NOT_SECRETARIAT,
    "voter": NOT_SECRETARIAT,
    "outsider": NOT_SECRETARIAT,
    "private": GROUP_ONLY,
}

COMMANDS: list[Cell] = [
    # /setup (/thietlap): group admins only; even the secretariat's lead liaison is refused.
    *row(
        "setup",
        "/setup Cụm thi đua số 1 – PVN | 2022",
        admin=Ok(probe="SELECT name FROM clusters WHERE id = 1", value="Cụm thi đua số 1 – PVN"),
        lead=NOT_ADMIN,
        liaison=NOT_ADMIN,
        voter=NOT_ADMIN,
        outsider=NOT_ADMIN,
        private=GROUP_ONLY,
    ),
    *row("thietlap", "/thietlap Cụm của tôi | 2022", outsider=NOT_ADMIN, private=GROUP_ONLY),
    *row("setup-guided", "/setup", admin=dialogue("setup"), liaison=NOT_ADMIN),
    # /addunit (/themdonvi): secretariat; without arguments refused before prompting.
    *row(
        "addunit",
        "/addunit PVGAS Tổng công ty Khí Việt Nam",
        admin=Ok(probe="SELECT COUNT(*) FROM units WHERE code = 'PVGAS'", value=1),
        lead=Ok(shows="PVGAS"),
        **SECRETARIAT_REFUSES,
    ),
    *row("themdonvi", "/themdonvi PVGAS Tổng công ty Khí Việt Nam", outsider=NOT_SECRETARIAT),
    *row("addunit-guided", "/addunit", lead=dialogue("addunit"), voter=NOT_SECRETARIAT),
    # /lead (/cumtruong)
    *row(
        "lead",
        "/lead PVEP",
        admin=LEAD_PVEP,
        lead=LEAD_PVEP,
        other=No("Cụm không có đơn vị nào mang mã PVEP."),
        **SECRETARIAT_REFUSES,
    ),
    *row("cumtruong", "/cumtruong PVEP", liaison=NOT_SECRETARIAT),
    *row(
        "lead-buttons",
        "/lead",
        admin=Ok(shows="Đơn vị nào là cụm trưởng?"),
        outsider=NOT_SECRETARIAT,
    ),
    # /units (/donvi): anyone in the group; another group sees only its own units.
    *row(
        "units",
        "/units",
        admin=Ok(shows="Liên doanh Việt – Nga Vietsovpetro"),
        lead=Ok(shows="Liên doanh Việt – Nga Vietsovpetro"),
        liaison=Ok(shows="Liên doanh Việt – Nga Vietsovpetro"),
        voter=Ok(shows="Liên doanh Việt – Nga Vietsovpetro"),
        outsider=Ok(shows="Liên doanh Việt – Nga Vietsovpetro"),
        other=Ok(shows="Công ty Lọc hóa dầu Bình Sơn", hides="Vietsovpetro"),
        private=GROUP_ONLY,
    ),
    *row("donvi", "/donvi", outsider=Ok(shows="Ngô Thị Mai")),
    # /join (/thamgia): anyone; the buttons are the cluster's own units.
    *row(
        "join",
        "/join",
        admin=Ok(shows="Anh/chị là đầu mối của đơn vị nào?"),
        outsider=Ok(shows="Anh/chị là đầu mối của đơn vị nào?"),
        liaison=Ok(shows="Anh/chị là đầu mối của đơn vị nào?"),
        other=Ok(shows="BSR", hides="VSP"),
        private=GROUP_ONLY,
    ),
    *row("thamgia", "/thamgia", voter=Ok(shows="GPV")),
    # /invite (/moi): secretariat; the link goes to the issuer's private chat.
    *row(
        "invite",
        "/invite RVP",
        admin=INVITES_2,
        lead=INVITES_2,
        other=No("Cụm không có đơn vị nào mang mã RVP."),
        **SECRETARIAT_REFUSES,
    ),
    *row("moi", "/moi RVP", outsider=NOT_SECRETARIAT),
    *row(
        "invite-buttons",
        "/invite",
        admin=Ok(shows="Anh/chị cần tạo đường dẫn mời cho đơn vị nào?"),
        liaison=NOT_SECRETARIAT,
    ),
    # /voter (/nguoibophieu): secretariat.
    *row(
        "voter",
        "/voter RVP",
        admin=Ok(shows="Ai sẽ bỏ phiếu thay mặt đơn vị <b>RVP</b>?"),
        lead=Ok(shows="Hoàng Anh"),
        **SECRETARIAT_REFUSES,
    ),
    *row("voter-vsp", "/voter VSP", other=NO_VSP_HERE),
    *row("nguoibophieu", "/nguoibophieu", voter=NOT_SECRETARIAT),
    # /request (/yeucau), /confirm (/xacnhan), /meeting (/hop), /poll (/binhchon): secretariat.
    *row(
        "request",
        "/request Báo cáo thi đua quý IV | 17:00 30/11/2022",
        admin=REQUESTS_5,
        lead=REQUESTS_5,
        **SECRETARIAT_REFUSES,
    ),
    *row("yeucau", "/yeucau Báo cáo quý IV | 30/11/2022", liaison=NOT_SECRETARIAT),
    *row("request-guided", "/request", lead=dialogue("request_title"), outsider=NOT_SECRETARIAT),
    *row(
        "confirm",
        "/confirm Kế hoạch hoạt động năm 2023 | 17:00 30/11/2022",
        admin=REQUESTS_5,
        lead=REQUESTS_5,
        **SECRETARIAT_REFUSES,
    ),
    *row("xacnhan", "/xacnhan Kế hoạch năm 2023 | 30/11/2022", voter=NOT_SECRETARIAT),
    *row("confirm-guided", "/confirm", liaison=NOT_SECRETARIAT),
    *row(
        "meeting",
        "/meeting Hội nghị tổng kết | 9:00 15/12/2022 | Hội trường PVN, Hà Nội",
        admin=MEETINGS_2,
        lead=MEETINGS_2,
        **SECRETARIAT_REFUSES,
    ),
    *row("hop", "/hop Họp cụm | 9:00 15/12/2022 | Vũng Tàu", outsider=NOT_SECRETARIAT),
    *row("meeting-guided", "/meeting", admin=dialogue("meeting"), voter=NOT_SECRETARIAT),
    *row(
        "poll",
        "/poll Bình xét Bằng khen | 17:00 30/11/2022 | bi_mat=khong",
        admin=POLLS_4,
        lead=POLLS_4,
        **SECRETARIAT_REFUSES,
    ),
    *row("binhchon", "/binhchon Bình xét | 17:00 30/11/2022", liaison=NOT_SECRETARIAT),
    *row("poll-guided", "/poll", lead=dialogue("poll"), outsider=NOT_SECRETARIAT),
    # /status (/tinhhinh): anyone in the group; another group finds nothing of ours.
    *row(
        "status",
        "/status",
        admin=STATUS_SHOWN,
        lead=STATUS_SHOWN,
        liaison=STATUS_SHOWN,
        voter=STATUS_SHOWN,
        outsider=STATUS_SHOWN,
        other=Ok(shows="Tình hình thực hiện của “Cụm thi đua số 2”", hides=REPORT_TITLE),
        private=GROUP_ONLY,
    ),
    *row("status-title", "/status tổng kết", outsider=STATUS_SHOWN, other=NO_SUCH_ITEM),
    *row(
        "tinhhinh",
        "/tinhhinh VSP",
        voter=Ok(shows="Tình hình thực hiện của “Cụm thi đua số 1”</b> – VSP"),
        other=NO_SUCH_ITEM,
    ),
    # /export (/xuat): secretariat, files sent privately.
    *row(
        "export",
        "/export",
        admin=Ok(shows="Bot đang chuẩn bị dữ liệu xuất"),
        lead=Ok(shows="Bot đang chuẩn bị dữ liệu xuất"),
        **SECRETARIAT_REFUSES,
    ),
    *row("xuat", "/xuat", voter=NOT_SECRETARIAT),
    # /settings (/caidat): secretariat in the group; anyone in private (their language).
    *row(
        "settings",
        "/settings",
        admin=Ok(shows="Cài đặt"),
        lead=Ok(shows="Cài đặt"),
        liaison=NOT_SECRETARIAT,
        voter=NOT_SECRETARIAT,
        outsider=NOT_SECRETARIAT,
        private=Ok(shows="Anh/chị vui lòng chọn ngôn ngữ cho cuộc trò chuyện này:"),
        outsider_private=Ok(shows="Anh/chị vui lòng chọn ngôn ngữ cho cuộc trò chuyện này:"),
    ),
    *row("caidat", "/caidat", outsider=NOT_SECRETARIAT),
    # /cancel (/huy): anyone, only ever their own dialogue.
    *row(
        "cancel",
        "/cancel",
        admin=Ok(shows="Đã hủy.", probe="SELECT COUNT(*) FROM dialogues", value=0),
        outsider=Ok(
            shows="Không có thao tác nào đang chờ để hủy.",
            probe="SELECT COUNT(*) FROM dialogues",
            value=1,
        ),
        private=Ok(shows="Không có thao tác nào đang chờ để hủy."),
    ),
    *row("huy", "/huy", liaison=Ok(shows="Không có thao tác nào đang chờ để hủy.")),
    # /help (/trogiup), /start: anyone; the secretariat part only for the secretariat.
    *row(
        "help",
        "/help",
        admin=SECRETARIAT_HELP,
        lead=SECRETARIAT_HELP,
        liaison=LIAISON_HELP,
        outsider=LIAISON_HELP,
        private=Ok(shows="Trong cuộc trò chuyện riêng này"),
    ),
    *row("trogiup", "/trogiup", voter=LIAISON_HELP),
    *row(
        "start",
        "/start",
        outsider=LIAISON_HELP,
        outsider_private=Ok(shows="Trong cuộc trò chuyện riêng này"),
    ),
    # /start with a deep link: the invitation attaches whoever opens it, once.
    *row(
        "start-invite",
        "/start {invite_token}",
        outsider_private=attached(OUTSIDER, "GPV"),
        liaison_private=ALREADY_LIAISON,
    ),
    *row("start-forged-invite", "/start inv_" + "x" * 32, outsider_private=INVITE_INVALID),
    *row(
        "start-ballot",
        "/start poll_{secret_poll}",
        voter_private=Ok(shows="Bấm vào ứng viên để chọn hoặc bỏ chọn"),
        liaison_private=NOT_ON_ROLL,
        outsider_private=NOT_ON_ROLL,
    ),
]

FILES: list[Cell] = [
    # A document replying to the request message: a liaison's is a submission.
    *row(
        "file-reply",
        "file:reply",
        liaison=Ok(probe="SELECT COUNT(*) FROM submissions", value=2),
        voter=Ok(probe="SELECT COUNT(*) FROM submissions", value=2),
        admin=FILE_NOT_LIAISON,
        outsider=FILE_NOT_LIAISON,
    ),
    *row("file-private", "file:plain", outsider_private=FILE_NOT_LIAISON_PRIVATE),
]

BUTTONS: list[Cell] = [
    # join1: anyone not yet a liaison of this cluster; the lead unit needs approval.
    *row(
        "join1",
        "join1:{RVP}",
        admin=attached(ADMIN, "RVP"),
        outsider=Ok(shows="Anh/chị đã trở thành đầu mối của đơn vị RVP."),
        lead=ALREADY_LIAISON,
        liaison=ALREADY_LIAISON,
        voter=ALREADY_LIAISON,
        applicant=JOIN_WAITING,
        other=UNIT_NOT_HERE,
        private=GROUP_ONLY,
    ),
    *row(
        "join1-lead-unit",
        "join1:{VSP}",
        outsider=Ok(probe="SELECT COUNT(*) FROM join_requests WHERE status = 'pending'", value=2),
    ),
    # jr1: approving or rejecting a join request is the secretariat's.
    *row(
        "jr1-approve",
        "jr1:a:{join_request}",
        admin=attached(APPLICANT, "VSP"),
        lead=Ok(
            probe="SELECT status FROM join_requests WHERE id = {join_request}", value="approved"
        ),
        applicant=NOT_SECRETARIAT,
        other=STALE_JOIN,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "jr1-reject",
        "jr1:r:{join_request}",
        lead=Ok(
            probe="SELECT status FROM join_requests WHERE id = {join_request}", value="rejected"
        ),
        outsider=NOT_SECRETARIAT,
        other=STALE_JOIN,
    ),
    # lead1: choosing the lead unit is the secretariat's (no cluster-1 unit in cluster 2).
    *row(
        "lead1",
        "lead1:{PVEP}",
        admin=LEAD_PVEP,
        lead=LEAD_PVEP,
        other=UNIT_NOT_HERE,
        liaison=NOT_SECRETARIAT,
        voter=NOT_SECRETARIAT,
        outsider=NOT_SECRETARIAT,
        private=GROUP_ONLY,
    ),
    # inv1: an invitation link is the secretariat's.
    *row(
        "inv1",
        "inv1:{RVP}",
        admin=INVITES_2,
        lead=INVITES_2,
        other=UNIT_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    # invrv1: the revoke button lives in the issuer's private chat; roles are the cluster's.
    *row(
        "invrv1",
        "invrv1:{invite}",
        private=Ok(probe="SELECT revoked_at IS NOT NULL FROM invites", value=1),
        admin=Ok(probe="SELECT revoked_at IS NOT NULL FROM invites", value=1),
        lead=Ok(probe="SELECT revoked_at IS NOT NULL FROM invites", value=1),
        liaison=NOT_SECRETARIAT,
        voter=NOT_SECRETARIAT,
        outsider=NOT_SECRETARIAT,
        liaison_private=NOT_SECRETARIAT,
        other=NOT_SECRETARIAT,
        other_private=NOT_SECRETARIAT,
    ),
    # set1 / set2: the cluster's settings are the secretariat's; a person's own language theirs.
    *row(
        "set1-lang",
        "set1:lang:en",
        admin=Ok(probe="SELECT locale FROM clusters WHERE id = 1", value="en"),
        lead=Ok(probe="SELECT locale FROM clusters WHERE id = 1", value="en"),
        other=Ok(probe="SELECT locale FROM clusters WHERE id = 1", value="vi"),
        **SECRETARIAT_REFUSES,
    ),
    *row("set1-join", "set1:join:approve", voter=NOT_SECRETARIAT, outsider=NOT_SECRETARIAT),
    *row("set1-board", "set1:board:off", liaison=NOT_SECRETARIAT),
    *row(
        "set1-plang",
        "set1:plang:en",
        outsider_private=Ok(probe="SELECT locale FROM people WHERE user_id = 1099", value="en"),
    ),
    *row("set1-plang-group", "set1:plang:en", outsider=PRIVATE_LANGUAGE),
    *row(
        "set2",
        "set2:offsets",
        admin=dialogue("setting"),
        lead=dialogue("setting"),
        **SECRETARIAT_REFUSES,
    ),
    *row("set2-quiet", "set2:quiet", outsider=NOT_SECRETARIAT),
    # rq1: managing a request is the secretariat's.
    *row(
        "rq1-deadline",
        "rq1:deadline:{report}",
        admin=dialogue("request_new_deadline"),
        lead=dialogue("request_new_deadline"),
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "rq1-close",
        "rq1:close:{report}",
        admin=Ok(probe="SELECT status FROM requests WHERE id = {report}", value="closed"),
        lead=Ok(probe="SELECT status FROM requests WHERE id = {report}", value="closed"),
        submitter=NOT_SECRETARIAT,
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "rq1-reopen",
        "rq1:reopen:{closed_report}",
        admin=Ok(probe="SELECT status FROM requests WHERE id = {closed_report}", value="open"),
        lead=Ok(probe="SELECT status FROM requests WHERE id = {closed_report}", value="open"),
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "rq1-cancel",
        "rq1:cancel:{report}",
        lead=Ok(probe="SELECT status FROM requests WHERE id = {report}", value="cancelled"),
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "rq1-files",
        "rq1:files:{report}",
        admin=Ok(shows="RVP – v1"),
        lead=Ok(shows="RVP – v1"),
        submitter=NOT_SECRETARIAT,
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    # rqq1: the guided /request's buttons belong to the person being guided.
    *row(
        "rqq1",
        "rqq1:tomorrow",
        admin=dialogue("request_confirm"),
        lead=NOT_YOUR_BUTTONS,
        outsider=NOT_YOUR_BUTTONS,
        private=NOT_YOUR_BUTTONS,
    ),
    *row("rqq1-ok", "rqq1:ok", outsider=NOT_YOUR_BUTTONS),
    # sub1: a parked document is its sender's to file.
    *row(
        "sub1",
        "sub1:{pending}:{report}",
        liaison_private=Ok(probe="SELECT COUNT(*) FROM submissions", value=2),
        voter_private=REQUEST_NOT_HERE,
        outsider_private=REQUEST_NOT_HERE,
        private=REQUEST_NOT_HERE,
        other=REQUEST_NOT_HERE,
    ),
    # rv1: reviewing a submission is the secretariat's, not the unit's.
    *row(
        "rv1-accept",
        "rv1:a:{submission}",
        admin=Ok(probe="SELECT review FROM submissions WHERE id = {submission}", value="accepted"),
        lead=Ok(probe="SELECT review FROM submissions WHERE id = {submission}", value="accepted"),
        submitter=NOT_SECRETARIAT,
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "rv1-return",
        "rv1:r:{submission}",
        admin=dialogue("return_comment"),
        lead=dialogue("return_comment"),
        submitter=NOT_SECRETARIAT,
        other=REQUEST_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    # cf1: a unit's liaison (any of them) answers for the unit.
    *row(
        "cf1-confirm",
        "cf1:c:{confirmation}",
        liaison=Ok(shows="Đã ghi nhận xác nhận của đơn vị PVEP."),
        voter=Ok(shows="Đã ghi nhận xác nhận của đơn vị PVEP."),
        lead=Ok(probe="SELECT COUNT(*) FROM confirmations", value=1),
        admin=ANSWER_NOT_LIAISON,
        outsider=ANSWER_NOT_LIAISON,
        other=REQUEST_NOT_HERE,
        private=GROUP_ONLY,
    ),
    *row(
        "cf1-comment",
        "cf1:g:{confirmation}",
        liaison=dialogue("confirmation_comment"),
        admin=ANSWER_NOT_LIAISON,
        outsider=ANSWER_NOT_LIAISON,
        other=REQUEST_NOT_HERE,
        private=GROUP_ONLY,
    ),
    # mt1: a unit's liaison answers attend / absent.
    *row(
        "mt1-attend",
        "mt1:a:{meeting}",
        liaison=Ok(shows="Đã ghi nhận: đơn vị PVEP tham dự."),
        voter=Ok(probe="SELECT status FROM rsvps", value="attend"),
        lead=Ok(probe="SELECT status FROM rsvps", value="attend"),
        admin=ANSWER_NOT_LIAISON,
        outsider=ANSWER_NOT_LIAISON,
        other=MEETING_NOT_HERE,
        private=GROUP_ONLY,
    ),
    *row(
        "mt1-absent",
        "mt1:x:{meeting}",
        liaison=Ok(probe="SELECT status FROM rsvps", value="absent"),
        outsider=ANSWER_NOT_LIAISON,
        other=MEETING_NOT_HERE,
    ),
    # mtm1: moving, cancelling, closing a meeting is the secretariat's.
    *row(
        "mtm1-move",
        "mtm1:move:{meeting}",
        admin=dialogue("meeting_move"),
        lead=dialogue("meeting_move"),
        other=MEETING_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "mtm1-cancel",
        "mtm1:cancel:{meeting}",
        admin=Ok(probe="SELECT status FROM meetings", value="cancelled"),
        other=MEETING_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "mtm1-close",
        "mtm1:close:{meeting}",
        lead=Ok(probe="SELECT status FROM meetings", value="closed"),
        other=MEETING_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    # po1: an open poll's buttons; only the unit's voter on the frozen roll votes.
    *row(
        "po1",
        "po1:{open_poll}:2",
        voter=Ok(shows="Đã ghi nhận phiếu của đơn vị PVEP: RVP"),
        lead=Ok(shows="Đã ghi nhận phiếu của đơn vị VSP: RVP"),
        liaison=NOT_ON_ROLL,
        admin=NOT_ON_ROLL,
        outsider=NOT_ON_ROLL,
        other=NOT_ON_ROLL,
        private=NOT_ON_ROLL,
    ),
    *row("po1-secret", "po1:{secret_poll}:2", voter=PRIVATE_BALLOT),
    *row("po1-closed", "po1:{closed_poll}:2", voter=POLL_CLOSED),
    # pb1 / pc1 / ps1: a secret ballot is filled only in the voter's own private chat.
    *row(
        "pb1",
        "pb1:{secret_poll}:-:2",
        voter_private=Ok(shows="☑ RVP"),
        lead_private=Ok(shows="☑ RVP"),
        liaison_private=NOT_ON_ROLL,
        outsider_private=NOT_ON_ROLL,
        private=NOT_ON_ROLL,
        voter=PRIVATE_BALLOT,
        other=PRIVATE_BALLOT,
    ),
    *row(
        "pc1",
        "pc1:{secret_poll}:2",
        voter_private=Ok(shows="Anh/chị sắp gửi phiếu của đơn vị PVEP: RVP."),
        liaison_private=NOT_ON_ROLL,
        outsider_private=NOT_ON_ROLL,
        private=NOT_ON_ROLL,
        voter=PRIVATE_BALLOT,
        other=PRIVATE_BALLOT,
    ),
    *row(
        "ps1",
        "ps1:{secret_poll}:2",
        voter_private=Ok(
            shows="Bot đã nhận phiếu bầu của anh/chị.",
            probe="SELECT COUNT(*) FROM poll_roll WHERE poll_id = {secret_poll} AND has_voted = 1",
            value=1,
        ),
        liaison_private=NOT_ON_ROLL,
        outsider_private=NOT_ON_ROLL,
        other_private=NOT_ON_ROLL,
        private=NOT_ON_ROLL,
        voter=PRIVATE_BALLOT,
        other=PRIVATE_BALLOT,
    ),
    # pm1: closing and the minutes are the secretariat's; the result is for everyone.
    *row(
        "pm1-close",
        "pm1:close:{open_poll}",
        admin=Ok(probe="SELECT status FROM polls WHERE id = {open_poll}", value="closed"),
        lead=Ok(shows="Kết quả bình xét"),
        other=POLL_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "pm1-minutes",
        "pm1:minutes:{closed_poll}",
        admin=Ok(shows="bien_ban_kiem_phieu_{closed_poll}.docx"),
        lead=Ok(shows="bien_ban_kiem_phieu_{closed_poll}.docx"),
        other=POLL_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "pm1-result",
        "pm1:result:{closed_poll}",
        outsider=Ok(shows="Kết quả bình xét: Bình xét Cờ thi đua của Chính phủ"),
        liaison=Ok(shows="Kết quả bình xét: Bình xét Cờ thi đua của Chính phủ"),
        other=POLL_NOT_HERE,
        private=GROUP_ONLY,
    ),
    # vot1 / votp1: designating a unit's voter is the secretariat's.
    *row(
        "vot1",
        "vot1:{RVP}",
        admin=Ok(shows="Ai sẽ bỏ phiếu thay mặt đơn vị <b>RVP</b>?"),
        lead=Ok(shows="Hoàng Anh"),
        other=UNIT_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    *row(
        "votp1",
        "votp1:{RVP}:" + str(TUAN_RVP.id),
        admin=Ok(probe="SELECT voter_user_id FROM units WHERE id = {RVP}", value=TUAN_RVP.id),
        lead=Ok(probe="SELECT voter_user_id FROM units WHERE id = {RVP}", value=TUAN_RVP.id),
        submitter=NOT_SECRETARIAT,
        other=UNIT_NOT_HERE,
        **SECRETARIAT_REFUSES,
    ),
    # st1: anyone in the group sees an item in detail; another group sees nothing of ours.
    *row(
        "st1-request",
        "st1:r:{report}",
        outsider=STATUS_SHOWN,
        voter=STATUS_SHOWN,
        other=NO_SUCH_ITEM,
        private=GROUP_ONLY,
    ),
    *row(
        "st1-meeting",
        "st1:m:{meeting}",
        liaison=Ok(shows="Họp Cụm thi đua số 1"),
        other=NO_SUCH_ITEM,
    ),
    *row(
        "st1-poll",
        "st1:p:{open_poll}",
        outsider=Ok(shows="Bình xét Cờ thi đua của Tập đoàn"),
        other=NO_SUCH_ITEM,
    ),
]

CELLS = COMMANDS + FILES + BUTTONS

# ----- cells where the bot is wrong today (reported; each passes once it is fixed) --------


def bug(reason: str, cells: list[Cell]) -> list[Any]:
    """Cells the bot gets wrong today: strict xfail, so a fix makes them fail loudly."""
    mark = pytest.mark.xfail(reason=f"bug: {reason}", strict=True)
    return [pytest.param(c, id=c.id, marks=mark) for c in cells]


# None today: a newly found one goes here as `*bug("what is wrong", row(...))`.
BUGS: list[Any] = []


# ----- running a cell -------------------------------------------------------------------

_VIETNAMESE = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I
)
# Calls that show or change something for people; a refusal makes exactly its own one.
_VISIBLE = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendPhoto",
    "pinChatMessage",
    "unpinChatMessage",
    "deleteMessage",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The template database, built once for the whole matrix."""
    return build_template(tmp_path_factory.mktemp("authz") / "template")


def _fill(text: str, world: World) -> str:
    return text.format(**world.ids, **world.texts)


async def _act(h: Harness, cell: Cell, world: World) -> None:
    person, chat_id = ROLES[cell.role]
    action = _fill(cell.action, world)
    if action.startswith("/"):
        await h.say(person, action, chat_id=chat_id)
    elif action.startswith("file:"):
        reply_to = world.ids["report_message"] if action == "file:reply" else None
        await h.send_file(person, "Bao cao.pdf", PDF + b"v2", chat_id=chat_id, reply_to=reply_to)
    else:
        await h.press(person, action, chat_id=chat_id)
    await export_handler.wait_for_exports()
    await h.deps.live.flush()


def _corpus(h: Harness) -> str:
    """Everything the bot showed: texts, button labels, answers, captions, file names."""
    parts: list[str] = []
    for call in h.request.calls:
        params = call.params
        parts += [str(params.get(k, "")) for k in ("text", "caption")]
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict):
            parts += [b["text"] for line in markup.get("inline_keyboard", ()) for b in line]
        parts += [name for name, _content in call.uploads.values()]
    return "\n".join(parts)


@pytest.mark.parametrize("cell", [pytest.param(c, id=c.id) for c in CELLS] + BUGS)
async def test_authorization_matrix(
    cell: Cell, world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = await start_copy(world, tmp_path / "data")
    try:
        before = await snapshot(h)
        h.request.clear()
        with caplog.at_level(logging.ERROR):
            await _act(h, cell, world)
        after = await snapshot(h)
        crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not crashes, f"the bot crashed: {crashes[0].getMessage()}"
        answers = h.request.answers()
        is_press = not cell.action.startswith(("/", "file:"))
        if is_press:
            # One answer per press: Telegram refuses a second one, and a refusal sent as a
            # second answer never reaches the person.
            assert len(answers) == 1, f"{len(answers)} answers to one press: {answers}"
        if isinstance(cell.outcome, No):
            await _check_refused(h, cell, cell.outcome, before, after, is_press)
        else:
            await _check_allowed(h, cell.outcome, world, before, after)
    finally:
        await h.stop()


async def _check_refused(
    h: Harness,
    cell: Cell,
    outcome: No,
    before: dict[str, list[tuple[Any, ...]]],
    after: dict[str, list[tuple[Any, ...]]],
    is_press: bool,
) -> None:
    _person, chat_id = ROLES[cell.role]
    visible = [c for c in h.request.calls if c.endpoint in _VISIBLE]
    if is_press:
        answer = h.request.answers()[-1]
        said = str(answer.get("text", ""))
        assert answer.get("show_alert") is True, f"no alert, answered {answer}"
        assert not visible, f"a refusal also sent {[(c.endpoint, c.params) for c in visible]}"
    else:
        assert len(visible) == 1, f"expected one reply, got {[c.params for c in visible]}"
        reply = visible[0]
        assert reply.endpoint == "sendMessage"
        assert int(reply.params["chat_id"]) == chat_id
        said = str(reply.params["text"])
    assert outcome.says in said, f"refusal said: {said!r}"
    assert outcome.avoid is None or outcome.avoid not in said, f"refusal said: {said!r}"
    assert _VIETNAMESE.search(said), f"not Vietnamese: {said!r}"
    recorded = set(after["handled_updates"]) - set(before["handled_updates"])
    assert [row[0] for row in recorded] == [FIRST_UPDATE_ID], f"recorded {recorded}"
    after = {**after, "handled_updates": before["handled_updates"]}
    assert changed_tables(before, after) == [], "a refused action changed the database"


async def _check_allowed(
    h: Harness,
    outcome: Ok,
    world: World,
    before: dict[str, list[tuple[Any, ...]]],
    after: dict[str, list[tuple[Any, ...]]],
) -> None:
    alerts = [a for a in h.request.answers() if a.get("show_alert")]
    assert not alerts, f"refused: {alerts[0].get('text')!r}"
    assert outcome.shows or outcome.probe, "an allowed cell must check something"
    corpus = _corpus(h)
    if outcome.shows is not None:
        assert _fill(outcome.shows, world) in corpus, f"the bot showed: {corpus!r}"
    if outcome.hides is not None:
        assert outcome.hides not in corpus, f"the bot showed: {corpus!r}"
    if outcome.probe is not None:
        expected = outcome.value
        if isinstance(expected, str):
            expected = _fill(expected, world)
        value = await h.scalar(_fill(outcome.probe, world))
        assert str(value) == str(expected), (
            f"{outcome.probe} = {value!r}; changed: {changed_tables(before, after)}"
        )
