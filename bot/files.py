"""File-submission helpers: allowed types, checks, safe names, sizes, durations and hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

__all__ = [
    "BOT_API_DOWNLOAD_LIMIT",
    "DEFAULT_TYPES",
    "KNOWN_TYPES",
    "FileCheckError",
    "FileTypeError",
    "canonical_extension",
    "check_file",
    "extension_of",
    "format_duration_en",
    "format_duration_vi",
    "format_size_en",
    "format_size_vi",
    "normalise_types",
    "safe_display_name",
    "sha256_file",
    "stored_name",
    "write_and_hash",
]

DEFAULT_TYPES: tuple[str, ...] = (
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods",
    "zip", "rar", "7z", "jpg", "png",
)  # fmt: skip
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024

_OLE = ("application/x-ole-storage", "application/cdfv2", "application/x-tika-msoffice")
_ZIP = ("application/zip", "application/x-zip", "application/x-zip-compressed")
_WORD = ("application/msword", "application/vnd.ms-word")
_EXCEL = (
    "application/vnd.ms-excel", "application/msexcel", "application/x-msexcel",
    "application/excel", "application/x-excel",
)  # fmt: skip
_POWERPOINT = (
    "application/vnd.ms-powerpoint", "application/mspowerpoint",
    "application/x-mspowerpoint", "application/powerpoint",
)  # fmt: skip
_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

# Canonical extension -> MIME prefixes a client may honestly send for it. Office formats
# accept their container type too (OOXML/ODF are ZIPs, the old ones OLE), because clients
# sniff content; the check only catches outright contradictions (an .exe named .pdf).
_MIME_PREFIXES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf", "application/x-pdf", "application/acrobat"),
    "doc": (*_WORD, *_OLE),
    "docx": (_OOXML + "wordprocessingml", *_WORD, *_ZIP),
    "xls": (*_EXCEL, *_OLE),
    "xlsx": (_OOXML + "spreadsheetml", *_EXCEL, *_ZIP),
    "ppt": (*_POWERPOINT, *_OLE),
    "pptx": (_OOXML + "presentationml", *_POWERPOINT, *_ZIP),
    "odt": (_ODF + "text", *_ZIP),
    "ods": (_ODF + "spreadsheet", *_ZIP),
    "odp": (_ODF + "presentation", *_ZIP),
    "zip": (*_ZIP, "multipart/x-zip"),
    "rar": ("application/vnd.rar", "application/x-rar"),
    "7z": ("application/x-7z-compressed",),
    "jpg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "png": ("image/png",),
    "tif": ("image/tiff",),
    "heic": ("image/heic", "image/heif"),
    "txt": ("text/",),
    "csv": ("text/", "application/csv", "application/vnd.ms-excel"),
}
_ALIASES = {"jpeg": "jpg", "tiff": "tif"}
KNOWN_TYPES: tuple[str, ...] = tuple(_MIME_PREFIXES)
# Sent by clients that do not know better; never a contradiction.
_NEUTRAL_MIMES = frozenset({"", "application/octet-stream"})

_EXTENSION_RE = re.compile(r"[a-z0-9]{1,10}", re.ASCII)
_STORED_EXTENSION_RE = re.compile(r"[a-z0-9]{1,8}", re.ASCII)
_UNSAFE_CODE_RE = re.compile(r"[^A-Za-z0-9_.-]", re.ASCII)
_DOTS_RE = re.compile(r"\.{2,}")
_SPACES_RE = re.compile(r" {2,}")
STORED_NAME_MAX = 100
_SLASHES = frozenset("/\\\u2044\u2215\u29f8\u29f9\uff0f\uff3c")
# Invisible format characters that are part of how emoji and some scripts are written.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"}) | {chr(c) for c in range(0xE0020, 0xE0080)}


class FileTypeError(ValueError):
    """A file type the bot does not know; `value` is what was written."""

    def __init__(self, value: str, code: str = "unknown_type") -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value
        self.known = KNOWN_TYPES


class FileCheckError(ValueError):
    """A submitted file that is refused; `code` names the reason, `allowed` the accepted types."""

    def __init__(self, code: str, allowed: tuple[str, ...], extension: str | None = None) -> None:
        super().__init__(f"{code}: .{extension} not in {allowed}" if extension else code)
        self.code = code  # "no_name" | "empty" | "type" | "mime"
        self.allowed = allowed
        self.extension = extension


def canonical_extension(value: str) -> str:
    """Fold a written type ('PDF', '.docx', '*.jpeg') to its canonical extension, unchecked."""
    text = unicodedata.normalize("NFKC", value).strip().lower().lstrip("*").lstrip(".").strip()
    return _ALIASES.get(text, text)


def normalise_types(values: Iterable[str]) -> tuple[str, ...]:
    """Canonicalise a list of file types, keeping order; FileTypeError on an unknown one."""
    if isinstance(values, str):
        values = (values,)
    result: list[str] = []
    for value in values:
        extension = canonical_extension(value)
        if not extension:
            continue
        if extension not in _MIME_PREFIXES:
            raise FileTypeError(value)
        if extension not in result:
            result.append(extension)
    return tuple(result)


def extension_of(file_name: str) -> str | None:
    """Lower-case extension of a file name without the dot, or None when it has none."""
    name = unicodedata.normalize("NFKC", file_name).rstrip(" .\t\r\n")
    name = re.split(r"[/\\]", name)[-1]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(" ."):
        return None
    extension = extension.strip().lower()
    return extension if _EXTENSION_RE.fullmatch(extension) else None


def _mime_fits(extension: str, mime_type: str | None) -> bool:
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    if mime in _NEUTRAL_MIMES:
        return True
    prefixes = _MIME_PREFIXES.get(extension)
    return prefixes is None or mime.startswith(prefixes)


def check_file(
    file_name: str | None, mime_type: str | None, size: int | None, allowed: Sequence[str]
) -> str:
    """Return the canonical extension of an acceptable submission, else raise FileCheckError."""
    accepted = tuple(dict.fromkeys(canonical_extension(a) for a in allowed))
    if file_name is None or not file_name.strip():
        raise FileCheckError("no_name", accepted)
    if size is not None and size <= 0:
        raise FileCheckError("empty", accepted)
    raw = extension_of(file_name)
    extension = _ALIASES.get(raw, raw) if raw else None
    if extension is None or extension not in accepted:
        raise FileCheckError("type", accepted, raw)
    if not _mime_fits(extension, mime_type):
        raise FileCheckError("mime", accepted, extension)
    return extension


def _ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def stored_name(unit_code: str, version: int, extension: str) -> str:
    """On-disk name `{CODE}_v{n}.{ext}`, with the code reduced to [A-Za-z0-9_.-]."""
    if not _STORED_EXTENSION_RE.fullmatch(extension):
        raise ValueError(f"bad extension {extension!r}")
    if not 0 <= version < 10**9:
        raise ValueError(f"bad version {version!r}")
    suffix = f"_v{version}.{extension}"
    code = _UNSAFE_CODE_RE.sub("_", _ascii_fold(unit_code))
    code = _DOTS_RE.sub(".", code).lstrip(".-")
    code = code[: STORED_NAME_MAX - len(suffix)] or "don_vi"
    return code + suffix


def _clean_char(ch: str) -> str:
    if ch in _SLASHES:
        return "_"
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs") or (category == "Cf" and ch not in _KEPT_FORMAT):
        return ""
    return ch


def safe_display_name(file_name: str, limit: int = 120) -> str:
    """The sender's file name made safe to show and store: no controls, separators or '..'."""
    if limit < 1:
        raise ValueError(f"bad limit {limit!r}")
    text = "".join(_clean_char(ch) for ch in unicodedata.normalize("NFC", file_name))
    text = unicodedata.normalize("NFC", text)
    text = _DOTS_RE.sub(".", _SPACES_RE.sub(" ", text)).strip(" .")
    if len(text) > limit:
        stem, dot, extension = text.rpartition(".")
        tail = dot + extension
        if dot and stem and len(tail) <= min(11, limit - 1):
            text = stem[: limit - len(tail)].rstrip(" .") + tail
        else:
            text = text[:limit]
        text = text.strip(" .")
    return text or "tep"[:limit]


_SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")


def _size_parts(size: int) -> tuple[int, int, str]:
    """(whole, tenths, unit) of a byte count, rounded half up to one decimal."""
    if size < 0:
        raise ValueError(f"negative size {size!r}")
    if size < 1024:
        return size, 0, "B"
    for power in range(1, len(_SIZE_UNITS)):
        scale = 1024**power
        tenths = (size * 20 + scale) // (scale * 2)
        if tenths < 10240 or power == len(_SIZE_UNITS) - 1:
            return tenths // 10, tenths % 10, _SIZE_UNITS[power]
    raise AssertionError  # pragma: no cover - the loop always returns


def _group(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


def format_size_vi(size: int) -> str:
    """Byte count the Vietnamese way: '1,5 KB', '20 MB', '512 B'."""
    whole, tenths, unit = _size_parts(size)
    number = _group(whole, ".") + (f",{tenths}" if tenths else "")
    return f"{number} {unit}"


def format_size_en(size: int) -> str:
    """Byte count the English way: '1.5 KB', '20 MB', '512 B'."""
    whole, tenths, unit = _size_parts(size)
    number = _group(whole, ",") + (f".{tenths}" if tenths else "")
    return f"{number} {unit}"


def _duration_parts(seconds: int) -> list[tuple[int, int]]:
    """Up to two (amount, unit index) pairs, largest first; unit 0 day, 1 hour, 2 minute."""
    if seconds < 0:
        raise ValueError(f"negative duration {seconds!r}")
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [(days, 0), (hours, 1)]
    elif hours:
        parts = [(hours, 1), (minutes, 2)]
    else:
        parts = [(minutes, 2)]
    return [(amount, unit) for i, (amount, unit) in enumerate(parts) if amount or i == 0]


def format_duration_vi(seconds: int) -> str:
    """A length of time in Vietnamese: 'dưới 1 phút', '2 giờ 15 phút', '1 ngày 1 giờ'."""
    if 0 <= seconds < 60:
        return "dưới 1 phút"
    words = ("ngày", "giờ", "phút")
    return " ".join(f"{amount} {words[unit]}" for amount, unit in _duration_parts(seconds))


def format_duration_en(seconds: int) -> str:
    """A length of time in English: 'less than a minute', '2 hours 15 minutes', '1 day 1 hour'."""
    if 0 <= seconds < 60:
        return "less than a minute"
    words = ("day", "hour", "minute")
    return " ".join(
        f"{amount} {words[unit]}{'' if amount == 1 else 's'}"
        for amount, unit in _duration_parts(seconds)
    )


def write_and_hash(path: Path, content: bytes | bytearray) -> str:
    """Write a new file (it must not exist) and return the hex SHA-256 of its content."""
    with path.open("xb") as handle:
        handle.write(content)
    return hashlib.sha256(content).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
