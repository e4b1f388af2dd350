"""Units of work shared by every service: dedup of redelivered updates, audit, text clean-up."""

from __future__ import annotations

import re
import unicodedata
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain import AlreadyHandled
from db.connection import UpdateAlreadyRecorded
from db.updates import delete_handled_before, is_handled
from db.util import ts

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from datetime import datetime

    import aiosqlite

    from db.connection import Database

_SPACE_RE = re.compile(r"\s+")
# Control characters other than newline/tab never belong in names or titles.
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: str) -> str:
    """Normalise user text: NFC, no control characters, single spaces, trimmed."""
    # Invisible characters first: one between a letter and its accent would keep NFC
    # from composing them.
    text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACE_RE.sub(" ", text).strip()


def fold_text(text: str) -> str:
    """Casefold without diacritics, for matching what people type to a title."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE_RE.sub(" ", stripped).casefold().strip()


@asynccontextmanager
async def unit_of_work(
    db: Database, update_id: int | None, now: datetime
) -> AsyncIterator[aiosqlite.Connection]:
    """Open a transaction that also records the update as handled.

    Recording the update id in the same transaction as its effects makes a
    redelivered update (crash before Telegram saw our offset) a no-op: either both
    the effects and the id are committed, or neither is.
    """
    record = None if update_id is None else (update_id, ts(now))
    try:
        async with db.transaction(record_update=record) as conn:
            yield conn
    except UpdateAlreadyRecorded as exc:  # only BEGIN raises it: the block never ran
        raise AlreadyHandled(update_id=update_id) from exc
    if update_id is not None:
        db.note_handled(update_id)
        _COMMITTED.set(update_id)


# The update whose unit of work this handler call committed (a context variable: each
# call runs in its own task, or in its own `handler_call` scope).
_COMMITTED: ContextVar[int | None] = ContextVar("committed_update", default=None)


@contextmanager
def handler_call() -> Iterator[None]:
    """The scope of one handler call, for `record_refusal`."""
    token = _COMMITTED.set(None)
    try:
        yield
    finally:
        _COMMITTED.reset(token)


async def record_refusal(db: Database, update_id: int, now: datetime) -> bool:
    """Record a refused update as handled: redelivered after a crash, it is not judged
    again (the facts may have changed meanwhile, and the person was already told "no").

    True when the refusal is to be said: recorded now, or refused by the very call that
    committed the update's first effects (an invitation made, then undeliverable). False
    when another copy handled it (a twin, or a run before a restart): that copy answered.
    """
    if _COMMITTED.get() == update_id:
        return True
    try:
        async with unit_of_work(db, update_id, now):
            pass
    except AlreadyHandled:
        return False
    return True


async def already_handled(db: Database, update_id: int) -> bool:
    """Tell whether an update's effects are already committed (a redelivery)."""
    if not db.may_be_handled(update_id):
        return False  # newer than anything recorded before this process, and not since
    async with db.read() as conn:
        return await is_handled(conn, update_id)


# Telegram keeps an unconfirmed update for at most 24 hours; two days is a safe margin.
HANDLED_UPDATES_KEPT = timedelta(days=2)


async def forget_old_updates(db: Database, now: datetime) -> int:
    """Drop handled update ids too old to be redelivered; return how many."""
    async with db.transaction() as conn:
        return await delete_handled_before(conn, now - HANDLED_UPDATES_KEPT)
