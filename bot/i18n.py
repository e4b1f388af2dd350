"""Translations per locale and Vietnamese-style formatting of dates and numbers."""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from bot.config import SUPPORTED_LOCALES

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

DOMAIN = "messages"
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@cache
def translator(locale: str) -> NullTranslations:
    """Return the catalog of a locale, compiling the .po in memory when no fresh .mo exists.

    A fresh checkout has only .po files (compiled .mo are not committed), so the
    bot must run without a manual compile step.
    """
    if locale not in SUPPORTED_LOCALES:
        locale = "vi"
    folder = resources.files("locales").joinpath(locale, "LC_MESSAGES")
    with resources.as_file(folder) as path:
        po_file, mo_file = path / f"{DOMAIN}.po", path / f"{DOMAIN}.mo"
        if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
            with mo_file.open("rb") as fp:
                return Translations(fp, domain=DOMAIN)
        with po_file.open("rb") as fp:
            catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def format_when(dt: datetime, tz: ZoneInfo, locale: str) -> str:
    """Format a moment as people of the locale read it: '17:00 thứ Ba, 15/11/2022'."""
    local = dt.astimezone(tz)
    if locale == "en":
        return format_datetime(local, "HH:mm EEEE, dd/MM/yyyy", tzinfo=tz, locale="en_GB")
    text = format_datetime(local, "HH:mm EEEE, dd/MM/yyyy", tzinfo=tz, locale="vi_VN")
    # Babel capitalises the weekday ("Thứ Ba"); mid-sentence Vietnamese writes "thứ Ba".
    return text.replace("Thứ", "thứ").replace("Chủ Nhật", "Chủ nhật")


def format_date(dt: datetime, tz: ZoneInfo) -> str:
    """Format a day as dd/MM/yyyy in the cluster's zone."""
    return format_datetime(dt.astimezone(tz), "dd/MM/yyyy", tzinfo=tz, locale="vi_VN")


def format_number(value: float, locale: str) -> str:
    """Format a number with the locale's separators (1.234,5 in Vietnamese)."""
    return format_decimal(value, locale=BABEL_LOCALES.get(locale, "vi_VN"))


def pick_locale(*, chosen: str | None, telegram_language: str | None, default: str = "vi") -> str:
    """Choose a private chat's language: the person's choice, else Telegram's if supported."""
    if chosen in SUPPORTED_LOCALES:
        return chosen
    if telegram_language:
        base = telegram_language.split("-")[0].lower()
        if base in SUPPORTED_LOCALES:
            return base
    return default
