"""Texts for refusals and bad input: every domain error gets a clear answer with an example."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from bot import domain
from bot.dates import DateParseError

if TYPE_CHECKING:
    from babel.support import NullTranslations


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
    if field == "report_args":
        return _(
            "Please write the title and the deadline, separated by “|”, for example:\n"
            "<code>/request Báo cáo tổng kết công tác thi đua khen thưởng năm 2022 | "
            "17:00 15/11/2022</code>\nOptionally add <code>| don_vi=VSP;PVEP</code> and "
            "<code>| dinh_dang=pdf;docx</code>."
        )
    if field == "confirmation_args":
        return _(
            "Please write what to confirm and the deadline, separated by “|”, for example:\n"
            "<code>/confirm Dự thảo báo cáo tổng hợp của Cụm | 17:00 20/11/2022</code>\n"
            "Reply to a document with this command to attach it."
        )
    if field == "title":
        return _("The title is missing. Please write a short title.")
    if field == "title_long":
        return _("The title is too long (at most {limit} characters).").format(
            limit=d.get("limit")
        )
    if field == "option":
        return _(
            "The option “{text}” could not be read. Write options as key=value, for example "
            "<code>don_vi=VSP;PVEP</code> or <code>dinh_dang=pdf;docx</code>."
        ).format(text=text)
    if field == "file_type":
        return _(
            "“{value}” is not a file format the bot knows. Use extensions such as pdf, docx, "
            "xlsx, zip."
        ).format(value=html.escape(str(d.get("value", ""))))
    if field == "units_option":
        return _("Please list unit codes after don_vi=, for example <code>don_vi=VSP;PVEP</code>.")
    if field == "comment":
        return _("The comment is empty. Please write what should be completed or corrected.")
    if field == "meeting_args":
        return _(
            "Please write the title, the start and the place, separated by “|”, for example:\n"
            "<code>/meeting Họp Cụm thi đua số 1 | 9:00 01/11/2022 | Phòng họp Vietsovpetro, "
            "Vũng Tàu</code>\nAn agenda may follow after another “|”."
        )
    if field == "place":
        return _("The place (or the link of an online meeting) is missing.")
    if field in ("place_long", "agenda_long", "attendees_long"):
        return _("The text is too long (at most {limit} characters).").format(limit=d.get("limit"))
    if field == "attendees":
        return _("Please write the names of who will attend.")
    if field == "digest_time":
        return _("The time “{value}” could not be read. Write it like <code>8:00</code>.").format(
            value=html.escape(str(d.get("value", "")))
        )
    if field == "quiet":
        return _(
            "The quiet hours “{value}” could not be read. Write them like "
            "<code>21:00-07:00</code>."
        ).format(value=html.escape(str(d.get("value", ""))))
    if field == "poll_args":
        return _(
            "Please write the title and the closing time, separated by “|”, then any options, "
            "for example:\n<code>/poll Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022 | "
            "17:00 25/11/2022 | nguong=50</code>\nOptions: chon=N, xep_hang=co, nguong=%, "
            "tu_bau=co|khong, bi_mat=co|khong, du_tat_ca=co, ung_vien=A;B;C, dai_bieu=%."
        )
    if field in ("threshold", "quorum"):
        return _("“{value}” is not a percentage between 0 and 100.").format(
            value=html.escape(str(d.get("value", "")))
        )
    if field == "choices":
        return _("chon= must be a number of marks between 1 and the number of candidates.")
    if field in ("candidates", "candidates_many"):
        return _("Please list between 1 and 30 candidates after ung_vien=, separated by “;”.")
    if field == "offsets":
        return _(
            "The reminder times “{value}” could not be read. Write them like "
            "<code>nhac=3d;1d;2h</code> (d/ngày, h/giờ, m/phút, s/giây), at most 60 days."
        ).format(value=html.escape(str(d.get("value", ""))))
    if field == "voter":
        return _("The voter of {code} must be one of its liaisons.").format(code=code)
    return _("The command could not be read. Type /help to see how to write it.")


def _file_refused(exc: domain.DomainError, t: NullTranslations) -> str:
    _ = t.gettext
    d = exc.details
    allowed = ", ".join(str(a) for a in d.get("allowed", ()))  # type: ignore[attr-defined]
    reason = d.get("reason")
    if reason == "no_name":
        text = _("The file has no name, so its format cannot be checked.")
    elif reason == "empty":
        text = _("The file is empty (0 bytes).")
    else:
        text = _("This file format is not accepted for this request.")
    return (
        text
        + " "
        + _("Please send the report again as one of: {allowed}.").format(allowed=allowed)
    )


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
    if isinstance(exc, domain.NoSuchItem):
        return _(
            "No unit code and no item title matches “{text}”. Type /status to see every open "
            "item, /status VSP for one unit, or part of a title for one item."
        ).format(text=html.escape(str(d.get("text", ""))))
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
    if isinstance(exc, domain.PrivateChatNeeded) and d.get("purpose") == "files":
        return _(
            "Files are sent only in the private chat. Please open https://t.me/{bot}, "
            "press Start, then ask again in the group."
        ).format(bot=html.escape(str(d.get("bot_username", ""))))
    if isinstance(exc, domain.PrivateChatNeeded):
        return _(
            "Invitation links are sent only in the private chat. Please open "
            "https://t.me/{bot}, press Start, then send the command again in the group."
        ).format(bot=html.escape(str(d.get("bot_username", ""))))
    if isinstance(exc, domain.BadDate):
        error = d.get("error")
        if isinstance(error, DateParseError):
            return render_date_error(error, t)
    if isinstance(exc, domain.NotALiaison):
        if d.get("action") == "answer":
            return _(
                "You are not the liaison of any unit in this cluster, so you cannot answer. "
                "Type /join to register as the liaison of your unit."
            )
        if d.get("private"):
            return _(
                "You do not represent any unit yet, so the file was not recorded. Please open "
                "the invitation link from the cluster secretariat, or type /join in the "
                "cluster's group."
            )
        return _(
            "You are not the liaison of any unit in this cluster, so the file was not recorded. "
            "Type /join to become one."
        )
    if isinstance(exc, domain.NotConcerned):
        return _("The request “{title}” is not addressed to {code}; nothing was recorded.").format(
            title=html.escape(str(d.get("title", ""))), code=html.escape(str(d.get("code", "")))
        )
    if isinstance(exc, domain.RequestNotOpen):
        title = html.escape(str(d.get("title", "")))
        if d.get("status") == "cancelled":
            return _("The request “{title}” was cancelled; nothing was recorded.").format(
                title=title
            )
        return _(
            "The request “{title}” is closed and takes no more files or answers. Please contact "
            "the cluster secretariat."
        ).format(title=title)
    if isinstance(exc, domain.NoOpenRequest):
        return _("There is no open report request for your unit; the file was not recorded.")
    if isinstance(exc, domain.UnknownRequest):
        return _("This request no longer exists or belongs to another cluster.")
    if isinstance(exc, domain.NotLatestVersion):
        return _(
            "This is version {version}, but the unit has sent a newer one; review the latest."
        ).format(version=d.get("version"))
    if isinstance(exc, domain.AlreadyReviewed):
        if d.get("review") == "accepted":
            return _("This version was already accepted.")
        return _("This version was already returned with the same comment.")
    if isinstance(exc, domain.FileRefused):
        return _file_refused(exc, t)
    if isinstance(exc, domain.UnknownMeeting):
        return _("This meeting no longer exists or belongs to another cluster.")
    if isinstance(exc, domain.MeetingNotOpen):
        title = html.escape(str(d.get("title", "")))
        if d.get("status") == "cancelled":
            return _("The meeting “{title}” was cancelled.").format(title=title)
        return _("The meeting “{title}” has started or is over; answers are closed.").format(
            title=title
        )
    if isinstance(exc, domain.PrivateOnly) and d.get("purpose") == "language":
        return _(
            "This button works only in the private chat with the bot. To choose the language "
            "I write to you in, type /settings in the private chat."
        )
    if isinstance(exc, domain.PrivateOnly):
        return _("Ballots are filled in the private chat with the bot.")
    if isinstance(exc, domain.NotYourDialogue):
        return _(
            "These buttons are for the person who is opening the request. To open a new "
            "request, type /request or /confirm."
        )
    if isinstance(exc, domain.UnknownPoll):
        return _("This vote no longer exists.")
    if isinstance(exc, domain.PollClosed):
        return _("Voting on “{title}” is closed.").format(
            title=html.escape(str(d.get("title", "")))
        )
    if isinstance(exc, domain.NotOnRoll):
        return _("You are not the voter of any unit for this vote.")
    if isinstance(exc, domain.AlreadyVoted):
        return _("Your unit has already cast its secret ballot; it cannot be changed.")
    if isinstance(exc, domain.BallotRefused):
        reasons = {
            "too_many": _("Too many candidates marked for the rules of this vote."),
            "self_vote": _("A unit may not vote for itself in this vote."),
            "incomplete_ranking": _("Please rank every candidate before casting."),
        }
        return reasons.get(str(d.get("reason")), _("This ballot does not follow the rules."))
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
