"""Fake Bot API request objects: instant answers, and one that enforces Telegram's flood limits.

Self-contained on purpose (no dependency on tests/): the benchmark must keep working while
the test helpers change.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter, deque
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 777000222
BOT_USERNAME = "bench_cluster_bot"
ADMIN_ID = 9_000_001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Cụm thi đua"}
_SENDS = ("sendMessage", "sendDocument", "sendPhoto")
_RIGHTS = {
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


class FakeBotAPI(BaseRequest):
    """Answers every call at once, like the Bot API would; counts calls per endpoint.

    `samples` keeps the parameters of the latest call per endpoint, so a baseline can make
    the same kind of call (same text length, same keyboard shape).
    """

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = files if files is not None else {}
        self.group_sends: Counter[int] = Counter()
        self.private_sends = 0
        self.keep_samples = False
        self._ids = itertools.count(5000)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Irrelevant offline."""
        return 1.0

    def reset(self) -> None:
        """Forget the counts (not the files)."""
        self.counts.clear()
        self.group_sends.clear()
        self.private_sends = 0

    async def do_request(
        self,
        url: str,
        method: str,  # noqa: ARG002
        request_data: RequestData | None = None,
        read_timeout: Any = None,  # noqa: ARG002
        write_timeout: Any = None,  # noqa: ARG002
        connect_timeout: Any = None,  # noqa: ARG002
        pool_timeout: Any = None,  # noqa: ARG002
    ) -> tuple[int, bytes]:
        """Answer one call."""
        if "/file/bot" in url:
            self.counts["download"] += 1
            file_id = url.rsplit("/", 1)[-1].removesuffix(".bin")
            return 200, self.files.get(file_id, b"%PDF-1.7\nbench\n%%EOF")
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        self.counts[endpoint] += 1
        if self.keep_samples:
            self.samples[endpoint] = params
        refused = self.refuse(endpoint, params)
        if refused is not None:
            return refused
        if endpoint in _SENDS:
            chat = int(params.get("chat_id", 0))
            if chat < 0:
                self.group_sends[chat] += 1
            else:
                self.private_sends += 1
        result = self.answer(endpoint, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def refuse(self, endpoint: str, params: dict[str, Any]) -> tuple[int, bytes] | None:  # noqa: ARG002
        """A subclass may refuse a call (flood limits); None lets it through."""
        return None

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "private", "first_name": "Người dùng"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Cụm"}
        )
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def answer(self, endpoint: str, params: dict[str, Any]) -> Any:
        """The canned result of a successful call."""
        if endpoint == "getMe":
            return {
                **BOT_USER,
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if endpoint in ("sendMessage", "editMessageText"):
            return self._message(params)
        if endpoint in ("sendDocument", "sendPhoto"):
            message = self._message(params)
            message.pop("text")
            message["document"] = {"file_id": f"up{message['message_id']}", "file_unique_id": "u"}
            return message
        if endpoint == "getFile":
            file_id = str(params["file_id"])
            size = len(self.files.get(file_id, b"%PDF-1.7\nbench\n%%EOF"))
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": size,
                "file_path": f"documents/{file_id}.bin",
            }
        if endpoint == "getChatAdministrators":
            return [
                {
                    "status": "creator",
                    "user": {"id": ADMIN_ID, "is_bot": False, "first_name": "Quản trị"},
                    "is_anonymous": False,
                }
            ]
        if endpoint == "getChatMember":
            user_id = int(params["user_id"])
            if user_id == BOT_ID:
                return {"status": "administrator", "user": BOT_USER, **_RIGHTS}
            user = {"id": user_id, "is_bot": False, "first_name": "Người dùng"}
            return {"status": "member", "user": user}
        return True


class FloodLimitedAPI(FakeBotAPI):
    """Enforces Telegram's sending limits and answers 429 with retry_after when exceeded.

    Limits (PLATFORM_NOTES): 30 messages in any one-second window overall, and 20 in any
    sixty-second window per group. Sliding windows: the strictest reading of "30 per second".
    """

    def __init__(self, overall: int = 30, per_group: int = 20) -> None:
        super().__init__()
        self.overall = overall
        self.per_group = per_group
        self.refusals = 0
        self.accepted = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._recent: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    def refuse(self, endpoint: str, params: dict[str, Any]) -> tuple[int, bytes] | None:
        """Count the send against both windows, or refuse it with 429."""
        if endpoint not in _SENDS:
            return None
        now = time.monotonic()
        chat = int(params.get("chat_id", 0))
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        waits = []
        if len(self._recent) >= self.overall:
            waits.append(1.0 - (now - self._recent[0]))
        window = self._per_chat.setdefault(chat, deque()) if chat < 0 else None
        if window is not None:
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.per_group:
                waits.append(60.0 - (now - window[0]))
        if waits:
            self.refusals += 1
            retry = max(1, math.ceil(max(waits)))
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry}",
                "parameters": {"retry_after": retry},
            }
            return 429, json.dumps(body).encode()
        self._recent.append(now)
        if window is not None:
            window.append(now)
        self.accepted += 1
        self.first_at = self.first_at if self.first_at is not None else now
        self.last_at = now
        return None
