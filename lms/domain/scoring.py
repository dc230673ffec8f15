"""Scoring one item: ``score_item(spec, response, *, seed=None) -> ItemResult``.

``response`` may be raw JSON (as stored from the browser) or a typed response
(see `lms.domain.responses`). Nothing a candidate sends can make scoring
raise: a response of the wrong shape scores 0 with ``reason`` saying why.
What can raise is the caller's side — a parametric item without a seed
(ValueError), or a parametric instance the spec cannot compute (ItemSpecError).

Rules:

* Scores are quantised to 0.01 with ROUND_HALF_UP, after clamping to
  ``[0, points]`` (``[-points, points]`` for choice items with
  ``floor_at_zero=False``). Part scores are quantised separately, so they may
  not add up to the item score to the cent.
* ``correct`` is True at full points, False at zero or below, None for partial
  credit and for anything awaiting a marker.
* Essays (and case studies containing one) return ``needs_marking=True`` and
  ``score=None``; `mark_essay` / `mark_case_study` turn a marker's rubric marks
  into the final result. A blank essay scores 0 without marking.
* Case-study sub-items are scored independently (garbage in one does not
  cost the others) with the seed ``derive_seed(seed, sub_id)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from lms.domain.codec import PathError, decode, decode_decimal, encode
from lms.domain.items import (
    CENT,
    HUNDRED,
    Blank,
    CaseStudySpec,
    Choice,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderingSpec,
    OrderScoring,
    ParametricSpec,
    Scoring,
    SingleChoiceSpec,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
)
from lms.domain.parametric import CalculatorRegistry, compute_answer, format_answer, instantiate
from lms.domain.responses import (
    RESPONSE_TYPES,
    EssayResponse,
    FillBlankResponse,
    MatchingResponse,
    MultipleChoiceResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    ResponseError,
    SingleChoiceResponse,
    TrueFalseResponse,
    parse_response,
)
from lms.domain.seeding import check_seed, derive_seed

ZERO = Decimal("0.00")  #: zero in cents, so every score prints the same way
_LATIN_RUN = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class PartResult:
    """Feedback for one part: a choice, blank, pair, position, criterion or sub-item."""

    key: str
    score: Decimal | None  #: None when the part is not scored on its own or awaits marking
    max_score: Decimal
    correct: bool | None
    detail: str = ""  #: e.g. "selected", "blank", the expected value of a parametric item
    result: ItemResult | None = None  #: a case-study sub-item's own result


@dataclass(frozen=True)
class ItemResult:
    """The outcome of scoring one item. It reveals the key: show it only after the attempt."""

    score: Decimal | None  #: None while a marker still has to mark it
    max_score: Decimal
    correct: bool | None
    needs_marking: bool = False
    parts: tuple[PartResult, ...] = ()
    reason: str = ""  #: unanswered, wrong_shape, wrong_unit, over_word_limit, not_scored …

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data for storing on the answer row."""
        return encode(self)

    @classmethod
    def from_dict(cls, data: Any) -> ItemResult:
        """Read back what `to_dict` wrote; raises `lms.domain.codec.PathError`."""
        return decode(cls, data)


@dataclass(frozen=True)
class _Context:
    seed: int | None
    calculators: CalculatorRegistry | None


def score_item(spec: ItemSpec, response: Any, *, seed: int | None = None,
               calculators: CalculatorRegistry | None = None) -> ItemResult:
    """Score ``response`` (raw or typed) against ``spec``; see the module docstring.

    ``seed`` is the item's seed, needed by parametric items (and case studies
    containing them); ``calculators`` defaults to the application's registry.
    """
    if isinstance(spec, DescriptionSpec):
        return ItemResult(ZERO, ZERO, None, reason="not_scored")
    context = _Context(seed, calculators)
    if isinstance(spec, CaseStudySpec):
        return _score_case_study(spec, response, context)
    if isinstance(spec, ParametricSpec):
        check_seed(seed)
    if isinstance(response, Response) and not isinstance(response, RESPONSE_TYPES[type(spec)]):
        return _zero(spec, "wrong_response_type")
    try:
        typed = parse_response(spec, response)
    except ResponseError as err:
        return _zero(spec, err.code)
    return _SCORERS[type(spec)](spec, typed, context)


# ---------------------------------------------------------------- assembling results


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _zero(spec: ItemSpec, reason: str) -> ItemResult:
    return ItemResult(ZERO, _q(spec.points), False, reason=reason)


def _finish(spec: ItemSpec, raw_score: Decimal, parts: tuple[PartResult, ...] = (),
            reason: str = "") -> ItemResult:
    """Clamp, quantise and judge correctness in one place for every auto-scored type."""
    floor = ZERO if getattr(spec, "floor_at_zero", True) else -spec.points
    score = _q(min(max(raw_score, floor), spec.points))
    return ItemResult(score, _q(spec.points), _correctness(score, spec.points), parts=parts,
                      reason=reason)


def _all_or_nothing(spec: ItemSpec, parts: tuple[PartResult, ...]) -> ItemResult:
    """Full points when every part is right; parts then only say right or wrong."""
    earned = spec.points if all(p.correct for p in parts) else ZERO
    return _finish(spec, earned, tuple(replace(p, score=None, max_score=ZERO) for p in parts))


def _correctness(score: Decimal, points: Decimal) -> bool | None:
    if score >= points:
        return True
    return False if score <= 0 else None


def _share(spec: ItemSpec, weight: Decimal) -> Decimal:
    """``weight`` percent of the item's points."""
    return spec.points * weight / HUNDRED


# ---------------------------------------------------------------- choices


def _score_single(spec: SingleChoiceSpec, response: SingleChoiceResponse,
                  context: _Context) -> ItemResult:
    choice = next(c for c in spec.choices if c.id == response.choice)
    part = PartResult(choice.id, _q(_share(spec, choice.weight)), _q(spec.points),
                      choice.weight == HUNDRED, "selected")
    return _finish(spec, _share(spec, choice.weight), (part,))


def _score_multiple(spec: MultipleChoiceSpec, response: MultipleChoiceResponse,
                    context: _Context) -> ItemResult:
    chosen = set(response.choices)
    parts = tuple(_choice_part(spec, choice, choice.id in chosen) for choice in spec.choices)
    if spec.scoring is Scoring.ALL_OR_NOTHING:
        # every part right means exactly the positive-weight choices were chosen
        return _all_or_nothing(spec, parts)
    total = sum((c.weight for c in spec.choices if c.id in chosen), ZERO)
    return _finish(spec, _share(spec, total), parts)


def _choice_part(spec: MultipleChoiceSpec, choice: Choice, selected: bool) -> PartResult:
    # a part is "correct" when the candidate treated the choice as the key does
    return PartResult(choice.id, _q(_share(spec, choice.weight)) if selected else ZERO,
                      _q(_share(spec, max(choice.weight, ZERO))), selected == (choice.weight > 0),
                      "selected" if selected else "not_selected")


def _score_true_false(spec: TrueFalseSpec, response: TrueFalseResponse,
                      context: _Context) -> ItemResult:
    right = response.value == spec.answer
    part = PartResult("answer", None, _q(spec.points), right, str(response.value).lower())
    return _finish(spec, spec.points if right else ZERO, (part,))


# ---------------------------------------------------------------- fill in the blank


def normalise_blank(text: str, blank: Blank) -> str:
    """``text`` as `Blank` compares it: trimmed, then width, spaces and case per the blank."""
    if blank.fold_width:
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    # str.split() with no argument also splits on the ideographic space U+3000
    text = "".join(text.split()) if blank.ignore_spaces else " ".join(text.split())
    return text if blank.case_sensitive else text.casefold()


def blank_accepts(blank: Blank, text: str) -> bool:
    """Whether ``text`` is an accepted answer for ``blank`` (after normalisation)."""
    answer = normalise_blank(text, blank)
    if not answer:
        return False
    if any(answer == normalise_blank(accepted, blank) for accepted in blank.accepted):
        return True
    if blank.pattern is None:
        return False
    flags = 0 if blank.case_sensitive else re.IGNORECASE
    return re.fullmatch(blank.pattern, answer, flags) is not None


def _score_fill_blank(spec: FillBlankSpec, response: FillBlankResponse,
                      context: _Context) -> ItemResult:
    total_weight = sum((b.weight for b in spec.blanks), ZERO)
    parts, earned = [], ZERO
    for blank, text in zip(spec.blanks, response.answers, strict=True):
        share = spec.points * blank.weight / total_weight
        right = blank_accepts(blank, text)
        earned += share if right else ZERO
        parts.append(PartResult(str(blank.number), _q(share) if right else ZERO, _q(share),
                                right, "" if text.strip() else "blank"))
    if spec.scoring is Scoring.ALL_OR_NOTHING:
        return _all_or_nothing(spec, tuple(parts))
    return _finish(spec, earned, tuple(parts))


# ---------------------------------------------------------------- numbers


def within_tolerance(value: Decimal, target: Decimal, tolerance: Decimal,
                     kind: ToleranceKind) -> bool:
    """``|value - target| <= tolerance`` (relative: ``<= |target| * tolerance``); edges count."""
    allowed = tolerance if kind is ToleranceKind.ABSOLUTE else abs(target) * tolerance
    return abs(value - target) <= allowed


def _unit_problem(spec: NumericSpec | ParametricSpec, unit: str) -> str:
    """"" when the written unit is acceptable, else the reason it is not."""
    if not unit:
        return "missing_unit" if spec.unit_policy is UnitPolicy.REQUIRED else ""
    expected = unicodedata.normalize("NFKC", spec.unit or "").strip().casefold()
    return "" if unit.casefold() == expected else "wrong_unit"


def _best_answer(spec: NumericSpec, value: Decimal) -> NumericAnswer | None:
    """The highest-weighted accepted answer ``value`` is within tolerance of."""
    near = [a for a in spec.answers
            if within_tolerance(value, a.value, a.tolerance, a.tolerance_kind)]
    return max(near, key=lambda a: a.weight, default=None)


def _score_numeric(spec: NumericSpec, response: NumericResponse,
                   context: _Context) -> ItemResult:
    problem = _unit_problem(spec, response.unit)
    if problem:
        return _zero(spec, problem)
    best = _best_answer(spec, response.value)
    weight = best.weight if best else ZERO
    part = PartResult("value", _q(_share(spec, weight)), _q(spec.points), weight == HUNDRED,
                      "within_tolerance" if best else "outside_tolerance")
    return _finish(spec, _share(spec, weight), (part,))


def _score_parametric(spec: ParametricSpec, response: NumericResponse,
                      context: _Context) -> ItemResult:
    problem = _unit_problem(spec, response.unit)
    if problem:
        return _zero(spec, problem)
    values = instantiate(spec, check_seed(context.seed))
    expected = compute_answer(spec, values, context.calculators)
    right = within_tolerance(response.value, expected, spec.tolerance, spec.tolerance_kind)
    part = PartResult("value", _q(spec.points) if right else ZERO, _q(spec.points), right,
                      format_answer(spec, expected))
    return _finish(spec, spec.points if right else ZERO, (part,))


# ---------------------------------------------------------------- matching and ordering


def _score_matching(spec: MatchingSpec, response: MatchingResponse,
                    context: _Context) -> ItemResult:
    given, key = dict(response.pairs), spec.key
    share = spec.points / len(spec.lefts)
    parts = tuple(PartResult(left.id, _q(share) if given.get(left.id) == key[left.id] else ZERO,
                             _q(share), given.get(left.id) == key[left.id],
                             "" if left.id in given else "blank") for left in spec.lefts)
    if spec.scoring is Scoring.ALL_OR_NOTHING:
        return _all_or_nothing(spec, parts)
    return _finish(spec, share * sum(1 for p in parts if p.correct), parts)


def _score_ordering(spec: OrderingSpec, response: OrderingResponse,
                    context: _Context) -> ItemResult:
    key = tuple(e.id for e in spec.items)
    if spec.scoring is OrderScoring.ADJACENT_PAIRS:
        given = set(pairwise(response.sequence))
        checks = [(f"{a}>{b}", (a, b) in given) for a, b in pairwise(key)]
    else:
        checks = [(str(i + 1), got == want)
                  for i, (got, want) in enumerate(zip(response.sequence, key, strict=True))]
    share = spec.points / len(checks)
    parts = tuple(PartResult(name, _q(share) if ok else ZERO, _q(share), ok)
                  for name, ok in checks)
    if spec.scoring is OrderScoring.ALL_OR_NOTHING:
        return _all_or_nothing(spec, parts)
    return _finish(spec, share * sum(1 for _, ok in checks if ok), parts)


# ---------------------------------------------------------------- essays


def word_count(text: str) -> int:
    """字数 as Word counts it: each CJK character or full-width mark is 1, a Latin word 1."""
    latin = len(_LATIN_RUN.findall(text))
    rest = _LATIN_RUN.sub(" ", text)
    return latin + sum(1 for char in rest if not char.isspace() and unicodedata.east_asian_width(
        char) in ("W", "F"))


def _score_essay(spec: EssaySpec, response: EssayResponse, context: _Context) -> ItemResult:
    if not response.text.strip():
        return _zero(spec, "unanswered")
    count = word_count(response.text)
    over = spec.word_limit is not None and count > spec.word_limit
    parts = tuple(PartResult(c.id, None, _q(c.points), None) for c in spec.rubric)
    parts += (PartResult("word_count", None, ZERO, None, f"{count}/{spec.word_limit or '-'}"),)
    return ItemResult(None, _q(spec.points), None, needs_marking=True, parts=parts,
                      reason="over_word_limit" if over else "")


class MarkingError(ValueError):
    """A marker's marks that do not fit the rubric: ``key`` names the criterion or sub-item."""

    def __init__(self, key: str, code: str):
        super().__init__(f"{key}: {code}")
        self.key = key
        self.code = code


def total_rubric_marking(spec: EssaySpec, marks: Mapping[str, Any]) -> Decimal:
    """The sum of a marker's marks, each checked: 0 ≤ mark ≤ criterion points, in cents.

    ``marks`` maps every criterion id to a Decimal, int or numeric string.
    """
    unknown = sorted(set(marks) - {c.id for c in spec.rubric})
    if unknown:
        raise MarkingError(str(unknown[0]), "unknown_criterion")
    return sum((_criterion_mark(c.id, c.points, marks) for c in spec.rubric), ZERO)


def _criterion_mark(key: str, points: Decimal, marks: Mapping[str, Any]) -> Decimal:
    if key not in marks:
        raise MarkingError(key, "missing")
    try:
        mark = decode_decimal(marks[key])
    except PathError:
        raise MarkingError(key, "not_a_number") from None
    if not ZERO <= mark <= points:
        raise MarkingError(key, "out_of_range")
    if mark != mark.quantize(CENT):
        raise MarkingError(key, "too_precise")
    return mark


def mark_essay(spec: EssaySpec, marks: Mapping[str, Any],
               result: ItemResult | None = None) -> ItemResult:
    """The final result of an essay once a marker has marked each rubric criterion."""
    total = total_rubric_marking(spec, marks)
    parts = tuple(PartResult(c.id, _q(decode_decimal(marks[c.id])), _q(c.points), None)
                  for c in spec.rubric)
    kept = tuple(p for p in (result.parts if result else ()) if p.key == "word_count")
    return ItemResult(_q(total), _q(spec.points), _correctness(total, spec.points),
                      parts=parts + kept, reason=result.reason if result else "")


# ---------------------------------------------------------------- case studies


def _score_case_study(spec: CaseStudySpec, response: Any, context: _Context) -> ItemResult:
    if isinstance(response, Response):
        response = response.to_raw()
    if response is not None and not isinstance(response, dict):
        response = {}  # every sub-item then scores as unanswered
        reason = "wrong_shape"
    else:
        response, reason = response or {}, ""
    parts = tuple(_sub_part(sub.id, sub.spec, response.get(sub.id), context)
                  for sub in spec.sub_items)
    return _combine(spec, parts, reason)


def _sub_part(key: str, spec: ItemSpec, raw: Any, context: _Context) -> PartResult:
    seed = None if context.seed is None else derive_seed(context.seed, key)
    result = score_item(spec, raw, seed=seed, calculators=context.calculators)
    return PartResult(key, result.score, result.max_score, result.correct, result.reason, result)


def _combine(spec: CaseStudySpec, parts: tuple[PartResult, ...], reason: str = "") -> ItemResult:
    if any(p.result is not None and p.result.needs_marking for p in parts):
        return ItemResult(None, _q(spec.points), None, needs_marking=True, parts=parts,
                          reason=reason)
    total = sum((p.score or ZERO for p in parts), ZERO)
    return ItemResult(_q(total), _q(spec.points), _correctness(total, spec.points),
                      parts=parts, reason=reason)


def mark_case_study(spec: CaseStudySpec, result: ItemResult,
                    marks: Mapping[str, Mapping[str, Any]]) -> ItemResult:
    """Complete a case study's ``result`` with rubric marks for each essay sub-item.

    ``marks`` maps each sub-item id awaiting marking to its criterion marks.
    """
    subs = {sub.id: sub.spec for sub in spec.sub_items}
    waiting = {p.key for p in result.parts if p.result is not None and p.result.needs_marking}
    for key in marks:
        if key not in waiting:
            raise MarkingError(str(key), "not_awaiting_marking")
    parts = tuple(_mark_part(part, subs[part.key], marks) if part.key in waiting else part
                  for part in result.parts)
    return _combine(spec, parts, result.reason)


def _mark_part(part: PartResult, essay: ItemSpec, marks: Mapping[str, Mapping[str, Any]],
               ) -> PartResult:
    if part.key not in marks:
        raise MarkingError(part.key, "missing")
    assert isinstance(essay, EssaySpec)  # only essays await marking
    marked = mark_essay(essay, marks[part.key], part.result)
    return replace(part, score=marked.score, correct=marked.correct, result=marked)


_SCORERS: dict[type[ItemSpec], Callable[[Any, Any, _Context], ItemResult]] = {
    SingleChoiceSpec: _score_single,
    MultipleChoiceSpec: _score_multiple,
    TrueFalseSpec: _score_true_false,
    FillBlankSpec: _score_fill_blank,
    NumericSpec: _score_numeric,
    ParametricSpec: _score_parametric,
    MatchingSpec: _score_matching,
    OrderingSpec: _score_ordering,
    EssaySpec: _score_essay,
}
