"""/poll (/binhchon): the group message, open voting, private ballots, results, minutes."""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import BallotRefused, PrivateChatNeeded, PrivateOnly, UnknownPoll
from bot.i18n import format_when, translator
from bot.services import clusters as cluster_service
from bot.services import membership
from bot.services import polls as poll_service
from bot.tally import format_percent_vi, rules_summary_vi
from handlers import callback_data as cb
from handlers.common import (
    LIVE_REFRESHERS,
    MISSING_POSTERS,
    AnyContext,
    BotApp,
    BotContext,
    ItemPoster,
    LiveMessage,
    edit_quietly,
    guarded,
    notify_change,
    press_parts,
    refresh_live,
    reply,
    require_group,
    require_user,
    schedule_missing_posts,
    send_safe,
    sender_is_admin,
    translations,
)
from handlers.dialogues import CONTINUATIONS, run_or_ask
from handlers.reminders import TICK_HOOKS
from handlers.reminders import wake as wake_reminders

if TYPE_CHECKING:
    from datetime import datetime

    from babel.support import NullTranslations
    from telegram import Update
    from telegram.ext import CallbackContext

    from bot.deps import Deps
    from bot.services.polls import BallotContext, PollView
    from bot.tally import Result

log = logging.getLogger(__name__)
START_PREFIX = "poll_"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# The blank ballot's button: outside the digits ("b" once named both it and candidate 12).
BLANK = "-"


def encode_draft(marks: tuple[int, ...]) -> str:
    """A ballot draft for a button payload: one base-36 digit per mark, '-' when blank."""
    return "".join(_DIGITS[m] for m in marks) or "-"


def decode_draft(draft: str, candidates: int) -> tuple[int, ...]:
    """Read a draft back into candidate indices; a forged index is refused."""
    marks = () if draft == "-" else tuple(_DIGITS.index(c) for c in draft)
    if any(m >= candidates for m in marks):
        raise BallotRefused(reason="unknown_candidate")
    return marks


def _private_ballot_chat(update: Update) -> None:
    """Private ballots are pressed only in the voter's own chat with the bot."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.id != user.id:
        raise PrivateOnly()


def _uses_private_ballot(view: PollView) -> bool:
    # Secret ballots, and ranked ones (an order is awkward with group buttons), are filled
    # in the private chat.
    return view.poll.secret or view.poll.rules.ranked


def render_poll(view: PollView, t: NullTranslations) -> str:
    """The poll's group message: rules, closing time, candidates, turnout (never choices)."""
    _ = t.gettext
    poll = view.poll
    rules = rules_summary_vi(poll.rules) + ("; bỏ phiếu kín" if poll.secret else "")
    lines = [
        _("🗳 <b>Nomination vote: {title}</b>").format(title=html.escape(poll.title)),
        _("Rules: {rules}").format(rules=html.escape(rules)),
        _("Voting closes: {when}").format(
            when=format_when(poll.closes_at, view.tz, view.cluster.locale)
        ),
        _("Candidates: {names}").format(
            names=", ".join(html.escape(n) for n in poll.rules.candidates)
        ),
        _("Voted: {count}/{total} units").format(count=view.turnout, total=len(view.roll)),
    ]
    if not poll.secret:
        voted = [e.unit.code for e in view.roll if e.has_voted]
        if voted:
            lines.append(_("Units that voted: {codes}").format(codes=", ".join(voted)))
    if not poll.is_open:
        lines.append(_("🔒 Voting is closed."))
    return "\n".join(lines)


def poll_markup(
    view: PollView, t: NullTranslations, bot_username: str
) -> InlineKeyboardMarkup | None:
    """Vote buttons (or the link to the private ballot) and the closing button."""
    _ = t.gettext
    pid = view.poll.id
    if not view.poll.is_open:
        # A closed poll stays on record: its result and minutes can be asked for any time.
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("Result"), callback_data=cb.encode(cb.POLL_MANAGE, "result", pid)
                    ),
                    InlineKeyboardButton(
                        _("Vote-count minutes"),
                        callback_data=cb.encode(cb.POLL_MANAGE, "minutes", pid),
                    ),
                ]
            ]
        )
    rows: list[list[InlineKeyboardButton]] = []
    if _uses_private_ballot(view):
        rows.append(
            [
                InlineKeyboardButton(
                    _("Vote (in the private chat)"),
                    url=f"https://t.me/{bot_username}?start={START_PREFIX}{pid}",
                )
            ]
        )
    else:
        buttons = [
            InlineKeyboardButton(name[:40], callback_data=cb.encode(cb.POLL_VOTE, pid, _DIGITS[i]))
            for i, name in enumerate(view.poll.rules.candidates)
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append(
            [
                InlineKeyboardButton(
                    _("Blank ballot"), callback_data=cb.encode(cb.POLL_VOTE, pid, BLANK)
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                _("Close the vote"), callback_data=cb.encode(cb.POLL_MANAGE, "close", pid)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def refresh(context: BotContext, poll_id: int) -> None:
    """Batched edit of the poll's group message (turnout only, never choices)."""

    async def load() -> LiveMessage:
        view = await poll_service.get_poll_view(context.deps.db, poll_id)
        t = translator(view.cluster.locale)
        return (
            view.cluster.chat_id,
            view.poll.message_id,
            render_poll(view, t),
            poll_markup(view, t, context.bot.username),
        )

    refresh_live(context, ("poll", poll_id), load)


async def _open(update: Update, context: BotContext, text: str) -> None:
    deps = context.deps
    view = await poll_service.open_poll(
        deps.db,
        chat_id=require_group(update).id,
        text=text,
        user_id=require_user(update).id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    wake_reminders(context.application)  # its closing time joins the schedule
    t = translator(view.cluster.locale)
    try:
        sent = await context.bot.send_message(
            view.cluster.chat_id,
            render_poll(view, t),
            reply_markup=poll_markup(view, t, context.bot.username),
        )
    except TelegramError:
        # The poll is recorded; its message must still reach the group.
        schedule_missing_posts(context.job_queue, 10)
        raise
    await poll_service.remember_poll_message(deps.db, view.poll.id, sent.message_id)


@guarded
async def cmd_poll(update: Update, context: BotContext) -> None:
    """Open a nomination poll, or ask for its details."""

    def question(t: NullTranslations) -> str:
        _ = t.gettext
        return _(
            "Please reply to this message with the title and closing time, separated by “|”, "
            "and any options, for example: <code>Bình xét đề nghị Cờ thi đua của Tập đoàn năm "
            "2022 | 17:00 25/11/2022 | nguong=50</code>"
        )

    await run_or_ask(update, context, kind="poll", run=_open, question=question)


async def _continue_poll(
    update: Update, context: BotContext, text: str, _state: dict[str, object]
) -> None:
    await _open(update, context, text)


@guarded
async def cb_vote(update: Update, context: BotContext) -> None:
    """An open poll's button in the group: choose (or toggle) a candidate, or vote blank."""
    query, (pid, choice) = press_parts(update, cb.POLL_VOTE)
    deps = context.deps
    user = require_user(update)
    # Secret and ranked ballots go through the private chat and its review screen: the
    # service refuses them here, inside the same transaction that records an open one.
    cast = await poll_service.cast_ballot(
        deps.db,
        poll_id=int(pid),
        user_id=user.id,
        marks=(),
        toggle=None if choice == BLANK else _DIGITS.index(choice),
        now=deps.clock.now(),
        update_id=update.update_id,
        group_button=True,
    )
    poll = cast.view.poll
    _ = translator(cast.view.cluster.locale).gettext
    chosen = ", ".join(poll.rules.candidates[m] for m in sorted(cast.marks)) or _("blank ballot")
    await query.answer(
        _("Recorded the ballot of {code}: {chosen}").format(code=cast.unit.code, chosen=chosen)
    )
    refresh(context, int(pid))
    if poll.close_when_all:
        wake_reminders(context.application)


def _ballot_view(
    ballot: BallotContext, marks: tuple[int, ...], t: NullTranslations
) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    poll = ballot.view.poll
    rules = poll.rules
    draft = encode_draft(marks)
    lines = [
        _("🗳 <b>Ballot: {title}</b>").format(title=html.escape(poll.title)),
        _("For unit {code}.").format(code=html.escape(ballot.unit.code)),
        html.escape(rules_summary_vi(rules)),
        _("Press the candidates in order of preference.")
        if rules.ranked
        else _("Press a candidate to mark or unmark it, then press Cast."),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for index, name in enumerate(rules.candidates):
        if index == ballot.own_candidate and not rules.self_vote:
            continue  # one's own unit cannot be chosen
        if rules.ranked:
            label = f"{marks.index(index) + 1}. {name}" if index in marks else name
        else:
            label = ("☑ " if index in marks else "☐ ") + name
        rows.append(
            [
                InlineKeyboardButton(
                    label[:60], callback_data=cb.encode(cb.BALLOT, poll.id, draft, _DIGITS[index])
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                _("Cast"), callback_data=cb.encode(cb.BALLOT_REVIEW, poll.id, draft)
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show_ballot(update: Update, context: BotContext, poll_id: int) -> None:
    """`/start poll_<id>` in private: the voter's ballot, with nothing marked yet."""
    deps = context.deps
    ballot = await poll_service.ballot_context(
        deps.db, poll_id=poll_id, user_id=require_user(update).id, now=deps.clock.now()
    )
    text, markup = _ballot_view(ballot, (), await translations(update, context))
    await reply(update, text, markup)


@guarded
async def cb_ballot(update: Update, context: BotContext) -> None:
    """Toggle a mark on the private ballot; the draft lives only in the buttons."""
    query, (pid, draft, index) = press_parts(update, cb.BALLOT)
    _private_ballot_chat(update)
    deps = context.deps
    ballot = await poll_service.ballot_context(
        deps.db, poll_id=int(pid), user_id=require_user(update).id, now=deps.clock.now()
    )
    count = len(ballot.view.poll.rules.candidates)
    before = decode_draft(draft, count)
    marks = before
    if index != "x":
        chosen = _DIGITS.index(index)
        if chosen >= count:
            raise BallotRefused(reason="unknown_candidate")
        marks = tuple(m for m in marks if m != chosen) if chosen in marks else (*marks, chosen)
        if not ballot.view.poll.rules.ranked and ballot.view.poll.rules.max_choices == 1:
            marks = (chosen,) if chosen not in before else ()
    text, markup = _ballot_view(ballot, marks, await translations(update, context))
    await query.answer()
    await edit_quietly(update, text, markup)


@guarded
async def cb_review(update: Update, context: BotContext) -> None:
    """Show what will be cast, with the final button (a cast secret ballot is final)."""
    query, (pid, draft) = press_parts(update, cb.BALLOT_REVIEW)
    _private_ballot_chat(update)
    deps = context.deps
    ballot = await poll_service.ballot_context(
        deps.db, poll_id=int(pid), user_id=require_user(update).id, now=deps.clock.now()
    )
    _ = (await translations(update, context)).gettext
    rules = ballot.view.poll.rules
    names = [rules.candidates[m] for m in decode_draft(draft, len(rules.candidates))]
    chosen = ", ".join(names) if names else _("blank ballot")
    text = _("You are about to cast the ballot of {code}: {chosen}.").format(
        code=html.escape(ballot.unit.code), chosen=html.escape(chosen)
    )
    if ballot.view.poll.secret:
        text += "\n" + _("A cast secret ballot cannot be changed.")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Cast the ballot"), callback_data=cb.encode(cb.BALLOT_CAST, int(pid), draft)
                ),
                InlineKeyboardButton(
                    _("Change"), callback_data=cb.encode(cb.BALLOT, int(pid), draft, "x")
                ),
            ]
        ]
    )
    await query.answer()
    await edit_quietly(update, text, markup)


@guarded
async def cb_cast(update: Update, context: BotContext) -> None:
    """Cast the private ballot (the service re-checks everything)."""
    query, (pid, draft) = press_parts(update, cb.BALLOT_CAST)
    _private_ballot_chat(update)
    deps = context.deps
    view = await poll_service.cast(
        deps.db,
        poll_id=int(pid),
        user_id=require_user(update).id,
        # Out-of-range marks are refused by the tally's ballot check.
        marks=decode_draft(draft, 36),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    _ = (await translations(update, context)).gettext
    await query.answer(_("Your ballot has been received."))
    # The choices are not repeated: the message keeps only that the ballot was cast.
    await edit_quietly(
        update,
        _("✅ Your ballot for “{title}” has been received. Thank you.").format(
            title=html.escape(view.poll.title)
        ),
    )
    refresh(context, int(pid))
    if view.poll.close_when_all and view.everyone_voted:
        wake_reminders(context.application)


def render_result(view: PollView, result: Result, t: NullTranslations) -> str:
    """The result posted in the group when a poll closes."""
    _ = t.gettext
    unit = _("points") if view.poll.rules.ranked else _("votes")
    lines = [
        _("🗳 <b>Result of the vote: {title}</b>").format(title=html.escape(view.poll.title)),
        _("Ballots: {cast}/{roll} units ({turnout}); blank: {blank}").format(
            cast=result.cast,
            roll=result.roll_size,
            turnout=format_percent_vi(result.turnout_percent),
            blank=result.blank,
        ),
    ]
    for candidate in result.candidates:
        mark = " ✅ " + _("passed") if candidate.passed else ""
        tie = " " + _("(tied)") if candidate.tied else ""
        lines.append(
            f"{candidate.rank}. {html.escape(candidate.name)} – {candidate.score} {unit} "
            f"({format_percent_vi(candidate.percent)}){mark}{tie}"
        )
    if result.tie_for_first:
        lines.append(_("⚠️ Candidates are tied for first place."))
    elif result.ties:
        lines.append(_("⚠️ Some candidates are tied."))
    if not result.quorum_met:
        lines.append(_("⚠️ Too few units voted: the result is not valid."))
    return "\n".join(lines)


async def post_result(
    context: CallbackContext[Any, Any, Any, Any], view: PollView, result: Result
) -> None:
    """Post the result with the minutes button, and stop the poll's buttons."""
    deps: Deps = context.application.bot_data["deps"]
    t = translator(view.cluster.locale)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Vote-count minutes"),
                    callback_data=cb.encode(cb.POLL_MANAGE, "minutes", view.poll.id),
                )
            ]
        ]
    )
    await context.bot.send_message(
        view.cluster.chat_id, render_result(view, result, t), reply_markup=markup
    )
    await poll_service.result_posted(deps.db, view.poll.id)
    closed = await poll_service.get_poll_view(deps.db, view.poll.id)
    if closed.poll.message_id is not None:
        try:
            await context.bot.edit_message_text(
                render_poll(closed, t),
                chat_id=closed.cluster.chat_id,
                message_id=closed.poll.message_id,
                reply_markup=poll_markup(closed, t, context.bot.username),
            )
        except TelegramError as exc:
            log.info("poll %s message not edited: %s", view.poll.id, exc)
    # The board drops the closed poll (a job's context is a BotContext too).
    notify_change(cast("BotContext", context), closed.cluster.chat_id)


async def close_due_polls(
    context: CallbackContext[Any, Any, Any, Any], now: datetime
) -> datetime | None:
    """Reminder-tick hook: close polls whose time is over (or that everyone voted in)."""
    deps: Deps = context.application.bot_data["deps"]
    due, next_at = await poll_service.polls_to_close(deps.db, now)
    for poll_id in due:
        await poll_service.close(deps.db, poll_id=poll_id, now=now)
    # Results not posted yet (just closed, or a send that failed earlier) go out now.
    for poll_id in await poll_service.unposted_results(deps.db):
        try:
            await post_result(context, *await poll_service.result_of(deps.db, poll_id))
        except TelegramError as exc:
            log.warning("result of poll %s not posted yet: %s", poll_id, exc)
            retry = now + timedelta(minutes=1)
            next_at = retry if next_at is None else min(next_at, retry)
    return next_at


@guarded
async def cb_manage(update: Update, context: BotContext) -> None:
    """Secretariat: close the vote by hand, or get the minutes privately."""
    query, (action, pid) = press_parts(update, cb.POLL_MANAGE)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    is_admin = await sender_is_admin(update, context)
    if action == "close":
        closed = await poll_service.secretariat_close(
            deps.db,
            chat_id=chat.id,
            poll_id=int(pid),
            user_id=user.id,
            is_group_admin=is_admin,
            now=deps.clock.now(),
        )
        await query.answer()
        if closed is not None:
            await post_result(context, *closed)
        return
    if action == "result":
        view, result = await poll_service.result_of(deps.db, int(pid))
        if view.cluster.chat_id != chat.id:
            # Another cluster's poll: as for "close", it does not exist here.
            raise UnknownPoll(poll_id=view.poll.id)
        await query.answer()
        if not view.poll.is_open:
            await send_safe(
                context, chat.id, render_result(view, result, translator(view.cluster.locale))
            )
        return
    await cluster_service.check_secretariat(deps.db, chat.id, user.id, is_admin)
    view, result = await poll_service.result_of(deps.db, int(pid))
    if view.cluster.chat_id != chat.id:
        raise UnknownPoll(poll_id=view.poll.id)
    person = await membership.get_person(deps.db, user.id)
    if person is None or not person.reachable:
        raise PrivateChatNeeded(bot_username=context.bot.username, purpose="files")
    if view.poll.is_open:
        await query.answer()
        return
    from bot.minutes import build_minutes  # python-docx only when minutes are asked for

    data = build_minutes(
        view.cluster, view, result, view.poll.closed_at or deps.clock.now(), view.tz
    )
    await query.answer()
    await context.bot.send_document(
        user.id, InputFile(data, filename=f"bien_ban_kiem_phieu_{view.poll.id}.docx")
    )


def _message_again(context: AnyContext, view: PollView) -> tuple[str, InlineKeyboardMarkup | None]:
    t = translator(view.cluster.locale)
    return render_poll(view, t), poll_markup(view, t, context.bot.username)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    MISSING_POSTERS["poll"] = ItemPoster(
        "poll",
        poll_service.views_without_message,
        lambda view: (view.poll.id, view.poll.created_at),
        _message_again,
        poll_service.remember_poll_message,
    )
    LIVE_REFRESHERS["poll"] = lambda context, _chat_id, poll_id: refresh(context, poll_id)
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["poll", "binhchon"], cmd_poll, filters=fresh))
    app.add_handler(CallbackQueryHandler(cb_vote, pattern=cb.PATTERNS[cb.POLL_VOTE]))
    app.add_handler(CallbackQueryHandler(cb_ballot, pattern=cb.PATTERNS[cb.BALLOT]))
    app.add_handler(CallbackQueryHandler(cb_review, pattern=cb.PATTERNS[cb.BALLOT_REVIEW]))
    app.add_handler(CallbackQueryHandler(cb_cast, pattern=cb.PATTERNS[cb.BALLOT_CAST]))
    app.add_handler(CallbackQueryHandler(cb_manage, pattern=cb.PATTERNS[cb.POLL_MANAGE]))
    CONTINUATIONS["poll"] = _continue_poll
    TICK_HOOKS.append(close_due_polls)
