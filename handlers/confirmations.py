"""Confirmation buttons: a unit confirms, or writes a comment (in private when possible)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram.ext import CallbackQueryHandler

from bot.i18n import translator
from bot.services import confirmations as confirmation_service
from bot.services import membership
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
)
from handlers.dialogues import CONTINUATIONS, ask_person
from handlers.requests import refresh

if TYPE_CHECKING:
    from babel.support import NullTranslations
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
    code, title = html.escape(unit.code), html.escape(view.request.title)

    def private_question(t: NullTranslations) -> str:
        _ = t.gettext
        return _("Please write the comment of {code} on “{title}” in your next message.").format(
            code=code, title=title
        )

    def group_question(t: NullTranslations) -> str:
        _ = t.gettext
        return _(
            "{who}, please reply to this message with the comment of {code} on “{title}”."
        ).format(who=mention(user.id, user.full_name), code=code, title=title)

    await ask_person(
        update,
        context,
        "confirmation_comment",
        {"request_id": request_id, "chat_id": chat_id},
        cluster_locale=view.cluster.locale,
        private_question=private_question,
        group_question=group_question,
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
