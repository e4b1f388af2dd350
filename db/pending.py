"""Documents waiting for their sender to pick the request they answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db.util import execute, fetch_one, insert, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


async def insert_pending(conn: aiosqlite.Connection, *, now: datetime, **values: Any) -> int:
    """Park a document until its sender picks a request; return its id."""
    values["created_at"] = ts(now)
    return await insert(
        conn,
        """INSERT INTO pending_documents (user_id, chat_id, file_id, file_unique_id, file_name,
               mime_type, file_size, caption, created_at)
           VALUES (:user_id, :chat_id, :file_id, :file_unique_id, :file_name, :mime_type,
               :file_size, :caption, :created_at)""",
        values,
    )


async def get_pending(conn: aiosqlite.Connection, pending_id: int) -> dict[str, Any] | None:
    """Return a parked document as a dict of its columns."""
    row = await fetch_one(
        conn,
        """SELECT id, user_id, chat_id, file_id, file_unique_id, file_name, mime_type,
                  file_size, caption, created_at
           FROM pending_documents WHERE id = ?""",
        (pending_id,),
    )
    return dict(row) if row else None


async def delete_pending(conn: aiosqlite.Connection, pending_id: int, user_id: int) -> bool:
    """Take a parked document out; False if it was already taken (or is someone else's)."""
    changed = await execute(
        conn,
        "DELETE FROM pending_documents WHERE id = ? AND user_id = ?",
        (pending_id, user_id),
    )
    return changed == 1
