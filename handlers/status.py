"""/status (/tinhhinh): every open item and each unit's state, in the chat's language."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from babel.dates import format_datetime
from telegram.ext import CommandHandler, filters

from bot.i18n import format_when, translator
from bot.services import status as status_service
from bot.services.meetings import MeetingView
from bot.services.polls import PollView
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    guarded,
    reply,
    require_group,
    require_message,
)

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import Update

    from bot.domain import Unit
    from bot.services.requests import RequestView
    from bot.services.status import Status, View


def _short(view: View, when: object) -> str:
    """'10:32 15/11' in the cluster's zone."""
    return format_datetime(when, "HH:mm dd/MM", tzinfo=view.tz, locale="vi_VN")  # type: ignore[arg-type]


def _request_lines(view: RequestView, units: tuple[Unit, ...], t: NullTranslations) -> list[str]:
    _ = t.gettext
    lines = []
    for unit in units:
        code = html.escape(unit.code)
        if view.request.kind == "confirmation":
            answer = view.answers.get(unit.id)
            if answer is None:
                lines.append(_("❌ {code}: no answer").format(code=code))
            elif answer.status == "confirmed":
                lines.append(_("✅ {code}: confirmed").format(code=code))
            else:
                lines.append(_("💬 {code}: commented").format(code=code))
            continue
        sub = view.latest.get(unit.id)
        if sub is None:
            lines.append(_("❌ {code}: not submitted").format(code=code))
        elif sub.review == "returned":
            lines.append(_("↩️ {code}: to be completed").format(code=code))
        elif sub.submitted_at > view.request.deadline_at:
            lines.append(
                _("⏰ {code}: submitted late (version {version}, {when})").format(
                    code=code, version=sub.version, when=_short(view, sub.submitted_at)
                )
            )
        else:
            lines.append(
                _("✅ {code}: submitted (version {version}, {when})").format(
                    code=code, version=sub.version, when=_short(view, sub.submitted_at)
                )
            )
    return lines


def _meeting_lines(view: MeetingView, units: tuple[Unit, ...], t: NullTranslations) -> list[str]:
    _ = t.gettext
    lines = []
    for unit in units:
        code = html.escape(unit.code)
        rsvp = view.rsvps.get(unit.id)
        if rsvp is None:
            lines.append(_("❔ {code}: no answer").format(code=code))
        elif rsvp.status == "absent":
            lines.append(_("🚫 {code}: absent").format(code=code))
        elif rsvp.attendees:
            lines.append(
                _("👥 {code}: attending ({names})").format(
                    code=code, names=html.escape(rsvp.attendees)
                )
            )
        else:
            lines.append(_("👥 {code}: attending").format(code=code))
    return lines


def _poll_lines(view: PollView, units: tuple[Unit, ...], t: NullTranslations) -> list[str]:
    _ = t.gettext
    voted = {e.unit.id for e in view.roll if e.has_voted}
    return [
        (_("🗳 {code}: voted") if unit.id in voted else _("▫️ {code}: not yet")).format(
            code=html.escape(unit.code)
        )
        for unit in units
    ]


def render_status(status: Status, t: NullTranslations) -> str:
    """Every open item with a one-line summary, then one line per unit (never a choice)."""
    _ = t.gettext
    locale = status.cluster.locale
    lines = [_("📊 <b>Status of “{name}”</b>").format(name=html.escape(status.cluster.name))]
    if not status.items:
        lines.append(_("Nothing is open at the moment."))
        return "\n".join(lines)
    for view in status.items:
        lines.append("")
        if isinstance(view, MeetingView):
            units = view.units
            done = len(view.rsvps)
            lines.append(
                _("📅 <b>{title}</b> – {when} – {done}/{total} units answered").format(
                    title=html.escape(view.meeting.title),
                    when=format_when(view.meeting.starts_at, view.tz, locale),
                    done=done,
                    total=len(units),
                )
            )
            body = _meeting_lines(view, units, t)
        elif isinstance(view, PollView):
            units = tuple(e.unit for e in view.roll)
            lines.append(
                _("🗳 <b>{title}</b> – closes {when} – {done}/{total} units voted").format(
                    title=html.escape(view.poll.title),
                    when=format_when(view.poll.closes_at, view.tz, locale),
                    done=view.turnout,
                    total=len(units),
                )
            )
            body = _poll_lines(view, units, t)
        else:
            units = view.units
            done = len(units) - len(view.owing)
            summary = (
                _("{done}/{total} units submitted")
                if view.request.kind == "report"
                else _("{done}/{total} units answered")
            ).format(done=done, total=len(units))
            icon = "📋" if view.request.kind == "report" else "✍️"
            lines.append(
                f"{icon} <b>{html.escape(view.request.title)}</b> – "
                + _("due {when}").format(
                    when=format_when(view.request.deadline_at, view.tz, locale)
                )
                + f" – {summary}"
            )
            body = _request_lines(view, units, t)
        if status.unit is not None:
            body = [line for line in body if f" {html.escape(status.unit.code)}:" in line]
        lines += body
    return "\n".join(lines)


@guarded
async def cmd_status(update: Update, context: BotContext) -> None:
    """Show the consolidated status; `/status <CODE>` narrows it to one unit."""
    chat = require_group(update)
    code = command_text(require_message(update)) or None
    status = await status_service.build_status(context.deps.db, chat.id, code)
    await reply(update, render_status(status, translator(status.cluster.locale)))


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(
        CommandHandler(["status", "tinhhinh"], cmd_status, filters=filters.UpdateType.MESSAGE)
    )
