"""The roster kept in memory: clusters, units and liaisons are read by nearly every update
and written rarely (set-up, joining, settings).

Each read of these tables is a trip to aiosqlite's thread, the dearest part of a short
statement (bench/RESULTS.md). The cache belongs to one connection (a weak key: a closed
connection takes its cache with it). Every function in db/ that writes clusters, units,
liaisons or people calls `invalidate`, and `Database.transaction` calls it on a rollback:
a value read inside a transaction that is then rolled back never outlives it. Values are
frozen dataclasses or tuples of them, so callers cannot change what the next one reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    import aiosqlite

MISSING = object()


class ConnectionMemo:
    """Values read on a connection, kept per connection (weakly: a closed connection takes
    its values with it)."""

    def __init__(self) -> None:
        self._kept: WeakKeyDictionary[aiosqlite.Connection, dict[tuple[Any, ...], Any]] = (
            WeakKeyDictionary()
        )

    def get(self, conn: aiosqlite.Connection, key: tuple[Any, ...]) -> Any:
        """The value kept under `key`, or MISSING."""
        kept = self._kept.get(conn)
        return MISSING if kept is None else kept.get(key, MISSING)

    def put(self, conn: aiosqlite.Connection, key: tuple[Any, ...], value: Any) -> None:
        """Keep a value read from the database on this connection."""
        self._kept.setdefault(conn, {})[key] = value

    def clear(self, conn: aiosqlite.Connection) -> None:
        """Forget everything kept for this connection."""
        kept = self._kept.get(conn)
        if kept is not None:
            kept.clear()


# The roster: forgotten when a db/ function writes one of its tables, or on a rollback.
_roster = ConnectionMemo()
lookup = _roster.get
store = _roster.put
invalidate = _roster.clear

# Snapshots: what the committed database held (a cluster's open items for /status and the
# board), kept only from read sessions. Any transaction's end — COMMIT or ROLLBACK — forgets
# them all: whatever it wrote, to whichever table, the next reader sees it.
_snapshots = ConnectionMemo()
snapshot = _snapshots.get
keep_snapshot = _snapshots.put
forget_snapshots = _snapshots.clear
