"""Set-up of the seed cluster through real updates: /setup, /addunit, /lead, /units."""

from __future__ import annotations

from tests.harness import Harness
from tests.updates import ADMIN, GROUP_ID


async def test_setup_registers_the_group_as_a_cluster(harness: Harness) -> None:
    await harness.say(ADMIN, "/setup Cụm thi đua số 1 | 2022")
    text = harness.request.last_text(GROUP_ID)
    assert "Cụm thi đua số 1" in text
    assert await harness.rows("SELECT name, year, locale FROM clusters") == [
        ("Cụm thi đua số 1", 2022, "vi")
    ]
