"""Tests for bot.options: `|`-separated arguments and `key=value` option segments."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.options import (
    OptionError,
    normalise_key,
    parse_options,
    parse_yes_no,
    split_args,
    split_list,
)

POLL_KEYS = frozenset(
    {"chon", "nguong", "xep_hang", "tu_bau", "bi_mat", "du_tat_ca", "ung_vien", "don_vi"}
)
ALLOWED = POLL_KEYS | {"dinh_dang"}


# split_args ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   ", []),
        ("Báo cáo quý III", ["Báo cáo quý III"]),
        (" Báo cáo | 15/11/2022 17:00 ", ["Báo cáo", "15/11/2022 17:00"]),
        ("a | b |", ["a", "b"]),
        ("a | b | | ", ["a", "b"]),
        ("a || b", ["a", "", "b"]),
        ("| a", ["", "a"]),
    ],
)
def test_split_args(text: str, expected: list[str]) -> None:
    assert split_args(text) == expected


@given(st.text(max_size=200))
def test_split_args_segments_are_trimmed_and_never_end_empty(text: str) -> None:
    segments = split_args(text)
    assert all(s == s.strip() and "|" not in s for s in segments)
    assert not segments or segments[-1]


# parse_options ------------------------------------------------------------------------------


def test_several_pairs_in_one_segment() -> None:
    assert parse_options(["don_vi=VSP;PVEP dinh_dang=pdf;docx"], ALLOWED) == {
        "don_vi": "VSP;PVEP",
        "dinh_dang": "pdf;docx",
    }


def test_one_pair_per_segment_keeps_spaces_in_values() -> None:
    segments = ["ung_vien=Nguyễn Văn Hùng; Trần Thị Mai", "chon=2"]
    assert parse_options(segments, ALLOWED) == {
        "ung_vien": "Nguyễn Văn Hùng; Trần Thị Mai",
        "chon": "2",
    }


def test_design_example_through_split_args() -> None:
    args = split_args(
        "Bình xét 2022 | 20/11 17h | ung_vien=Nguyễn Văn Hùng; Trần Thị Mai | chon=2"
    )
    assert args[:2] == ["Bình xét 2022", "20/11 17h"]
    assert parse_options(args[2:], ALLOWED) == {
        "ung_vien": "Nguyễn Văn Hùng; Trần Thị Mai",
        "chon": "2",
    }


def test_mixed_segments() -> None:
    segments = ["chon=2 nguong=70 xep_hang=co", "ung_vien=A; B", "bi_mat=không"]
    assert parse_options(segments, ALLOWED) == {
        "chon": "2",
        "nguong": "70",
        "xep_hang": "co",
        "ung_vien": "A; B",
        "bi_mat": "không",
    }


def test_no_segments_and_empty_segments_give_nothing() -> None:
    assert parse_options([], ALLOWED) == {}
    assert parse_options(["", "  "], ALLOWED) == {}


def test_single_pair_trims_key_and_value() -> None:
    assert parse_options(["  chon =  3  "], ALLOWED) == {"chon": "3"}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Đơn_vị", "don_vi"),
        ("ĐƠN_VỊ", "don_vi"),
        ("Chọn", "chon"),
        ("XẾP_HẠNG", "xep_hang"),
        ("ngưỡng", "nguong"),
        ("tự_bầu", "tu_bau"),
        ("ứng_viên", "ung_vien"),
        ("xếp hạng", "xep_hang"),
        ("du-tat-ca", "du_tat_ca"),
        ("ｃｈｏｎ", "chon"),
    ],
)
def test_keys_are_folded(raw: str, key: str) -> None:
    assert normalise_key(raw) == key
    assert parse_options([f"{raw}=1"], ALLOWED) == {key: "1"}


def test_decomposed_vietnamese_key_and_value_are_normalised() -> None:
    segment = unicodedata.normalize("NFD", "Ứng_viên=Nguyễn Văn Hùng")
    assert parse_options([segment], ALLOWED) == {"ung_vien": "Nguyễn Văn Hùng"}
    value = parse_options([segment], ALLOWED)["ung_vien"]
    assert unicodedata.is_normalized("NFC", value)


def test_value_containing_equals_is_malformed() -> None:
    with pytest.raises(OptionError) as info:
        parse_options(["ung_vien=A=B"], ALLOWED)
    assert info.value.code == "malformed"


@pytest.mark.parametrize(
    "segment",
    [
        "chon",
        "Nguyễn Văn Hùng",
        "=2",
        " = 2",
        "chọn!=2",
        "ung_vien=Nguyễn Văn Hùng chon=2",  # several '=' but a token without one
        "chon=2nguong=70",
        "chon=2 =3",
        "chon==2",
    ],
)
def test_malformed(segment: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_options([segment], ALLOWED)
    assert info.value.code == "malformed"
    assert info.value.segment == segment.strip()


def test_unknown_key() -> None:
    with pytest.raises(OptionError) as info:
        parse_options(["chon=2 mau=do"], ALLOWED)
    assert (info.value.code, info.value.key) == ("unknown", "mau")
    assert info.value.segment == "chon=2 mau=do"


def test_unknown_key_is_reported_normalised() -> None:
    with pytest.raises(OptionError) as info:
        parse_options(["Màu=đỏ"], ALLOWED)
    assert (info.value.code, info.value.key) == ("unknown", "mau")


@pytest.mark.parametrize(
    "segments",
    [["chon=2 chon=3"], ["chon=2", "chon=3"], ["chon=2", "Chọn=2"], ["chon=2 nguong=5", "chon=1"]],
)
def test_duplicate(segments: list[str]) -> None:
    with pytest.raises(OptionError) as info:
        parse_options(segments, ALLOWED)
    assert (info.value.code, info.value.key) == ("duplicate", "chon")


@pytest.mark.parametrize("segments", [["chon="], ["chon=   "], ["nguong=70 chon="]])
def test_empty_value(segments: list[str]) -> None:
    with pytest.raises(OptionError) as info:
        parse_options(segments, ALLOWED)
    assert (info.value.code, info.value.key) == ("empty_value", "chon")


def test_option_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_options(["oops"], ALLOWED)


# Segments assembled from option-like pieces, so that keys and '=' actually meet.
PIECES = st.sampled_from([*sorted(ALLOWED), "Chọn", "Đơn_vị", "=", "==", " ", ";", "có", "70"])
OPTION_LIKE = st.lists(PIECES | st.text(max_size=4), max_size=8).map("".join)


@given(st.lists(st.text(max_size=60) | OPTION_LIKE, max_size=5))
def test_parse_options_raises_only_option_error(segments: list[str]) -> None:
    try:
        result = parse_options(segments, ALLOWED)
    except OptionError as error:
        code = error.code
    else:
        code = "ok"
        assert set(result) <= ALLOWED
        assert all(v and v == v.strip() for v in result.values())
    assert code in {"ok", "malformed", "unknown", "duplicate", "empty_value"}


@given(
    st.lists(
        st.text(st.characters(codec="utf-8"), max_size=40).map(lambda s: s.replace("=", "")),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.sampled_from(sorted(ALLOWED)), min_size=1, max_size=4, unique=True),
)
def test_one_pair_per_segment_round_trips(values: list[str], keys: list[str]) -> None:
    pairs = [(k, v) for k, v in zip(keys, values, strict=False) if v.strip()]
    result = parse_options([f"{k}={v}" for k, v in pairs], ALLOWED)
    assert result == {k: unicodedata.normalize("NFC", v).strip() for k, v in pairs}


# split_list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("VSP;PVEP", ["VSP", "PVEP"]),
        ("VSP, PVEP", ["VSP", "PVEP"]),
        (" VSP ; PVEP ;; ", ["VSP", "PVEP"]),
        ("VSP PVEP", ["VSP PVEP"]),
        ("Nguyễn Văn Hùng; Trần Thị Mai", ["Nguyễn Văn Hùng", "Trần Thị Mai"]),
        ("Nguyễn  Văn\tHùng", ["Nguyễn Văn Hùng"]),
        ("B;A;B;C;a", ["B", "A", "C"]),
        ("Trần Thị Mai; trần thị mai", ["Trần Thị Mai"]),
        ("", []),
        (" ; , ", []),
    ],
)
def test_split_list(value: str, expected: list[str]) -> None:
    assert split_list(value) == expected


def test_split_list_dedupes_across_normal_forms() -> None:
    nfd = unicodedata.normalize("NFD", "Hùng")
    assert split_list(f"Hùng;{nfd}") == ["Hùng"]


@given(st.text(max_size=100))
def test_split_list_items_are_clean(value: str) -> None:
    items = split_list(value)
    assert all(item and item == item.strip() and ";" not in item for item in items)
    assert len({item.casefold() for item in items}) == len(items)


# parse_yes_no -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["co", "có", "Có", "CÓ", "yes", "Y", "1", "true", "dung", "đúng", "Đúng", " có "]
)
def test_yes(word: str) -> None:
    assert parse_yes_no(word) is True
    assert parse_yes_no(unicodedata.normalize("NFD", word)) is True


@pytest.mark.parametrize(
    "word", ["khong", "không", "Không", "KHÔNG", "ko", "no", "N", "0", "false", "sai"]
)
def test_no(word: str) -> None:
    assert parse_yes_no(word) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "cò", "có không"])
def test_yes_no_refuses_other_words(word: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_yes_no(word, key="bi_mat")
    assert (info.value.code, info.value.key, info.value.segment) == ("malformed", "bi_mat", word)
