"""Tests for the fake Telegram Bot API server in bot.local_api."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
import warnings
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from telegram import Bot as PTBBot
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.local_api import LocalBotAPI, parse_html, parse_markdown_v2

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

USER = 1001
OTHER = 1002
GROUP = -4001
SUPERGROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    server = LocalBotAPI()
    await server.start()
    server.add_user(USER, "Lan", "Nguyễn", username="lan_nguyen")
    server.add_user(OTHER, "Minh", username="minh_tran")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http(api: LocalBotAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{api.base_url}{api.token}/", timeout=10) as client:
        yield client


@pytest.fixture
async def bot(api: LocalBotAPI) -> AsyncIterator[PTBBot]:
    async with PTBBot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


async def call(client: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    """POST a JSON request."""
    return await client.post(method, json=params)


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after without PTB's int-vs-timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ---------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------


async def test_wrong_token_unknown_method_and_unknown_path(api: LocalBotAPI) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{api.base_url}999:WRONG/getMe")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

        response = await client.post(f"{api.base_url}{api.token}/sendTelepathy", json={})
        assert response.status_code == 404
        assert response.json()["description"] == "Not Found: method not found"

        response = await client.get(f"{api.base_file_url}999:WRONG/documents/file_1.pdf")
        assert response.status_code == 404
        response = await client.get(f"http://127.0.0.1:{api.port}/elsewhere")
        assert response.status_code == 404
        assert response.json()["ok"] is False


async def test_get_me_by_get_post_form_and_query(
    api: LocalBotAPI, http: httpx.AsyncClient
) -> None:
    for response in (
        await http.get("getMe"),
        await http.post("getme", data={}),
        await http.post("getMe", json={}),
    ):
        assert response.status_code == 200
        result = response.json()["result"]
        assert result["is_bot"] is True
        assert result["username"] == "cum_thi_dua_bot"
        assert result["id"] == 123456
        assert result["can_read_all_group_messages"] is False

    api.send_text(USER, USER, "xin chào")
    response = await http.get("sendMessage", params={"chat_id": str(USER), "text": "qua query"})
    assert response.json()["result"]["text"] == "qua query"


async def test_form_fields_are_json_decoded(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.send_text(USER, USER, "/start")
    markup = {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok:1"}]]}
    response = await http.post(
        "sendMessage",
        data={
            "chat_id": str(USER),
            "text": "Chọn",
            "reply_markup": json.dumps(markup),
            "disable_notification": "true",
        },
    )
    assert response.status_code == 200
    message = response.json()["result"]
    assert message["reply_markup"] == markup
    assert message["from"]["is_bot"] is True
    assert message["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "username": "lan_nguyen",
    }
    recorded = await api.wait_for_call("sendMessage")
    assert recorded.params["chat_id"] == USER
    assert recorded.params["reply_markup"] == markup
    assert recorded.params["disable_notification"] is True
    assert recorded.ok is True


async def test_multipart_upload_get_file_and_download(
    api: LocalBotAPI, http: httpx.AsyncClient
) -> None:
    api.send_text(USER, USER, "/start")
    content = b"%PDF-1.4 bao cao"
    response = await http.post(
        "sendDocument",
        data={"chat_id": str(USER), "caption": "<b>Báo cáo</b>", "parse_mode": "HTML"},
        files={"document": ("báo cáo.PDF", content, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    message = response.json()["result"]
    document = message["document"]
    assert document["file_name"] == "báo cáo.PDF"
    assert document["mime_type"] == "application/pdf"
    assert document["file_size"] == len(content)
    assert message["caption"] == "Báo cáo"
    assert message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 7}]

    response = await call(http, "getFile", file_id=document["file_id"])
    info = response.json()["result"]
    assert info["file_unique_id"] == document["file_unique_id"]
    assert info["file_size"] == len(content)
    assert info["file_path"].startswith("documents/file_")
    assert info["file_path"].endswith(".pdf")
    async with httpx.AsyncClient(timeout=5) as client:
        download = await client.get(f"{api.base_file_url}{api.token}/{info['file_path']}")
    assert download.status_code == 200
    assert download.content == content
    assert api.file_content(document["file_id"]) == content

    sent = api.last_sent(USER)
    assert sent.method == "sendDocument"
    assert sent.text == "<b>Báo cáo</b>"
    assert sent.plain == "Báo cáo"

    again = await call(http, "sendDocument", chat_id=USER, document=document["file_id"])
    assert again.json()["result"]["document"]["file_unique_id"] == document["file_unique_id"]
    bogus = await call(http, "sendDocument", chat_id=USER, document="nope")
    assert bogus.json()["description"] == ("Bad Request: wrong file identifier/HTTP URL specified")


async def test_long_poll_waits_for_an_update(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    poll = asyncio.create_task(call(http, "getUpdates", timeout=5))
    await api.wait_until_polling(timeout=2)
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    update = api.send_text(USER, USER, "/start")
    response = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert response.json()["result"] == [update]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_long_poll_times_out_with_an_empty_list(http: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await call(http, "getUpdates", timeout=1)
    elapsed = time.monotonic() - started
    assert response.json() == {"ok": True, "result": []}
    assert 0.9 <= elapsed < 3


async def test_offset_confirms_and_limit(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    first = api.send_text(USER, USER, "một")
    second = api.send_text(USER, USER, "hai")
    assert second["update_id"] == first["update_id"] + 1

    result = (await call(http, "getUpdates", limit=1)).json()["result"]
    assert [u["update_id"] for u in result] == [first["update_id"]]
    result = (await call(http, "getUpdates")).json()["result"]
    assert [u["update_id"] for u in result] == [first["update_id"], second["update_id"]]
    assert api.delivery_count(first["update_id"]) == 2
    assert not api.is_consumed(first["update_id"])

    result = (await call(http, "getUpdates", offset=second["update_id"])).json()["result"]
    assert [u["update_id"] for u in result] == [second["update_id"]]
    assert api.is_consumed(first["update_id"])
    await api.wait_until_consumed(first["update_id"], timeout=1)

    result = (await call(http, "getUpdates", offset=second["update_id"] + 1)).json()["result"]
    assert result == []
    assert api.pending_updates == []

    api.redeliver(first["update_id"])
    result = (await call(http, "getUpdates")).json()["result"]
    assert result == [first]


async def test_second_get_updates_terminates_the_first(
    api: LocalBotAPI, http: httpx.AsyncClient
) -> None:
    first = asyncio.create_task(call(http, "getUpdates", timeout=5))
    await api.wait_until_polling(timeout=2)
    second = await call(http, "getUpdates", timeout=0)
    assert second.json() == {"ok": True, "result": []}
    response = await asyncio.wait_for(first, 2)
    assert response.status_code == 409
    assert response.json() == {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
    }


async def test_allowed_updates_filter(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    group = api.add_group(GROUP, "Cụm 1", admins=[OTHER], bot_is_admin=True)
    api.user_joins(group.id, USER)  # a message and a chat_member update
    result = (await call(http, "getUpdates")).json()["result"]
    assert [next(k for k in u if k != "update_id") for u in result] == ["message"]

    api.user_joins(group.id, USER)
    result = (
        await call(http, "getUpdates", allowed_updates=["chat_member", "callback_query"])
    ).json()["result"]
    assert [next(k for k in u if k != "update_id") for u in result] == ["chat_member"]


async def test_injected_errors(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.send_text(USER, USER, "/start")
    api.send_text(OTHER, OTHER, "/start")
    api.inject_error(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
        chat_id=USER,
    )
    other = await call(http, "sendMessage", chat_id=OTHER, text="ok")
    assert other.status_code == 200
    response = await call(http, "sendMessage", chat_id=USER, text="hello")
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert (await call(http, "sendMessage", chat_id=USER, text="hello")).status_code == 200
    failed = await api.wait_for_call("sendMessage", lambda c: not c.ok)
    assert failed.error_code == 429


async def test_private_chat_rules(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    response = await call(http, "sendMessage", chat_id=USER, text="hi")
    assert response.status_code == 403
    assert (
        response.json()["description"] == "Forbidden: bot can't initiate conversation with a user"
    )

    api.send_text(USER, USER, "/start")
    assert (await call(http, "sendMessage", chat_id=USER, text="hi")).status_code == 200

    blocked = api.block_bot(USER)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    response = await call(http, "sendMessage", chat_id=USER, text="hi")
    assert response.status_code == 403
    assert response.json()["description"] == "Forbidden: bot was blocked by the user"

    response = await call(http, "sendMessage", chat_id=777, text="hi")
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: chat not found"


async def test_group_rules_and_migration(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.add_group(GROUP, "Cụm 2", admins=[USER], bot_member=False)
    response = await call(http, "sendMessage", chat_id=GROUP, text="hi")
    assert response.status_code == 403
    assert response.json()["description"] == "Forbidden: bot was kicked from the group chat"

    joined = api.add_bot_to_group(GROUP, USER)
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert (await call(http, "sendMessage", chat_id=GROUP, text="hi")).status_code == 200

    api.add_group(SUPERGROUP, "Siêu nhóm", supergroup=True, bot_member=False)
    response = await call(http, "sendMessage", chat_id=SUPERGROUP, text="hi")
    assert (
        response.json()["description"] == "Forbidden: bot is not a member of the supergroup chat"
    )

    new_id = -1009876543210
    api.migrate_group(GROUP, new_id)
    response = await call(http, "sendMessage", chat_id=GROUP, text="hi")
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    result = (await call(http, "getUpdates")).json()["result"]
    service = [u["message"] for u in result if "message" in u][-2:]
    assert service[0]["migrate_to_chat_id"] == new_id
    assert service[0]["chat"]["id"] == GROUP
    assert service[1]["migrate_from_chat_id"] == GROUP
    assert service[1]["chat"] == {"id": new_id, "type": "supergroup", "title": "Cụm 2"}
    assert (await call(http, "sendMessage", chat_id=new_id, text="hi")).status_code == 200

    api.remove_bot_from_group(new_id, USER)
    response = await call(http, "sendMessage", chat_id=new_id, text="hi")
    assert response.json()["description"] == "Forbidden: bot was kicked from the supergroup chat"


async def test_privacy_mode_in_groups(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.add_group(GROUP, "Cụm 3", admins=[USER])
    assert "update_id" not in api.send_text(OTHER, GROUP, "chuyện phiếm")
    assert "update_id" not in api.send_document(OTHER, GROUP, "a.pdf", b"x")
    assert "update_id" in api.send_text(OTHER, GROUP, "/report")
    assert "update_id" in api.send_text(OTHER, GROUP, "/report@cum_thi_dua_bot")
    assert "update_id" not in api.send_text(OTHER, GROUP, "/report@other_bot")
    assert "update_id" in api.send_text(OTHER, GROUP, "hỏi @cum_thi_dua_bot nhé")
    bot_message = (await call(http, "sendMessage", chat_id=GROUP, text="Gửi báo cáo")).json()[
        "result"
    ]
    reply = api.send_document(OTHER, GROUP, "b.pdf", b"y", reply_to=bot_message["message_id"])
    assert reply["message"]["reply_to_message"]["message_id"] == bot_message["message_id"]
    assert "update_id" in reply

    api.set_admins(GROUP, [USER], bot_is_admin=True)
    assert "update_id" in api.send_text(OTHER, GROUP, "chuyện phiếm")

    relaxed = LocalBotAPI(privacy_mode=False)
    relaxed.add_user(USER, "Lan")
    relaxed.add_group(GROUP, "Cụm 3")
    assert "update_id" in relaxed.send_text(USER, GROUP, "chuyện phiếm")


async def test_text_validation(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.send_text(USER, USER, "/start")
    for text, description in (
        ("", "Bad Request: message text is empty"),
        ("  \n ", "Bad Request: message text is empty"),
        ("<b></b>", "Bad Request: message text is empty"),
        ("x" * 4097, "Bad Request: message is too long"),
    ):
        response = await call(http, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
        assert response.status_code == 400
        assert response.json()["description"] == description
    response = await call(http, "sendMessage", chat_id=USER)
    assert response.json()["description"] == "Bad Request: message text is empty"
    assert (await call(http, "sendMessage", chat_id=USER, text="ữ" * 4096)).status_code == 200

    data = "đ" * 33  # 66 bytes
    markup = {
        "inline_keyboard": [
            [{"text": "A", "callback_data": "ok"}, {"text": "B", "callback_data": data}]
        ]
    }
    response = await call(http, "sendMessage", chat_id=USER, text="x", reply_markup=markup)
    assert response.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "đ" * 32}]]}
    assert (
        await call(http, "sendMessage", chat_id=USER, text="x", reply_markup=markup)
    ).status_code == 200
    response = await call(
        http,
        "sendMessage",
        chat_id=USER,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "A"}]]},
    )
    assert response.json()["description"] == (
        "Bad Request: text buttons are unallowed in the inline keyboard"
    )
    response = await call(http, "sendMessage", chat_id=USER, text="x", parse_mode="Latex")
    assert response.json()["description"] == "Bad Request: unsupported parse_mode"


@pytest.mark.parametrize(
    ("html", "plain", "entities"),
    [
        (
            "<b>Đậm</b> và <i>nghiêng</i>",
            "Đậm và nghiêng",
            [
                {"type": "bold", "offset": 0, "length": 3},
                {"type": "italic", "offset": 7, "length": 7},
            ],
        ),
        ("a &lt;b&gt; &amp; &quot;c&quot; &#39; &#x41; &nbsp;", 'a <b> & "c" \' A &nbsp;', []),
        (
            '<a href="https://t.me/x?a=1&amp;b=2">link</a>',
            "link",
            [
                {"type": "text_link", "offset": 0, "length": 4, "url": "https://t.me/x?a=1&b=2"},
            ],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [
                {"type": "pre", "offset": 0, "length": 5, "language": "python"},
            ],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote><u>u</u><s>s</s><ins>i</ins><del>d</del>",
            "qusid",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
                {"type": "underline", "offset": 1, "length": 1},
                {"type": "strikethrough", "offset": 2, "length": 1},
                {"type": "underline", "offset": 3, "length": 1},
                {"type": "strikethrough", "offset": 4, "length": 1},
            ],
        ),
        (
            '😀<strong><em>x</em></strong><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "😀x👍",
            [
                {"type": "bold", "offset": 2, "length": 1},
                {"type": "italic", "offset": 2, "length": 1},
                {
                    "type": "custom_emoji",
                    "offset": 3,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                },
            ],
        ),
        ("<B>x</B>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ],
)
def test_parse_html_accepts(html: str, plain: str, entities: list[dict[str, Any]]) -> None:
    assert parse_html(html) == (plain, entities)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("ă < 3", 'Unsupported start tag "" at byte offset 3'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_parse_html_rejects(html: str, error: str) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(") + "$"):
        parse_html(html)


def test_parse_markdown_v2() -> None:
    assert parse_markdown_v2(r"*đậm* _x_ __u__ ~s~ ||p|| `c` [l](https://a.b) 1\.5") == (
        "đậm x u s p c l 1.5",
        [
            {"type": "bold", "offset": 0, "length": 3},
            {"type": "italic", "offset": 4, "length": 1},
            {"type": "underline", "offset": 6, "length": 1},
            {"type": "strikethrough", "offset": 8, "length": 1},
            {"type": "spoiler", "offset": 10, "length": 1},
            {"type": "code", "offset": 12, "length": 1},
            {"type": "text_link", "offset": 14, "length": 1, "url": "https://a.b"},
        ],
    )
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("1.5")
    with pytest.raises(ValueError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*x")


async def test_html_errors_over_http(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.send_text(USER, USER, "/start")
    response = await call(http, "sendMessage", chat_id=USER, text="<b>x", parse_mode="HTML")
    assert response.status_code == 400
    assert response.json()["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    response = await call(
        http, "sendMessage", chat_id=USER, text=" <b>Tổng</b> 5 ", parse_mode="html"
    )
    message = response.json()["result"]
    assert message["text"] == "Tổng 5"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    sent = api.last_sent(USER)
    assert sent.text == " <b>Tổng</b> 5 "
    assert sent.plain == "Tổng 5"
    assert sent.parse_mode == "html"


async def test_edit_rules(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    api.send_text(USER, USER, "/start")
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    sent = (
        await call(
            http,
            "sendMessage",
            chat_id=USER,
            text="<b>A</b>",
            parse_mode="HTML",
            reply_markup=markup,
        )
    ).json()["result"]
    message_id = sent["message_id"]

    same = await call(
        http,
        "editMessageText",
        chat_id=USER,
        message_id=message_id,
        text="<b>A</b>",
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert same.status_code == 400
    assert same.json()["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # Same text, formatting lost: that is a modification.
    plain = await call(
        http, "editMessageText", chat_id=USER, message_id=message_id, text="A", reply_markup=markup
    )
    assert plain.status_code == 200
    # Same text without reply_markup removes the keyboard.
    edited = await call(http, "editMessageText", chat_id=USER, message_id=message_id, text="A")
    assert edited.status_code == 200
    assert "reply_markup" not in edited.json()["result"]
    assert "edit_date" in edited.json()["result"]
    assert api.sent(USER)[0].reply_markup is None
    assert api.message(USER, message_id) == edited.json()["result"]

    again = await call(http, "editMessageReplyMarkup", chat_id=USER, message_id=message_id)
    assert again.json()["description"].startswith("Bad Request: message is not modified")
    restored = await call(
        http, "editMessageReplyMarkup", chat_id=USER, message_id=message_id, reply_markup=markup
    )
    assert restored.json()["result"]["reply_markup"] == markup

    missing = await call(http, "editMessageText", chat_id=USER, message_id=999, text="B")
    assert missing.json()["description"] == "Bad Request: message to edit not found"
    user_message = api.send_text(USER, USER, "của tôi")["message"]["message_id"]
    foreign = await call(http, "editMessageText", chat_id=USER, message_id=user_message, text="B")
    assert foreign.json()["description"] == "Bad Request: message can't be edited"

    events = [(e.event, e.plain) for e in api.history]
    assert events == [("sent", "A"), ("edited", "A"), ("edited", "A"), ("edited", "A")]
    assert api.history[0].entities == [{"type": "bold", "offset": 0, "length": 1}]
    assert api.history[1].entities == []

    deleted = await call(http, "deleteMessage", chat_id=USER, message_id=message_id)
    assert deleted.json() == {"ok": True, "result": True}
    assert api.sent(USER) == []
    assert api.sent(USER, include_deleted=True)[0].deleted
    gone = await call(http, "deleteMessage", chat_id=USER, message_id=message_id)
    assert gone.json()["description"] == "Bad Request: message to delete not found"


async def test_reply_parameters(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    incoming = api.send_text(USER, USER, "/report")["message"]
    response = await call(
        http,
        "sendMessage",
        chat_id=USER,
        text="Đã nhận",
        reply_parameters={"message_id": incoming["message_id"]},
    )
    message = response.json()["result"]
    assert message["reply_to_message"]["message_id"] == incoming["message_id"]
    assert message["reply_to_message"]["text"] == "/report"
    assert api.last_sent(USER).reply_to == incoming["message_id"]

    response = await call(http, "sendMessage", chat_id=USER, text="x", reply_to_message_id=999)
    assert response.json()["description"] == "Bad Request: message to be replied not found"
    response = await call(
        http,
        "sendMessage",
        chat_id=USER,
        text="x",
        reply_parameters={"message_id": 999, "allow_sending_without_reply": True},
    )
    assert "reply_to_message" not in response.json()["result"]


async def test_get_file_size_limit() -> None:
    big = b"\0" * (20 * 1024 * 1024 + 1)
    for local_mode, status in ((False, 400), (True, 200)):
        async with LocalBotAPI(local_mode=local_mode) as server:
            server.add_user(USER, "Lan")
            file_id = server.send_document(USER, USER, "big.zip", big)["message"]["document"][
                "file_id"
            ]
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(
                    f"{server.base_url}{server.token}/getFile", json={"file_id": file_id}
                )
            assert response.status_code == status
            if status == 400:
                assert response.json()["description"] == "Bad Request: file is too big"
            else:
                assert response.json()["result"]["file_path"] == "documents/file_1.zip"


async def test_commands_per_scope_and_language(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    commands = [{"command": "start", "description": "Bắt đầu"}]
    scope = {"type": "chat", "chat_id": str(USER)}
    assert (await call(http, "setMyCommands", commands=commands)).status_code == 200
    assert (
        await call(
            http,
            "setMyCommands",
            commands=[{"command": "help", "description": "Giúp"}],
            scope=scope,
            language_code="vi",
        )
    ).status_code == 200
    default = (await call(http, "getMyCommands")).json()["result"]
    assert default == commands
    scoped = (
        await call(
            http, "getMyCommands", scope={"type": "chat", "chat_id": USER}, language_code="vi"
        )
    ).json()["result"]
    assert scoped == [{"command": "help", "description": "Giúp"}]
    assert (await call(http, "getMyCommands", scope=scope)).json()["result"] == []
    await call(http, "deleteMyCommands")
    assert api.commands() == []
    bad = await call(http, "setMyCommands", commands=[{"command": "Bad Name", "description": "x"}])
    assert bad.json()["description"] == "Bad Request: BOT_COMMAND_INVALID"


async def test_webhook_state(api: LocalBotAPI, http: httpx.AsyncClient) -> None:
    bad = await call(http, "setWebhook", url="http://insecure.example")
    assert bad.status_code == 400
    assert (await call(http, "setWebhook", url="https://bot.example/hook")).status_code == 200
    info = (await call(http, "getWebhookInfo")).json()["result"]
    assert info["url"] == "https://bot.example/hook"
    conflict = await call(http, "getUpdates")
    assert conflict.status_code == 409
    assert (await call(http, "deleteWebhook")).json() == {"ok": True, "result": True}
    assert (await call(http, "getWebhookInfo")).json()["result"]["url"] == ""
    assert (await call(http, "getUpdates")).status_code == 200
    api.send_text(USER, USER, "x")
    await call(http, "deleteWebhook", drop_pending_updates=True)
    assert api.pending_updates == []
    for method in ("logOut", "close"):
        assert (await call(http, method)).json() == {"ok": True, "result": True}


async def test_wait_for_message_cursor_semantics(
    api: LocalBotAPI, http: httpx.AsyncClient
) -> None:
    api.send_text(USER, USER, "/start")
    await call(http, "sendMessage", chat_id=USER, text="một")
    await call(http, "sendMessage", chat_id=USER, text="hai")
    assert (await api.wait_for_message(chat_id=USER)).plain == "một"
    assert (await api.wait_for_message(chat_id=USER)).plain == "hai"
    mark = api.mark()
    waiter = asyncio.create_task(api.wait_for_message(contains="ba", timeout=2))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await call(http, "sendMessage", chat_id=USER, text="ba")
    assert (await waiter).plain == "ba"
    assert (await api.wait_for_message(since=mark)).plain == "ba"
    with pytest.raises(TimeoutError):
        await api.wait_for_message(chat_id=USER, timeout=0.1)


# ---------------------------------------------------------------------------
# python-telegram-bot against the server
# ---------------------------------------------------------------------------


async def test_ptb_messages_keyboards_and_updates(api: LocalBotAPI, bot: PTBBot) -> None:
    assert bot.username == "cum_thi_dua_bot"
    start = api.send_text(USER, USER, "/start abc")
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 1
    assert updates[0].update_id == start["update_id"]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start abc"
    assert message.from_user is not None
    assert message.from_user.full_name == "Lan Nguyễn"
    assert message.from_user.language_code == "vi"

    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Xác nhận", callback_data="confirm:7")]]
    )
    sent = await bot.send_message(
        USER,
        "<b>Báo cáo</b> tháng 5 &amp; 6",
        parse_mode="HTML",
        reply_markup=keyboard,
        reply_to_message_id=message.message_id,
    )
    assert sent.text == "Báo cáo tháng 5 & 6"
    assert sent.text_html == "<b>Báo cáo</b> tháng 5 &amp; 6"
    assert sent.reply_markup == keyboard
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == message.message_id
    recorded = await api.wait_for_message(chat_id=USER)
    assert recorded.callback_data == ["confirm:7"]
    assert recorded.button("Xác") == "confirm:7"

    pressed = api.press(USER, USER, sent.message_id, recorded.button("Xác nhận"))
    updates = await bot.get_updates(offset=start["update_id"] + 1, timeout=0)
    assert [u.update_id for u in updates] == [pressed["update_id"]]
    query = updates[0].callback_query
    assert query is not None
    assert query.data == "confirm:7"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await query.answer("Đã ghi nhận") is True
    assert api.callback_answers[query.id]["text"] == "Đã ghi nhận"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()

    edited = await bot.edit_message_text("Đã xác nhận", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Đã xác nhận", chat_id=USER, message_id=sent.message_id)


async def test_ptb_documents_round_trip(api: LocalBotAPI, bot: PTBBot) -> None:
    api.send_text(USER, USER, "/start")
    payload = "Báo cáo thi đua".encode() * 100
    sent = await bot.send_document(
        USER, InputFile(payload, filename="bao_cao.xlsx"), caption="Tháng 5"
    )
    assert sent.document is not None
    assert sent.document.file_name == "bao_cao.xlsx"
    assert sent.caption == "Tháng 5"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_size == len(payload)
    assert file.file_path is not None
    assert file.file_path.endswith(".xlsx")
    assert bytes(await file.download_as_bytearray()) == payload

    incoming = api.send_document(USER, USER, "danh_sach.csv", b"a,b\n1,2\n", caption="/import")
    updates = await bot.get_updates(timeout=0)
    document = updates[-1].message.document if updates[-1].message else None
    assert document is not None
    assert document.mime_type == "text/csv"
    assert document.file_id == incoming["message"]["document"]["file_id"]
    file = await document.get_file()
    buffer = bytearray()
    await file.download_as_bytearray(buffer)
    assert bytes(buffer) == b"a,b\n1,2\n"

    photo = await bot.send_photo(
        USER, b"\x89PNG\r\n\x1a\n" + b"\0" * 8 + (2).to_bytes(4, "big") * 2
    )
    assert photo.photo[-1].width == 2


async def test_ptb_errors(api: LocalBotAPI, bot: PTBBot) -> None:
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(USER, "hi")
    api.block_bot(USER)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(USER, "hi")

    api.add_group(GROUP, "Cụm 4", admins=[USER])
    new_id = -1005555555555
    api.migrate_group(GROUP, new_id)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "hi")
    assert migrated.value.new_chat_id == new_id

    api.inject_error(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
    )
    # PTB itself reads retry_after while building RetryAfter, which warns about its type.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(new_id, "hi")
    assert retry_seconds(retry.value) == 7
    assert (await bot.send_message(new_id, "hi")).chat.type == "supergroup"

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "hi")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(new_id, "<i>x", parse_mode="HTML")

    api.inject_error("getUpdates", error_code=409, description="Conflict: test")
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)


async def test_ptb_chat_methods(api: LocalBotAPI, bot: PTBBot) -> None:
    api.add_group(
        SUPERGROUP, "Cụm 5", supergroup=True, admins=[USER], bot_is_admin=True, members=[OTHER]
    )
    chat = await bot.get_chat(SUPERGROUP)
    assert chat.title == "Cụm 5"
    assert chat.type == "supergroup"
    private = await bot.get_chat(USER)
    assert private.first_name == "Lan"

    assert (await bot.get_chat_member(SUPERGROUP, USER)).status == "creator"
    assert (await bot.get_chat_member(SUPERGROUP, OTHER)).status == "member"
    assert (await bot.get_chat_member(SUPERGROUP, bot.id)).status == "administrator"
    admins = await bot.get_chat_administrators(SUPERGROUP)
    assert {a.user.id for a in admins} == {USER, bot.id}
    assert await bot.get_chat_member_count(SUPERGROUP) == 3

    message = await bot.send_message(SUPERGROUP, "Thông báo")
    assert await bot.pin_chat_message(SUPERGROUP, message.message_id) is True
    pinned = (await bot.get_chat(SUPERGROUP)).pinned_message
    assert pinned is not None
    assert pinned.message_id == message.message_id
    assert await bot.unpin_chat_message(SUPERGROUP, message.message_id) is True
    assert await bot.send_chat_action(SUPERGROUP, "typing") is True

    api.send_text(USER, USER, "/start")
    copied = await bot.copy_message(USER, SUPERGROUP, message.message_id)
    assert api.last_sent(USER).plain == "Thông báo"
    assert api.last_sent(USER).message_id == copied.message_id
    forwarded = await bot.forward_message(USER, SUPERGROUP, message.message_id)
    assert forwarded.forward_origin is not None
    assert await bot.delete_message(USER, forwarded.message_id) is True

    scope = BotCommandScopeChat(USER)
    assert await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu")], scope=scope, language_code="vi"
    )
    assert await bot.get_my_commands(scope=scope, language_code="vi") == (
        BotCommand("start", "Bắt đầu"),
    )
    assert await bot.get_my_commands() == ()
    assert api.commands({"type": "chat", "chat_id": USER}, "vi")[0]["command"] == "start"

    assert await bot.leave_chat(SUPERGROUP) is True
    with pytest.raises(Forbidden):
        await bot.send_message(SUPERGROUP, "hi")
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.delete_webhook() is True


async def test_ptb_application_polls_and_answers(api: LocalBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
        await update.effective_message.reply_html("<b>Chào</b> bạn", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            update = api.send_text(USER, USER, "/start")
            reply = await api.wait_for_message(chat_id=USER, timeout=5)
            assert reply.plain == "Chào bạn"
            assert reply.reply_to is None  # PTB quotes by default only in groups
            assert update["message"]["chat"]["type"] == "private"
            api.press(USER, USER, reply.message_id, reply.button("Có"))
            edited = await api.wait_for_message(lambda m: m.event == "edited", timeout=5)
            assert edited.plain == "Bạn chọn: yes"
            assert edited.reply_markup is None
            await api.wait_until_idle(timeout=5)
        finally:
            await application.updater.stop()
            await application.stop()
    assert api.pending_updates == []
    assert all(api.delivery_count(u["update_id"]) == 1 for u in api.updates)
