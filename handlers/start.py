"""/start, /help and /cancel, and the private-chat deep links (invite tokens)."""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING

from telegram.error import BadRequest
from telegram.ext import CommandHandler, filters

from bot.domain import DomainError, NotACluster
from bot.i18n import N_, translator
from bot.services import clusters as cluster_service
from bot.services import membership
from bot.services.dialogues import cancel_dialogue
from bot.services.membership import INVITE_PREFIX, Redeemed
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    guarded,
    is_private,
    mention,
    person_info,
    reply,
    require_chat,
    require_user,
    send_safe,
    sender_is_admin,
    translations,
)
from handlers.polls import START_PREFIX as POLL_PREFIX
from handlers.polls import show_ballot

if TYPE_CHECKING:
    from telegram import Update, User

log = logging.getLogger(__name__)
# poll_<id>: ASCII digits only, at most 18 (`isdigit` also takes "²", SQLite ints end at 19).
_POLL_PAYLOAD_RE = re.compile(re.escape(POLL_PREFIX) + r"([0-9]{1,18})")

HELP_INTRO = N_(
    "<b>Emulation cluster bot</b>\n"
    "I help the cluster secretariat collect reports, gather confirmations, organise meetings "
    "and run nomination votes, and I keep every unit informed of what is still outstanding."
)
LIAISON_HELP = N_(
    "<b>For liaisons</b>\n"
    "/join – become the liaison of your unit\n"
    "To submit a report, reply to the request message with the file, or send the file to me "
    "in a private chat. Confirm or comment with the buttons under a request for "
    "confirmation.\n"
    "/status – what each unit still owes; /status &lt;CODE&gt; for one unit, "
    "/status &lt;part of a title&gt; for one item\n"
    "/units – units, liaisons and voters\n"
    "/help – this guide"
)
SECRETARIAT_HELP = N_(
    "<b>For the cluster secretariat</b>\n"
    "/setup &lt;cluster name&gt; | &lt;year&gt; – register this group as a cluster\n"
    "/addunit &lt;CODE&gt; &lt;full name&gt; – add units, one per line\n"
    "/lead &lt;CODE&gt; – set the lead unit\n"
    "/invite &lt;CODE&gt; – invitation link for a unit's liaison\n"
    "/voter &lt;CODE&gt; – which liaison casts the unit's vote\n"
    "/request &lt;title&gt; | &lt;deadline&gt; – open a report request\n"
    "/confirm &lt;title&gt; | &lt;deadline&gt; – ask the units to confirm (reply to a "
    "document to attach it)\n"
    "/meeting &lt;title&gt; | &lt;start&gt; | &lt;place&gt; – schedule a meeting\n"
    "/poll &lt;title&gt; | &lt;closing time&gt; – open a nomination vote\n"
    "/export – spreadsheet, files by unit and minutes, sent to you privately\n"
    "/settings – language, joining, reminder times, digest, quiet hours, status board"
)
HELP_FOOTER = N_(
    "A command sent without its details starts a short guided dialogue; /cancel stops it. "
    "Each command also has a Vietnamese name, e.g. /thietlap, /themdonvi, /donvi."
)
GUIDE_SECRETARIAT = N_(
    "Every task is explained step by step, with examples, in the user guide "
    "(docs/huong-dan-su-dung.md), part “For the cluster secretariat”."
)
GUIDE_LIAISON = N_(
    "Every task is explained step by step, with examples, in the user guide "
    "(docs/huong-dan-su-dung.md), part “For liaisons”."
)

PRIVATE_HELP = N_(
    "<b>Emulation cluster bot</b>\n"
    "In this private chat I send you personal reminders and, in secret votes, your ballot. "
    "You can also submit your unit's report here: just send the file.\n\n"
    "To become the liaison of your unit, open the invitation link the cluster secretariat "
    "gave you, or type /join in the cluster's group.\n"
    "/settings – choose the language of this chat\n"
    "/help – this guide"
)


@guarded
async def cmd_start(update: Update, context: BotContext) -> None:
    """Greet, or handle a deep link such as an invitation."""
    payload = command_text(update.effective_message) if update.effective_message else ""
    if is_private(update) and payload.startswith(INVITE_PREFIX):
        await _redeem(update, context, payload)
        return
    ballot = _POLL_PAYLOAD_RE.fullmatch(payload)
    if is_private(update) and ballot is not None:
        await show_ballot(update, context, int(ballot[1]))
        return
    await cmd_help(update, context)


async def _redeem(update: Update, context: BotContext, token: str) -> None:
    deps = context.deps
    result = await membership.redeem_invite(
        deps.db,
        token=token,
        info=person_info(require_user(update)),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = (await translations(update, context)).gettext
    unit = f"<b>{html.escape(result.unit.code)}</b> – {html.escape(result.unit.name)}"
    cluster = html.escape(result.cluster.name)
    if result.already:
        await reply(
            update,
            _("You are already the liaison of {unit} in “{cluster}”.").format(
                unit=unit, cluster=cluster
            ),
        )
        return
    await reply(
        update,
        _(
            "Welcome! You are now the liaison of {unit} in “{cluster}”. I will send your "
            "reminders and secret ballots in this chat."
        ).format(unit=unit, cluster=cluster),
    )
    await _announce_in_group(context, result, require_user(update))


async def _announce_in_group(context: BotContext, result: Redeemed, user: User) -> None:
    """Tell the group who joined by invitation; retire the join request it made moot."""
    _ = translator(result.cluster.locale).gettext
    text = _("{who} is now the liaison of {unit} (through an invitation link).").format(
        who=mention(user.id, user.full_name),
        unit=f"<b>{html.escape(result.unit.code)}</b> – {html.escape(result.unit.name)}",
    )
    superseded = result.superseded
    if superseded is not None and superseded.message_id is not None:
        try:
            # Replacing the text also removes the approve/reject buttons.
            await context.bot.edit_message_text(
                text, chat_id=result.cluster.chat_id, message_id=superseded.message_id
            )
            return
        except BadRequest as exc:
            log.info("could not retire join request message: %s", exc)
    await send_safe(context, result.cluster.chat_id, text)


@guarded(changes=False)
async def cmd_help(update: Update, context: BotContext) -> None:
    """Explain what the bot does: in a group, the part that matters to whoever asks."""
    _ = (await translations(update, context)).gettext
    if is_private(update):
        await reply(update, _(PRIVATE_HELP))
        return
    chat = require_chat(update)
    user = require_user(update)
    try:
        await cluster_service.check_secretariat(
            context.deps.db, chat.id, user.id, await sender_is_admin(update, context)
        )
        secretariat = True
    except NotACluster:
        secretariat = True  # before /setup, whoever asks needs the set-up commands
    except DomainError:
        secretariat = False
    if secretariat:
        parts = [HELP_INTRO, SECRETARIAT_HELP, LIAISON_HELP, HELP_FOOTER, GUIDE_SECRETARIAT]
    else:
        parts = [HELP_INTRO, LIAISON_HELP, HELP_FOOTER, GUIDE_LIAISON]
    await reply(update, "\n\n".join(_(part) for part in parts))


@guarded
async def cmd_cancel(update: Update, context: BotContext) -> None:
    """Stop the guided dialogue waiting for this person."""
    chat = require_chat(update)
    user = require_user(update)
    ended = await cancel_dialogue(context.deps.db, chat.id, user.id)
    _ = (await translations(update, context)).gettext
    await reply(update, _("Cancelled.") if ended else _("There is nothing to cancel."))


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    # Edited messages re-fire CommandHandler; a correction must not run a command twice.
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", cmd_start, filters=fresh))
    app.add_handler(CommandHandler(["help", "trogiup"], cmd_help, filters=fresh))
    app.add_handler(CommandHandler(["cancel", "huy"], cmd_cancel, filters=fresh))
