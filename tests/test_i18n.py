"""The catalogs: complete, not fuzzy, compilable; formatting as Vietnamese people write."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import format_number, format_when, pick_locale, translator

LOCALES = Path(__file__).resolve().parent.parent / "locales"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=locale)


def _template_ids() -> set[object]:
    with (LOCALES / "messages.pot").open("rb") as fp:
        return {m.id for m in read_po(fp) if m.id}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalog_is_complete_and_not_fuzzy(locale: str) -> None:
    catalog = _catalog(locale)
    assert not catalog.fuzzy
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalog_covers_every_extracted_message(locale: str) -> None:
    ids = {m.id for m in _catalog(locale) if m.id}
    assert _template_ids() <= ids


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalog_compiles_and_keeps_placeholders_and_tags(locale: str) -> None:
    catalog = _catalog(locale)
    write_mo(io.BytesIO(), catalog)
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), source
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(source)), source


def test_vietnamese_text_addresses_people_politely() -> None:
    for message in _catalog("vi"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert not re.search(r"\bbạn\b|\bmày\b|\btao\b", text, re.IGNORECASE), text


def test_translator_falls_back_to_vietnamese_and_translates() -> None:
    assert translator("vi").gettext("Approve") == "Duyệt"
    assert translator("en").gettext("Approve") == "Approve"
    assert translator("xx").gettext("Approve") == "Duyệt"


def test_format_when_reads_like_vietnamese() -> None:
    deadline = datetime(2022, 11, 15, 10, 0, tzinfo=UTC)  # 17:00 in Hà Nội
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert format_when(deadline, tz, "vi") == "17:00 thứ Ba, 15/11/2022"
    assert format_when(deadline, tz, "en") == "17:00 Tuesday, 15/11/2022"
    sunday = datetime(2022, 11, 13, 2, 0, tzinfo=UTC)
    assert format_when(sunday, tz, "vi") == "09:00 Chủ nhật, 13/11/2022"


def test_numbers_use_vietnamese_separators() -> None:
    assert format_number(1234.5, "vi") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [("en", "vi", "en"), (None, "en-US", "en"), (None, "ru", "vi"), (None, None, "vi")],
)
def test_private_locale_choice(chosen: str | None, telegram: str | None, expected: str) -> None:
    assert pick_locale(chosen=chosen, telegram_language=telegram) == expected
