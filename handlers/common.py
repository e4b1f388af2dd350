"""Helpers every handler uses: typed context, message narrowing, language, roles, safe sending."""

from __future__ import annotations

import functools
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, overload

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType, MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.domain import AlreadyHandled, DomainError, GroupOnly
from bot.i18n import pick_locale, translator
from bot.services import clusters as cluster_service
from bot.services import membership
from bot.services import status as status_service
from bot.services.common import handler_call, record_refusal
from bot.services.membership import PersonInfo
from handlers import callback_data as cb
from handlers.messages import render_error

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from telegram import ForceReply, InlineKeyboardMarkup

    from bot.deps import Deps
    from bot.domain import Person
    from db.connection import Database

log = logging.getLogger(__name__)
_TAG_RE = re.compile(r"<[^>]+>")


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB context with our typed dependencies."""

    @property
    def deps(self) -> Deps:
        """The bot's database, settings, clock and caches."""
        deps: Deps = self.application.bot_data["deps"]
        return deps


BotApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
Handler = Callable[[Update, BotContext], Awaitable[None]]
H = TypeVar("H", bound=Handler)


def require_message(update: Update) -> Message:
    """Return the update's message (commands never come without one)."""
    message = update.effective_message
    if message is None:
        raise RuntimeError("update without a message")
    return message


def require_user(update: Update) -> User:
    """Return who sent the update."""
    user = update.effective_user
    if user is None:
        raise RuntimeError("update without a user")
    return user


def require_chat(update: Update) -> Chat:
    """Return the chat the update happened in."""
    chat = update.effective_chat
    if chat is None:
        raise RuntimeError("update without a chat")
    return chat


def is_private(update: Update) -> bool:
    """Tell whether the update comes from a private chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def require_group(update: Update) -> Chat:
    """Return the group chat, or refuse a command that only works in the cluster's group."""
    chat = require_chat(update)
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise GroupOnly()
    return chat


def press_parts(update: Update, prefix: str) -> tuple[CallbackQuery, tuple[str, ...]]:
    """Return the pressed button's query and payload parts.

    The CallbackQueryHandler's anchored pattern already matched the payload; the parts
    are ids that the service still checks against the database.
    """
    query = update.callback_query
    parts = cb.decode(prefix, query.data if query else None)
    if query is None or parts is None:
        raise RuntimeError(f"press without a {prefix} payload")
    return query, parts


def person_info(user: User) -> PersonInfo:
    """Copy what services need to know about a Telegram user."""
    return PersonInfo(
        user_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def command_text(message: Message) -> str:
    """Return everything after the command, newlines kept (context.args loses them)."""
    text = message.text or message.caption or ""
    for entity in message.entities or message.caption_entities:
        if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            # Commands are ASCII, so UTF-16 offsets equal str offsets here.
            return text[entity.length :].strip()
    return text.strip()


def mention(user_id: int, name: str) -> str:
    """An HTML mention that notifies the person."""
    return f'<a href="tg://user?id={user_id}">{html.escape(name)}</a>'


def private_locale(person: Person | None, default: str) -> str:
    """The language to write to a person privately: their choice, else Telegram's, else default."""
    return pick_locale(
        chosen=person.locale if person else None,
        telegram_language=person.language_code if person else None,
        default=default,
    )


async def locale_of(update: Update, context: BotContext) -> str:
    """Pick the language to answer in: the cluster's in a group, the person's in private."""
    deps = context.deps
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None and chat.type != ChatType.PRIVATE:
        cluster = await cluster_service.get_cluster_for_chat(deps.db, chat.id)
        return cluster.locale if cluster else deps.settings.locale
    person = await membership.get_person(deps.db, user.id) if user else None
    return pick_locale(
        chosen=person.locale if person else None,
        telegram_language=user.language_code if user else None,
        default=deps.settings.locale,
    )


async def translations(update: Update, context: BotContext) -> NullTranslations:
    """Return the catalog for this update's chat."""
    return translator(await locale_of(update, context))


async def is_group_admin(context: BotContext, chat_id: int, user: User | None) -> bool:
    """Tell whether the user administers the group (cached a few minutes)."""
    if user is None:
        return False
    # Anonymous admins post as the group itself (GroupAnonymousBot).
    if user.id == 1087968824:
        return True
    cache = context.deps.admins
    now = time.monotonic()
    admin_ids = cache.get(chat_id, now)
    if admin_ids is None:
        members = await context.bot.get_chat_administrators(chat_id)
        admin_ids = frozenset(m.user.id for m in members)
        cache.put(chat_id, admin_ids, now)
    return user.id in admin_ids


async def sender_is_admin(update: Update, context: BotContext) -> bool:
    """Whether the sender of this group update is a group administrator."""
    chat = require_chat(update)
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    return await is_group_admin(context, chat.id, update.effective_user)


async def reply(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the update's chat, split into parts when longer than Telegram allows."""
    message = require_message(update)
    # Telegram refuses empty messages: blank parts (from runs of empty lines) are skipped.
    parts = [p for p in split_text(text) if p.strip()]
    sent: Message | None = None
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        sent = await message.reply_text(part, reply_markup=markup)
    return sent


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut text at line breaks into parts of at most `limit` characters.

    A single line longer than the limit is cut where it must be.
    """
    if len(text) <= limit:
        return [text]  # what the loop below would give, without rebuilding it line by line
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        while len(line) > limit:
            if current is not None:
                parts.append(current)
                current = None
            parts.append(line[:limit])
            line = line[limit:]
        if current is None:
            current = line
        elif len(current) + 1 + len(line) <= limit:
            current = f"{current}\n{line}"
        else:
            parts.append(current)
            current = line
    if current is not None:
        parts.append(current)
    return parts


async def send_safe(
    context: BotContext,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> Message | None:
    """Send a message; follow a migrated group, skip a person who blocked the bot."""
    try:
        return await context.bot.send_message(chat_id, text, reply_markup=reply_markup)
    except ChatMigrated as exc:
        await follow_migration(context, chat_id, exc.new_chat_id)
        return await context.bot.send_message(exc.new_chat_id, text, reply_markup=reply_markup)
    except Forbidden:
        if chat_id > 0:
            await mark_blocked(context.deps, chat_id)
        log.info("chat %s cannot be written to (403)", chat_id)
        return None


async def mark_blocked(deps: Deps, user_id: int) -> None:
    """The person blocked the bot (403): no private message is tried until they write again.

    The tracker's memory of them is dropped, so their next private message (any, not only
    /start) is recorded again, which unblocks them.
    """
    deps.known_people.pop(user_id, None)
    await membership.mark_blocked(deps.db, user_id, deps.clock.now())


AnyContext = CallbackContext[Any, Any, Any, Any]


@dataclass(frozen=True)
class ItemPoster:
    """How one kind of open item (request, meeting, poll) gets its group message again."""

    kind: str
    views: Callable[[Database], Awaitable[Sequence[Any]]]  # open, without a message
    describe: Callable[[Any], tuple[int, datetime | None]]  # a view's item id, created at
    message: Callable[[AnyContext, Any], tuple[str, InlineKeyboardMarkup | None]]
    remember: Callable[[Database, int, int], Awaitable[None]]  # (db, item id, message id)


# Post the group messages of open items that have none (a send failed, a crash came between
# recording and posting, or the group moved): handlers/requests, meetings and polls register
# theirs, by kind. An item created after the cutoff may still be on its way to the group
# from the handler that created it (posting it too would show it twice, and replies to the
# first copy would not count), so it is left for a later run.
MISSING_POSTERS: dict[str, ItemPoster] = {}
POST_GRACE = timedelta(seconds=60)


async def job_post_missing(context: AnyContext) -> None:
    """Post every open item's missing group message; the board then shows the new state."""
    deps: Deps = context.application.bot_data["deps"]
    job = getattr(context, "job", None)
    grace = job.data if job is not None and isinstance(job.data, timedelta) else POST_GRACE
    cutoff = deps.clock.now() - grace
    chats: set[int] = set()
    waiting = False
    for poster in MISSING_POSTERS.values():
        try:
            for view in await poster.views(deps.db):
                item_id, created = poster.describe(view)
                if created is not None and created > cutoff:
                    waiting = True  # its handler may still be posting it
                    continue
                text, markup = poster.message(context, view)
                try:
                    sent = await context.bot.send_message(
                        view.cluster.chat_id, text, reply_markup=markup
                    )
                except TelegramError as exc:
                    log.warning("%s %s still not posted: %s", poster.kind, item_id, exc)
                    continue
                await poster.remember(deps.db, item_id, sent.message_id)
                chats.add(view.cluster.chat_id)
        except Exception:  # one kind failing must not keep the others unposted
            log.exception("posting missing %s messages failed", poster.kind)
    for chat_id in chats:
        notify_change(context, chat_id)  # type: ignore[arg-type]
    if waiting:
        schedule_missing_posts(context.application.job_queue, POST_GRACE.total_seconds())


# How to refresh an open item's live message, by kind ("request", "meeting", "poll"):
# handlers/requests, meetings and polls register theirs.
LIVE_REFRESHERS: dict[str, Callable[[BotContext, int, int], None]] = {}
# In bot_data while the refresh after a crash is still to run (a stop runs it: bot/app.py).
LIVE_REFRESH_PENDING = "live_refresh_pending"


async def job_refresh_live(context: AnyContext) -> None:
    """After a crash: edits still waiting in the LiveEditor's window died with the process,
    so every open item's message is refreshed once (unchanged ones cost a refused edit)."""
    context.application.bot_data.pop(LIVE_REFRESH_PENDING, None)
    deps: Deps = context.application.bot_data["deps"]
    for kind, item_id, chat_id in await status_service.open_item_refs(deps.db):
        refresher = LIVE_REFRESHERS.get(kind)
        if refresher is not None:
            refresher(context, chat_id, item_id)  # type: ignore[arg-type]


def schedule_missing_posts(
    job_queue: JobQueue[Any] | None, delay: float, grace: timedelta = POST_GRACE
) -> None:
    """Run job_post_missing once, `delay` seconds from now, leaving items younger than
    `grace` (none after a migration: every open item lost its message at once)."""
    if job_queue is not None:
        job_queue.run_once(job_post_missing, when=delay, name="post_missing", data=grace)


async def follow_migration(context: AnyContext, old_chat_id: int, new_chat_id: int) -> bool:
    """The group became a supergroup: move its cluster there and post its open items again."""
    deps: Deps = context.application.bot_data["deps"]
    moved = await cluster_service.migrate_chat(deps.db, old_chat_id, new_chat_id, deps.clock.now())
    if moved:
        log.info("cluster moved from chat %s to %s", old_chat_id, new_chat_id)
        schedule_missing_posts(context.application.job_queue, 0, grace=timedelta(0))
    return moved


async def send_private(
    context: BotContext,
    user_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> Message | None:
    """Write to a person privately if they opened the chat with the bot; else do nothing."""
    person = await membership.get_person(context.deps.db, user_id)
    if person is None or not person.reachable:
        return None
    return await send_safe(context, user_id, text, reply_markup)


async def tell_privately(
    context: BotContext,
    people: Iterable[Person],
    default_locale: str,
    build: Callable[[NullTranslations, str], str],
) -> None:
    """Send each reachable person a message written in their own language."""
    for person in people:
        if person.reachable:
            locale = private_locale(person, default_locale)
            await send_safe(context, person.user_id, build(translator(locale), locale))


async def bot_can_see_documents(context: BotContext, chat_id: int) -> bool:
    """Tell whether documents posted in the group reach the bot (admin, or privacy off)."""
    if context.bot.can_read_all_group_messages:
        return True
    try:
        member = await context.bot.get_chat_member(chat_id, context.bot.id)
    except BadRequest:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


LiveMessage = tuple[int, int | None, str, "InlineKeyboardMarkup | None"]


def refresh_live(
    context: BotContext, key: tuple[str, int], load: Callable[[], Awaitable[LiveMessage]]
) -> None:
    """Schedule a batched edit of a live message; `load` reads the latest state when it runs.

    `load` returns (chat id, message id or None, text, keyboard).
    """

    async def render() -> None:
        chat_id, message_id, text, markup = await load()
        if message_id is None:
            return
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as exc:
            # Unchanged text, or the message was deleted: nothing to fix here.
            log.info("live message %s not edited: %s", key, exc)
        except ChatMigrated as exc:
            # The group moved: following it posts the item's message there again.
            await follow_migration(context, chat_id, exc.new_chat_id)
            return
        notify_change(context, chat_id)

    context.deps.live.touch(key, render)


async def edit_quietly(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text of the message a button belongs to; unchanged text is not an error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as exc:
        # PTB strips "Bad Request: " and capitalises: compare case-insensitively.
        if "message is not modified" not in str(exc).lower():
            raise


# Called with (context, group chat id) after a handler ran in a cluster's group, and after
# a live item message was refreshed: the pinned board (handlers/board.py) listens.
CHANGE_HOOKS: list[Callable[[BotContext, int], None]] = []


def notify_change(context: BotContext, chat_id: int) -> None:
    """Tell the listeners that something in the group's cluster may have changed."""
    for hook in CHANGE_HOOKS:
        hook(context, chat_id)


def _stale_query(exc: BadRequest) -> bool:
    """Telegram's answer to a second answerCallbackQuery, or one after about 15 s."""
    return "query is too old" in str(exc).lower() or "query id is invalid" in str(exc).lower()


@overload
def guarded(func: H, *, changes: bool = True) -> H: ...
@overload
def guarded(func: None = None, *, changes: bool = True) -> Callable[[H], H]: ...
def guarded(func: H | None = None, *, changes: bool = True) -> H | Callable[[H], H]:
    """Turn domain errors raised by a handler into a polite answer; drop replayed updates.

    After a handler ran in a group, the board hears of it (it may have changed something);
    `@guarded(changes=False)` marks a handler that only reads (/status, /help, /units).
    """
    if func is None:
        return functools.partial(_guard, changes=changes)
    return _guard(func, changes=changes)


def _guard(func: H, *, changes: bool) -> H:

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> None:
        with handler_call():
            await _call_guarded(func, update, context, changes=changes)

    return wrapper  # type: ignore[return-value]


async def _call_guarded(
    func: Handler, update: Update, context: BotContext, *, changes: bool
) -> None:
    """Run the handler; answer a refusal, skip a replay, tell the board of a change."""
    try:
        try:
            await func(update, context)
        except BadRequest as exc:
            if update.callback_query is None or not _stale_query(exc):
                raise
            # Telegram refused the answer (too late, or the press was answered
            # already): whatever the handler recorded stands.
            log.info("press %s already answered: %s", update.update_id, exc)
        chat = update.effective_chat
        if changes and chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
            notify_change(context, chat.id)
    except AlreadyHandled:
        await _skip_handled(update, context)
    except DomainError as exc:
        # A refusal is recorded like an effect: a redelivery is skipped, never judged
        # again with other facts (a press refused, then accepted after a restart).
        deps = context.deps
        if not await record_refusal(deps.db, update.update_id, deps.clock.now()):
            await _skip_handled(update, context)  # a twin or an earlier run acted on it
            return
        t = await translations(update, context)
        text = render_error(exc, t)
        if update.callback_query is not None:
            # Alerts are plain text of at most 200 characters.
            plain = html.unescape(_TAG_RE.sub("", text))
            await update.callback_query.answer(plain[:200], show_alert=True)
        elif update.effective_message is not None:
            await reply(update, text)


async def _skip_handled(update: Update, context: BotContext) -> None:
    """A redelivered update whose outcome is committed: do nothing again."""
    log.info("update %s already handled; skipped", update.update_id)
    # Handled by this very process (a twin delivered at the same time, or moments ago):
    # that copy answered the press. After a restart, stop the spinner.
    if update.callback_query is None or context.deps.db.handled_here(update.update_id):
        return
    try:
        await update.callback_query.answer()  # stop the button's spinner
    except BadRequest as exc:
        if not _stale_query(exc):
            raise
        # Answered the first time round: nothing to stop.
        log.info("replayed press %s not answered again: %s", update.update_id, exc)
