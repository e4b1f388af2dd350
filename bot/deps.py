"""Dependencies handed to every handler: database, settings, clock and small caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.live import LiveEditor

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Settings
    from db.connection import Database

ADMIN_TTL_SECONDS = 300.0


class AdminCache:
    """Group administrators per chat, kept briefly (getChatAdministrators is rate-limited)."""

    def __init__(self, ttl: float = ADMIN_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._data: dict[int, tuple[float, frozenset[int]]] = {}

    def get(self, chat_id: int, now: float) -> frozenset[int] | None:
        """Return the cached admin ids of a chat, or None when unknown or stale."""
        entry = self._data.get(chat_id)
        if entry is None or now - entry[0] > self._ttl:
            return None
        return entry[1]

    def put(self, chat_id: int, admin_ids: frozenset[int], now: float) -> None:
        """Remember a chat's admins as of `now`."""
        self._data[chat_id] = (now, admin_ids)

    def invalidate(self, chat_id: int) -> None:
        """Forget a chat's admins (someone was promoted or demoted)."""
        self._data.pop(chat_id, None)


@dataclass
class Deps:
    """What handlers need, reachable as `context.deps`."""

    db: Database
    settings: Settings
    clock: Clock
    admins: AdminCache = field(default_factory=AdminCache)
    live: LiveEditor = field(default_factory=LiveEditor)
    # (user_id, names...) already stored, to skip a write per update for known people.
    known_people: dict[int, tuple[object, ...]] = field(default_factory=dict)
