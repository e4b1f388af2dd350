"""The audit journal: who changed what, when."""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.util import execute_at_commit, ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite


_INSERT = """INSERT INTO audit_log (cluster_id, user_id, action, detail, at)
             VALUES (?, ?, ?, ?, ?)"""


async def insert_audit(
    conn: aiosqlite.Connection,
    *,
    cluster_id: int | None,
    user_id: int | None,
    action: str,
    detail: str,
    now: datetime,
) -> None:
    """Append one entry to the journal (written with the transaction's COMMIT)."""
    params = (cluster_id, user_id, action, detail, ts(now))
    await execute_at_commit(conn, _INSERT, params)
