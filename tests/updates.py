"""Realistic Update JSON for handler tests: the seed cluster's people and group."""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes import BOT_ID, BOT_USERNAME


@dataclass(frozen=True)
class Person:
    """A Telegram user of the tests."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str = "vi"

    def json(self) -> dict[str, Any]:
        """The `User` object Telegram sends."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


# Fictional people of Cluster No. 1 (PetroVietnam), after the seed story. Most write their
# full name in Telegram's first-name field, as Vietnamese users often do; Tuấn splits it.
ADMIN = Person(1001, "Trần Văn Hải", None, "tranvanhai_vsp")  # group admin, VSP's emulation office
HA_VSP = Person(1002, "Lê Thị Thu Hà")  # liaison of Vietsovpetro (lead unit)
DUC_PVEP = Person(1003, "Phạm Minh Đức", None, "ducpm_pvep")  # liaison of PVEP
TUAN_RVP = Person(1004, "Tuấn", "Hoàng Anh")  # liaison of Rusvietpetro
LAN_GPV = Person(1005, "Đỗ Thị Lan", language_code="en")  # liaison of Gazpromviet
OUTSIDER = Person(1099, "Vũ Quốc Khánh")  # in the group, represents no unit

ADMIN_JSON = ADMIN.json()

GROUP_ID = -1001500000001
GROUP_TITLE = "Cụm thi đua số 1 – PVN"
OTHER_GROUP_ID = -1001500000002

SEED_UNITS = (
    "VSP Liên doanh Việt – Nga Vietsovpetro\n"
    "PVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
    "RVP Công ty TNHH Liên doanh Rusvietpetro\n"
    "GPV Công ty TNHH Gazpromviet"
)


_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def chat_json(chat_id: int, title: str = GROUP_TITLE) -> dict[str, Any]:
    """A group, supergroup or private chat object."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Người dùng"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": title}


class UpdateFactory:
    """Makes updates with increasing ids, as Telegram would deliver them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._update_ids = itertools.count(500_000_001)
        self._message_ids = itertools.count(10)
        self._clock = clock

    def _now(self) -> int:
        """Message dates follow the test's clock, as Telegram's follow real time."""
        return int(self._clock())

    def message(
        self,
        person: Person,
        text: str,
        *,
        chat_id: int = GROUP_ID,
        reply_to: dict[str, Any] | None = None,
        edited: bool = False,
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its bot_command entity."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "chat": chat_json(chat_id),
            "from": person.json(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = self._now()
        key = "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: message}

    def document(
        self,
        person: Person,
        file_name: str | None,
        content: bytes,
        *,
        chat_id: int = GROUP_ID,
        caption: str | None = None,
        reply_to: int | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
    ) -> dict[str, Any]:
        """A document message; identical content gets the same file_unique_id, as on Telegram."""
        digest = hashlib.sha256(content).hexdigest()[:16]
        file_id = f"BQAC{next(self._message_ids)}{digest}"
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{digest}",
            "file_size": len(content) if file_size is None else file_size,
        }
        if file_name is not None:
            document["file_name"] = file_name
            document["mime_type"] = (
                mime_type or mimetypes.guess_type(file_name)[0] or ("application/octet-stream")
            )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "chat": chat_json(chat_id),
            "from": person.json(),
            "document": document,
        }
        if caption:
            message["caption"] = caption
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": self._now(),
                "chat": chat_json(chat_id),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Cụm thi đua"},
                "text": "…",
            }
        return {"update_id": next(self._update_ids), "message": message}

    def callback(
        self, person: Person, data: str, *, chat_id: int = GROUP_ID, message_id: int = 1000
    ) -> dict[str, Any]:
        """A button press on a message the bot sent."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": person.json(),
                "chat_instance": "-4242424242",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": self._now(),
                    "chat": chat_json(chat_id),
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Cụm thi đua"},
                    "text": "…",
                },
            },
        }

    def bot_added(
        self, by: Person, *, chat_id: int = GROUP_ID, status: str = "member"
    ) -> dict[str, Any]:
        """my_chat_member: the bot was added to a group (or its rights changed)."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Cụm thi đua", "username": BOT_USERNAME}
        new: dict[str, Any] = {"status": status, "user": bot}
        if status == "administrator":
            new.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": False,
                    "can_restrict_members": False,
                    "can_promote_members": False,
                    "can_change_info": False,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
            )
        return {
            "update_id": next(self._update_ids),
            "my_chat_member": {
                "chat": chat_json(chat_id),
                "from": by.json(),
                "date": self._now(),
                "old_chat_member": {"status": "left", "user": bot},
                "new_chat_member": new,
            },
        }

    def chat_member(
        self, person: Person, status: str, *, chat_id: int = GROUP_ID
    ) -> dict[str, Any]:
        """chat_member: someone's status in the group changed (e.g. promoted to admin)."""
        return {
            "update_id": next(self._update_ids),
            "chat_member": {
                "chat": chat_json(chat_id),
                "from": ADMIN_JSON,
                "date": self._now(),
                "old_chat_member": {"status": "member", "user": person.json()},
                "new_chat_member": {
                    "status": status,
                    "user": person.json(),
                    **(_RIGHTS if status == "administrator" else {}),
                },
            },
        }

    def migrate(self, old_chat_id: int, new_chat_id: int, by: Person) -> list[dict[str, Any]]:
        """The two service messages Telegram sends when a group becomes a supergroup."""
        now = self._now()
        return [
            {
                "update_id": next(self._update_ids),
                "message": {
                    "message_id": next(self._message_ids),
                    "date": now,
                    "chat": chat_json(old_chat_id),
                    "from": by.json(),
                    "migrate_to_chat_id": new_chat_id,
                },
            },
            {
                "update_id": next(self._update_ids),
                "message": {
                    "message_id": 1,
                    "date": now,
                    "chat": chat_json(new_chat_id),
                    "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                    "sender_chat": chat_json(new_chat_id),
                    "migrate_from_chat_id": old_chat_id,
                },
            },
        ]
