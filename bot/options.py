"""Split `|`-separated command arguments and read their `key=value` option segments."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = [
    "OptionError",
    "normalise_key",
    "parse_options",
    "parse_yes_no",
    "split_args",
    "split_list",
]

_KEY_RE = re.compile(r"[a-z0-9_]+", re.ASCII)
# Inside a key a space or hyphen is read as the underscore people forgot ("xep hang=co").
_KEY_GLUE_RE = re.compile(r"[\s\-]+")
_LIST_SEP_RE = re.compile(r"[;,]")
_SPACES_RE = re.compile(r"\s+")

_YES = frozenset({"co", "có", "yes", "y", "1", "true", "dung", "đúng", "ok"})
_NO = frozenset({"khong", "không", "ko", "k", "no", "n", "0", "false", "sai"})


class OptionError(ValueError):
    """An option segment that cannot be read; `code` names the reason for the UI."""

    def __init__(self, code: str, segment: str, key: str | None = None) -> None:
        super().__init__(f"{code}: {segment!r}" + (f" (key {key!r})" if key else ""))
        self.code = code  # "malformed" | "unknown" | "duplicate" | "empty_value"
        self.key = key
        self.segment = segment


def split_args(text: str) -> list[str]:
    """Split command arguments on `|`, trimming each and dropping empty trailing segments."""
    segments = [part.strip() for part in text.split("|")]
    while segments and not segments[-1]:
        segments.pop()
    return segments


def normalise_key(raw: str) -> str:
    """Fold an option key to lower-case ASCII: 'Đơn_vị' -> 'don_vi' (may still be invalid)."""
    text = unicodedata.normalize("NFC", raw).strip().replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _KEY_GLUE_RE.sub("_", text)


def _clean_value(raw: str) -> str:
    return unicodedata.normalize("NFC", raw).strip()


def _pair(
    raw_key: str, raw_value: str, segment: str, allowed: Collection[str], seen: dict[str, str]
) -> None:
    key = normalise_key(raw_key)
    if not _KEY_RE.fullmatch(key):
        raise OptionError("malformed", segment, raw_key.strip() or None)
    if key not in allowed:
        raise OptionError("unknown", segment, key)
    value = _clean_value(raw_value)
    if not value:
        raise OptionError("empty_value", segment, key)
    if key in seen:
        raise OptionError("duplicate", segment, key)
    seen[key] = value


def parse_options(segments: list[str], allowed: Collection[str]) -> dict[str, str]:
    """Read option segments into a dict of normalised keys to NFC-trimmed values."""
    options: dict[str, str] = {}
    for raw_segment in segments:
        segment = raw_segment.strip()
        if not segment:
            continue
        equals = segment.count("=")
        if equals == 0:
            raise OptionError("malformed", segment)
        if equals == 1:
            raw_key, _, raw_value = segment.partition("=")
            _pair(raw_key, raw_value, segment, allowed, options)
            continue
        for token in segment.split():
            if token.count("=") != 1:
                raise OptionError("malformed", segment)
            raw_key, _, raw_value = token.partition("=")
            _pair(raw_key, raw_value, segment, allowed, options)
    return options


def split_list(value: str) -> list[str]:
    """Split a list value on ';' or ',', trimmed, without empties or case-insensitive repeats."""
    items: list[str] = []
    seen: set[str] = set()
    for part in _LIST_SEP_RE.split(unicodedata.normalize("NFC", value)):
        item = _SPACES_RE.sub(" ", part).strip()
        folded = item.casefold()
        if item and folded not in seen:
            seen.add(folded)
            items.append(item)
    return items


def parse_yes_no(value: str, *, key: str | None = None) -> bool:
    """Read a yes/no answer ('có', 'co', 'yes', '1' / 'không', 'ko', 'no', '0')."""
    word = unicodedata.normalize("NFC", value).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise OptionError("malformed", value, key)
