"""Command line: `python -m bot run` starts the bot; `python -m bot health` checks it;
`python -m bot demo [--out DIR]` plays the seed year offline; `python -m bot sandbox` lets a
person chat with the bot offline; `python -m bot backup` copies
the database into DATA_DIR/backups; `python -m bot restore <file>` puts a backup back."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.backup import BackupError, backup_file, integrity_problem, restore
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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["demo"]:
        # The offline demo (local Bot API server + this bot as a subprocess); own options.
        from bot.demo import main as demo_main

        return demo_main(argv[1:])
    if argv[:1] == ["sandbox"]:
        # The same local server and bot, driven by a person at the terminal.
        from bot.sandbox import main as sandbox_main

        return sandbox_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = ["run", "health", "demo", "sandbox", "backup", "restore"]
    parser.add_argument("command", choices=commands)
    parser.add_argument("file", nargs="?", help="restore: the backup to put back")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_token=args.command == "run")
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "health":
        return health(settings)
    # The database, stored files and backups are readable by the bot's user only.
    os.umask(0o077)
    if args.command in ("backup", "restore"):
        return backup_command(settings, args.command, args.file)
    exists = settings.db_path.exists()
    problem = integrity_problem(settings.db_path, quick=True) if exists else None
    if problem is not None:
        print(
            f"the database is damaged, the bot will not start on it: {problem}\n"
            f"restore a backup with: python -m bot restore <file> "
            f"(backups are in {settings.backups_dir})",
            file=sys.stderr,
        )
        return 2
    setup_logging(settings)
    from bot.app import run

    run(settings)
    return 0


def backup_command(settings: Settings, command: str, file: str | None) -> int:
    """`backup`: copy the database now; `restore <file>`: put a backup back (bot stopped)."""
    now = datetime.now(UTC)
    try:
        if command == "backup":
            path = backup_file(settings.db_path, settings.backups_dir, now)
            print(f"backed up to {path}")
            return 0
        if not file:
            print("restore needs the backup file: python -m bot restore <file>", file=sys.stderr)
            return 2
        aside = restore(Path(file), settings.db_path, now)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {file} into {settings.db_path}; the replaced database is kept as {aside}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
