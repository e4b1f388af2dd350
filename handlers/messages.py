"""Texts for refusals and bad input: every domain error gets a clear answer with an example."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from bot import domain

if TYPE_CHECKING:
    from babel.support import NullTranslations

    from bot.dates import DateParseError


def _invalid_input(exc: domain.DomainError, t: NullTranslations) -> str:
    _ = t.gettext
    d = exc.details
    field = d.get("field")
    line = d.get("line", "")
    text = html.escape(str(d.get("text", "")))
    code = html.escape(str(d.get("code", "")))
    if field == "cluster_name":
        return _(
            "Please write the cluster name after the command, for example:\n"
            "<code>/setup Cụm thi đua số 1 | 2022</code>"
        )
    if field == "cluster_name_long":
        return _("The cluster name is too long (at most {limit} characters).").format(
            limit=d.get("limit")
        )
    if field == "year":
        return _(
            "The year “{value}” is not valid. Write a year such as 2022, for example:\n"
            "<code>/setup Cụm thi đua số 1 | 2022</code>"
        ).format(value=html.escape(str(d.get("value", ""))))
    if field == "unit_lines":
        return _(
            "Please write one unit per line: its code, then its full name, for example:\n"
            "<code>/addunit VSP Liên doanh Việt – Nga Vietsovpetro\n"
            "PVEP Tổng công ty Thăm dò khai thác Dầu khí</code>"
        )
    if field == "unit_code":
        return _(
            "Line {line} (“{text}”): the unit code may only contain Latin letters, digits, "
            "“.”, “_” and “-”, at most 20 characters, for example VSP or PVEP. "
            "No unit was added."
        ).format(line=line, text=text)
    if field == "unit_name":
        return _(
            "Line {line} (“{text}”): the full name of the unit is missing, for example:\n"
            "<code>VSP Liên doanh Việt – Nga Vietsovpetro</code>\nNo unit was added."
        ).format(line=line, text=text)
    if field == "unit_name_long":
        return _(
            "Line {line}: the unit name is too long (at most {limit} characters). "
            "No unit was added."
        ).format(line=line, limit=d.get("limit"))
    if field == "unit_code_repeated":
        return _("Line {line}: the code {code} appears more than once. No unit was added.").format(
            line=line, code=code
        )
    if field == "unit_code_taken":
        return _(
            "The code {code} is already used by the unit “{name}”. Please choose another "
            "code. No unit was added."
        ).format(code=code, name=html.escape(str(d.get("name", ""))))
    if field == "voter":
        return _("The voter of {code} must be one of its liaisons.").format(code=code)
    return _("The command could not be read. Type /help to see how to write it.")


def render_error(exc: domain.DomainError, t: NullTranslations) -> str:
    """Return the message that explains a refusal, in the chat's language."""
    _ = t.gettext
    d = exc.details
    if isinstance(exc, domain.InvalidInput):
        return _invalid_input(exc, t)
    if isinstance(exc, domain.NotACluster):
        return _(
            "This group is not registered as an emulation cluster yet. A group administrator "
            "can register it with:\n<code>/setup Cụm thi đua số 1 | 2022</code>"
        )
    if isinstance(exc, domain.NotGroupAdmin):
        return _("Sorry, only an administrator of this group can register the cluster.")
    if isinstance(exc, domain.NotSecretariat):
        return _(
            "Sorry, only the cluster secretariat (the group administrators and the liaisons "
            "of the lead unit) can do this."
        )
    if isinstance(exc, domain.GroupOnly):
        return _("This command is used in the cluster's group.")
    if isinstance(exc, domain.UnknownUnit):
        if "code" in d:
            return _(
                "There is no unit with the code {code} in this cluster. Type /units to see "
                "the list."
            ).format(code=html.escape(str(d["code"])))
        return _("That unit no longer exists in this cluster. Type /units to see the list.")
    if isinstance(exc, domain.AlreadyLiaison):
        return _(
            "You are already the liaison of {code} – {name} in this cluster; a person "
            "represents only one unit of a cluster."
        ).format(
            code=html.escape(str(d.get("code", ""))),
            name=html.escape(str(d.get("unit_name", ""))),
        )
    if isinstance(exc, domain.JoinPending):
        return _("Your request to join is waiting for the cluster secretariat's approval.")
    if isinstance(exc, domain.StaleRequest):
        return _("This request has already been handled.")
    if isinstance(exc, domain.PrivateChatNeeded):
        return _(
            "Invitation links are sent only in the private chat. Please open "
            "https://t.me/{bot}, press Start, then send the command again in the group."
        ).format(bot=html.escape(str(d.get("bot_username", ""))))
    if isinstance(exc, domain.InviteInvalid):
        return _(
            "This invitation link is no longer valid (it works once and expires after 7 days). "
            "Please ask the cluster secretariat for a new one."
        )
    return _("Sorry, this action could not be done. Please try again.")


def render_date_error(exc: DateParseError, t: NullTranslations) -> str:
    """Explain why a date or time was refused, with an example of the right form."""
    _ = t.gettext
    reasons = {
        "empty": _("Please write a date and time."),
        "invalid": _("That date or time does not exist."),
        "past": _("That time has already passed."),
        "ambiguous": _("That time can be read in more than one way (morning or afternoon?)."),
    }
    reason = reasons.get(exc.code, _("The date and time could not be read."))
    return _(
        "{reason} Please write it like this: <code>{example}</code> (also accepted: "
        "<code>15/11 17h</code>, <code>17 giờ 00 ngày 15 tháng 11 năm 2022</code>, "
        "<code>ngày mai 9h</code>, <code>thứ Sáu 14h</code>)."
    ).format(reason=reason, example=html.escape(exc.example))
