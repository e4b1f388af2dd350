"""Group life: greeting on being added, rights changes, supergroup migration, Telegram errors."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.app import CLEAN_STOP_FILE
from tests.fakes import Failure, markup_buttons
from tests.handlers.test_setup_flow import setup_seed_cluster
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, OUTSIDER

if TYPE_CHECKING:
    from pathlib import Path

NEW_GROUP_ID = -1009876543210


async def test_added_to_a_group_greets_and_warns_about_privacy(harness: Harness) -> None:
    await harness.feed(harness.updates.bot_added(ADMIN))
    text = harness.request.last_text(GROUP_ID)
    assert text.startswith("Xin chào các anh/chị! Đây là bot điều phối cụm thi đua")
    assert "/thietlap Cụm thi đua số 1 | 2022" in text
    assert "đặt bot làm quản trị viên" in text and "/setprivacy" in text


async def test_added_as_admin_says_documents_are_visible(harness: Harness) -> None:
    await harness.feed(harness.updates.bot_added(ADMIN, status="administrator"))
    assert "✅ Bot có thể nhận tài liệu gửi trong nhóm này." in harness.request.last_text(GROUP_ID)


async def test_added_back_to_an_existing_cluster_says_records_are_kept(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.feed(harness.updates.bot_added(ADMIN))
    assert "Cụm “Cụm thi đua số 1” cùng toàn bộ hồ sơ vẫn được lưu giữ" in (
        harness.request.last_text(GROUP_ID)
    )
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 4


async def test_migration_to_supergroup_moves_the_cluster(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    for update in harness.updates.migrate(GROUP_ID, NEW_GROUP_ID, ADMIN):
        await harness.feed(update)
    assert await harness.scalar("SELECT chat_id FROM clusters") == NEW_GROUP_ID
    harness.request.admins[NEW_GROUP_ID] = [ADMIN.id]
    await harness.say(OUTSIDER, "/units", chat_id=NEW_GROUP_ID)
    assert "VSP" in harness.request.last_text(NEW_GROUP_ID)
    await harness.say(OUTSIDER, "/units")
    assert "chưa được đăng ký là cụm thi đua" in harness.request.last_text(GROUP_ID)


async def test_send_to_migrated_group_follows_the_new_id(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(OUTSIDER, "/join")
    data = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))["PVEP"]
    harness.request.fail(
        "sendMessage",
        Failure(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": NEW_GROUP_ID},
        ),
    )
    await harness.press(DUC_PVEP, data)
    # The approval request reached the new chat, and the cluster followed it.
    assert "xin làm đầu mối của đơn vị" in harness.request.last_text(NEW_GROUP_ID)
    assert await harness.scalar("SELECT chat_id FROM clusters") == NEW_GROUP_ID
    assert await harness.scalar("SELECT message_id FROM join_requests") is not None


async def test_person_who_blocked_the_bot_is_remembered(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    harness.request.fail("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    await harness.say(ADMIN, "/invite GPV")
    # The private send failed with 403: the link is withdrawn, never posted in the group.
    assert "Đường dẫn mời chỉ được gửi qua tin nhắn riêng" in harness.request.last_text(GROUP_ID)
    assert await harness.scalar("SELECT revoked_at IS NOT NULL FROM invites") == 1
    assert await harness.scalar("SELECT blocked FROM people WHERE user_id = ?", ADMIN.id) == 1
    # Known to be blocked: no private message is even attempted.
    harness.request.clear()
    await harness.say(ADMIN, "/invite GPV")
    assert harness.request.sent(ADMIN.id) == []
    # Writing to the bot again unblocks: any private message, not only /start (the tracker
    # had this person in memory as "private chat opened" and would have skipped the write).
    await harness.say(ADMIN, "Xin chào", chat_id=ADMIN.id)
    assert await harness.scalar("SELECT blocked FROM people WHERE user_id = ?", ADMIN.id) == 0
    await harness.say(ADMIN, "/invite GPV")
    assert "?start=inv_" in harness.request.last_text(ADMIN.id)


async def test_command_menu_is_registered_in_both_languages_and_scopes(harness: Harness) -> None:
    # post_init ran at start: look at what it registered.
    calls = [c for c in harness.request.calls if c.endpoint == "setMyCommands"]
    registered = {
        (str(c.params["scope"]["type"]), c.params.get("language_code")): c.params["commands"]
        for c in calls
    }
    assert set(registered) == {
        ("all_group_chats", None),
        ("all_group_chats", "vi"),
        ("all_private_chats", None),
        ("all_private_chats", "vi"),
        ("all_group_chats", "en"),
        ("all_private_chats", "en"),
    }
    vi_group = {c["command"]: c["description"] for c in registered[("all_group_chats", "vi")]}
    assert vi_group["setup"] == "Đăng ký nhóm này là cụm thi đua"
    en_group = {c["command"]: c["description"] for c in registered[("all_group_chats", "en")]}
    assert en_group["setup"] == "Register this group as a cluster"


async def test_help_in_group_and_private(harness: Harness) -> None:
    await harness.say(OUTSIDER, "/trogiup")
    text = harness.request.last_text(GROUP_ID)
    assert "Dành cho thường trực cụm" in text and "/thietlap" in text
    await harness.say(OUTSIDER, "/start", chat_id=OUTSIDER.id)
    assert "cuộc trò chuyện riêng" in harness.request.last_text(OUTSIDER.id)


async def test_help_shows_each_person_the_part_that_matters(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    # A liaison of a member unit: how to join, submit, confirm; the guide's liaison part.
    await harness.say(OUTSIDER, "/trogiup")
    text = harness.request.last_sent(GROUP_ID)
    assert "Dành cho đầu mối các đơn vị" in text
    assert "/thietlap" not in text and "/xuat" not in text
    assert "mục “Dành cho đầu mối các đơn vị”" in text
    # The secretariat sees its commands first, then the liaisons' part.
    await harness.say(ADMIN, "/trogiup")
    text = harness.request.last_sent(GROUP_ID)
    assert text.index("Dành cho thường trực cụm") < text.index("Dành cho đầu mối các đơn vị")
    assert "/xuat – bảng tính" in text
    assert "mục “Dành cho thường trực cụm”" in text


async def test_removed_from_the_group_keeps_the_cluster(harness: Harness) -> None:
    await setup_seed_cluster(harness)
    update = harness.updates.bot_added(ADMIN)
    change = update["my_chat_member"]
    change["old_chat_member"], change["new_chat_member"] = (
        change["new_chat_member"],
        {"status": "kicked", "user": change["new_chat_member"]["user"], "until_date": 0},
    )
    await harness.feed(update)
    assert harness.request.sent() == []  # nothing to say to a group it has left
    assert await harness.scalar("SELECT COUNT(*) FROM units") == 4
    assert await harness.scalar("SELECT chat_id FROM clusters") == GROUP_ID


async def _open_items(harness: Harness) -> dict[str, int]:
    """A report request, a meeting and a poll, open in the group; their message ids."""
    await harness.say(ADMIN, "/yeucau Báo cáo tổng kết năm 2022 | 17:00 20/12/2022")
    await harness.say(ADMIN, "/hop Họp cụm thi đua | 9:00 01/12/2022 | Vũng Tàu")
    await harness.say(ADMIN, "/binhchon Bình xét Cờ thi đua năm 2022 | 17:00 10/12/2022")
    return {
        "request": await harness.scalar("SELECT message_id FROM requests"),
        "meeting": await harness.scalar("SELECT message_id FROM meetings"),
        "poll": await harness.scalar("SELECT message_id FROM polls"),
    }


async def test_migration_posts_the_open_items_again_in_the_supergroup(harness: Harness) -> None:
    from handlers.common import job_post_missing

    await setup_seed_cluster(harness)
    old = await _open_items(harness)
    assert None not in old.values()
    harness.request.clear()
    for update in harness.updates.migrate(GROUP_ID, NEW_GROUP_ID, ADMIN):
        await harness.feed(update)
    # The old group's message ids mean nothing in the supergroup: forgotten, then posted.
    assert await harness.scalar("SELECT COUNT(*) FROM requests WHERE message_id IS NULL") == 1
    harness.clock.at += timedelta(minutes=2)
    await job_post_missing(harness.job_context())
    await harness.deps.live.flush()
    texts = harness.request.texts(NEW_GROUP_ID)
    assert any("Yêu cầu báo cáo: Báo cáo tổng kết năm 2022" in t for t in texts)
    assert any("Cuộc họp: Họp cụm thi đua" in t for t in texts)
    assert any("Bình xét: Bình xét Cờ thi đua năm 2022" in t for t in texts)
    assert harness.request.sent(GROUP_ID) == []
    new = {
        "request": await harness.scalar("SELECT message_id FROM requests"),
        "meeting": await harness.scalar("SELECT message_id FROM meetings"),
        "poll": await harness.scalar("SELECT message_id FROM polls"),
    }
    assert None not in new.values() and all(new[k] != old[k] for k in old)
    # Run again (a second service message, a restart): nothing is posted twice.
    harness.request.clear()
    await job_post_missing(harness.job_context())
    await harness.deps.live.flush()
    assert harness.request.sent(NEW_GROUP_ID) == []


async def test_meeting_and_poll_whose_message_failed_are_posted_later(harness: Harness) -> None:
    from handlers.common import job_post_missing

    await setup_seed_cluster(harness)
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error", times=2))
    await harness.say(ADMIN, "/hop Họp cụm thi đua | 9:00 01/12/2022 | Vũng Tàu")
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error", times=2))
    await harness.say(ADMIN, "/binhchon Bình xét Cờ thi đua năm 2022 | 17:00 10/12/2022")
    assert await harness.scalar("SELECT message_id FROM meetings") is None
    assert await harness.scalar("SELECT message_id FROM polls") is None
    harness.clock.at += timedelta(minutes=2)
    await job_post_missing(harness.job_context())
    await harness.deps.live.flush()
    assert await harness.scalar("SELECT message_id FROM meetings") is not None
    assert await harness.scalar("SELECT message_id FROM polls") is not None
    texts = harness.request.texts(GROUP_ID)
    assert any("Cuộc họp: Họp cụm thi đua" in t for t in texts)
    assert any("Bình xét: Bình xét Cờ thi đua năm 2022" in t for t in texts)


async def test_after_a_crash_every_open_items_message_is_refreshed_once(
    harness: Harness,
) -> None:
    # Live edits wait up to 5 s in their window; a crash loses them. At the next start (no
    # clean-stop mark) every open request, meeting and poll message is edited once.
    from handlers.common import job_refresh_live

    await setup_seed_cluster(harness)
    ids = await _open_items(harness)
    harness.request.clear()
    await job_refresh_live(harness.job_context())
    await harness.deps.live.flush()
    edited = {
        int(c.params["message_id"])
        for c in harness.request.calls
        if c.endpoint == "editMessageText" and int(c.params["chat_id"]) == GROUP_ID
    }
    assert set(ids.values()) <= edited


async def test_a_stop_right_after_a_crash_restart_still_refreshes_the_live_messages(
    tmp_path: Path,
) -> None:
    # The refresh runs 2 s after a start without the clean-stop mark. A stop before that
    # (a restart loop, an operator's quick fix) must not leave the mark with the messages
    # still behind the database: the stop runs the refresh (the crash test caught it).
    first = Harness(tmp_path)
    await first.start()
    try:
        await setup_seed_cluster(first)
        ids = await _open_items(first)
    finally:
        await first.stop()  # no post_stop: as if killed, no clean-stop mark
    assert not (tmp_path / CLEAN_STOP_FILE).exists()

    second = Harness(tmp_path)
    second.updates._update_ids = itertools.count(700_000_001)
    await second.start()
    try:
        second.request.clear()
        assert second.app.post_stop is not None
        await second.app.post_stop(second.app)  # stopped before the 2 s job ran
        edited = {
            int(c.params["message_id"])
            for c in second.request.calls
            if c.endpoint == "editMessageText" and int(c.params["chat_id"]) == GROUP_ID
        }
        assert set(ids.values()) <= edited
        assert (tmp_path / CLEAN_STOP_FILE).exists()
    finally:
        await second.stop()
