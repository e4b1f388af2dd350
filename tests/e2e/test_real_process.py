"""The real `python -m bot run` process against the local Bot API server: the seed set-up."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from typing import TYPE_CHECKING

from bot.local_api import LocalBotAPI

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "424242:E2E-secret-token_xyz"
GROUP = -1001500000001
ADMIN, HA, DUC, KHANH = 1001, 1002, 1003, 1099


async def _start_bot(
    api: LocalBotAPI, data_dir: Path, log_path: Path, extra_env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.base_file_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "DEBUG",
        **(extra_env or {}),
    }
    log = log_path.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stdout=log, stderr=log
    )


async def _stop_bot(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return await asyncio.wait_for(process.wait(), timeout=20)
    except TimeoutError:
        process.kill()
        raise


async def test_seed_cluster_setup_end_to_end(api: LocalBotAPI, tmp_path: Path) -> None:
    log_path = tmp_path / "bot.log"
    process = await _start_bot(api, tmp_path, log_path)
    try:
        await api.wait_until_polling(timeout=30)
        api.add_bot_to_group(GROUP, ADMIN)
        greeting = await api.wait_for_message(chat_id=GROUP, contains="Xin chào", timeout=20)
        assert "/setprivacy" in (greeting.plain or "")  # not admin, privacy mode on

        api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
        await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký")
        api.send_text(
            ADMIN,
            GROUP,
            "/addunit VSP Liên doanh Việt – Nga Vietsovpetro\n"
            "PVEP Tổng công ty Thăm dò khai thác Dầu khí\n"
            "RVP Công ty TNHH Liên doanh Rusvietpetro\n"
            "GPV Công ty TNHH Gazpromviet",
        )
        await api.wait_for_message(chat_id=GROUP, contains="Đã thêm 4 đơn vị")
        api.send_text(ADMIN, GROUP, "/lead VSP")
        await api.wait_for_message(chat_id=GROUP, contains="Đơn vị cụm trưởng")

        # Hà joins with /join and the admin approves.
        api.send_text(HA, GROUP, "/thamgia")
        menu = await api.wait_for_message(chat_id=GROUP, contains="đơn vị nào")
        api.press(HA, GROUP, menu.message_id, menu.button("VSP"))
        request = await api.wait_for_message(chat_id=GROUP, contains="xin làm đầu mối")
        api.press(ADMIN, GROUP, request.message_id, request.button("Duyệt"))
        await api.wait_for_message(chat_id=GROUP, contains="người duyệt")

        # Đức joins through an invitation link, which also opens his private chat.
        api.send_text(ADMIN, ADMIN, "/start")
        await api.wait_for_message(chat_id=ADMIN, contains="Bot điều phối cụm thi đua")
        api.send_text(ADMIN, GROUP, "/invite PVEP")
        invite = await api.wait_for_message(chat_id=ADMIN, contains="?start=inv_")
        token = re.search(r"start=(inv_[A-Za-z0-9_-]+)", invite.plain or "")
        assert token is not None
        api.send_text(DUC, DUC, f"/start {token.group(1)}")
        await api.wait_for_message(chat_id=DUC, contains="Chào mừng anh/chị")

        # Hà, liaison of the lead unit, is secretariat; Khánh is refused.
        api.send_text(KHANH, GROUP, "/addunit BSR Công ty Lọc hóa dầu Bình Sơn")
        await api.wait_for_message(chat_id=GROUP, contains="chỉ thường trực cụm")
        api.send_text(HA, GROUP, "/units")
        roster = await api.wait_for_message(chat_id=GROUP, contains="Đầu mối: Lê Thị Thu Hà")
        assert "Phạm Minh Đức" in (roster.plain or "")
        assert (tmp_path / "heartbeat").exists()
        commands = api.commands({"type": "all_group_chats"}, "vi")
        assert {c["command"] for c in commands} >= {"setup", "addunit", "join"}
    finally:
        returncode = await _stop_bot(process)
    assert returncode == 0
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert TOKEN not in log
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        rows = conn.execute(
            "SELECT l.user_id, u.code, l.via FROM liaisons l JOIN units u ON u.id = l.unit_id "
            "ORDER BY l.user_id"
        ).fetchall()
        assert rows == [(HA, "VSP", "approved"), (DUC, "PVEP", "invite")]
        assert conn.execute("SELECT COUNT(*) FROM units WHERE code = 'BSR'").fetchone() == (0,)


async def test_updates_sent_while_the_bot_was_down_are_handled(
    api: LocalBotAPI, tmp_path: Path
) -> None:
    # People write before the bot starts: those updates must not be dropped.
    api.add_bot_to_group(GROUP, ADMIN)
    api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log")
    try:
        await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký", timeout=30)
    finally:
        assert await _stop_bot(process) == 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_when_webhook_url_is_set(api: LocalBotAPI, tmp_path: Path) -> None:
    import httpx

    port = _free_port()
    env_extra = {
        # The public https URL (a reverse proxy ends TLS and forwards to the local port).
        "WEBHOOK_URL": "https://bot.example.org/cum-thi-dua/telegram",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": "s3cr3t_value",
    }
    api.add_bot_to_group(GROUP, ADMIN)
    update = api.send_text(ADMIN, GROUP, "/setup Cụm thi đua số 1 | 2022")
    process = await _start_bot(api, tmp_path, tmp_path / "bot.log", env_extra)
    try:
        registered = await api.wait_for_call("setWebhook", timeout=30)
        assert registered.params["url"] == env_extra["WEBHOOK_URL"]
        assert registered.params["secret_token"] == "s3cr3t_value"
        local = f"http://127.0.0.1:{port}/cum-thi-dua/telegram"
        async with httpx.AsyncClient() as client:
            # Telegram's call without the secret is refused; with it, handled.
            refused = await client.post(local, json=update)
            assert refused.status_code == 403
            accepted = await client.post(
                local,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t_value"},
            )
            assert accepted.status_code == 200
        await api.wait_for_message(chat_id=GROUP, contains="Nhóm đã được đăng ký", timeout=20)
    finally:
        assert await _stop_bot(process) == 0
