"""Joining a unit: /join with approval buttons, and /invite deep links."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import InvalidInput, InviteInvalid, PrivateChatNeeded, UnknownUnit
from bot.i18n import format_date, translator
from bot.services import clusters as cluster_service
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
    private_locale,
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
    from telegram import CallbackQuery, Update

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
            _decision_note(
                private_locale(person, decision.cluster.locale), decision.approved
            ).format(unit=_unit_label(decision.unit), cluster=html.escape(decision.cluster.name)),
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
        await cluster_service.check_secretariat(
            context.deps.db,
            chat.id,
            require_user(update).id,
            await sender_is_admin(update, context),
        )
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
    await _make_invite(update, context, unit.code, query)


def _invite_message(
    locale: str, unit: Unit, *, link: str, expiry: str, invite_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    _ = translator(locale).gettext
    text = _(
        "Invitation link for the liaison of {unit}:\n{link}\n\nWhoever opens it becomes a "
        "liaison of this unit, so send it only to that person. It works once and expires on "
        "{expiry}. Press the button below to revoke it."
    ).format(unit=_unit_label(unit), link=html.escape(link), expiry=expiry)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Revoke link"), callback_data=cb.encode(cb.REVOKE, invite_id))]]
    )
    return text, markup


async def _make_invite(
    update: Update, context: BotContext, code: str, query: CallbackQuery | None = None
) -> None:
    """Check, create and send the link; a press is answered only once every check passed.

    A refusal raised after `query.answer()` would be a second answer, which Telegram
    rejects: the person would never learn why.
    """
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    is_admin = await sender_is_admin(update, context)
    await cluster_service.check_secretariat(deps.db, chat.id, user.id, is_admin)
    # Whoever opens the link becomes a liaison: it goes only to the issuer's private chat.
    person = await membership.get_person(deps.db, user.id)
    if person is None or not person.reachable:
        raise PrivateChatNeeded(bot_username=context.bot.username)
    invite, unit = await membership.create_invite(
        deps.db,
        chat_id=chat.id,
        code=code,
        user_id=user.id,
        is_group_admin=is_admin,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    if query is not None:
        # Answer before sending: the sends are paced and a query expires after a few seconds.
        await query.answer()
    text, markup = _invite_message(
        private_locale(person, deps.settings.locale),
        unit,
        link=f"https://t.me/{context.bot.username}?start={invite.token}",
        expiry=format_date(invite.expires_at or deps.clock.now(), deps.settings.tz),
        invite_id=invite.id,
    )
    if await send_private(context, user.id, text, markup) is None:
        # Blocked since we last heard from them: the link must not linger unsent.
        await membership.revoke_invite(
            deps.db,
            chat_id=chat.id,
            invite_id=invite.id,
            user_id=user.id,
            is_group_admin=is_admin,
            now=deps.clock.now(),
        )
        raise PrivateChatNeeded(bot_username=context.bot.username)
    _ = (await translations(update, context)).gettext
    await send_safe(
        context,
        chat.id,
        _("I have sent the invitation link for {code} to {who} privately.").format(
            code=html.escape(unit.code), who=mention(user.id, user.full_name)
        ),
    )


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
