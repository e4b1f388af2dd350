"""Group life: the bot added or removed, admins changing, the group becoming a supergroup."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.i18n import translator
from bot.services import clusters as cluster_service
from handlers.admin import visibility_note
from handlers.common import BotApp, BotContext, follow_migration, require_chat, send_safe

if TYPE_CHECKING:
    from telegram import Update

log = logging.getLogger(__name__)

_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Greet a group the bot was added to, or re-check rights when they change."""
    change = update.my_chat_member
    if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    chat_id = change.chat.id
    context.deps.admins.invalidate(chat_id)
    was_in = change.old_chat_member.status in _PRESENT
    now_in = change.new_chat_member.status in _PRESENT
    if not now_in:
        # Removed: the cluster and its records stay, ready if the bot is added back.
        log.info("bot left chat %s; cluster data kept", chat_id)
        return
    cluster = await cluster_service.get_cluster_for_chat(context.deps.db, chat_id)
    t = translator(cluster.locale if cluster else context.deps.settings.locale)
    _ = t.gettext
    is_admin = change.new_chat_member.status in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    )
    can_see = is_admin or bool(context.bot.can_read_all_group_messages)
    if was_in:
        # Promoted or demoted: only worth a word when it changes what the bot can see.
        was_admin = change.old_chat_member.status == ChatMemberStatus.ADMINISTRATOR
        if was_admin != is_admin:
            await send_safe(context, chat_id, visibility_note(t, can_see))
        return
    if cluster is None:
        greeting = _(
            "Hello! I am the emulation cluster bot: I collect reports, confirmations, meeting "
            "replies and nomination votes from the member units, and remind everyone of what "
            "is outstanding.\n\nTo start, a group administrator registers this group as a "
            "cluster:\n<code>/setup Cụm thi đua số 1 | 2022</code>\nType /help for all commands."
        )
    else:
        greeting = _(
            "Hello again! The cluster “{name}” and all its records are still here."
        ).format(name=html.escape(cluster.name))
    await send_safe(context, chat_id, greeting + "\n\n" + visibility_note(t, can_see))


async def on_chat_member(update: Update, context: BotContext) -> None:
    """Forget cached admins when someone's rights in the group change."""
    if update.chat_member is not None:
        context.deps.admins.invalidate(update.chat_member.chat.id)


async def on_migrate(update: Update, context: BotContext) -> None:
    """Follow the group to its new supergroup id, with everything under the cluster."""
    message = update.effective_message
    if message is None:
        return
    deps = context.deps
    if message.migrate_to_chat_id:
        old_id, new_id = require_chat(update).id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_id, new_id = message.migrate_from_chat_id, require_chat(update).id
    else:
        return
    deps.admins.invalidate(old_id)
    # Both service messages arrive; the second finds nothing left to move.
    await follow_migration(context, old_id, new_id)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(on_chat_member, ChatMemberHandler.CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
