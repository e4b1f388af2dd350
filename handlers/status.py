"""/status (/tinhhinh): every open item and each unit's state, in the chat's language.

`/status` lists every open item; `/status <CODE>` one unit across items; `/status <part of
a title>` one item in detail (buttons when several match). The pinned board
(`handlers/board.py`) uses `render_board` from here, so both read alike.
"""

from __future__ import annotations

import asyncio
import html
from collections import OrderedDict
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.i18n import format_when, translator
from bot.picture import Cell, Grid, render_grid_png
from bot.services import status as status_service
from bot.services.meetings import MeetingView
from bot.services.polls import PollView
from bot.services.requests import RequestView
from bot.services.status import Choices, ItemDetail, Status
from bot.tally import rules_summary_vi
from handlers import callback_data as cd
from handlers.common import (
    BotApp,
    BotContext,
    command_text,
    guarded,
    press_parts,
    reply,
    require_group,
    require_message,
    split_text,
)

if TYPE_CHECKING:
    from datetime import datetime

    from babel.support import NullTranslations
    from telegram import Update

    from bot.services.status import Mark, View

# Units named per state on the board before "and N more".
BOARD_CODES = 12
# Buttons under /status: one per item, up to this many (Telegram allows 100).
MAX_ITEM_BUTTONS = 30
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH


def _short(view: View, when: datetime) -> str:
    """'10:32 15/11' in the cluster's zone."""
    return format_datetime(when, "HH:mm dd/MM", tzinfo=view.tz, locale="vi_VN")


def mark_line(view: View, mark: Mark, t: NullTranslations) -> str:
    """One unit's line: a mark and a short word (never a ballot's content)."""
    _ = t.gettext
    code = html.escape(mark.unit.code)
    state = mark.state
    if state in ("submitted", "late"):
        assert mark.version is not None
        assert mark.at is not None
        template = (
            _("✅ {code}: submitted (version {version}, {when})")
            if state == "submitted"
            else _("⏰ {code}: submitted late (version {version}, {when})")
        )
        return template.format(code=code, version=mark.version, when=_short(view, mark.at))
    if state == "attending" and mark.detail:
        return _("👥 {code}: attending ({names})").format(
            code=code, names=html.escape(mark.detail)
        )
    # Only the state's own text is translated: this runs for every unit of every item.
    match state:
        case "missing":
            template = _("❌ {code}: not submitted")
        case "returned":
            template = _("↩️ {code}: to be completed")
        case "confirmed":
            template = _("✅ {code}: confirmed")
        case "commented":
            template = _("💬 {code}: commented")
        case "unanswered":
            template = _("❌ {code}: no answer")
        case "attending":
            template = _("👥 {code}: attending")
        case "absent":
            template = _("🚫 {code}: absent")
        case "no_reply":
            template = _("❔ {code}: no answer")
        case "voted":
            template = _("🗳 {code}: voted")
        case "not_voted":
            template = _("▫️ {code}: not yet")
        case _:
            raise ValueError(state)
    return template.format(code=code)


def summary_line(view: View, t: NullTranslations, locale: str) -> str:
    """The item's heading: kind, title, its time and how many units did their part."""
    _ = t.gettext
    done, total = status_service.done_count(view)
    if isinstance(view, MeetingView):
        return _("📅 <b>{title}</b> – {when} – {done}/{total} units answered").format(
            title=html.escape(view.meeting.title),
            when=format_when(view.meeting.starts_at, view.tz, locale),
            done=done,
            total=total,
        )
    if isinstance(view, PollView):
        return _("🗳 <b>{title}</b> – closes {when} – {done}/{total} units voted").format(
            title=html.escape(view.poll.title),
            when=format_when(view.poll.closes_at, view.tz, locale),
            done=done,
            total=total,
        )
    summary = (
        _("{done}/{total} units submitted")
        if view.request.kind == "report"
        else _("{done}/{total} units answered")
    ).format(done=done, total=total)
    icon = "📋" if view.request.kind == "report" else "✍️"
    return (
        f"{icon} <b>{html.escape(view.request.title)}</b> – "
        + _("due {when}").format(when=format_when(view.request.deadline_at, view.tz, locale))
        + f" – {summary}"
    )


def render_status(status: Status, t: NullTranslations) -> str:
    """Every open item with a one-line summary, then one line per unit (never a choice)."""
    _ = t.gettext
    locale = status.cluster.locale
    title = _("📊 <b>Status of “{name}”</b>").format(name=html.escape(status.cluster.name))
    if status.unit is not None:
        title += " – " + html.escape(f"{status.unit.code} {status.unit.name}")
    lines = [title]
    if not status.items:
        lines.append(_("Nothing is open at the moment."))
        return "\n".join(lines)
    for view in status.items:
        item_marks = status_service.marks(view)
        if status.unit is not None:
            item_marks = tuple(m for m in item_marks if m.unit.id == status.unit.id)
            if not item_marks:
                continue  # the unit is not concerned by this item
        lines.append("")
        lines.append(summary_line(view, t, locale))
        lines += [mark_line(view, mark, t) for mark in item_marks]
    if len(lines) == 1:
        lines.append(_("Nothing open concerns this unit."))
    return "\n".join(lines)


# /status asked again while nothing changed renders the same message: the last one of each
# (cluster, unit) is kept with the Status it came from and reused while the snapshot of open
# items is the very same object (bot/services/status: kept until any transaction ends).
_RENDERED_KEPT = 256
_rendered: OrderedDict[tuple[int, int | None], tuple[Status, str, InlineKeyboardMarkup | None]] = (
    OrderedDict()
)


def _status_message(status: Status) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of `render_status`, rendered once per snapshot."""
    key = (status.cluster.id, status.unit.id if status.unit is not None else None)
    kept = _rendered.get(key)
    if (
        kept is not None
        and kept[0].items is status.items
        and kept[0].cluster is status.cluster
        and kept[0].unit == status.unit
    ):
        _rendered.move_to_end(key)
        return kept[1], kept[2]
    text = render_status(status, translator(status.cluster.locale))
    markup = item_keyboard(status.items)
    _rendered[key] = (status, text, markup)
    _rendered.move_to_end(key)
    if len(_rendered) > _RENDERED_KEPT:
        _rendered.popitem(last=False)
    return text, markup


def _state_word(view: View, t: NullTranslations) -> str:
    _ = t.gettext
    if status_service.is_open(view):
        return _("open")
    if isinstance(view, RequestView) and view.request.status == "cancelled":
        return _("cancelled")
    return _("closed")


def render_detail(detail: ItemDetail, t: NullTranslations) -> str:
    """One item in detail: status, rules or place, every unit with who and what."""
    _ = t.gettext
    view = detail.view
    locale = detail.cluster.locale
    lines = [summary_line(view, t, locale), _("State: {state}").format(state=_state_word(view, t))]
    if isinstance(view, MeetingView):
        if view.meeting.place:
            lines.append(_("Place: {place}").format(place=html.escape(view.meeting.place)))
        if view.meeting.agenda:
            lines.append(_("Agenda: {agenda}").format(agenda=html.escape(view.meeting.agenda)))
    if isinstance(view, PollView):
        lines.append(html.escape(rules_summary_vi(view.poll.rules)))
    lines.append("")
    versions: dict[int, list[str]] = {}
    for sub in detail.versions:
        word = {
            "accepted": _("accepted"),
            "returned": _("returned"),
        }.get(sub.review, "")
        entry = _("version {version}, {when}").format(
            version=sub.version, when=_short(view, sub.submitted_at)
        )
        versions.setdefault(sub.unit_id, []).append(f"{entry} ({word})" if word else entry)
    liaisons = view.liaisons if isinstance(view, RequestView | MeetingView) else {}
    for mark in status_service.marks(view):
        lines.append(mark_line(view, mark, t))
        if mark.state in ("returned", "commented") and mark.detail:
            lines.append("   " + _("Comment: {text}").format(text=html.escape(mark.detail)))
        if len(versions.get(mark.unit.id, ())) > 1:
            lines.append("   " + "; ".join(versions[mark.unit.id]))
        people = liaisons.get(mark.unit.id, ())
        if not mark.done and people:
            names = ", ".join(html.escape(p.full_name) for p in people)
            lines.append("   " + _("Liaison: {names}").format(names=names))
    return "\n".join(lines)


def _item_button(view: View) -> InlineKeyboardButton:
    kind, item_id = status_service.item_key(view)
    title = status_service.item_title(view)
    label = title if len(title) <= 40 else title[:39].rstrip() + "…"
    data = cd.encode(cd.STATUS_ITEM, kind, item_id)
    return InlineKeyboardButton("🔎 " + label, callback_data=data)


def item_keyboard(items: tuple[View, ...]) -> InlineKeyboardMarkup | None:
    """One button per item, to see it in detail."""
    if not items:
        return None
    return InlineKeyboardMarkup([[_item_button(v)] for v in items[:MAX_ITEM_BUTTONS]])


_BOARD_GROUPS = (
    ("missing", "❌"),
    ("returned", "↩️"),
    ("late", "⏰"),
    ("unanswered", "❌"),
    ("commented", "💬"),
    ("no_reply", "❔"),
    ("absent", "🚫"),
    ("not_voted", "▫️"),
)


def _group_label(state: str, t: NullTranslations) -> str:
    _ = t.gettext
    return {
        "missing": _("Not submitted"),
        "returned": _("To be completed"),
        "late": _("Late"),
        "unanswered": _("No answer"),
        "commented": _("Commented"),
        "no_reply": _("No answer"),
        "absent": _("Absent"),
        "not_voted": _("Not voted yet"),
    }[state]


def render_board(status: Status, t: NullTranslations) -> str:
    """The pinned board: each open item's summary and who still owes, grouped by state.

    Compact so that a 40-unit cluster fits one message; items that do not fit are counted.
    """
    _ = t.gettext
    header = _("📌 <b>Status board – {name}</b>").format(name=html.escape(status.cluster.name))
    if not status.items:
        return header + "\n\n" + _("Nothing is open at the moment.")
    blocks: list[str] = []
    for view in status.items:
        lines = [summary_line(view, t, status.cluster.locale)]
        item_marks = status_service.marks(view)
        for state, icon in _BOARD_GROUPS:
            codes = [html.escape(m.unit.code) for m in item_marks if m.state == state]
            if len(codes) > BOARD_CODES:
                # A long list would crowd out the other items: the rest is in /status.
                rest = len(codes) - BOARD_CODES + 1
                codes = [*codes[: BOARD_CODES - 1], _("and {count} more").format(count=rest)]
            if codes:
                lines.append(f"{icon} {_group_label(state, t)}: {', '.join(codes)}")
        if all(m.done for m in item_marks):
            lines.append(_("✅ Every unit has done its part."))
        blocks.append("\n".join(lines))
    # Leave room for the footer the board adds (time and the /status hint).
    budget = MessageLimit.MAX_TEXT_LENGTH - 200 - len(header)
    shown: list[str] = []
    for index, block in enumerate(blocks):
        more = _("… and {count} more items: type /status to see them all.").format(
            count=len(blocks) - index
        )
        if sum(len(b) + 2 for b in shown) + len(block) + 2 + len(more) > budget:
            shown.append(more)
            break
        shown.append(block)
    return header + "\n\n" + "\n\n".join(shown)


def board_footer(when: datetime, status: Status, t: NullTranslations) -> str:
    """The board's last line: when it was updated and where the detail is."""
    _ = t.gettext
    return _("<i>Updated at {when}. Type /status for the detail.</i>").format(
        when=_moment(when, status)
    )


def _moment(when: datetime, status: Status) -> str:
    """'14:05 25/11/2026' in the cluster's zone."""
    tz = ZoneInfo(status.cluster.tz)
    return format_datetime(when, "HH:mm dd/MM/yyyy", tzinfo=tz, locale="vi_VN")


_CELL_WORDS = {
    "submitted": "✓",
    "confirmed": "✓",
    "attending": "✓",
    "voted": "✓",
}


def grid_of(status: Status, t: NullTranslations, now: datetime) -> Grid:
    """The board as a units × items grid for the picture (a cell per concerned unit)."""
    _ = t.gettext
    words = {
        "late": _("late"),
        "returned": _("to complete"),
        "missing": _("missing"),
        "commented": _("comment"),
        "unanswered": _("no answer"),
        "absent": _("absent"),
        "no_reply": _("no answer"),
        "not_voted": _("not yet"),
    }
    units: dict[int, str] = {}
    per_item: list[dict[int, Cell]] = []
    for view in status.items:
        cells: dict[int, Cell] = {}
        for mark in status_service.marks(view):
            units.setdefault(mark.unit.id, mark.unit.code)
            word = _CELL_WORDS.get(mark.state) or words[mark.state]
            if mark.version is not None:
                word += f" v{mark.version}"
            cells[mark.unit.id] = Cell(mark.tone, word)
        per_item.append(cells)
    order = sorted(units, key=lambda unit_id: units[unit_id])
    moment = _moment(now, status)
    return Grid(
        title=_("Status of “{name}” – {when}").format(name=status.cluster.name, when=moment),
        columns=tuple(status_service.item_title(v) for v in status.items),
        rows=tuple(units[u] for u in order),
        cells=tuple(tuple(cells.get(u, Cell("none", "")) for cells in per_item) for u in order),
        legend=(
            ("good", _("Done")),
            ("warn", _("Late, commented or absent")),
            ("bad", _("Not yet")),
            ("none", _("Not concerned")),
        ),
        empty_text=_("Nothing is open at the moment."),
    )


async def _send_picture(update: Update, context: BotContext, status: Status) -> None:
    """Answer with a picture of the board; the item summaries are its caption."""
    t = translator(status.cluster.locale)
    png = await asyncio.to_thread(render_grid_png, grid_of(status, t, context.deps.clock.now()))
    caption = ""
    for view in status.items:
        line = summary_line(view, t, status.cluster.locale)
        if len(caption) + len(line) + 1 > CAPTION_LIMIT:
            break
        caption += line + "\n"
    await require_message(update).reply_photo(
        png, caption=caption.strip() or None, reply_markup=item_keyboard(status.items)
    )


@guarded(changes=False)
async def cmd_status(update: Update, context: BotContext) -> None:
    """Show the consolidated status, one unit's, or one item's."""
    chat = require_group(update)
    query = command_text(require_message(update))
    result: Status | ItemDetail | Choices
    if query:
        result = await status_service.query_status(context.deps.db, chat.id, query)
    else:
        result = await status_service.build_status(context.deps.db, chat.id)
    t = translator(result.cluster.locale)
    _ = t.gettext
    if isinstance(result, ItemDetail):
        await reply(update, render_detail(result, t))
        return
    if isinstance(result, Choices):
        text = _("Several items match “{text}”. Which one?").format(text=html.escape(query))
        await reply(update, text, item_keyboard(result.items))
        return
    if result.cluster.status_picture and result.unit is None and result.items:
        await _send_picture(update, context, result)
        return
    await reply(update, *_status_message(result))


@guarded(changes=False)
async def cb_status_item(update: Update, context: BotContext) -> None:
    """A button under /status: that item in detail, as a new message in the chat."""
    query, parts = press_parts(update, cd.STATUS_ITEM)
    chat = require_group(update)
    detail = await status_service.item_detail(context.deps.db, chat.id, parts[0], int(parts[1]))
    t = translator(detail.cluster.locale)
    await query.answer()
    for part in split_text(render_detail(detail, t)):
        await context.bot.send_message(chat.id, part)


def register(app: BotApp) -> None:
    """Add this module's handlers."""
    app.add_handler(
        CommandHandler(["status", "tinhhinh"], cmd_status, filters=filters.UpdateType.MESSAGE)
    )
    app.add_handler(
        CallbackQueryHandler(cb_status_item, pattern=cd.PATTERNS[cd.STATUS_ITEM].pattern)
    )
