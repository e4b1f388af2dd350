"""Who represents which unit: people, joining, approval, invite links, personal language."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain import (
    AlreadyLiaison,
    Cluster,
    InvalidInput,
    Invite,
    InviteInvalid,
    JoinPending,
    JoinRequest,
    Person,
    StaleRequest,
    Unit,
    UnknownUnit,
)
from bot.services.clusters import normalise_code, require_cluster, require_secretariat
from bot.services.common import unit_of_work
from db import audit, clusters, invites, liaisons, people, units

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from db.connection import Database

INVITE_PREFIX = "inv_"
# Long enough to reach a busy liaison, short enough that a forwarded link goes stale.
INVITE_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class PersonInfo:
    """What Telegram tells about a person, as plain values."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class JoinOutcome:
    """Result of /join: attached at once (open policy) or waiting for approval."""

    cluster: Cluster
    unit: Unit
    joined: bool
    request: JoinRequest | None


@dataclass(frozen=True)
class Decision:
    """A decided join request, with what the handler needs to tell everyone."""

    cluster: Cluster
    unit: Unit
    person: Person
    approved: bool
    request: JoinRequest


@dataclass(frozen=True)
class Redeemed:
    """An invite opened: the person is now (or already was) liaison of the unit."""

    cluster: Cluster
    unit: Unit
    already: bool
    # A join request the invite made moot; its group message still shows buttons.
    superseded: JoinRequest | None = None


async def record_person(db: Database, info: PersonInfo, *, started: bool, now: datetime) -> None:
    """Remember a person's names, language and whether they opened the private chat."""
    async with db.writes() as conn:  # one trip: it only writes
        await _upsert(conn, info, started=started, now=now)


async def _upsert(
    conn: aiosqlite.Connection, info: PersonInfo, *, started: bool, now: datetime
) -> None:
    await people.upsert_person(
        conn,
        user_id=info.user_id,
        first_name=info.first_name,
        last_name=info.last_name,
        username=info.username,
        language_code=info.language_code,
        started=started,
        now=now,
    )


async def get_person(db: Database, user_id: int) -> Person | None:
    """Return what the bot knows about a person."""
    async with db.read() as conn:
        return await people.get_person(conn, user_id)


async def mark_blocked(db: Database, user_id: int, now: datetime) -> None:
    """Remember that the person blocked the bot (Telegram answered 403)."""
    async with unit_of_work(db, None, now) as conn:
        await people.update_blocked(conn, user_id, True)


async def set_person_locale(db: Database, info: PersonInfo, locale: str, now: datetime) -> None:
    """Store the language a person chose for the private chat."""
    if locale not in ("vi", "en"):
        raise InvalidInput(field="locale", value=locale)
    async with unit_of_work(db, None, now) as conn:
        await _upsert(conn, info, started=True, now=now)
        await people.update_locale(conn, info.user_id, locale)


async def _check_not_attached(conn: aiosqlite.Connection, cluster: Cluster, user_id: int) -> None:
    current = await liaisons.get_liaison(conn, cluster.id, user_id)
    if current is not None:
        unit = await units.get_unit(conn, cluster.id, current.unit_id)
        raise AlreadyLiaison(code=unit.code if unit else "?", unit_name=unit.name if unit else "")


async def request_join(
    db: Database,
    *,
    chat_id: int,
    unit_id: int,
    info: PersonInfo,
    now: datetime,
    update_id: int | None = None,
) -> JoinOutcome:
    """Attach the person to a unit, or file a request for the secretariat to approve."""
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        unit = await units.get_unit(conn, cluster.id, unit_id)
        if unit is None:
            raise UnknownUnit(unit_id=unit_id)
        await _upsert(conn, info, started=False, now=now)
        await _check_not_attached(conn, cluster, info.user_id)
        pending = await liaisons.get_pending_join_request(conn, cluster.id, info.user_id)
        if pending is not None:
            if pending.message_id is None:
                # The buttons never reached the group (send failed, or a crash): post again.
                return JoinOutcome(cluster, unit, joined=False, request=pending)
            raise JoinPending(request_id=pending.id)
        # Liaisons of the lead unit are secretariat: that is never granted without approval.
        if cluster.join_policy == "open" and unit.id != cluster.lead_unit_id:
            await liaisons.insert_liaison(
                conn,
                cluster_id=cluster.id,
                user_id=info.user_id,
                unit_id=unit.id,
                via="open",
                approved_by=None,
                now=now,
            )
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=info.user_id,
                action="join",
                detail=unit.code,
                now=now,
            )
            return JoinOutcome(cluster, unit, joined=True, request=None)
        request_id = await liaisons.insert_join_request(
            conn, cluster_id=cluster.id, user_id=info.user_id, unit_id=unit.id, now=now
        )
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=info.user_id,
            action="join_request",
            detail=unit.code,
            now=now,
        )
        request = await liaisons.get_join_request(conn, request_id)
    return JoinOutcome(cluster, unit, joined=False, request=request)


async def remember_request_message(db: Database, request_id: int, message_id: int) -> None:
    """Store the id of the group message with the approve/reject buttons."""
    async with db.transaction() as conn:
        await liaisons.update_join_request_message(conn, request_id, message_id)


async def decide_join(
    db: Database,
    *,
    chat_id: int,
    request_id: int,
    approve: bool,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> Decision:
    """Approve or reject a waiting join request (secretariat only)."""
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        request = await liaisons.get_join_request(conn, request_id)
        # A payload naming another cluster's request is treated like a stale one.
        if request is None or request.cluster_id != cluster.id or request.status != "pending":
            raise StaleRequest(request_id=request_id)
        unit = await units.get_unit(conn, cluster.id, request.unit_id)
        person = await people.get_person(conn, request.user_id)
        if unit is None or person is None:  # pragma: no cover - foreign keys forbid it
            raise StaleRequest(request_id=request_id)
        status = "approved" if approve else "rejected"
        await liaisons.decide_join_request(conn, request.id, status, user_id, now)
        if approve:
            await _check_not_attached(conn, cluster, request.user_id)
            await liaisons.insert_liaison(
                conn,
                cluster_id=cluster.id,
                user_id=request.user_id,
                unit_id=unit.id,
                via="approved",
                approved_by=user_id,
                now=now,
            )
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action=f"join_{status}",
            detail=f"{request.user_id} {unit.code}",
            now=now,
        )
        decided = await liaisons.get_join_request(conn, request.id)
    assert decided is not None
    return Decision(cluster, unit, person, approve, decided)


async def create_invite(
    db: Database,
    *,
    chat_id: int,
    code: str,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
    update_id: int | None = None,
) -> tuple[Invite, Unit]:
    """Make a new unguessable invite token for a unit (secretariat only)."""
    code = normalise_code(code)
    async with unit_of_work(db, update_id, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        unit = await units.get_unit_by_code(conn, cluster.id, code)
        if unit is None:
            raise UnknownUnit(code=code)
        # 24 random bytes → 32 URL-safe characters; with the prefix it fits the
        # 64-character deep-link payload and can't be guessed.
        token = INVITE_PREFIX + secrets.token_urlsafe(24)
        invite_id = await invites.insert_invite(
            conn,
            token=token,
            cluster_id=cluster.id,
            unit_id=unit.id,
            created_by=user_id,
            now=now,
            expires_at=now + INVITE_LIFETIME,
        )
        await audit.insert_audit(
            conn, cluster_id=cluster.id, user_id=user_id, action="invite", detail=code, now=now
        )
        invite = await invites.get_invite(conn, invite_id)
    assert invite is not None
    return invite, unit


async def revoke_invite(
    db: Database,
    *,
    chat_id: int,
    invite_id: int,
    user_id: int,
    is_group_admin: bool,
    now: datetime,
) -> Unit:
    """Revoke an invite so its link stops working (secretariat only)."""
    async with unit_of_work(db, None, now) as conn:
        cluster = await require_cluster(conn, chat_id)
        await require_secretariat(conn, cluster, user_id, is_group_admin)
        invite = await invites.get_invite(conn, invite_id)
        if invite is None or invite.cluster_id != cluster.id or invite.revoked:
            raise InviteInvalid(invite_id=invite_id)
        await invites.revoke_invite(conn, invite.id, now)
        unit = await units.get_unit(conn, cluster.id, invite.unit_id)
        assert unit is not None
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=user_id,
            action="revoke",
            detail=unit.code,
            now=now,
        )
    return unit


async def invite_cluster(db: Database, invite_id: int) -> Cluster | None:
    """Return the cluster an invite belongs to."""
    async with db.read() as conn:
        invite = await invites.get_invite(conn, invite_id)
        return await clusters.get_cluster(conn, invite.cluster_id) if invite else None


async def redeem_invite(
    db: Database, *, token: str, info: PersonInfo, now: datetime, update_id: int | None = None
) -> Redeemed:
    """Attach the person who opened an invite link to its unit."""
    async with unit_of_work(db, update_id, now) as conn:
        invite = await invites.get_invite_by_token(conn, token)
        if invite is None or invite.revoked:
            raise InviteInvalid()
        cluster = await clusters.get_cluster(conn, invite.cluster_id)
        unit = await units.get_unit(conn, invite.cluster_id, invite.unit_id)
        assert cluster is not None
        assert unit is not None
        await _upsert(conn, info, started=True, now=now)
        current = await liaisons.get_liaison(conn, cluster.id, info.user_id)
        if current is not None and current.unit_id == unit.id:
            return Redeemed(cluster, unit, already=True)
        # Single use and short-lived: a forwarded or leaked link attaches no one else.
        if invite.uses > 0 or (invite.expires_at is not None and now >= invite.expires_at):
            raise InviteInvalid()
        await _check_not_attached(conn, cluster, info.user_id)
        await liaisons.insert_liaison(
            conn,
            cluster_id=cluster.id,
            user_id=info.user_id,
            unit_id=unit.id,
            via="invite",
            approved_by=None,
            now=now,
        )
        await invites.count_use(conn, invite.id)
        # An invite supersedes a join request still waiting for approval.
        pending = await liaisons.get_pending_join_request(conn, cluster.id, info.user_id)
        if pending is not None:
            await liaisons.decide_join_request(conn, pending.id, "cancelled", info.user_id, now)
            pending = await liaisons.get_join_request(conn, pending.id)
        await audit.insert_audit(
            conn,
            cluster_id=cluster.id,
            user_id=info.user_id,
            action="join_invite",
            detail=unit.code,
            now=now,
        )
    return Redeemed(cluster, unit, already=False, superseded=pending)


async def list_join_units(db: Database, chat_id: int) -> tuple[Cluster, list[Unit]]:
    """Return the cluster and the units a person may pick when joining."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        return cluster, await units.list_units(conn, cluster.id)
