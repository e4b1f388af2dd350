"""Reminder planning, pure: which slots an item has, when each is due, quiet hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from zoneinfo import ZoneInfo

# How many days of daily overdue reminders are considered at most (a forgotten request
# must not make the planner walk years of days).
MAX_DAILY_DAYS = 60


@dataclass(frozen=True)
class Slot:
    """One reminder moment of an item: `before:<seconds>`, `overdue` or `daily:<date>`."""

    name: str
    due_at: datetime


_HHMM_RE = re.compile(r"([0-9]{1,2})(?::([0-9]{1,2}))?")


def parse_hhmm(text: str) -> time:
    """Read '08:00' or '8h' into a time; raise ValueError otherwise."""
    cleaned = text.strip().lower().replace("h", ":").replace("g", ":").rstrip(":")
    match = _HHMM_RE.fullmatch(cleaned)
    if match is None:
        raise ValueError(text)
    return time(int(match[1]), int(match[2] or 0))  # ValueError past 23:59


def at_local(day: datetime, moment: time, tz: ZoneInfo) -> datetime:
    """The instant of `moment` on the local day of `day`."""
    return datetime.combine(day.astimezone(tz).date(), moment, tzinfo=tz)


def before_slots(deadline: datetime, offsets: Iterable[int], planned_from: datetime) -> list[Slot]:
    """Reminders before a deadline; an offset landing before `planned_from` is skipped."""
    slots = []
    for offset in sorted(set(offsets), reverse=True):
        due = deadline - timedelta(seconds=offset)
        if due >= planned_from:
            slots.append(Slot(f"before:{offset}", due))
    return slots


def daily_slots(
    deadline: datetime, digest: time, tz: ZoneInfo, until: datetime, since: datetime | None = None
) -> list[Slot]:
    """One reminder a day at the digest hour to late units, from the day after the deadline.

    Only days after `since` are walked (older ones were handled or retired), so a request
    left open for months is still reminded daily.
    """
    slots = []
    start = max(deadline, since) if since is not None else deadline
    day = at_local(start, digest, tz)
    if day <= start:
        day = at_local(day + timedelta(days=1), digest, tz)
    for _ in range(MAX_DAILY_DAYS):
        if day > until:
            break
        slots.append(Slot(f"daily:{day.astimezone(tz).date().isoformat()}", day))
        day = at_local(day + timedelta(days=1), digest, tz)
    return slots


def in_quiet_hours(moment: datetime, start: time, end: time, tz: ZoneInfo) -> bool:
    """Whether a moment falls in the quiet window (which may span midnight)."""
    local = moment.astimezone(tz).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_end_after(moment: datetime, end: time, tz: ZoneInfo) -> datetime:
    """The first end of quiet hours after a moment."""
    candidate = at_local(moment, end, tz)
    if candidate <= moment:
        candidate = at_local(moment + timedelta(days=1), end, tz)
    return candidate


def due_slots(slots: Sequence[Slot], handled: set[str], now: datetime) -> list[Slot]:
    """Slots due by `now` and not yet handled, oldest first."""
    return [s for s in slots if s.due_at <= now and s.name not in handled]
