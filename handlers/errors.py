"""The last resort: log an unexpected error and tell the person something went wrong."""

from __future__ import annotations

import logging

from telegram import Update

from handlers.common import BotApp, BotContext, translations

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the error (never the token) and apologise in the chat it came from."""
    log.error("unhandled error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        _ = (await translations(update, context)).gettext
        # Neutral on purpose: the failure may come after a commit (e.g. a send that failed).
        text = _(
            "Sorry, something went wrong. Please check the result (for example with /units) "
            "and try again if needed."
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except Exception:  # the apology itself must never raise out of the error handler
        log.exception("could not tell the user about the error")


def register(app: BotApp) -> None:
    """Install the error handler."""
    app.add_error_handler(on_error)
