"""Batched edits of live messages: at most one edit per interval per message, the latest state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)

Render = Callable[[], Awaitable[None]]
DEFAULT_INTERVAL = 5.0


class LiveEditor:
    """Coalesces many changes of one live message into few edits.

    `touch(key, render)` says the message behind `key` changed. The first change is
    rendered at once; later ones within `interval` seconds are folded into a single
    render when the interval is over. `render` reads the state when it runs, so the
    edit always shows the latest state (DESIGN.md: one edit every 5 s per message).
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[Hashable, float] = {}
        self._waiting: dict[Hashable, Render] = {}
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._hurry = asyncio.Event()

    def touch(self, key: Hashable, render: Render) -> None:
        """Note a change; schedule a render unless one is already due."""
        self._waiting[key] = render
        if key in self._tasks:
            return
        delay = max(0.0, self._last.get(key, -self.interval) + self.interval - time.monotonic())
        self._tasks[key] = asyncio.create_task(self._run(key, delay))

    async def _run(self, key: Hashable, delay: float) -> None:
        try:
            while key in self._waiting:
                if delay > 0 and not self._hurry.is_set():
                    # Wait out the window, unless a flush asks to render now.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._hurry.wait(), timeout=delay)
                render = self._waiting.pop(key)
                self._last[key] = time.monotonic()
                try:
                    await render()
                except Exception:  # one failed edit must not stop later ones
                    log.exception("live message %s could not be updated", key)
                delay = self.interval
        finally:
            self._tasks.pop(key, None)

    async def flush(self, *, immediate: bool = False) -> None:
        """Wait for every scheduled render; `immediate` skips the waiting (at shutdown)."""
        if immediate:
            self._hurry.set()
        try:
            while self._tasks:
                await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        finally:
            self._hurry.clear()
