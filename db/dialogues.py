"""Guided dialogues: what the bot is waiting to hear from one person in one chat."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.domain import Dialogue
from db.util import execute, fetch_one, from_ts, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


async def get_dialogue(conn: aiosqlite.Connection, chat_id: int, user_id: int) -> Dialogue | None:
    """Return the dialogue waiting for this person in this chat."""
    row = await fetch_one(
        conn,
        """SELECT chat_id, user_id, kind, state, prompt_message_id, created_at
           FROM dialogues WHERE chat_id = ? AND user_id = ?""",
        (chat_id, user_id),
    )
    if row is None:
        return None
    return Dialogue(
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        state=json.loads(row["state"]),
        prompt_message_id=row["prompt_message_id"],
        created_at=from_ts(row["created_at"]),
    )


async def upsert_dialogue(
    conn: aiosqlite.Connection,
    *,
    chat_id: int,
    user_id: int,
    kind: str,
    state: dict[str, object],
    now: datetime,
) -> None:
    """Start (or restart) a dialogue; a new one replaces the old."""
    await execute(
        conn,
        """INSERT INTO dialogues (chat_id, user_id, kind, state, created_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (chat_id, user_id) DO UPDATE SET
               kind = excluded.kind, state = excluded.state,
               prompt_message_id = NULL, created_at = excluded.created_at""",
        (chat_id, user_id, kind, json.dumps(state, ensure_ascii=False), ts(now)),
    )


async def restore_dialogue(conn: aiosqlite.Connection, dialogue: Dialogue) -> None:
    """Put back a dialogue whose answer was refused, so a corrected reply still counts."""
    await execute(
        conn,
        """INSERT OR REPLACE INTO dialogues
               (chat_id, user_id, kind, state, prompt_message_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            dialogue.chat_id,
            dialogue.user_id,
            dialogue.kind,
            json.dumps(dialogue.state, ensure_ascii=False),
            dialogue.prompt_message_id,
            ts(dialogue.created_at),
        ),
    )


async def update_prompt_message(
    conn: aiosqlite.Connection, chat_id: int, user_id: int, message_id: int
) -> None:
    """Remember which bot message asked the question."""
    await execute(
        conn,
        "UPDATE dialogues SET prompt_message_id = ? WHERE chat_id = ? AND user_id = ?",
        (message_id, chat_id, user_id),
    )


async def delete_dialogue(conn: aiosqlite.Connection, chat_id: int, user_id: int) -> bool:
    """End a dialogue; False if there was none."""
    changed = await execute(
        conn, "DELETE FROM dialogues WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
    )
    return changed == 1


async def move_chat(conn: aiosqlite.Connection, old_chat_id: int, new_chat_id: int) -> None:
    """Carry waiting dialogues over to an upgraded supergroup."""
    await execute(
        conn,
        "UPDATE OR REPLACE dialogues SET chat_id = ? WHERE chat_id = ?",
        (new_chat_id, old_chat_id),
    )
