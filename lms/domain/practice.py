"""Practice quizzes, the pure part: which items qualify, drawing, reading the
form, the answer key for feedback, and summing up an attempt.

A practice quiz draws ``count`` approved items from a bank's questions tagged
with any of the quiz's knowledge points. Everything random comes from the
attempt's seed through `lms.domain.seeding`, so an attempt can be shown and
scored again exactly as it was.

Form fields (``prefix`` is the item's, e.g. ``q3``): ``prefix`` holds the
answer of single and multiple choice, true/false (``true``/``false``) and
numeric items; ``prefix-<n>`` blank ``n`` of a fill-in item;
``prefix-<left id>`` the right id chosen for a matching row;
``prefix-<item id>`` the position (1, 2 …) given to an ordering item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lms.domain.items import (
    HUNDRED,
    FillBlankSpec,
    ItemSpec,
    ItemType,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericSpec,
    OrderingSpec,
    ParametricSpec,
    SingleChoiceSpec,
    TrueFalseSpec,
)
from lms.domain.parametric import compute_answer, format_answer, format_value, instantiate
from lms.domain.scoring import ItemResult
from lms.domain.seeding import derive_seed, stable_shuffle

#: item types a practice quiz may hold: those scored at once, without a marker
PRACTICE_TYPES = frozenset({
    ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.TRUE_FALSE, ItemType.FILL_BLANK,
    ItemType.NUMERIC, ItemType.PARAMETRIC, ItemType.MATCHING, ItemType.ORDERING,
})
MAX_ITEMS = 50
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def draw(pool: Iterable[int], count: int, seed: int) -> tuple[int, ...]:
    """``count`` ids sampled without replacement from ``pool`` (fewer if it is smaller).

    The same pool and seed always give the same ids in the same order; the
    order of ``pool`` does not matter.
    """
    ordered = sorted(set(pool))
    return stable_shuffle(ordered, derive_seed(seed, "draw"))[:max(0, count)]


def item_seed(seed: int, version_id: int) -> int:
    """The seed of one drawn item (option order, parametric values)."""
    return derive_seed(seed, "item", str(version_id))


# ---------------------------------------------------------------- summing up


def passes(score: Decimal, max_score: Decimal, pass_percent: int) -> bool:
    """``score`` is at least ``pass_percent`` % of ``max_score`` (exactly at it passes).

    Compared without rounding, so 79.996 % does not pass an 80 % threshold.
    """
    return max_score > 0 and score * HUNDRED >= Decimal(pass_percent) * max_score


@dataclass(frozen=True)
class Summary:
    score: Decimal
    max_score: Decimal
    percent: Decimal  #: rounded half up to 0.01, for display
    passed: bool


def summarise(results: Sequence[ItemResult], pass_percent: int) -> Summary:
    """The attempt's total, percentage and verdict against ``pass_percent``."""
    score = sum((r.score or ZERO for r in results), ZERO)
    max_score = sum((r.max_score for r in results), ZERO)
    percent = (score * HUNDRED / max_score).quantize(CENT, ROUND_HALF_UP) if max_score else ZERO
    return Summary(score, max_score, percent, passes(score, max_score, pass_percent))


@dataclass(frozen=True)
class QuizStatus:
    """A learner's record on one module quiz (submitted attempts only)."""

    attempts: int = 0
    best_percent: Decimal | None = None
    passed: bool = False

    @property
    def state(self) -> str:
        """``not_started``, ``attempted`` or ``passed``."""
        if self.passed:
            return "passed"
        return "attempted" if self.attempts else "not_started"


# ---------------------------------------------------------------- the form


def response_from_form(spec: ItemSpec, view: Mapping[str, Any], form: Mapping[str, Sequence[str]],
                       prefix: str) -> Any:
    """The raw response (see `lms.domain.responses`) posted for one item.

    ``view`` is the item's `candidate_view`; ``form`` maps field names to their
    posted values (``MultiDict.to_dict(flat=False)``). None means unanswered.
    """

    def one(name: str) -> str:
        values = form.get(name) or [""]
        return values[0].strip()

    if isinstance(spec, SingleChoiceSpec):
        return one(prefix) or None
    if isinstance(spec, MultipleChoiceSpec):
        return [v for v in form.get(prefix, []) if v]
    if isinstance(spec, TrueFalseSpec):
        return {"true": True, "false": False}.get(one(prefix))
    if isinstance(spec, FillBlankSpec):
        return {str(n): one(f"{prefix}-{n}") for n in view["blanks"]}
    if isinstance(spec, NumericSpec | ParametricSpec):
        return one(prefix) or None
    if isinstance(spec, MatchingSpec):
        return {left["id"]: one(f"{prefix}-{left['id']}") or None for left in view["lefts"]}
    if isinstance(spec, OrderingSpec):
        return _sequence(view["items"], form, prefix)
    return None


def _sequence(items: list[dict], form: Mapping[str, Sequence[str]], prefix: str) -> Any:
    """Ordering: item ids sorted by the positions given; [] (not a permutation) when two
    items share a place or one is missing, None when none was placed."""
    positions = {}
    for item in items:
        text = (form.get(f"{prefix}-{item['id']}") or [""])[0].strip()
        if text.isdigit():
            positions[item["id"]] = int(text)
    if not positions:
        return None
    if sorted(positions.values()) != list(range(1, len(items) + 1)):
        return []
    return sorted(positions, key=positions.__getitem__)


# ---------------------------------------------------------------- the key, for feedback


def answer_key(spec: ItemSpec, seed: int) -> dict[str, Any]:
    """What the correct answer is, for showing after submission (never before).

    Choice ids under ``choices``; ``answer`` (bool) for true/false; ``blanks``
    [(number, accepted answers)]; ``values`` [formatted numbers] and ``unit``
    for numeric and parametric items; ``pairs`` {left id: right id};
    ``sequence`` [item ids in the right order].
    """
    if isinstance(spec, SingleChoiceSpec):
        return {"choices": [c.id for c in spec.choices if c.weight == HUNDRED]}
    if isinstance(spec, MultipleChoiceSpec):
        return {"choices": [c.id for c in spec.choices if c.weight > 0]}
    if isinstance(spec, TrueFalseSpec):
        return {"answer": spec.answer}
    if isinstance(spec, FillBlankSpec):
        return {"blanks": [(b.number, list(b.accepted) or [b.pattern or ""]) for b in spec.blanks]}
    if isinstance(spec, NumericSpec):
        return {"values": [_numeric_value(a.value, a.tolerance, a.tolerance_kind.value)
                           for a in spec.answers if a.weight == HUNDRED], "unit": spec.unit}
    if isinstance(spec, ParametricSpec):
        answer = compute_answer(spec, instantiate(spec, seed))
        return {"values": [format_answer(spec, answer)], "unit": spec.unit}
    if isinstance(spec, MatchingSpec):
        return {"pairs": spec.key}
    if isinstance(spec, OrderingSpec):
        return {"sequence": [e.id for e in spec.items]}
    return {}


def _numeric_value(value: Decimal, tolerance: Decimal, kind: str) -> str:
    places = max(0, -int(value.as_tuple().exponent))
    text = format_value(value, places)
    if not tolerance:
        return text
    if kind == "relative":
        return f"{text} ± {format_value(tolerance * HUNDRED, 0)}%"
    return f"{text} ± {tolerance.normalize():f}"
