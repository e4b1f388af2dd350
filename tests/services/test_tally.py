"""Tests for bot.tally: ballot checks, choose and Borda counts, quorum, ties, Vietnamese text."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.tally import (
    Ballot,
    BallotError,
    Result,
    Rules,
    check_ballot,
    format_percent_vi,
    rules_summary_vi,
    tally,
)

SEED_UNITS = ("VSP", "PVEP", "RVP", "GPV")
VSP, PVEP, RVP, GPV = range(4)
SEED_RULES = Rules(candidates=SEED_UNITS)  # choose 1, no self-vote, 50 %, quorum 2/3


def _line(result: Result, name: str) -> tuple[int, Fraction, bool, int, bool]:
    (line,) = [c for c in result.candidates if c.name == name]
    return line.score, line.percent, line.passed, line.rank, line.tied


# The seed's bình xét --------------------------------------------------------------------------


def test_seed_vsp_passes_with_three_of_four() -> None:
    votes = {VSP: (PVEP,), PVEP: (VSP,), RVP: (VSP,), GPV: (VSP,)}
    ballots = [check_ballot(SEED_RULES, Ballot(m), own_candidate=u) for u, m in votes.items()]
    result = tally(SEED_RULES, ballots, roll_size=4)

    assert (result.roll_size, result.cast, result.blank, result.valid_ballots) == (4, 4, 0, 4)
    assert result.turnout_percent == 100
    assert result.quorum_met
    assert [c.name for c in result.candidates] == ["VSP", "PVEP", "RVP", "GPV"]
    assert _line(result, "VSP") == (3, Fraction(75), True, 1, False)
    assert _line(result, "PVEP") == (1, Fraction(25), False, 2, False)
    assert _line(result, "RVP") == (0, Fraction(0), False, 3, False)
    assert _line(result, "GPV") == (0, Fraction(0), False, 3, False)
    assert not result.ties  # the two zero-vote units share third place: not a tie
    assert not result.tie_for_first
    assert [c.name for c in result.passed_candidates] == ["VSP"]
    assert result.max_score == 4
    assert not result.ranked


def test_seed_rules_summary() -> None:
    assert rules_summary_vi(SEED_RULES) == (
        "Mỗi đơn vị 1 phiếu, chọn tối đa 1; không tự bầu; "
        "đạt khi ≥ 50% tổng số đơn vị đồng ý; hợp lệ khi ≥ 66,7% số đơn vị tham gia"
    )


# Threshold against the roll, blank ballots, quorum ----------------------------------------------


def test_threshold_counts_against_the_whole_roll_not_the_ballots_cast() -> None:
    ballots = [Ballot((VSP,)), Ballot((VSP,)), Ballot((PVEP,))]
    # 2 of 3 cast (66,7 %) but only 2 of 5 units (40 %): not passed.
    result = tally(Rules(SEED_UNITS, quorum_percent=Fraction(60)), ballots, roll_size=5)
    assert result.quorum_met
    assert _line(result, "VSP")[:3] == (2, Fraction(40), False)


def test_exactly_at_threshold_passes() -> None:
    ballots = [Ballot((VSP,)), Ballot((VSP,)), Ballot((PVEP,)), Ballot((RVP,))]
    result = tally(SEED_RULES, ballots, roll_size=4)
    assert _line(result, "VSP")[:3] == (2, Fraction(50), True)
    stricter = tally(Rules(SEED_UNITS, threshold_percent=Fraction(70)), ballots, roll_size=4)
    assert not any(c.passed for c in stricter.candidates)


def test_two_of_four_voting_misses_the_two_thirds_quorum() -> None:
    result = tally(SEED_RULES, [Ballot((VSP,)), Ballot((VSP,))], roll_size=4)
    assert result.cast == 2
    assert result.turnout_percent == 50
    assert not result.quorum_met
    # 50 % of the roll would pass, but an invalid poll passes no one.
    assert _line(result, "VSP")[:3] == (2, Fraction(50), False)
    assert result.passed_candidates == ()


def test_blank_ballots_count_as_cast_and_toward_quorum() -> None:
    ballots = [Ballot(()), Ballot(()), Ballot((VSP,))]
    result = tally(SEED_RULES, ballots, roll_size=4)
    assert (result.cast, result.blank, result.valid_ballots) == (3, 2, 1)
    assert result.turnout_percent == 75
    assert result.quorum_met
    assert sum(c.score for c in result.candidates) == 1
    assert not any(c.passed for c in result.candidates)


@pytest.mark.parametrize(
    ("roll", "cast", "met"),
    [(3, 2, True), (3, 1, False), (6, 4, True), (6, 3, False), (4, 3, True), (1, 1, True)],
)
def test_default_quorum_is_two_thirds_of_the_roll(roll: int, cast: int, met: bool) -> None:
    result = tally(SEED_RULES, [Ballot(())] * cast, roll_size=roll)
    assert result.quorum_met is met


def test_zero_quorum_counts_even_without_ballots() -> None:
    rules = Rules(SEED_UNITS, quorum_percent=Fraction(0))
    result = tally(rules, [], roll_size=4)
    assert result.quorum_met
    assert result.cast == 0
    assert result.turnout_percent == 0
    assert all(c.rank == 1 and not c.tied for c in result.candidates)
    assert not result.tie_for_first  # all at zero: no one leads


# Ties -------------------------------------------------------------------------------------------


def test_equal_scores_share_a_rank_and_are_flagged() -> None:
    rules = Rules(SEED_UNITS, max_choices=2)
    ballots = [Ballot((VSP, PVEP)), Ballot((PVEP, VSP)), Ballot((RVP,)), Ballot(())]
    result = tally(rules, ballots, roll_size=4)
    assert [(c.name, c.score, c.rank, c.tied) for c in result.candidates] == [
        ("VSP", 2, 1, True),
        ("PVEP", 2, 1, True),
        ("RVP", 1, 3, False),
        ("GPV", 0, 4, False),
    ]
    assert result.ties
    assert result.tie_for_first
    assert [c.name for c in result.passed_candidates] == ["VSP", "PVEP"]


def test_tied_candidates_are_ordered_by_candidate_id() -> None:
    ballots = [Ballot((GPV,)), Ballot((RVP,)), Ballot((PVEP,))]
    result = tally(SEED_RULES, ballots, roll_size=4)
    assert [(c.candidate, c.rank) for c in result.candidates] == [(1, 1), (2, 1), (3, 1), (0, 4)]
    assert result.tie_for_first


def test_no_ties_when_all_scores_differ() -> None:
    rules = Rules(("A", "B", "C"), max_choices=3, quorum_percent=Fraction(0))
    result = tally(rules, [Ballot((0, 1, 2)), Ballot((0, 1)), Ballot((0,))], roll_size=3)
    assert [(c.score, c.rank, c.tied) for c in result.candidates] == [
        (3, 1, False),
        (2, 2, False),
        (1, 3, False),
    ]
    assert not result.ties
    assert not result.tie_for_first


# Ranked ballots (Borda) -------------------------------------------------------------------------


def test_borda_with_self_vote_allowed() -> None:
    rules = Rules(("A", "B", "C", "D"), ranked=True, self_vote=True)
    ballots = [Ballot((0, 1, 2, 3)), Ballot((1, 0, 3, 2)), Ballot((0, 2, 1, 3))]
    # A 3+2+3 = 8, B 2+3+1 = 6, C 1+0+2 = 3, D 0+1+0 = 1; most possible 3 × 3 = 9.
    checked = [check_ballot(rules, b, own_candidate=i) for i, b in enumerate(ballots)]
    assert checked == ballots  # ranked order is kept
    result = tally(rules, checked, roll_size=3)
    assert result.ranked
    assert result.max_score == 9
    assert [(c.name, c.score, c.percent, c.passed, c.rank) for c in result.candidates] == [
        ("A", 8, Fraction(800, 9), True, 1),
        ("B", 6, Fraction(200, 3), True, 2),
        ("C", 3, Fraction(100, 3), False, 3),
        ("D", 1, Fraction(100, 9), False, 4),
    ]
    assert not result.ties


def test_borda_excluding_own_unit_still_starts_from_n_minus_one() -> None:
    rules = Rules(("A", "B", "C", "D"), ranked=True)
    rankings = {0: (1, 2, 3), 1: (0, 3, 2), 2: (0, 1, 3), 3: (1, 0, 2)}
    ballots = [check_ballot(rules, Ballot(m), own_candidate=u) for u, m in rankings.items()]
    # A 3+3+2 = 8, B 3+2+3 = 8, C 2+1+1 = 4, D 1+2+1 = 4; most possible 3 × 4 = 12.
    result = tally(rules, ballots, roll_size=4)
    assert result.max_score == 12
    assert [(c.name, c.score, c.percent, c.passed, c.rank, c.tied) for c in result.candidates] == [
        ("A", 8, Fraction(200, 3), True, 1, True),
        ("B", 8, Fraction(200, 3), True, 1, True),
        ("C", 4, Fraction(100, 3), False, 3, True),
        ("D", 4, Fraction(100, 3), False, 3, True),
    ]
    assert result.tie_for_first


def test_ranked_blank_ballot_and_non_candidate_voter() -> None:
    rules = Rules(("Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Văn Nam"), ranked=True)
    # The voter's unit is not on a free-text poll: it ranks everyone, from 2 down to 0.
    ballot = check_ballot(rules, Ballot((2, 0, 1)), own_candidate=None)
    blank = check_ballot(rules, Ballot(()), own_candidate=0)
    result = tally(rules, [ballot, blank], roll_size=3)
    assert [(c.name, c.score) for c in result.candidates] == [
        ("Lê Văn Nam", 2),
        ("Nguyễn Văn Hùng", 1),
        ("Trần Thị Mai", 0),
    ]
    assert (result.blank, result.valid_ballots) == (1, 1)


def test_ranked_rules_summary() -> None:
    rules = Rules(("A", "B", "C"), ranked=True, threshold_percent=Fraction(70), self_vote=True)
    assert rules_summary_vi(rules) == (
        "Mỗi đơn vị 1 phiếu, xếp hạng tất cả ứng viên (tính điểm Borda); được tự bầu; "
        "đạt khi số điểm ≥ 70% số điểm tối đa; hợp lệ khi ≥ 66,7% số đơn vị tham gia"
    )


def test_choose_many_summary_without_quorum() -> None:
    rules = Rules(SEED_UNITS, max_choices=2, quorum_percent=Fraction(0), self_vote=True)
    assert rules_summary_vi(rules) == (
        "Mỗi đơn vị 1 phiếu, chọn tối đa 2; được tự bầu; đạt khi ≥ 50% tổng số đơn vị đồng ý"
    )


# Ballot errors ----------------------------------------------------------------------------------

RANKED = Rules(SEED_UNITS, ranked=True)
CHOOSE_2 = Rules(SEED_UNITS, max_choices=2)


@pytest.mark.parametrize(
    ("rules", "marks", "own", "code"),
    [
        (SEED_RULES, (VSP, PVEP), None, "too_many"),
        (CHOOSE_2, (VSP, PVEP, RVP), None, "too_many"),
        (CHOOSE_2, (VSP, VSP), None, "duplicate"),
        (RANKED, (PVEP, PVEP, RVP), VSP, "duplicate"),
        (SEED_RULES, (4,), None, "unknown_candidate"),
        (SEED_RULES, (-1,), None, "unknown_candidate"),
        (RANKED, (PVEP, RVP, 7), VSP, "unknown_candidate"),
        (SEED_RULES, (VSP,), VSP, "self_vote"),
        (CHOOSE_2, (PVEP, GPV), GPV, "self_vote"),
        (RANKED, (VSP, PVEP, RVP, GPV), VSP, "self_vote"),
        (RANKED, (PVEP, RVP), VSP, "incomplete_ranking"),
        (RANKED, (PVEP, RVP, GPV), None, "incomplete_ranking"),
        (
            Rules(SEED_UNITS, ranked=True, self_vote=True),
            (VSP, PVEP, RVP),
            VSP,
            "incomplete_ranking",
        ),
    ],
)
def test_check_ballot_refuses(
    rules: Rules, marks: tuple[int, ...], own: int | None, code: str
) -> None:
    with pytest.raises(BallotError) as caught:
        check_ballot(rules, Ballot(marks), own_candidate=own)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    if code in ("duplicate", "unknown_candidate", "self_vote"):
        assert str(caught.value) == code  # no candidate in the message, so none in a log


def test_check_ballot_normalises_and_allows() -> None:
    assert check_ballot(CHOOSE_2, Ballot((GPV, PVEP))) == Ballot((PVEP, GPV))
    assert check_ballot(SEED_RULES, Ballot(()), own_candidate=VSP) == Ballot(())
    assert check_ballot(Rules(SEED_UNITS, self_vote=True), Ballot((VSP,)), VSP) == Ballot((VSP,))
    # Without an own unit, the self-vote rule has nothing to refuse.
    assert check_ballot(SEED_RULES, Ballot((VSP,)), own_candidate=None) == Ballot((VSP,))


@pytest.mark.parametrize(
    ("rules", "marks", "code"),
    [
        (SEED_RULES, (VSP, PVEP), "too_many"),
        (CHOOSE_2, (RVP, RVP), "duplicate"),
        (SEED_RULES, (9,), "unknown_candidate"),
        (RANKED, (VSP, PVEP), "incomplete_ranking"),
        (Rules(SEED_UNITS, ranked=True, self_vote=True), (VSP, PVEP, RVP), "incomplete_ranking"),
    ],
)
def test_tally_refuses_ballots_no_check_would_pass(
    rules: Rules, marks: tuple[int, ...], code: str
) -> None:
    with pytest.raises(BallotError) as caught:
        tally(rules, [Ballot(marks)], roll_size=4)
    assert caught.value.code == code


@pytest.mark.parametrize("roll", [0, -1])
def test_tally_refuses_an_empty_roll(roll: int) -> None:
    with pytest.raises(ValueError, match="roll_size"):
        tally(SEED_RULES, [], roll_size=roll)


def test_tally_refuses_more_ballots_than_the_roll() -> None:
    with pytest.raises(ValueError, match="roll of 2"):
        tally(SEED_RULES, [Ballot(())] * 3, roll_size=2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"candidates": ()},
        {"candidates": ("A",), "ranked": True},
        {"candidates": ("A", "B"), "max_choices": 0},
        {"candidates": ("A", "B"), "max_choices": 3},
        {"candidates": ("A", "B"), "threshold_percent": Fraction(0)},
        {"candidates": ("A", "B"), "threshold_percent": Fraction(101)},
        {"candidates": ("A", "B"), "quorum_percent": Fraction(-1)},
    ],
)
def test_rules_refuse_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rules(**kwargs)  # type: ignore[arg-type]


def test_rules_refuse_floats_and_take_ints() -> None:
    with pytest.raises(TypeError):
        Rules(("A", "B"), threshold_percent=0.7)  # type: ignore[arg-type]
    rules = Rules(["A", "B"], threshold_percent=70)  # type: ignore[arg-type]
    assert rules.candidates == ("A", "B")
    assert isinstance(rules.threshold_percent, Fraction)
    assert rules.threshold_percent == 70


# Vietnamese percentages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(50), "50%"),
        (Fraction(200, 3), "66,7%"),
        (Fraction(1, 3), "0,3%"),
        (Fraction(0), "0%"),
        (Fraction(100), "100%"),
        (Fraction(75), "75%"),
        (Fraction(25, 2), "12,5%"),
        (Fraction(1225, 100), "12,3%"),  # half up, not half even
        (Fraction(1235, 100), "12,4%"),
        (Fraction(9996, 100), "100%"),
        (Fraction(4994, 100), "49,9%"),
        (Fraction(1, 20), "0,1%"),
        (Fraction(1, 30), "0%"),
        (Fraction(-5, 2), "-2,5%"),
    ],
)
def test_format_percent_vi(value: Fraction, text: str) -> None:
    assert format_percent_vi(value) == text


@settings(max_examples=50, deadline=None)
@given(st.fractions(min_value=0, max_value=100))
def test_format_percent_vi_is_within_half_a_tenth(value: Fraction) -> None:
    text = format_percent_vi(value)
    assert text.endswith("%")
    assert "." not in text
    assert not text.endswith(",0%")
    shown = Fraction(text.removesuffix("%").replace(",", "."))
    assert abs(shown - value) <= Fraction(1, 20)


# Properties ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    """A generated poll: rules, roll and the checked ballots of the units that voted."""

    rules: Rules
    roll: int
    ballots: tuple[Ballot, ...]


@st.composite
def polls(draw: st.DrawFn, ranked: bool | None = None) -> Poll:
    """Polls over 1–6 candidates with a roll of 1–10 units, some of which are candidates."""
    is_ranked = draw(st.booleans()) if ranked is None else ranked
    n = draw(st.integers(min_value=2 if is_ranked else 1, max_value=6))
    rules = Rules(
        candidates=tuple(f"Đơn vị {i}" for i in range(n)),
        ranked=is_ranked,
        max_choices=draw(st.integers(min_value=1, max_value=n)),
        threshold_percent=draw(st.fractions(min_value=Fraction(1, 10), max_value=100)),
        quorum_percent=draw(st.fractions(min_value=0, max_value=100)),
        self_vote=draw(st.booleans()),
    )
    roll = draw(st.integers(min_value=1, max_value=10))
    voters = draw(st.integers(min_value=0, max_value=roll))
    ballots = []
    for unit in range(voters):
        own = unit if unit < n else None  # the first units of the roll are also candidates
        allowed = [c for c in range(n) if rules.self_vote or c != own]
        if not allowed or draw(st.integers(min_value=0, max_value=5)) == 0:
            marks: tuple[int, ...] = ()
        elif is_ranked:
            marks = tuple(draw(st.permutations(allowed)))
        else:
            most = min(rules.max_choices, len(allowed))
            picked = draw(st.lists(st.sampled_from(allowed), unique=True, max_size=most))
            marks = tuple(picked)
        ballots.append(check_ballot(rules, Ballot(marks), own_candidate=own))
    return Poll(rules, roll, tuple(ballots))


FAST = settings(max_examples=40, deadline=None)


@FAST
@given(polls(ranked=False))
def test_choose_scores_add_up_to_the_marks(poll: Poll) -> None:
    result = tally(poll.rules, poll.ballots, poll.roll)
    assert sum(c.score for c in result.candidates) == sum(len(b.marks) for b in poll.ballots)
    assert all(0 <= c.score <= poll.roll for c in result.candidates)
    assert all(0 <= c.percent <= 100 for c in result.candidates)
    for line in result.candidates:
        assert line.score == sum(line.candidate in b.marks for b in poll.ballots)


@FAST
@given(polls(ranked=True))
def test_borda_points_add_up(poll: Poll) -> None:
    n = len(poll.rules.candidates)
    result = tally(poll.rules, poll.ballots, poll.roll)
    expected = sum(n - 1 - i for b in poll.ballots for i in range(len(b.marks)))
    assert sum(c.score for c in result.candidates) == expected
    assert all(0 <= c.score <= (n - 1) * poll.roll for c in result.candidates)
    assert all(0 <= c.percent <= 100 for c in result.candidates)
    assert result.max_score == (n - 1) * poll.roll


@FAST
@given(polls())
def test_ranks_follow_scores(poll: Poll) -> None:
    result = tally(poll.rules, poll.ballots, poll.roll)
    lines = result.candidates
    assert sorted(c.candidate for c in lines) == list(range(len(poll.rules.candidates)))
    assert [(c.rank, c.candidate) for c in lines] == sorted((c.rank, c.candidate) for c in lines)
    for a in lines:
        assert a.rank == 1 + sum(b.score > a.score for b in lines)
        assert a.tied == (a.score > 0 and any(b.score == a.score for b in lines if b is not a))
        for b in lines:
            if a.score > b.score:
                assert a.rank < b.rank
            elif a.score == b.score:
                assert a.rank == b.rank
    assert result.ties == any(c.tied for c in lines)


@FAST
@given(polls(), st.randoms(use_true_random=False))
def test_ballot_order_never_matters(poll: Poll, rnd: random.Random) -> None:
    shuffled = list(poll.ballots)
    rnd.shuffle(shuffled)
    assert tally(poll.rules, shuffled, poll.roll) == tally(poll.rules, poll.ballots, poll.roll)


@FAST
@given(polls())
def test_passing_needs_quorum_and_threshold(poll: Poll) -> None:
    result = tally(poll.rules, poll.ballots, poll.roll)
    assert result.cast == result.valid_ballots + result.blank == len(poll.ballots)
    assert result.quorum_met == (result.turnout_percent >= poll.rules.quorum_percent)
    for line in result.candidates:
        if line.passed:
            assert result.quorum_met
        assert line.passed == (result.quorum_met and line.percent >= poll.rules.threshold_percent)
        if not poll.rules.ranked:
            assert line.percent == Fraction(line.score * 100, poll.roll)


@FAST
@given(polls())
def test_check_ballot_is_idempotent(poll: Poll) -> None:
    for unit, ballot in enumerate(poll.ballots):
        own = unit if unit < len(poll.rules.candidates) else None
        assert check_ballot(poll.rules, ballot, own_candidate=own) == ballot
