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
