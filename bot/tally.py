"""Pure vote counting for nomination polls (bình xét): ballot checks, tally, Vietnamese text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Ballot",
    "BallotError",
    "BallotErrorCode",
    "CandidateResult",
    "Result",
    "Rules",
    "check_ballot",
    "format_percent_vi",
    "rules_summary_vi",
    "tally",
]

BallotErrorCode = Literal[
    "too_many", "duplicate", "unknown_candidate", "self_vote", "incomplete_ranking"
]


class BallotError(ValueError):
    """A ballot the rules refuse; `code` names the reason for the UI."""

    # The message never names a candidate: a refused secret ballot must not leak into a log.
    def __init__(self, code: BallotErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code: BallotErrorCode = code


def _percent(value: object, field: str) -> Fraction:
    # Floats would smuggle binary rounding into the threshold; only exact values are taken.
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"{field} must be an int or a Fraction, got {type(value).__name__}")
    result = Fraction(value)
    if not 0 <= result <= 100:
        raise ValueError(f"{field} must be between 0 and 100, got {result}")
    return result


@dataclass(frozen=True)
class Rules:
    """Poll rules; threshold and quorum are % of the roll (ranked: of (n−1)×roll Borda points)."""

    # threshold_percent and quorum_percent count against the whole roll (every eligible unit),
    # never against the ballots cast. A ranked candidate's percent is its Borda points over the
    # most it could get, (n−1) × roll (first place on every ballot of the roll), and it passes
    # with percent ≥ threshold_percent — the same reading as "≥ 50 % of all units agree".

    candidates: tuple[str, ...]
    ranked: bool = False
    max_choices: int = 1
    threshold_percent: Fraction = Fraction(50)
    quorum_percent: Fraction = Fraction(200, 3)
    self_vote: bool = False

    def __post_init__(self) -> None:
        """Normalise to tuples and Fractions and refuse rules nothing could be counted under."""
        candidates = tuple(self.candidates)
        object.__setattr__(self, "candidates", candidates)
        if not candidates:
            raise ValueError("a poll needs at least one candidate")
        if self.ranked and len(candidates) < 2:
            raise ValueError("a ranked poll needs at least two candidates")
        if not self.ranked and not 1 <= self.max_choices <= len(candidates):
            raise ValueError(
                f"max_choices must be between 1 and {len(candidates)}, got {self.max_choices}"
            )
        threshold = _percent(self.threshold_percent, "threshold_percent")
        if threshold == 0:
            raise ValueError("threshold_percent must be above 0")
        object.__setattr__(self, "threshold_percent", threshold)
        object.__setattr__(self, "quorum_percent", _percent(self.quorum_percent, "quorum_percent"))

    @property
    def max_points(self) -> int:
        """Most a single ballot can give one candidate: 1 vote, or n−1 Borda points."""
        return len(self.candidates) - 1 if self.ranked else 1


@dataclass(frozen=True)
class Ballot:
    """One unit's ballot: candidate ids (in preference order when ranked); () is blank."""

    marks: tuple[int, ...] = ()

    @property
    def blank(self) -> bool:
        """Whether the ballot marks no candidate."""
        return not self.marks


def _check_marks(rules: Rules, marks: tuple[int, ...]) -> None:
    n = len(rules.candidates)
    for mark in marks:
        if isinstance(mark, bool) or not isinstance(mark, int) or not 0 <= mark < n:
            raise BallotError("unknown_candidate")
    if len(set(marks)) != len(marks):
        raise BallotError("duplicate")


def check_ballot(rules: Rules, ballot: Ballot, own_candidate: int | None = None) -> Ballot:
    """Validate a ballot of the voter whose own unit is `own_candidate`; return it normalised."""
    # Checks run in this order, the first failure is raised: unknown_candidate, duplicate,
    # self_vote, too_many (choose), incomplete_ranking (ranked). Choose marks come back sorted;
    # ranked marks keep their order. Blank ballots always pass.
    marks = tuple(ballot.marks)
    _check_marks(rules, marks)
    excluded = not rules.self_vote and own_candidate is not None
    if excluded and own_candidate in marks:
        raise BallotError("self_vote")
    if not rules.ranked:
        if len(marks) > rules.max_choices:
            raise BallotError("too_many", f"{len(marks)} > {rules.max_choices}")
        return Ballot(tuple(sorted(marks)))
    n = len(rules.candidates)
    # Whether own_candidate is on the poll at all decides how many others there are to rank.
    expected = n - 1 if excluded and own_candidate is not None and 0 <= own_candidate < n else n
    if marks and len(marks) != expected:
        raise BallotError("incomplete_ranking", f"{len(marks)} of {expected}")
    return Ballot(marks)


def _check_counted(rules: Rules, ballot: Ballot) -> None:
    # The tally never learns who cast a ballot (secret polls), so it checks what it can alone.
    _check_marks(rules, ballot.marks)
    size = len(ballot.marks)
    n = len(rules.candidates)
    if not rules.ranked:
        if size > rules.max_choices:
            raise BallotError("too_many", f"{size} > {rules.max_choices}")
    elif size not in ((0, n) if rules.self_vote else (0, n - 1, n)):
        raise BallotError("incomplete_ranking", f"{size} of {n}")


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's line in the result."""

    candidate: int
    name: str
    score: int
    percent: Fraction
    passed: bool
    rank: int
    tied: bool


@dataclass(frozen=True)
class Result:
    """The count of a closed poll; `tie_for_first` flags a shared first place above zero."""

    # cast = valid_ballots + blank: every counted ballot was checked, so valid_ballots are the
    # ballots marking at least one candidate. score is votes (choose) or Borda points (ranked);
    # max_score (roll, or (n−1) × roll) is the denominator of percent. ties: any two candidates
    # share a rank (also at zero). tie_for_first: several candidates share first place with a
    # score above zero — the tie that matters when the cluster puts forward one unit. Passing
    # never hangs on a tie: equal scores always pass or fail together.

    roll_size: int
    cast: int
    blank: int
    valid_ballots: int
    turnout_percent: Fraction
    quorum_met: bool
    candidates: tuple[CandidateResult, ...]
    ties: bool
    tie_for_first: bool
    ranked: bool
    max_score: int

    @property
    def passed_candidates(self) -> tuple[CandidateResult, ...]:
        """Candidates that reached the threshold, best first."""
        return tuple(c for c in self.candidates if c.passed)


def tally(rules: Rules, ballots: Sequence[Ballot], roll_size: int) -> Result:
    """Count `ballots` under `rules` for a roll of `roll_size` units; ValueError if unsound."""
    if isinstance(roll_size, bool) or not isinstance(roll_size, int) or roll_size < 1:
        raise ValueError(f"roll_size must be a positive int, got {roll_size!r}")
    cast = len(ballots)
    if cast > roll_size:
        raise ValueError(f"{cast} ballots cast for a roll of {roll_size}")
    n = len(rules.candidates)
    scores = [0] * n
    blank = 0
    for ballot in ballots:
        _check_counted(rules, ballot)
        if ballot.blank:
            blank += 1
        for place, candidate in enumerate(ballot.marks):
            scores[candidate] += n - 1 - place if rules.ranked else 1

    quorum_met = cast * 100 >= rules.quorum_percent * roll_size
    max_score = rules.max_points * roll_size
    order = sorted(range(n), key=lambda c: (-scores[c], c))
    share = Counter(scores)
    lines: list[CandidateResult] = []
    for position, candidate in enumerate(order):
        score = scores[candidate]
        previous = lines[-1] if lines else None
        rank = previous.rank if previous and previous.score == score else position + 1
        percent = Fraction(score * 100, max_score)
        lines.append(
            CandidateResult(
                candidate=candidate,
                name=rules.candidates[candidate],
                score=score,
                percent=percent,
                passed=quorum_met and percent >= rules.threshold_percent,
                rank=rank,
                # Candidates sharing zero are not 'tied': nobody chose them.
                tied=share[score] > 1 and score > 0,
            )
        )
    first = [line for line in lines if line.rank == 1]
    return Result(
        roll_size=roll_size,
        cast=cast,
        blank=blank,
        valid_ballots=cast - blank,
        turnout_percent=Fraction(cast * 100, roll_size),
        quorum_met=quorum_met,
        candidates=tuple(lines),
        ties=any(line.tied for line in lines),
        tie_for_first=len(first) > 1 and first[0].score > 0,
        ranked=rules.ranked,
        max_score=max_score,
    )


def format_percent_vi(value: Fraction) -> str:
    """Write a percentage the Vietnamese way: one decimal, comma, no ",0" (66,7%; 50%)."""
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    # Half up, away from zero, so 12.25 reads 12,3 whatever the parity (round() is half-even).
    tenths = int(abs(value) * 10 + Fraction(1, 2))
    whole, tenth = divmod(tenths, 10)
    if tenths == 0:
        sign = ""
    return f"{sign}{whole}%" if tenth == 0 else f"{sign}{whole},{tenth}%"


def rules_summary_vi(rules: Rules) -> str:
    """Describe the rules in plain Vietnamese for the poll message."""
    bar = format_percent_vi(rules.threshold_percent)
    if rules.ranked:
        ballot = "xếp hạng tất cả ứng viên (tính điểm Borda)"
        threshold = f"đạt khi số điểm ≥ {bar} số điểm tối đa"
    else:
        ballot = f"chọn tối đa {rules.max_choices}"
        threshold = f"đạt khi ≥ {bar} tổng số đơn vị đồng ý"
    parts = [
        f"Mỗi đơn vị 1 phiếu, {ballot}",
        "được tự bầu" if rules.self_vote else "không tự bầu",
        threshold,
    ]
    if rules.quorum_percent > 0:
        parts.append(f"hợp lệ khi ≥ {format_percent_vi(rules.quorum_percent)} số đơn vị tham gia")
    return "; ".join(parts)
