"""Routes a person's answer to the guided dialogue waiting for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import ForceReply, InlineKeyboardMarkup
from telegram.ext import MessageHandler, filters

from bot.domain import InvalidInput
from bot.services import dialogues
from handlers.common import (
    BotApp,
    BotContext,
    guarded,
    is_private,
    require_chat,
    require_message,
    require_user,
)

if TYPE_CHECKING:
    from telegram import Update

# kind -> coroutine taking (update, context, answer text, dialogue state); filled by features.
Continuation = Callable[["Update", BotContext, str, dict[str, object]], Awaitable[None]]
CONTINUATIONS: dict[str, Continuation] = {}


async def ask(
    update: Update,
    context: BotContext,
    kind: str,
    question: str,
    *,
    state: dict[str, object] | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Ask for a command's arguments and wait for this person's answer.

    With inline buttons the prompt cannot also force a reply; a typed answer must
    then be a reply to the prompt, which privacy mode still lets through.
    """
    deps = context.deps
    chat = require_chat(update)
    user = require_user(update)
    await dialogues.start_dialogue(
        deps.db, chat_id=chat.id, user_id=user.id, kind=kind, now=deps.clock.now(), state=state
    )
    # ForceReply makes the answer a reply to the bot, which reaches it even with
    # privacy mode on; `selective` shows the reply box to this person only.
    markup = reply_markup or ForceReply(selective=True)
    message = update.effective_message
    if message is not None and update.callback_query is None:
        prompt = await message.reply_text(question, reply_markup=markup)
    else:
        prompt = await context.bot.send_message(chat.id, question, reply_markup=markup)
    await dialogues.remember_prompt(deps.db, chat.id, user.id, prompt.message_id)


@guarded
async def on_text(update: Update, context: BotContext) -> None:
    """Hand a text to the dialogue waiting for it, if any."""
    message = require_message(update)
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    deps = context.deps
    dialogue = await dialogues.take_dialogue(
        deps.db,
        chat_id=require_chat(update).id,
        user_id=require_user(update).id,
        reply_to=reply_to,
        private=is_private(update),
        now=deps.clock.now(),
    )
    if dialogue is None:
        return
    continuation = CONTINUATIONS.get(dialogue.kind)
    if continuation is None:
        return
    try:
        await continuation(update, context, message.text or "", dialogue.state)
    except InvalidInput:
        # A mistyped answer: keep waiting, so a corrected reply to the same prompt counts.
        await dialogues.restore_dialogue(deps.db, dialogue)
        raise


def register(app: BotApp) -> None:
    """Add the answer router after the feature handlers."""
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, on_text),
        group=1,
    )
