"""One shared aiosqlite connection with serialised units of work."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from db import cache
from db.migrate import migrate
from db.updates import begin_and_record
from db.util import (
    begin_write_commit,
    in_thread,
    start_deferring,
    take_checkpoint,
    take_deferred,
    write_and_commit,
    write_only,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA synchronous = NORMAL",
    # Freed pages are zeroed: a deleted draft or an old ballot page leaves no trace.
    "PRAGMA secure_delete = ON",
)


HANDLED_IN_MEMORY = 100_000


class UpdateAlreadyRecorded(Exception):
    """The update's effects are already committed (a redelivery)."""


class Database:
    """The bot's database: every access goes through `read()` or `transaction()`.

    Handlers run concurrently on one event loop and share this connection. A lock
    around each unit of work keeps one handler's half-done writes out of another's
    transaction and out of its reads (PLATFORM_NOTES, Concurrency).
    """

    def __init__(self, conn: aiosqlite.Connection, handled_floor: int = 0) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        # Replay check without a query: every update id recorded before this process
        # opened the database is ≤ the floor; ids recorded since are in the set.
        self._handled_floor = handled_floor
        self._handled_here: set[int] = set()

    def may_be_handled(self, update_id: int) -> bool:
        """False when the update is surely new (its id is not recorded as handled)."""
        return update_id <= self._handled_floor or update_id in self._handled_here

    def handled_here(self, update_id: int) -> bool:
        """Whether this process committed the update (recently: the set is bounded)."""
        return update_id in self._handled_here

    def note_handled(self, update_id: int) -> None:
        """An update's effects (and its id) were committed by this process."""
        self._handled_here.add(update_id)
        if len(self._handled_here) > HANDLED_IN_MEMORY:
            # Forget the set, raise the floor: those ids are looked up in the table again.
            self._handled_floor = max(self._handled_floor, *self._handled_here)
            self._handled_here.clear()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        await migrate(conn)
        rows = await conn.execute_fetchall("SELECT MAX(update_id) FROM handled_updates")
        floor = next(iter(rows), (None,))[0] or 0
        database = cls(conn, floor)
        # A crash between a secret ballot's commit and its checkpoint leaves it in the log.
        await database.checkpoint()
        return database

    async def close(self) -> None:
        """Close the connection after the running unit of work ends."""
        async with self._lock:
            await self._conn.close()

    async def checkpoint(self) -> None:
        """Fold the write-ahead log into the database and empty it.

        Called after a secret ballot: the log keeps recent transactions in commit order,
        which could otherwise tie a ballot to the unit marked as having voted with it.
        """
        async with self._lock:
            for _attempt in range(5):
                async with self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                    row = await cursor.fetchone()
                # (busy, log frames, checkpointed): done when not busy.
                if row is None or row[0] == 0:
                    return
                await asyncio.sleep(0.05)

    @asynccontextmanager
    async def writes(self) -> AsyncIterator[aiosqlite.Connection]:
        """A unit of work that only writes (no statement reads, none needs a row count or
        a row id): BEGIN, the writes and COMMIT go to the database in one trip at the end.
        """
        async with self._lock:
            start_deferring(self._conn)
            write_only(self._conn, True)
            try:
                yield self._conn
            except BaseException:
                take_deferred(self._conn)
                raise
            finally:
                write_only(self._conn, False)
            cache.forget_snapshots(self._conn)
            try:
                await in_thread(self._conn, begin_write_commit, take_deferred(self._conn))
            except BaseException:
                cache.invalidate(self._conn)
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Give exclusive use of the connection for reads (sees only committed data)."""
        async with self._lock:
            yield self._conn

    @asynccontextmanager
    async def transaction(
        self, *, record_update: tuple[int, str] | None = None
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Run a unit of work: commit when the block ends, roll back if it raises.

        `record_update` (update id, time): record the update as handled in the same trip as
        BEGIN; raises UpdateAlreadyRecorded (nothing done) when it already was.
        """
        async with self._lock:
            if record_update is None:
                await self._conn.execute("BEGIN IMMEDIATE")
            elif not await in_thread(self._conn, begin_and_record, *record_update):
                await self._conn.execute("ROLLBACK")
                raise UpdateAlreadyRecorded(record_update[0])
            start_deferring(self._conn)
            try:
                yield self._conn
            except BaseException:
                cache.forget_snapshots(self._conn)
                take_deferred(self._conn)
                take_checkpoint(self._conn)
                # What the block read of the roster may have been its own undone writes.
                cache.invalidate(self._conn)
                await self._conn.execute("ROLLBACK")
                raise
            cache.forget_snapshots(self._conn)
            checkpoint = take_checkpoint(self._conn)
            try:
                emptied = await in_thread(
                    self._conn, write_and_commit, take_deferred(self._conn), checkpoint
                )
            except BaseException:
                # A failed COMMIT (disk full, I/O error) leaves the transaction open;
                # roll it back so the next unit of work can BEGIN.
                cache.invalidate(self._conn)
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
        if not emptied:
            await self.checkpoint()  # busy (a backup reading): wait and try again
