"""The reminder tick: send what the database says is due, then sleep until the next instant."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import ChatMigrated, Forbidden, TelegramError

from bot.i18n import format_when, translator
from bot.services import membership
from bot.services import reminders as reminder_service
from bot.services.meetings import MeetingView
from bot.services.requests import RequestView
from handlers.common import follow_migration, mark_blocked, mention, private_locale

if TYPE_CHECKING:
    from pathlib import Path

    from babel.support import NullTranslations
    from telegram.ext import Application, CallbackContext, Job, JobQueue

    from bot.deps import Deps
    from bot.domain import Person
    from bot.services.reminders import Due

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
RETRY_AFTER = timedelta(seconds=60)
MAX_RETRY = timedelta(hours=1)
# Failed attempts per slot, for backoff (in memory: a restart simply tries again).
_attempts: dict[tuple[str, int, str], int] = {}
SAFETY_INTERVAL = timedelta(minutes=10)
# APScheduler drops a job whose moment passed more than misfire_grace_time ago (default
# 1 s): a busy loop must never make a reminder disappear, so there is no grace limit.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True}
_tick_lock = asyncio.Lock()
# Other schedules riding on the same tick (poll closing): each takes (context, now) and
# returns its next instant.
TickHook = Callable[["CallbackContext[Any, Any, Any, Any]", datetime], Awaitable[datetime | None]]
TICK_HOOKS: list[TickHook] = []


def _codes(units: object) -> str:
    return ", ".join(html.escape(u.code) for u in units)  # type: ignore[attr-defined]


def render(due: Due, t: NullTranslations, locale: str, *, private_unit: str | None = None) -> str:
    """The text of a reminder, in the group or (with `private_unit`) to one liaison."""
    _ = t.gettext
    view = due.view
    if due.kind == "digest":
        return render_digest(due, t, locale)
    assert view is not None
    tz = view.tz
    codes = _codes(due.owing)
    code = html.escape(private_unit or "")
    late_note = (
        _("(A reminder sent late: the bot was not running at the planned time.)")
        if due.catch_up
        else ""
    )
    if isinstance(view, MeetingView):
        meeting = view.meeting
        head = _("⏰ Meeting reminder: “{title}” at {when}, {place}.").format(
            title=html.escape(meeting.title),
            when=format_when(meeting.starts_at, tz, locale),
            place=html.escape(meeting.place),
        )
        owe = (
            _("Your unit ({code}) has not said whether it will attend.").format(code=code)
            if private_unit
            else _("Units that have not answered yet: {codes}").format(codes=codes)
        )
        return "\n".join(line for line in (head, owe, late_note) if line)
    request = view.request
    title = html.escape(request.title)
    when = format_when(request.deadline_at, tz, locale)
    kind = due.shown_kind
    if kind == "overdue":
        head = _("⛔ Overdue: “{title}” was due at {when}.").format(title=title, when=when)
    elif kind == "daily":
        head = _("⏰ Still overdue: “{title}” was due at {when}.").format(title=title, when=when)
    else:
        head = _("⏰ Reminder: “{title}” is due at {when}.").format(title=title, when=when)
    if private_unit:
        owe = (
            _("Your unit ({code}) has not submitted it yet.")
            if request.kind == "report"
            else _("Your unit ({code}) has not answered yet.")
        ).format(code=code)
    elif request.kind == "report":
        owe = _("Units that have not submitted: {codes}").format(codes=codes)
    else:
        owe = _("Units that have not answered: {codes}").format(codes=codes)
    return "\n".join(line for line in (head, owe, late_note) if line)


def render_digest(due: Due, t: NullTranslations, locale: str) -> str:
    """The daily digest: every open item and who still owes it."""
    _ = t.gettext
    tz = due.digest[0].tz if due.digest else None
    lines = [_("📰 <b>Daily digest</b> of “{name}”").format(name=html.escape(due.cluster.name))]
    for view in due.digest:
        assert tz is not None
        owing = _codes(view.owing) or "—"
        if isinstance(view, MeetingView):
            lines.append(
                _("• Meeting “{title}”, {when}: no answer from {codes}").format(
                    title=html.escape(view.meeting.title),
                    when=format_when(view.meeting.starts_at, tz, locale),
                    codes=owing,
                )
            )
        else:
            lines.append(
                _("• “{title}”, due {when}: still owed by {codes}").format(
                    title=html.escape(view.request.title),
                    when=format_when(view.request.deadline_at, tz, locale),
                    codes=owing,
                )
            )
    return "\n".join(lines)


async def _send_group(context: CallbackContext[Any, Any, Any, Any], due: Due) -> None:
    """Send to the group; raises if Telegram did not accept it (the slot stays unsent)."""
    cluster = due.cluster
    t = translator(cluster.locale)
    text = render(due, t, cluster.locale)
    people = due.people if due.kind != "digest" else ()
    if people:
        text += "\n" + ", ".join(mention(p.user_id, p.full_name) for p in people)
    await context.bot.send_message(cluster.chat_id, text)


async def _send_private(context: CallbackContext[Any, Any, Any, Any], due: Due) -> None:
    """Each owing liaison who opened the chat gets it in their own language."""
    deps: Deps = context.application.bot_data["deps"]
    view = due.view
    if view is None:
        return
    for unit in due.owing:
        for person in view.liaisons.get(unit.id, ()):
            await _tell(context, deps, person, due, unit.code)


async def _tell(
    context: CallbackContext[Any, Any, Any, Any], deps: Deps, person: Person, due: Due, code: str
) -> None:
    if not person.reachable:
        return
    locale = private_locale(person, due.cluster.locale)
    try:
        await context.bot.send_message(
            person.user_id, render(due, translator(locale), locale, private_unit=code)
        )
    except Forbidden:
        # Blocked: the group message already mentions them, which is the fallback.
        await mark_blocked(deps, person.user_id)
    except TelegramError as exc:
        # A private copy that fails must never make the group reminder go out again.
        log.warning("private reminder to %s not sent: %s", person.user_id, exc)


async def _tell_secretariat(context: CallbackContext[Any, Any, Any, Any], due: Due) -> None:
    """At the deadline the secretariat hears privately who is late."""
    deps: Deps = context.application.bot_data["deps"]
    view = due.view
    if not isinstance(view, RequestView):
        return
    lead = view.cluster.lead_unit_id
    people = {p.user_id: p for p in view.liaisons.get(lead, ())} if lead else {}
    try:
        admins = await context.bot.get_chat_administrators(view.cluster.chat_id)
    except TelegramError:
        admins = ()
    for admin in admins:
        if not admin.user.is_bot and admin.user.id not in people:
            person = await membership.get_person(deps.db, admin.user.id)
            if person is not None:
                people[person.user_id] = person
    for person in people.values():
        if not person.reachable:
            continue
        locale = private_locale(person, due.cluster.locale)
        _ = translator(locale).gettext
        text = (
            _("⛔ “{title}” is overdue. Units that have not submitted: {codes}")
            if view.request.kind == "report"
            else _("⛔ “{title}” is overdue. Units that have not answered: {codes}")
        ).format(title=html.escape(view.request.title), codes=_codes(due.owing))
        try:
            await context.bot.send_message(person.user_id, text)
        except Forbidden:
            await mark_blocked(deps, person.user_id)
        except TelegramError as exc:
            log.warning("overdue notice to %s not sent: %s", person.user_id, exc)


async def job_tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Send everything due, record it, and schedule the next wake-up."""
    deps: Deps = context.application.bot_data["deps"]
    next_at: datetime | None = None
    now = deps.clock.now()
    try:
        async with _tick_lock:  # two ticks must never send the same slot twice
            now = deps.clock.now()
            outcome = reminder_service.Outcome()
            wake_ups: list[datetime] = []
            # Each is sent as soon as it is planned (the rest are planned meanwhile).
            async for due in reminder_service.iter_due(deps.db, now, outcome):
                retry = await _handle(context, deps, due, now)
                if retry is not None:
                    wake_ups.append(retry)
            if outcome.next_at is not None:
                wake_ups.append(outcome.next_at)
            next_at = min(wake_ups, default=None)
            for hook in TICK_HOOKS:
                hook_next = await hook(context, now)
                if hook_next is not None:
                    next_at = hook_next if next_at is None else min(next_at, hook_next)
    except Exception:
        # Whatever went wrong, the next wake-up must still be planned.
        log.exception("reminder tick failed")
        next_at = now + RETRY_AFTER
    finally:
        schedule(context.application.job_queue, next_at, deps.clock.now())


async def _handle(
    context: CallbackContext[Any, Any, Any, Any], deps: Deps, due: Due, now: datetime
) -> datetime | None:
    """Send one reminder and record it; return when to retry if the group refused it."""
    key = (due.item_kind, due.item_id, due.slots[-1].name)
    if due.kind not in ("skip", "private"):
        try:
            await _send_group(context, due)
        except ChatMigrated as exc:
            # The group became a supergroup: follow it, and send there on the next tick.
            await follow_migration(context, due.cluster.chat_id, exc.new_chat_id)
            return now
        except Forbidden as exc:
            # The bot was removed from the group: the reminder cannot be delivered; no retry.
            log.warning("reminder for %s %s dropped: %s", due.item_kind, due.item_id, exc)
        except TelegramError as exc:
            attempts = _attempts.get(key, 0) + 1
            _attempts[key] = attempts
            delay: timedelta = min(RETRY_AFTER * (2 ** (attempts - 1)), MAX_RETRY)
            log.warning("reminder %s not sent (attempt %s): %s", key, attempts, exc)
            return now + delay
        _attempts.pop(key, None)
    # Recorded as soon as the group accepted it: private copies can no longer cause a resend.
    await reminder_service.mark_done(deps.db, due, now)
    if due.kind == "private" or (due.kind not in ("skip",) and due.private_due is None):
        await _send_private(context, due)
    if due.kind == "overdue":
        await _tell_secretariat(context, due)
    return None


def _next_run(job: Job[Any]) -> datetime | None:
    try:
        planned: datetime | None = job.next_t
    except AttributeError:  # the queue is not started yet (APScheduler knows no time)
        return None
    return planned


def schedule(job_queue: JobQueue[Any] | None, when: datetime | None, now: datetime) -> None:
    """Wake the reminder tick at `when`, unless an earlier wake-up is already planned."""
    if job_queue is None or when is None:
        return
    for job in job_queue.get_jobs_by_name(JOB_NAME):
        # A wake() from a handler may have planned an earlier tick meanwhile: keep it.
        planned = _next_run(job)
        if planned is not None and planned <= when:
            return
        job.schedule_removal()
    delay = max(0.0, (when - now).total_seconds())
    job_queue.run_once(job_tick, when=delay, name=JOB_NAME, job_kwargs=JOB_KWARGS)


def wake(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Plan again now (an item was created or moved)."""
    deps: Deps = application.bot_data["deps"]
    schedule(application.job_queue, deps.clock.now(), deps.clock.now())


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def follow_clock_file(application: Application[Any, Any, Any, Any, Any, Any], path: Path) -> None:
    """Tests and the demo only: plan again whenever the shifted clock moves.

    The tick sleeps in real seconds; when a test or the demo moves the clock a day ahead,
    the reminders of that day are due at once, as they would be after a real day.
    """
    if application.job_queue is None:
        return
    seen: list[int | None] = [None]

    async def job_follow(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        stamp = _mtime(path)  # a stat of a tiny local file: no thread needed
        if stamp != seen[0]:
            seen[0] = stamp
            wake(application)

    application.job_queue.run_repeating(job_follow, interval=0.5, first=0.5, name="clock_file")


def start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """At start: catch up at once, and keep a slow safety tick running."""
    wake(application)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            job_tick,
            interval=SAFETY_INTERVAL,
            first=SAFETY_INTERVAL,
            name="reminders_safety",
            job_kwargs=JOB_KWARGS,
        )
