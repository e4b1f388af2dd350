"""Read Vietnamese-written dates, times and reminder offsets into aware datetimes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "AmbiguousDateError",
    "DateParseError",
    "EmptyDateError",
    "InvalidDateError",
    "OffsetParseError",
    "PastDateError",
    "UnrecognisedDateError",
    "format_offset_vi",
    "parse_datetime",
    "parse_offsets",
]

MAX_INPUT_LENGTH = 200
DATE_EXAMPLE = "17:00 15/11/2022"
OFFSET_EXAMPLE = "3d;1d;2h"
# Years outside this window are typos; the bound also keeps zone conversions far from
# datetime's own limits, so no OverflowError can escape.
MIN_YEAR, MAX_YEAR = 1900, 2999
# How far back a year-less date may lie before it is read as next year's.
ROLLOVER_GRACE = timedelta(days=60)
MAX_OFFSET = timedelta(days=60)


class DateParseError(ValueError):
    """A text that cannot be read as a date; `code` names the reason for the UI."""

    code: ClassVar[str] = "unrecognised"

    def __init__(self, message: str, *, example: str = DATE_EXAMPLE) -> None:
        super().__init__(message)
        self.example = example


class EmptyDateError(DateParseError):
    """Nothing was written."""

    code = "empty"


class UnrecognisedDateError(DateParseError):
    """The text is not a date this module understands."""

    code = "unrecognised"


class InvalidDateError(DateParseError):
    """A well-formed date or time that does not exist (31/02, 25:00)."""

    code = "invalid"


class PastDateError(DateParseError):
    """The date is already over."""

    code = "past"


class AmbiguousDateError(DateParseError):
    """The text can be read in more than one way."""

    code = "ambiguous"


class OffsetParseError(ValueError):
    """A reminder-offset list that cannot be read; `code` is 'unrecognised' or 'invalid'."""

    def __init__(self, message: str, *, code: str = "unrecognised") -> None:
        super().__init__(message)
        self.code = code
        self.example = OFFSET_EXAMPLE


# --- normalisation ------------------------------------------------------------------------

# "đ" is a letter of its own, not d plus a mark, so NFD does not strip it; "ð" is the
# look-alike some keyboards produce.
_D_STROKE = str.maketrans({"đ": "d", "ð": "d"})
# "một" (one) and "mốt" (day after tomorrow) fold to the same ASCII word; turning the
# numeral into a digit first keeps "mot" meaning mốt ("một giờ chiều" then reads as 13:00).
_ONE_RE = re.compile(r"\bmột\b")
_TRAILING = ".,;:!?… "


def _fold(text: str) -> str:
    """NFC + casefold, drop Vietnamese diacritics, collapse spaces, strip trailing punctuation."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    text = _ONE_RE.sub("1", text)
    # Office users often type without accents, so every keyword is matched in ASCII form.
    decomposed = unicodedata.normalize("NFD", text.translate(_D_STROKE))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split()).rstrip(_TRAILING)


# --- tokens -------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"(?P<date>[0-9]{1,4}[/.-][0-9]{1,2}(?:[/.-][0-9]{1,4})?)"
    r"|(?P<clock>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"|(?P<num>[0-9]+)"
    r"|(?P<word>[a-z]+)"
    r"|(?P<mark>['’′])"  # minutes mark, as in 17h30'
    r"|(?P<skip>[\s,;()]+)"
)
# The ISO "T" between date and time would otherwise glue onto the hour as a word.
_ISO_T_RE = re.compile(r"(?<=[0-9])t(?=[0-9])")
# ISO text with an explicit offset is exact; datetime.fromisoformat reads it.
_ZONED_ISO_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}t[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:z|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # a group name of _TOKEN_RE
    text: str


def _tokenize(text: str) -> list[_Token]:
    """Split folded text into date, clock, number, word and mark tokens."""
    text = _ISO_T_RE.sub(" ", text)
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise UnrecognisedDateError(f"unexpected character {text[pos]!r}")
        pos = match.end()
        if match.lastgroup and match.lastgroup != "skip":
            tokens.append(_Token(match.lastgroup, match.group()))
    return tokens


# --- vocabulary (diacritics already folded away) --------------------------------------------

_FILLERS = frozenset({"ngay", "hom", "luc", "vao"})  # ngày, hôm, lúc, vào
_HOUR_UNITS = frozenset({"h", "g", "gio"})  # 17h, 17g, 17 giờ
_MINUTE_UNITS = frozenset({"phut", "p"})
_NOT_AFTER_MINUTES = frozenset({"thang", "ruoi", "kem", *_HOUR_UNITS})
# thứ Hai … thứ Bảy; Python weekday numbers (Monday = 0).
_WEEKDAY_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_SUNDAY = 6
_WEEK_SHIFTS = {"nay": 0, "sau": 1, "toi": 1, "truoc": -1}  # tuần này/sau/tới/trước
_DAY_OFFSETS = {"nay": 0, "mai": 1, "mot": 2, "kia": 2, "qua": -1}  # (hôm) nay, mai, mốt …
_PERIOD_ALIASES = {
    "sang": "sang",
    "trua": "trua",
    "chieu": "chieu",
    "toi": "toi",
    "dem": "dem",
    "khuya": "dem",
}
# period -> (hours meant as written, hours meaning +12). 24 is midnight ending the day,
# so "12h đêm ngày 15/11" is 00:00 on 16/11.
_PERIOD_HOURS: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    "sang": (frozenset(range(13)), frozenset()),
    "trua": (frozenset(range(10, 15)), frozenset({1, 2})),
    "chieu": (frozenset(range(12, 24)), frozenset(range(1, 12))),
    "toi": (frozenset(range(13, 25)), frozenset(range(1, 13))),
    "dem": (frozenset({*range(6), *range(13, 25)}), frozenset(range(6, 13))),
}


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int  # as written, before any period word
    minute: int
    minutes_before: int = 0  # "17h kém 15" = 15 minutes before 17:00
    bare: bool = False  # a one-digit hour ("3h", not "03h"): 1–5 may mean afternoon


@dataclass
class _Found:
    """Everything the parser saw; sets so repeats agree and conflicts show."""

    dates: set[tuple[int, int, int | None]] = field(default_factory=set)  # day, month, year
    day_offsets: set[int] = field(default_factory=set)
    weekdays: set[int] = field(default_factory=set)
    week_shifts: set[int] = field(default_factory=set)
    clocks: set[_Clock] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)


def _year(text: str) -> int:
    """Read a 2- or 4-digit year."""
    if len(text) == 2:
        return 2000 + int(text)
    if len(text) == 4:
        return int(text)
    raise UnrecognisedDateError(f"year {text!r} should have 4 digits")


class _Parser:
    """Walk the tokens once; each rule consumes the tokens it recognises."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.found = _Found()

    def run(self) -> _Found:
        rules = (
            self._filler,
            self._date_token,
            self._clock_token,
            self._date_words,
            self._hour_words,
            self._weekday,
            self._week,
            self._day_offset,
            self._period,
        )
        while self.pos < len(self.tokens):
            if not any(rule() for rule in rules):
                raise UnrecognisedDateError(f"unexpected {self.tokens[self.pos].text!r}")
        return self.found

    def _peek(self, kind: str, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        if 0 <= index < len(self.tokens) and self.tokens[index].kind == kind:
            return self.tokens[index].text
        return None

    def _word(self, ahead: int = 0) -> str | None:
        return self._peek("word", ahead)

    def _num(self, ahead: int = 0, max_digits: int = 2) -> str | None:
        text = self._peek("num", ahead)
        return text if text is not None and len(text) <= max_digits else None

    def _filler(self) -> bool:
        if self._word() in _FILLERS:
            self.pos += 1
            return True
        return False

    def _date_token(self) -> bool:
        text = self._peek("date")
        if text is None:
            return False
        if len(set(re.findall(r"[/.-]", text))) != 1:
            raise UnrecognisedDateError(f"mixed separators in {text!r}")
        parts = re.split(r"[/.-]", text)
        if len(parts[0]) == 4:  # ISO order: 2022-11-15
            if len(parts) != 3 or len(parts[2]) > 2:
                raise UnrecognisedDateError(f"incomplete date {text!r}")
            self.found.dates.add((int(parts[2]), int(parts[1]), int(parts[0])))
        elif len(parts[0]) <= 2:  # Vietnamese order: 15/11[/2022]
            year = _year(parts[2]) if len(parts) == 3 else None
            self.found.dates.add((int(parts[0]), int(parts[1]), year))
        else:
            raise UnrecognisedDateError(f"unreadable date {text!r}")
        self.pos += 1
        return True

    def _clock_token(self) -> bool:
        text = self._peek("clock")
        if text is None:
            return False
        hour, minute, *seconds = text.split(":")
        if seconds and int(seconds[0]) > 59:
            raise InvalidDateError(f"no such time {text!r}")
        self.found.clocks.add(_Clock(int(hour), int(minute), bare=len(hour) == 1))
        self.pos += 1
        if self._word() in _HOUR_UNITS:  # "17:00h" repeats the unit
            self.pos += 1
        return True

    def _date_words(self) -> bool:
        """Administrative style: 15 tháng 11 [năm 2022]."""
        day, month = self._num(), self._num(2)
        if day is None or self._word(1) != "thang" or month is None:
            return False
        self.pos += 3
        year = None
        if self._word() == "nam" and (digits := self._num(1, max_digits=4)) is not None:
            year = _year(digits)
            self.pos += 2
        self.found.dates.add((int(day), int(month), year))
        return True

    def _hour_words(self) -> bool:
        """17h30, 17 giờ 30 phút, 9 rưỡi, 17h kém 15, 3 chiều."""
        hour = self._num()
        if hour is None:
            return False
        after = self._word(1)
        if after in _HOUR_UNITS:
            self.pos += 2
            minute, before = self._minutes(allow_number=True)
        elif after in ("ruoi", "kem"):
            self.pos += 1
            minute, before = self._minutes(allow_number=False)
        elif after in _PERIOD_ALIASES:  # the period word itself is left for _period
            self.pos += 1
            minute, before = 0, 0
        else:
            return False
        self.found.clocks.add(_Clock(int(hour), minute, before, bare=len(hour) == 1))
        return True

    def _minutes(self, *, allow_number: bool) -> tuple[int, int]:
        """Read what follows an hour: (minutes after, minutes before)."""
        if self._word() == "ruoi":
            self.pos += 1
            return 30, 0
        if self._word() == "kem":
            before = self._num(1)
            if before is None:
                raise UnrecognisedDateError("'kém' needs a number of minutes")
            self.pos += 2
            self._skip_minute_unit()
            return 0, int(before)
        minute = self._num()
        # "17h 15 tháng 11": that 15 is a day; "9h 10h": a second hour. Neither is minutes.
        if allow_number and minute is not None and self._word(1) not in _NOT_AFTER_MINUTES:
            self.pos += 1
            self._skip_minute_unit()
            return int(minute), 0
        return 0, 0

    def _skip_minute_unit(self) -> None:
        if self._word() in _MINUTE_UNITS or self._peek("mark") is not None:
            self.pos += 1

    def _weekday(self) -> bool:
        """thứ Sáu, thứ 6, T6, chủ nhật, CN."""
        word, after = self._word(), self._word(1)
        if word in ("thu", "t") and (number := self._peek("num", 1)) is not None:
            # Vietnamese counts Sunday as day 1, so thứ 2 is Monday.
            if len(number) > 1 or not 2 <= int(number) <= 7:
                raise InvalidDateError(f"no weekday 'thứ {number}'", example="thứ 6 14h")
            weekday = int(number) - 2
        elif word == "thu" and after in _WEEKDAY_WORDS:
            weekday = _WEEKDAY_WORDS[after]
        elif word == "chu" and after == "nhat":
            weekday = _SUNDAY
        elif word == "cn":
            self.found.weekdays.add(_SUNDAY)
            self.pos += 1
            return True
        else:
            return False
        self.found.weekdays.add(weekday)
        self.pos += 2
        return True

    def _week(self) -> bool:
        """tuần sau / tuần tới / tuần này / tuần trước."""
        shift = _WEEK_SHIFTS.get(self._word(1) or "")
        if self._word() != "tuan" or shift is None:
            return False
        self.found.week_shifts.add(shift)
        self.pos += 2
        return True

    def _day_offset(self) -> bool:
        """(hôm) nay, (ngày) mai, mốt, ngày kia, hôm qua."""
        word = self._word()
        if word not in _DAY_OFFSETS:
            return False
        offset = _DAY_OFFSETS[word]
        if word == "kia" and self._word(-1) == "hom":  # hôm kia is two days ago
            offset = -2
        self.found.day_offsets.add(offset)
        self.pos += 1
        return True

    def _period(self) -> bool:
        """sáng, trưa, chiều, tối, đêm, khuya."""
        period = _PERIOD_ALIASES.get(self._word() or "")
        if period is None:
            return False
        self.found.periods.add(period)
        self.pos += 1
        return True


# --- resolution ---------------------------------------------------------------------------

_T = TypeVar("_T")


def _single(values: set[_T], what: str) -> _T | None:
    """The one value given (repeats are fine), None if none, error if they disagree."""
    if len(values) > 1:
        raise AmbiguousDateError(f"several different {what} in one text")
    return next(iter(values), None)


def _make_date(year: int, month: int, day: int) -> date:
    """A date, or InvalidDateError if it does not exist."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDateError(f"year {year} is out of range")
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDateError(f"no such date {day:02d}/{month:02d}/{year}") from None


def _minute_of_day(clock: _Clock, period: str | None) -> int:
    """Minutes after midnight of the named day; 1440 is the midnight that ends it."""
    if period is None:
        # "3h" almost always means 15:00 in office talk, so do not guess.
        if clock.bare and 1 <= clock.hour <= 5:
            raise AmbiguousDateError(
                f"{clock.hour}h could be morning or afternoon", example="15h00 15/11/2022"
            )
        hour = clock.hour
    elif clock.hour in _PERIOD_HOURS[period][0]:
        hour = clock.hour
    elif clock.hour in _PERIOD_HOURS[period][1]:
        hour = clock.hour + 12
    else:
        raise InvalidDateError(f"{clock.hour}h does not fit the day period", example="3h chiều")
    if hour > 24 or clock.minute > 59 or (hour == 24 and clock.minute):
        raise InvalidDateError(f"no such time {clock.hour}:{clock.minute:02d}")
    total = hour * 60 + clock.minute - clock.minutes_before
    if clock.minutes_before > 59 or total < 0:
        raise InvalidDateError("no such time", example="17h kém 15")
    return total


def _is_before(earlier: datetime, later: datetime) -> bool:
    """Compare instants (same-zone datetimes would compare wall clocks)."""
    return earlier.astimezone(UTC) < later.astimezone(UTC)


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The aware datetime `minutes` after the start of `day` on the wall clock of tz."""
    day += timedelta(days=minutes // 1440)
    wall = datetime(day.year, day.month, day.day, minutes % 1440 // 60, minutes % 60, tzinfo=tz)
    # A wall time inside a DST gap does not exist; the UTC round trip moves it forward.
    return wall.astimezone(UTC).astimezone(tz)


class _Resolver:
    """Turn what the parser found into one datetime, relative to `now` in tz."""

    def __init__(self, now: datetime, tz: ZoneInfo, default_time: time) -> None:
        self.now = now
        self.tz = tz
        self.today = now.date()
        self.minutes = default_time.hour * 60 + default_time.minute  # until a clock is read

    def resolve(self, found: _Found) -> datetime:
        clock = _single(found.clocks, "times")
        period = _single(found.periods, "day periods")
        explicit = _single(found.dates, "dates")
        offset = _single(found.day_offsets, "relative days")
        weekday = _single(found.weekdays, "weekdays")
        shift = _single(found.week_shifts, "weeks")
        if shift is not None and weekday is None:
            raise UnrecognisedDateError("'tuần' needs a weekday", example="thứ 6 tuần sau 9h")
        if clock is None and period is not None:
            raise AmbiguousDateError("a day period needs an hour", example="9h sáng mai")
        if clock is None and explicit is None and offset is None and weekday is None:
            raise UnrecognisedDateError("no date or time found")
        if clock is not None:
            self.minutes = _minute_of_day(clock, period)

        # Every way the text names the day must agree ("thứ 3 ngày 15/11" is checked).
        days: set[date] = set()
        if explicit is not None:
            days.add(self._explicit_day(*explicit))
        if offset is not None:
            days.add(self.today + timedelta(days=offset))
        if shift is not None and weekday is not None:  # weeks start on Monday
            monday = self.today - timedelta(days=self.today.weekday()) + timedelta(weeks=shift)
            days.add(monday + timedelta(days=weekday))
        elif weekday is not None and not days:
            # The next such weekday; today counts while the time is still ahead.
            day = self.today + timedelta(days=(weekday - self.today.weekday()) % 7)
            days.add(day if self._upcoming(day) else day + timedelta(weeks=1))
        chosen = _single(days, "dates") or self.today
        if weekday is not None and chosen.weekday() != weekday:
            raise AmbiguousDateError(f"{chosen:%d/%m/%Y} is not that weekday")
        return _at(chosen, self.minutes, self.tz)

    def _upcoming(self, day: date) -> bool:
        return not _is_before(_at(day, self.minutes, self.tz), self.now)

    def _explicit_day(self, day: int, month: int, year: int | None) -> date:
        if year is not None:
            return _make_date(year, month, day)
        try:
            this_year = _make_date(self.today.year, month, day)
        except InvalidDateError:  # 29/02 in a common year: next year's may exist
            return _make_date(self.today.year + 1, month, day)
        # A year-less date long gone means next year's ("05/01" written in December);
        # a recent one is a mistake the caller reports as past.
        if not self._upcoming(this_year) and self.today - this_year > ROLLOVER_GRACE:
            return _make_date(self.today.year + 1, month, day)
        return this_year


def parse_datetime(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    default_time: time = time(17, 0),
    allow_past: bool = False,
) -> datetime:
    """Read a Vietnamese-written date/time; return an aware datetime in tz."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")  # a programming error, not input
    # Measured after NFC: the same date typed decomposed must not be "too long".
    if len(unicodedata.normalize("NFC", text)) > MAX_INPUT_LENGTH:
        raise UnrecognisedDateError("text too long")
    folded = _fold(text)
    if not folded:
        raise EmptyDateError("no date given")
    now = now.astimezone(tz)
    if _ZONED_ISO_RE.fullmatch(folded):
        result = _zoned_iso(folded, tz)
    else:
        found = _Parser(_tokenize(folded)).run()
        result = _Resolver(now, tz, default_time).resolve(found)
    if not allow_past and _is_before(result, now):
        raise PastDateError(f"{result:%H:%M %d/%m/%Y} is in the past")
    return result


def _zoned_iso(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 with an explicit UTC offset, converted to tz."""
    if not MIN_YEAR <= int(text[:4]) <= MAX_YEAR:
        raise InvalidDateError(f"year {text[:4]} is out of range")
    try:
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        raise InvalidDateError(f"no such date/time {text!r}") from None
    return parsed.astimezone(tz).replace(second=0, microsecond=0)


# --- reminder offsets ---------------------------------------------------------------------

_OFFSET_UNITS = {
    "d": 86400,
    "ngay": 86400,
    "h": 3600,
    "gio": 3600,
    "g": 3600,
    "m": 60,
    "phut": 60,
    "p": 60,
    "s": 1,
    "giay": 1,
}
_OFFSET_RE = re.compile(r"(?:\s*[0-9]+\s*[a-z]+)+\s*")
_OFFSET_PART_RE = re.compile(r"([0-9]+)\s*([a-z]+)")


def parse_offsets(text: str) -> list[timedelta]:
    """Read reminder offsets like '3d;1d;2h' or '2 ngày; 1 ngày 2 giờ' (';' or ',' separate)."""
    if len(unicodedata.normalize("NFC", text)) > MAX_INPUT_LENGTH:
        raise OffsetParseError("text too long")
    offsets: set[timedelta] = set()
    for chunk in re.split(r"[;,]", _fold(text)):
        if not chunk.strip():
            continue
        if not _OFFSET_RE.fullmatch(chunk):
            raise OffsetParseError(f"unreadable offset {chunk.strip()!r}")
        seconds = 0
        seen: set[int] = set()  # unit sizes, so "1d 1 ngày" counts as a repeat
        for number, unit in _OFFSET_PART_RE.findall(chunk):
            size = _OFFSET_UNITS.get(unit)
            if size is None or size in seen:
                raise OffsetParseError(f"unknown or repeated unit {unit!r}")
            seen.add(size)
            seconds += int(number) * size
        # Compare as int before building a timedelta, which could overflow.
        if not 0 < seconds <= MAX_OFFSET // timedelta(seconds=1):
            raise OffsetParseError(f"offset {chunk.strip()!r} out of range", code="invalid")
        offsets.add(timedelta(seconds=seconds))
    if not offsets:
        raise OffsetParseError("no offsets given")
    return sorted(offsets, reverse=True)


def format_offset_vi(td: timedelta) -> str:
    """Write an offset in Vietnamese, e.g. '1 ngày 2 giờ' or '30 phút'."""
    if td < timedelta(0):
        raise ValueError("offset must not be negative")
    total = td // timedelta(seconds=1)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    named = ((days, "ngày"), (hours, "giờ"), (minutes, "phút"), (seconds, "giây"))
    return " ".join(f"{value} {unit}" for value, unit in named if value) or "0 phút"
