"""Marking a frozen exam paper, the pure part.

``grade_paper(items, specs, responses, pass_percent=…, min_percent=…)`` takes the
paper's items (`paper_items` reads them from the frozen paper on the attempt),
the question versions' specs and the candidate's raw responses (see
`lms.domain.responses`; None or a missing slot = unanswered) and returns a
`GradeResult`: each slot's score and status, each section against its minimum,
the total, the percentage and the verdict.

Rules:

* Every item is scored by `lms.domain.scoring.score_item` with the item's own
  seed (parametric values); nothing here re-implements scoring.
* The paper's points are what an item is worth in the exam (the blueprint
  section's points per item), which may differ from the points the question
  was written with: the score is scaled by ``points / spec points`` and
  quantised to 0.01 half up (`scaled`). The stored detail (`SlotGrade.detail`)
  is the unscaled `ItemResult`, so a marker can complete it with
  `mark_essay` / `mark_case_study` and scale again.
* Essays, and case studies with an essay part, are ``pending_manual`` (their
  auto parts are scored in the detail); so is an item whose key cannot be
  computed for this candidate (``reason = "scoring_failed"``: a trainer must
  fix the key and regrade). A blank essay scores 0 at once (scoring's rule).
* While anything is pending, the total counts only what is marked, and
  ``passed`` and the ``met`` of sections holding a pending item are None.
* Passing needs the total at or above the pass mark AND every section at or
  above its minimum; percentages are compared unrounded (79.996 % fails 80 %).

Stored page answers are form fields (``s<slot>…`` → [values]);
`response_from_fields` turns them into the raw response for one item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from lms.domain.items import (
    CaseStudySpec,
    EssaySpec,
    ItemSpec,
    ItemSpecError,
)
from lms.domain.practice import response_from_form
from lms.domain.scoring import ItemResult, score_item

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


class SlotStatus(StrEnum):
    AUTO = "auto"  #: scored by the machine; final
    PENDING_MANUAL = "pending_manual"  #: waits for a marker (essay) or a fixed key
    MANUAL = "manual"  #: marked by a person (essay marking: `lms.domain.essay_marking`)
    #: later issues add: regraded


@dataclass(frozen=True)
class GradeItem:
    """One slot of the frozen paper, as marking needs it."""

    slot: int
    section: str
    question_id: int
    version_id: int
    points: Decimal
    seed: int


def paper_items(paper: Mapping[str, Any] | None) -> list[GradeItem]:
    """The slots of a frozen paper (`lms.domain.assembly.Paper.to_dict`), in order."""
    return [GradeItem(slot, str(item["section"]), int(item["question_id"]),
                      int(item["version_id"]), Decimal(str(item["points"])), int(item["seed"]))
            for slot, item in enumerate((paper or {}).get("items", []))]


def section_minimums(paper: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """Section key → minimum percentage, from the rules frozen with the paper."""
    raw = ((paper or {}).get("rules") or {}).get("min_percent") or {}
    minimums = {}
    for key, value in raw.items():
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            continue
        if number.is_finite() and number > 0:
            minimums[str(key)] = number
    return minimums


@dataclass(frozen=True)
class SlotGrade:
    slot: int
    section: str
    question_id: int
    version_id: int
    points: Decimal  #: what the slot is worth in this exam
    score: Decimal | None  #: scaled to ``points``; None while pending
    status: SlotStatus
    result: ItemResult  #: unscaled, at the spec's points

    @property
    def detail(self) -> dict[str, Any]:
        """JSON-ready detail for the score row: the unscaled result (parts, reason)."""
        return self.result.to_dict()


@dataclass(frozen=True)
class SectionGrade:
    key: str
    score: Decimal
    max_score: Decimal
    min_percent: Decimal | None
    met: bool | None  #: None while one of its items is pending (or with no minimum: True)
    pending: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "score": str(self.score), "max": str(self.max_score),
                "min_percent": None if self.min_percent is None else str(self.min_percent),
                "met": self.met, "pending": self.pending}


@dataclass(frozen=True)
class GradeResult:
    slots: tuple[SlotGrade, ...]
    sections: tuple[SectionGrade, ...]
    score: Decimal  #: marked points so far (final when nothing is pending)
    max_score: Decimal
    percent: Decimal  #: rounded half up to 0.01, for display
    passed: bool | None  #: None while anything is pending
    pending_manual: int = 0
    pass_percent: Decimal = field(default=Decimal(0))

    @property
    def complete(self) -> bool:
        return self.pending_manual == 0


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def scaled(result: ItemResult, points: Decimal) -> Decimal | None:
    """``result``'s score in an exam where the item is worth ``points``."""
    if result.score is None:
        return None
    if result.max_score == points:
        return result.score
    if not result.max_score:
        return ZERO
    return _q(result.score * points / result.max_score)


def at_least(score: Decimal, max_score: Decimal, percent: Decimal) -> bool:
    """``score`` is at least ``percent`` % of ``max_score``, compared without rounding."""
    return score * HUNDRED >= percent * max_score


def grade_item(item: GradeItem, spec: ItemSpec, response: Any, *,
               calculators=None) -> SlotGrade:
    """One slot: scored, scaled to the paper's points and given its status."""
    try:
        result = score_item(spec, response, seed=item.seed, calculators=calculators)
    except (ItemSpecError, ValueError):
        # the key cannot be computed for this candidate: a person must look at it
        result = ItemResult(None, _q(spec.points), None, needs_marking=True,
                            reason="scoring_failed")
    pending = result.needs_marking or result.score is None
    return SlotGrade(item.slot, item.section, item.question_id, item.version_id,
                     _q(item.points), None if pending else scaled(result, item.points),
                     SlotStatus.PENDING_MANUAL if pending else SlotStatus.AUTO, result)


def grade_paper(items: Sequence[GradeItem], specs: Mapping[int, ItemSpec],
                responses: Mapping[int, Any], *, pass_percent: Decimal,
                min_percent: Mapping[str, Decimal] | None = None,
                calculators=None) -> GradeResult:
    """Mark a whole paper; see the module docstring.

    :param specs: version id → spec, for every version the items name.
    :param responses: slot → raw response; a missing slot is unanswered.
    """
    slots = tuple(grade_item(item, specs[item.version_id], responses.get(item.slot),
                             calculators=calculators) for item in items)
    return summarise(slots, pass_percent=pass_percent, min_percent=min_percent)


def summarise(slots: Sequence[SlotGrade], *, pass_percent: Decimal,
              min_percent: Mapping[str, Decimal] | None = None) -> GradeResult:
    """Sections, total and verdict from slot grades (also after a marker's marks)."""
    minimums = min_percent or {}
    order: dict[str, list[SlotGrade]] = {}
    for grade in slots:
        order.setdefault(grade.section, []).append(grade)
    sections = tuple(_section(key, grades, minimums.get(key)) for key, grades in order.items())
    score = sum((g.score for g in slots if g.score is not None), ZERO)
    max_score = sum((g.points for g in slots), ZERO)
    pending = sum(1 for g in slots if g.status is SlotStatus.PENDING_MANUAL)
    percent = _q(score * HUNDRED / max_score) if max_score else ZERO
    passed = None if pending else (max_score > 0 and at_least(score, max_score, pass_percent)
                                   and all(s.met for s in sections))
    return GradeResult(tuple(slots), sections, _q(score), _q(max_score), percent, passed,
                       pending, Decimal(pass_percent))


def _section(key: str, grades: list[SlotGrade], minimum: Decimal | None) -> SectionGrade:
    score = sum((g.score for g in grades if g.score is not None), ZERO)
    max_score = sum((g.points for g in grades), ZERO)
    pending = sum(1 for g in grades if g.status is SlotStatus.PENDING_MANUAL)
    if minimum is None:
        met: bool | None = True
    elif pending and not at_least(score, max_score, minimum):
        met = None  # a marker's points may still lift it
    else:
        met = at_least(score, max_score, minimum)
    return SectionGrade(key, _q(score), _q(max_score), minimum, met, pending)


# ---------------------------------------------------------------- stored page answers


def response_from_fields(spec: ItemSpec, fields: Mapping[str, Sequence[str]] | None,
                         prefix: str) -> Any:
    """The raw response of one item from the exam page's fields (None: unanswered).

    Field names as the page writes them (``templates/courses/_quiz.html``):
    ``prefix`` for choices, true/false, numbers and essays; ``prefix-<n>`` for
    blank n; ``prefix-<left id>`` / ``prefix-<item id>`` for matching and
    ordering; ``prefix.<sub id>…`` for a case study's sub-items.
    """
    if not fields or not isinstance(fields, Mapping):
        return None
    if isinstance(spec, EssaySpec):
        values = fields.get(prefix) or [""]
        text = values[0] if isinstance(values[0], str) else ""
        return text if text.strip() else None
    if isinstance(spec, CaseStudySpec):
        answers = {sub.id: response_from_fields(sub.spec, fields, f"{prefix}.{sub.id}")
                   for sub in spec.sub_items}
        return {key: raw for key, raw in answers.items() if raw is not None} or None
    raw = response_from_form(spec, _view_of(spec), fields, prefix)
    if isinstance(raw, dict) and not any(v for v in raw.values()):
        return None  # every blank or row left empty
    if raw == [] and not _touched(fields, prefix):
        return None  # no choice ticked (the page posts the field with no values)
    return raw


def _touched(fields: Mapping[str, Sequence[str]], prefix: str) -> bool:
    """Whether any field of ``prefix`` holds a non-blank value."""
    return any((name == prefix or name.startswith((prefix + "-", prefix + ".")))
               and any(isinstance(v, str) and v.strip() for v in values)
               for name, values in fields.items())


def _view_of(spec: ItemSpec) -> dict[str, Any]:
    """The parts of a candidate view `response_from_form` reads, from the spec itself."""
    view: dict[str, Any] = {}
    if hasattr(spec, "blanks"):
        view["blanks"] = [b.number for b in spec.blanks]
    if hasattr(spec, "lefts"):
        view["lefts"] = [{"id": e.id} for e in spec.lefts]
    if hasattr(spec, "items"):
        view["items"] = [{"id": e.id} for e in spec.items]
    return view
