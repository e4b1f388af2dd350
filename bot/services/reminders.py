"""What reminders are due now, computed from the database: items, offsets and the sent-log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.schedule import (
    Slot,
    at_local,
    before_slots,
    daily_slots,
    due_slots,
    in_quiet_hours,
    parse_hhmm,
    quiet_end_after,
)
from bot.services.meetings import MeetingView, load_meeting_view
from bot.services.requests import RequestView, load_view
from db import clusters, meetings, reminders, requests

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiosqlite

    from bot.domain import Cluster, Person, Unit
    from db.connection import Database


@dataclass(frozen=True)
class Due:
    """A reminder to send now (or slots to retire silently when `kind` is 'skip')."""

    kind: str  # before | overdue | daily | digest | private | skip
    cluster: Cluster
    item_kind: str  # request | meeting | cluster
    item_id: int
    slots: tuple[Slot, ...]
    view: RequestView | MeetingView | None = None
    digest: tuple[RequestView | MeetingView, ...] = ()
    catch_up: bool = False
    # When private copies go out: None = now, else held by quiet hours until then.
    private_due: datetime | None = None
    # For held private copies: what the reminder was (before | overdue | daily).
    origin: str = ""

    @property
    def shown_kind(self) -> str:
        """The kind to word the message as (a held copy keeps its original kind)."""
        return self.origin if self.kind == "private" else self.kind

    @property
    def owing(self) -> tuple[Unit, ...]:
        """Units that still owe the item."""
        return self.view.owing if self.view is not None else ()

    @property
    def people(self) -> tuple[Person, ...]:
        """Liaisons of the units that still owe."""
        if self.view is None:
            return ()
        return tuple(p for u in self.owing for p in self.view.liaisons.get(u.id, ()))


@dataclass
class _Plan:
    due: list[Due] = field(default_factory=list)
    next_at: datetime | None = None

    def later(self, moment: datetime) -> None:
        if self.next_at is None or moment < self.next_at:
            self.next_at = moment


# A reminder going out later than this after its moment says it is a catch-up.
CATCH_UP_TOLERANCE = timedelta(minutes=5)


def _offsets(item: tuple[int, ...] | None, cluster: Cluster) -> tuple[int, ...]:
    return item if item is not None else cluster.reminder_offsets


def _counted_from(
    planned: datetime, item_offsets: tuple[int, ...] | None, cluster: Cluster
) -> datetime:
    """Offsets count from the item's planning, or from a later change of the defaults."""
    changed = cluster.offsets_changed_at
    if item_offsets is None and changed is not None and changed > planned:
        return changed
    return planned


def _late(slots: list[Slot], now: datetime) -> bool:
    return bool(slots) and now - slots[-1].due_at > CATCH_UP_TOLERANCE


def _private_due(
    cluster: Cluster, now: datetime, urgent_before: datetime | None
) -> datetime | None:
    """Hold private copies in quiet hours, unless the item falls inside the window."""
    tz = ZoneInfo(cluster.tz)
    start, end = parse_hhmm(cluster.quiet_start), parse_hhmm(cluster.quiet_end)
    if not in_quiet_hours(now, start, end, tz):
        return None
    ends = quiet_end_after(now, end, tz)
    if urgent_before is not None and urgent_before <= ends:
        return None
    return ends


async def _plan_request(
    conn: aiosqlite.Connection, plan: _Plan, cluster: Cluster, view: RequestView, now: datetime
) -> None:
    request = view.request
    tz = ZoneInfo(cluster.tz)
    handled, planned = await reminders.item_log(conn, "request", request.id)
    start = _counted_from(planned or request.created_at or now, request.reminder_offsets, cluster)
    deadline = request.deadline_at
    befores = before_slots(deadline, _offsets(request.reminder_offsets, cluster), start)
    overdue = Slot("overdue", deadline)
    dailies = (
        daily_slots(
            deadline,
            parse_hhmm(cluster.digest_time),
            tz,
            now + timedelta(days=2),
            since=now - timedelta(days=2),
        )
        if cluster.overdue_daily
        else []
    )
    due_befores = due_slots(befores, handled, now)
    for slot in (*befores, overdue, *dailies):
        if slot.due_at > now and slot.name not in handled:
            plan.later(slot.due_at)
    owing = bool(view.owing)
    if now < deadline:
        if due_befores:
            kind = "before" if owing else "skip"
            plan.due.append(
                Due(
                    kind,
                    cluster,
                    "request",
                    request.id,
                    tuple(due_befores),
                    view,
                    catch_up=_late(due_befores, now),
                    # A deadline inside the quiet window is urgent: no holding back.
                    private_due=_private_due(cluster, now, deadline),
                )
            )
        return
    # The deadline has passed: reminders before it are stale, only the overdue notice counts.
    if due_befores:
        plan.due.append(Due("skip", cluster, "request", request.id, tuple(due_befores)))
    if overdue.name not in handled:
        plan.due.append(
            Due(
                "overdue" if owing else "skip",
                cluster,
                "request",
                request.id,
                (overdue,),
                view,
                private_due=_private_due(cluster, now, None),
            )
        )
    due_dailies = due_slots(dailies, handled, now)
    if due_dailies:
        # Only the latest day's reminder goes out; days missed while down are retired.
        kind = "daily" if owing and overdue.name in handled else "skip"
        plan.due.append(
            Due(
                kind,
                cluster,
                "request",
                request.id,
                tuple(due_dailies),
                view,
                private_due=_private_due(cluster, now, None),
            )
        )


async def _plan_meeting(
    conn: aiosqlite.Connection, plan: _Plan, cluster: Cluster, view: MeetingView, now: datetime
) -> None:
    meeting = view.meeting
    handled, planned = await reminders.item_log(conn, "meeting", meeting.id)
    start = _counted_from(planned or meeting.created_at, meeting.reminder_offsets, cluster)
    befores = before_slots(meeting.starts_at, _offsets(meeting.reminder_offsets, cluster), start)
    for slot in befores:
        if slot.due_at > now and slot.name not in handled:
            plan.later(slot.due_at)
    due = due_slots(befores, handled, now)
    if not due:
        return
    if now >= meeting.starts_at or not view.owing:
        plan.due.append(Due("skip", cluster, "meeting", meeting.id, tuple(due)))
        return
    plan.due.append(
        Due(
            "before",
            cluster,
            "meeting",
            meeting.id,
            tuple(due),
            view,
            catch_up=_late(due, now),
            # A meeting starting inside the quiet window still gets its reminders.
            private_due=_private_due(cluster, now, meeting.starts_at),
        )
    )


def _opened_by(view: RequestView | MeetingView, moment: datetime) -> bool:
    created = view.meeting.created_at if isinstance(view, MeetingView) else view.request.created_at
    return created is None or created <= moment


def _digest_slot(cluster: Cluster, now: datetime) -> Slot:
    """Today's digest slot of a cluster (local day, at its digest hour)."""
    tz = ZoneInfo(cluster.tz)
    today = at_local(now, parse_hhmm(cluster.digest_time), tz)
    return Slot(f"digest:{today.astimezone(tz).date().isoformat()}", today)


def _digest_due(plan: _Plan, cluster: Cluster, now: datetime) -> Slot | None:
    """Today's digest slot once its hour has come (the next one is planned either way)."""
    slot = _digest_slot(cluster, now)
    if now < slot.due_at:
        plan.later(slot.due_at)
        return None
    tz = ZoneInfo(cluster.tz)
    plan.later(at_local(slot.due_at + timedelta(days=1), parse_hhmm(cluster.digest_time), tz))
    return slot


async def _plan_digest(
    db: Database,
    plan: _Plan,
    cluster: Cluster,
    slot: Slot,
    items: list[reminders.OpenItem],
    now: datetime,
) -> None:
    """Today's digest (not handled yet): the views of the items it may list, in one read."""
    # What was already open at the digest hour and still waits for someone: an item opened
    # later that day waits for tomorrow's digest, and one nobody owes anything has no news.
    # Meetings already started are not listed.
    wanted = [
        i for i in items if i.created_at <= slot.due_at and (i.kind == "request" or i.at > now)
    ]
    views: list[RequestView | MeetingView] = []
    if wanted:
        async with db.read() as conn:
            for item in wanted:
                view = await _load_open_view(conn, cluster, item)
                if view is not None and _opened_by(view, slot.due_at) and view.owing:
                    if isinstance(view, MeetingView) and view.meeting.starts_at <= now:
                        continue
                    views.append(view)
    kind = "digest" if views else "skip"
    plan.due.append(Due(kind, cluster, "cluster", cluster.id, (slot,), digest=tuple(views)))


async def _load_open_view(
    conn: aiosqlite.Connection, cluster: Cluster, item: reminders.OpenItem
) -> RequestView | MeetingView | None:
    """The full view of an item still open (None once closed, cancelled or gone)."""
    if item.kind == "request":
        request = await requests.get_request(conn, cluster.id, item.id)
        if request is None or not request.is_open:
            return None
        return await load_view(conn, cluster, request)
    meeting = await meetings.get_meeting(conn, cluster.id, item.id)
    if meeting is None or not meeting.is_open:
        return None
    return await load_meeting_view(conn, cluster, meeting)


async def _plan_private(
    db: Database,
    plan: _Plan,
    pending: list[tuple[str, int, str, datetime, str, bool]],
    now: datetime,
) -> None:
    for item_kind, item_id, slot_name, private_due, origin, catch_up in pending:
        if private_due > now:
            plan.later(private_due)
            continue
        view: RequestView | MeetingView | None = None
        cluster: Cluster | None = None
        async with db.read() as conn:  # one short read per held copy
            if item_kind == "request":
                request = await requests.get_request_any(conn, item_id)
                cluster = await clusters.get_cluster(conn, request.cluster_id) if request else None
                if request is not None and cluster is not None:
                    view = await load_view(conn, cluster, request)
            elif item_kind == "meeting":
                meeting = await meetings.get_meeting_any(conn, item_id)
                cluster = await clusters.get_cluster(conn, meeting.cluster_id) if meeting else None
                if meeting is not None and cluster is not None:
                    view = await load_meeting_view(conn, cluster, meeting)
        if cluster is None:
            continue
        plan.due.append(
            Due(
                "private",
                cluster,
                item_kind,
                item_id,
                (Slot(slot_name, private_due),),
                view if view is not None and _still_worth_it(view, origin, now) else None,
                catch_up=catch_up,
                # Closed, cancelled, or its moment passed in quiet hours: the copies are dropped.
                origin=origin,
            )
        )


class _Timing:
    """A cluster's reminder settings, prepared once per planning pass."""

    def __init__(self, cluster: Cluster, now: datetime) -> None:
        self.cluster = cluster
        self.now = now
        self.tz = ZoneInfo(cluster.tz)
        self.digest = parse_hhmm(cluster.digest_time)
        self.daily_until = now + timedelta(days=2)
        self.daily_since = now - timedelta(days=2)
        self._offsets: dict[tuple[int, ...] | None, list[tuple[str, timedelta]]] = {}

    def offsets(self, item: tuple[int, ...] | None) -> list[tuple[str, timedelta]]:
        """(slot name, offset) of the item's `before` slots, as `before_slots` names them."""
        found = self._offsets.get(item)
        if found is None:
            chosen = _offsets(item, self.cluster)
            found = [(f"before:{o}", timedelta(seconds=o)) for o in sorted(set(chosen))]
            self._offsets[item] = found
        return found

    def first_unhandled(
        self, item: reminders.OpenItem, handled: set[str], planned: datetime | None
    ) -> datetime | None:
        """The earliest unhandled slot of an open item, from plain rows (no view).

        The slots `_plan_request` / `_plan_meeting` derive (befores; for a request the
        overdue notice and the daily reminders around now); if that earliest one is not
        after now, the item has something due.
        """
        start = _counted_from(planned or item.created_at or self.now, item.offsets, self.cluster)
        earliest: datetime | None = None
        for name, offset in self.offsets(item.offsets):
            due = item.at - offset
            if due >= start and name not in handled and (earliest is None or due < earliest):
                earliest = due
        if item.kind == "meeting":
            return earliest
        if "overdue" not in handled and (earliest is None or item.at < earliest):
            earliest = item.at
        # A deadline more than two days ahead has no daily slot yet (`daily_slots` is empty).
        if self.cluster.overdue_daily and item.at <= self.daily_until:
            days = daily_slots(
                item.at, self.digest, self.tz, self.daily_until, since=self.daily_since
            )
            for slot in days:
                if slot.name not in handled and (earliest is None or slot.due_at < earliest):
                    earliest = slot.due_at
        return earliest


async def due_now(db: Database, now: datetime) -> tuple[list[Due], datetime | None]:
    """Everything due by `now`, and when the next reminder will be due (see `iter_due`)."""
    outcome = Outcome()
    due = [d async for d in iter_due(db, now, outcome)]
    return due, outcome.next_at


@dataclass
class Outcome:
    """What `iter_due` knows once it has gone through everything: the next instant."""

    next_at: datetime | None = None


async def iter_due(db: Database, now: datetime, outcome: Outcome) -> AsyncIterator[Due]:
    """Everything due by `now`, each as soon as it is planned; `outcome.next_at` is set at
    the end to when the next reminder will be due.

    The next instant includes private copies that the reminders due now will hold back
    for quiet hours.

    Scales with what is due, not with what is open: a few set-wise queries (clusters, open
    items, their handled slots, today's digests, held copies) in one short read give every
    item's slots; only items with a slot due now have their full view loaded, each in its
    own short read (with its log read again there), so handlers never wait for a whole walk.
    Yielding each as it is planned lets the first reminder go out while the rest are still
    being planned: with a thousand due at once the sending is paced by Telegram's limits
    anyway, and the planning fits in those waits.
    """
    plan = _Plan()
    given = 0
    no_log: tuple[set[str], datetime | None] = (set(), None)
    # Daily slots are looked at from two days back; three days of UTC dates cover any zone.
    daily_since = (now - timedelta(days=3)).date().isoformat()
    async with db.read() as conn:
        all_clusters = await clusters.list_clusters(conn)
        items = await reminders.open_items(conn)
        logs = await reminders.open_items_log(conn, daily_since)
        digests = {c.id: _digest_slot(c, now) for c in all_clusters}
        digests_done = await reminders.handled_among(
            conn,
            "cluster",
            [(cid, slot.name) for cid, slot in digests.items() if slot.due_at <= now],
        )
        pending = await reminders.pending_private(conn)
    by_cluster: dict[int, list[reminders.OpenItem]] = {}
    for item in items:
        by_cluster.setdefault(item.cluster_id, []).append(item)
    for cluster in all_clusters:
        cluster_items = by_cluster.get(cluster.id, [])
        timing = _Timing(cluster, now)
        for item in cluster_items:
            handled, planned = logs.get((item.kind, item.id), no_log)
            earliest = timing.first_unhandled(item, handled, planned)
            if earliest is None:
                continue
            if earliest > now:
                plan.later(earliest)
            else:
                await _plan_due_item(db, plan, cluster, item, now)
        slot = _digest_due(plan, cluster, now)
        if slot is not None and (cluster.id, slot.name) not in digests_done:
            await _plan_digest(db, plan, cluster, slot, cluster_items, now)
        while given < len(plan.due):
            given += 1
            yield plan.due[given - 1]
    await _plan_private(db, plan, pending, now)
    while given < len(plan.due):
        given += 1
        yield plan.due[given - 1]
    for due in plan.due:
        if due.private_due is not None and due.kind != "skip":
            plan.later(due.private_due)
    outcome.next_at = plan.next_at


async def _plan_due_item(
    db: Database, plan: _Plan, cluster: Cluster, item: reminders.OpenItem, now: datetime
) -> None:
    """An item with a slot due: plan it in full from fresh rows and its view, in one read."""
    async with db.read() as conn:
        view = await _load_open_view(conn, cluster, item)
        if isinstance(view, RequestView):
            await _plan_request(conn, plan, cluster, view, now)
        elif isinstance(view, MeetingView):
            await _plan_meeting(conn, plan, cluster, view, now)


async def mark_done(db: Database, due: Due, now: datetime) -> None:
    """Record the slots of a reminder as handled (after Telegram accepted it)."""
    async with db.transaction() as conn:
        if due.kind == "private":
            for slot in due.slots:
                await reminders.clear_private(conn, due.item_kind, due.item_id, slot.name)
            return
        latest = due.slots[-1]
        for slot in due.slots:
            await reminders.insert_slot(
                conn,
                item_kind=due.item_kind,
                item_id=due.item_id,
                slot=slot.name,
                due_at=slot.due_at,
                now=now,
                skipped=due.kind == "skip" or slot is not latest,
                private_due=due.private_due if slot is latest and due.kind != "skip" else None,
                kind=due.kind,
                catch_up=due.catch_up,
            )


def _still_worth_it(view: RequestView | MeetingView, origin: str, now: datetime) -> bool:
    """A held copy goes out only for an item still open and, before it, still ahead."""
    if isinstance(view, MeetingView):
        return view.meeting.is_open and now < view.meeting.starts_at
    if not view.request.is_open:
        return False
    return origin != "before" or now < view.request.deadline_at
