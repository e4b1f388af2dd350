"""The bot's HTTP transport: retries what Telegram failed to do, never what it may have done.

Telegram answers 500/502/503/504 when its side hiccups; the request was not carried out,
so it is sent again (after 1, 2, then 4 s). A request that never reached Telegram
(connection refused, connect or pool timeout) is sent again too. A *read* timeout is
different: Telegram may have sent the message, so a `send*` call is not repeated (a
duplicate receipt is worse than the person asking again, and the database already holds
what was acknowledged); edits, answers, pins and reads are repeated, since doing them
twice changes nothing. 429 is left to AIORateLimiter, which waits `retry_after`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
RETRY_DELAYS = (1.0, 2.0, 4.0)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _never_reached(exc: NetworkError) -> bool:
    """Whether the request certainly did not reach Telegram."""
    return isinstance(exc.__cause__, _NEVER_SENT)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that repeats transient failures (see the module's docstring)."""

    def __init__(self, *, delays: tuple[float, ...] = RETRY_DELAYS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._delays = delays

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send; on a transient failure wait and send again, a few times."""
        api_method = _method(url)
        for attempt, delay in enumerate((*self._delays, None)):
            try:
                code, body = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
            except TimedOut as exc:
                repeatable = _never_reached(exc) or not api_method.startswith("send")
                if delay is None or not repeatable:
                    raise
                log.info(
                    "%s timed out (attempt %d); again in %.0f s", api_method, attempt + 1, delay
                )
            except NetworkError as exc:
                if delay is None or not _never_reached(exc):
                    raise
                log.info("%s did not reach Telegram (try %d); again", api_method, attempt + 1)
            else:
                if code not in TRANSIENT_STATUSES or delay is None:
                    return code, body
                log.info(
                    "%s answered %d (attempt %d); again in %.0f s",
                    api_method,
                    code,
                    attempt + 1,
                    delay,
                )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
