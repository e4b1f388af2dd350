"""The consolidated status of a cluster: every open item and each unit's state in it.

Pure aggregation lives here (`marks`, `summary`), so /status, the pinned board and the
picture all agree on what "late" or "answered" means, and it is tested without a bot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.domain import NoSuchItem, UnknownUnit
from bot.services.clusters import normalise_code, require_cluster
from bot.services.common import fold_text
from bot.services.meetings import MeetingView, load_meeting_view
from bot.services.polls import PollView, load_poll_view, poll_from_row
from bot.services.requests import RequestView, load_view
from db import (
    boards,
    cache,
    clusters,
    confirmations,
    meetings,
    polls,
    reminders,
    requests,
    submissions,
    units,
)
from db.util import fetch_batch

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from bot.domain import Cluster, Submission, Unit
    from db.connection import Database

View = RequestView | MeetingView | PollView
Tone = Literal["good", "warn", "bad", "none"]

# Each unit's state in an item. Late and commented count as done (the unit did its part);
# a returned report owes again.
STATES: dict[str, Tone] = {
    "submitted": "good",
    "late": "warn",
    "returned": "bad",
    "missing": "bad",
    "confirmed": "good",
    "commented": "warn",
    "unanswered": "bad",
    "attending": "good",
    "absent": "warn",
    "no_reply": "bad",
    "voted": "good",
    "not_voted": "bad",
}
DONE_STATES = frozenset(
    {"submitted", "late", "confirmed", "commented", "attending", "absent", "voted"}
)


@dataclass(frozen=True)
class Mark:
    """One unit's state in one item, with what a reader wants next to it."""

    unit: Unit
    state: str
    version: int | None = None
    at: datetime | None = None
    detail: str = ""

    @property
    def tone(self) -> Tone:
        """Good, warning or bad: the colour of the cell in a picture."""
        return STATES[self.state]

    @property
    def done(self) -> bool:
        """Whether the unit has done its part."""
        return self.state in DONE_STATES


def _report_mark(view: RequestView, unit: Unit, sub: Submission | None) -> Mark:
    if sub is None:
        return Mark(unit, "missing")
    if sub.review == "returned":
        return Mark(unit, "returned", sub.version, sub.submitted_at, sub.review_comment or "")
    # Late against the *current* deadline: an extension forgives an earlier file.
    state = "late" if sub.submitted_at > view.request.deadline_at else "submitted"
    return Mark(unit, state, sub.version, sub.submitted_at)


def marks(view: View) -> tuple[Mark, ...]:
    """Each concerned unit's state in an item, in unit order (never a ballot's content)."""
    if isinstance(view, PollView):
        return tuple(
            Mark(entry.unit, "voted" if entry.has_voted else "not_voted") for entry in view.roll
        )
    if isinstance(view, MeetingView):
        result = []
        for unit in view.units:
            rsvp = view.rsvps.get(unit.id)
            if rsvp is None:
                result.append(Mark(unit, "no_reply"))
            elif rsvp.status == "absent":
                result.append(Mark(unit, "absent"))
            else:
                result.append(Mark(unit, "attending", detail=rsvp.attendees))
        return tuple(result)
    if view.request.kind == "confirmation":
        result = []
        for unit in view.units:
            answer = view.answers.get(unit.id)
            if answer is None:
                result.append(Mark(unit, "unanswered"))
            elif answer.status == "confirmed":
                result.append(Mark(unit, "confirmed", at=answer.answered_at))
            else:
                result.append(
                    Mark(unit, "commented", at=answer.answered_at, detail=answer.comment or "")
                )
        return tuple(result)
    return tuple(_report_mark(view, unit, view.latest.get(unit.id)) for unit in view.units)


def done_count(view: View) -> tuple[int, int]:
    """(units that did their part, units concerned)."""
    item_marks = marks(view)
    return sum(1 for m in item_marks if m.done), len(item_marks)


def item_key(view: View) -> tuple[str, int]:
    """A short stable reference to an item: ('r', id), ('m', id) or ('p', id)."""
    if isinstance(view, MeetingView):
        return "m", view.meeting.id
    if isinstance(view, PollView):
        return "p", view.poll.id
    return "r", view.request.id


def item_title(view: View) -> str:
    """The item's title, whatever its kind."""
    if isinstance(view, MeetingView):
        return view.meeting.title
    if isinstance(view, PollView):
        return view.poll.title
    return view.request.title


def is_open(view: View) -> bool:
    """Whether the item still takes answers."""
    if isinstance(view, MeetingView):
        return view.meeting.is_open
    if isinstance(view, PollView):
        return view.poll.status == "open"
    return view.request.is_open


@dataclass(frozen=True)
class Status:
    """Everything open in a cluster, optionally narrowed to one unit."""

    cluster: Cluster
    items: tuple[View, ...]
    unit: Unit | None = None


@dataclass(frozen=True)
class ItemDetail:
    """One item in detail: its view and, for reports, every version of every unit."""

    cluster: Cluster
    view: View
    versions: tuple[Submission, ...] = ()


@dataclass(frozen=True)
class Choices:
    """Several items matched `/status <text>`: the reader picks one."""

    cluster: Cluster
    items: tuple[View, ...]


@dataclass(frozen=True)
class BoardState:
    """What the pinned board should show and where it is."""

    status: Status
    message_id: int | None
    body_hash: str | None
    pin_warned: bool


# Items a lookup by title considers: open ones, and finished ones whose records stay.
_REQUEST_STATUSES = ("open", "closed")
_MEETING_STATUSES = ("scheduled", "closed")
_POLL_STATUSES = ("open", "closed")


async def _items(
    conn: aiosqlite.Connection, cluster: Cluster, *, finished: bool = False
) -> list[View]:
    """The cluster's open items (and finished ones too, when asked), in a stable order."""
    statuses = _REQUEST_STATUSES if finished else ("open",)
    request_list = await requests.list_requests(conn, cluster.id, statuses=statuses)
    meeting_statuses = _MEETING_STATUSES if finished else ("scheduled",)
    meeting_list = await meetings.list_meetings(conn, cluster.id, meeting_statuses)
    poll_statuses = _POLL_STATUSES if finished else ("open",)
    poll_list = [
        poll_from_row(row)
        for row in await polls.list_cluster_poll_rows(conn, cluster.id, poll_statuses)
    ]
    # Every item's answers in one trip, not one per item.
    queries = [
        submissions.latest_query(r.id) if r.kind == "report" else confirmations.answers_query(r.id)
        for r in request_list
    ]
    queries += [meetings.rsvps_query(m.id) for m in meeting_list]
    queries += [polls.roll_query(p.id) for p in poll_list]
    rows = iter(await fetch_batch(conn, queries)) if queries else iter(())
    items: list[View] = []
    for request in request_list:
        found = next(rows)
        if request.kind == "report":
            view = await load_view(
                conn, cluster, request, latest=submissions.latest_from_rows(found)
            )
        else:
            view = await load_view(
                conn, cluster, request, answers=confirmations.answers_from_rows(found)
            )
        items.append(view)
    for meeting in meeting_list:
        rsvps = meetings.rsvps_from_rows(next(rows))
        items.append(await load_meeting_view(conn, cluster, meeting, rsvps=rsvps))
    for poll in poll_list:
        roll = polls.roll_from_rows(next(rows))
        items.append(await load_poll_view(conn, cluster, poll, roll))
    return items


async def _open_items(conn: aiosqlite.Connection, cluster: Cluster) -> tuple[View, ...]:
    """The cluster's open items, as committed (kept until the next transaction ends).

    Only ever called in a read session (`db.read()`), which sees committed data alone.
    """
    kept = cache.snapshot(conn, ("open_items", cluster.id))
    if kept is not cache.MISSING:
        return kept  # type: ignore[no-any-return]
    items = tuple(await _items(conn, cluster))
    cache.keep_snapshot(conn, ("open_items", cluster.id), items)
    return items


async def build_status(db: Database, chat_id: int, code: str | None = None) -> Status:
    """Gather the open requests, confirmations, meetings and polls of the chat's cluster."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        unit = None
        if code:
            unit = await units.get_unit_by_code(conn, cluster.id, normalise_code(code))
            if unit is None:
                raise UnknownUnit(code=normalise_code(code))
        items = await _open_items(conn, cluster)
    return Status(cluster, items, unit)


async def query_status(db: Database, chat_id: int, text: str) -> Status | ItemDetail | Choices:
    """`/status <text>`: a unit code narrows to that unit; otherwise a title picks an item."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        unit = await units.get_unit_by_code(conn, cluster.id, normalise_code(text))
        if unit is not None:
            return Status(cluster, await _open_items(conn, cluster), unit)
        wanted = fold_text(text)
        found = [
            v
            for v in await _items(conn, cluster, finished=True)
            if wanted and wanted in fold_text(item_title(v))
        ]
        # An open item is what people usually mean; finished ones only when nothing open fits.
        open_found = [v for v in found if is_open(v)]
        found = open_found or found
        if len(found) == 1:
            return await _detail(conn, cluster, found[0])
    if not found:
        raise NoSuchItem(text=text)
    return Choices(cluster, tuple(found))


async def _detail(conn: aiosqlite.Connection, cluster: Cluster, view: View) -> ItemDetail:
    versions: tuple[Submission, ...] = ()
    if isinstance(view, RequestView) and view.request.kind == "report":
        versions = tuple(await submissions.list_versions(conn, view.request.id))
    return ItemDetail(cluster, view, versions)


async def item_detail(db: Database, chat_id: int, kind: str, item_id: int) -> ItemDetail:
    """One item of the chat's cluster in detail (a button under /status)."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        view: View | None = None
        if kind == "r":
            request = await requests.get_request(conn, cluster.id, item_id)
            view = await load_view(conn, cluster, request) if request else None
        elif kind == "m":
            meeting = await meetings.get_meeting(conn, cluster.id, item_id)
            view = await load_meeting_view(conn, cluster, meeting) if meeting else None
        elif kind == "p":
            row = await polls.get_poll_row(conn, item_id, cluster.id)
            view = await load_poll_view(conn, cluster, poll_from_row(row)) if row else None
        if view is None:
            raise NoSuchItem(text=str(item_id))
        return await _detail(conn, cluster, view)


def body_hash(text: str) -> str:
    """A short fingerprint of what the board shows."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def load_board(db: Database, chat_id: int) -> BoardState | None:
    """The chat's board and its open items; None without a cluster or with the board off."""
    async with db.read() as conn:
        cluster = await clusters.get_cluster_by_chat(conn, chat_id)
        if cluster is None or not cluster.board_enabled:
            return None
        board = await boards.get_board(conn, cluster.id)
        items = await _open_items(conn, cluster)
    return BoardState(
        Status(cluster, items),
        board.message_id if board else None,
        board.body_hash if board else None,
        board.pin_warned if board else False,
    )


async def record_board(
    db: Database, cluster_id: int, message_id: int | None, body: str | None, now: datetime
) -> None:
    """Remember the board's message and what it shows (None: it must be posted again)."""
    async with db.writes() as conn:  # one trip: it only writes
        await boards.upsert_board(
            conn,
            cluster_id,
            message_id=message_id,
            body_hash=body_hash(body) if body is not None else None,
            now=now,
        )


async def note_pin_warned(db: Database, cluster_id: int, now: datetime) -> None:
    """The group has been told once that the bot may not pin."""
    async with db.writes() as conn:  # one trip: it only writes
        await boards.update_pin_warned(conn, cluster_id, now)


async def forget_board(db: Database, chat_id: int, now: datetime) -> int | None:
    """The board was switched off: forget its message and return its id (to unpin it)."""
    async with db.transaction() as conn:
        cluster = await clusters.get_cluster_by_chat(conn, chat_id)
        board = await boards.get_board(conn, cluster.id) if cluster else None
        if cluster is None or board is None or board.message_id is None:
            return None
        await boards.upsert_board(conn, cluster.id, message_id=None, body_hash=None, now=now)
        return board.message_id


async def open_item_refs(db: Database) -> list[tuple[str, int, int]]:
    """(kind, item id, chat id) of every open request, scheduled meeting and open poll."""
    async with db.read() as conn:
        chats = {c.id: c.chat_id for c in await clusters.list_clusters(conn)}
        refs = [
            (item.kind, item.id, chats[item.cluster_id])
            for item in await reminders.open_items(conn)
            if item.cluster_id in chats
        ]
        for row in await polls.list_open_poll_rows(conn):
            if row["cluster_id"] in chats:
                refs.append(("poll", row["id"], chats[row["cluster_id"]]))
    return refs
