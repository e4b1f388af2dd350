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
