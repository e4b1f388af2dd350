"""Forward-only numbered SQL migrations, each applied atomically and recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiosqlite

_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available_migrations() -> list[tuple[int, str]]:
    """Return (version, sql) of every migration file shipped with the package, in order."""
    found = []
    for entry in resources.files("db.migrations").iterdir():
        match = _NAME_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration numbers must run 1, 2, 3… without gaps: {versions}")
    return found


async def current_version(conn: aiosqlite.Connection) -> int:
    """Return the newest applied migration, 0 for an empty database."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every pending migration; return the resulting version."""
    version = await current_version(conn)
    for number, sql in available_migrations():
        if number <= version:
            continue
        applied_at = datetime.now(UTC).isoformat()
        # executescript commits first; the explicit BEGIN keeps each file atomic.
        script = (
            "BEGIN;\n" + sql + "\nINSERT INTO schema_version(version, applied_at) "
            f"VALUES ({number}, '{applied_at}');\nCOMMIT;"
        )
        try:
            await conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        version = number
    return version
