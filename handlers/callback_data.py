"""Button payloads: a versioned prefix and integer ids, never names (64-byte limit)."""

from __future__ import annotations

import re

# prefix -> anchored pattern of the whole payload
JOIN = "join1"  # join1:<unit_id>
DECIDE = "jr1"  # jr1:<a|r>:<request_id>
LEAD = "lead1"  # lead1:<unit_id>
INVITE = "inv1"  # inv1:<unit_id>
REVOKE = "invrv1"  # invrv1:<invite_id>
SETTING = "set1"  # set1:<key>:<value>
ASK_SETTING = "set2"  # set2:<offsets|digest|quiet>  (asks for the value)
MANAGE = "rq1"  # rq1:<deadline|close|reopen|cancel|files>:<request_id>
QUICK = "rqq1"  # rqq1:<tomorrow|3d|1w|ok|no>  (guided /request dialogue)
SUBMIT = "sub1"  # sub1:<pending_document_id>:<request_id>
REVIEW = "rv1"  # rv1:<a|r>:<submission_id>
CONFIRM = "cf1"  # cf1:<c|g>:<request_id>
RSVP = "mt1"  # mt1:<a|x>:<meeting_id>  (attend / absent)
MEETING = "mtm1"  # mtm1:<move|cancel|close>:<meeting_id>
POLL_VOTE = "po1"  # po1:<poll_id>:<candidate index, base 36 | - = blank>  (open, in group)
BALLOT = "pb1"  # pb1:<poll_id>:<draft>:<index | x>  (toggle a mark on a private ballot)
BALLOT_REVIEW = "pc1"  # pc1:<poll_id>:<draft>
BALLOT_CAST = "ps1"  # ps1:<poll_id>:<draft>
POLL_MANAGE = "pm1"  # pm1:<close|minutes|result>:<poll_id>
VOTER_UNIT = "vot1"  # vot1:<unit_id>
VOTER = "votp1"  # votp1:<unit_id>:<user_id, 0 = the liaison by default>
STATUS_ITEM = "st1"  # st1:<r|m|p>:<item_id>  (one item of /status in detail)

_INT = r"([0-9]{1,18})"  # ASCII digits only: `\d` also takes "٣" and "²"
PATTERNS = {
    JOIN: re.compile(rf"^{JOIN}:{_INT}$"),
    DECIDE: re.compile(rf"^{DECIDE}:([ar]):{_INT}$"),
    LEAD: re.compile(rf"^{LEAD}:{_INT}$"),
    INVITE: re.compile(rf"^{INVITE}:{_INT}$"),
    REVOKE: re.compile(rf"^{REVOKE}:{_INT}$"),
    MANAGE: re.compile(rf"^{MANAGE}:(deadline|close|reopen|cancel|files):{_INT}$"),
    QUICK: re.compile(rf"^{QUICK}:(tomorrow|3d|1w|ok|no)$"),
    SUBMIT: re.compile(rf"^{SUBMIT}:{_INT}:{_INT}$"),
    REVIEW: re.compile(rf"^{REVIEW}:([ar]):{_INT}$"),
    CONFIRM: re.compile(rf"^{CONFIRM}:([cg]):{_INT}$"),
    RSVP: re.compile(rf"^{RSVP}:([ax]):{_INT}$"),
    MEETING: re.compile(rf"^{MEETING}:(move|cancel|close):{_INT}$"),
    POLL_VOTE: re.compile(rf"^{POLL_VOTE}:{_INT}:([0-9a-z]|-)$"),
    BALLOT: re.compile(rf"^{BALLOT}:{_INT}:([0-9a-z]{{0,30}}|-):([0-9a-z]|x)$"),
    BALLOT_REVIEW: re.compile(rf"^{BALLOT_REVIEW}:{_INT}:([0-9a-z]{{0,30}}|-)$"),
    BALLOT_CAST: re.compile(rf"^{BALLOT_CAST}:{_INT}:([0-9a-z]{{0,30}}|-)$"),
    POLL_MANAGE: re.compile(rf"^{POLL_MANAGE}:(close|minutes|result):{_INT}$"),
    VOTER_UNIT: re.compile(rf"^{VOTER_UNIT}:{_INT}$"),
    VOTER: re.compile(rf"^{VOTER}:{_INT}:{_INT}$"),
    STATUS_ITEM: re.compile(rf"^{STATUS_ITEM}:([rmp]):{_INT}$"),
    SETTING: re.compile(
        rf"^{SETTING}:(lang|plang|join|daily|board|picture):(vi|en|approve|open|on|off)$"
    ),
    ASK_SETTING: re.compile(rf"^{ASK_SETTING}:(offsets|digest|quiet)$"),
}


def encode(prefix: str, *parts: object) -> str:
    """Build a payload; refuses anything over Telegram's 64 bytes."""
    data = ":".join([prefix, *(str(p) for p in parts)])
    if len(data.encode()) > 64 or not PATTERNS[prefix].fullmatch(data):
        raise ValueError(f"bad callback payload {data!r}")
    return data


def decode(prefix: str, data: str | None) -> tuple[str, ...] | None:
    """Split a payload of this prefix into its parts; None when it is malformed."""
    if data is None:
        return None
    # fullmatch: a pattern's `$` would also accept a payload ending in a newline.
    match = PATTERNS[prefix].fullmatch(data)
    return match.groups() if match else None
