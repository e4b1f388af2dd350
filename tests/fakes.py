"""A recording stand-in for PTB's request object, and builders of realistic Update JSON."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram.request import BaseRequest, RequestData

BOT_ID = 777000111
BOT_USERNAME = "cum_thi_dua_bot"


@dataclass
class Call:
    """One Bot API call the bot made."""

    endpoint: str
    params: dict[str, Any]
    result: Any = None
    # Files sent with the call: multipart field -> (file name, bytes).
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class Failure:
    """An error Telegram will answer for the next call(s) of an endpoint."""

    status: int
    description: str
    parameters: dict[str, Any] | None = None
    times: int = 1
    chat_id: int | None = None  # only calls to this chat fail
    message_id: int | None = None  # only calls about this message fail (edits, pins)


@dataclass
class RecordingRequest(BaseRequest):
    """Records every call and answers like the Bot API, from a small canned model.

    Unknown endpoints fail the test, as PTB's own OfflineRequest does: a handler that
    calls something we did not expect must be noticed.
    """

    admins: dict[int, list[int]] = field(default_factory=dict)
    bot_status: str = "member"
    privacy_off: bool = False
    can_pin: bool = True  # the bot has the "Pin messages" right
    pinned: dict[int, int] = field(default_factory=dict)  # chat id -> pinned message id
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    # file_id -> content, as users uploaded them; getFile and downloads serve these.
    files: dict[str, bytes] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Timeout PTB asks for; irrelevant offline."""
        return 1.0

    def fail(self, endpoint: str, failure: Failure) -> None:
        """Make the next call(s) of an endpoint fail."""
        self.failures.setdefault(endpoint, []).append(failure)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Record the call and answer it."""
        if "/file/bot" in url:
            # A download: Telegram serves the raw bytes, not JSON.
            file_id = url.rsplit("/", 1)[-1].removesuffix(".bin")
            self.calls.append(Call("download", {"file_id": file_id}))
            if file_id not in self.files:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, self.files[file_id]
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = Call(endpoint, params)
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, _mime) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                call.uploads[name] = (filename or name, data)
        self.calls.append(call)
        queued = [
            f
            for f in self.failures.get(endpoint, [])
            if (f.chat_id is None or str(f.chat_id) == str(params.get("chat_id")))
            and (f.message_id is None or str(f.message_id) == str(params.get("message_id")))
        ]
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                self.failures[endpoint].remove(failure)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.parameters:
                body["parameters"] = failure.parameters
            return failure.status, json.dumps(body).encode()
        answer = getattr(self, f"_{endpoint}", None)
        if answer is None:
            pytest.fail(f"unexpected Bot API call {endpoint}({params})")
        try:
            result = answer(params)
        except _Refused as refusal:
            body = {"ok": False, "error_code": refusal.status, "description": refusal.text}
            return refusal.status, json.dumps(body).encode()
        self.calls[-1].result = result
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # ----- canned answers -------------------------------------------------------------

    def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Cụm thi đua",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": self.privacy_off,
            "supports_inline_queries": False,
        }

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Cụm thi đua"},
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        # Telegram echoes only inline keyboards in the returned Message.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params)

    def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params)

    def _pinChatMessage(self, params: dict[str, Any]) -> bool:
        if not self.can_pin:
            raise _Refused(400, "Bad Request: not enough rights to manage pinned messages")
        self.pinned[int(params["chat_id"])] = int(params["message_id"])
        return True

    def _unpinChatMessage(self, params: dict[str, Any]) -> bool:
        chat_id = int(params["chat_id"])
        if self.pinned.get(chat_id) == int(params.get("message_id", 0)):
            del self.pinned[chat_id]
        return True

    def _getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        content = self.files.get(file_id, b"")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": f"documents/{file_id}.bin",
        }

    def _sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params)
        message.pop("text")
        # An uploaded file gets a fresh id, as Telegram gives it one.
        document = params.get("document") or f"upload{message['message_id']}"
        message["document"] = {"file_id": str(document), "file_unique_id": f"u{document}"}
        if params.get("caption"):
            message["caption"] = params["caption"]
        return message

    def _sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params)
        message.pop("text")
        message["photo"] = [
            {"file_id": "photo1", "file_unique_id": "uphoto1", "width": 1, "height": 1}
        ]
        if params.get("caption"):
            message["caption"] = params["caption"]
        return message

    def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _getChatAdministrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        ids = self.admins.get(int(params["chat_id"]), [])
        return [
            {
                "status": "creator" if n == 0 else "administrator",
                "user": {"id": uid, "is_bot": False, "first_name": f"Admin {uid}"},
                "is_anonymous": False,
                **({} if n == 0 else _ADMIN_RIGHTS),
            }
            for n, uid in enumerate(ids)
        ]

    def _getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = int(params["user_id"])
        user = {"id": user_id, "is_bot": user_id == BOT_ID, "first_name": "Cụm thi đua"}
        if user_id == BOT_ID and self.bot_status == "administrator":
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        return {"status": "member", "user": user}

    # ----- what tests look at ----------------------------------------------------------

    def sent(self, chat_id: int | None = None, *, board: bool = False) -> list[Call]:
        """Messages sent or edited, optionally in one chat.

        The pinned status board follows every change; tests of other features look past
        it unless they ask for it (`board=True`), and `board_posts` shows it alone.
        """
        return [
            c
            for c in self.calls
            if c.endpoint in ("sendMessage", "editMessageText")
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
            and (board or not is_board(c))
        ]

    def board_posts(self, chat_id: int) -> list[Call]:
        """The status board's messages and edits in a chat."""
        return [c for c in self.sent(chat_id, board=True) if is_board(c)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of messages sent or edited, optionally in one chat."""
        return [str(c.params["text"]) for c in self.sent(chat_id)]

    def last_message_id(self, chat_id: int) -> int:
        """The id of the latest message the bot sent in a chat."""
        sent = [c for c in self.sent(chat_id) if c.endpoint == "sendMessage"]
        assert sent, "the bot sent nothing there"
        return int(sent[-1].result["message_id"])

    def last_sent(self, chat_id: int | None = None) -> str:
        """The text of the latest new message (not an edit)."""
        texts = [str(c.params["text"]) for c in self.sent(chat_id) if c.endpoint == "sendMessage"]
        assert texts, "the bot sent nothing"
        return texts[-1]

    def last_text(self, chat_id: int | None = None) -> str:
        """The text of the latest message sent or edited."""
        texts = self.texts(chat_id)
        assert texts, "the bot sent nothing"
        return texts[-1]

    def documents(self, chat_id: int) -> list[tuple[str, bytes | str]]:
        """(file name, content) of every document sent to a chat; a file id stands for
        a file sent again from Telegram's servers (its name is then the caption)."""
        found: list[tuple[str, bytes | str]] = []
        for c in self.calls:
            if c.endpoint != "sendDocument" or int(c.params["chat_id"]) != chat_id:
                continue
            if c.uploads:
                found.extend(c.uploads.values())
            else:
                found.append((str(c.params.get("caption", "")), str(c.params["document"])))
        return found

    def answers(self) -> list[dict[str, Any]]:
        """Parameters of every answerCallbackQuery."""
        return [c.params for c in self.calls if c.endpoint == "answerCallbackQuery"]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()


_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


class _Refused(Exception):
    """A canned answer refused the call, as Telegram would."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


BOARD_MARK = "📌 "


def is_board(call: Call) -> bool:
    """Whether a sent or edited message is the pinned status board."""
    return str(call.params.get("text", "")).startswith(BOARD_MARK)


def markup_buttons(call: Call) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button in a sent message."""
    markup = call.params.get("reply_markup")
    if markup is None:
        return []
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [
        (b["text"], b.get("callback_data", "")) for row in markup["inline_keyboard"] for b in row
    ]
