"""The injected clock: services never read the system time themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved (tests, demo)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """Return the fixed time."""
        return self.at


class FileClock:
    """System time shifted by the seconds written in a file (end-to-end tests, offline demo).

    Lets a test or the demo move the real bot process through days of a cluster's year
    without waiting: write "259200" to the file and the bot lives three days ahead.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: int | None = None
        self._offset = 0.0

    def now(self) -> datetime:
        """Return the system time plus the file's offset (none when the file is absent)."""
        try:
            stamp = self._path.stat().st_mtime_ns
            if stamp != self._stamp:
                self._offset = float(self._path.read_text(encoding="utf-8").strip() or 0)
                self._stamp = stamp
        except (OSError, ValueError):
            self._offset = 0.0
            self._stamp = None
        return datetime.now(UTC) + timedelta(seconds=self._offset)
