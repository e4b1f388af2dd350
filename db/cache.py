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

_caches: WeakKeyDictionary[aiosqlite.Connection, dict[tuple[Any, ...], Any]] = WeakKeyDictionary()
MISSING = object()


def lookup(conn: aiosqlite.Connection, key: tuple[Any, ...]) -> Any:
    """The cached value for `key`, or MISSING."""
    cache = _caches.get(conn)
    return MISSING if cache is None else cache.get(key, MISSING)


def store(conn: aiosqlite.Connection, key: tuple[Any, ...], value: Any) -> None:
    """Remember a value read from the database on this connection."""
    cache = _caches.get(conn)
    if cache is None:
        cache = _caches[conn] = {}
    cache[key] = value


def invalidate(conn: aiosqlite.Connection) -> None:
    """Forget everything cached for this connection (something in the roster changed)."""
    cache = _caches.get(conn)
    if cache is not None:
        cache.clear()


# Snapshots: what the committed database held (a cluster's open items for /status and the
# board). Any transaction's end — COMMIT or ROLLBACK — forgets them all: whatever it wrote,
# to whichever table, the next reader sees it.
_snapshots: WeakKeyDictionary[aiosqlite.Connection, dict[tuple[Any, ...], Any]] = (
    WeakKeyDictionary()
)


def snapshot(conn: aiosqlite.Connection, key: tuple[Any, ...]) -> Any:
    """The snapshot kept under `key`, or MISSING."""
    kept = _snapshots.get(conn)
    return MISSING if kept is None else kept.get(key, MISSING)


def keep_snapshot(conn: aiosqlite.Connection, key: tuple[Any, ...], value: Any) -> None:
    """Keep a value read outside any transaction (a read session sees committed data only)."""
    kept = _snapshots.get(conn)
    if kept is None:
        kept = _snapshots[conn] = {}
    kept[key] = value


def forget_snapshots(conn: aiosqlite.Connection) -> None:
    """A transaction ended: every snapshot may be out of date."""
    kept = _snapshots.get(conn)
    if kept is not None:
        kept.clear()
