"""Inline keyboards built from domain records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callback_data as cb

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.domain import Unit


def unit_buttons(units: Sequence[Unit], prefix: str, per_row: int = 2) -> InlineKeyboardMarkup:
    """One button per unit, labelled with its code; the payload carries the unit id."""
    buttons = [
        InlineKeyboardButton(unit.code, callback_data=cb.encode(prefix, unit.id)) for unit in units
    ]
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)
