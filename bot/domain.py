"""Domain records and errors shared by services, repositories and handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class Cluster:
    """An emulation cluster, living in one Telegram group."""

    id: int
    chat_id: int
    name: str
    year: int | None
    locale: str
    tz: str
    join_policy: str
    lead_unit_id: int | None
    created_by: int
    created_at: datetime
    reminder_offsets: tuple[int, ...] = (259200, 86400, 7200)
    digest_time: str = "08:00"
    quiet_start: str = "21:00"
    quiet_end: str = "07:00"
    overdue_daily: bool = True
    offsets_changed_at: datetime | None = None
    board_enabled: bool = True
    status_picture: bool = False


@dataclass(frozen=True)
class Unit:
    """A member unit of a cluster."""

    id: int
    cluster_id: int
    code: str
    name: str
    voter_user_id: int | None


@dataclass(frozen=True)
class Person:
    """Someone the bot has met in a chat."""

    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    locale: str | None
    started: bool
    blocked: bool = False

    @property
    def reachable(self) -> bool:
        """Whether a private message can reach the person (opened the chat, not blocked)."""
        return self.started and not self.blocked

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True)
class Liaison:
    """A person attached to a unit of a cluster."""

    cluster_id: int
    unit_id: int
    person: Person
    via: str
    joined_at: datetime


@dataclass(frozen=True)
class JoinRequest:
    """A person's request to become a unit's liaison, awaiting the secretariat."""

    id: int
    cluster_id: int
    user_id: int
    unit_id: int
    status: str
    message_id: int | None


@dataclass(frozen=True)
class Invite:
    """A single-use deep-link token that attaches whoever opens it to one unit."""

    id: int
    token: str
    cluster_id: int
    unit_id: int
    revoked: bool
    uses: int
    expires_at: datetime | None


@dataclass(frozen=True)
class Dialogue:
    """A guided dialogue waiting for one person's next text in one chat."""

    chat_id: int
    user_id: int
    kind: str
    state: dict[str, object]
    prompt_message_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class UnitRoster:
    """A unit with its liaisons, for /units."""

    unit: Unit
    liaisons: tuple[Person, ...]
    voter: Person | None
    is_lead: bool


class DomainError(Exception):
    """A rule of the product refused the action; handlers turn it into a message."""

    code = "domain"

    def __init__(self, **details: object) -> None:
        super().__init__(self.code, details)
        self.details = details


class AlreadyHandled(DomainError):
    """The update was already acted on (Telegram redelivered it)."""

    code = "already_handled"


class NotACluster(DomainError):
    """The chat has not been registered with /setup."""

    code = "not_a_cluster"


class ClusterExists(DomainError):
    """The chat is already a cluster."""

    code = "cluster_exists"


class NotSecretariat(DomainError):
    """Only the secretariat (group admins, lead unit's liaisons) may do this."""

    code = "not_secretariat"


class NotGroupAdmin(DomainError):
    """Only a group administrator may do this."""

    code = "not_group_admin"


class InvalidInput(DomainError):
    """Arguments could not be read; `details['field']` says which."""

    code = "invalid_input"


class UnknownUnit(DomainError):
    """No unit with that code (or id) in this cluster."""

    code = "unknown_unit"


class AlreadyLiaison(DomainError):
    """The person is already attached to a unit of this cluster."""

    code = "already_liaison"


class JoinPending(DomainError):
    """The person already has a join request waiting."""

    code = "join_pending"


class StaleRequest(DomainError):
    """The join request was already decided or no longer exists."""

    code = "stale_request"


class InviteInvalid(DomainError):
    """The invite token is unknown or revoked."""

    code = "invite_invalid"


class GroupOnly(DomainError):
    """The command works only in the cluster's group."""

    code = "group_only"


class PrivateChatNeeded(DomainError):
    """The answer must go privately, but the person has not opened the chat with the bot."""

    code = "private_chat_needed"


@dataclass(frozen=True)
class Request:
    """A report request or a confirmation request, addressed to some units of a cluster."""

    id: int
    cluster_id: int
    kind: str
    title: str
    deadline_at: datetime
    status: str
    file_types: tuple[str, ...]
    document_file_id: str | None
    document_name: str | None
    message_id: int | None
    created_by: int
    unit_ids: tuple[int, ...]
    reminder_offsets: tuple[int, ...] | None = None
    created_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether the request still takes submissions or answers."""
        return self.status == "open"


@dataclass(frozen=True)
class Submission:
    """One version of a unit's file for a report request."""

    id: int
    request_id: int
    unit_id: int
    version: int
    user_id: int
    submitted_at: datetime
    late_seconds: int
    file_name: str
    stored_name: str | None
    file_size: int | None
    mime_type: str | None
    sha256: str | None
    file_id: str
    file_unique_id: str
    caption: str
    storage: str
    review: str
    review_comment: str | None


@dataclass(frozen=True)
class Confirmation:
    """A unit's answer to a confirmation request."""

    request_id: int
    unit_id: int
    status: str
    comment: str | None
    user_id: int
    answered_at: datetime


class NotALiaison(DomainError):
    """The person represents no unit of this cluster (or of any cluster, in private)."""

    code = "not_a_liaison"


class UnknownRequest(DomainError):
    """No such request in this cluster (stale or forged payload)."""

    code = "unknown_request"


class RequestNotOpen(DomainError):
    """The request is closed or cancelled; `details['status']` says which."""

    code = "request_not_open"


class NotConcerned(DomainError):
    """The request is not addressed to the person's unit."""

    code = "not_concerned"


class NoOpenRequest(DomainError):
    """The unit has no open report request to submit to."""

    code = "no_open_request"


class FileRefused(DomainError):
    """The document fails the checks (name, size, type); `details['reason']` says why."""

    code = "file_refused"


class BadDate(DomainError):
    """A date or time could not be read; `details['error']` is the DateParseError."""

    code = "bad_date"


class NotLatestVersion(DomainError):
    """Only the latest version of a unit's submission can be reviewed."""

    code = "not_latest_version"


class NotASubmission(DomainError):
    """The document in the group is not meant as a report (handled silently)."""

    code = "not_a_submission"


class AlreadyReviewed(DomainError):
    """The submission already has this review; `details['review']` says which."""

    code = "already_reviewed"


@dataclass(frozen=True)
class Meeting:
    """A cluster meeting or conference with RSVPs."""

    id: int
    cluster_id: int
    title: str
    starts_at: datetime
    place: str
    agenda: str
    status: str
    reminder_offsets: tuple[int, ...] | None
    message_id: int | None
    created_at: datetime

    @property
    def is_open(self) -> bool:
        """Whether units can still answer (scheduled, not cancelled or closed)."""
        return self.status == "scheduled"


@dataclass(frozen=True)
class Rsvp:
    """A unit's answer to a meeting: attend (with who) or absent."""

    meeting_id: int
    unit_id: int
    status: str
    attendees: str
    user_id: int


class MeetingNotOpen(DomainError):
    """The meeting was cancelled, closed, or has started."""

    code = "meeting_not_open"


class UnknownMeeting(DomainError):
    """No such meeting in this cluster."""

    code = "unknown_meeting"


class UnknownPoll(DomainError):
    """No such poll in this cluster."""

    code = "unknown_poll"


class PollClosed(DomainError):
    """The poll is closed (or its time is over): no more ballots."""

    code = "poll_closed"


class NotOnRoll(DomainError):
    """The person is not the voter of any unit on this poll's roll."""

    code = "not_on_roll"


class AlreadyVoted(DomainError):
    """The unit has cast its secret ballot; like paper, it is final."""

    code = "already_voted"


class BallotRefused(DomainError):
    """The marks break the poll's rules; `details['reason']` is the tally's error code."""

    code = "ballot_refused"


class PrivateOnly(DomainError):
    """Private chat only: ballots; a person's own language (`details['purpose']='language'`)."""

    code = "private_only"


class NotYourDialogue(DomainError):
    """A guided dialogue's button pressed by someone it is not guiding, or after it ended."""

    code = "not_your_dialogue"


class NoSuchItem(DomainError):
    """`/status <text>` matched neither a unit code nor the title of an item."""

    code = "no_such_item"
