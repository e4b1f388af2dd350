"""Helpers every handler relies on: splitting long text, payload codec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import callback_data as cb
from handlers.common import split_text


@given(st.text(alphabet=st.sampled_from("ađ ế\nxY"), max_size=12_000))
def test_split_text_keeps_everything_within_the_limit(text: str) -> None:
    parts = split_text(text, limit=4096)
    assert all(len(p) <= 4096 for p in parts)
    if all(len(line) <= 4096 for line in text.split("\n")):
        # Cut only at line breaks: joining the parts gives the text back exactly.
        assert "\n".join(parts) == text
    else:
        assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_text_cuts_at_line_breaks() -> None:
    lines = [f"Dòng {n}: đơn vị đã nộp báo cáo" for n in range(400)]
    parts = split_text("\n".join(lines), limit=4096)
    assert len(parts) > 1
    assert "\n".join(parts) == "\n".join(lines)


@given(st.text(max_size=80))
def test_decoders_never_raise_on_arbitrary_payloads(data: str) -> None:
    for prefix in cb.PATTERNS:
        parts = cb.decode(prefix, data)
        assert parts is None or all(isinstance(p, str) for p in parts)


def test_encode_refuses_oversized_or_malformed_payloads() -> None:
    assert cb.encode(cb.JOIN, 42) == "join1:42"
    with pytest.raises(ValueError, match="bad callback payload"):
        cb.encode(cb.JOIN, "Vietsovpetro")
    with pytest.raises(ValueError, match="bad callback payload"):
        cb.encode(cb.DECIDE, "a", 10**40)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Anh/chị vui lòng ghi ngày và giờ."),
        ("31/02/2023", "Ngày hoặc giờ này không tồn tại."),
        ("15/10/2022 17h", "Thời điểm này đã qua."),
        ("3h 15/11/2022", "buổi sáng hay buổi chiều"),
        ("hôm nào đó", "Bot chưa đọc được ngày giờ này."),
    ],
)
def test_date_errors_read_as_vietnamese_with_an_example(text: str, reason: str) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.dates import DateParseError, parse_datetime
    from bot.i18n import translator
    from handlers.messages import render_date_error

    now = datetime(2022, 10, 20, 3, 0, tzinfo=UTC)
    with pytest.raises(DateParseError) as caught:
        parse_datetime(text, now, ZoneInfo("Asia/Ho_Chi_Minh"))
    message = render_date_error(caught.value, translator("vi"))
    assert message.startswith(reason) or reason in message
    assert "Anh/chị vui lòng ghi theo dạng: <code>" in message
