"""/export: read a cluster's records in one go, then build the spreadsheet, ZIPs and minutes."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain import NotACluster, UnitRoster, UnknownPoll, UnknownRequest
from bot.files import (
    canonical_extension,
    extension_of,
    format_duration_vi,
    sha256_file,
    stored_name,
)
from bot.minutes import build_minutes
from bot.services.clusters import require_cluster, require_secretariat
from bot.services.common import fold_text, unit_of_work
from bot.services.meetings import load_meeting_view
from bot.services.polls import PollView, load_poll_view, poll_from_row
from bot.services.requests import load_view
from bot.tally import Ballot, Result, tally
from bot.workbook import (
    NOT_SUBMITTED,
    REVIEW_LABELS,
    STORAGE_LABELS,
    build_workbook,
    local_naive,
    person_label,
)
from db import audit, clusters, liaisons, meetings, people, polls, requests, submissions, units
from db.util import fetch_all, from_ts

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    import aiosqlite

    from bot.domain import (
        Cluster,
        Confirmation,
        Meeting,
        Person,
        Request,
        Rsvp,
        Submission,
        Unit,
    )
    from db.connection import Database

__all__ = [
    "ConfirmationExport",
    "ExportData",
    "JournalEntry",
    "MeetingExport",
    "PollExport",
    "PollMinutes",
    "ReportExport",
    "RequestZip",
    "build_all_minutes",
    "build_poll_minutes",
    "build_request_zip",
    "build_workbook",
    "gather_export",
    "minutes_filename",
    "slugify",
    "zip_entry_name",
]

REQUEST_STATUSES = ("open", "closed", "cancelled")
MEETING_STATUSES = ("scheduled", "closed", "cancelled")
POLL_STATUSES = ("open", "closed")
SLUG_LIMIT = 40
MANIFEST_NAME = "manifest.csv"
_EXTENSION_RE = re.compile(r"[a-z0-9]{1,8}", re.ASCII)
_WORD_RE = re.compile(r"[a-z0-9]+", re.ASCII)
# A spreadsheet treats a CSV cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportExport:
    """A report request, the units it concerns, and every version they submitted."""

    request: Request
    units: tuple[Unit, ...]
    versions: tuple[Submission, ...]

    def versions_of(self, unit_id: int) -> tuple[Submission, ...]:
        """A unit's versions, first to last."""
        return tuple(sorted((s for s in self.versions if s.unit_id == unit_id), key=_version))

    @property
    def latest(self) -> dict[int, Submission]:
        """Each unit's latest version (the one that counts), by unit id."""
        found: dict[int, Submission] = {}
        for sub in sorted(self.versions, key=_version):
            found[sub.unit_id] = sub
        return found

    def late_seconds(self, submission: Submission) -> int:
        """How late a version came against the current deadline (as /status reads it)."""
        return max(0, int((submission.submitted_at - self.request.deadline_at).total_seconds()))


def _version(submission: Submission) -> int:
    return submission.version


@dataclass(frozen=True)
class ConfirmationExport:
    """A confirmation request, the units it concerns and their answers."""

    request: Request
    units: tuple[Unit, ...]
    answers: tuple[Confirmation, ...]


@dataclass(frozen=True)
class MeetingExport:
    """A meeting (any status), the cluster's units and their answers."""

    meeting: Meeting
    units: tuple[Unit, ...]
    rsvps: tuple[Rsvp, ...]


@dataclass(frozen=True)
class PollExport:
    """A poll with its roll; `result` is the count as posted at closing (None while open)."""

    view: PollView
    result: Result | None


@dataclass(frozen=True)
class JournalEntry:
    """One audit_log row of the cluster."""

    at: datetime
    user_id: int | None
    action: str
    detail: str


@dataclass(frozen=True)
class ExportData:
    """Everything /export writes, read in one consistent snapshot."""

    cluster: Cluster
    units: tuple[UnitRoster, ...]
    reports: tuple[ReportExport, ...]
    confirmations: tuple[ConfirmationExport, ...]
    meetings: tuple[MeetingExport, ...]
    polls: tuple[PollExport, ...]
    journal: tuple[JournalEntry, ...]
    people: Mapping[int, Person]
    # The latest recorded change: dates the files, so the same data gives the same bytes.
    as_of: datetime

    def name_of(self, user_id: int) -> str:
        """A person's name and @username, or their Telegram id when the bot never met them."""
        person = self.people.get(user_id)
        if person is None:
            return f"Người dùng {user_id}"
        return person_label(person)

    def report(self, request_id: int) -> ReportExport | None:
        """The report request with this id, if any."""
        return next((r for r in self.reports if r.request.id == request_id), None)

    @property
    def closed_polls(self) -> tuple[PollExport, ...]:
        """Polls counted at closing, which have minutes."""
        return tuple(p for p in self.polls if p.result is not None)


@dataclass(frozen=True)
class RequestZip:
    """The latest file of every unit for one report request, with a manifest of all versions."""

    filename: str
    data: bytes
    included: tuple[str, ...]
    # Latest versions the ZIP could not hold (too big, failed, missing or altered on disk):
    # (Telegram file id, suggested file name), for the caller to send one by one.
    by_file_id: tuple[tuple[str, str], ...]
    missing_units: tuple[str, ...]


@dataclass(frozen=True)
class PollMinutes:
    """The vote-count minutes of one closed poll."""

    poll_id: int
    title: str
    filename: str
    data: bytes


async def _journal(conn: aiosqlite.Connection, cluster_id: int) -> list[JournalEntry]:
    # db.audit only appends; nothing read the journal back before /export.
    rows = await fetch_all(
        conn,
        """SELECT user_id, action, detail, at FROM audit_log
           WHERE cluster_id = ? ORDER BY id""",
        (cluster_id,),
    )
    return [JournalEntry(from_ts(r["at"]), r["user_id"], r["action"], r["detail"]) for r in rows]


async def _roster(conn: aiosqlite.Connection, cluster: Cluster) -> tuple[UnitRoster, ...]:
    everyone = await liaisons.list_liaisons(conn, cluster.id)
    roster = []
    for unit in await units.list_units(conn, cluster.id):
        own = tuple(li.person for li in everyone if li.unit_id == unit.id)
        voter = None
        if unit.voter_user_id is not None:
            voter = next(
                (p for p in own if p.user_id == unit.voter_user_id), None
            ) or await people.get_person(conn, unit.voter_user_id)
        roster.append(UnitRoster(unit, own, voter, unit.id == cluster.lead_unit_id))
    return tuple(roster)


async def _people(
    conn: aiosqlite.Connection, known: Iterable[Person], user_ids: Iterable[int | None]
) -> dict[int, Person]:
    found = {p.user_id: p for p in known}
    for user_id in sorted({u for u in user_ids if u is not None} - set(found)):
        person = await people.get_person(conn, user_id)
        if person is not None:
            found[user_id] = person
    return found


async def start_export(
    db: Database,
    *,
    chat_id: int,
    user_id: int,
    is_group_admin: bool,
    update_id: int | None,
    now: datetime,
) -> Cluster:
    """Check that the person may export the chat's cluster and note it in the journal.

    The journal row shares the transaction with the update id, so a redelivered
    /export does not send everything twice.
    """
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        await audit.insert_audit(
            conn, cluster_id=cluster.id, user_id=user_id, action="export", detail="", now=now
        )
    return cluster


async def gather_export(db: Database, cluster_id: int) -> ExportData:
    """Read every record of a cluster for /export, closed and cancelled items included."""
    async with db.read() as conn:
        cluster = await clusters.get_cluster(conn, cluster_id)
        if cluster is None:
            raise NotACluster(cluster_id=cluster_id)
        roster = await _roster(conn, cluster)
        reports: list[ReportExport] = []
        answered: list[ConfirmationExport] = []
        for request in await requests.list_requests(conn, cluster.id, statuses=REQUEST_STATUSES):
            view = await load_view(conn, cluster, request)
            if request.kind == "report":
                versions = await submissions.list_versions(conn, request.id)
                reports.append(ReportExport(request, view.units, tuple(versions)))
            else:
                answers = tuple(view.answers[u.id] for u in view.units if u.id in view.answers)
                answered.append(ConfirmationExport(request, view.units, answers))
        gathered_meetings: list[MeetingExport] = []
        for meeting in await meetings.list_meetings(conn, cluster.id, MEETING_STATUSES):
            meeting_view = await load_meeting_view(conn, cluster, meeting)
            rsvps = tuple(
                meeting_view.rsvps[u.id] for u in meeting_view.units if u.id in meeting_view.rsvps
            )
            gathered_meetings.append(MeetingExport(meeting, meeting_view.units, rsvps))
        gathered_polls: list[PollExport] = []
        for row in await polls.list_cluster_poll_rows(conn, cluster.id, POLL_STATUSES):
            poll_view = await load_poll_view(conn, cluster, poll_from_row(row))
            result = None
            if not poll_view.poll.is_open:
                # Counted exactly as at closing (services.polls.close / result_of). An open
                # poll is not counted: like a sealed ballot box, it is opened at closing.
                marks = await polls.list_ballot_marks(
                    conn, poll_view.poll.id, poll_view.poll.secret
                )
                result = tally(
                    poll_view.poll.rules,
                    [Ballot(m) for m in marks],
                    roll_size=len(poll_view.roll),
                )
            gathered_polls.append(PollExport(poll_view, result))
        journal = await _journal(conn, cluster.id)
        named = await _people(
            conn,
            [p for entry in roster for p in entry.liaisons]
            + [entry.voter for entry in roster if entry.voter is not None],
            [s.user_id for r in reports for s in r.versions]
            + [a.user_id for c in answered for a in c.answers]
            + [v.user_id for m in gathered_meetings for v in m.rsvps]
            + [e.user_id for e in journal],
        )
    return ExportData(
        cluster=cluster,
        units=roster,
        reports=tuple(reports),
        confirmations=tuple(answered),
        meetings=tuple(gathered_meetings),
        polls=tuple(gathered_polls),
        journal=tuple(journal),
        people=MappingProxyType(named),
        as_of=max([cluster.created_at, *(e.at for e in journal)]),
    )


def slugify(text: str, limit: int = SLUG_LIMIT) -> str:
    """ASCII words joined by '-', without diacritics (đ → d), cut at a word: 'bao-cao-tong-ket'."""
    words = _WORD_RE.findall(fold_text(text))
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > limit:
            break
        slug = longer
    return slug or (words[0][:limit] if words else "")


def _extension(submission: Submission) -> str:
    if submission.stored_name:
        extension = submission.stored_name.rpartition(".")[2]
    else:
        extension = canonical_extension(extension_of(submission.file_name) or "")
    return extension if _EXTENSION_RE.fullmatch(extension) else "bin"


def zip_entry_name(code: str, slug: str, submission: Submission) -> str:
    """`<CODE>_<slug>_v<n>.<ext>`, the code sanitised as for stored files."""
    extension = _extension(submission)
    suffix = f"_v{submission.version}.{extension}"
    base = stored_name(code, submission.version, extension).removesuffix(suffix)
    return f"{base}_{slug}{suffix}" if slug else f"{base}{suffix}"


def _stored_path(folder: Path, submission: Submission) -> Path | None:
    name = submission.stored_name
    # Names come from files.stored_name; a row pointing elsewhere is not followed.
    if not name or Path(name).name != name or name in (".", ".."):
        return None
    return folder / name


def _csv_text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _stamp(moment: datetime) -> tuple[int, int, int, int, int, int]:
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)


def _entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_stamp(moment))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


MANIFEST_HEADER = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Lần nộp",
    "Tên tệp gốc",
    "Tên tệp trong ZIP",
    "Thời điểm nộp",
    "Nộp muộn",
    "Muộn",
    "Tình trạng xem xét",
    "Dung lượng (byte)",
    "SHA-256",
    "Lưu trữ",
    "File id",
    "Ghi chú",
)
NOTE_OLDER = "Bản trước – không kèm trong ZIP"
NOTE_BY_ID = "Không lưu trên máy chủ – gửi riêng theo file id"
NOTE_MISSING = "Không tìm thấy tệp đã lưu – gửi riêng theo file id"
NOTE_ALTERED = "Tệp đã lưu không khớp mã SHA-256 đã ghi – gửi riêng theo file id"


def build_request_zip(data: ExportData, request_id: int, files_root: Path) -> RequestZip:
    """ZIP each unit's latest stored file of a report request, checked against its SHA-256.

    `files_root` is `Settings.files_dir` (DATA_DIR/files), where versions live as
    `<cluster>/<request>/<CODE>_v<n>.<ext>`. Pure and synchronous: run it in a thread.
    """
    report = data.report(request_id)
    if report is None:
        raise UnknownRequest(request_id=request_id)
    tz = ZoneInfo(data.cluster.tz)
    slug = slugify(report.request.title) or f"yeu-cau-{request_id}"
    folder = files_root / str(data.cluster.id) / str(request_id)
    latest = report.latest
    # Decide first what goes in, so the manifest (written first) says what the ZIP holds.
    names: dict[int, str] = {}
    notes: dict[int, str] = {}
    to_zip: list[tuple[str, Path, Submission]] = []
    by_file_id: list[tuple[str, str]] = []
    for unit in report.units:
        sub = latest.get(unit.id)
        if sub is None:
            continue
        name = zip_entry_name(unit.code, slug, sub)
        path = _stored_path(folder, sub)
        if sub.storage != "stored":
            notes[sub.id] = NOTE_BY_ID
        elif path is None or not path.is_file():
            notes[sub.id] = NOTE_MISSING
        elif sub.sha256 is None or sha256_file(path) != sub.sha256:
            notes[sub.id] = NOTE_ALTERED
        else:
            names[sub.id] = name
            to_zip.append((name, path, sub))
            continue
        by_file_id.append((sub.file_id, name))
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\r\n")
    writer.writerow(MANIFEST_HEADER)
    for unit in report.units:
        versions = report.versions_of(unit.id)
        if not versions:
            writer.writerow([unit.code, _csv_text(unit.name), *[""] * 11, NOT_SUBMITTED])
        for sub in versions:
            late = report.late_seconds(sub)
            writer.writerow(
                [
                    unit.code,
                    _csv_text(unit.name),
                    sub.version,
                    _csv_text(sub.file_name),
                    names.get(sub.id, ""),
                    f"{local_naive(sub.submitted_at, tz):%d/%m/%Y %H:%M}",
                    "Có" if late > 0 else "Không",
                    format_duration_vi(late) if late > 0 else "",
                    REVIEW_LABELS.get(sub.review, sub.review),
                    "" if sub.file_size is None else sub.file_size,
                    sub.sha256 or "",
                    STORAGE_LABELS.get(sub.storage, sub.storage),
                    sub.file_id,
                    notes.get(sub.id, "" if sub.id == latest[unit.id].id else NOTE_OLDER),
                ]
            )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # BOM: Excel reads a CSV without one in the legacy code page and garbles Vietnamese.
        archive.writestr(
            _entry(MANIFEST_NAME, local_naive(data.as_of, tz)),
            manifest.getvalue().encode("utf-8-sig"),
        )
        for name, path, sub in to_zip:
            info = _entry(name, local_naive(sub.submitted_at, tz))
            info.file_size = path.stat().st_size  # lets zipfile choose ZIP64 for huge files
            # The hash was checked just above; stored versions are never rewritten in place.
            with path.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
    return RequestZip(
        filename=f"{slug}.zip",
        data=buffer.getvalue(),
        included=tuple(name for name, _path, _sub in to_zip),
        by_file_id=tuple(by_file_id),
        missing_units=tuple(u.code for u in report.units if u.id not in latest),
    )


def minutes_filename(poll_id: int) -> str:
    """The file name the bot gives a poll's minutes (as the poll's minutes button does)."""
    return f"bien_ban_kiem_phieu_{poll_id}.docx"


def build_poll_minutes(data: ExportData, poll_id: int) -> bytes:
    """The vote-count minutes (.docx) of a closed poll, as the poll's minutes button sends."""
    item = next((p for p in data.polls if p.view.poll.id == poll_id), None)
    if item is None:
        raise UnknownPoll(poll_id=poll_id)
    if item.result is None:
        raise ValueError(f"poll {poll_id} is still open: it has no minutes")
    poll = item.view.poll
    return build_minutes(
        data.cluster, item.view, item.result, poll.closed_at or poll.closes_at, item.view.tz
    )


def build_all_minutes(data: ExportData) -> tuple[PollMinutes, ...]:
    """The minutes of every closed poll of the cluster."""
    return tuple(
        PollMinutes(
            poll_id=p.view.poll.id,
            title=p.view.poll.title,
            filename=minutes_filename(p.view.poll.id),
            data=build_poll_minutes(data, p.view.poll.id),
        )
        for p in data.closed_polls
    )
