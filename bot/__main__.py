"""Command line: `python -m bot run` starts the bot; `python -m bot health` checks it."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from bot.config import ConfigError, Settings, load_settings

HEALTHY_WITHIN_SECONDS = 120


class RedactingFormatter(logging.Formatter):
    """Format records, then cut the bot token out of the whole text, tracebacks included.

    httpx logs request URLs (which hold the token) and an exception's traceback can
    repeat them; redacting the formatted output covers both.
    """

    def __init__(self, token: str, fmt: str) -> None:
        super().__init__(fmt)
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        """Return the formatted record without the token."""
        text = super().format(record)
        return text.replace(self._token, "<token>") if self._token else text


def setup_logging(settings: Settings) -> None:
    """Log to stderr at LOG_LEVEL, with httpx quiet and the token redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(settings.token, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs each request URL at INFO, and the URL holds the token.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # PTB's DEBUG lines carry whole updates and API calls, ballot buttons included: a secret
    # ballot's marks must never reach a log, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(
        max(logging.INFO, logging.getLevelName(settings.log_level))
    )


def health(settings: Settings) -> int:
    """Exit 0 when the bot polled (or checked its webhook) recently, 1 otherwise."""
    from bot.app import HEARTBEAT_FILE

    path = settings.data_dir / HEARTBEAT_FILE
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print("unhealthy: no heartbeat yet", file=sys.stderr)
        return 1
    if age > HEALTHY_WITHIN_SECONDS:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age:.0f} s ago")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", choices=["run", "health"])
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_token=args.command == "run")
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "health":
        return health(settings)
    setup_logging(settings)
    from bot.app import run

    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
