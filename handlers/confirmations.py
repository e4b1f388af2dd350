"""Confirmation buttons: a unit confirms, or writes a comment (in private when possible)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram import ForceReply
from telegram.ext import CallbackQueryHandler

from bot.i18n import translator
from bot.services import confirmations as confirmation_service
from bot.services import dialogues, membership
from handlers import callback_data as cb
from handlers.common import (
    BotApp,
    BotContext,
    guarded,
    mention,
    press_parts,
    private_locale,
    reply,
    require_chat,
    require_group,
    require_user,
    send_private,
)
from handlers.dialogues import CONTINUATIONS, ask
from handlers.requests import refresh

if TYPE_CHECKING:
    from telegram import Update


@guarded
async def cb_confirm(update: Update, context: BotContext) -> None:
    """Record a confirmation, or ask for the comment."""
    query, (action, rid) = press_parts(update, cb.CONFIRM)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    request_id = int(rid)
    if action == "g":
        await _ask_comment(update, context, chat.id, request_id)
        await query.answer()
        return
    answered = await confirmation_service.answer(
        deps.db,
        chat_id=chat.id,
        request_id=request_id,
        user_id=user.id,
        confirm=True,
        comment=None,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = translator(answered.view.cluster.locale).gettext
    code = answered.unit.code
    await query.answer(
        _("Recorded: {code} confirms.").format(code=code)
        if answered.changed
        else _("{code} has already confirmed.").format(code=code)
    )
    if answered.changed:
        refresh(context, chat.id, request_id)


async def _ask_comment(update: Update, context: BotContext, chat_id: int, request_id: int) -> None:
    deps = context.deps
    user = require_user(update)
    view, unit = await confirmation_service.check_can_answer(
        deps.db, chat_id=chat_id, request_id=request_id, user_id=user.id
    )
    state: dict[str, object] = {"request_id": request_id, "chat_id": chat_id}
    person = await membership.get_person(deps.db, user.id)
    if person is not None and person.reachable:
        # A comment can be long and is the unit's own business: ask for it privately.
        _ = translator(private_locale(person, view.cluster.locale)).gettext
        await dialogues.start_dialogue(
            deps.db,
            chat_id=user.id,
            user_id=user.id,
            kind="confirmation_comment",
            now=deps.clock.now(),
            state=state,
        )
        prompt = await send_private(
            context,
            user.id,
            _("Please write the comment of {code} on “{title}” in your next message.").format(
                code=html.escape(unit.code), title=html.escape(view.request.title)
            ),
            ForceReply(),
        )
        if prompt is not None:
            await dialogues.remember_prompt(deps.db, user.id, user.id, prompt.message_id)
            return
    _ = translator(view.cluster.locale).gettext
    await ask(
        update,
        context,
        "confirmation_comment",
        _("{who}, please reply to this message with the comment of {code} on “{title}”.").format(
            who=mention(user.id, user.full_name),
            code=html.escape(unit.code),
            title=html.escape(view.request.title),
        ),
        state=state,
    )


async def _continue_comment(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    answered = await confirmation_service.answer(
        deps.db,
        chat_id=int(str(state["chat_id"])),
        request_id=int(str(state["request_id"])),
        user_id=require_user(update).id,
        confirm=False,
        comment=text,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    chat = require_chat(update)
    locale = answered.view.cluster.locale
    if chat.id > 0:
        person = await membership.get_person(deps.db, chat.id)
        locale = private_locale(person, locale)
    _ = translator(locale).gettext
    await reply(
        update,
        _("Recorded the comment of {code} on “{title}”.").format(
            code=html.escape(answered.unit.code), title=html.escape(answered.view.request.title)
        ),
    )
    refresh(context, answered.view.cluster.chat_id, answered.view.request.id)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CallbackQueryHandler(cb_confirm, pattern=cb.PATTERNS[cb.CONFIRM]))
    CONTINUATIONS["confirmation_comment"] = _continue_comment
