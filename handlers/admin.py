"""Cluster set-up commands: /setup, /addunit, /lead, /units, /settings."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.dates import format_offset_vi
from bot.domain import InvalidInput, NotGroupAdmin, PrivateOnly, UnknownUnit
from bot.services import clusters as cluster_service
from bot.services import membership
from handlers import callback_data as cb
from handlers.board import retire_board
from handlers.common import (
    BotApp,
    BotContext,
    bot_can_see_documents,
    command_text,
    edit_quietly,
    guarded,
    is_private,
    mention,
    person_info,
    press_parts,
    reply,
    require_chat,
    require_group,
    require_message,
    require_user,
    sender_is_admin,
    translations,
)
from handlers.dialogues import CONTINUATIONS, ask
from handlers.keyboards import unit_buttons
from handlers.reminders import wake as wake_reminders

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import Update

    from bot.domain import Cluster, UnitRoster


def visibility_note(t: NullTranslations, can_see: bool) -> str:
    """Say whether documents posted in the group reach the bot, and how to fix it if not."""
    _ = t.gettext
    if can_see:
        return _("✅ I can see documents posted in this group.")
    return _(
        "⚠️ I cannot see documents posted in this group yet (only commands and replies to "
        "my messages). To fix this, either:\n"
        "1. make me an administrator of this group, or\n"
        "2. in @BotFather send /setprivacy, choose this bot, select <b>Disable</b>, then remove "
        "me from the group and add me again.\n"
        "Liaisons can always submit files in their private chat with me."
    )


@guarded
async def cmd_setup(update: Update, context: BotContext) -> None:
    """Register this group as a cluster (group admins only)."""
    require_group(update)
    text = command_text(require_message(update))
    if not text:
        if not await sender_is_admin(update, context):
            raise NotGroupAdmin()
        _ = (await translations(update, context)).gettext
        await ask(
            update,
            context,
            "setup",
            _(
                "Please reply to this message with the cluster name and, optionally, the year, "
                "for example: <code>Cụm thi đua số 1 | 2022</code>"
            ),
        )
        return
    await _do_setup(update, context, text)


async def _do_setup(update: Update, context: BotContext, text: str) -> None:
    deps = context.deps
    chat = require_group(update)
    cluster, created = await cluster_service.setup_cluster(
        deps.db,
        chat_id=chat.id,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        locale=deps.settings.locale,
        tz=deps.settings.tz,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    t = await translations(update, context)
    _ = t.gettext
    name = html.escape(cluster.name)
    if created:
        head = _("The group is now registered as the emulation cluster “{name}” ({year}).")
        steps = _(
            "Next steps:\n"
            "1. Add the member units, one per line: <code>/addunit VSP Liên doanh Việt – Nga "
            "Vietsovpetro</code>\n"
            "2. Set the lead unit: <code>/lead VSP</code>\n"
            "3. Liaisons type /join, or open the link from /invite &lt;CODE&gt;."
        )
    else:
        head = _("The cluster is now named “{name}” ({year}).")
        steps = ""
    can_see = await bot_can_see_documents(context, chat.id)
    parts = [head.format(name=name, year=cluster.year), steps, visibility_note(t, can_see)]
    await reply(update, "\n\n".join(p for p in parts if p))


@guarded
async def cmd_addunit(update: Update, context: BotContext) -> None:
    """Add one unit per line: `<CODE> <full name>`."""
    chat = require_group(update)
    text = command_text(require_message(update))
    if not text:
        # Refuse before asking: only the secretariat gets the guided dialogue.
        await cluster_service.check_secretariat(
            context.deps.db,
            chat.id,
            require_user(update).id,
            await sender_is_admin(update, context),
        )
        _ = (await translations(update, context)).gettext
        await ask(
            update,
            context,
            "addunit",
            _(
                "Please reply to this message with the units, one per line: the code, then "
                "the full name, for example:\n<code>VSP Liên doanh Việt – Nga Vietsovpetro\n"
                "PVEP Tổng công ty Thăm dò khai thác Dầu khí</code>"
            ),
        )
        return
    await _do_addunit(update, context, text)


async def _do_addunit(update: Update, context: BotContext, text: str) -> None:
    deps = context.deps
    chat = require_group(update)
    result = await cluster_service.add_units(
        deps.db,
        chat_id=chat.id,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    t = await translations(update, context)
    _, ngettext = t.gettext, t.ngettext
    lines = []
    if result.added:
        lines.append(
            ngettext("Added {n} unit:", "Added {n} units:", len(result.added)).format(
                n=len(result.added)
            )
        )
        lines += [f"• <b>{html.escape(u.code)}</b> – {html.escape(u.name)}" for u in result.added]
    if result.unchanged:
        codes = ", ".join(html.escape(u.code) for u in result.unchanged)
        lines.append(_("Already in the cluster, unchanged: {codes}").format(codes=codes))
    await reply(update, "\n".join(lines))


@guarded
async def cmd_lead(update: Update, context: BotContext) -> None:
    """Set the lead unit by code, or offer the units as buttons."""
    chat = require_group(update)
    text = command_text(require_message(update))
    if text:
        await _set_lead(update, context, text)
        return
    await cluster_service.check_secretariat(
        context.deps.db, chat.id, require_user(update).id, await sender_is_admin(update, context)
    )
    _ = (await translations(update, context)).gettext
    _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
    if not units:
        raise InvalidInput(field="unit_lines")
    await reply(
        update,
        _("Which unit leads the cluster?"),
        unit_buttons(units, cb.LEAD),
    )


async def _set_lead(update: Update, context: BotContext, code: str) -> None:
    deps = context.deps
    unit = await cluster_service.set_lead(
        deps.db,
        chat_id=require_chat(update).id,
        code=code,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = (await translations(update, context)).gettext
    text = _(
        "The lead unit of the cluster is now {code} – {name}. Its liaisons are part of the "
        "cluster secretariat."
    ).format(code=f"<b>{html.escape(unit.code)}</b>", name=html.escape(unit.name))
    if update.callback_query is not None:
        await update.callback_query.answer()
        await edit_quietly(update, text)
    else:
        await reply(update, text)


@guarded
async def cb_lead(update: Update, context: BotContext) -> None:
    """Set the lead unit from a button."""
    _query, parts = press_parts(update, cb.LEAD)
    chat = require_group(update)
    _cluster, units = await membership.list_join_units(context.deps.db, chat.id)
    unit = next((u for u in units if u.id == int(parts[0])), None)
    if unit is None:
        raise UnknownUnit()
    await _set_lead(update, context, unit.code)


def render_roster(t: NullTranslations, cluster: Cluster, roster: list[UnitRoster]) -> str:
    """The /units list: each unit with its liaisons and voter."""
    _ = t.gettext
    lines = [f"<b>{html.escape(cluster.name)}</b>"]
    if not roster:
        lines.append(_("No units yet. The secretariat adds them with /addunit."))
        return "\n".join(lines)
    for number, entry in enumerate(roster, start=1):
        lead = _(" (lead unit)") if entry.is_lead else ""
        lines.append(
            f"\n{number}. <b>{html.escape(entry.unit.code)}</b> – "
            f"{html.escape(entry.unit.name)}{lead}"
        )
        if entry.liaisons:
            names = ", ".join(mention(p.user_id, p.full_name) for p in entry.liaisons)
            lines.append(_("   Liaisons: {names}").format(names=names))
        else:
            lines.append(_("   Liaisons: none yet"))
        voter = entry.voter or (entry.liaisons[0] if entry.liaisons else None)
        if voter is not None:
            suffix = "" if entry.voter else _(" (the liaison, as no voter is designated)")
            lines.append(
                _("   Voter: {name}{suffix}").format(
                    name=html.escape(voter.full_name), suffix=suffix
                )
            )
    if cluster.lead_unit_id is None:
        lines.append("\n" + _("The lead unit is not set yet: /lead &lt;CODE&gt;."))
    return "\n".join(lines)


@guarded(changes=False)
async def cmd_units(update: Update, context: BotContext) -> None:
    """List units, liaisons and voters."""
    chat = require_group(update)
    cluster, roster = await cluster_service.list_roster(context.deps.db, chat.id)
    await reply(update, render_roster(await translations(update, context), cluster, roster))


def _language_row(key: str) -> list[InlineKeyboardButton]:
    # Language names are written in their own language, never translated.
    return [
        InlineKeyboardButton("Tiếng Việt", callback_data=cb.encode(cb.SETTING, key, "vi")),
        InlineKeyboardButton("English", callback_data=cb.encode(cb.SETTING, key, "en")),
    ]


def format_offset(offset: timedelta, locale: str) -> str:
    """'3 ngày' in Vietnamese; English spells the same units."""
    text = format_offset_vi(offset)
    if locale != "en":
        return text
    for vi, en in (("ngày", "d"), ("giờ", "h"), ("phút", "min"), ("giây", "s")):
        text = text.replace(f" {vi}", en)
    return text


def _settings_view(t: NullTranslations, cluster: Cluster) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    language = "Tiếng Việt" if cluster.locale == "vi" else "English"
    policy = (
        _("immediately, without approval")
        if cluster.join_policy == "open"
        else _("after the secretariat approves")
    )
    offsets = ", ".join(
        format_offset(timedelta(seconds=o), cluster.locale) for o in cluster.reminder_offsets
    )
    text = _(
        "<b>Settings of the cluster</b>\nLanguage: {language}\nLiaisons who /join are attached: "
        "{policy}"
    ).format(language=language, policy=policy)
    text += "\n" + _(
        "Reminders before a deadline or meeting: {offsets}\nDaily digest at: {digest}\n"
        "Quiet hours (private reminders wait): {quiet_start}–{quiet_end}\n"
        "Daily reminder to late units: {daily}"
    ).format(
        offsets=offsets,
        digest=cluster.digest_time,
        quiet_start=cluster.quiet_start,
        quiet_end=cluster.quiet_end,
        daily=_("on") if cluster.overdue_daily else _("off"),
    )
    text += "\n" + _("Pinned status board: {board}\nPicture with /status: {picture}").format(
        board=_("on") if cluster.board_enabled else _("off"),
        picture=_("on") if cluster.status_picture else _("off"),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Tiếng Việt", callback_data=cb.encode(cb.SETTING, "lang", "vi")
                ),
                InlineKeyboardButton("English", callback_data=cb.encode(cb.SETTING, "lang", "en")),
            ],
            [
                InlineKeyboardButton(
                    _("Approval required"), callback_data=cb.encode(cb.SETTING, "join", "approve")
                ),
                InlineKeyboardButton(
                    _("Open joining"), callback_data=cb.encode(cb.SETTING, "join", "open")
                ),
            ],
            [
                InlineKeyboardButton(
                    _("Reminder times"), callback_data=cb.encode(cb.ASK_SETTING, "offsets")
                ),
                InlineKeyboardButton(
                    _("Digest time"), callback_data=cb.encode(cb.ASK_SETTING, "digest")
                ),
                InlineKeyboardButton(
                    _("Quiet hours"), callback_data=cb.encode(cb.ASK_SETTING, "quiet")
                ),
            ],
            [
                InlineKeyboardButton(
                    _("Turn off daily overdue reminders")
                    if cluster.overdue_daily
                    else _("Turn on daily overdue reminders"),
                    callback_data=cb.encode(
                        cb.SETTING, "daily", "off" if cluster.overdue_daily else "on"
                    ),
                )
            ],
            [
                InlineKeyboardButton(
                    _("Turn off the pinned board")
                    if cluster.board_enabled
                    else _("Turn on the pinned board"),
                    callback_data=cb.encode(
                        cb.SETTING, "board", "off" if cluster.board_enabled else "on"
                    ),
                ),
                InlineKeyboardButton(
                    _("No picture with /status")
                    if cluster.status_picture
                    else _("Picture with /status"),
                    callback_data=cb.encode(
                        cb.SETTING, "picture", "off" if cluster.status_picture else "on"
                    ),
                ),
            ],
        ]
    )
    return text, markup


def _private_settings_view(t: NullTranslations) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Tiếng Việt", callback_data=cb.encode(cb.SETTING, "plang", "vi")
                ),
                InlineKeyboardButton(
                    "English", callback_data=cb.encode(cb.SETTING, "plang", "en")
                ),
            ]
        ]
    )
    return _("Choose the language of this chat:"), markup


@guarded
async def cmd_settings(update: Update, context: BotContext) -> None:
    """Show the cluster's settings with buttons (or the person's language in private)."""
    t = await translations(update, context)
    if is_private(update):
        text, markup = _private_settings_view(t)
        await reply(update, text, markup)
        return
    chat = require_group(update)
    cluster = await cluster_service.check_secretariat(
        context.deps.db, chat.id, require_user(update).id, await sender_is_admin(update, context)
    )
    text, markup = _settings_view(t, cluster)
    await reply(update, text, markup)


@guarded
async def cb_setting(update: Update, context: BotContext) -> None:
    """Apply a settings button after checking who pressed it."""
    query, (key, value) = press_parts(update, cb.SETTING)
    deps = context.deps
    now = deps.clock.now()
    if key == "plang":
        if not is_private(update):
            # The person's own language is chosen in their private chat, never in a group.
            raise PrivateOnly(purpose="language")
        await membership.set_person_locale(deps.db, person_info(require_user(update)), value, now)
        t = await translations(update, context)
        await query.answer()
        await edit_quietly(update, t.gettext("From now on I will write to you in English."))
        return
    chat = require_group(update)
    cluster = await cluster_service.update_settings(
        deps.db,
        chat_id=chat.id,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=now,
        locale=value if key == "lang" else None,
        join_policy=value if key == "join" else None,
        overdue_daily=(value == "on") if key == "daily" else None,
        board_enabled=(value == "on") if key == "board" else None,
        status_picture=(value == "on") if key == "picture" else None,
    )
    text, markup = _settings_view(await translations(update, context), cluster)
    await query.answer()
    await edit_quietly(update, text, markup)
    if key == "daily":
        wake_reminders(context.application)
    if key == "board" and value == "off":
        await retire_board(context, chat.id, cluster.locale)


@guarded
async def cb_ask_setting(update: Update, context: BotContext) -> None:
    """Ask the secretariat for a new reminder setting value."""
    query, (key,) = press_parts(update, cb.ASK_SETTING)
    chat = require_group(update)
    user = require_user(update)
    await cluster_service.check_secretariat(
        context.deps.db, chat.id, user.id, await sender_is_admin(update, context)
    )
    await query.answer()
    _ = (await translations(update, context)).gettext
    who = mention(user.id, user.full_name)
    questions = {
        "offsets": _(
            "{who}, please reply with when to remind before a deadline or meeting, for "
            "example <code>3d;1d;2h</code> (d/ngày, h/giờ, m/phút)."
        ),
        "digest": _(
            "{who}, please reply with the time of the daily digest, for example <code>8:00</code>."
        ),
        "quiet": _(
            "{who}, please reply with the quiet hours, for example <code>21:00-07:00</code>."
        ),
    }
    await ask(update, context, "setting", questions[key].format(who=who), state={"key": key})


async def _continue_setting(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    key = str(state["key"])
    cluster = await cluster_service.update_settings(
        deps.db,
        chat_id=require_group(update).id,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        offsets_text=text if key == "offsets" else None,
        digest_text=text if key == "digest" else None,
        quiet_text=text if key == "quiet" else None,
    )
    wake_reminders(context.application)
    view, markup = _settings_view(await translations(update, context), cluster)
    await reply(update, view, markup)


async def _continue_setup(
    update: Update, context: BotContext, text: str, _state: dict[str, object]
) -> None:
    await _do_setup(update, context, text)


async def _continue_addunit(
    update: Update, context: BotContext, text: str, _state: dict[str, object]
) -> None:
    await _do_addunit(update, context, text)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["setup", "thietlap"], cmd_setup, filters=fresh))
    app.add_handler(CommandHandler(["addunit", "themdonvi"], cmd_addunit, filters=fresh))
    app.add_handler(CommandHandler(["lead", "cumtruong"], cmd_lead, filters=fresh))
    app.add_handler(CommandHandler(["units", "donvi"], cmd_units, filters=fresh))
    app.add_handler(CommandHandler(["settings", "caidat"], cmd_settings, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_lead, pattern=cb.PATTERNS[cb.LEAD]))
    app.add_handler(CallbackQueryHandler(cb_setting, pattern=cb.PATTERNS[cb.SETTING]))
    app.add_handler(CallbackQueryHandler(cb_ask_setting, pattern=cb.PATTERNS[cb.ASK_SETTING]))
    CONTINUATIONS["setting"] = _continue_setting
    CONTINUATIONS["setup"] = _continue_setup
    CONTINUATIONS["addunit"] = _continue_addunit
