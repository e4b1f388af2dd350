"""Guided dialogues: a command without arguments asks for them in the next message."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from db import dialogues

if TYPE_CHECKING:
    from datetime import datetime

    from bot.domain import Dialogue
    from db.connection import Database

# An answer more than a day late is more likely a new conversation than a reply.
DIALOGUE_TTL = timedelta(days=1)


async def start_dialogue(
    db: Database,
    *,
    chat_id: int,
    user_id: int,
    kind: str,
    now: datetime,
    state: dict[str, object] | None = None,
) -> None:
    """Wait for this person's next text in this chat, replacing any earlier dialogue."""
    async with db.writes() as conn:  # one trip: it only writes
        await dialogues.upsert_dialogue(
            conn, chat_id=chat_id, user_id=user_id, kind=kind, state=state or {}, now=now
        )


async def peek_dialogue(db: Database, *, chat_id: int, user_id: int, kind: str) -> Dialogue | None:
    """Return this person's dialogue in this chat if it is of the given kind (buttons use it)."""
    async with db.read() as conn:
        dialogue = await dialogues.get_dialogue(conn, chat_id, user_id)
    return dialogue if dialogue is not None and dialogue.kind == kind else None


async def remember_prompt(db: Database, chat_id: int, user_id: int, message_id: int) -> None:
    """Store the id of the bot's question, so only replies to it count in a group."""
    async with db.writes() as conn:  # one trip: it only writes
        await dialogues.update_prompt_message(conn, chat_id, user_id, message_id)


async def take_dialogue(
    db: Database,
    *,
    chat_id: int,
    user_id: int,
    reply_to: int | None,
    private: bool,
    now: datetime,
) -> Dialogue | None:
    """Return and end the dialogue this text answers, if any.

    In a group only a reply to the bot's question counts (other chatter is not an
    answer); in the private chat any text does.
    """
    async with db.transaction() as conn:
        dialogue = await dialogues.get_dialogue(conn, chat_id, user_id)
        if dialogue is None:
            return None
        if now - dialogue.created_at > DIALOGUE_TTL:
            await dialogues.delete_dialogue(conn, chat_id, user_id)
            return None
        if not private and reply_to != dialogue.prompt_message_id:
            return None
        await dialogues.delete_dialogue(conn, chat_id, user_id)
    return dialogue


async def restore_dialogue(db: Database, dialogue: Dialogue) -> None:
    """Wait again for an answer that was refused, so the person can correct it."""
    async with db.transaction() as conn:
        await dialogues.restore_dialogue(conn, dialogue)


async def cancel_dialogue(db: Database, chat_id: int, user_id: int) -> bool:
    """End the dialogue waiting for this person; False if there was none."""
    async with db.transaction() as conn:
        return await dialogues.delete_dialogue(conn, chat_id, user_id)
