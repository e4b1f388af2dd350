"""The reminder tick: send what the database says is due, then sleep until the next instant."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import Forbidden, TelegramError

from bot.i18n import format_when, translator
from bot.services import membership
from bot.services import reminders as reminder_service
from bot.services.meetings import MeetingView
from bot.services.requests import RequestView
from handlers.common import mention, private_locale

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram.ext import Application, CallbackContext, JobQueue

    from bot.deps import Deps
    from bot.domain import Person
    from bot.services.reminders import Due

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
RETRY_AFTER = timedelta(seconds=60)
SAFETY_INTERVAL = timedelta(minutes=10)
# APScheduler drops a job whose moment passed more than misfire_grace_time ago (default
# 1 s): a busy loop must never make a reminder disappear, so there is no grace limit.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True}
_tick_lock = asyncio.Lock()


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
    if isinstance(view, MeetingView):
        meeting = view.meeting
        head = _("⏰ Meeting reminder: “{title}” at {when}, {place}.").format(
            title=html.escape(meeting.title),
            when=format_when(meeting.starts_at, tz, locale),
            place=html.escape(meeting.place),
        )
        owe = (
            _("Your unit ({code}) has not said whether it will attend.").format(code=private_unit)
            if private_unit
            else _("Units that have not answered yet: {codes}").format(codes=codes)
        )
        return f"{head}\n{owe}"
    request = view.request
    title = html.escape(request.title)
    when = format_when(request.deadline_at, tz, locale)
    if due.kind == "overdue":
        head = _("⛔ Overdue: “{title}” was due at {when}.").format(title=title, when=when)
    elif due.kind == "daily":
        head = _("⏰ Still overdue: “{title}” was due at {when}.").format(title=title, when=when)
    else:
        head = _("⏰ Reminder: “{title}” is due at {when}.").format(title=title, when=when)
    if private_unit:
        owe = (
            _("Your unit ({code}) has not submitted it yet.")
            if request.kind == "report"
            else _("Your unit ({code}) has not answered yet.")
        ).format(code=private_unit)
    elif request.kind == "report":
        owe = _("Units that have not submitted: {codes}").format(codes=codes)
    else:
        owe = _("Units that have not answered: {codes}").format(codes=codes)
    lines = [head, owe]
    if due.catch_up:
        lines.append(_("(A reminder sent late: the bot was not running at the planned time.)"))
    return "\n".join(lines)


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
        await membership.mark_blocked(deps.db, person.user_id, deps.clock.now())


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
            await membership.mark_blocked(deps.db, person.user_id, deps.clock.now())


async def job_tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Send everything due, record it, and schedule the next wake-up."""
    deps: Deps = context.application.bot_data["deps"]
    async with _tick_lock:  # two ticks must never send the same slot twice
        now = deps.clock.now()
        due_items, next_at = await reminder_service.due_now(deps.db, now)
        failed = False
        for due in due_items:
            try:
                if due.kind == "private":
                    await _send_private(context, due)
                elif due.kind != "skip":
                    await _send_group(context, due)
                    if due.private_due is None:
                        await _send_private(context, due)
                    if due.kind == "overdue":
                        await _tell_secretariat(context, due)
            except TelegramError as exc:
                # Not recorded: the next tick tries again (the rate limiter already
                # waited out 429s).
                log.warning("reminder %s %s not sent: %s", due.item_kind, due.item_id, exc)
                failed = True
                continue
            await reminder_service.mark_done(deps.db, due, now)
    if failed:
        retry = now + RETRY_AFTER
        next_at = retry if next_at is None else min(next_at, retry)
    schedule(context.application.job_queue, next_at, deps.clock.now())


def schedule(job_queue: JobQueue[Any] | None, when: datetime | None, now: datetime) -> None:
    """Wake the reminder tick at `when` (replacing the previous wake-up)."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    if when is None:
        return
    delay = max(0.0, (when - now).total_seconds())
    job_queue.run_once(job_tick, when=delay, name=JOB_NAME, job_kwargs=JOB_KWARGS)


def wake(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Plan again now (an item was created or moved)."""
    deps: Deps = application.bot_data["deps"]
    schedule(application.job_queue, deps.clock.now(), deps.clock.now())


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
