"""The consolidated status of a cluster: every open item and each unit's state in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import UnknownUnit
from bot.services.clusters import normalise_code, require_cluster
from bot.services.meetings import MeetingView, load_meeting_view
from bot.services.polls import PollView, load_poll_view, poll_from_row
from bot.services.requests import RequestView, load_view
from db import meetings, polls, requests, units

if TYPE_CHECKING:
    from bot.domain import Cluster, Unit
    from db.connection import Database

View = RequestView | MeetingView | PollView


@dataclass(frozen=True)
class Status:
    """Everything open in a cluster, optionally narrowed to one unit."""

    cluster: Cluster
    items: tuple[View, ...]
    unit: Unit | None = None


async def build_status(db: Database, chat_id: int, code: str | None = None) -> Status:
    """Gather the open requests, confirmations, meetings and polls of the chat's cluster."""
    async with db.read() as conn:
        cluster = await require_cluster(conn, chat_id)
        unit = None
        if code:
            unit = await units.get_unit_by_code(conn, cluster.id, normalise_code(code))
            if unit is None:
                raise UnknownUnit(code=normalise_code(code))
        items: list[View] = []
        for request in await requests.list_requests(conn, cluster.id):
            items.append(await load_view(conn, cluster, request))
        for meeting in await meetings.list_meetings(conn, cluster.id):
            items.append(await load_meeting_view(conn, cluster, meeting))
        for row in await polls.list_open_poll_rows(conn):
            if row["cluster_id"] == cluster.id:
                items.append(await load_poll_view(conn, cluster, poll_from_row(row)))
    return Status(cluster, tuple(items), unit)
