"""/meeting (/hop): the group message, attend or absent with who attends, move, cancel, close."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.i18n import format_when, translator
from bot.services import clusters as cluster_service
from bot.services import meetings as meeting_service
from bot.services import membership
from handlers import callback_data as cb
from handlers.common import (
    LIVE_REFRESHERS,
    MISSING_POSTERS,
    AnyContext,
    BotApp,
    BotContext,
    ItemPoster,
    LiveMessage,
    guarded,
    mention,
    press_parts,
    private_locale,
    refresh_live,
    reply,
    require_chat,
    require_group,
    require_user,
    schedule_missing_posts,
    send_safe,
    sender_is_admin,
    tell_privately,
)
from handlers.dialogues import CONTINUATIONS, ask, ask_person, run_or_ask
from handlers.reminders import wake as wake_reminders

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import Update

    from bot.services.meetings import MeetingView

log = logging.getLogger(__name__)


def render_meeting(view: MeetingView, t: NullTranslations) -> str:
    """The meeting's group message: when, where, agenda, and who answered what."""
    _ = t.gettext
    meeting = view.meeting
    locale = view.cluster.locale
    lines = [
        _("📅 <b>Meeting: {title}</b>").format(title=html.escape(meeting.title)),
        _("Time: {when}").format(when=format_when(meeting.starts_at, view.tz, locale)),
        _("Place: {place}").format(place=html.escape(meeting.place)),
    ]
    if meeting.agenda:
        lines.append(_("Agenda: {agenda}").format(agenda=html.escape(meeting.agenda)))
    attending = [
        u for u in view.units if view.rsvps.get(u.id) and view.rsvps[u.id].status == "attend"
    ]
    absent = [
        u for u in view.units if view.rsvps.get(u.id) and view.rsvps[u.id].status == "absent"
    ]
    people = []
    for unit in attending:
        names = view.rsvps[unit.id].attendees
        people.append(
            f"{html.escape(unit.code)} ({html.escape(names)})" if names else html.escape(unit.code)
        )
    lines.append(
        _("Attending {count}/{total}: {units}").format(
            count=len(attending), total=len(view.units), units=", ".join(people) or "—"
        )
    )
    if absent:
        lines.append(
            _("Absent: {codes}").format(codes=", ".join(html.escape(u.code) for u in absent))
        )
    if view.owing:
        lines.append(
            _("No answer yet: {codes}").format(
                codes=", ".join(html.escape(u.code) for u in view.owing)
            )
        )
    if meeting.status == "cancelled":
        lines.append(_("🚫 This meeting was cancelled."))
    elif meeting.status == "closed":
        lines.append(_("🔒 This meeting is over; attendance is kept on record."))
    return "\n".join(lines)


def meeting_markup(view: MeetingView, t: NullTranslations) -> InlineKeyboardMarkup | None:
    """Attend / absent for units; move, cancel, close for the secretariat."""
    if not view.meeting.is_open:
        return None
    _ = t.gettext
    mid = view.meeting.id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Attend"), callback_data=cb.encode(cb.RSVP, "a", mid)),
                InlineKeyboardButton(_("Absent"), callback_data=cb.encode(cb.RSVP, "x", mid)),
            ],
            [
                InlineKeyboardButton(
                    _("Change time"), callback_data=cb.encode(cb.MEETING, "move", mid)
                ),
                InlineKeyboardButton(
                    _("Cancel"), callback_data=cb.encode(cb.MEETING, "cancel", mid)
                ),
                InlineKeyboardButton(
                    _("Close"), callback_data=cb.encode(cb.MEETING, "close", mid)
                ),
            ],
        ]
    )


def refresh(context: BotContext, chat_id: int, meeting_id: int) -> None:
    """Edit the meeting's message in batches, showing the latest answers."""

    async def load() -> LiveMessage:
        view = await meeting_service.get_meeting_view(context.deps.db, chat_id, meeting_id)
        t = translator(view.cluster.locale)
        return (
            view.cluster.chat_id,
            view.meeting.message_id,
            render_meeting(view, t),
            meeting_markup(view, t),
        )

    refresh_live(context, ("meeting", meeting_id), load)


async def _open(update: Update, context: BotContext, text: str) -> None:
    deps = context.deps
    view = await meeting_service.schedule_meeting(
        deps.db,
        chat_id=require_group(update).id,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    wake_reminders(context.application)
    t = translator(view.cluster.locale)
    try:
        sent = await context.bot.send_message(
            view.cluster.chat_id, render_meeting(view, t), reply_markup=meeting_markup(view, t)
        )
    except TelegramError:
        # The meeting is recorded; its message must still reach the group.
        schedule_missing_posts(context.job_queue, 10)
        raise
    await meeting_service.remember_meeting_message(deps.db, view.meeting.id, sent.message_id)


@guarded
async def cmd_meeting(update: Update, context: BotContext) -> None:
    """Schedule a meeting, or ask for its details."""

    def question(t: NullTranslations) -> str:
        _ = t.gettext
        return _(
            "Please reply to this message with the meeting's title, start and place, separated "
            "by “|”, for example: <code>Họp Cụm thi đua số 1 | 9:00 01/11/2022 | Phòng họp "
            "Vietsovpetro, Vũng Tàu</code> (an agenda may follow after another “|”)."
        )

    await run_or_ask(update, context, kind="meeting", run=_open, question=question)


async def _continue_meeting(
    update: Update, context: BotContext, text: str, _state: dict[str, object]
) -> None:
    await _open(update, context, text)


@guarded
async def cb_rsvp(update: Update, context: BotContext) -> None:
    """A unit answers: attend (then optionally who) or absent."""
    query, (answer, mid) = press_parts(update, cb.RSVP)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    view, unit, changed = await meeting_service.answer(
        deps.db,
        chat_id=chat.id,
        meeting_id=int(mid),
        user_id=user.id,
        attend=answer == "a",
        attendees=None,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = translator(view.cluster.locale).gettext
    if answer == "x":
        await query.answer(_("Recorded: {code} will be absent.").format(code=unit.code))
    else:
        await query.answer(_("Recorded: {code} will attend.").format(code=unit.code))
        await _ask_attendees(update, context, view, unit.code)
    if changed:
        refresh(context, chat.id, view.meeting.id)


async def _ask_attendees(
    update: Update, context: BotContext, view: MeetingView, code: str
) -> None:
    """Optionally ask who will attend, privately when possible."""
    user = require_user(update)
    title, unit = html.escape(view.meeting.title), html.escape(code)

    def private_question(t: NullTranslations) -> str:
        _ = t.gettext
        return _(
            "Who will attend “{title}” for {code}? Reply with the names (optional), for "
            "example: <code>Ông Nguyễn Văn A – Phó Tổng giám đốc; Bà Trần Thị B</code>."
        ).format(title=title, code=unit)

    def group_question(t: NullTranslations) -> str:
        _ = t.gettext
        return _(
            "{who}, you may reply to this message with who will attend for {code} (optional)."
        ).format(who=mention(user.id, user.full_name), code=unit)

    await ask_person(
        update,
        context,
        "meeting_attendees",
        {"meeting_id": view.meeting.id, "chat_id": view.cluster.chat_id},
        cluster_locale=view.cluster.locale,
        private_question=private_question,
        group_question=group_question,
    )


async def _continue_attendees(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    view, unit, _changed = await meeting_service.answer(
        deps.db,
        chat_id=int(str(state["chat_id"])),
        meeting_id=int(str(state["meeting_id"])),
        user_id=require_user(update).id,
        attend=True,
        attendees=text,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    chat = require_chat(update)
    locale = view.cluster.locale
    if chat.id > 0:
        locale = private_locale(await membership.get_person(deps.db, chat.id), locale)
    _ = translator(locale).gettext
    await reply(
        update,
        _("Recorded who will attend for {code}: {names}").format(
            code=html.escape(unit.code), names=html.escape(view.rsvps[unit.id].attendees)
        ),
    )
    refresh(context, view.cluster.chat_id, view.meeting.id)


@guarded
async def cb_manage(update: Update, context: BotContext) -> None:
    """Secretariat: move (asks for the new time), cancel or close a meeting."""
    query, (action, mid) = press_parts(update, cb.MEETING)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    is_admin = await sender_is_admin(update, context)
    if action == "move":
        await cluster_service.check_secretariat(deps.db, chat.id, user.id, is_admin)
        view = await meeting_service.get_meeting_view(deps.db, chat.id, int(mid))
        await query.answer()
        _ = translator(view.cluster.locale).gettext
        await ask(
            update,
            context,
            "meeting_move",
            _(
                "{who}, please reply to this message with the new time of “{title}”, for example "
                "<code>9:00 01/11/2022</code>."
            ).format(who=mention(user.id, user.full_name), title=html.escape(view.meeting.title)),
            state={"meeting_id": int(mid)},
        )
        return
    view = await meeting_service.change_meeting(
        deps.db,
        chat_id=chat.id,
        meeting_id=int(mid),
        action=action,
        user_id=user.id,
        is_group_admin=is_admin,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    await query.answer()
    refresh(context, chat.id, view.meeting.id)
    await _tell_units(context, view)


async def _continue_move(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    chat = require_group(update)
    view = await meeting_service.change_meeting(
        deps.db,
        chat_id=chat.id,
        meeting_id=int(str(state["meeting_id"])),
        action="move",
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        start_text=text,
        update_id=update.update_id,
    )
    refresh(context, chat.id, view.meeting.id)
    wake_reminders(context.application)
    await _tell_units(context, view)


async def _tell_units(context: BotContext, view: MeetingView) -> None:
    """Units are told, in the group and privately, that a meeting moved or was cancelled."""

    def build(t: NullTranslations, locale: str) -> str:
        _ = t.gettext
        title = html.escape(view.meeting.title)
        if view.meeting.status == "cancelled":
            return _("🚫 The meeting “{title}” is cancelled.").format(title=title)
        if view.meeting.status == "closed":
            return _("🔒 The meeting “{title}” is over. Thank you for attending.").format(
                title=title
            )
        return _("📅 The meeting “{title}” now starts at {when}, {place}.").format(
            title=title,
            when=format_when(view.meeting.starts_at, view.tz, locale),
            place=html.escape(view.meeting.place),
        )

    people = [p for u in view.units for p in view.liaisons.get(u.id, ())]
    text = build(translator(view.cluster.locale), view.cluster.locale)
    mentions = ", ".join(mention(p.user_id, p.full_name) for p in people)
    await send_safe(context, view.cluster.chat_id, f"{text}\n{mentions}" if mentions else text)
    await tell_privately(context, people, view.cluster.locale, build)


def _message_again(
    _context: AnyContext, view: MeetingView
) -> tuple[str, InlineKeyboardMarkup | None]:
    t = translator(view.cluster.locale)
    return render_meeting(view, t), meeting_markup(view, t)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    MISSING_POSTERS["meeting"] = ItemPoster(
        "meeting",
        meeting_service.views_without_message,
        lambda view: (view.meeting.id, view.meeting.created_at),
        _message_again,
        meeting_service.remember_meeting_message,
    )
    LIVE_REFRESHERS["meeting"] = refresh
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["meeting", "hop"], cmd_meeting, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_rsvp, pattern=cb.PATTERNS[cb.RSVP]))
    app.add_handler(CallbackQueryHandler(cb_manage, pattern=cb.PATTERNS[cb.MEETING]))
    CONTINUATIONS["meeting"] = _continue_meeting
    CONTINUATIONS["meeting_attendees"] = _continue_attendees
    CONTINUATIONS["meeting_move"] = _continue_move
