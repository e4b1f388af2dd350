"""Nomination polls: opening with a frozen roll, open and secret ballots, closing and tallying."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain import (
    AlreadyVoted,
    BallotRefused,
    Cluster,
    InvalidInput,
    NotOnRoll,
    PollClosed,
    PrivateOnly,
    Unit,
    UnknownPoll,
)
from bot.options import OptionError, parse_options, parse_yes_no, split_args, split_list
from bot.services.clusters import require_cluster, require_secretariat
from bot.services.common import clean_text, unit_of_work
from bot.services.requests import parse_deadline
from bot.tally import Ballot, BallotError, Result, Rules, check_ballot, tally
from db import audit, clusters, liaisons, polls, units
from db.util import from_ts

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from db.connection import Database

POLL_OPTIONS = (
    "chon",
    "nguong",
    "xep_hang",
    "tu_bau",
    "bi_mat",
    "du_tat_ca",
    "ung_vien",
    "dai_bieu",
)
MAX_TITLE = 200
MAX_CANDIDATE = 100


@dataclass(frozen=True)
class Poll:
    """A nomination poll and its rules."""

    id: int
    cluster_id: int
    title: str
    closes_at: datetime
    status: str
    rules: Rules
    candidate_units: tuple[int | None, ...]
    secret: bool
    close_when_all: bool
    message_id: int | None
    created_at: datetime
    closed_at: datetime | None
    result_posted: bool

    @property
    def is_open(self) -> bool:
        """Whether ballots are still taken."""
        return self.status == "open"


@dataclass(frozen=True)
class RollEntry:
    """A unit on the frozen roll: its voter and whether it has voted (never what)."""

    unit: Unit
    voter_user_id: int | None
    has_voted: bool


@dataclass(frozen=True)
class PollView:
    """A poll with its roll and turnout."""

    cluster: Cluster
    poll: Poll
    roll: tuple[RollEntry, ...]

    @property
    def tz(self) -> ZoneInfo:
        """The cluster's time zone."""
        return ZoneInfo(self.cluster.tz)

    @property
    def turnout(self) -> int:
        """How many units have voted."""
        return sum(1 for entry in self.roll if entry.has_voted)

    @property
    def everyone_voted(self) -> bool:
        """Whether every unit on the roll has voted."""
        return all(entry.has_voted for entry in self.roll)


def poll_from_row(row: aiosqlite.Row) -> Poll:
    """Map a polls row to a Poll."""
    return Poll(
        id=row["id"],
        cluster_id=row["cluster_id"],
        title=row["title"],
        closes_at=from_ts(row["closes_at"]),
        status=row["status"],
        rules=Rules(
            candidates=tuple(json.loads(row["candidates"])),
            ranked=bool(row["ranked"]),
            max_choices=row["max_choices"],
            threshold_percent=Fraction(row["threshold"]),
            quorum_percent=Fraction(row["quorum"]),
            self_vote=bool(row["self_vote"]),
        ),
        candidate_units=tuple(json.loads(row["candidate_units"])),
        secret=bool(row["secret"]),
        close_when_all=bool(row["close_when_all"]),
        message_id=row["message_id"],
        created_at=from_ts(row["created_at"]),
        closed_at=from_ts(row["closed_at"]) if row["closed_at"] else None,
        result_posted=bool(row["result_posted"]),
    )


async def load_poll_view(
    conn: aiosqlite.Connection,
    cluster: Cluster,
    poll: Poll,
    roll_rows: list[tuple[int, int | None, bool]] | None = None,
) -> PollView:
    """Gather a poll with its roll and turnout (`roll_rows`: the roll, when already read)."""
    by_id = {u.id: u for u in await units.list_units(conn, cluster.id)}
    if roll_rows is None:
        roll_rows = await polls.list_roll(conn, poll.id)
    roll = tuple(
        RollEntry(by_id[unit_id], voter, voted)
        for unit_id, voter, voted in roll_rows
        if unit_id in by_id
    )
    return PollView(cluster, poll, roll)


# "70", "66,7", "66.67%", or a fraction "200/3": never an exponent like "1e100000000",
# which Fraction would expand on the event loop for minutes.
_PERCENT_RE = re.compile(r"\s*([0-9]{1,3}(?:[.,][0-9]{1,6})?|[0-9]{1,4}/[0-9]{1,4})\s*%?\s*")


def _percent(value: str, field: str, *, allow_zero: bool) -> Fraction:
    match = _PERCENT_RE.fullmatch(value)
    if match is None:
        raise InvalidInput(field=field, value=value)
    try:
        number = Fraction(match[1].replace(",", "."))
    except (ValueError, ZeroDivisionError) as exc:
        raise InvalidInput(field=field, value=value) from exc
    if number > 100 or number < 0 or (number == 0 and not allow_zero):
        raise InvalidInput(field=field, value=value)
    return number


def _candidate_names(value: str) -> list[str]:
    """Candidates as shown: cleaned and cut first, then without empties or repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for raw in split_list(value):
        name = clean_text(raw)[:MAX_CANDIDATE].strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _yes_no(options: dict[str, str], key: str, default: bool) -> bool:
    if key not in options:
        return default
    try:
        return parse_yes_no(options[key], key=key)
    except OptionError as exc:
        raise InvalidInput(field="option", text=exc.segment) from exc


async def open_poll(
    db: Database,
    *,
    chat_id: int,
    text: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> PollView:
    """Open `<title> | <closing time> [| options]` with the roll frozen now (secretariat)."""
    segments = split_args(text)
    title = clean_text(segments[0]) if segments else ""
    if len(segments) < 2 or not title:
        raise InvalidInput(field="poll_args")
    if len(title) > MAX_TITLE:
        raise InvalidInput(field="title_long", limit=MAX_TITLE)
    try:
        options = parse_options(segments[2:], POLL_OPTIONS)
    except OptionError as exc:
        raise InvalidInput(field="option", text=exc.segment) from exc
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        closes_at = parse_deadline(segments[1], now, ZoneInfo(cluster.tz))
        all_units = await units.list_units(conn, cluster.id)
        if not all_units:
            raise InvalidInput(field="unit_lines")
        if "ung_vien" in options:
            names = _candidate_names(options["ung_vien"])
            if len(names) < 1:
                raise InvalidInput(field="candidates")
            if len(names) > MAX_CANDIDATES:
                raise InvalidInput(field="candidates_many", limit=MAX_CANDIDATES)
            candidate_units: list[int | None] = [None] * len(names)
        else:
            if len(all_units) > MAX_CANDIDATES:
                raise InvalidInput(field="candidates_many", limit=MAX_CANDIDATES)
            names = [u.code for u in all_units]
            candidate_units = [u.id for u in all_units]
        ranked = _yes_no(options, "xep_hang", default=False)
        try:
            max_choices = int(options.get("chon", "1"))
            rules = Rules(
                candidates=tuple(names),
                ranked=ranked,
                max_choices=len(names) if ranked else max_choices,
                threshold_percent=_percent(
                    options.get("nguong", "50"), "threshold", allow_zero=False
                ),
                quorum_percent=_percent(
                    options.get("dai_bieu", "200/3"), "quorum", allow_zero=True
                ),
                self_vote=_yes_no(options, "tu_bau", default=False),
            )
        except (ValueError, TypeError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(field="choices", value=options.get("chon", "")) from exc
        # The roll is frozen now: each unit's designated voter, else its first liaison.
        people = await liaisons.list_liaisons(conn, cluster.id)
        roll: list[tuple[int, int | None]] = []
        for unit in all_units:
            first = next((li.person.user_id for li in people if li.unit_id == unit.id), None)
            roll.append((unit.id, unit.voter_user_id or first))
        poll_id = await polls.insert_poll(
            conn,
            cluster_id=cluster.id,
            title=title,
            closes_at=closes_at,
            candidates=names,
            candidate_units=candidate_units,
            ranked=int(rules.ranked),
            max_choices=rules.max_choices,
            threshold=str(rules.threshold_percent),
            quorum=str(rules.quorum_percent),
            self_vote=int(rules.self_vote),
            secret=int(_yes_no(options, "bi_mat", default=True)),
            close_when_all=int(_yes_no(options, "du_tat_ca", default=False)),
            created_by=user_id,
            created_at=now,
        )
        await polls.insert_roll(conn, poll_id, roll)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="poll",
            detail=f"#{poll_id} {title} | {closes_at.isoformat()}",
            now=now,
        )
        row = await polls.get_poll_row(conn, poll_id)
        assert row is not None
        return await load_poll_view(conn, cluster, poll_from_row(row))


async def views_without_message(db: Database) -> list[PollView]:
    """Open polls that still need their group message, with their views."""
    async with db.read() as conn:
        views = []
        for row in await polls.list_open_rows_without_message(conn):
            poll = poll_from_row(row)
            cluster = await clusters.get_cluster(conn, poll.cluster_id)
            if cluster is not None:
                views.append(await load_poll_view(conn, cluster, poll))
        return views


async def get_poll_view(db: Database, poll_id: int) -> PollView:
    """Return a poll with its roll, whatever chat the request comes from."""
    async with db.read() as conn:
        row = await polls.get_poll_row(conn, poll_id)
        if row is None:
            raise UnknownPoll(poll_id=poll_id)
        poll = poll_from_row(row)
        cluster = await clusters.get_cluster(conn, poll.cluster_id)
        assert cluster is not None
        return await load_poll_view(conn, cluster, poll)


async def cast(
    db: Database,
    *,
    poll_id: int,
    user_id: int,
    marks: tuple[int, ...],
    now: datetime,
    update_id: int | None = None,
    toggle: int | None = None,
) -> PollView:
    """Cast (or, in an open poll, change) the ballot of the unit this person votes for."""
    cast = await cast_ballot(
        db,
        poll_id=poll_id,
        user_id=user_id,
        marks=marks,
        now=now,
        update_id=update_id,
        toggle=toggle,
    )
    return cast.view


@dataclass(frozen=True)
class Cast:
    """A ballot as recorded: the poll after it, the unit it counts for, its marks."""

    view: PollView
    unit: Unit
    marks: tuple[int, ...]


async def cast_ballot(
    db: Database,
    *,
    poll_id: int,
    user_id: int,
    marks: tuple[int, ...],
    now: datetime,
    update_id: int | None = None,
    toggle: int | None = None,
    group_button: bool = False,
) -> Cast:
    """Cast (or, in an open poll, change) the ballot of the unit this person votes for.

    With `toggle`, an open choose ballot gains or loses that candidate, read and written in
    one transaction (two quick presses must not lose a mark). `group_button`: pressed in
    the group, which only open, unranked polls take (the rest go through the private chat).

    A secret ballot is stored apart from the roll with nothing linking the two, and the
    write-ahead log is emptied afterwards so the commit order cannot link them either.
    Choices never reach a log line.
    """
    async with unit_of_work(db, update_id, now) as conn:
        row, roll_rows, open_ballots = await polls.read_for_ballot(conn, poll_id)
        if row is None:
            raise UnknownPoll(poll_id=poll_id)
        poll = poll_from_row(row)
        if not poll.is_open or now >= poll.closes_at:
            raise PollClosed(title=poll.title)
        entry = next(((u, v) for u, v, _voted in roll_rows if v == user_id), None)
        if entry is None:
            raise NotOnRoll(title=poll.title)
        if group_button and (poll.secret or poll.rules.ranked):
            raise PrivateOnly()
        if toggle is not None and toggle >= len(poll.rules.candidates):
            raise BallotRefused(reason="unknown_candidate")
        unit_id = entry[0]
        own = next((i for i, u in enumerate(poll.candidate_units) if u == unit_id), None)
        if toggle is not None and not poll.secret:
            current = open_ballots.get(unit_id, ())
            if poll.rules.max_choices == 1:
                marks = (toggle,)
            elif toggle in current:
                marks = tuple(m for m in current if m != toggle)
            else:
                marks = (*current, toggle)
        try:
            ballot = check_ballot(poll.rules, Ballot(marks), own_candidate=own)
        except BallotError as exc:
            raise BallotRefused(reason=exc.code) from exc
        if poll.secret:
            if not await polls.cast_secret_ballot(conn, poll.id, unit_id, ballot.marks):
                raise AlreadyVoted(title=poll.title)
        else:
            await polls.upsert_open_ballot(conn, poll.id, unit_id, ballot.marks)
        cluster = await clusters.get_cluster(conn, poll.cluster_id)
        assert cluster is not None
        # The roll as read above, with this unit now marked as having voted.
        voted_now = [(u, v, voted or u == unit_id) for u, v, voted in roll_rows]
        view = await load_poll_view(conn, cluster, poll, voted_now)
    unit = next(e.unit for e in view.roll if e.unit.id == unit_id)
    return Cast(view, unit, ballot.marks)


async def close(
    db: Database, *, poll_id: int, now: datetime, user_id: int | None = None
) -> tuple[PollView, Result] | None:
    """Close a poll and count it; None if it was already closed (another close won)."""
    async with unit_of_work(db, None, now) as conn:
        row = await polls.get_poll_row(conn, poll_id)
        if row is None:
            raise UnknownPoll(poll_id=poll_id)
        poll = poll_from_row(row)
        if not await polls.close_poll(conn, poll.id, now):
            return None
        marks = await polls.list_ballot_marks(conn, poll.id, poll.secret)
        cluster = await clusters.get_cluster(conn, poll.cluster_id)
        assert cluster is not None
        view = await load_poll_view(conn, cluster, poll)
        result = tally(poll.rules, [Ballot(m) for m in marks], roll_size=len(view.roll))
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="poll_closed",
            detail=f"#{poll.id} cast={result.cast}",
            now=now,
        )
    return view, result


async def secretariat_close(
    db: Database, *, chat_id: int, poll_id: int, user_id: int, is_group_admin: bool, now: datetime
) -> tuple[PollView, Result] | None:
    """Close a poll by hand (secretariat only)."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        row = await polls.get_poll_row(conn, poll_id, cluster.id)
        if row is None:
            raise UnknownPoll(poll_id=poll_id)
    return await close(db, poll_id=poll_id, now=now, user_id=user_id)


async def polls_to_close(db: Database, now: datetime) -> tuple[list[int], datetime | None]:
    """Open polls whose time is over (or that everyone voted in, when so set); next closing."""
    due: list[int] = []
    next_at: datetime | None = None
    async with db.read() as conn:
        for row in await polls.list_open_poll_rows(conn):
            poll = poll_from_row(row)
            roll = await polls.list_roll(conn, poll.id)
            if now >= poll.closes_at or (poll.close_when_all and all(v for _u, _p, v in roll)):
                due.append(poll.id)
            elif next_at is None or poll.closes_at < next_at:
                next_at = poll.closes_at
    return due, next_at


MAX_CANDIDATES = 30  # a ballot's draft travels in 64-byte button payloads


@dataclass(frozen=True)
class BallotContext:
    """What a voter needs to fill a ballot: the poll, their unit and its own candidate."""

    view: PollView
    unit: Unit
    own_candidate: int | None
    has_voted: bool


async def ballot_context(
    db: Database, *, poll_id: int, user_id: int, now: datetime
) -> BallotContext:
    """Check the person may vote in this poll now, and return what the ballot shows."""
    view = await get_poll_view(db, poll_id)
    poll = view.poll
    if not poll.is_open or now >= poll.closes_at:
        raise PollClosed(title=poll.title)
    entry = next((e for e in view.roll if e.voter_user_id == user_id), None)
    if entry is None:
        raise NotOnRoll(title=poll.title)
    if poll.secret and entry.has_voted:
        raise AlreadyVoted(title=poll.title)
    own = next((i for i, u in enumerate(poll.candidate_units) if u == entry.unit.id), None)
    return BallotContext(view, entry.unit, own, entry.has_voted)


async def result_of(db: Database, poll_id: int) -> tuple[PollView, Result]:
    """Count a closed poll again (it stays on record and can be shown any time)."""
    view = await get_poll_view(db, poll_id)
    async with db.read() as conn:
        marks = await polls.list_ballot_marks(conn, poll_id, view.poll.secret)
    return view, tally(view.poll.rules, [Ballot(m) for m in marks], roll_size=len(view.roll))


async def result_posted(db: Database, poll_id: int) -> None:
    """Record that the poll's result reached the group."""
    async with db.writes() as conn:  # one trip: it only writes
        await polls.mark_result_posted(conn, poll_id)


async def unposted_results(db: Database) -> list[int]:
    """Closed polls whose result still has to be posted."""
    async with db.read() as conn:
        return await polls.list_unposted_results(conn)


async def remember_poll_message(db: Database, poll_id: int, message_id: int) -> None:
    """Store the group message that shows the poll."""
    async with db.writes() as conn:  # one trip: it only writes
        await polls.update_poll_message(conn, poll_id, message_id)
