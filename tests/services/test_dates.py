"""Tests for bot.dates: Vietnamese date/time and reminder-offset parsing."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dates import (
    AmbiguousDateError,
    DateParseError,
    EmptyDateError,
    InvalidDateError,
    OffsetParseError,
    PastDateError,
    UnrecognisedDateError,
    format_offset_vi,
    parse_datetime,
    parse_offsets,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2022, 10, 20, 10, 0, tzinfo=TZ)  # a Thursday (thứ Năm)


def at(year: int, month: int, day: int, hour: int = 17, minute: int = 0) -> datetime:
    """An expected result in Asia/Ho_Chi_Minh."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def parse(text: str, *, allow_past: bool = False) -> datetime:
    return parse_datetime(text, NOW, TZ, allow_past=allow_past)


VALID: list[tuple[str, datetime]] = [
    # numeric dates with times
    ("15/11/2022 17:00", at(2022, 11, 15)),
    ("15/11/2022 17h", at(2022, 11, 15)),
    ("15/11/2022 17h00", at(2022, 11, 15)),
    ("15/11/2022 17g00", at(2022, 11, 15)),
    ("15/11/2022 17:00:00", at(2022, 11, 15)),
    ("15/11/2022, 17:00", at(2022, 11, 15)),
    ("15-11-2022", at(2022, 11, 15)),
    ("15.11.2022", at(2022, 11, 15)),
    ("15/11/22", at(2022, 11, 15)),
    ("15/11 17h", at(2022, 11, 15)),
    ("17h30 15/11", at(2022, 11, 15, 17, 30)),
    ("17h 15/11/2022", at(2022, 11, 15)),
    ("9:00 ngày 01/11/2022", at(2022, 11, 1, 9)),
    ("9 giờ 00 ngày 01/11/2022", at(2022, 11, 1, 9)),
    ("9 giờ ngày 1/11", at(2022, 11, 1, 9)),
    ("lúc 9h30 ngày 1/11", at(2022, 11, 1, 9, 30)),
    # administrative style
    ("17 giờ 00 ngày 15 tháng 11 năm 2022", at(2022, 11, 15)),
    ("17 giờ 00 phút, ngày 15 tháng 11 năm 2022", at(2022, 11, 15)),
    ("ngày 15 tháng 11 năm 2022", at(2022, 11, 15)),
    ("ngày 15 tháng 11", at(2022, 11, 15)),
    ("17h 15 tháng 11", at(2022, 11, 15)),
    ("Thứ Ba, ngày 15 tháng 11 năm 2022", at(2022, 11, 15)),
    # ISO
    ("2022-11-15 17:00", at(2022, 11, 15)),
    ("2022-11-15T17:00", at(2022, 11, 15)),
    ("2022-11-15", at(2022, 11, 15)),
    ("2022-11-15T17:00:00+07:00", at(2022, 11, 15)),
    ("2022-11-15T10:00:59Z", at(2022, 11, 15)),
    # relative days (today is Thursday 20/10/2022)
    ("hôm nay 16h", at(2022, 10, 20, 16)),
    ("ngày mai 9h", at(2022, 10, 21, 9)),
    ("mai 9h", at(2022, 10, 21, 9)),
    ("9h sáng mai", at(2022, 10, 21, 9)),
    ("ngày kia", at(2022, 10, 22)),
    ("mốt 8h", at(2022, 10, 22, 8)),
    ("ngày mốt", at(2022, 10, 22)),
    ("hôm nay", at(2022, 10, 20)),
    # weekdays
    ("thứ Sáu 14h", at(2022, 10, 21, 14)),
    ("thứ 6 14h", at(2022, 10, 21, 14)),
    ("T6 14h", at(2022, 10, 21, 14)),
    ("thứ sáu tuần sau 9h", at(2022, 10, 28, 9)),
    ("thứ 6 tuần tới", at(2022, 10, 28)),
    ("thứ 2 tuần này", at(2022, 10, 17)),  # checked as past below; here with allow_past
    ("chủ nhật", at(2022, 10, 23)),
    ("CN 8h", at(2022, 10, 23, 8)),
    ("chủ nhật tuần sau", at(2022, 10, 30)),
    ("thứ Hai", at(2022, 10, 24)),
    ("thứ Ba", at(2022, 10, 25)),
    ("thứ Tư", at(2022, 10, 26)),
    ("thứ Năm", at(2022, 10, 20)),  # today, 17:00 is still ahead
    ("thứ Năm 9h", at(2022, 10, 27, 9)),  # today's 9:00 is gone: next week
    ("thứ Bảy", at(2022, 10, 22)),
    ("thứ bẩy", at(2022, 10, 22)),
    ("thứ 2", at(2022, 10, 24)),
    ("thứ 3", at(2022, 10, 25)),
    ("thứ 4", at(2022, 10, 26)),
    ("thứ 5 11h", at(2022, 10, 20, 11)),
    ("thứ 7", at(2022, 10, 22)),
    ("T7 8h30", at(2022, 10, 22, 8, 30)),
    ("thứ 3 15/11", at(2022, 11, 15)),  # the weekday agrees with the date
    # day periods
    ("3 giờ chiều ngày 15/11", at(2022, 11, 15, 15)),
    ("9h sáng 15/11", at(2022, 11, 15, 9)),
    ("8 giờ tối mai", at(2022, 10, 21, 20)),
    ("12h trưa mai", at(2022, 10, 21, 12)),
    ("1h trưa mai", at(2022, 10, 21, 13)),
    ("11h đêm nay", at(2022, 10, 20, 23)),
    ("12h đêm nay", at(2022, 10, 21, 0)),  # midnight that ends today
    ("2h đêm mai", at(2022, 10, 21, 2)),
    ("3 chiều mai", at(2022, 10, 21, 15)),
    ("5h chiều", at(2022, 10, 20, 17)),
    ("15h chiều", at(2022, 10, 20, 15)),
    ("7:30 tối", at(2022, 10, 20, 19, 30)),
    ("sáng mai 9h", at(2022, 10, 21, 9)),
    ("một giờ chiều mai", at(2022, 10, 21, 13)),
    # minute forms
    ("17h30", at(2022, 10, 20, 17, 30)),
    ("17h30'", at(2022, 10, 20, 17, 30)),
    ("17h30p", at(2022, 10, 20, 17, 30)),
    ("17:30", at(2022, 10, 20, 17, 30)),
    ("17 giờ 30", at(2022, 10, 20, 17, 30)),
    ("17 giờ 30 phút", at(2022, 10, 20, 17, 30)),
    ("17g30", at(2022, 10, 20, 17, 30)),
    ("17h kém 15", at(2022, 10, 20, 16, 45)),
    ("10 rưỡi", at(2022, 10, 20, 10, 30)),
    ("9 rưỡi mai", at(2022, 10, 21, 9, 30)),
    ("9h rưỡi mai", at(2022, 10, 21, 9, 30)),
    ("03:00 mai", at(2022, 10, 21, 3)),
    ("03h mai", at(2022, 10, 21, 3)),
    ("0h mai", at(2022, 10, 21, 0)),
    ("24h ngày 15/11", at(2022, 11, 16, 0)),
    ("24:00 15/11/2022", at(2022, 11, 16, 0)),
    ("17:00h 15/11", at(2022, 11, 15)),
    # without diacritics
    ("ngay mai 9h", at(2022, 10, 21, 9)),
    ("thu sau 14h", at(2022, 10, 21, 14)),
    ("thu 6 tuan sau 9h", at(2022, 10, 28, 9)),
    ("thu sau tuan toi", at(2022, 10, 28)),
    ("17 gio 00 ngay 15 thang 11 nam 2022", at(2022, 11, 15)),
    ("3 gio chieu ngay 15/11", at(2022, 11, 15, 15)),
    ("8 gio toi mai", at(2022, 10, 21, 20)),
    ("hom nay 16h", at(2022, 10, 20, 16)),
    ("mot 8h", at(2022, 10, 22, 8)),
    ("chu nhat 8h", at(2022, 10, 23, 8)),
    ("9h ruoi sang mai", at(2022, 10, 21, 9, 30)),
    ("11h dem nay", at(2022, 10, 20, 23)),
    # casing, spacing and trailing punctuation
    ("  NGÀY   MAI  9H  ", at(2022, 10, 21, 9)),
    ("15/11/2022.", at(2022, 11, 15)),
    ("Thứ Sáu, 14h!", at(2022, 10, 21, 14)),
    # year omitted: a date long past means next year's
    ("05/01", at(2023, 1, 5)),
    ("ngày 20 tháng 10", at(2022, 10, 20)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parses(text: str, expected: datetime) -> None:
    result = parse(text, allow_past=True)
    assert result == expected
    assert result.tzinfo is TZ
    assert (result.second, result.microsecond) == (0, 0)


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_decomposed_input_parses_like_composed(text: str, expected: datetime) -> None:
    decomposed = unicodedata.normalize("NFD", text)
    assert parse(decomposed, allow_past=True) == parse(text, allow_past=True) == expected


ERRORS: list[tuple[str, type[DateParseError]]] = [
    ("", EmptyDateError),
    ("   ", EmptyDateError),
    ("...", EmptyDateError),
    ("abc", UnrecognisedDateError),
    ("mai mai mai abc", UnrecognisedDateError),
    ("15", UnrecognisedDateError),
    ("tháng 11", UnrecognisedDateError),
    ("tuần sau", UnrecognisedDateError),
    ("15/11/202", UnrecognisedDateError),
    ("2022-11", UnrecognisedDateError),
    ("15/11-2022", UnrecognisedDateError),
    ("x" * 201, UnrecognisedDateError),
    ("31/02/2023", InvalidDateError),
    ("29/02/2023", InvalidDateError),
    ("31/04", InvalidDateError),
    ("15/13/2022", InvalidDateError),
    ("25:00", InvalidDateError),
    ("24:30 15/11", InvalidDateError),
    ("17:60", InvalidDateError),
    ("17:00:61", InvalidDateError),
    ("17h75 15/11", InvalidDateError),
    ("15h sáng mai", InvalidDateError),
    ("0h chiều", InvalidDateError),
    ("thứ 8", InvalidDateError),
    ("T1 9h", InvalidDateError),
    ("15/11/1800", InvalidDateError),
    ("0001-01-01T00:00+07:00", InvalidDateError),
    ("2022-11-15T17:00+25:00", InvalidDateError),
    ("0h kém 15 15/11", InvalidDateError),
    ("17h kém 75", InvalidDateError),
    ("10/10", PastDateError),  # this year, 10 days ago
    ("15/10/2022", PastDateError),
    ("hôm nay 9h", PastDateError),
    ("9:30", PastDateError),
    ("hôm qua", PastDateError),
    ("thứ 2 tuần này", PastDateError),
    ("2022-10-20T02:59Z", PastDateError),
    ("3h", AmbiguousDateError),
    ("3h chiều sáng", AmbiguousDateError),
    ("5 giờ 00 ngày 15/11", AmbiguousDateError),
    ("3:30 mai", AmbiguousDateError),
    ("sáng mai", AmbiguousDateError),
    ("15/11 16/11", AmbiguousDateError),
    ("mai 15/11", AmbiguousDateError),
    ("thứ 4 15/11/2022", AmbiguousDateError),
    ("9h 10h mai", AmbiguousDateError),
    ("thứ 2 thứ 3", AmbiguousDateError),
]


@pytest.mark.parametrize(("text", "error"), ERRORS)
def test_errors(text: str, error: type[DateParseError]) -> None:
    with pytest.raises(error) as caught:
        parse(text)
    assert caught.value.example
    assert caught.value.code == error.code


def test_error_codes() -> None:
    codes = {
        EmptyDateError: "empty",
        UnrecognisedDateError: "unrecognised",
        InvalidDateError: "invalid",
        PastDateError: "past",
        AmbiguousDateError: "ambiguous",
    }
    for error, code in codes.items():
        assert error.code == code
        assert issubclass(error, DateParseError)
        assert issubclass(error, ValueError)


def test_example_is_vietnamese_form() -> None:
    with pytest.raises(UnrecognisedDateError) as caught:
        parse("abc")
    assert caught.value.example == "17:00 15/11/2022"
    assert parse(caught.value.example, allow_past=True) == at(2022, 11, 15)


def test_allow_past() -> None:
    assert parse("hôm nay 9h", allow_past=True) == at(2022, 10, 20, 9)
    assert parse("10/10", allow_past=True) == at(2022, 10, 10)
    assert parse("hôm kia", allow_past=True) == at(2022, 10, 18)


def test_default_time() -> None:
    assert parse_datetime("15/11", NOW, TZ, default_time=time(8, 30)) == at(2022, 11, 15, 8, 30)


def test_time_only_means_today() -> None:
    assert parse("23h59") == at(2022, 10, 20, 23, 59)
    assert parse("10h") == NOW  # exactly now is not past


def test_year_rollover_at_year_end() -> None:
    december = datetime(2022, 12, 20, 9, 0, tzinfo=TZ)
    assert parse_datetime("05/01", december, TZ) == at(2023, 1, 5)
    assert parse_datetime("ngày 5 tháng 1 9h", december, TZ) == at(2023, 1, 5, 9)
    with pytest.raises(PastDateError):
        parse_datetime("15/12", december, TZ)  # five days ago: a mistake, not next year
    assert parse_datetime("20/12", december, TZ) == at(2022, 12, 20)


def test_leap_day_without_year() -> None:
    in_2023 = datetime(2023, 10, 1, tzinfo=TZ)
    assert parse_datetime("29/02", in_2023, TZ) == at(2024, 2, 29)
    with pytest.raises(InvalidDateError):
        parse("29/02/2023")


def test_now_in_another_zone_is_converted() -> None:
    now_utc = datetime(2022, 10, 20, 18, 0, tzinfo=UTC)  # already 01:00 on 21/10 in Hanoi
    assert parse_datetime("hôm nay 9h", now_utc, TZ) == at(2022, 10, 21, 9)
    assert parse_datetime("mai 9h", now_utc, TZ) == at(2022, 10, 22, 9)


def test_naive_now_is_a_programming_error() -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware") as caught:
        parse_datetime("mai 9h", naive, TZ)
    assert not isinstance(caught.value, DateParseError)


def test_other_zones() -> None:
    new_york = ZoneInfo("America/New_York")
    result = parse_datetime("15/11/2022 17:00", NOW, new_york)
    assert result == datetime(2022, 11, 15, 17, 0, tzinfo=new_york)
    assert result.utcoffset() == timedelta(hours=-5)
    summer = parse_datetime("15/07/2023 9h", NOW, new_york)
    assert summer.utcoffset() == timedelta(hours=-4)

    moscow = ZoneInfo("Europe/Moscow")
    result = parse_datetime("ngày mai 9h", NOW, moscow)  # 06:00 on 20/10 in Moscow
    assert result == datetime(2022, 10, 21, 9, 0, tzinfo=moscow)
    assert result.tzinfo is moscow


def test_dst_gap_moves_forward() -> None:
    new_york = ZoneInfo("America/New_York")
    result = parse_datetime("12/03/2023 02:30", NOW, new_york)  # 02:30 does not exist
    assert (result.hour, result.minute) == (3, 30)
    assert result.utcoffset() == timedelta(hours=-4)


# --- property tests -----------------------------------------------------------------------

GRAMMAR_WORDS = [
    *("ngày", "ngay", "tháng", "thang", "năm", "nam", "giờ", "gio", "h", "g", "phút", "p"),
    *("thứ", "thu", "t", "cn", "chủ", "nhật", "tuần", "sau", "tới", "toi", "này", "trước"),
    *("hôm", "nay", "mai", "mốt", "một", "kia", "qua", "sáng", "trưa", "chiều", "tối"),
    *("đêm", "khuya", "rưỡi", "kém", "lúc", "hai", "ba", "tư", "sáu", "bảy", "T", "Z"),
    *("/", "-", ".", ":", ",", "'", "+07:00", "+", "ß", "İ", "\u0301", "đ", "٣"),
]
NUMBER = st.one_of(st.integers(0, 40), st.integers(0, 10_000)).map(str)
# Whole phrases with arbitrary numbers, so the soup often reaches date/time resolution.
PHRASE = st.one_of(
    st.builds("{}h{}".format, NUMBER, NUMBER),
    st.builds("{}:{}".format, NUMBER, NUMBER),
    st.builds("{}/{}/{}".format, NUMBER, NUMBER, NUMBER),
    st.builds("{}/{}".format, NUMBER, NUMBER),
    st.builds("{}-{}-{}T{}:{}".format, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER),
    st.builds("ngày {} tháng {} năm {}".format, NUMBER, NUMBER, NUMBER),
    st.builds("{} giờ {} phút".format, NUMBER, NUMBER),
    st.builds("{}h kém {}".format, NUMBER, NUMBER),
    st.builds("thứ {} tuần sau".format, NUMBER),
)
GRAMMAR_TOKEN = st.one_of(
    st.sampled_from(GRAMMAR_WORDS),
    NUMBER,
    st.integers(0, 99).map(lambda n: f"{n:02d}"),
    st.just("9" * 30),
    PHRASE,
)
GRAMMAR_TEXT = st.lists(
    st.tuples(st.sampled_from([" ", " ", " ", "", "/", ":"]), GRAMMAR_TOKEN)
).map(lambda pairs: "".join(sep + token for sep, token in pairs))
ZONES = st.sampled_from(
    [TZ, ZoneInfo("America/New_York"), ZoneInfo("Europe/Moscow"), ZoneInfo("UTC")]
)
# Any instant from 2000 to 2100 as `now`.
NOWS = st.integers(0, 100 * 365 * 24 * 60).map(
    lambda minutes: datetime(2000, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=7)
)


def _outcome(
    text: str, now: datetime, tz: ZoneInfo, allow_past: bool
) -> datetime | DateParseError:
    """The parsed datetime or the DateParseError; any other exception propagates."""
    try:
        return parse_datetime(text, now, tz, allow_past=allow_past)
    except DateParseError as error:
        return error


def _parses_or_date_error(text: str, now: datetime, tz: ZoneInfo) -> None:
    for allow_past in (False, True):
        result = _outcome(text, now, tz, allow_past)
        if isinstance(result, DateParseError):
            assert result.example
            assert result.code in {"empty", "unrecognised", "invalid", "past", "ambiguous"}
        else:
            assert isinstance(result, datetime)
            assert result.utcoffset() is not None
            assert result.second == 0
            assert allow_past or result >= now.replace(second=0)


@given(st.text(max_size=250))
def test_any_text_raises_only_date_errors(text: str) -> None:
    _parses_or_date_error(text, NOW, TZ)


@given(GRAMMAR_TEXT, NOWS, ZONES)
def test_grammar_soup_raises_only_date_errors(text: str, now: datetime, tz: ZoneInfo) -> None:
    _parses_or_date_error(text, now, tz)


FUTURE = st.integers(min_value=1, max_value=2 * 365 * 24 * 60).map(
    lambda minutes: NOW + timedelta(minutes=minutes)  # Hanoi has no DST: wall time is exact
)


@given(FUTURE)
def test_numeric_forms_round_trip(d: datetime) -> None:
    for text in (
        f"{d:%H:%M %d/%m/%Y}",
        f"{d:%d/%m/%Y %H:%M}",
        f"{d:%Hh%M %d-%m-%Y}",
        f"{d:%Y-%m-%dT%H:%M}",
        f"{d:%Y-%m-%d %H:%M}",
        d.isoformat(),
        d.astimezone(UTC).isoformat(),
    ):
        assert parse(text) == d, text


@given(FUTURE)
def test_administrative_form_round_trips(d: datetime) -> None:
    texts = (
        f"{d.hour} giờ {d.minute:02d} ngày {d.day} tháng {d.month} năm {d.year}",
        f"{d.hour} gio {d.minute:02d} ngay {d.day} thang {d.month} nam {d.year}",
    )
    for text in texts:
        if 1 <= d.hour <= 5:  # a bare early hour is read as ambiguous by design
            with pytest.raises(AmbiguousDateError):
                parse(text)
        else:
            assert parse(text) == d, text


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), NOWS)
def test_yearless_date_lands_within_a_year(day: date, now: datetime) -> None:
    now_local = now.astimezone(TZ)
    try:
        result = parse_datetime(f"{day:%d/%m}", now_local, TZ, allow_past=True)
    except InvalidDateError:
        assert (day.month, day.day) == (2, 29)  # no leap day this year or next
        return
    assert (result.month, result.day) == (day.month, day.day)
    horizon = timedelta(days=2 * 366 if (day.month, day.day) == (2, 29) else 367)
    assert now_local - timedelta(days=61) < result < now_local + horizon


@given(st.integers(2, 8), NOWS, st.integers(6, 23))
def test_weekday_is_the_next_one(number: int, now: datetime, hour: int) -> None:
    now_local = now.astimezone(TZ)
    text = f"chủ nhật {hour}h" if number == 8 else f"thứ {number} {hour}h"
    result = parse_datetime(text, now_local, TZ)
    assert result.weekday() == (number - 2) % 7
    assert now_local.replace(second=0) <= result < now_local + timedelta(days=7)


# --- reminder offsets ---------------------------------------------------------------------

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d;1d;2h", [3 * DAY, DAY, 2 * HOUR]),
        ("2h;3d;1d", [3 * DAY, DAY, 2 * HOUR]),
        ("2 ngày; 4 giờ; 30 phút", [2 * DAY, 4 * HOUR, 30 * MINUTE]),
        ("2 ngay, 4 gio, 30 phut", [2 * DAY, 4 * HOUR, 30 * MINUTE]),
        ("1d 2h", [DAY + 2 * HOUR]),
        ("1 ngày 2 giờ; 1d", [DAY + 2 * HOUR, DAY]),
        ("1d;1d;24h", [DAY]),
        ("30m; 30p; 45s; 10 giây", [30 * MINUTE, timedelta(seconds=45), timedelta(seconds=10)]),
        ("2g", [2 * HOUR]),
        ("60d", [60 * DAY]),
        ("3D; 1D;", [3 * DAY, DAY]),
        ("một ngày", [DAY]),
        (unicodedata.normalize("NFD", "2 ngày; 4 giờ"), [2 * DAY, 4 * HOUR]),
    ],
)
def test_parse_offsets(text: str, expected: list[timedelta]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "unrecognised"),
        (";;", "unrecognised"),
        ("abc", "unrecognised"),
        ("3", "unrecognised"),
        ("d3", "unrecognised"),
        ("3 tuần", "unrecognised"),
        ("1.5d", "unrecognised"),
        ("1d 2d", "unrecognised"),
        ("1d 1 ngày", "unrecognised"),
        ("-1d", "unrecognised"),
        ("3d;x", "unrecognised"),
        ("1d" * 101, "unrecognised"),
        ("0d", "invalid"),
        ("61d", "invalid"),
        ("60d 1s", "invalid"),
        ("9" * 50 + "d", "invalid"),
    ],
)
def test_parse_offsets_errors(text: str, code: str) -> None:
    with pytest.raises(OffsetParseError) as caught:
        parse_offsets(text)
    assert caught.value.code == code
    assert caught.value.example == "3d;1d;2h"


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (3 * DAY, "3 ngày"),
        (2 * HOUR, "2 giờ"),
        (DAY + 2 * HOUR, "1 ngày 2 giờ"),
        (30 * MINUTE, "30 phút"),
        (timedelta(seconds=45), "45 giây"),
        (DAY + 30 * MINUTE, "1 ngày 30 phút"),
        (timedelta(0), "0 phút"),
    ],
)
def test_format_offset_vi(offset: timedelta, text: str) -> None:
    assert format_offset_vi(offset) == text


def test_format_offset_vi_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_offset_vi(-HOUR)


OFFSETS = st.integers(1, 60 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds))


@given(st.text(max_size=250))
def test_offsets_raise_only_offset_errors(text: str) -> None:
    try:
        result = parse_offsets(text)
    except OffsetParseError as error:
        code = error.code
    else:
        code = "ok"
        assert result == sorted(set(result), reverse=True)
        assert all(timedelta(0) < offset <= 60 * DAY for offset in result)
    assert code in {"ok", "unrecognised", "invalid"}


@given(st.lists(OFFSETS, min_size=1, max_size=5))
def test_formatted_offsets_round_trip(offsets: list[timedelta]) -> None:
    text = "; ".join(format_offset_vi(offset) for offset in offsets)
    assert parse_offsets(text) == sorted(set(offsets), reverse=True)
