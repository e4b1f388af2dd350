"""Runs before every feature handler: drop replayed updates, remember who people are."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services import membership
from bot.services.common import already_handled
from handlers.common import BotApp, BotContext, person_info

log = logging.getLogger(__name__)


async def track(update: Update, context: BotContext) -> None:
    """Stop an update whose effects are already committed; record the sender."""
    deps = context.deps
    if await already_handled(deps.db, update.update_id):
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or user.is_bot:
        return
    chat = update.effective_chat
    started = chat is not None and chat.type == ChatType.PRIVATE
    info = person_info(user)
    # Skip the write when nothing changed since we last saw this person: the same names,
    # and the private chat already known as opened (`started` only ever turns on; a
    # person who blocked the bot is forgotten here, so their next private message counts).
    known = deps.known_people.get(user.id)
    if known is not None and known[0] == info and (known[1] or not started):
        return
    await membership.record_person(deps.db, info, started=started, now=deps.clock.now())
    deps.known_people[user.id] = (info, started or (known is not None and bool(known[1])))


def register(app: BotApp) -> None:
    """Add the tracker in group -1 so it runs before every feature handler."""
    app.add_handler(TypeHandler(Update, track), group=-1)
