"""Documents from liaisons: which request they answer, download, receipt, and review."""

from __future__ import annotations

import asyncio
import html
import logging
import uuid
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.domain import (
    FileRefused,
    NoOpenRequest,
    NotALiaison,
    NotASubmission,
    PrivateChatNeeded,
)
from bot.files import (
    BOT_API_DOWNLOAD_LIMIT,
    format_duration_en,
    format_duration_vi,
    format_size_en,
    format_size_vi,
    sha256_file,
    write_and_hash,
)
from bot.i18n import format_when, translator
from bot.services import clusters as cluster_service
from bot.services import membership
from bot.services import submissions as submission_service
from bot.services.submissions import Candidate, Document, Download, Recorded
from handlers import callback_data as cb
from handlers.common import (
    BotApp,
    BotContext,
    edit_quietly,
    guarded,
    is_private,
    mark_blocked,
    mention,
    press_parts,
    private_locale,
    reply,
    require_chat,
    require_group,
    require_message,
    require_user,
    send_private,
    send_safe,
    sender_is_admin,
    tell_privately,
    translations,
)
from handlers.dialogues import CONTINUATIONS, ask
from handlers.requests import refresh

if TYPE_CHECKING:
    from datetime import datetime

    from babel.support import NullTranslations
    from telegram import Update

log = logging.getLogger(__name__)


def _size(size: int | None, locale: str) -> str:
    if size is None:
        return "?"
    return format_size_en(size) if locale == "en" else format_size_vi(size)


def _late(seconds: int, locale: str) -> str:
    return format_duration_en(seconds) if locale == "en" else format_duration_vi(seconds)


def render_receipt(recorded: Recorded, t: NullTranslations, locale: str) -> str:
    """The receipt a liaison gets: unit, request, version, size, time, on time or late."""
    _ = t.gettext
    view, sub = recorded.view, recorded.submission
    title = html.escape(view.request.title)
    unit = html.escape(recorded.unit.name)
    if recorded.duplicate:
        return _(
            "ℹ️ This file is the same as version {version} already received from {unit} for "
            "“{title}”; no new version was recorded."
        ).format(version=sub.version, unit=unit, title=title)
    timing = (
        _("late by {duration}").format(duration=_late(sub.late_seconds, locale))
        if sub.late_seconds > 0
        else _("on time")
    )
    lines = [
        _(
            "✅ Received the report of {unit} for “{title}” — version {version}, {size}, "
            "submitted at {when} ({timing})."
        ).format(
            unit=unit,
            title=title,
            version=sub.version,
            size=_size(sub.file_size, locale),
            when=format_when(sub.submitted_at, view.tz, locale),
            timing=timing,
        )
    ]
    if sub.storage == "too_big":
        lines.append(
            _(
                "The file is larger than the 20 MB a bot may download, so it is kept by its "
                "Telegram file id; the secretariat can still receive it."
            )
        )
    elif sub.storage == "failed":
        lines.append(
            _(
                "The file could not be downloaded just now; it is kept by its Telegram file id "
                "and nothing is lost."
            )
        )
    return "\n".join(lines)


def review_markup(submission_id: int, t: NullTranslations) -> InlineKeyboardMarkup:
    """Accept / return buttons for the secretariat."""
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Accept"), callback_data=cb.encode(cb.REVIEW, "a", submission_id)
                ),
                InlineKeyboardButton(
                    _("Return for revision"),
                    callback_data=cb.encode(cb.REVIEW, "r", submission_id),
                ),
            ]
        ]
    )


def _document(update: Update) -> Document:
    message = require_message(update)
    document = message.document
    assert document is not None  # the handler's filter guarantees it
    return Document(
        file_id=document.file_id,
        file_unique_id=document.file_unique_id,
        file_name=document.file_name,
        mime_type=document.mime_type,
        file_size=document.file_size,
        caption=message.caption or "",
    )


@guarded
async def on_document(update: Update, context: BotContext) -> None:
    """A liaison sends a file: find its request, check, store, and answer with a receipt."""
    message = require_message(update)
    private = is_private(update)
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    deps = context.deps
    chat = require_chat(update)
    user = require_user(update)
    # The secretariat posts drafts and plans in the group: theirs count only when explicit.
    explicit_only = not private and await cluster_service.is_secretariat_of_chat(
        deps.db, chat.id, user.id, await sender_is_admin(update, context)
    )
    try:
        target = await submission_service.find_target(
            deps.db,
            chat_id=chat.id,
            private=private,
            user_id=user.id,
            reply_to=reply_to,
            caption=message.caption or "",
            explicit_only=explicit_only,
        )
    except NotASubmission:
        log.debug("document in update %s is not a submission", update.update_id)
        return
    except (NotALiaison, NoOpenRequest) as exc:
        # In a group, people share other files too: only a reply to the bot is ours.
        if private or (reply_to is not None and await _replies_to_bot(update, context)):
            raise
        log.debug("document in update %s left alone: %s", update.update_id, exc.code)
        return
    document = _document(update)
    if target.chosen is not None:
        await submit(update, context, target.chosen, document, sent_at=message.date)
        return
    _refuse_if_fits_none(target.candidates, document)
    pending_id = await submission_service.park_document(
        deps.db, user_id=user.id, chat_id=chat.id, document=document, sent_at=message.date
    )
    rows = [
        [
            InlineKeyboardButton(
                c.request.title[:60], callback_data=cb.encode(cb.SUBMIT, pending_id, c.request.id)
            )
        ]
        for c in target.candidates
    ]
    _ = (await translations(update, context)).gettext
    await reply(update, _("Which request is this file for?"), InlineKeyboardMarkup(rows))


def _refuse_if_fits_none(candidates: tuple[Candidate, ...], document: Document) -> None:
    """Refuse a bad file before asking which request it is for."""
    refusal: FileRefused | None = None
    for candidate in candidates:
        try:
            submission_service.check_document(candidate.request, document)
        except FileRefused as exc:
            refusal = exc
        else:
            return
    if refusal is not None:
        raise refusal


async def _replies_to_bot(update: Update, context: BotContext) -> bool:
    message = require_message(update)
    replied = message.reply_to_message
    return (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    )


@guarded
async def cb_submit(update: Update, context: BotContext) -> None:
    """The liaison picked the request for a parked document."""
    query, (pending, rid) = press_parts(update, cb.SUBMIT)
    deps = context.deps
    document, candidate, sent_at = await submission_service.pick_parked(
        deps.db,
        pending_id=int(pending),
        request_id=int(rid),
        user_id=require_user(update).id,
        now=deps.clock.now(),
    )
    # Answered only once the file is recorded: a refusal must reach the person as an alert.
    await submit(update, context, candidate, document, pending_id=int(pending), sent_at=sent_at)
    await query.answer()
    await edit_quietly(update, html.escape(candidate.request.title))


async def _download(context: BotContext, document: Document) -> tuple[Download | None, str]:
    """Fetch the file when the Bot API allows it; say how it is kept."""
    deps = context.deps
    limit = None if deps.settings.local_api else BOT_API_DOWNLOAD_LIMIT
    if limit is not None and document.file_size is not None and document.file_size > limit:
        return None, "too_big"
    tmp_dir = deps.settings.files_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{uuid.uuid4().hex}.part"
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        # Never log telegram_file.file_path: it is a URL that contains the token.
        if deps.settings.local_api:
            # A local Bot API server hands over a path: copied, never held in memory.
            await telegram_file.download_to_drive(path)
            digest = await asyncio.to_thread(sha256_file, path)
            size = path.stat().st_size
        else:
            # From Telegram's servers PTB holds the whole file (≤ 20 MB) in memory anyway;
            # writing and hashing it is one trip to a worker thread, off the event loop.
            content = await telegram_file.download_as_bytearray()
            digest = await asyncio.to_thread(write_and_hash, path, content)
            size = len(content)
    except TelegramError as exc:
        path.unlink(missing_ok=True)
        too_big = "too big" in str(exc).lower()
        log.warning("download of a submission failed: %s", type(exc).__name__)
        return None, "too_big" if too_big else "failed"
    except OSError:
        path.unlink(missing_ok=True)
        log.exception("could not write a downloaded submission")
        return None, "failed"
    return Download(path=path, sha256=digest, size=size), "stored"


async def submit(
    update: Update,
    context: BotContext,
    candidate: Candidate,
    document: Document,
    pending_id: int | None = None,
    sent_at: datetime | None = None,
) -> None:
    """Check, download and record a document, then answer with a receipt."""
    deps = context.deps
    submission_service.check_document(candidate.request, document)
    download, storage = await _download(context, document)
    if download is not None and download.size == 0:
        download.path.unlink(missing_ok=True)
        submission_service.check_document(
            candidate.request,
            Document(
                document.file_id,
                document.file_unique_id,
                document.file_name,
                document.mime_type,
                0,
            ),
        )
    recorded = await submission_service.record_submission(
        deps.db,
        files_dir=deps.settings.files_dir,
        candidate=candidate,
        document=document,
        download=download,
        storage=storage,
        user_id=require_user(update).id,
        now=deps.clock.now(),
        submitted_at=sent_at,
        update_id=update.update_id,
        pending_id=pending_id,
    )
    cluster = recorded.view.cluster
    private = is_private(update)
    locale = await _locale(update, context) if private else cluster.locale
    t = translator(locale)
    receipt = render_receipt(recorded, t, locale)
    if recorded.duplicate:
        await reply(update, receipt)
        return
    group_t = translator(cluster.locale)
    markup = review_markup(recorded.submission.id, group_t)
    if private:
        await reply(update, receipt)
        note = group_t.gettext(
            "📥 {unit} submitted “{title}” (version {version}) in the private chat."
        ).format(
            unit=html.escape(recorded.unit.code),
            title=html.escape(recorded.view.request.title),
            version=recorded.submission.version,
        )
        await send_safe(context, cluster.chat_id, note, markup)
    else:
        await reply(update, receipt, markup)
    refresh(context, cluster.chat_id, recorded.view.request.id)


async def _locale(update: Update, context: BotContext) -> str:
    person = await membership.get_person(context.deps.db, require_user(update).id)
    return private_locale(person, context.deps.settings.locale)


@guarded
async def cb_review(update: Update, context: BotContext) -> None:
    """Accept a submission, or ask the reviewer for the revision comment."""
    query, (decision, sid) = press_parts(update, cb.REVIEW)
    deps = context.deps
    chat = require_group(update)
    user = require_user(update)
    is_admin = await sender_is_admin(update, context)
    if decision == "r":
        await submission_service.check_reviewable(
            deps.db,
            chat_id=chat.id,
            submission_id=int(sid),
            user_id=user.id,
            is_group_admin=is_admin,
        )
        await query.answer()
        _ = (await translations(update, context)).gettext
        await ask(
            update,
            context,
            "return_comment",
            _(
                "{who}, please reply to this message with what the unit should complete or "
                "correct."
            ).format(who=mention(user.id, user.full_name)),
            state={"submission_id": int(sid)},
        )
        return
    recorded = await submission_service.review_submission(
        deps.db,
        chat_id=chat.id,
        submission_id=int(sid),
        accept=True,
        comment=None,
        user_id=user.id,
        is_group_admin=is_admin,
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    await query.answer()
    await _after_review(update, context, recorded, user.full_name)


async def _continue_return(
    update: Update, context: BotContext, text: str, state: dict[str, object]
) -> None:
    deps = context.deps
    user = require_user(update)
    recorded = await submission_service.review_submission(
        deps.db,
        chat_id=require_group(update).id,
        submission_id=int(str(state["submission_id"])),
        accept=False,
        comment=text,
        user_id=user.id,
        is_group_admin=await sender_is_admin(update, context),
        now=deps.clock.now(),
        update_id=update.update_id,
    )
    await _after_review(update, context, recorded, user.full_name)


async def _after_review(
    update: Update, context: BotContext, recorded: Recorded, reviewer: str
) -> None:
    """Tell the unit's liaisons, in the group and privately, and update the request."""
    view = recorded.view
    sub = recorded.submission
    args = {
        "unit": html.escape(recorded.unit.code),
        "title": html.escape(view.request.title),
        "version": sub.version,
        "by": html.escape(reviewer),
        "comment": html.escape(sub.review_comment or ""),
    }

    def build(t: NullTranslations, _locale: str) -> str:
        _ = t.gettext
        if sub.review == "accepted":
            return _(
                "✅ The cluster secretariat accepted the report of {unit} for “{title}” "
                "(version {version}; accepted by {by})."
            ).format(**args)
        return _(
            "↩️ The cluster secretariat asks {unit} to complete the report for “{title}” "
            "(version {version}): {comment}\nPlease send the revised file as a new version."
        ).format(**args)

    text = build(translator(view.cluster.locale), view.cluster.locale)
    people = view.liaisons.get(recorded.unit.id, ())
    mentions = ", ".join(mention(p.user_id, p.full_name) for p in people)
    if update.callback_query is not None:
        # Keep the receipt (version, size, time) and add the decision under it.
        receipt = render_receipt(
            Recorded(view, recorded.unit, sub, duplicate=False),
            translator(view.cluster.locale),
            view.cluster.locale,
        )
        await edit_quietly(update, f"{receipt}\n\n{text}")
        if mentions:
            await send_safe(context, view.cluster.chat_id, mentions)
    else:
        await send_safe(context, view.cluster.chat_id, f"{text}\n{mentions}" if mentions else text)
    await tell_privately(context, people, view.cluster.locale, build)
    refresh(context, view.cluster.chat_id, view.request.id)


async def send_files(update: Update, context: BotContext, request_id: int, is_admin: bool) -> None:
    """Send each unit's latest file privately to the secretariat member who asked."""
    deps = context.deps
    user = require_user(update)
    view = await submission_service.latest_files(
        deps.db,
        chat_id=require_group(update).id,
        request_id=request_id,
        user_id=user.id,
        is_group_admin=is_admin,
    )
    person = await membership.get_person(deps.db, user.id)
    if person is None or not person.reachable:
        raise PrivateChatNeeded(bot_username=context.bot.username, purpose="files")
    locale = private_locale(person, view.cluster.locale)
    _ = translator(locale).gettext
    lines = [_("Files for “{title}”:").format(title=html.escape(view.request.title))]
    for unit in view.units:
        sub = view.latest.get(unit.id)
        if sub is None:
            lines.append(_("{code}: not submitted").format(code=html.escape(unit.code)))
            continue
        lines.append(
            _("{code}: version {version}, {size}, {when}").format(
                code=html.escape(unit.code),
                version=sub.version,
                size=_size(sub.file_size, locale),
                when=format_when(sub.submitted_at, view.tz, locale),
            )
        )
    await send_private(context, user.id, "\n".join(lines))
    for unit in view.units:
        sub = view.latest.get(unit.id)
        if sub is None:
            continue
        try:
            # By file id: works for any size, and only this bot can send it.
            await context.bot.send_document(
                user.id, sub.file_id, caption=f"{unit.code} – v{sub.version}"
            )
        except Forbidden:
            await mark_blocked(deps, user.id)
            return
        except TelegramError as exc:
            # One unreadable file must not keep the others from the secretariat.
            log.warning("could not send %s v%s: %s", unit.code, sub.version, exc)
            await send_private(
                context,
                user.id,
                _("{code}: the file could not be sent ({error}).").format(
                    code=html.escape(unit.code), error=html.escape(type(exc).__name__)
                ),
            )


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, on_document))
    app.add_handler(CallbackQueryHandler(cb_submit, pattern=cb.PATTERNS[cb.SUBMIT]))
    app.add_handler(CallbackQueryHandler(cb_review, pattern=cb.PATTERNS[cb.REVIEW]))
    CONTINUATIONS["return_comment"] = _continue_return
