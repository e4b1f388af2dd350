"""The bot's transport against the loopback Bot API: what is repeated, what is not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.local_api import LocalBotAPI
from bot.transport import RetryingRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

USER = 1002


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    server = LocalBotAPI()
    await server.start()
    server.add_user(USER, "Lê Thị Thu Hà", started=True)
    try:
        yield server
    finally:
        await server.stop()


def _bot(api: LocalBotAPI) -> Bot:
    request = RetryingRequest(delays=(0.01, 0.01, 0.01))
    return Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url, request=request)


def _sends(api: LocalBotAPI) -> int:
    return sum(1 for c in api.calls if c.method.lower() == "sendmessage")


async def test_telegram_5xx_is_sent_again_and_delivered_once(api: LocalBotAPI) -> None:
    api.inject_error("sendMessage", error_code=502, description="Bad Gateway", times=2)
    async with _bot(api) as bot:
        await bot.send_message(USER, "Bot đã nhận báo cáo của đơn vị PVEP (bản 1).")
    assert _sends(api) == 3
    assert [m.text for m in api.sent(USER)] == ["Bot đã nhận báo cáo của đơn vị PVEP (bản 1)."]


async def test_a_lasting_5xx_fails_after_the_last_try(api: LocalBotAPI) -> None:
    api.inject_error("sendMessage", error_code=503, description="Service Unavailable", times=9)
    async with _bot(api) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "Nhắc hạn")
    assert _sends(api) == 4
    assert api.sent(USER) == []


async def test_client_errors_are_not_repeated(api: LocalBotAPI) -> None:
    api.inject_error("sendMessage", error_code=400, description="Bad Request: chat not found")
    async with _bot(api) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(USER, "Nhắc hạn")
    assert _sends(api) == 1


async def test_read_timeouts_repeat_edits_but_never_sends(
    api: LocalBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _bot(api) as bot:
        sent = await bot.send_message(USER, "Đã nộp 1/4")
        original = HTTPXRequest.do_request
        tries: dict[str, int] = {}

        async def flaky(self: HTTPXRequest, url: str, *args: Any, **kwargs: Any) -> Any:
            method = url.rsplit("/", 1)[-1]
            tries[method] = tries.get(method, 0) + 1
            if tries[method] == 1:
                # Telegram may have done it: the answer was lost on the way back.
                raise TimedOut("Timed out") from httpx.ReadTimeout("read")
            return await original(self, url, *args, **kwargs)

        monkeypatch.setattr(HTTPXRequest, "do_request", flaky)
        await bot.edit_message_text("Đã nộp 2/4", chat_id=USER, message_id=sent.message_id)
        assert tries["editMessageText"] == 2
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "Biên nhận")
        assert tries["sendMessage"] == 1  # a second send could duplicate the receipt


async def test_requests_that_never_left_are_sent_again(
    api: LocalBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _bot(api) as bot:
        original = HTTPXRequest.do_request
        tries = 0

        async def refused(self: HTTPXRequest, url: str, *args: Any, **kwargs: Any) -> Any:
            nonlocal tries
            tries += 1
            if tries < 3:
                raise NetworkError("httpx.ConnectError") from httpx.ConnectError("refused")
            return await original(self, url, *args, **kwargs)

        monkeypatch.setattr(HTTPXRequest, "do_request", refused)
        await bot.send_message(USER, "Biên nhận")
    assert tries == 3
    assert [m.text for m in api.sent(USER)] == ["Biên nhận"]
