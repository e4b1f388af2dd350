"""Report requests and confirmation requests: opening, the group message, deadline and status."""

from __future__ import annotations

import html
import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import InvalidInput, NotYourDialogue
from bot.i18n import format_when, translator
from bot.services import clusters as cluster_service
from bot.services import dialogues
from bot.services import requests as request_service
from handlers import callback_data as cb
from handlers.common import (
    LIVE_REFRESHERS,
    MISSING_POSTERS,
    AnyContext,
    BotApp,
    BotContext,
    ItemPoster,
    LiveMessage,
    edit_quietly,
    guarded,
    mention,
    press_parts,
    refresh_live,
    require_chat,
    require_group,
    require_user,
    schedule_missing_posts,
    send_safe,
    sender_is_admin,
    tell_privately,
    translations,
)
from handlers.dialogues import CONTINUATIONS, ask, run_or_ask
from handlers.reminders import wake as wake_reminders

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import Update

    from bot.services.requests import RequestView

log = logging.getLogger(__name__)


def _codes(units: object) -> str:
    return ", ".join(html.escape(u.code) for u in units)  # type: ignore[attr-defined]


def render_request(view: RequestView, t: NullTranslations) -> str:
    """The group message of a request: title, deadline, who owes, how to answer."""
    _ = t.gettext
    request = view.request
    locale = view.cluster.locale
    title = html.escape(request.title)
    lines = [
        _("📋 <b>Report request: {title}</b>").format(title=title)
        if request.kind == "report"
        else _("✍️ <b>Request for confirmation: {title}</b>").format(title=title),
        (_("Deadline: {when}") if request.kind == "report" else _("Reply by: {when}")).format(
            when=format_when(request.deadline_at, view.tz, locale)
        ),
    ]
    if request.kind == "report":
        lines.append(_("Accepted formats: {types}").format(types=", ".join(request.file_types)))
        done = [u for u in view.units if not view.owes(u)]
        returned = [
            u for u in view.units if u.id in view.latest and view.latest[u.id].review == "returned"
        ]
        lines.append(
            _("Submitted {done}/{total}: {codes}").format(
                done=len(done), total=len(view.units), codes=_codes(done) or "—"
            )
        )
        if returned:
            lines.append(_("To be completed: {codes}").format(codes=_codes(returned)))
        owing = [u for u in view.owing if u not in returned]
        if owing:
            lines.append(_("Not yet submitted: {codes}").format(codes=_codes(owing)))
    else:
        if request.document_name:
            lines.append(
                _("Attached document: {name}").format(name=html.escape(request.document_name))
            )
        confirmed = [
            u
            for u in view.units
            if view.answers.get(u.id) and view.answers[u.id].status == "confirmed"
        ]
        commented = [
            u
            for u in view.units
            if view.answers.get(u.id) and view.answers[u.id].status == "commented"
        ]
        lines.append(
            _("Confirmed {done}/{total}: {codes}").format(
                done=len(confirmed), total=len(view.units), codes=_codes(confirmed) or "—"
            )
        )
        if commented:
            lines.append(_("Commented: {codes}").format(codes=_codes(commented)))
        if view.owing:
            lines.append(_("No answer yet: {codes}").format(codes=_codes(view.owing)))
    if request.status == "closed":
        lines.append(_("🔒 This request is closed."))
    elif request.status == "cancelled":
        lines.append(_("🚫 This request was cancelled."))
    elif request.kind == "report":
        lines.append(
            _(
                "To submit, reply to this message with the report file, or send the file in "
                "the private chat with the bot."
            )
        )
    else:
        lines.append(_("Each unit's liaison, please press Confirm or Comment below."))
    return "\n".join(lines)


def request_markup(view: RequestView, t: NullTranslations) -> InlineKeyboardMarkup:
    """Buttons under a request: answers for units, management for the secretariat."""
    _ = t.gettext
    rid = view.request.id
    rows: list[list[InlineKeyboardButton]] = []
    if view.request.is_open:
        if view.request.kind == "confirmation":
            rows.append(
                [
                    InlineKeyboardButton(
                        _("Confirm"), callback_data=cb.encode(cb.CONFIRM, "c", rid)
                    ),
                    InlineKeyboardButton(
                        _("Comment"), callback_data=cb.encode(cb.CONFIRM, "g", rid)
                    ),
                ]
            )
        rows.append(
            [
                InlineKeyboardButton(
                    _("Change deadline"), callback_data=cb.encode(cb.MANAGE, "deadline", rid)
                ),
                InlineKeyboardButton(_("Close"), callback_data=cb.encode(cb.MANAGE, "close", rid)),
                InlineKeyboardButton(
                    _("Cancel"), callback_data=cb.encode(cb.MANAGE, "cancel", rid)
                ),
            ]
        )
    else:
        rows.append(
            [InlineKeyboardButton(_("Reopen"), callback_data=cb.encode(cb.MANAGE, "reopen", rid))]
        )
    if view.request.kind == "report":
        rows.append(
            [
                InlineKeyboardButton(
                    _("Send me the files"), callback_data=cb.encode(cb.MANAGE, "files", rid)
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def refresh(context: BotContext, chat_id: int, request_id: int) -> None:
    """Schedule an edit of the request's group message (batched, latest state)."""

    async def load() -> LiveMessage:
        view = await request_service.get_view(context.deps.db, chat_id, request_id)
        t = translator(view.cluster.locale)
        return (
            view.cluster.chat_id,
            view.request.message_id,
            render_request(view, t),
            request_markup(view, t),
        )

    refresh_live(context, ("request", request_id), load)


async def post_request(update: Update, context: BotContext, view: RequestView) -> None:
    """Post the request in the group and remember its message."""
    t = translator(view.cluster.locale)
    message = update.effective_message
    reply_to = None
    if message is not None and message.reply_to_message is not None and view.request.document_name:
        reply_to = message.reply_to_message.message_id
    sent = await context.bot.send_message(
        view.cluster.chat_id,
        render_request(view, t),
        reply_markup=request_markup(view, t),
        reply_to_message_id=reply_to,
    )
    await request_service.remember_message(context.deps.db, view.request.id, sent.message_id)


def attached_document(update: Update) -> tuple[str, str] | None:
    """The document the command replies to (file id, name), if any."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    attached = replied.document if replied is not None else None
    if attached is None:
        return None
    return attached.file_id, attached.file_name or attached.file_unique_id


async def open_from_text(
    update: Update,
    context: BotContext,
    kind: str,
    text: str,
    document: tuple[str, str] | None = None,
) -> None:
    """Open a request from `<title> | <deadline> [| options]` and post it."""
    deps = context.deps
    if kind == "confirmation" and document is None:
        document = attached_document(update)
    elif kind != "confirmation":
        document = None
    view = await request_service.open_request(
        deps.db,
        chat_id=require_group(update).id,
        kind=kind,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        document=document,
        update_id=update.update_id,
    )
    wake_reminders(context.application)
    try:
        await post_request(update, context, view)
    except TelegramError:
        # The request is recorded; its message must still reach the group.
        schedule_missing_posts(context.job_queue, 10)
        raise


@guarded
async def cmd_request(update: Update, context: BotContext) -> None:
    """Open a report request, or start the guided dialogue."""
    await _command(update, context, "report")


@guarded
async def cmd_confirm(update: Update, context: BotContext) -> None:
    """Ask units to confirm something, or start the guided dialogue."""
    await _command(update, context, "confirmation")


async def _command(update: Update, context: BotContext, kind: str) -> None:
    def question(t: NullTranslations) -> str:
        _ = t.gettext
        if kind == "report":
            return _("Please reply to this message with the title of the report request.")
        return _("Please reply to this message with what the units should confirm.")

    async def run(update: Update, context: BotContext, text: str) -> None:
        await open_from_text(update, context, kind, text)

    state: dict[str, object] = {"kind": kind}
    if kind == "confirmation" and (document := attached_document(update)) is not None:
        # /xacnhan given as a reply to the draft: the document rides along the dialogue.
        state["document"] = list(document)
    await run_or_ask(
        update, context, kind="request_title", run=run, question=question, state=state
    )


def _state_document(state: dict[str, object]) -> tuple[str, str] | None:
    value = state.get("document")
    if isinstance(value, list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return None


def _quick_deadlines(now: datetime, tz: ZoneInfo) -> dict[str, datetime]:
    """'End of tomorrow', '+3 days', '+1 week': 17:00 on that day, the office's end of day."""
    today = now.astimezone(tz).date()
    at_five = time(17, 0)

    def day(offset: int) -> datetime:
        return datetime.combine(today + timedelta(days=offset), at_five, tzinfo=tz)

    return {"tomorrow": day(1), "3d": day(3), "1w": day(7)}


async def _continue_title(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    title = text.strip()
    if not title:
        raise InvalidInput(field="title")
    if "|" in title:
        # The whole command in one answer ("title | deadline | options"): open it directly.
        await open_from_text(update, context, str(state["kind"]), title, _state_document(state))
        return
    _ = (await translations(update, context)).gettext
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("End of tomorrow"), callback_data=cb.encode(cb.QUICK, "tomorrow")
                ),
                InlineKeyboardButton(_("+3 days"), callback_data=cb.encode(cb.QUICK, "3d")),
                InlineKeyboardButton(_("+1 week"), callback_data=cb.encode(cb.QUICK, "1w")),
            ]
        ]
    )
    await ask(
        update,
        context,
        "request_deadline",
        _(
            "Deadline? Press a button, or reply to this message with a date and time, "
            "for example <code>17:00 15/11/2022</code>."
        ),
        state={**state, "title": title},
        reply_markup=markup,
    )


async def _confirm_step(
    update: Update, context: BotContext, state: dict[str, object], deadline: datetime
) -> None:
    deps = context.deps
    chat = require_chat(update)
    cluster = await cluster_service.get_cluster_for_chat(deps.db, chat.id)
    tz = deps.settings.tz if cluster is None else ZoneInfo(cluster.tz)
    # The deadline is written back as ISO text, which the parser reads unambiguously.
    local = deadline.astimezone(tz)
    _ = (await translations(update, context)).gettext
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Open the request"), callback_data=cb.encode(cb.QUICK, "ok")
                ),
                InlineKeyboardButton(_("Cancel"), callback_data=cb.encode(cb.QUICK, "no")),
            ]
        ]
    )
    await ask(
        update,
        context,
        "request_confirm",
        _("Open “{title}” with the deadline {when}?").format(
            title=html.escape(str(state["title"])),
            when=format_when(deadline, tz, cluster.locale if cluster else deps.settings.locale),
        ),
        state={**state, "deadline": local.strftime("%Y-%m-%d %H:%M")},
        reply_markup=markup,
    )


async def _continue_deadline(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    chat = require_chat(update)
    cluster = await cluster_service.get_cluster_for_chat(deps.db, chat.id)
    tz = ZoneInfo(cluster.tz) if cluster else deps.settings.tz
    deadline = request_service.parse_deadline(text, deps.clock.now(), tz)
    await _confirm_step(update, context, state, deadline)


@guarded
async def cb_quick(update: Update, context: BotContext) -> None:
    """Quick deadline buttons and the final confirmation of the guided dialogue."""
    query, (choice,) = press_parts(update, cb.QUICK)
    deps = context.deps
    chat = require_chat(update)
    user = require_user(update)
    kind = "request_confirm" if choice in ("ok", "no") else "request_deadline"
    dialogue = await dialogues.peek_dialogue(deps.db, chat_id=chat.id, user_id=user.id, kind=kind)
    if dialogue is None:
        # Someone else's dialogue, or one already finished.
        raise NotYourDialogue(kind=kind)
    await dialogues.cancel_dialogue(deps.db, chat.id, user.id)
    await query.answer()
    if choice == "no":
        _ = (await translations(update, context)).gettext
        await edit_quietly(update, _("Cancelled."))
        return
    if choice == "ok":
        state = dialogue.state
        text = f"{state['title']} | {state['deadline']}"
        await open_from_text(update, context, str(state["kind"]), text, _state_document(state))
        await edit_quietly(update, html.escape(str(state["title"])))
        return
    cluster = await cluster_service.get_cluster_for_chat(deps.db, chat.id)
    tz = ZoneInfo(cluster.tz) if cluster else deps.settings.tz
    await _confirm_step(
        update, context, dialogue.state, _quick_deadlines(deps.clock.now(), tz)[choice]
    )


@guarded
async def cb_manage(update: Update, context: BotContext) -> None:
    """Secretariat buttons under a request: deadline, close, reopen, cancel, files."""
    query, (action, rid) = press_parts(update, cb.MANAGE)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    request_id = int(rid)
    is_admin = await sender_is_admin(update, context)
    if action == "files":
        from handlers.submissions import send_files  # the two modules refer to each other

        await send_files(update, context, request_id, is_admin)
        await query.answer()
        return
    if action == "deadline":
        await cluster_service.check_secretariat(deps.db, chat.id, user.id, is_admin)
        view = await request_service.get_view(deps.db, chat.id, request_id)
        await query.answer()
        _ = (await translations(update, context)).gettext
        await ask(
            update,
            context,
            "request_new_deadline",
            _(
                "{who}, please reply to this message with the new deadline for “{title}”, "
                "for example <code>17:00 15/11/2022</code>."
            ).format(who=mention(user.id, user.full_name), title=html.escape(view.request.title)),
            state={"request_id": request_id},
        )
        return
    view = await request_service.change_status(
        deps.db,
        chat_id=chat.id,
        request_id=request_id,
        action=action,
        user_id=user.id,
        is_group_admin=is_admin,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    await query.answer()
    refresh(context, chat.id, view.request.id)
    wake_reminders(context.application)


async def _continue_new_deadline(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    chat = require_group(update)
    request_id = int(str(state["request_id"]))
    view = await request_service.change_deadline(
        deps.db,
        chat_id=chat.id,
        request_id=request_id,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    refresh(context, chat.id, request_id)
    wake_reminders(context.application)
    await announce_deadline(context, view)


async def announce_deadline(context: BotContext, view: RequestView) -> None:
    """Tell the units concerned, in the group and privately, that the deadline moved."""

    def build(t: NullTranslations, locale: str) -> str:
        return t.gettext("⏰ The deadline of “{title}” is now {when}.").format(
            title=html.escape(view.request.title),
            when=format_when(view.request.deadline_at, view.tz, locale),
        )

    people = [p for u in view.units for p in view.liaisons.get(u.id, ())]
    mentions = ", ".join(mention(p.user_id, p.full_name) for p in people)
    text = build(translator(view.cluster.locale), view.cluster.locale)
    await send_safe(context, view.cluster.chat_id, f"{text}\n{mentions}" if mentions else text)
    await tell_privately(context, people, view.cluster.locale, build)


def _message_again(
    _context: AnyContext, view: RequestView
) -> tuple[str, InlineKeyboardMarkup | None]:
    t = translator(view.cluster.locale)
    return render_request(view, t), request_markup(view, t)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    MISSING_POSTERS["request"] = ItemPoster(
        "request",
        request_service.views_without_message,
        lambda view: (view.request.id, view.request.created_at),
        _message_again,
        request_service.remember_message,
    )
    LIVE_REFRESHERS["request"] = refresh
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["request", "yeucau"], cmd_request, filters=fresh))
    app.add_handler(CommandHandler(["confirm", "xacnhan"], cmd_confirm, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_quick, pattern=cb.PATTERNS[cb.QUICK]))
    app.add_handler(CallbackQueryHandler(cb_manage, pattern=cb.PATTERNS[cb.MANAGE]))
    CONTINUATIONS["request_title"] = _continue_title
    CONTINUATIONS["request_deadline"] = _continue_deadline
    CONTINUATIONS["request_new_deadline"] = _continue_new_deadline
