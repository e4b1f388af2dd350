"""A small, faithful fake of the Telegram Bot API server for offline tests and demos."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import mimetypes
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import tornado.httpserver
import tornado.netutil
import tornado.web

if TYPE_CHECKING:
    import random
    from collections.abc import Awaitable, Callable, Iterable

__all__ = [
    "ApiError",
    "Call",
    "Chat",
    "EntityParseError",
    "LocalBotAPI",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "User",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
LOCAL_UPLOAD_LIMIT = 2000 * 1024 * 1024

_NOT_FOUND: dict[str, Any] = {"ok": False, "error_code": 404, "description": "Not Found"}
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
# Update types Telegram leaves out unless they are listed in allowed_updates explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "until_date",
        "duration",
        "width",
        "height",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "has_spoiler",
        "disable_content_type_detection",
        "allow_paid_broadcast",
        "show_caption_above_media",
        "revoke_messages",
        "only_if_banned",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "media",
        "message_ids",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_INT_RE = re.compile(r"^-?\d+$")
_USER_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{5,32})")
_WHITESPACE = " \t\r\n"


# ---------------------------------------------------------------------------
# Errors and records
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered to the bot as ``{"ok": false, ...}`` with a matching HTTP status."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        """Remember the code, the description and the optional response parameters."""
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram would answer with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str, parameters: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {description}", parameters)


def _forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


class EntityParseError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


@dataclass
class User:
    """A simulated Telegram user (or the bot itself, with ``is_bot``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    is_bot: bool = False
    started: bool = False
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the Bot API ``User`` object."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    """A simulated chat: a user's private chat with the bot, a group or a supergroup."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    admins: list[int] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    bot_status: str = "member"
    migrated_to: int | None = None
    migrated_from: int | None = None
    pinned: list[int] = field(default_factory=list)
    next_message_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        return data

    @property
    def bot_is_member(self) -> bool:
        """Whether the bot is currently in the chat."""
        return self.type == "private" or self.bot_status in ("member", "administrator")


@dataclass
class UploadedFile:
    """One file part of a multipart request."""

    file_name: str
    content: bytes
    mime_type: str | None = None


@dataclass
class StoredFile:
    """A file the server keeps: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    content: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None

    @property
    def file_size(self) -> int:
        """Size in bytes."""
        return len(self.content)


@dataclass
class Call:
    """One request the bot made, with its decoded parameters and the answer it got."""

    method: str
    params: dict[str, Any]
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    ok: bool | None = None
    error_code: int | None = None
    description: str | None = None
    result: Any = None


@dataclass
class SentMessage:
    """A message the bot sent, as it stands now (``sent()``) or at one event (``history``)."""

    chat_id: int
    message_id: int
    method: str
    event: str
    text: str | None
    plain: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    date: int
    message: dict[str, Any]
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row, flattened."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        """The callback_data of every inline button, in order."""
        return [str(b["callback_data"]) for b in self.buttons if "callback_data" in b]

    def button(self, label: str) -> str:
        """Return the callback_data of the button whose text equals (else contains) label."""
        buttons = [b for b in self.buttons if "callback_data" in b]
        for candidates in (
            [b for b in buttons if b.get("text") == label],
            [b for b in buttons if label in str(b.get("text", ""))],
        ):
            if candidates:
                return str(candidates[0]["callback_data"])
        texts = [b.get("text") for b in self.buttons]
        msg = f"no callback button {label!r} in message {self.message_id}; buttons: {texts}"
        raise KeyError(msg)

    def snapshot(self) -> SentMessage:
        """Return an independent copy."""
        return dataclasses.replace(
            self,
            entities=copy.deepcopy(self.entities),
            reply_markup=copy.deepcopy(self.reply_markup),
            message=copy.deepcopy(self.message),
        )


@dataclass
class _Injected:
    method: str
    error: ApiError
    remaining: int
    chat_id: int | None


@dataclass
class _RequestContext:
    closed: bool = False


@dataclass
class _Poll:
    context: _RequestContext
    conflicted: bool = False


@dataclass
class _Request:
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    context: _RequestContext


# ---------------------------------------------------------------------------
# Text formatting (Telegram's HTML, MarkdownV2 and Markdown parse modes)
# ---------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at text[pos] == '&'; None leaves the '&' as is."""
    n = len(text)
    j = pos + 1
    if j < n and text[j] == "#":
        j += 1
        base, digits = 10, "0123456789"
        if j < n and text[j] in "xX":
            base, digits = 16, "0123456789abcdefABCDEF"
            j += 1
        start = j
        while j < n and text[j] in digits:
            j += 1
        if j == start or j - start > 8:
            return None
        code = int(text[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        named = _NAMED_ENTITIES.get(text[start:j])
        if named is None:
            return None
        char = named
    if j < n and text[j] == ";":
        j += 1
    return char, j


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError like Telegram."""
    out: list[str] = []
    offset = 0  # UTF-16 position in the plain text
    stack: list[tuple[str, str, int]] = []  # tag name, argument, start offset
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    def emit(chunk: str) -> None:
        nonlocal offset
        out.append(chunk)
        offset += _utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            emit(char)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                msg = f"Unexpected end tag at byte offset {byte_offset(begin)}"
                raise EntityParseError(msg)
            i += 2
            name_start = i
            while i < n and text[i] not in _WHITESPACE and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _WHITESPACE:
                i += 1
            if i >= n or text[i] != ">":
                msg = f"Unclosed end tag at byte offset {byte_offset(begin)}"
                raise EntityParseError(msg)
            i += 1
            tag, argument, start = stack.pop()
            if end_name and end_name != tag:
                msg = (
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{tag}>", found "</{end_name}>"'
                )
                raise EntityParseError(msg)
            if offset > start:
                _close_html_entity(entities, tag, argument, start, offset)
            continue
        # A start tag.
        i += 1
        name_start = i
        while i < n and text[i] not in _WHITESPACE and text[i] != ">":
            i += 1
        if i >= n:
            msg = f"Unclosed start tag at byte offset {byte_offset(begin)}"
            raise EntityParseError(msg)
        tag = text[name_start:i].lower()
        if tag not in _HTML_TAGS:
            msg = f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
            raise EntityParseError(msg)
        argument = ""
        while True:
            while i < n and text[i] in _WHITESPACE:
                i += 1
            if i >= n:
                msg = f"Unclosed start tag at byte offset {byte_offset(begin)}"
                raise EntityParseError(msg)
            if text[i] == ">":
                i += 1
                break
            attr_start = i
            while i < n and text[i] not in _WHITESPACE and text[i] not in "=>":
                i += 1
            attr = text[attr_start:i].lower()
            if not attr:
                msg = (
                    f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(begin)}'
                )
                raise EntityParseError(msg)
            while i < n and text[i] in _WHITESPACE:
                i += 1
            if i >= n or text[i] != "=":
                if tag == "blockquote" and attr == "expandable":
                    argument = "expandable"
                    continue
                msg = (
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {byte_offset(begin)}'
                )
                raise EntityParseError(msg)
            i += 1
            while i < n and text[i] in _WHITESPACE:
                i += 1
            if i >= n:
                msg = f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                raise EntityParseError(msg)
            if text[i] in "\"'":
                quote = text[i]
                i += 1
                value_chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        decoded = _decode_html_entity(text, i)
                        if decoded is not None:
                            value_chars.append(decoded[0])
                            i = decoded[1]
                            continue
                    value_chars.append(text[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(value_chars)
            else:
                value_start = i
                while i < n and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                value = text[value_start:i].lower()
                if i < n and text[i] not in _WHITESPACE and text[i] != ">":
                    msg = f"Unexpected end of name token at byte offset {byte_offset(value_start)}"
                    raise EntityParseError(msg)
            if tag == "a" and attr == "href":
                argument = value
            elif tag == "code" and attr == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attr == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attr == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            msg = f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
            raise EntityParseError(msg)
        stack.append((tag, argument, offset))
    if stack:
        msg = f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        raise EntityParseError(msg)
    return "".join(out), _sorted_entities(entities)


def _close_html_entity(
    entities: list[dict[str, Any]], tag: str, argument: str, start: int, end: int
) -> None:
    kind = _HTML_ENTITY_TYPES[tag]
    entity: dict[str, Any] = {"type": kind, "offset": start, "length": end - start}
    if tag == "a":
        if not argument:
            return
        entity["url"] = argument
    elif tag == "tg-emoji":
        if not argument:
            return
        entity["custom_emoji_id"] = argument
    elif tag == "blockquote" and argument == "expandable":
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and argument:
        entity["language"] = argument
    elif tag == "pre":
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        for inner in entities:
            if (
                inner["type"] == "code"
                and inner["offset"] == start
                and inner["length"] == end - start
                and "language" in inner
            ):
                entity["language"] = inner["language"]
                entities.remove(inner)
                break
    entities.append(entity)


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    # Same span: the entity closed later encloses the other one and comes first.
    order = sorted(
        range(len(entities)),
        key=lambda i: (entities[i]["offset"], -entities[i]["length"], -i),
    )
    return [entities[i] for i in order]


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram MarkdownV2 (without block quotes) into (plain text, entities)."""
    out: list[str] = []
    offset = 0
    stack: list[tuple[str, int, int, str]] = []  # kind, utf16 start, byte offset, language
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal offset
        out.append(chunk)
        offset += _utf16_len(chunk)

    def opening(kind: str, pos: int, language: str = "") -> None:
        stack.append((kind, offset, len(text[:pos].encode("utf-8")), language))

    def closing(extra: dict[str, Any] | None = None) -> None:
        kind, start, _, language = stack.pop()
        if offset > start:
            entity: dict[str, Any] = {"type": kind, "offset": start, "length": offset - start}
            if language:
                entity["language"] = language
            entity.update(extra or {})
            entities.append(entity)

    while i < n:
        char = text[i]
        top = stack[-1][0] if stack else None
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            emit(text[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            if top == "pre" and text.startswith("```", i):
                closing()
                i += 3
            elif top == "code" and char == "`":
                closing()
                i += 1
            else:
                emit(char)
                i += 1
            continue
        if char not in _MDV2_RESERVED:
            emit(char)
            i += 1
            continue
        if top == "bold" and char == "*":
            closing()
            i += 1
            continue
        if top == "underline" and text.startswith("__", i):
            closing()
            i += 2
            continue
        if top == "italic" and char == "_":
            closing()
            i += 1
            continue
        if top == "strikethrough" and char == "~":
            closing()
            i += 1
            continue
        if top == "spoiler" and text.startswith("||", i):
            closing()
            i += 2
            continue
        if top == "text_link" and char == "]":
            i += 1
            url = ""
            if i < n and text[i] == "(":
                i += 1
                url_chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n:
                        i += 1
                    url_chars.append(text[i])
                    i += 1
                if i >= n:
                    msg = f"Can't find end of a URL at byte offset {len(text[:i].encode())}"
                    raise EntityParseError(msg)
                i += 1
                url = "".join(url_chars)
            if url:
                closing({"url": url})
            else:
                stack.pop()
            continue
        if char == "*":
            opening("bold", i)
            i += 1
        elif text.startswith("__", i):
            opening("underline", i)
            i += 2
        elif char == "_":
            opening("italic", i)
            i += 1
        elif char == "~":
            opening("strikethrough", i)
            i += 1
        elif text.startswith("||", i):
            opening("spoiler", i)
            i += 2
        elif char == "[":
            opening("text_link", i)
            i += 1
        elif text.startswith("```", i):
            start = i
            i += 3
            line_end = text.find("\n", i)
            language = ""
            if line_end != -1 and text[i:line_end].strip() and " " not in text[i:line_end]:
                language = text[i:line_end].strip()
                i = line_end + 1
            elif line_end != -1 and not text[i:line_end].strip():
                i = line_end + 1
            opening("pre", start, language)
        elif char == "`":
            opening("code", i)
            i += 1
        else:
            msg = f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            raise EntityParseError(msg)
    if stack:
        kind, _, begin, _ = stack[-1]
        msg = f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {begin}"
        raise EntityParseError(msg)
    return "".join(out), _sorted_entities(entities)


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's legacy Markdown parse mode into (plain text, entities)."""
    out: list[str] = []
    offset = 0
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal offset
        out.append(chunk)
        offset += _utf16_len(chunk)

    def fail(pos: int) -> EntityParseError:
        begin = len(text[:pos].encode("utf-8"))
        return EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")

    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            emit(text[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            emit(char)
            i += 1
            continue
        start = offset
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise fail(i)
            body = text[i + 3 : end]
            language = ""
            first, sep, rest = body.partition("\n")
            if sep and first and " " not in first:
                language, body = first, rest
            emit(body)
            entity: dict[str, Any] = {"type": "pre", "offset": start, "length": offset - start}
            if language:
                entity["language"] = language
            i = end + 3
        elif char == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise fail(i)
            emit(text[i + 1 : close])
            entity = {"type": "text_link", "offset": start, "length": offset - start}
            i = close + 1
            if i < n and text[i] == "(":
                url_end = text.find(")", i)
                if url_end == -1:
                    raise fail(i)
                entity["url"] = text[i + 1 : url_end]
                i = url_end + 1
            else:
                continue
        else:
            end = text.find(char, i + 1)
            if end == -1:
                raise fail(i)
            emit(text[i + 1 : end])
            kind = {"_": "italic", "*": "bold", "`": "code"}[char]
            entity = {"type": kind, "offset": start, "length": offset - start}
            i = end + 1
        if entity["length"] > 0:
            entities.append(entity)
    return "".join(out), _sorted_entities(entities)


def _strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip(_WHITESPACE)
    if stripped == text:
        return text, entities
    lead = len(text) - len(text.lstrip(_WHITESPACE))
    shift = _utf16_len(text[:lead])
    total = _utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(int(entity["offset"]) - shift, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - shift, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


# ---------------------------------------------------------------------------
# Parameter helpers
# ---------------------------------------------------------------------------


def _decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    if name == "reply_markup":
                        raise _bad("can't parse reply keyboard markup JSON object") from None
                    if name in ("entities", "caption_entities"):
                        raise _bad("can't parse entities JSON object") from None
                    raise _bad(f"can't parse {name} JSON object") from None
            elif name in _INT_FIELDS and _INT_RE.match(value.strip()):
                value = int(value.strip())
            elif name in _FLOAT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = float(value)
            elif name in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        params[name] = value
    return params


def _get_int(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise _bad(f"{name} is empty")
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise _bad(f"invalid {name} specified")


def _get_float(params: dict[str, Any], name: str, default: float) -> float:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {name} specified") from None


def _get_bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a reply_markup that Telegram shows in the Message object."""
    if markup and markup.get("inline_keyboard"):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    inner = copy.deepcopy(message)
    inner.pop("reply_to_message", None)
    return inner


def _guess_mime(file_name: str) -> str:
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or "application/octet-stream"


def _png_size(content: bytes) -> tuple[int, int] | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    return None


# ---------------------------------------------------------------------------
# Tornado handlers
# ---------------------------------------------------------------------------


class _ApiHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, api: LocalBotAPI) -> None:
        self.api = api
        self.context = _RequestContext()

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    def on_connection_close(self) -> None:
        self.context.closed = True
        self.api._notify()

    async def _serve(self, token: str, method: str) -> None:
        status, payload = await self.api._handle_request(
            token, method, self._collect_params(), self._collect_files(), self.context
        )
        if self.context.closed:
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, ensure_ascii=False))

    def _collect_params(self) -> dict[str, Any] | ApiError:
        params: dict[str, Any] = {
            name: values[-1].decode("utf-8", "replace")
            for name, values in self.request.query_arguments.items()
        }
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            if not self.request.body:
                return params
            try:
                body = json.loads(self.request.body)
            except ValueError:
                return _bad("can't parse JSON object")
            if not isinstance(body, dict):
                return _bad("JSON object expected")
            params.update(body)
            return params
        for name, values in self.request.body_arguments.items():
            params[name] = values[-1].decode("utf-8", "replace")
        return params

    def _collect_files(self) -> dict[str, UploadedFile]:
        return {
            name: UploadedFile(
                file_name=parts[-1].filename or name,
                content=parts[-1].body,
                mime_type=parts[-1].content_type or None,
            )
            for name, parts in self.request.files.items()
            if parts
        }


class _FileHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def initialize(self, api: LocalBotAPI) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        stored = self.api._file_for_download(token, path)
        if stored is None:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(_NOT_FOUND))
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(stored.content)


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(_NOT_FOUND))


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


class LocalBotAPI:
    """Fake Bot API server plus a Python API to simulate users, groups and Telegram's rules.

    Use it from the event loop that runs it: ``await api.start()``, then point the bot at
    ``api.base_url`` / ``api.base_file_url`` and drive it with ``send_text``, ``press`` …
    """

    def __init__(
        self,
        token: str = "123456:TEST-local",  # noqa: S107 - a fake token for a fake server
        *,
        bot_username: str = "cum_thi_dua_bot",
        bot_name: str = "Cụm thi đua (local)",
        local_mode: bool = False,
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure the fake; nothing listens until ``start()``."""
        bot_id_text = token.split(":", 1)[0]
        if not bot_id_text.isdigit():
            msg = f"token must look like '<digits>:<secret>', got {token!r}"
            raise ValueError(msg)
        self.token = token
        self.local_mode = local_mode
        self.privacy_mode = privacy_mode
        self.bot_user = User(
            id=int(bot_id_text),
            first_name=bot_name,
            username=bot_username,
            is_bot=True,
            language_code=None,
        )
        self.clock = clock
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.calls: list[Call] = []
        self.history: list[SentMessage] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.webhook: dict[str, Any] | None = None
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._sent: list[SentMessage] = []
        self._sent_index: dict[tuple[int, int], SentMessage] = {}
        self._pending: list[dict[str, Any]] = []
        self._archive: dict[int, dict[str, Any]] = {}
        self._deliveries: dict[int, int] = {}
        self._next_update_id = 1
        # When set, each getUpdates answer comes in a shuffled order (out-of-order delivery).
        # A client that confirms with "last update of the batch + 1", as PTB does, then gets
        # the higher ids again: updates delivered out of order *and* twice.
        self.shuffle: random.Random | None = None
        self._allowed_updates: list[str] = []
        self._callbacks: dict[str, bool] = {}
        self._next_callback_id = 1
        self._files_by_path: dict[str, StoredFile] = {}
        self._next_file_number = 1
        self._injected: list[_Injected] = []
        self._claimed_history: set[int] = set()
        self._claimed_calls: set[int] = set()
        self._waiters: set[asyncio.Future[None]] = set()
        self._active_poll: _Poll | None = None
        self._closing = False
        self._server: tornado.httpserver.HTTPServer | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._methods: dict[str, tuple[str, Callable[[_Request], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._m_get_me),
                ("getUpdates", self._m_get_updates),
                ("setWebhook", self._m_set_webhook),
                ("deleteWebhook", self._m_delete_webhook),
                ("getWebhookInfo", self._m_get_webhook_info),
                ("logOut", self._m_true),
                ("close", self._m_true),
                ("setMyCommands", self._m_set_my_commands),
                ("getMyCommands", self._m_get_my_commands),
                ("deleteMyCommands", self._m_delete_my_commands),
                ("sendMessage", self._m_send_message),
                ("editMessageText", self._m_edit_message_text),
                ("editMessageCaption", self._m_edit_message_caption),
                ("editMessageReplyMarkup", self._m_edit_message_reply_markup),
                ("deleteMessage", self._m_delete_message),
                ("answerCallbackQuery", self._m_answer_callback_query),
                ("pinChatMessage", self._m_pin_chat_message),
                ("unpinChatMessage", self._m_unpin_chat_message),
                ("getChat", self._m_get_chat),
                ("getChatMember", self._m_get_chat_member),
                ("getChatAdministrators", self._m_get_chat_administrators),
                ("getChatMemberCount", self._m_get_chat_member_count),
                ("sendDocument", self._m_send_document),
                ("sendPhoto", self._m_send_photo),
                ("getFile", self._m_get_file),
                ("sendChatAction", self._m_send_chat_action),
                ("leaveChat", self._m_leave_chat),
                ("copyMessage", self._m_copy_message),
                ("forwardMessage", self._m_forward_message),
            )
        }

    # -- lifecycle ---------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        if self._server is not None:
            msg = "LocalBotAPI is already running"
            raise RuntimeError(msg)
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([^/]+)", _ApiHandler, {"api": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self}),
            ],
            default_handler_class=_NotFoundHandler,
        )
        sockets = tornado.netutil.bind_sockets(port, host)
        server = tornado.httpserver.HTTPServer(app, max_body_size=LOCAL_UPLOAD_LIMIT + 2**20)
        server.add_sockets(sockets)
        self._server = server
        self._host = host
        self._port = int(sockets[0].getsockname()[1])
        self._closing = False

    async def stop(self) -> None:
        """Answer pending long polls, close every connection and stop listening."""
        server = self._server
        if server is None:
            return
        self._closing = True
        self._notify()
        server.stop()
        await asyncio.sleep(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), 5)
        self._server = None
        self._active_poll = None

    async def __aenter__(self) -> LocalBotAPI:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._port is None:
            msg = "LocalBotAPI is not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` / TELEGRAM_API_BASE_URL (ends in ``/bot``)."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` / TELEGRAM_API_FILE_URL (ends in ``/file/bot``)."""
        return f"http://{self._host}:{self.port}/file/bot"

    @property
    def bot_id(self) -> int:
        """The bot's user id (the digits before ':' in the token)."""
        return self.bot_user.id

    # -- building the world --------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "vi",
        *,
        started: bool = False,
    ) -> User:
        """Create a user and their private chat; ``started`` = already opened the bot."""
        if user_id <= 0:
            msg = f"user ids are positive, got {user_id}"
            raise ValueError(msg)
        if user_id in self.users or user_id == self.bot_id:
            msg = f"user {user_id} already exists"
            raise ValueError(msg)
        user = User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = Chat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
            members={user_id},
        )
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = False,
        admins: Iterable[int] = (),
        bot_is_admin: bool = False,
        bot_member: bool = True,
        members: Iterable[int] = (),
        username: str | None = None,
    ) -> Chat:
        """Create a group (the first admin is its creator); the bot is in it unless told not."""
        if chat_id >= 0:
            msg = f"group ids are negative, got {chat_id}"
            raise ValueError(msg)
        if supergroup and chat_id > -1_000_000_000_000:
            msg = f"supergroup ids look like -100xxxxxxxxxx, got {chat_id}"
            raise ValueError(msg)
        if chat_id in self.chats:
            msg = f"chat {chat_id} already exists"
            raise ValueError(msg)
        admin_ids = list(dict.fromkeys(admins))
        for uid in [*admin_ids, *members]:
            self._user(uid)
        status = "administrator" if bot_is_admin else ("member" if bot_member else "left")
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            admins=admin_ids,
            members={*admin_ids, *members},
            bot_status=status,
        )
        self.chats[chat_id] = chat
        return chat

    def set_admins(
        self,
        chat_id: int,
        user_ids: Iterable[int],
        *,
        bot_is_admin: bool | None = None,
        by_user_id: int | None = None,
    ) -> dict[str, Any] | None:
        """Replace the admin list; a change of the bot's rank enqueues my_chat_member."""
        chat = self._group(chat_id)
        ids = list(dict.fromkeys(user_ids))
        for uid in ids:
            self._user(uid)
        chat.admins = ids
        chat.members.update(ids)
        if bot_is_admin is None or not chat.bot_is_member:
            return None
        new_status = "administrator" if bot_is_admin else "member"
        if new_status == chat.bot_status:
            return None
        return self._change_bot_status(chat, new_status, self._actor(chat, by_user_id))

    def add_bot_to_group(
        self, chat_id: int, by_user_id: int, *, as_admin: bool = False
    ) -> dict[str, Any]:
        """Add the bot: enqueue my_chat_member and the new_chat_members service message."""
        chat = self._group(chat_id)
        if chat.bot_is_member:
            msg = f"the bot is already in chat {chat_id}"
            raise ValueError(msg)
        actor = self._user(by_user_id)
        chat.members.add(actor.id)
        update = self._change_bot_status(chat, "administrator" if as_admin else "member", actor)
        message = self._new_message(
            chat,
            actor.to_dict(),
            {
                "new_chat_members": [self.bot_user.to_dict()],
                "new_chat_member": self.bot_user.to_dict(),
                "new_chat_participant": self.bot_user.to_dict(),
            },
        )
        self.enqueue_update({"message": message})
        return update

    def remove_bot_from_group(self, chat_id: int, by_user_id: int) -> dict[str, Any]:
        """Kick the bot out: enqueue my_chat_member (kicked); sending there then fails with 403."""
        chat = self._group(chat_id)
        if not chat.bot_is_member:
            msg = f"the bot is not in chat {chat_id}"
            raise ValueError(msg)
        return self._change_bot_status(chat, "kicked", self._user(by_user_id))

    def user_joins(
        self, chat_id: int, user_id: int, *, by_user_id: int | None = None
    ) -> dict[str, Any]:
        """A user joins (or is added to) a group: new_chat_members message (+ chat_member)."""
        chat = self._group(chat_id)
        user = self._user(user_id)
        actor = self._user(by_user_id) if by_user_id is not None else user
        chat.members.add(user.id)
        message = self._new_message(
            chat,
            actor.to_dict(),
            {
                "new_chat_members": [user.to_dict()],
                "new_chat_member": user.to_dict(),
                "new_chat_participant": user.to_dict(),
            },
        )
        if chat.bot_status == "administrator":
            self.enqueue_update(
                {
                    "chat_member": {
                        "chat": chat.to_dict(),
                        "from": actor.to_dict(),
                        "date": self._now(),
                        "old_chat_member": {"status": "left", "user": user.to_dict()},
                        "new_chat_member": {"status": "member", "user": user.to_dict()},
                    }
                }
            )
        return self._deliver_user_message(chat, message, service=True)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A group administrator deletes a message (Telegram tells bots nothing of it)."""
        messages = self._messages.get(chat_id, {})
        if message_id not in messages:
            msg = f"no message {message_id} in chat {chat_id}"
            raise KeyError(msg)
        del messages[message_id]
        chat = self.chats[chat_id]
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        sent = self._sent_index.get((chat_id, message_id))
        if sent is not None:
            sent.deleted = True

    def user_leaves(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """A user leaves a group: left_chat_member message (+ chat_member if bot is admin)."""
        chat = self._group(chat_id)
        user = self._user(user_id)
        chat.members.discard(user.id)
        if user.id in chat.admins:
            chat.admins.remove(user.id)
        message = self._new_message(
            chat,
            user.to_dict(),
            {"left_chat_member": user.to_dict(), "left_chat_participant": user.to_dict()},
        )
        if chat.bot_status == "administrator":
            self.enqueue_update(
                {
                    "chat_member": {
                        "chat": chat.to_dict(),
                        "from": user.to_dict(),
                        "date": self._now(),
                        "old_chat_member": {"status": "member", "user": user.to_dict()},
                        "new_chat_member": {"status": "left", "user": user.to_dict()},
                    }
                }
            )
        return self._deliver_user_message(chat, message, service=True)

    def migrate_group(
        self, old_chat_id: int, new_chat_id: int, *, by_user_id: int | None = None
    ) -> Chat:
        """Upgrade a group to a supergroup: service messages in both, old id answers 400."""
        old = self._group(old_chat_id)
        if old.type != "group" or old.migrated_to is not None:
            msg = f"chat {old_chat_id} is not an active basic group"
            raise ValueError(msg)
        actor = self._actor(old, by_user_id)
        new = self.add_group(
            new_chat_id,
            old.title or "",
            supergroup=True,
            admins=old.admins,
            bot_is_admin=old.bot_status == "administrator",
            bot_member=old.bot_is_member,
            members=old.members,
        )
        new.migrated_from = old.id
        see = old.bot_is_member
        message = self._new_message(old, actor.to_dict(), {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        if see:
            self.enqueue_update({"message": message})
        message = self._new_message(new, actor.to_dict(), {"migrate_from_chat_id": old.id})
        if see:
            self.enqueue_update({"message": message})
        return new

    def block_bot(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: my_chat_member (kicked); sending to them then gives 403."""
        user = self._user(user_id)
        user.blocked = True
        chat = self.chats[user.id]
        return self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": user.to_dict(),
                    "date": self._now(),
                    "old_chat_member": {"status": "member", "user": self.bot_user.to_dict()},
                    "new_chat_member": {
                        "status": "kicked",
                        "user": self.bot_user.to_dict(),
                        "until_date": 0,
                    },
                }
            }
        )

    # -- simulated people ------------------------------------------------------

    def send_text(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user sends text; returns the update (no ``update_id`` if the bot can't see it).

        A leading ``/cmd`` or ``/cmd@bot`` gets a bot_command entity and ``@username`` a
        mention; in a private chat the user counts as having started (and unblocked) the bot.
        """
        user, chat = self._speaker(user_id, chat_id)
        content: dict[str, Any] = {"text": text}
        found = entities if entities is not None else self._detect_entities(text)
        if found:
            content["entities"] = found
        return self._user_message(user, chat, content, reply_to)

    def send_document(
        self,
        user_id: int,
        chat_id: int,
        file_name: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file; it is stored and the bot can getFile/download it."""
        user, chat = self._speaker(user_id, chat_id)
        stored = self._store_file(
            content, "documents", file_name, mime_type or _guess_mime(file_name)
        )
        body: dict[str, Any] = {"document": self._document_dict(stored)}
        if caption:
            body["caption"] = caption
            found = self._detect_entities(caption)
            if found:
                body["caption_entities"] = found
        return self._user_message(user, chat, body, reply_to)

    def edit_text(self, user_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """A user edits their earlier text message: enqueue an edited_message update."""
        user, chat = self._speaker(user_id, chat_id)
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None or message.get("from", {}).get("id") != user.id:
            msg = f"user {user_id} has no message {message_id} in chat {chat_id}"
            raise ValueError(msg)
        message["text"] = text
        message["edit_date"] = self._now()
        found = self._detect_entities(text)
        if found:
            message["entities"] = found
        else:
            message.pop("entities", None)
        update: dict[str, Any] = {"edited_message": copy.deepcopy(message)}
        if self._bot_sees(chat, message):
            return self.enqueue_update(update)
        return update

    def press(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """A user presses an inline button of the bot's message; returns the callback_query update.

        With ``strict`` the message must carry a button with exactly that callback_data.
        """
        user = self._user(user_id)
        chat = self._chat(chat_id)
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None:
            msg = f"no message {message_id} in chat {chat_id}"
            raise ValueError(msg)
        if strict:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            datas = [b.get("callback_data") for row in rows for b in row]
            if callback_data not in datas:
                msg = f"message {message_id} has no button with callback_data {callback_data!r}"
                raise ValueError(msg)
        query_id = f"{self.bot_id}{self._next_callback_id:08d}"
        self._next_callback_id += 1
        self._callbacks[query_id] = False
        return self.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": copy.deepcopy(message),
                    "chat_instance": str(abs(chat.id) * 7919 % 10**12 + 10**12),
                    "data": callback_data,
                }
            }
        )

    # -- the update queue --------------------------------------------------------

    def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give any update body (e.g. ``{"edited_message": ...}``) an update_id and queue it."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._archive[update["update_id"]] = update
        self._pending.append(update)
        self._notify()
        return update

    def redeliver(self, update_id: int) -> None:
        """Queue an already confirmed update again, same update_id (a crash before confirming).

        Only a poller that starts from offset 0 (a restarted bot) gets it: a running one
        confirms it away with its offset.
        """
        update = self._archive.get(update_id)
        if update is None:
            msg = f"unknown update {update_id}"
            raise KeyError(msg)
        if all(u["update_id"] != update_id for u in self._pending):
            self._pending.append(update)
            self._pending.sort(key=lambda u: int(u["update_id"]))
        self._notify()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (delivered or not)."""
        return list(self._pending)

    @property
    def updates(self) -> list[dict[str, Any]]:
        """Every update ever enqueued, in order."""
        return [self._archive[k] for k in sorted(self._archive)]

    def delivery_count(self, update_id: int) -> int:
        """How many getUpdates answers carried this update."""
        return self._deliveries.get(update_id, 0)

    def is_consumed(self, update_id: int) -> bool:
        """Whether the bot confirmed (offset past) this update."""
        if update_id not in self._archive:
            return False
        return all(u["update_id"] != update_id for u in self._pending)

    # -- errors -----------------------------------------------------------------

    def inject_error(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of method (optionally only for chat_id) fail so."""
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        self._injected.append(
            _Injected(
                method=method.lower(),
                error=ApiError(error_code, description, parameters or None),
                remaining=times,
                chat_id=chat_id,
            )
        )

    # -- inspecting what the bot did -------------------------------------------

    def sent(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Messages the bot sent, in order, each in its current (possibly edited) state."""
        return [
            m
            for m in self._sent
            if (chat_id is None or m.chat_id == chat_id) and (include_deleted or not m.deleted)
        ]

    def last_sent(self, chat_id: int | None = None) -> SentMessage:
        """The bot's latest message (in chat_id); AssertionError if there is none."""
        messages = self.sent(chat_id)
        if not messages:
            msg = f"the bot sent nothing{'' if chat_id is None else f' to {chat_id}'}"
            raise AssertionError(msg)
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Any stored message (the bot's or a user's) as a Bot API object, or None."""
        found = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(found) if found is not None else None

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for that scope and language."""
        key = (self._scope_key(scope), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    def file_content(self, file_id: str) -> bytes:
        """Bytes of a stored file (e.g. a document the bot sent)."""
        return self.files[file_id].content

    def mark(self) -> int:
        """A cursor into ``history`` for ``wait_for_message(since=...)``."""
        return len(self.history)

    def calls_mark(self) -> int:
        """A cursor into ``calls`` for ``wait_for_call(since=...)``."""
        return len(self.calls)

    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        chat_id: int | None = None,
        contains: str | None = None,
        since: int | None = None,
        include_edits: bool = True,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait for a matching send (or edit) event and return its snapshot.

        With ``since=None`` the search covers every event not already returned by an earlier
        ``wait_for_message`` (so nothing sent before the call is missed, nothing is returned
        twice); with ``since=api.mark()`` only events after that mark count.
        """

        def check() -> SentMessage | None:
            start = 0 if since is None else since
            for index in range(start, len(self.history)):
                if since is None and index in self._claimed_history:
                    continue
                event = self.history[index]
                if chat_id is not None and event.chat_id != chat_id:
                    continue
                if not include_edits and event.event != "sent":
                    continue
                if contains is not None and contains not in (event.plain or ""):
                    continue
                if predicate is not None and not predicate(event):
                    continue
                self._claimed_history.add(index)
                return event
            return None

        return await self._wait_until(check, timeout, "matching message from the bot")

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        since: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Call:
        """Wait for a finished request to method (case-insensitive), same cursor rules."""
        wanted = method.lower()

        def check() -> Call | None:
            start = 0 if since is None else since
            for index in range(start, len(self.calls)):
                if since is None and index in self._claimed_calls:
                    continue
                call = self.calls[index]
                if call.method.lower() != wanted or call.ok is None:
                    continue
                if predicate is not None and not predicate(call):
                    continue
                self._claimed_calls.add(index)
                return call
            return None

        return await self._wait_until(check, timeout, f"{method} call")

    async def wait_until_consumed(
        self,
        update_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the bot confirmed the update (a later getUpdates had offset > id).

        PTB confirms when it polls again, right after handing updates to its queue: this
        does not mean the handler finished.
        """
        await self._wait_until(
            lambda: True if self.is_consumed(update_id) else None,
            timeout,
            f"confirmation of update {update_id}",
        )

    async def wait_until_idle(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        require_polling: bool = True,
    ) -> None:
        """Wait until every update is confirmed and (by default) the bot is long-polling."""

        def check() -> bool | None:
            if self._pending:
                return None
            if require_polling and not self.is_polling:
                return None
            return True

        await self._wait_until(check, timeout, "the bot to confirm every update")

    async def wait_until_polling(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until a getUpdates request is being held open."""
        await self._wait_until(
            lambda: True if self.is_polling else None, timeout, "the bot to poll"
        )

    @property
    def is_polling(self) -> bool:
        """Whether a getUpdates long poll is currently held open."""
        poll = self._active_poll
        return poll is not None and not poll.conflicted and not poll.context.closed

    # -- internals: waiting -------------------------------------------------------

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, seconds: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait([waiter], timeout=seconds)
        finally:
            self._waiters.discard(waiter)
            if not waiter.done():
                waiter.cancel()

    async def _wait_until(self, check: Callable[[], _T | None], seconds: float, what: str) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            value = check()
            if value is not None:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                msg = f"LocalBotAPI: no {what} within {seconds} s"
                raise TimeoutError(msg)
            await self._wait_change(remaining)

    # -- internals: request handling ----------------------------------------------

    async def _handle_request(
        self,
        token: str,
        method: str,
        raw: dict[str, Any] | ApiError,
        files: dict[str, UploadedFile],
        context: _RequestContext,
    ) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 404, dict(_NOT_FOUND)
        entry = self._methods.get(method.lower())
        call = Call(
            method=entry[0] if entry else method,
            params=raw if isinstance(raw, dict) else {},
            time=self.clock(),
            files=files,
        )
        self.calls.append(call)
        try:
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            if isinstance(raw, ApiError):
                raise raw
            call.params = _decode_params(raw)
            self._check_injected(entry[0], call.params)
            result = await entry[1](_Request(call.params, files, context))
        except ApiError as error:
            call.ok = False
            call.error_code = error.error_code
            call.description = error.description
            status, payload = error.error_code, error.payload()
        except Exception:
            logger.exception("LocalBotAPI failed on %s", method)
            call.ok = False
            call.error_code = 500
            call.description = "Internal Server Error"
            status = 500
            payload = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        else:
            call.ok = True
            call.result = result
            status, payload = 200, {"ok": True, "result": result}
        self._notify()
        return status, payload

    def _check_injected(self, method: str, params: dict[str, Any]) -> None:
        for injected in self._injected:
            if injected.method != method.lower() or injected.remaining <= 0:
                continue
            if injected.chat_id is not None and params.get("chat_id") != injected.chat_id:
                continue
            injected.remaining -= 1
            if injected.remaining <= 0:
                self._injected.remove(injected)
            raise injected.error

    def _file_for_download(self, token: str, path: str) -> StoredFile | None:
        if token != self.token:
            return None
        return self._files_by_path.get(path)

    # -- internals: world helpers ------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _user(self, user_id: int | None) -> User:
        if user_id is None or user_id not in self.users:
            msg = f"unknown user {user_id}; add_user() first"
            raise ValueError(msg)
        return self.users[user_id]

    def _chat(self, chat_id: int) -> Chat:
        if chat_id not in self.chats:
            msg = f"unknown chat {chat_id}; add_user()/add_group() first"
            raise ValueError(msg)
        return self.chats[chat_id]

    def _group(self, chat_id: int) -> Chat:
        chat = self._chat(chat_id)
        if chat.type == "private":
            msg = f"chat {chat_id} is a private chat"
            raise ValueError(msg)
        return chat

    def _actor(self, chat: Chat, by_user_id: int | None) -> User:
        if by_user_id is not None:
            return self._user(by_user_id)
        if chat.admins:
            return self._user(chat.admins[0])
        if chat.members:
            return self._user(min(chat.members))
        msg = f"chat {chat.id} has nobody to act; pass by_user_id"
        raise ValueError(msg)

    def _speaker(self, user_id: int, chat_id: int) -> tuple[User, Chat]:
        user = self._user(user_id)
        chat = self._chat(chat_id)
        if chat.type == "private" and chat.id != user.id:
            msg = f"user {user_id} can't write in the private chat of {chat_id}"
            raise ValueError(msg)
        if chat.migrated_to is not None:
            msg = f"chat {chat_id} was migrated to {chat.migrated_to}"
            raise ValueError(msg)
        return user, chat

    def _bot_member_dict(self, status: str) -> dict[str, Any]:
        if status == "administrator":
            return self._admin_member(self.bot_user, can_be_edited=False)
        data: dict[str, Any] = {"status": status, "user": self.bot_user.to_dict()}
        if status == "kicked":
            data["until_date"] = 0
        return data

    def _admin_member(self, user: User, *, can_be_edited: bool = False) -> dict[str, Any]:
        return {
            "status": "administrator",
            "user": user.to_dict(),
            "can_be_edited": can_be_edited,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": True,
            "can_edit_stories": True,
            "can_delete_stories": True,
            "can_pin_messages": True,
        }

    def _member_dict(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self._bot_member_dict("member" if chat.type == "private" else chat.bot_status)
        user = self.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
            return {"status": status, "user": user.to_dict()}
        if chat.admins and chat.admins[0] == user_id:
            return {"status": "creator", "user": user.to_dict(), "is_anonymous": False}
        if user_id in chat.admins:
            return self._admin_member(user)
        status = "member" if user_id in chat.members else "left"
        return {"status": status, "user": user.to_dict()}

    def _change_bot_status(self, chat: Chat, new_status: str, actor: User) -> dict[str, Any]:
        old_status = chat.bot_status
        chat.bot_status = new_status
        return self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": actor.to_dict(),
                    "date": self._now(),
                    "old_chat_member": self._bot_member_dict(old_status),
                    "new_chat_member": self._bot_member_dict(new_status),
                }
            }
        )

    def _new_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_dict(),
            "date": self._now(),
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        message.update(content)
        self._messages.setdefault(chat.id, {})[message_id] = message
        return message

    def _detect_entities(self, text: str) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        command = _USER_COMMAND_RE.match(text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        for mention in _MENTION_RE.finditer(text):
            entities.append(
                {
                    "type": "mention",
                    "offset": _utf16_len(text[: mention.start()]),
                    "length": _utf16_len(mention.group(0)),
                }
            )
        return entities

    def _user_message(
        self, user: User, chat: Chat, content: dict[str, Any], reply_to: int | None
    ) -> dict[str, Any]:
        if chat.type == "private" and user.blocked:
            user.blocked = False
            self.enqueue_update(
                {
                    "my_chat_member": {
                        "chat": chat.to_dict(),
                        "from": user.to_dict(),
                        "date": self._now(),
                        "old_chat_member": self._bot_member_dict("kicked"),
                        "new_chat_member": self._bot_member_dict("member"),
                    }
                }
            )
        if chat.type == "private":
            user.started = True
        else:
            chat.members.add(user.id)
        reply: dict[str, Any] | None = None
        if reply_to is not None:
            reply = self._messages.get(chat.id, {}).get(reply_to)
            if reply is None:
                msg = f"no message {reply_to} in chat {chat.id} to reply to"
                raise ValueError(msg)
        message = self._new_message(chat, user.to_dict(), content)
        if reply is not None:
            message["reply_to_message"] = _without_reply(reply)
        return self._deliver_user_message(chat, message)

    def _deliver_user_message(
        self, chat: Chat, message: dict[str, Any], *, service: bool = False
    ) -> dict[str, Any]:
        if self._bot_sees(chat, message, service=service):
            return self.enqueue_update({"message": message})
        return {"message": copy.deepcopy(message)}

    def _bot_sees(self, chat: Chat, message: dict[str, Any], *, service: bool = False) -> bool:
        """Privacy mode: what a bot in a group receives."""
        if chat.type == "private":
            return True
        if not chat.bot_is_member:
            return False
        if service or not self.privacy_mode or chat.bot_status == "administrator":
            return True
        text = str(message.get("text") or message.get("caption") or "")
        command = _USER_COMMAND_RE.match(text)
        if command:
            target = command.group(2)
            if target is None or target.lower() == (self.bot_user.username or "").lower():
                return True
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        mention = f"@{self.bot_user.username}".lower()
        return any(m.group(0).lower() == mention for m in _MENTION_RE.finditer(text))

    def _store_file(
        self, content: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = self._next_file_number
        self._next_file_number += 1
        prefix = {"documents": "BQACAgIAAxkBAA", "photos": "AgACAgIAAxkBAA"}.get(kind, "CAAC")
        stored = StoredFile(
            file_id=f"{prefix}{number:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{number:06d}",
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _document_dict(self, stored: StoredFile) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    def _photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        width, height = _png_size(stored.content) or (800, 600)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
                "width": width,
                "height": height,
            }
        ]

    # -- internals: Telegram's rules ---------------------------------------------

    def _find_chat(self, params: dict[str, Any], name: str = "chat_id") -> Chat:
        value = params.get(name)
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        chat: Chat | None = None
        if isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if c.username and c.username.lower() == wanted and c.type != "private"
                ),
                None,
            )
        else:
            try:
                chat = self.chats.get(_get_int(params, name))
            except ApiError:
                chat = None
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _readable_chat(self, params: dict[str, Any], name: str = "chat_id") -> Chat:
        chat = self._find_chat(params, name)
        if chat.type != "private" and not chat.bot_is_member:
            raise self._not_member_error(chat)
        return chat

    def _writable_chat(self, params: dict[str, Any], *, need_started: bool = True) -> Chat:
        chat = self._find_chat(params)
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise _forbidden("bot was blocked by the user")
            if need_started and not user.started:
                raise _forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_is_member:
            raise self._not_member_error(chat)
        return chat

    @staticmethod
    def _not_member_error(chat: Chat) -> ApiError:
        if chat.type == "group":
            return _forbidden("bot was kicked from the group chat")
        if chat.bot_status == "kicked":
            return _forbidden("bot was kicked from the supergroup chat")
        return _forbidden("bot is not a member of the supergroup chat")

    def _format(
        self,
        text: str,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool,
    ) -> tuple[str, list[dict[str, Any]]]:
        if entities:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
            ):
                raise _bad("can't parse entities JSON object")
            plain, found = text, [dict(e) for e in entities]
        elif parse_mode:
            mode = str(parse_mode).lower()
            parser = {
                "html": parse_html,
                "markdownv2": parse_markdown_v2,
                "markdown": parse_markdown,
            }.get(mode)
            if parser is None:
                raise _bad("unsupported parse_mode")
            try:
                plain, found = parser(text)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        else:
            plain, found = text, []
        plain, found = _strip_text(plain, found)
        if caption:
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad("message caption is too long")
        else:
            if not plain:
                raise _bad("message text is empty")
            if len(plain) > MAX_TEXT_LENGTH:
                raise _bad("message is too long")
        return plain, found

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if inline_only:
                raise _bad("inline keyboard expected")
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("can't parse reply keyboard markup JSON object")
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('can\'t parse inline keyboard button: field "inline_keyboard" is invalid')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(str(data).encode("utf-8"))
                    if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and not str(button["url"]).strip():
                    raise _bad("BUTTON_URL_INVALID")
                if not any(action in button for action in _BUTTON_ACTIONS):
                    raise _bad("text buttons are unallowed in the inline keyboard")
        return markup

    def _reply_target(self, chat: Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        reply_parameters = params.get("reply_parameters")
        allow = _get_bool(params, "allow_sending_without_reply")
        message_id: int | None = None
        if isinstance(reply_parameters, dict) and "message_id" in reply_parameters:
            message_id = _get_int(reply_parameters, "message_id")
            if "allow_sending_without_reply" in reply_parameters:
                allow = _get_bool(reply_parameters, "allow_sending_without_reply")
            if reply_parameters.get("chat_id") not in (None, chat.id):
                raise _bad("replies to messages in other chats are not supported here")
        elif params.get("reply_to_message_id") not in (None, ""):
            message_id = _get_int(params, "reply_to_message_id")
        if message_id is None:
            return None
        target = self._messages.get(chat.id, {}).get(message_id)
        if target is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return target

    def _bot_message(
        self,
        chat: Chat,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        reply: dict[str, Any] | None,
    ) -> dict[str, Any]:
        message = self._new_message(chat, self.bot_user.to_dict(), content)
        if reply is not None:
            message["reply_to_message"] = _without_reply(reply)
        inline = _inline_markup(markup)
        if inline is not None:
            message["reply_markup"] = copy.deepcopy(inline)
        return message

    def _record_sent(
        self,
        method: str,
        message: dict[str, Any],
        *,
        raw: str | None,
        parse_mode: Any,
        reply_markup: dict[str, Any] | None,
    ) -> SentMessage:
        reply = message.get("reply_to_message")
        sent = SentMessage(
            chat_id=int(message["chat"]["id"]),
            message_id=int(message["message_id"]),
            method=method,
            event="sent",
            text=raw,
            plain=message.get("text", message.get("caption")),
            parse_mode=str(parse_mode) if parse_mode else None,
            entities=copy.deepcopy(message.get("entities", message.get("caption_entities", []))),
            reply_markup=copy.deepcopy(reply_markup),
            reply_to=int(reply["message_id"]) if reply else None,
            date=int(message["date"]),
            message=copy.deepcopy(message),
            document=copy.deepcopy(message.get("document")),
            photo=copy.deepcopy(message.get("photo")),
        )
        self._sent.append(sent)
        self._sent_index[(sent.chat_id, sent.message_id)] = sent
        self.history.append(sent.snapshot())
        self._notify()
        return sent

    def _record_edit(
        self,
        message: dict[str, Any],
        *,
        raw: str | None,
        parse_mode: Any,
        reply_markup: dict[str, Any] | None,
        text_changed: bool,
    ) -> None:
        sent = self._sent_index.get((int(message["chat"]["id"]), int(message["message_id"])))
        if sent is None:
            return
        sent.event = "edited"
        if text_changed:
            sent.text = raw
            sent.parse_mode = str(parse_mode) if parse_mode else None
            sent.plain = message.get("text", message.get("caption"))
            sent.entities = copy.deepcopy(
                message.get("entities", message.get("caption_entities", []))
            )
        sent.reply_markup = copy.deepcopy(reply_markup)
        sent.edit_date = message.get("edit_date")
        sent.message = copy.deepcopy(message)
        self.history.append(sent.snapshot())
        self._notify()

    def _message_to_edit(self, params: dict[str, Any]) -> tuple[Chat, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._writable_chat(params, need_started=False)
        message_id = _get_int(params, "message_id")
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return chat, message

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("unsupported bot command scope type")
        normalised = dict(scope)
        for name in ("chat_id", "user_id"):
            if name in normalised:
                normalised[name] = _get_int(normalised, name)
        return json.dumps(normalised, sort_keys=True)

    # -- Bot API methods -----------------------------------------------------------

    async def _m_true(self, _request: _Request) -> Any:
        return True

    async def _m_get_me(self, _request: _Request) -> Any:
        return {
            **self.bot_user.to_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, request: _Request) -> Any:
        params = request.params
        if self.webhook is not None:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        offset = _get_int(params, "offset", 0)
        limit = min(max(_get_int(params, "limit", 100), 1), 100)
        timeout = max(_get_float(params, "timeout", 0.0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        previous = self._active_poll
        if previous is not None:
            previous.conflicted = True
        poll = _Poll(request.context)
        self._active_poll = poll
        self._confirm(offset)
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poll.conflicted:
                    raise ApiError(409, _CONFLICT_POLL)
                if self._closing or request.context.closed:
                    return []
                batch = self._take(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                await self._wait_change(remaining)
        finally:
            if self._active_poll is poll:
                self._active_poll = None
                self._notify()

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self._allowed_updates)
        kept: list[dict[str, Any]] = []
        for update in self._pending:
            kind = _update_type(update)
            wanted = kind in allowed if allowed else kind not in _OPT_IN_UPDATES
            if wanted:
                kept.append(update)
        dropped = len(kept) != len(self._pending)
        self._pending = kept
        batch = kept[:limit]
        for update in batch:
            self._deliveries[update["update_id"]] = (
                self._deliveries.get(update["update_id"], 0) + 1
            )
        if dropped:
            self._notify()
        if self.shuffle is not None:
            batch = list(batch)
            self.shuffle.shuffle(batch)
        return copy.deepcopy(batch)

    async def _m_set_webhook(self, request: _Request) -> Any:
        params = request.params
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if _get_bool(params, "drop_pending_updates"):
            self._pending.clear()
        self.webhook = {
            "url": url,
            "max_connections": _get_int(params, "max_connections", 40),
            "allowed_updates": params.get("allowed_updates"),
            "secret_token": params.get("secret_token"),
        }
        if self._active_poll is not None:
            self._active_poll.conflicted = True
        return True

    async def _m_delete_webhook(self, request: _Request) -> Any:
        self.webhook = None
        if _get_bool(request.params, "drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_get_webhook_info(self, _request: _Request) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _m_set_my_commands(self, request: _Request) -> Any:
        params = request.params
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            name = str(command.get("command", "")).removeprefix("/")
            description = str(command.get("description", ""))
            if not _COMMAND_RE.match(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not description.strip() or len(description) > 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _m_get_my_commands(self, request: _Request) -> Any:
        params = request.params
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    async def _m_delete_my_commands(self, request: _Request) -> Any:
        params = request.params
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _m_send_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params)
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        plain, entities = self._format(
            text, params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        message = self._bot_message(chat, content, markup, reply)
        self._record_sent(
            "sendMessage",
            message,
            raw=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )
        return copy.deepcopy(message)

    async def _m_edit_message_text(self, request: _Request) -> Any:
        params = request.params
        _, message = self._message_to_edit(params)
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        plain, entities = self._format(
            text, params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        inline = _inline_markup(markup)
        if (
            message["text"] == plain
            and message.get("entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise _bad(_NOT_MODIFIED)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        self._set_markup(message, inline)
        message["edit_date"] = self._now()
        self._record_edit(
            message,
            raw=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=inline,
            text_changed=True,
        )
        return copy.deepcopy(message)

    async def _m_edit_message_caption(self, request: _Request) -> Any:
        params = request.params
        _, message = self._message_to_edit(params)
        raw = params.get("caption")
        text = "" if raw is None else str(raw)
        plain, entities = self._format(
            text, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if "text" in message:
            raise _bad("there is no caption in the message to edit")
        inline = _inline_markup(markup)
        if (
            message.get("caption", "") == plain
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise _bad(_NOT_MODIFIED)
        if plain:
            message["caption"] = plain
        else:
            message.pop("caption", None)
        if entities:
            message["caption_entities"] = entities
        else:
            message.pop("caption_entities", None)
        self._set_markup(message, inline)
        message["edit_date"] = self._now()
        self._record_edit(
            message,
            raw=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=inline,
            text_changed=True,
        )
        return copy.deepcopy(message)

    async def _m_edit_message_reply_markup(self, request: _Request) -> Any:
        params = request.params
        _, message = self._message_to_edit(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        inline = _inline_markup(markup)
        if message.get("reply_markup") == inline:
            raise _bad(_NOT_MODIFIED)
        self._set_markup(message, inline)
        message["edit_date"] = self._now()
        self._record_edit(
            message, raw=None, parse_mode=None, reply_markup=inline, text_changed=False
        )
        return copy.deepcopy(message)

    @staticmethod
    def _set_markup(message: dict[str, Any], inline: dict[str, Any] | None) -> None:
        if inline is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = copy.deepcopy(inline)

    async def _m_delete_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params, need_started=False)
        message_id = _get_int(params, "message_id")
        messages = self._messages.get(chat.id, {})
        message = messages.get(message_id)
        if message is None:
            raise _bad("message to delete not found")
        own = message.get("from", {}).get("id") == self.bot_id
        if chat.type != "private" and not own and chat.bot_status != "administrator":
            raise _bad("message can't be deleted")
        del messages[message_id]
        sent = self._sent_index.get((chat.id, message_id))
        if sent is not None:
            sent.deleted = True
        return True

    async def _m_answer_callback_query(self, request: _Request) -> Any:
        params = request.params
        query_id = str(params.get("callback_query_id") or "")
        if self._callbacks.get(query_id, True):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        self.callback_answers[query_id] = dict(params)
        return True

    async def _m_pin_chat_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params, need_started=False)
        message_id = _get_int(params, "message_id")
        if message_id not in self._messages.get(chat.id, {}):
            raise _bad("message to pin not found")
        if chat.type != "private" and chat.bot_status != "administrator":
            raise _bad("not enough rights to manage pinned messages in the chat")
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        chat.pinned.append(message_id)
        pinned = _without_reply(self._messages[chat.id][message_id])
        self._new_message(chat, self.bot_user.to_dict(), {"pinned_message": pinned})
        return True

    async def _m_unpin_chat_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params, need_started=False)
        if chat.type != "private" and chat.bot_status != "administrator":
            raise _bad("not enough rights to manage pinned messages in the chat")
        if params.get("message_id") in (None, ""):
            if chat.pinned:
                chat.pinned.pop()
            return True
        message_id = _get_int(params, "message_id")
        if message_id not in chat.pinned:
            raise _bad("message to unpin not found")
        chat.pinned.remove(message_id)
        return True

    async def _m_get_chat(self, request: _Request) -> Any:
        chat = self._readable_chat(request.params)
        info = chat.to_dict()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": chat.type == "private",
                    "limited_gifts": chat.type == "private",
                    "unique_gifts": chat.type == "private",
                    "premium_subscription": chat.type == "private",
                    "gifts_from_channels": chat.type == "private",
                },
            }
        )
        if chat.type != "private":
            info["permissions"] = {
                "can_send_messages": True,
                "can_send_other_messages": True,
                "can_invite_users": True,
                "can_pin_messages": False,
            }
        if chat.migrated_from is not None:
            info["migrate_from_chat_id"] = chat.migrated_from
        if chat.pinned and chat.pinned[-1] in self._messages.get(chat.id, {}):
            info["pinned_message"] = _without_reply(self._messages[chat.id][chat.pinned[-1]])
        return info

    async def _m_get_chat_member(self, request: _Request) -> Any:
        chat = self._readable_chat(request.params)
        return self._member_dict(chat, _get_int(request.params, "user_id"))

    async def _m_get_chat_administrators(self, request: _Request) -> Any:
        chat = self._readable_chat(request.params)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        result = [self._member_dict(chat, uid) for uid in chat.admins]
        if chat.bot_status == "administrator":
            result.append(self._bot_member_dict("administrator"))
        return result

    async def _m_get_chat_member_count(self, request: _Request) -> Any:
        chat = self._readable_chat(request.params)
        if chat.type == "private":
            return 2
        return len(chat.members | set(chat.admins)) + (1 if chat.bot_is_member else 0)

    def _input_file(self, request: _Request, name: str, kind: str) -> StoredFile:
        upload = request.files.get(name)
        value = request.params.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = request.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise _bad("file must be non-empty")
            limit = LOCAL_UPLOAD_LIMIT if self.local_mode else UPLOAD_LIMIT
            if len(upload.content) > limit:
                raise ApiError(413, "Request Entity Too Large")
            mime = upload.mime_type
            if not mime or mime == "application/octet-stream":
                mime = _guess_mime(upload.file_name)
            return self._store_file(upload.content, kind, upload.file_name, mime)
        if not value:
            raise _bad(f"there is no {name} in the request")
        stored = self.files.get(str(value))
        if stored is not None:
            return stored
        if str(value).startswith(("http://", "https://")):
            raise _bad("failed to get HTTP URL content")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _caption_content(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("caption")
        if raw not in (None, ""):
            plain, entities = self._format(
                str(raw), params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
            if plain:
                content["caption"] = plain
            if entities:
                content["caption_entities"] = entities
        return content

    async def _m_send_document(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params)
        stored = self._input_file(request, "document", "documents")
        content = self._caption_content(params, {"document": self._document_dict(stored)})
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        message = self._bot_message(chat, content, markup, reply)
        raw = params.get("caption")
        self._record_sent(
            "sendDocument",
            message,
            raw=None if raw is None else str(raw),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )
        return copy.deepcopy(message)

    async def _m_send_photo(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params)
        stored = self._input_file(request, "photo", "photos")
        content = self._caption_content(params, {"photo": self._photo_sizes(stored)})
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        message = self._bot_message(chat, content, markup, reply)
        raw = params.get("caption")
        self._record_sent(
            "sendPhoto",
            message,
            raw=None if raw is None else str(raw),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )
        return copy.deepcopy(message)

    async def _m_get_file(self, request: _Request) -> Any:
        file_id = str(request.params.get("file_id") or "")
        stored = self.files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT and not self.local_mode:
            raise _bad("file is too big")
        if stored.file_path is None:
            suffix = PurePosixPath(stored.file_name or "").suffix.lower()
            if not suffix and stored.kind == "photos":
                suffix = ".jpg"
            number = int(stored.file_unique_id.removeprefix("AgAD"))
            stored.file_path = f"{stored.kind}/file_{number}{suffix}"
            self._files_by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def _m_send_chat_action(self, request: _Request) -> Any:
        params = request.params
        self._writable_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _m_leave_chat(self, request: _Request) -> Any:
        chat = self._find_chat(request.params)
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
        if not chat.bot_is_member:
            raise self._not_member_error(chat)
        self._change_bot_status(chat, "left", self.bot_user)
        return True

    def _copy_source(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        source_chat = self._readable_chat(params, "from_chat_id")
        message_id = _get_int(params, "message_id")
        source = self._messages.get(source_chat.id, {}).get(message_id)
        if source is None:
            raise _bad(f"message to {action} not found")
        if not any(key in source for key in ("text", "document", "photo")):
            raise _bad(f"the message can't be {'copied' if action == 'copy' else 'forwarded'}")
        return source

    async def _m_copy_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params)
        source = self._copy_source(params, "copy")
        content: dict[str, Any] = {
            key: copy.deepcopy(source[key])
            for key in ("text", "entities", "document", "photo", "caption", "caption_entities")
            if key in source
        }
        if "caption" in params and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content = self._caption_content(params, content)
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        message = self._bot_message(chat, content, markup, reply)
        self._record_sent(
            "copyMessage",
            message,
            raw=message.get("text", message.get("caption")),
            parse_mode=None,
            reply_markup=markup,
        )
        return {"message_id": message["message_id"]}

    async def _m_forward_message(self, request: _Request) -> Any:
        params = request.params
        chat = self._writable_chat(params)
        source = self._copy_source(params, "forward")
        content: dict[str, Any] = {
            key: copy.deepcopy(source[key])
            for key in ("text", "entities", "document", "photo", "caption", "caption_entities")
            if key in source
        }
        origin_user = source.get("from") or self.bot_user.to_dict()
        content["forward_origin"] = {
            "type": "user",
            "sender_user": copy.deepcopy(origin_user),
            "date": source["date"],
        }
        message = self._bot_message(chat, content, None, None)
        self._record_sent(
            "forwardMessage",
            message,
            raw=message.get("text", message.get("caption")),
            parse_mode=None,
            reply_markup=None,
        )
        return copy.deepcopy(message)
