"""Shared fixtures: a running bot harness over a temp-dir database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.harness import Harness

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A started bot whose Bot API calls are recorded."""
    h = Harness(tmp_path)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
