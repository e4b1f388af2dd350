"""The pinned status board: one live message per cluster, edited as things change.

Any handled update in a cluster's group, and any refresh of a live item message, touches
the board (`handlers.common.CHANGE_HOOKS`); `bot.live.LiveEditor` folds the touches into at
most one edit per interval. The text's hash is stored, so nothing is edited when nothing
changed (not even after a restart). A board that can no longer be edited (deleted) is
posted and pinned again; if the bot may not pin, the group is told once.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, ChatMigrated, Forbidden

from bot.i18n import translator
from bot.services import status as status_service
from handlers.common import CHANGE_HOOKS, BotApp, BotContext, follow_migration, send_safe
from handlers.status import board_footer, render_board

log = logging.getLogger(__name__)

# Errors that mean the board message is gone (deleted, or no longer ours to edit).
_GONE = ("message to edit not found", "message_id_invalid", "can't be edited")


def touch_board(context: BotContext, chat_id: int) -> None:
    """Note that something in the chat's cluster may have changed."""

    async def render() -> None:
        await _render(context, chat_id)

    context.deps.live.touch(("board", chat_id), render)


async def _render(context: BotContext, chat_id: int) -> None:
    deps = context.deps
    state = await status_service.load_board(deps.db, chat_id)
    if state is None or (state.message_id is None and not state.status.items):
        return  # no cluster, board switched off, or nothing to show yet
    cluster = state.status.cluster
    t = translator(cluster.locale)
    body = render_board(state.status, t)
    if state.message_id is not None and status_service.body_hash(body) == state.body_hash:
        return
    now = deps.clock.now()
    text = body + "\n\n" + board_footer(now, state.status, t)
    if state.message_id is not None:
        try:
            await context.bot.edit_message_text(text, chat_id=chat_id, message_id=state.message_id)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                # Same text (the hash was lost): nothing to do but remember it.
                await status_service.record_board(deps.db, cluster.id, state.message_id, body, now)
                return
            if not any(word in reason for word in _GONE):
                raise
        except Forbidden:
            log.info("board of chat %s not edited: the bot is no longer in the group", chat_id)
            return
        except ChatMigrated as exc:
            # The group moved: a new board is posted there once the cluster follows it.
            await follow_migration(context, chat_id, exc.new_chat_id)
            return
        else:
            await status_service.record_board(deps.db, cluster.id, state.message_id, body, now)
            return
        log.info("board of chat %s is gone; posting a new one", chat_id)
    message = await send_safe(context, chat_id, text)
    if message is None:
        return
    await status_service.record_board(deps.db, cluster.id, message.message_id, body, now)
    try:
        await context.bot.pin_chat_message(
            message.chat_id, message.message_id, disable_notification=True
        )
    except (BadRequest, Forbidden) as exc:
        log.info("board of chat %s not pinned: %s", message.chat_id, exc)
        if not state.pin_warned:
            _ = t.gettext
            await send_safe(
                context,
                message.chat_id,
                _(
                    "I could not pin the status board above. To keep it at the top of the "
                    "group, a group administrator can give me the “Pin messages” right; "
                    "the board is kept up to date either way."
                ),
            )
            await status_service.note_pin_warned(deps.db, cluster.id, now)


async def retire_board(context: BotContext, chat_id: int, locale: str) -> None:
    """The secretariat switched the board off: say so on it (in the cluster's language)."""
    deps = context.deps
    message_id = await status_service.forget_board(deps.db, chat_id, deps.clock.now())
    if message_id is None:
        return
    _ = translator(locale).gettext
    try:
        await context.bot.edit_message_text(
            _("📌 The status board is switched off. Type /status to see the status."),
            chat_id=chat_id,
            message_id=message_id,
        )
        await context.bot.unpin_chat_message(chat_id, message_id)
    except (BadRequest, Forbidden) as exc:
        log.info("old board of chat %s not retired: %s", chat_id, exc)


def register(app: BotApp) -> None:
    """Touch the board after every change the handlers report."""
    del app  # the board has no handler of its own; it follows the others
    if touch_board not in CHANGE_HOOKS:
        CHANGE_HOOKS.append(touch_board)
