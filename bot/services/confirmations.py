"""Confirmation requests: each unit confirms, or comments, once per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import (
    InvalidInput,
    NotALiaison,
    NotConcerned,
    RequestNotOpen,
    Unit,
    UnknownRequest,
)
from bot.services.clusters import require_cluster
from bot.services.common import clean_text, unit_of_work
from bot.services.requests import RequestView, load_view
from db import audit, confirmations, liaisons, requests, units

if TYPE_CHECKING:
    from datetime import datetime

    import aiosqlite

    from bot.domain import Cluster, Request
    from db.connection import Database

MAX_COMMENT = 1000


@dataclass(frozen=True)
class Answered:
    """A unit's answer as recorded; `changed` is False for a repeated press."""

    view: RequestView
    unit: Unit
    changed: bool


async def check_can_answer(
    db: Database, *, chat_id: int, request_id: int, user_id: int
) -> tuple[RequestView, Unit]:
    """Refuse before asking for a comment: only a concerned unit's liaison, while open."""
    async with db.read() as conn:
        cluster, request, unit = await _answerable(conn, chat_id, request_id, user_id)
        return await load_view(conn, cluster, request), unit


async def _answerable(
    conn: aiosqlite.Connection, chat_id: int, request_id: int, user_id: int
) -> tuple[Cluster, Request, Unit]:
    cluster = await require_cluster(conn, chat_id)
    request = await requests.get_request(conn, cluster.id, request_id)
    if request is None or request.kind != "confirmation":
        raise UnknownRequest(request_id=request_id)
    liaison = await liaisons.get_liaison(conn, cluster.id, user_id)
    if liaison is None:
        raise NotALiaison(private=False, action="answer")
    unit = await units.get_unit(conn, cluster.id, liaison.unit_id)
    assert unit is not None
    if unit.id not in request.unit_ids:
        raise NotConcerned(title=request.title, code=unit.code)
    if not request.is_open:
        raise RequestNotOpen(status=request.status, title=request.title)
    return cluster, request, unit


async def answer(
    db: Database,
    *,
    chat_id: int,
    request_id: int,
    user_id: int,
    confirm: bool,
    comment: str | None,
    now: datetime,
    update_id: int | None = None,
) -> Answered:
    """Record a unit's confirmation or comment; a repeated identical answer changes nothing."""
    note = clean_text(comment or "")[:MAX_COMMENT] or None
    if not confirm and note is None:
        raise InvalidInput(field="comment")
    status = "confirmed" if confirm else "commented"
    async with unit_of_work(db, update_id, now) as conn:
        # Checked inside the transaction: nothing can close the request in between.
        cluster, request, unit = await _answerable(conn, chat_id, request_id, user_id)
        answers = await confirmations.list_answers(conn, request.id)
        current = answers.get(unit.id)
        changed = (
            current is None
            or current.status != status
            or (note is not None and current.comment != note)
        )
        if changed:
            answers[unit.id] = await confirmations.upsert_answer(
                conn,
                request_id=request.id,
                unit_id=unit.id,
                status=status,
                comment=note,
                user_id=user_id,
                now=now,
                previous=current,
            )
            await audit.insert_audit(
                conn,
                cluster_id=cluster.id,
                user_id=user_id,
                action=f"confirmation_{status}",
                detail=f"#{request.id} {unit.code} {note or ''}".strip(),
                now=now,
            )
        # The answers as read, with this one: the view needs no second read.
        view = await load_view(conn, cluster, request, answers=answers)
    return Answered(view, unit, changed)
