"""Routes a person's answer to the guided dialogue waiting for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import ForceReply, InlineKeyboardMarkup
from telegram.ext import MessageHandler, filters

from bot.domain import InvalidInput
from bot.i18n import translator
from bot.services import clusters as cluster_service
from bot.services import dialogues, membership
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    guarded,
    is_private,
    private_locale,
    require_chat,
    require_group,
    require_message,
    require_user,
    send_private,
    sender_is_admin,
    translations,
)

if TYPE_CHECKING:
    from babel.support import NullTranslations
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


async def run_or_ask(
    update: Update,
    context: BotContext,
    *,
    kind: str,
    run: Callable[[Update, BotContext, str], Awaitable[None]],
    question: Callable[[NullTranslations], str],
    state: dict[str, object] | None = None,
) -> None:
    """A secretariat command: run it with its arguments, or ask for them in a dialogue.

    The role is checked before asking, so nobody else gets a prompt they cannot answer.
    """
    chat = require_group(update)
    text = command_text(require_message(update))
    if text:
        await run(update, context, text)
        return
    await cluster_service.check_secretariat(
        context.deps.db, chat.id, require_user(update).id, await sender_is_admin(update, context)
    )
    await ask(update, context, kind, question(await translations(update, context)), state=state)


async def ask_person(
    update: Update,
    context: BotContext,
    kind: str,
    state: dict[str, object],
    *,
    cluster_locale: str,
    private_question: Callable[[NullTranslations], str],
    group_question: Callable[[NullTranslations], str],
) -> None:
    """Ask the person privately when their chat with the bot is open, else in this chat.

    Comments and names are the unit's own business and can be long: the private chat
    keeps them out of the group when it can.
    """
    deps = context.deps
    user = require_user(update)
    person = await membership.get_person(deps.db, user.id)
    if person is not None and person.reachable:
        await dialogues.start_dialogue(
            deps.db,
            chat_id=user.id,
            user_id=user.id,
            kind=kind,
            now=deps.clock.now(),
            state=state,
        )
        locale = private_locale(person, cluster_locale)
        prompt = await send_private(
            context, user.id, private_question(translator(locale)), ForceReply()
        )
        if prompt is not None:
            return  # in the private chat any text answers: no prompt id to remember
        await dialogues.cancel_dialogue(deps.db, user.id, user.id)
    await ask(update, context, kind, group_question(translator(cluster_locale)), state=state)


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
