"""Report and confirmation requests: opening, deadlines, status, and what each unit owes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.dates import DateParseError, OffsetParseError, parse_datetime, parse_offsets
from bot.domain import (
    BadDate,
    Cluster,
    Confirmation,
    InvalidInput,
    Person,
    Request,
    RequestNotOpen,
    Submission,
    Unit,
    UnknownRequest,
    UnknownUnit,
)
from bot.files import DEFAULT_TYPES, FileTypeError, normalise_types
from bot.options import OptionError, parse_options, split_args, split_list
from bot.services.clusters import normalise_code, require_cluster, require_secretariat
from bot.services.common import clean_text, unit_of_work
from db import (
    audit,
    clusters,
    confirmations,
    liaisons,
    reminders,
    requests,
    submissions,
    units,
)

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from db.connection import Database

MAX_TITLE = 200
KINDS = ("report", "confirmation")
ACTIONS = {"close": "closed", "reopen": "open", "cancel": "cancelled"}


@dataclass(frozen=True)
class RequestView:
    """A request with everything needed to show it: units, their liaisons and answers."""

    cluster: Cluster
    request: Request
    units: tuple[Unit, ...]
    liaisons: dict[int, tuple[Person, ...]]
    latest: dict[int, Submission]
    answers: dict[int, Confirmation]

    def owes(self, unit: Unit) -> bool:
        """Whether the unit still owes something: no file, a returned file, or no answer."""
        if self.request.kind == "report":
            latest = self.latest.get(unit.id)
            return latest is None or latest.review == "returned"
        return unit.id not in self.answers

    @property
    def owing(self) -> tuple[Unit, ...]:
        """Units that still owe, in unit order."""
        return tuple(u for u in self.units if self.owes(u))

    @property
    def tz(self) -> ZoneInfo:
        """The cluster's time zone."""
        return ZoneInfo(self.cluster.tz)


async def load_view(
    conn: aiosqlite.Connection,
    cluster: Cluster,
    request: Request,
    *,
    answers: dict[int, Confirmation] | None = None,
    latest: dict[int, Submission] | None = None,
) -> RequestView:
    """Gather a request's units, liaisons, latest files and answers (`answers`, `latest`:
    when the caller has them as they now stand)."""
    all_units = {u.id: u for u in await units.list_units(conn, cluster.id)}
    concerned = tuple(all_units[i] for i in request.unit_ids if i in all_units)
    people: dict[int, list[Person]] = {}
    for liaison in await liaisons.list_liaisons(conn, cluster.id):
        people.setdefault(liaison.unit_id, []).append(liaison.person)
    return RequestView(
        cluster=cluster,
        request=request,
        units=concerned,
        liaisons={u.id: tuple(people.get(u.id, ())) for u in concerned},
        latest=(latest if latest is not None else await submissions.list_latest(conn, request.id))
        if request.kind == "report"
        else {},
        answers=(
            answers if answers is not None else await confirmations.list_answers(conn, request.id)
        )
        if request.kind == "confirmation"
        else {},
    )


async def get_view(db: Database, chat_id: int, request_id: int) -> RequestView:
    """Return the view of a request of the chat's cluster."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        request = await requests.get_request(conn, cluster.id, request_id)
        if request is None:
            raise UnknownRequest(request_id=request_id)
        return await load_view(conn, cluster, request)


def parse_deadline(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Read a deadline (a date alone means 17:00); refuse past or unreadable ones."""
    try:
        return parse_datetime(text, now, tz)
    except DateParseError as exc:
        raise BadDate(error=exc) from exc


def parse_offsets_option(value: str | None) -> tuple[int, ...] | None:
    """Read `nhac=2d;4h;30m` into seconds before the deadline (None: the cluster default)."""
    if value is None:
        return None
    try:
        return tuple(int(o.total_seconds()) for o in parse_offsets(value))
    except OffsetParseError as exc:
        raise InvalidInput(field="offsets", value=value) from exc


def _parse_title(text: str) -> str:
    title = clean_text(text)
    if not title:
        raise InvalidInput(field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(field="title_long", limit=MAX_TITLE)
    return title


async def _units_from_option(
    conn: aiosqlite.Connection, cluster: Cluster, value: str | None
) -> list[Unit]:
    all_units = await units.list_units(conn, cluster.id)
    if value is None:
        if not all_units:
            raise InvalidInput(field="unit_lines")
        return all_units
    by_code = {u.code: u for u in all_units}
    chosen = []
    for code in (normalise_code(c) for c in split_list(value)):
        if code not in by_code:
            raise UnknownUnit(code=code)
        chosen.append(by_code[code])
    if not chosen:
        raise InvalidInput(field="units_option")
    return chosen


async def open_request(
    db: Database,
    *,
    chat_id: int,
    kind: str,
    text: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    document: tuple[str, str] | None = None,
    update_id: int | None = None,
) -> RequestView:
    """Open a report request (or confirmation request) from `<title> | <deadline> [| options]`."""
    if kind not in KINDS:
        raise ValueError(kind)
    segments = split_args(text)
    if len(segments) < 2 or not segments[0]:
        raise InvalidInput(field=f"{kind}_args")
    title = _parse_title(segments[0])
    allowed = ("don_vi", "dinh_dang", "nhac") if kind == "report" else ("don_vi", "nhac")
    try:
        options = parse_options(segments[2:], allowed)
    except OptionError as exc:
        raise InvalidInput(
            field="option", code=exc.code, key=exc.key or "", text=exc.segment
        ) from exc
    offsets = parse_offsets_option(options.get("nhac"))
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        deadline = parse_deadline(segments[1], now, ZoneInfo(cluster.tz))
        concerned = await _units_from_option(conn, cluster, options.get("don_vi"))
        file_types: tuple[str, ...] = ()
        if kind == "report":
            try:
                file_types = normalise_types(split_list(options["dinh_dang"]))
            except KeyError:
                file_types = DEFAULT_TYPES
            except FileTypeError as exc:
                raise InvalidInput(field="file_type", value=str(exc.value)) from exc
            if not file_types:
                raise InvalidInput(field="file_type", value="")
        request_id = await requests.insert_request(
            conn,
            cluster_id=cluster.id,
            kind=kind,
            title=title,
            deadline_at=deadline,
            file_types=file_types,
            document_file_id=document[0] if document else None,
            document_name=document[1] if document else None,
            unit_ids=[u.id for u in concerned],
            created_by=user_id,
            now=now,
            reminder_offsets=offsets,
        )
        await reminders.replan_item(conn, "request", request_id, now)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action=f"open_{kind}",
            detail=f"#{request_id} {title} | {deadline.isoformat()}",
            now=now,
        )
        request = await requests.get_request(conn, cluster.id, request_id)
        assert request is not None
        return await load_view(conn, cluster, request)


async def remember_message(db: Database, request_id: int, message_id: int) -> None:
    """Store the id of the group message that shows the request."""
    async with db.writes() as conn:  # one trip: it only writes
        await requests.update_message(conn, request_id, message_id)


async def _secretariat_request(
    conn: aiosqlite.Connection, chat_id: int, request_id: int, user_id: int, is_group_admin: bool
) -> tuple[Cluster, Request]:
    cluster = await require_cluster(conn, chat_id)
    await require_secretariat(conn, cluster, user_id, is_group_admin)
    request = await requests.get_request(conn, cluster.id, request_id)
    if request is None:
        raise UnknownRequest(request_id=request_id)
    return cluster, request


async def change_deadline(
    db: Database,
    *,
    chat_id: int,
    request_id: int,
    text: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> RequestView:
    """Move an open request's deadline (secretariat only)."""
    async with unit_of_work(db, update_id, now) as conn:
        cluster, request = await _secretariat_request(
            conn, chat_id, request_id, user_id, is_group_admin
        )
        if not request.is_open:
            raise RequestNotOpen(status=request.status, title=request.title)
        deadline = parse_deadline(text, now, ZoneInfo(cluster.tz))
        await requests.update_deadline(conn, request.id, deadline)
        # Reminders are planned anew for the new deadline, from now.
        await reminders.replan_item(conn, "request", request.id, now)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="deadline",
            detail=f"#{request.id} {request.deadline_at.isoformat()} -> {deadline.isoformat()}",
            now=now,
        )
        moved = await requests.get_request(conn, cluster.id, request.id)
        assert moved is not None
        return await load_view(conn, cluster, moved)


async def change_status(
    db: Database,
    *,
    chat_id: int,
    request_id: int,
    action: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> RequestView:
    """Close, reopen or cancel a request (secretariat only); records are kept."""
    status = ACTIONS[action]
    async with unit_of_work(db, update_id, now) as conn:
        cluster, request = await _secretariat_request(
            conn, chat_id, request_id, user_id, is_group_admin
        )
        if request.status != status:
            await requests.update_status(conn, request.id, status, now)
            if status == "open":
                await reminders.replan_item(conn, "request", request.id, now)
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=user_id,
                action=f"request_{action}",
                detail=f"#{request.id}",
                now=now,
            )
        changed = await requests.get_request(conn, cluster.id, request.id)
        assert changed is not None
        return await load_view(conn, cluster, changed)


async def views_without_message(db: Database) -> list[RequestView]:
    """Open requests that still need their group message, with their views."""
    async with db.read() as conn:
        views = []
        for request in await requests.list_open_without_message(conn):
            cluster = await clusters.get_cluster(conn, request.cluster_id)
            if cluster is not None:
                views.append(await load_view(conn, cluster, request))
        return views
