"""/voter: the secretariat names which liaison casts a unit's vote."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import InvalidInput, UnknownUnit
from bot.services import clusters as cluster_service
from bot.services import membership
from handlers import callback_data as cb
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    edit_quietly,
    guarded,
    press_parts,
    reply,
    require_group,
    require_message,
    require_user,
    sender_is_admin,
    translations,
)
from handlers.keyboards import unit_buttons

if TYPE_CHECKING:
    from telegram import CallbackQuery, Update


@guarded
async def cmd_voter(update: Update, context: BotContext) -> None:
    """Offer the units, or the liaisons of the unit named, as buttons."""
    chat = require_group(update)
    await cluster_service.check_secretariat(
        context.deps.db, chat.id, require_user(update).id, await sender_is_admin(update, context)
    )
    _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
    code = cluster_service.normalise_code(command_text(require_message(update)))
    _ = (await translations(update, context)).gettext
    if not code:
        if not units:
            raise InvalidInput(field="unit_lines")
        await reply(
            update,
            _("Choose the unit whose voter you want to set:"),
            unit_buttons(units, cb.VOTER_UNIT),
        )
        return
    unit = next((u for u in units if u.code == code), None)
    if unit is None:
        raise UnknownUnit(code=code)
    await _offer_liaisons(update, context, unit.id)


async def _offer_liaisons(
    update: Update, context: BotContext, unit_id: int, query: CallbackQuery | None = None
) -> None:
    chat = require_group(update)
    unit, people = await cluster_service.unit_liaisons(context.deps.db, chat.id, unit_id)
    if query is not None:
        # Only now: a refusal after the answer would be a second answer, which Telegram drops.
        await query.answer()
    _ = (await translations(update, context)).gettext
    label = f"<b>{html.escape(unit.code)}</b>"
    if not people:
        text = _("{unit} has no liaison yet: its liaison must join first (/join or /invite).")
        await reply(update, text.format(unit=label))
        return
    rows = [
        [
            InlineKeyboardButton(
                p.full_name[:60], callback_data=cb.encode(cb.VOTER, unit.id, p.user_id)
            )
        ]
        for p in people
    ]
    rows.append(
        [
            InlineKeyboardButton(
                _("The liaison (default)"), callback_data=cb.encode(cb.VOTER, unit.id, 0)
            )
        ]
    )
    await reply(
        update,
        _("Who casts the vote of {unit}?").format(unit=label),
        InlineKeyboardMarkup(rows),
    )


@guarded
async def cb_voter_unit(update: Update, context: BotContext) -> None:
    """After a unit button: show its liaisons."""
    query, parts = press_parts(update, cb.VOTER_UNIT)
    await cluster_service.check_secretariat(
        context.deps.db,
        require_group(update).id,
        require_user(update).id,
        await sender_is_admin(update, context),
    )
    await _offer_liaisons(update, context, int(parts[0]), query)


@guarded
async def cb_voter(update: Update, context: BotContext) -> None:
    """Record the chosen voter (secretariat only)."""
    query, parts = press_parts(update, cb.VOTER)
    deps = context.deps
    unit, voter = await cluster_service.set_voter(
        deps.db,
        chat_id=require_group(update).id,
        unit_id=int(parts[0]),
        voter_user_id=int(parts[1]) or None,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = (await translations(update, context)).gettext
    label = f"<b>{html.escape(unit.code)}</b>"
    if voter is None:
        text = _("The liaison of {unit} casts its vote.").format(unit=label)
    else:
        text = _("{name} casts the vote of {unit}.").format(
            name=html.escape(voter.full_name), unit=label
        )
    await query.answer()
    await edit_quietly(update, text)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["voter", "nguoibophieu"], cmd_voter, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_voter_unit, pattern=cb.PATTERNS[cb.VOTER_UNIT]))
    app.add_handler(CallbackQueryHandler(cb_voter, pattern=cb.PATTERNS[cb.VOTER]))
