"""Configuration from the environment: defaults, errors naming the variable, token secrecy."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import RedactingFormatter
from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAE-secret_token_value"


def test_defaults() -> None:
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert s.base_url == "https://api.telegram.org/bot"
    assert s.base_file_url == "https://api.telegram.org/file/bot"
    assert s.data_dir == Path("./data")
    assert s.tz.key == "Asia/Ho_Chi_Minh"
    assert (s.locale, s.log_level, s.webhook_url) == ("vi", "INFO", None)
    assert TOKEN not in repr(s)


def test_rate_limit_is_on_unless_the_demo_turns_it_off() -> None:
    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}).rate_limit is True
    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_RATE_LIMIT": "on"}).rate_limit
    assert not load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_RATE_LIMIT": "off"}).rate_limit


def test_self_hosted_server_derives_file_url() -> None:
    s = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/"}
    )
    assert s.base_url == "http://127.0.0.1:8081/bot"
    assert s.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.local_api


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "ftp://x"},
            "TELEGRAM_API_BASE_URL",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081"},
            "must end in /bot",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_TZ": "Asia/Saigon_nope"}, "BOT_TZ"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_LOCALE": "fr"}, "BOT_LOCALE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "bot.example.org"}, "WEBHOOK_URL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "http://bot.example.org/x"}, "https"),
    ],
)
def test_bad_variable_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_TZ": "Mars/Olympus", "DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "BOT_TZ" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_health_without_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    (tmp_path / "heartbeat").touch()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0


def test_token_is_redacted_from_log_lines_and_tracebacks() -> None:
    formatter = RedactingFormatter(TOKEN, "%(levelname)s %(message)s")
    logger = logging.getLogger("test.redact")
    record = logger.makeRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: POST https://api.telegram.org/bot%s/getUpdates",
        (TOKEN,),
        None,
    )
    assert formatter.format(record) == (
        "INFO HTTP Request: POST https://api.telegram.org/bot<token>/getUpdates"
    )
    try:
        raise RuntimeError(f"GET https://api.telegram.org/file/bot{TOKEN}/documents/a.pdf")
    except RuntimeError:
        import sys as _sys

        failing = logger.makeRecord(
            "bot", logging.ERROR, __file__, 1, "download failed", (), _sys.exc_info()
        )
    text = formatter.format(failing)
    assert "Traceback" in text
    assert TOKEN not in text
