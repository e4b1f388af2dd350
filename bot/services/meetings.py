"""Meetings: scheduling, RSVPs (attend with who, or absent), moving, cancelling, closing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain import (
    Cluster,
    InvalidInput,
    Meeting,
    MeetingNotOpen,
    NotALiaison,
    Person,
    Rsvp,
    Unit,
    UnknownMeeting,
)
from bot.options import OptionError, parse_options, split_args
from bot.services.clusters import require_cluster, require_secretariat
from bot.services.common import clean_text, unit_of_work
from bot.services.requests import parse_deadline, parse_offsets_option
from db import audit, clusters, liaisons, meetings, reminders, units

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from db.connection import Database

MAX_TITLE = 200
MAX_PLACE = 300
MAX_AGENDA = 2000
MAX_ATTENDEES = 500


@dataclass(frozen=True)
class MeetingView:
    """A meeting with the cluster's units, their liaisons and answers."""

    cluster: Cluster
    meeting: Meeting
    units: tuple[Unit, ...]
    liaisons: dict[int, tuple[Person, ...]]
    rsvps: dict[int, Rsvp]

    def owes(self, unit: Unit) -> bool:
        """Whether the unit has not answered yet."""
        return unit.id not in self.rsvps

    @property
    def owing(self) -> tuple[Unit, ...]:
        """Units that have not answered, in unit order."""
        return tuple(u for u in self.units if self.owes(u))

    @property
    def tz(self) -> ZoneInfo:
        """The cluster's time zone."""
        return ZoneInfo(self.cluster.tz)


async def load_meeting_view(
    conn: aiosqlite.Connection,
    cluster: Cluster,
    meeting: Meeting,
    *,
    rsvps: dict[int, Rsvp] | None = None,
) -> MeetingView:
    """Gather a meeting's units, liaisons and answers (`rsvps`: when the caller has them
    as they now stand)."""
    all_units = tuple(await units.list_units(conn, cluster.id))
    people: dict[int, list[Person]] = {}
    for liaison in await liaisons.list_liaisons(conn, cluster.id):
        people.setdefault(liaison.unit_id, []).append(liaison.person)
    return MeetingView(
        cluster=cluster,
        meeting=meeting,
        units=all_units,
        liaisons={u.id: tuple(people.get(u.id, ())) for u in all_units},
        rsvps=rsvps if rsvps is not None else await meetings.list_rsvps(conn, meeting.id),
    )


async def get_meeting_view(db: Database, chat_id: int, meeting_id: int) -> MeetingView:
    """Return the view of a meeting of the chat's cluster."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        meeting = await meetings.get_meeting(conn, cluster.id, meeting_id)
        if meeting is None:
            raise UnknownMeeting(meeting_id=meeting_id)
        return await load_meeting_view(conn, cluster, meeting)


async def views_without_message(db: Database) -> list[MeetingView]:
    """Scheduled meetings that still need their group message, with their views."""
    async with db.read() as conn:
        views = []
        for meeting in await meetings.list_scheduled_without_message(conn):
            cluster = await clusters.get_cluster(conn, meeting.cluster_id)
            if cluster is not None:
                views.append(await load_meeting_view(conn, cluster, meeting))
        return views


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    cleaned = clean_text(value)
    if required and not cleaned:
        raise InvalidInput(field=field)
    if len(cleaned) > limit:
        raise InvalidInput(field=f"{field}_long", limit=limit)
    return cleaned


async def schedule_meeting(
    db: Database,
    *,
    chat_id: int,
    text: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> MeetingView:
    """Schedule `<title> | <start> | <place> [| <agenda>] [| nhac=...]` (secretariat only)."""
    segments = split_args(text)
    if len(segments) < 3:
        raise InvalidInput(field="meeting_args")
    title = _text(segments[0], "title", MAX_TITLE)
    place = _text(segments[2], "place", MAX_PLACE)
    rest = segments[3:]
    agenda = ""
    if rest and "=" not in rest[0]:
        agenda = _text(rest[0], "agenda", MAX_AGENDA, required=False)
        rest = rest[1:]
    try:
        options = parse_options(rest, ("nhac",))
    except OptionError as exc:
        raise InvalidInput(field="option", text=exc.segment) from exc
    offsets = parse_offsets_option(options.get("nhac"))
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        starts_at = parse_deadline(segments[1], now, ZoneInfo(cluster.tz))
        meeting_id = await meetings.insert_meeting(
            conn,
            cluster_id=cluster.id,
            title=title,
            starts_at=starts_at,
            place=place,
            agenda=agenda,
            reminder_offsets=offsets,
            created_by=user_id,
            now=now,
        )
        await reminders.replan_item(conn, "meeting", meeting_id, now)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="meeting",
            detail=f"#{meeting_id} {title} | {starts_at.isoformat()} | {place}",
            now=now,
        )
        meeting = await meetings.get_meeting(conn, cluster.id, meeting_id)
        assert meeting is not None
        return await load_meeting_view(conn, cluster, meeting)


async def remember_meeting_message(db: Database, meeting_id: int, message_id: int) -> None:
    """Store the group message that shows the meeting."""
    async with db.writes() as conn:  # one trip: it only writes
        await meetings.update_meeting(conn, meeting_id, message_id=message_id)


async def answer(
    db: Database,
    *,
    chat_id: int,
    meeting_id: int,
    user_id: int,
    attend: bool,
    attendees: str | None,
    now: datetime,
    update_id: int | None = None,
) -> tuple[MeetingView, Unit, bool]:
    """Record the unit's answer (changeable until the start); returns view, unit, changed."""
    names = None if attendees is None else _text(attendees, "attendees", MAX_ATTENDEES)
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        meeting = await meetings.get_meeting(conn, cluster.id, meeting_id)
        if meeting is None:
            raise UnknownMeeting(meeting_id=meeting_id)
        if not meeting.is_open or now >= meeting.starts_at:
            raise MeetingNotOpen(title=meeting.title, status=meeting.status)
        liaison = await liaisons.get_liaison(conn, cluster.id, user_id)
        if liaison is None:
            raise NotALiaison(private=False, action="answer")
        unit = await units.get_unit(conn, cluster.id, liaison.unit_id)
        assert unit is not None
        status = "attend" if attend else "absent"
        rsvps = await meetings.list_rsvps(conn, meeting.id)
        current = rsvps.get(unit.id)
        changed = (
            current is None
            or current.status != status
            or (names is not None and current.attendees != names)
        )
        if changed:
            rsvps[unit.id] = await meetings.upsert_rsvp(
                conn,
                meeting_id=meeting.id,
                unit_id=unit.id,
                status=status,
                attendees=names,
                user_id=user_id,
                now=now,
                previous=current,
            )
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=user_id,
                action=f"rsvp_{status}",
                detail=f"#{meeting.id} {unit.code} {names or ''}".strip(),
                now=now,
            )
        # The answers as read, with this one: the view needs no second read.
        view = await load_meeting_view(conn, cluster, meeting, rsvps=rsvps)
    return view, unit, changed


async def change_meeting(
    db: Database,
    *,
    chat_id: int,
    meeting_id: int,
    action: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    start_text: str | None = None,
    update_id: int | None = None,
) -> MeetingView:
    """Move (`start_text`), cancel or close a meeting (secretariat only); records stay."""
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        meeting = await meetings.get_meeting(conn, cluster.id, meeting_id)
        if meeting is None:
            raise UnknownMeeting(meeting_id=meeting_id)
        if action == "move":
            if not meeting.is_open:
                raise MeetingNotOpen(title=meeting.title, status=meeting.status)
            starts_at = parse_deadline(start_text or "", now, ZoneInfo(cluster.tz))
            await meetings.update_meeting(conn, meeting.id, starts_at=starts_at)
            await reminders.replan_item(conn, "meeting", meeting.id, now)
        elif action in ("cancel", "close"):
            if not meeting.is_open:
                # Already cancelled or closed: a second press changes and announces nothing.
                raise MeetingNotOpen(title=meeting.title, status=meeting.status)
            status = "cancelled" if action == "cancel" else "closed"
            await meetings.update_meeting(conn, meeting.id, status=status)
        else:
            raise ValueError(action)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action=f"meeting_{action}",
            detail=f"#{meeting.id} {start_text or ''}".strip(),
            now=now,
        )
        changed = await meetings.get_meeting(conn, cluster.id, meeting.id)
        assert changed is not None
        return await load_meeting_view(conn, cluster, changed)
