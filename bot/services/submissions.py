"""Report submissions: which request a document answers, checks, versions, storage, review."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain import (
    AlreadyReviewed,
    Cluster,
    FileRefused,
    InvalidInput,
    NoOpenRequest,
    NotALiaison,
    NotASubmission,
    NotConcerned,
    NotLatestVersion,
    Request,
    RequestNotOpen,
    Submission,
    Unit,
    UnknownRequest,
)
from bot.files import FileCheckError, check_file, safe_display_name, stored_name
from bot.services.clusters import require_cluster, require_secretariat
from bot.services.common import clean_text, fold_text, unit_of_work
from bot.services.requests import RequestView, load_view
from db import audit, clusters, liaisons, pending, requests, submissions, units
from db.util import from_ts

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    import aiosqlite

    from db.connection import Database

MAX_COMMENT = 1000
# A parked document's buttons stop working after a day: the liaison sends it again.
PARKING_TTL = timedelta(days=1)


@dataclass(frozen=True)
class Document:
    """What Telegram tells about a sent document, as plain values."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    caption: str = ""


@dataclass(frozen=True)
class Candidate:
    """An open report request the sender's unit may be answering."""

    cluster: Cluster
    unit: Unit
    request: Request


@dataclass(frozen=True)
class Target:
    """Where a document goes: one candidate, or several to choose from."""

    candidates: tuple[Candidate, ...]

    @property
    def chosen(self) -> Candidate | None:
        """The only candidate, when there is exactly one."""
        return self.candidates[0] if len(self.candidates) == 1 else None


@dataclass(frozen=True)
class Download:
    """A document fetched into a temporary file, with its hash."""

    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Recorded:
    """The outcome of a submission: the version that counts now, and whether it is new."""

    view: RequestView
    unit: Unit
    submission: Submission
    duplicate: bool


def _by_caption(candidates: list[Candidate], caption: str) -> list[Candidate]:
    folded = fold_text(caption)
    if len(folded) < 4:
        return []
    return [
        c
        for c in candidates
        if fold_text(c.request.title) in folded or folded in fold_text(c.request.title)
    ]


def check_document(request: Request, document: Document) -> str:
    """Check name, size and type against the request; return the file's extension."""
    try:
        return check_file(
            document.file_name, document.mime_type, document.file_size, request.file_types
        )
    except FileCheckError as exc:
        raise FileRefused(
            reason=exc.code, allowed=request.file_types, title=request.title
        ) from exc


async def _open_for_unit(
    conn: aiosqlite.Connection, cluster: Cluster, unit: Unit
) -> list[Candidate]:
    return [
        Candidate(cluster, unit, r)
        for r in await requests.list_requests(conn, cluster.id, kind="report")
        if unit.id in r.unit_ids
    ]


async def find_target(
    db: Database,
    *,
    chat_id: int,
    private: bool,
    user_id: int,
    reply_to: int | None,
    caption: str,
    explicit_only: bool = False,
) -> Target:
    """Work out which request a liaison's document answers; refuse what cannot be submitted.

    In the group, `explicit_only` (the sender is secretariat, who posts drafts and plans)
    takes a document as a report only when it replies to the request or names it.
    """
    async with db.read() as conn:
        if private:
            mine = await liaisons.list_liaisons_of_person(conn, user_id)
            if not mine:
                raise NotALiaison(private=True)
            candidates: list[Candidate] = []
            for liaison in mine:
                cluster = await clusters.get_cluster(conn, liaison.cluster_id)
                unit = await units.get_unit(conn, liaison.cluster_id, liaison.unit_id)
                if cluster is not None and unit is not None:
                    candidates += await _open_for_unit(conn, cluster, unit)
        else:
            cluster = await require_cluster(conn, chat_id)
            own = await liaisons.get_liaison(conn, cluster.id, user_id)
            if own is None:
                raise NotALiaison(private=False)
            unit = await units.get_unit(conn, cluster.id, own.unit_id)
            assert unit is not None
            replied = (
                await requests.get_request_by_message(conn, cluster.id, reply_to)
                if reply_to is not None
                else None
            )
            if replied is not None and replied.kind == "report":
                if not replied.is_open:
                    raise RequestNotOpen(status=replied.status, title=replied.title)
                if unit.id not in replied.unit_ids:
                    raise NotConcerned(title=replied.title, code=unit.code)
                return Target((Candidate(cluster, unit, replied),))
            if replied is not None:
                # A reply to a confirmation request (a revised draft, say) is not a report.
                raise NotASubmission()
            candidates = await _open_for_unit(conn, cluster, unit)
    if not candidates:
        raise NoOpenRequest()
    named = _by_caption(candidates, caption)
    if len(named) == 1:
        return Target(tuple(named))
    if explicit_only:
        raise NotASubmission()
    return Target(tuple(candidates))


async def park_document(
    db: Database, *, user_id: int, chat_id: int, document: Document, sent_at: datetime
) -> int:
    """Keep a document while its sender picks the request; return the parking id."""
    async with db.transaction() as conn:
        return await pending.insert_pending(
            conn,
            now=sent_at,
            user_id=user_id,
            chat_id=chat_id,
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
            file_size=document.file_size,
            caption=document.caption,
        )


async def pick_parked(
    db: Database, *, pending_id: int, request_id: int, user_id: int, now: datetime
) -> tuple[Document, Candidate, datetime]:
    """Return a parked document, the request its sender picked and when it was sent."""
    async with db.read() as conn:
        parked = await pending.get_pending(conn, pending_id)
        if parked is None or parked["user_id"] != user_id:
            raise UnknownRequest(request_id=request_id)
        sent_at = from_ts(parked["created_at"])
        if now - sent_at > PARKING_TTL:
            raise UnknownRequest(request_id=request_id)
        for liaison in await liaisons.list_liaisons_of_person(conn, user_id):
            request = await requests.get_request(conn, liaison.cluster_id, request_id)
            if request is None:
                continue
            if not request.is_open:
                raise RequestNotOpen(status=request.status, title=request.title)
            cluster = await clusters.get_cluster(conn, liaison.cluster_id)
            unit = await units.get_unit(conn, liaison.cluster_id, liaison.unit_id)
            assert cluster is not None
            assert unit is not None
            if unit.id not in request.unit_ids:
                raise NotConcerned(title=request.title, code=unit.code)
            document = Document(
                file_id=parked["file_id"],
                file_unique_id=parked["file_unique_id"],
                file_name=parked["file_name"],
                mime_type=parked["mime_type"],
                file_size=parked["file_size"],
                caption=parked["caption"],
            )
            return document, Candidate(cluster, unit, request), sent_at
    raise UnknownRequest(request_id=request_id)


async def record_submission(
    db: Database,
    *,
    files_dir: Path,
    candidate: Candidate,
    document: Document,
    download: Download | None,
    storage: str,
    user_id: int,
    now: datetime,
    submitted_at: datetime | None = None,
    update_id: int | None = None,
    pending_id: int | None = None,
) -> Recorded:
    """Store a new version (or acknowledge a duplicate of the latest) in one transaction.

    The downloaded file is moved to its final name inside the transaction and moved
    back out if the transaction fails, so a recorded version always has its file and a
    failed one leaves none. Lateness counts from when the liaison sent the file, not
    from when the bot got to it (a restart or a slow download must not make it late).
    """
    extension = check_document(candidate.request, document)
    sent = min(submitted_at or now, now)
    final: Path | None = None
    try:
        async with unit_of_work(db, update_id, now) as conn:
            cluster = candidate.cluster
            request, latest_by_unit = await submissions.read_request_and_latest(
                conn, cluster.id, candidate.request.id
            )
            if request is None:
                raise UnknownRequest(request_id=candidate.request.id)
            if not request.is_open:
                raise RequestNotOpen(status=request.status, title=request.title)
            liaison = await liaisons.get_liaison(conn, cluster.id, user_id)
            if liaison is None or liaison.unit_id != candidate.unit.id:
                raise NotALiaison(private=False)
            if pending_id is not None and not await pending.delete_pending(
                conn, pending_id, user_id
            ):
                # Another press already submitted this parked document.
                raise UnknownRequest(request_id=request.id)
            unit = candidate.unit
            # The view as it stands gives the latest version, and the new one is added to
            # it below: no read before or after the insert.
            view = await load_view(conn, cluster, request, latest=latest_by_unit)
            latest = view.latest.get(unit.id)
            if latest is not None and (
                latest.file_unique_id == document.file_unique_id
                or (download is not None and latest.sha256 == download.sha256)
            ):
                return Recorded(view, unit, latest, duplicate=True)
            version = latest.version + 1 if latest else 1
            name = stored_name(unit.code, version, extension) if download else None
            move = None
            if download is not None and name is not None:
                final = files_dir / str(cluster.id) / str(request.id) / name
                move = (download.path, final)
            submission = await submissions.insert_submission(
                conn,
                move=move,
                request_id=request.id,
                unit_id=unit.id,
                version=version,
                user_id=user_id,
                submitted_at=sent,
                late_seconds=max(0, int((sent - request.deadline_at).total_seconds())),
                file_name=safe_display_name(document.file_name or ""),
                stored_name=name,
                file_size=download.size if download else document.file_size,
                mime_type=document.mime_type,
                sha256=download.sha256 if download else None,
                file_id=document.file_id,
                file_unique_id=document.file_unique_id,
                caption=clean_text(document.caption)[:MAX_COMMENT],
                storage=storage,
            )
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=user_id,
                action="submit",
                detail=f"#{request.id} {unit.code} v{version} {storage}",
                now=now,
            )
            view = replace(view, latest={**view.latest, unit.id: submission})
    except BaseException:
        if final is not None:
            final.unlink(missing_ok=True)
        raise
    finally:
        if download is not None:
            download.path.unlink(missing_ok=True)
    return Recorded(view, unit, submission, duplicate=False)


async def review_submission(
    db: Database,
    *,
    chat_id: int,
    submission_id: int,
    accept: bool,
    comment: str | None,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> Recorded:
    """Accept a unit's latest version, or return it for revision with a comment."""
    note = clean_text(comment or "")[:MAX_COMMENT] or None
    if not accept and note is None:
        raise InvalidInput(field="comment")
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        submission = await submissions.get_submission(conn, submission_id)
        request = (
            await requests.get_request(conn, cluster.id, submission.request_id)
            if submission
            else None
        )
        if submission is None or request is None:
            raise UnknownRequest(submission_id=submission_id)
        latest = await submissions.get_latest(conn, request.id, submission.unit_id)
        if latest is None or latest.id != submission.id:
            raise NotLatestVersion(version=submission.version)
        unit = await units.get_unit(conn, cluster.id, submission.unit_id)
        assert unit is not None
        review = "accepted" if accept else "returned"
        if submission.review == review and (accept or submission.review_comment == note):
            # A second press of the same button: nothing changes, nobody is told twice.
            raise AlreadyReviewed(review=review)
        await submissions.update_review(
            conn, submission.id, review=review, comment=note, reviewed_by=user_id, now=now
        )
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action=f"review_{review}",
            detail=f"#{request.id} {unit.code} v{submission.version} {note or ''}".strip(),
            now=now,
        )
        reviewed = await submissions.get_submission(conn, submission.id)
        assert reviewed is not None
        view = await load_view(conn, cluster, request)
    return Recorded(view, unit, reviewed, duplicate=False)


async def check_reviewable(
    db: Database, *, chat_id: int, submission_id: int, user_id: int, is_group_admin: bool
) -> Submission:
    """Refuse before asking for a comment: secretariat only, this cluster's latest version."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        submission = await submissions.get_submission(conn, submission_id)
        request = (
            await requests.get_request(conn, cluster.id, submission.request_id)
            if submission
            else None
        )
        if submission is None or request is None:
            raise UnknownRequest(submission_id=submission_id)
        latest = await submissions.get_latest(conn, request.id, submission.unit_id)
        if latest is None or latest.id != submission.id:
            raise NotLatestVersion(version=submission.version)
        return submission


async def latest_files(
    db: Database, *, chat_id: int, request_id: int, user_id: int, is_group_admin: bool
) -> RequestView:
    """Return the request's view for sending each unit's latest file (secretariat only)."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        request = await requests.get_request(conn, cluster.id, request_id)
        if request is None or request.kind != "report":
            raise UnknownRequest(request_id=request_id)
        return await load_view(conn, cluster, request)


def remove_partial_downloads(files_dir: Path) -> int:
    """Delete temporary downloads a crash left behind; return how many."""
    removed = 0
    tmp = files_dir / "tmp"
    if tmp.is_dir():
        for leftover in tmp.glob("*.part"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


async def remove_orphan_files(db: Database, files_dir: Path) -> int:
    """Delete stored files no recorded version points at (a hard kill between move and COMMIT).

    Only files older than a minute before the snapshot are considered: a submission being
    recorded right now may have moved its file but not committed yet.
    """
    cutoff = time.time() - 60
    async with db.read() as conn:
        known = await submissions.list_stored_paths(conn)
    # Walking the folders blocks: it runs in a thread, off the event loop.
    return await asyncio.to_thread(_sweep, files_dir, known, cutoff)


def _sweep(files_dir: Path, known: set[tuple[int, int, str]], cutoff: float) -> int:
    removed = 0
    if not files_dir.is_dir():
        return 0
    for cluster_dir in files_dir.iterdir():
        if not cluster_dir.is_dir() or not cluster_dir.name.isdigit():
            continue  # e.g. tmp/
        for request_dir in cluster_dir.iterdir():
            if not request_dir.is_dir() or not request_dir.name.isdigit():
                continue
            for stored in request_dir.iterdir():
                key = (int(cluster_dir.name), int(request_dir.name), stored.name)
                if stored.is_file() and key not in known and stored.stat().st_mtime < cutoff:
                    stored.unlink()
                    removed += 1
    return removed
