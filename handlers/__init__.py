"""Thin Telegram handlers: parse, authorise, call a service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import (
    admin,
    board,
    confirmations,
    dialogues,
    errors,
    export,
    group,
    meetings,
    membership,
    polls,
    requests,
    start,
    status,
    submissions,
    tracking,
    voters,
)

if TYPE_CHECKING:
    from handlers.common import BotApp


def register_all(app: BotApp) -> None:
    """Register every handler. Note: order matters."""
    # group -1: replay guard and people tracking, before any feature sees the update
    tracking.register(app)
    # group 0: features; within a group the first matching handler wins
    start.register(app)
    admin.register(app)
    membership.register(app)
    voters.register(app)
    requests.register(app)
    submissions.register(app)
    confirmations.register(app)
    meetings.register(app)
    polls.register(app)
    status.register(app)
    export.register(app)
    board.register(app)  # the pinned board follows every change
    group.register(app)
    # group 1: answers to guided dialogues (plain text that no command took)
    dialogues.register(app)
    # last: the error handler
    errors.register(app)
