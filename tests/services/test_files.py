"""Tests for bot.files: file types, submission checks, safe names, sizes and durations."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.files import (
    BOT_API_DOWNLOAD_LIMIT,
    DEFAULT_TYPES,
    KNOWN_TYPES,
    FileCheckError,
    FileTypeError,
    check_file,
    extension_of,
    format_duration_en,
    format_duration_vi,
    format_size_en,
    format_size_vi,
    normalise_types,
    safe_display_name,
    sha256_file,
    stored_name,
)

if TYPE_CHECKING:
    from pathlib import Path

BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Any code point, lone surrogates included, with bidi controls, emoji and dots made common.
ANY_CHAR = (
    st.characters()
    | st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp"])
    | st.sampled_from([*BIDI, "/", "\\", ".", " ", "\u200d", "👨", "🇻", "ệ", "\u0301"])
)
ANY_TEXT = st.text(ANY_CHAR, max_size=400)


def assert_safe(name: str) -> None:
    assert name
    assert "/" not in name and "\\" not in name
    assert ".." not in name
    assert "\x00" not in name
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name)
    assert not BIDI & set(name)
    name.encode("utf-8")  # storable


# constants and types ------------------------------------------------------------------------


def test_constants() -> None:
    assert BOT_API_DOWNLOAD_LIMIT == 20 * 1024 * 1024
    assert set(DEFAULT_TYPES) <= set(KNOWN_TYPES)
    assert {"txt", "csv", "odp", "tif", "heic"} <= set(KNOWN_TYPES)
    assert normalise_types(DEFAULT_TYPES) == DEFAULT_TYPES


def test_normalise_types() -> None:
    assert normalise_types(["PDF", ".docx", "jpeg", " *.XLSX ", "tiff", "pdf", ""]) == (
        "pdf",
        "docx",
        "jpg",
        "xlsx",
        "tif",
    )
    assert normalise_types([]) == ()


def test_normalise_types_takes_a_single_string_as_one_value() -> None:
    assert normalise_types("docx") == ("docx",)


@pytest.mark.parametrize("value", ["exe", "pdf;docx", "tar.gz", "bat", "js", "html"])
def test_normalise_types_refuses_unknown(value: str) -> None:
    with pytest.raises(FileTypeError) as info:
        normalise_types(["pdf", value])
    assert (info.value.code, info.value.value) == ("unknown_type", value)
    assert "pdf" in info.value.known


# extension_of -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BaoCao.PDF", "pdf"),
        ("báo cáo.tar.gz", "gz"),
        ("Báo cáo quý 3 v1.2 (final).docx", "docx"),
        ("bao.cao.thang.10.xlsx", "xlsx"),
        ("report.pdf.", "pdf"),
        ("report.pdf . ", "pdf"),
        ("report", None),
        ("report.", None),
        (".bashrc", None),
        ("...", None),
        ("", None),
        ("Báo cáo v1.2 final", None),
        ("dir.v2/report", None),
        ("C:\\docs\\report.Docx", "docx"),
        ("ảnh.ＪＰＧ", "jpg"),
        ("archive.7z", "7z"),
    ],
)
def test_extension_of(name: str, expected: str | None) -> None:
    assert extension_of(name) == expected


# check_file ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("Báo cáo.pdf", "application/pdf", "pdf"),
        ("Báo cáo.PDF", None, "pdf"),
        ("Báo cáo.pdf", "application/octet-stream", "pdf"),
        ("Báo cáo.pdf", "", "pdf"),
        (
            "bc.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        ("bc.docx", "application/zip", "docx"),
        ("bc.docx", "application/msword", "docx"),
        ("bc.doc", "application/msword", "doc"),
        ("bc.xls", "application/vnd.ms-excel", "xls"),
        ("bc.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("bc.xlsx", "Application/ZIP; charset=binary", "xlsx"),
        (
            "bc.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
        ("bc.odt", "application/vnd.oasis.opendocument.text", "odt"),
        ("bc.rar", "application/x-rar-compressed", "rar"),
        ("bc.rar", "application/vnd.rar", "rar"),
        ("bc.7z", "application/x-7z-compressed", "7z"),
        ("bc.zip", "application/x-zip-compressed", "zip"),
        ("anh.jpeg", "image/jpeg", "jpg"),
        ("anh.JPG", "image/jpeg", "jpg"),
        ("anh.png", "image/png", "png"),
    ],
)
def test_check_file_accepts(name: str, mime: str | None, expected: str) -> None:
    assert check_file(name, mime, 1234, DEFAULT_TYPES) == expected


def test_check_file_unknown_size_is_accepted() -> None:
    assert check_file("a.pdf", "application/pdf", None, ["pdf"]) == "pdf"


def test_check_file_canonicalises_allowed() -> None:
    assert check_file("a.jpg", "image/jpeg", 10, ["JPEG"]) == "jpg"
    assert check_file("scan.tiff", "image/tiff", 10, ["tif"]) == "tif"
    assert check_file("data.csv", "application/vnd.ms-excel", 10, [".csv"]) == "csv"


@pytest.mark.parametrize(
    ("name", "mime", "size", "code"),
    [
        (None, "application/pdf", 10, "no_name"),
        ("", "application/pdf", 10, "no_name"),
        ("   ", "application/pdf", 10, "no_name"),
        ("a.pdf", "application/pdf", 0, "empty"),
        ("a.exe", "application/x-msdownload", 10, "type"),
        ("a", "application/pdf", 10, "type"),
        ("a.txt", "text/plain", 10, "type"),  # known, but not in the defaults
        ("a.pdf", "application/x-msdownload", 10, "mime"),
        ("a.pdf", "image/png", 10, "mime"),
        ("a.docx", "image/jpeg", 10, "mime"),
        ("a.jpg", "application/pdf", 10, "mime"),
        ("a.zip", "application/pdf", 10, "mime"),
    ],
)
def test_check_file_refuses(name: str | None, mime: str | None, size: int, code: str) -> None:
    with pytest.raises(FileCheckError) as info:
        check_file(name, mime, size, DEFAULT_TYPES)
    assert info.value.code == code
    assert info.value.allowed == DEFAULT_TYPES


def test_check_file_type_error_names_the_extension() -> None:
    with pytest.raises(FileCheckError) as info:
        check_file("virus.EXE", None, 10, ["pdf", "docx"])
    assert (info.value.extension, info.value.allowed) == ("exe", ("pdf", "docx"))


@given(
    st.none() | ANY_TEXT,
    st.none() | st.text(max_size=60) | st.sampled_from(["application/pdf", "image/png"]),
    st.none() | st.integers(-5, 2**40),
    st.lists(st.text(max_size=10) | st.sampled_from(KNOWN_TYPES), max_size=5),
)
def test_check_file_raises_only_file_check_error(
    name: str | None, mime: str | None, size: int | None, allowed: list[str]
) -> None:
    try:
        extension = check_file(name, mime, size, allowed)
    except FileCheckError as error:
        code = error.code
    else:
        code = "ok"
        assert re.fullmatch(r"[a-z0-9]{1,10}", extension)
    assert code in {"ok", "no_name", "empty", "type", "mime"}


# stored_name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "version", "ext", "expected"),
    [
        ("VSP", 1, "pdf", "VSP_v1.pdf"),
        ("PVEP", 12, "docx", "PVEP_v12.docx"),
        ("BSR-HN.2", 3, "7z", "BSR-HN.2_v3.7z"),
        ("PV GAS", 2, "xlsx", "PV_GAS_v2.xlsx"),
        ("PVĐ", 1, "pdf", "PVD_v1.pdf"),
        ("../../etc/passwd", 1, "pdf", "_._etc_passwd_v1.pdf"),
        ("...hidden", 1, "pdf", "hidden_v1.pdf"),
        ("", 1, "pdf", "don_vi_v1.pdf"),
        ("...", 1, "pdf", "don_vi_v1.pdf"),
        ("-rf", 1, "pdf", "rf_v1.pdf"),
        ("A\\B", 0, "png", "A_B_v0.png"),
    ],
)
def test_stored_name(code: str, version: int, ext: str, expected: str) -> None:
    assert stored_name(code, version, ext) == expected


def test_stored_name_is_at_most_100_chars() -> None:
    name = stored_name("X" * 300, 123, "docx")
    assert len(name) == 100
    assert name.endswith("_v123.docx")


@pytest.mark.parametrize("ext", ["", "PDF", ".pdf", "tar.gz", "docxdocxd", "p/f", "pdf\n"])
def test_stored_name_refuses_bad_extension(ext: str) -> None:
    with pytest.raises(ValueError, match="extension"):
        stored_name("VSP", 1, ext)


@pytest.mark.parametrize("version", [-1, 10**9])
def test_stored_name_refuses_bad_version(version: int) -> None:
    with pytest.raises(ValueError, match="version"):
        stored_name("VSP", version, "pdf")


@given(ANY_TEXT, st.integers(0, 10**9 - 1), st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True))
def test_stored_name_is_always_safe(code: str, version: int, ext: str) -> None:
    name = stored_name(code, version, ext)
    assert_safe(name)
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", name)
    assert not name.startswith((".", "-"))
    assert name.endswith(f"_v{version}.{ext}")


# safe_display_name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Báo cáo quý III.pdf", "Báo cáo quý III.pdf"),
        (unicodedata.normalize("NFD", "Báo cáo.pdf"), "Báo cáo.pdf"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("C:\\Users\\a\\bc.docx", "C:_Users_a_bc.docx"),
        ("bc..docx", "bc.docx"),
        ("bc.....docx", "bc.docx"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("report.pdf...", "report.pdf"),
        ("a\x00b\x07c.pdf", "abc.pdf"),
        ("a\nb\tc.pdf", "a b c.pdf"),
        ("a    b.pdf", "a b.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u200fتقرير.pdf", "تقرير.pdf"),
        ("báo\u200bcáo.pdf", "báocáo.pdf"),
        ("👨\u200d👩\u200d👧 gia đình.jpg", "👨\u200d👩\u200d👧 gia đình.jpg"),
        ("a\uff0fb\u2215c.pdf", "a_b_c.pdf"),
        ("", "tep"),
        ("..", "tep"),
        ("\x00\u202e/", "_"),
        (" . ", "tep"),
    ],
)
def test_safe_display_name(raw: str, expected: str) -> None:
    assert safe_display_name(raw) == expected


def test_safe_display_name_truncates_keeping_extension() -> None:
    name = safe_display_name("Báo cáo " * 40 + ".docx")
    assert len(name) <= 120
    assert name.endswith("cáo.docx") or name.endswith("o.docx")
    assert " .docx" not in name


def test_safe_display_name_truncates_to_limit() -> None:
    assert safe_display_name("abcdefghij.pdf", limit=10) == "abcdef.pdf"
    assert safe_display_name("abcdefghij", limit=4) == "abcd"
    assert safe_display_name("a.verylongextension", limit=8) == "a.verylo"
    assert safe_display_name("", limit=2) == "te"


def test_safe_display_name_truncation_does_not_leave_dots_before_extension() -> None:
    assert safe_display_name("abcd. . .efgh.pdf", limit=12) == "abcd.pdf"


def test_safe_display_name_refuses_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        safe_display_name("a.pdf", limit=0)


@given(ANY_TEXT, st.integers(1, 300))
def test_safe_display_name_is_always_safe(raw: str, limit: int) -> None:
    name = safe_display_name(raw, limit)
    assert_safe(name)
    assert len(name) <= limit
    assert name == name.strip()
    assert unicodedata.is_normalized("NFC", name)


@given(st.text(st.characters(codec="utf-8"), min_size=200, max_size=400).map(lambda s: s + ".pdf"))
def test_safe_display_name_long_names_keep_extension(raw: str) -> None:
    name = safe_display_name(raw)
    assert_safe(name)
    assert len(name) <= 120
    assert name.endswith("pdf")


# sizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "vi", "en"),
    [
        (0, "0 B", "0 B"),
        (1, "1 B", "1 B"),
        (512, "512 B", "512 B"),
        (1000, "1.000 B", "1,000 B"),
        (1023, "1.023 B", "1,023 B"),
        (1024, "1 KB", "1 KB"),
        (1536, "1,5 KB", "1.5 KB"),
        (1_258_291, "1,2 MB", "1.2 MB"),
        (20 * 1024 * 1024, "20 MB", "20 MB"),
        (20 * 1024 * 1024 + 1, "20 MB", "20 MB"),
        (1024 * 1024 - 1, "1 MB", "1 MB"),  # 1023,999 KB rounds up into the next unit
        (int(1.5 * 1024**3), "1,5 GB", "1.5 GB"),
        (2 * 1024**4, "2 TB", "2 TB"),
        (5000 * 1024**4, "5.000 TB", "5,000 TB"),
        (1024 + 51, "1 KB", "1 KB"),  # 1.0498 KB
        (1024 + 52, "1,1 KB", "1.1 KB"),  # 1.0508 KB
    ],
)
def test_format_size(size: int, vi: str, en: str) -> None:
    assert format_size_vi(size) == vi
    assert format_size_en(size) == en


def test_format_size_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_size_vi(-1)


@given(st.integers(0, 2**60))
def test_format_size_shape(size: int) -> None:
    vi = format_size_vi(size)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*(,[1-9])? (B|KB|MB|GB|TB)", vi)
    assert format_size_en(size) == vi.replace(".", "#").replace(",", ".").replace("#", ",")


# durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (0, "dưới 1 phút", "less than a minute"),
        (59, "dưới 1 phút", "less than a minute"),
        (60, "1 phút", "1 minute"),
        (90, "1 phút", "1 minute"),
        (150, "2 phút", "2 minutes"),
        (3600, "1 giờ", "1 hour"),
        (3660, "1 giờ 1 phút", "1 hour 1 minute"),
        (8100, "2 giờ 15 phút", "2 hours 15 minutes"),
        (86_400, "1 ngày", "1 day"),
        (90_000, "1 ngày 1 giờ", "1 day 1 hour"),
        (86_400 + 59 * 60, "1 ngày", "1 day"),
        (3 * 86_400, "3 ngày", "3 days"),
        (3 * 86_400 + 5 * 3600 + 30 * 60, "3 ngày 5 giờ", "3 days 5 hours"),
    ],
)
def test_format_duration(seconds: int, vi: str, en: str) -> None:
    assert format_duration_vi(seconds) == vi
    assert format_duration_en(seconds) == en


def test_format_duration_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration_vi(-1)
    with pytest.raises(ValueError, match="negative"):
        format_duration_en(-60)


@given(st.integers(60, 10**9))
def test_format_duration_has_at_most_two_units(seconds: int) -> None:
    parts = format_duration_vi(seconds).split()
    assert len(parts) in (2, 4)
    assert "phút" not in parts or "ngày" not in parts


# hashing ------------------------------------------------------------------------------------


def test_sha256_file(tmp_path: Path) -> None:
    data = b"bao cao" * 300_000
    path = tmp_path / "bc.pdf"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_file(empty) == hashlib.sha256(b"").hexdigest()
