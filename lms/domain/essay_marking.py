"""Blind essay marking, the pure part: who may give which mark, when two marks
agree, what the final mark is, and the candidate's anonymous code.

Rules (the service `lms.grading.essays` applies them under a lock per attempt):

* **Single marking**: the first mark is final.
* **Double marking**: two different markers each give a mark (rounds
  ``first`` and ``second``, in either order, neither seeing the other's).
  They *agree* when they differ by at most the tolerance: ``tolerance_percent``
  % of the points the slot is worth in the paper, compared exactly
  (``|a − b| × 100 ≤ percent × points``; 10 % of a 20-point essay is 2.00
  points, so 12 and 14 agree and 12 and 14.01 do not). Agreeing marks give the
  final mark as their mean, rounded to 0.01 half up (12.00 and 12.01 → 12.01).
  Otherwise a third marker, who is neither of the two, *reconciles*: they see
  both marks and their own mark is final.
* A marker never gives two marks to one slot.

Marks are totals in the paper's points (what the slot is worth in the exam).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lms.domain.scoring import ItemResult, PartResult

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
#: default tolerance between two marks, in percent of the slot's points
DEFAULT_TOLERANCE_PERCENT = Decimal(10)
CODE_LENGTH = 8


class Round(StrEnum):
    FIRST = "first"
    SECOND = "second"
    RECONCILE = "reconcile"


class Method(StrEnum):
    """How a final mark came about."""

    SINGLE = "single"  #: single marking: the one mark
    MEAN = "mean"  #: double marking, the two marks agreed: their mean
    RECONCILED = "reconciled"  #: the third marker's mark


@dataclass(frozen=True)
class GivenMark:
    round: Round
    marker_id: int
    total: Decimal  #: in the paper's points


@dataclass(frozen=True)
class SlotState:
    """What a slot needs next, from the marks given so far."""

    open_rounds: tuple[Round, ...]  #: rounds a (suitable) marker may still give
    final: Decimal | None = None  #: the final mark once decided
    method: Method | None = None
    disagree: bool = False  #: two marks beyond the tolerance (a reconciler is needed)

    @property
    def decided(self) -> bool:
        return self.final is not None


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def agree(first: Decimal, second: Decimal, points: Decimal, tolerance_percent: Decimal) -> bool:
    """Two marks are within ``tolerance_percent`` % of ``points`` of each other (exact)."""
    return abs(first - second) * HUNDRED <= tolerance_percent * points


def tolerance_points(points: Decimal, tolerance_percent: Decimal) -> Decimal:
    """The tolerance in points, for display (the comparison itself is exact)."""
    return _q(points * tolerance_percent / HUNDRED)


def mean(first: Decimal, second: Decimal) -> Decimal:
    """The mean of two marks, rounded to 0.01 half up."""
    return _q((first + second) / 2)


def slot_state(marks: Sequence[GivenMark], *, double: bool, points: Decimal,
               tolerance_percent: Decimal) -> SlotState:
    """What the marks given so far decide, and which rounds are still open."""
    by_round = {m.round: m for m in marks}
    if Round.RECONCILE in by_round:
        return SlotState((), by_round[Round.RECONCILE].total, Method.RECONCILED, True)
    if not double:
        if by_round:
            only = by_round.get(Round.FIRST) or next(iter(by_round.values()))
            return SlotState((), only.total, Method.SINGLE)
        return SlotState((Round.FIRST,))
    first, second = by_round.get(Round.FIRST), by_round.get(Round.SECOND)
    if first is None or second is None:
        return SlotState(tuple(r for r in (Round.FIRST, Round.SECOND) if r not in by_round))
    if agree(first.total, second.total, points, tolerance_percent):
        return SlotState((), mean(first.total, second.total), Method.MEAN)
    return SlotState((Round.RECONCILE,), disagree=True)


def may_mark(marker_id: int, marks: Sequence[GivenMark], round_: Round) -> bool:
    """A marker gives at most one mark per slot (so a reconciler is a third person)."""
    return all(m.marker_id != marker_id for m in marks) and round_ not in {m.round for m in marks}


# ---------------------------------------------------------------- the mean's detail


def mean_result(first: ItemResult, second: ItemResult) -> ItemResult:
    """The detail of a mean mark: the item's and each scored part's score averaged
    (each rounded to 0.01 half up, so parts may not add up to the total to the cent)."""
    return replace(first, score=_mean_or_none(first.score, second.score),
                   correct=_correctness(_mean_or_none(first.score, second.score),
                                        first.max_score),
                   parts=tuple(_mean_part(p, q) for p, q in zip(first.parts, second.parts,
                                                                strict=True)))


def _mean_or_none(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else mean(a, b)


def _mean_part(first: PartResult, second: PartResult) -> PartResult:
    result = None
    if first.result is not None and second.result is not None:
        result = mean_result(first.result, second.result)
    score = _mean_or_none(first.score, second.score)
    correct = first.correct if first.score == second.score else _correctness(
        score, first.max_score)
    return replace(first, score=score, correct=correct, result=result)


def _correctness(score: Decimal | None, points: Decimal) -> bool | None:
    """As scoring judges it: full points right, zero wrong, anything between partial."""
    if score is None:
        return None
    if score >= points:
        return True
    return False if score <= 0 else None


# ---------------------------------------------------------------- anonymity


def anonymous_code(secret: str | bytes, attempt_id: int) -> str:
    """The code a marker sees instead of the candidate: stable per attempt, 8 characters
    of base32 of an HMAC-SHA256 of the attempt id under the application's secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"essay-marking:{attempt_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]
