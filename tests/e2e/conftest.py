"""The local Bot API server with the seed cluster's people, for end-to-end tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from bot.local_api import LocalBotAPI
from tests.e2e.test_real_process import ADMIN, DUC, GROUP, HA, KHANH, TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    server = LocalBotAPI(TOKEN)
    await server.start()
    server.add_user(ADMIN, "Trần Văn Hải", username="tranvanhai_vsp")
    server.add_user(HA, "Lê Thị Thu Hà")
    server.add_user(DUC, "Phạm Minh Đức")
    server.add_user(KHANH, "Vũ Quốc Khánh")
    server.add_group(
        GROUP,
        "Cụm thi đua số 1 – PVN",
        supergroup=True,
        admins=[ADMIN],
        bot_member=False,
        members=[HA, DUC, KHANH],
    )
    try:
        yield server
    finally:
        await server.stop()
