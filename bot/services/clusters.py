"""Cluster set-up: registering a group, its units, lead unit, settings and chat migration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.dates import OffsetParseError, parse_offsets
from bot.domain import (
    Cluster,
    InvalidInput,
    NotACluster,
    NotGroupAdmin,
    NotSecretariat,
    Person,
    Unit,
    UnitRoster,
    UnknownUnit,
)
from bot.schedule import parse_hhmm
from bot.services.common import clean_text, unit_of_work
from db import audit, boards, clusters, dialogues, liaisons, people, units

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import aiosqlite

    from db.connection import Database

MAX_CLUSTER_NAME = 120
MAX_UNIT_NAME = 200
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,19}$")
# The code runs up to a space or a separator people type ("VSP: …", "VSP – …", "VSP | …").
_LINE_RE = re.compile(r"^([^\s:|–—]+)(.*)$")
_SEPARATORS = " \t:|–—-"
JOIN_POLICIES = ("approve", "open")


@dataclass(frozen=True)
class UnitLine:
    """One line of /addunit, read but not yet stored."""

    code: str
    name: str


@dataclass(frozen=True)
class AddUnitsResult:
    """What /addunit did: units added and lines that were already there."""

    added: tuple[Unit, ...]
    unchanged: tuple[Unit, ...]


def normalise_code(text: str) -> str:
    """Return a unit code as stored: trimmed and upper-case."""
    return clean_text(text).upper()


def parse_setup_args(text: str, this_year: int) -> tuple[str, int]:
    """Read `<cluster name> [| <year>]`."""
    name, _, year_text = (clean_text(p) for p in text.partition("|"))
    if not name:
        raise InvalidInput(field="cluster_name")
    if len(name) > MAX_CLUSTER_NAME:
        raise InvalidInput(field="cluster_name_long", limit=MAX_CLUSTER_NAME)
    if not year_text:
        return name, this_year
    if not re.fullmatch(r"[0-9]{4}", year_text) or not 2000 <= int(year_text) <= 2100:
        raise InvalidInput(field="year", value=year_text)
    return name, int(year_text)


def parse_unit_lines(text: str) -> list[UnitLine]:
    """Read `/addunit` lines `<CODE> <full name>`; raise InvalidInput naming the bad line."""
    lines = [clean_text(line) for line in text.splitlines()]
    parsed: list[UnitLine] = []
    seen: set[str] = set()
    for number, line in enumerate((ln for ln in lines if ln), start=1):
        match = _LINE_RE.match(line)
        if match is None:  # pragma: no cover - \S+ always matches a non-empty line
            raise InvalidInput(field="unit_line", line=number, text=line)
        # "VSP- name" and "VSP - name" both mean code VSP; "PV-GAS name" keeps its hyphen.
        code = normalise_code(match.group(1).rstrip("-"))
        name = clean_text(match.group(2).lstrip(_SEPARATORS))
        if not CODE_RE.match(code):
            raise InvalidInput(field="unit_code", line=number, text=line)
        if not name:
            raise InvalidInput(field="unit_name", line=number, text=line)
        if len(name) > MAX_UNIT_NAME:
            raise InvalidInput(field="unit_name_long", line=number, limit=MAX_UNIT_NAME)
        if code in seen:
            raise InvalidInput(field="unit_code_repeated", line=number, code=code)
        seen.add(code)
        parsed.append(UnitLine(code=code, name=name))
    if not parsed:
        raise InvalidInput(field="unit_lines")
    return parsed


async def get_cluster_for_chat(db: Database, chat_id: int) -> Cluster | None:
    """Return the cluster of a chat, or None."""
    async with db.read() as conn:
        return await clusters.get_cluster_by_chat(conn, chat_id)


async def require_cluster(conn: aiosqlite.Connection, chat_id: int) -> Cluster:
    """Return the chat's cluster or raise NotACluster."""
    cluster = await clusters.get_cluster_by_chat(conn, chat_id)
    if cluster is None:
        raise NotACluster(chat_id=chat_id)
    return cluster


async def is_secretariat(
    conn: aiosqlite.Connection, cluster: Cluster, user_id: int, is_group_admin: bool
) -> bool:
    """Tell whether a person is secretariat: a group admin or a liaison of the lead unit."""
    if is_group_admin:
        return True
    if cluster.lead_unit_id is None:
        return False
    liaison = await liaisons.get_liaison(conn, cluster.id, user_id)
    return liaison is not None and liaison.unit_id == cluster.lead_unit_id


async def require_secretariat(
    conn: aiosqlite.Connection, cluster: Cluster, user_id: int, is_group_admin: bool
) -> None:
    """Raise NotSecretariat unless the person is secretariat."""
    if not await is_secretariat(conn, cluster, user_id, is_group_admin):
        raise NotSecretariat(cluster_id=cluster.id)


async def check_secretariat(
    db: Database, chat_id: int, user_id: int, is_group_admin: bool
) -> Cluster:
    """Return the chat's cluster if the person is its secretariat; raise otherwise."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
    return cluster


async def setup_cluster(
    db: Database,
    *,
    chat_id: int,
    text: str,
    user_id: int,
    is_group_admin: bool,
    locale: str,
    tz: ZoneInfo,
    now: datetime,
    update_id: int | None = None,
) -> tuple[Cluster, bool]:
    """Register the group as a cluster, or rename it; return it and whether it is new."""
    if not is_group_admin:
        raise NotGroupAdmin(chat_id=chat_id)
    name, year = parse_setup_args(text, now.astimezone(tz).year)
    async with unit_of_work(db, update_id, now) as conn:
        existing = await clusters.get_cluster_by_chat(conn, chat_id)
        if existing is None:
            await clusters.insert_cluster(
                conn,
                chat_id=chat_id,
                name=name,
                year=year,
                locale=locale,
                tz=tz.key,
                created_by=user_id,
                now=now,
            )
        else:
            await clusters.update_cluster(conn, existing.id, name=name, year=year)
        cluster = await require_cluster(conn, chat_id)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="setup" if existing is None else "rename",
            detail=f"{name} | {year}",
            now=now,
        )
    return cluster, existing is None


async def add_units(
    db: Database,
    *,
    chat_id: int,
    text: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> AddUnitsResult:
    """Add the units written one per line; all or nothing."""
    lines = parse_unit_lines(text)
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        added: list[Unit] = []
        unchanged: list[Unit] = []
        for line in lines:
            existing = await units.get_unit_by_code(conn, cluster.id, line.code)
            if existing is not None:
                if existing.name != line.name:
                    # Renaming by re-adding would silently change what people signed up to.
                    raise InvalidInput(field="unit_code_taken", code=line.code, name=existing.name)
                unchanged.append(existing)
                continue
            unit_id = await units.insert_unit(conn, cluster.id, line.code, line.name, now)
            added.append(Unit(unit_id, cluster.id, line.code, line.name, None))
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=user_id,
                action="add_unit",
                detail=f"{line.code} {line.name}",
                now=now,
            )
    return AddUnitsResult(added=tuple(added), unchanged=tuple(unchanged))


async def set_lead(
    db: Database,
    *,
    chat_id: int,
    code: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> Unit:
    """Name the lead unit (cụm trưởng) by its code."""
    code = normalise_code(code)
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        unit = await units.get_unit_by_code(conn, cluster.id, code)
        if unit is None:
            raise UnknownUnit(code=code)
        await clusters.update_cluster(conn, cluster.id, lead_unit_id=unit.id)
        await audit.insert_audit(
            conn, cluster_id=cluster.id, user_id=user_id, action="lead", detail=code, now=now
        )
    return unit


async def list_roster(db: Database, chat_id: int) -> tuple[Cluster, list[UnitRoster]]:
    """Return the cluster with every unit, its liaisons and voter."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        all_units = await units.list_units(conn, cluster.id)
        all_liaisons = await liaisons.list_liaisons(conn, cluster.id)
        roster = []
        for unit in all_units:
            people_of_unit = tuple(li.person for li in all_liaisons if li.unit_id == unit.id)
            voter = None
            if unit.voter_user_id is not None:
                voter = next(
                    (p for p in people_of_unit if p.user_id == unit.voter_user_id), None
                ) or await people.get_person(conn, unit.voter_user_id)
            roster.append(
                UnitRoster(
                    unit=unit,
                    liaisons=people_of_unit,
                    voter=voter,
                    is_lead=unit.id == cluster.lead_unit_id,
                )
            )
    return cluster, roster


async def update_settings(
    db: Database,
    *,
    chat_id: int,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    locale: str | None = None,
    join_policy: str | None = None,
    offsets_text: str | None = None,
    digest_text: str | None = None,
    quiet_text: str | None = None,
    overdue_daily: bool | None = None,
    board_enabled: bool | None = None,
    status_picture: bool | None = None,
) -> Cluster:
    """Change the cluster's language, join policy, reminder or status settings.

    Secretariat only.
    """
    if locale is not None and locale not in ("vi", "en"):
        raise InvalidInput(field="locale", value=locale)
    if join_policy is not None and join_policy not in JOIN_POLICIES:
        raise InvalidInput(field="join_policy", value=join_policy)
    offsets = None
    if offsets_text is not None:
        try:
            offsets = ";".join(str(int(o.total_seconds())) for o in parse_offsets(offsets_text))
        except OffsetParseError as exc:
            raise InvalidInput(field="offsets", value=offsets_text) from exc
    digest = _hhmm(digest_text, "digest_time") if digest_text is not None else None
    quiet_start = quiet_end = None
    if quiet_text is not None:
        start, sep, end = quiet_text.replace("–", "-").partition("-")
        if not sep:
            raise InvalidInput(field="quiet", value=quiet_text)
        quiet_start, quiet_end = _hhmm(start, "quiet", quiet_text), _hhmm(end, "quiet", quiet_text)
    async with unit_of_work(db, None, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        await clusters.update_cluster(
            conn,
            cluster.id,
            locale=locale,
            join_policy=join_policy,
            reminder_offsets=offsets,
            offsets_changed_at=now if offsets is not None else None,
            digest_time=digest,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            overdue_daily=overdue_daily,
            board_enabled=board_enabled,
            status_picture=status_picture,
        )
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="settings",
            detail=(
                f"locale={locale} join_policy={join_policy} offsets={offsets} "
                f"digest={digest} quiet={quiet_start}-{quiet_end} daily={overdue_daily} "
                f"board={board_enabled} picture={status_picture}"
            ),
            now=now,
        )
        return await require_cluster(conn, chat_id)


def _hhmm(text: str, field: str, shown: str | None = None) -> str:
    """Read a time of day like '8:00', '08h', '21h30' into 'HH:MM'."""
    try:
        value = parse_hhmm(text)
    except ValueError as exc:
        raise InvalidInput(field=field, value=shown or text) from exc
    return f"{value:%H:%M}"


async def migrate_chat(db: Database, old_chat_id: int, new_chat_id: int, now: datetime) -> bool:
    """Move the cluster (and waiting dialogues) to the supergroup's new chat id."""
    async with unit_of_work(db, None, now) as conn:
        moved = await clusters.update_chat_id(conn, old_chat_id, new_chat_id)
        await dialogues.move_chat(conn, old_chat_id, new_chat_id)
        if moved:
            cluster = await require_cluster(conn, new_chat_id)
            # The old group's message ids mean nothing in the supergroup: a new board, and the
            # open items' messages are posted again (handlers.common.schedule_missing_posts).
            await boards.upsert_board(conn, cluster.id, message_id=None, body_hash=None, now=now)
            await clusters.forget_item_messages(conn, cluster.id)
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=None,
                action="migrate",
                detail=f"{old_chat_id} -> {new_chat_id}",
                now=now,
            )
    return moved > 0


async def unit_liaisons(db: Database, chat_id: int, unit_id: int) -> tuple[Unit, list[Person]]:
    """Return a unit of the chat's cluster with its liaisons."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        unit = await units.get_unit(conn, cluster.id, unit_id)
        if unit is None:
            raise UnknownUnit(unit_id=unit_id)
        people_of_unit = [
            li.person
            for li in await liaisons.list_liaisons(conn, cluster.id)
            if li.unit_id == unit.id
        ]
    return unit, people_of_unit


async def set_voter(
    db: Database,
    *,
    chat_id: int,
    unit_id: int,
    voter_user_id: int | None,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> tuple[Unit, Person | None]:
    """Designate which liaison casts the unit's vote (None: the liaison by default)."""
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        unit = await units.get_unit(conn, cluster.id, unit_id)
        if unit is None:
            raise UnknownUnit(unit_id=unit_id)
        voter = None
        if voter_user_id is not None:
            liaison = await liaisons.get_liaison(conn, cluster.id, voter_user_id)
            # The voter represents the unit: only one of its liaisons can be named.
            if liaison is None or liaison.unit_id != unit.id:
                raise InvalidInput(field="voter", code=unit.code)
            voter = liaison.person
        await units.update_voter(conn, unit.id, voter_user_id)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="voter",
            detail=f"{unit.code} {voter_user_id}",
            now=now,
        )
    return unit, voter


async def is_secretariat_of_chat(
    db: Database, chat_id: int, user_id: int, is_group_admin: bool
) -> bool:
    """Tell whether the person is secretariat of the chat's cluster (False without one)."""
    async with db.read() as conn:
        cluster = await clusters.get_cluster_by_chat(conn, chat_id)
        return cluster is not None and await is_secretariat(conn, cluster, user_id, is_group_admin)
