"""Realistic Update JSON, as Telegram delivers it (commands, documents, button presses)."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

from bench.fakeapi import BOT_USER


def user_json(user_id: int, name: str) -> dict[str, Any]:
    """A `User` object."""
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}


def chat_json(chat_id: int) -> dict[str, Any]:
    """A supergroup or a private chat."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Người dùng"}
    return {"id": chat_id, "type": "supergroup", "title": "Cụm thi đua"}


class Updates:
    """Makes updates with increasing ids."""

    def __init__(self, start: int = 700_000_001) -> None:
        self._update_ids = itertools.count(start)
        self._message_ids = itertools.count(100)

    def message(
        self, user: dict[str, Any], chat_id: int, text: str, *, reply_to: int | None = None
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its entity."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_json(chat_id),
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": chat_json(chat_id),
                "from": BOT_USER,
                "text": "…",
            }
        return {"update_id": next(self._update_ids), "message": message}

    def document(
        self,
        user: dict[str, Any],
        chat_id: int,
        file_name: str,
        content: bytes,
        *,
        reply_to: int | None = None,
    ) -> tuple[dict[str, Any], str]:
        """A document message; returns it and the file id the fake API must serve."""
        digest = hashlib.sha256(content).hexdigest()[:20]
        file_id = f"BQAC{next(self._message_ids)}{digest}"
        update = self.message(user, chat_id, "", reply_to=reply_to)
        message = update["message"]
        del message["text"]
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{digest}",
            "file_size": len(content),
            "file_name": file_name,
            "mime_type": "application/pdf",
        }
        return update, file_id

    def press(
        self, user: dict[str, Any], chat_id: int, data: str, *, message_id: int = 1000
    ) -> dict[str, Any]:
        """A button press on a message the bot sent."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": user,
                "chat_instance": "-4242424242",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": chat_json(chat_id),
                    "from": BOT_USER,
                    "text": "…",
                },
            },
        }
