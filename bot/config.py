"""Settings read once from the environment variables named in DESIGN.md."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SUPPORTED_LOCALES = ("vi", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


class ConfigError(Exception):
    """A variable is missing or malformed; the message names it and what it should look like."""


@dataclass(frozen=True)
class Settings:
    """Configuration of one bot process."""

    token: str
    base_url: str
    base_file_url: str
    data_dir: Path
    tz: ZoneInfo
    locale: str
    log_level: str
    webhook_url: str | None
    webhook_listen: str
    webhook_port: int
    webhook_secret: str | None
    # Tests and the offline demo only: a file holding a clock offset in seconds.
    clock_file: Path | None = None
    # The offline demo only (BOT_RATE_LIMIT=off): its local server has no flood limits, and
    # Telegram's 20 messages a minute per group would stretch a two-minute story to ten.
    rate_limit: bool = True

    @property
    def db_path(self) -> Path:
        """Where the SQLite database lives."""
        return self.data_dir / "bot.sqlite3"

    @property
    def backups_dir(self) -> Path:
        """Where the daily database backups are kept (the newest 14)."""
        return self.data_dir / "backups"

    @property
    def files_dir(self) -> Path:
        """Where submitted files are stored, by cluster and request."""
        return self.data_dir / "files"

    @property
    def local_api(self) -> bool:
        """Whether a self-hosted Bot API server is used (no 20 MB download limit)."""
        return self.base_url != DEFAULT_BASE_URL

    def __repr__(self) -> str:
        # The token must never reach a log line, even through a repr.
        return f"Settings(base_url={self.base_url!r}, data_dir={str(self.data_dir)!r})"


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = env.get(name, "").strip() or default
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{name} must be an http(s) URL, e.g. http://127.0.0.1:8081/bot")
    return value.rstrip("/")


def _webhook_url(env: Mapping[str, str]) -> str | None:
    value = env.get("WEBHOOK_URL", "").strip()
    if not value:
        return None
    # Telegram delivers webhooks only to https URLs (a reverse proxy may end TLS).
    if not re.match(r"^https://[^\s/]+", value):
        raise ConfigError(
            "WEBHOOK_URL must be an https URL, e.g. https://bot.example.org/telegram"
        )
    return value


def load_settings(env: Mapping[str, str] | None = None, *, require_token: bool = True) -> Settings:
    """Read and check every variable; raise ConfigError naming the first bad one."""
    env = os.environ if env is None else env
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: put the token BotFather gave you, "
            "e.g. 123456789:AAE... (digits, a colon, then letters)"
        )
    if token and not _TOKEN_RE.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon, then letters, "
            "e.g. 123456789:AAE..."
        )
    base_url = _url(env, "TELEGRAM_API_BASE_URL", DEFAULT_BASE_URL)
    assert base_url is not None
    if not base_url.endswith("/bot"):
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must end in /bot (the token is appended to it), "
            "e.g. http://127.0.0.1:8081/bot"
        )
    # PTB downloads from Telegram's host unless told otherwise: derive the file URL.
    file_url = _url(env, "TELEGRAM_API_FILE_URL", base_url[: -len("/bot")] + "/file/bot")
    assert file_url is not None
    tz_name = env.get("BOT_TZ", "").strip() or "Asia/Ho_Chi_Minh"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"BOT_TZ={tz_name!r} is not a known time zone: use an IANA name, e.g. Asia/Ho_Chi_Minh"
        ) from exc
    locale = env.get("BOT_LOCALE", "").strip() or "vi"
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"BOT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}, e.g. vi")
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, e.g. INFO")
    port_text = env.get("WEBHOOK_PORT", "").strip() or "8443"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError("WEBHOOK_PORT must be a TCP port number, e.g. 8443")
    secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -, e.g. s3cr3t_value")
    return Settings(
        token=token,
        base_url=base_url,
        base_file_url=file_url,
        data_dir=Path(env.get("DATA_DIR", "").strip() or "./data"),
        tz=tz,
        locale=locale,
        log_level=log_level,
        webhook_url=_webhook_url(env),
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",  # noqa: S104
        webhook_port=int(port_text),
        webhook_secret=secret,
        clock_file=Path(env["BOT_CLOCK_FILE"]) if env.get("BOT_CLOCK_FILE", "").strip() else None,
        rate_limit=env.get("BOT_RATE_LIMIT", "").strip().lower() != "off",
    )
