"""Joining a unit: /join with approval buttons, and /invite deep links."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import InvalidInput, InviteInvalid, UnknownUnit
from bot.i18n import translator
from bot.services import membership
from handlers import callback_data as cb
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    edit_quietly,
    guarded,
    is_group_admin,
    mention,
    person_info,
    press_parts,
    reply,
    require_group,
    require_message,
    require_user,
    send_private,
    send_safe,
    sender_is_admin,
    translations,
)
from handlers.keyboards import unit_buttons

if TYPE_CHECKING:
    from telegram import Update

    from bot.domain import Unit


def _unit_label(unit: Unit) -> str:
    return f"<b>{html.escape(unit.code)}</b> – {html.escape(unit.name)}"


@guarded
async def cmd_join(update: Update, context: BotContext) -> None:
    """Offer the units as buttons; the person who presses one asks to join it."""
    chat = require_group(update)
    _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
    _ = (await translations(update, context)).gettext
    if not units:
        await reply(
            update, _("The cluster has no units yet. The secretariat adds them with /addunit.")
        )
        return
    await reply(
        update, _("Which unit do you represent? Press its code:"), unit_buttons(units, cb.JOIN)
    )


@guarded
async def cb_join(update: Update, context: BotContext) -> None:
    """Attach the presser to the unit, or file a request for approval."""
    query, parts = press_parts(update, cb.JOIN)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    outcome = await membership.request_join(
        deps.db,
        chat_id=chat.id,
        unit_id=int(parts[0]),
        info=person_info(user),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    t = translator(outcome.cluster.locale)
    _ = t.gettext
    who = mention(user.id, user.full_name)
    if outcome.joined:
        await query.answer(_("You are now the liaison of {code}.").format(code=outcome.unit.code))
        await send_safe(
            context,
            chat.id,
            _("{who} is now the liaison of {unit}.").format(
                who=who, unit=_unit_label(outcome.unit)
            ),
        )
        return
    assert outcome.request is not None
    await query.answer(_("Your request has been sent to the cluster secretariat."))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Approve"), callback_data=cb.encode(cb.DECIDE, "a", outcome.request.id)
                ),
                InlineKeyboardButton(
                    _("Reject"), callback_data=cb.encode(cb.DECIDE, "r", outcome.request.id)
                ),
            ]
        ]
    )
    sent = await send_safe(
        context,
        chat.id,
        _(
            "{who} asks to become the liaison of {unit}. The cluster secretariat, please "
            "approve or reject."
        ).format(who=who, unit=_unit_label(outcome.unit)),
        markup,
    )
    if sent is not None:
        await membership.remember_request_message(deps.db, outcome.request.id, sent.message_id)


@guarded
async def cb_decide(update: Update, context: BotContext) -> None:
    """Approve or reject a join request (secretariat only)."""
    query, parts = press_parts(update, cb.DECIDE)
    deps = context.deps
    chat = require_group(update)
    decider = require_user(update)
    decision = await membership.decide_join(
        deps.db,
        chat_id=chat.id,
        request_id=int(parts[1]),
        approve=parts[0] == "a",
        user_id=decider.id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = translator(decision.cluster.locale).gettext
    who = mention(decision.person.user_id, decision.person.full_name)
    by = html.escape(decider.full_name)
    if decision.approved:
        text = _("✅ {who} is now the liaison of {unit} (approved by {by}).")
    else:
        text = _("❌ The request of {who} to represent {unit} was rejected by {by}.")
    await query.answer()
    await edit_quietly(update, text.format(who=who, unit=_unit_label(decision.unit), by=by))
    person = await membership.get_person(deps.db, decision.person.user_id)
    if person is not None:
        await send_private(
            context,
            person.user_id,
            _decision_note(person.locale or decision.cluster.locale, decision.approved).format(
                unit=_unit_label(decision.unit), cluster=html.escape(decision.cluster.name)
            ),
        )


def _decision_note(locale: str, approved: bool) -> str:
    _ = translator(locale).gettext
    if approved:
        return _("Your request to represent {unit} in “{cluster}” was approved.")
    return _("Your request to represent {unit} in “{cluster}” was not approved.")


@guarded
async def cmd_invite(update: Update, context: BotContext) -> None:
    """Make an invitation link for a unit, sent privately to whoever asked when possible."""
    chat = require_group(update)
    code = command_text(require_message(update))
    if not code:
        _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
        if not units:
            raise InvalidInput(field="unit_lines")
        _ = (await translations(update, context)).gettext
        await reply(update, _("Invitation link for which unit?"), unit_buttons(units, cb.INVITE))
        return
    await _make_invite(update, context, code)


@guarded
async def cb_invite(update: Update, context: BotContext) -> None:
    """Make an invitation link for the unit of the pressed button."""
    query, parts = press_parts(update, cb.INVITE)
    chat = require_group(update)
    _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
    unit = next((u for u in units if u.id == int(parts[0])), None)
    if unit is None:
        raise UnknownUnit()
    await _make_invite(update, context, unit.code)
    await query.answer()


async def _make_invite(update: Update, context: BotContext, code: str) -> None:
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    invite, unit = await membership.create_invite(
        deps.db,
        chat_id=chat.id,
        code=code,
        user_id=user.id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = (await translations(update, context)).gettext
    link = f"https://t.me/{context.bot.username}?start={invite.token}"
    text = _(
        "Invitation link for the liaison of {unit}:\n{link}\n\nWhoever opens it becomes a "
        "liaison of this unit, so send it only to that person. Press the button below to "
        "revoke it."
    ).format(unit=_unit_label(unit), link=html.escape(link))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Revoke link"), callback_data=cb.encode(cb.REVOKE, invite.id))]]
    )
    # The link attaches whoever opens it: prefer the private chat over the group.
    sent = await send_private(context, user.id, text, markup)
    if sent is not None:
        await send_safe(
            context,
            chat.id,
            _("I have sent the invitation link for {code} to {who} privately.").format(
                code=html.escape(unit.code), who=mention(user.id, user.full_name)
            ),
        )
    else:
        await send_safe(context, chat.id, text, markup)


@guarded
async def cb_revoke(update: Update, context: BotContext) -> None:
    """Revoke an invitation link (secretariat only)."""
    query, parts = press_parts(update, cb.REVOKE)
    deps = context.deps
    user = require_user(update)
    invite_id = int(parts[0])
    cluster = await membership.invite_cluster(deps.db, invite_id)
    if cluster is None:
        raise InviteInvalid()
    # The button may be pressed in the private chat: roles are those of the cluster's group.
    unit = await membership.revoke_invite(
        deps.db,
        chat_id=cluster.chat_id,
        invite_id=invite_id,
        user_id=user.id,
        is_group_admin=await is_group_admin(context, cluster.chat_id, user),
        now=deps.clock.now(),
    )
    _ = (await translations(update, context)).gettext
    await query.answer()
    await edit_quietly(
        update,
        _("The invitation link for {code} has been revoked; it no longer works.").format(
            code=html.escape(unit.code)
        ),
    )


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["join", "thamgia"], cmd_join, filters=fresh))
    app.add_handler(CommandHandler(["invite", "moi"], cmd_invite, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_join, pattern=cb.PATTERNS[cb.JOIN]))
    app.add_handler(CallbackQueryHandler(cb_decide, pattern=cb.PATTERNS[cb.DECIDE]))
    app.add_handler(CallbackQueryHandler(cb_invite, pattern=cb.PATTERNS[cb.INVITE]))
    app.add_handler(CallbackQueryHandler(cb_revoke, pattern=cb.PATTERNS[cb.REVOKE]))
