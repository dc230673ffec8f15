"""Key correction, regrade and score corrections, the pure part.

A trainer fixes a wrong key by writing a new version of the question; the officer
then *regrades*: every machine-marked slot that used the question is scored again
with the new version's spec, and each touched attempt's result is recomputed with
`lms.domain.grading.summarise`. An upheld appeal corrects one slot's score by hand
and recomputes the result the same way (`corrected`).

Rules:

* A slot a person marked (status ``manual``: essay marks, an earlier upheld appeal)
  is never re-scored by a regrade (`rescore` returns None for it).
* A slot that is pending because its key could not be computed (``reason =
  "scoring_failed"``) is re-scored too: that is what a fixed key is for. A slot
  waiting for an essay marker is not.
* Only a settled grade (the machine's ``auto``, or a person's ``manual``) replaces a
  slot: if
  the new version cannot be scored for this candidate (a type a person must mark,
  a key that fails again) the slot keeps what it has and the change says so
  (``unscorable``).
* A slot changes when its score, status or version differ; an attempt changes when
  one of its slots does. Running the same regrade twice changes nothing the
  second time.
* ``flipped``: the verdict went from pass to fail or back (None → a verdict is not
  a flip: the result was not final before).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from lms.domain.grading import (
    CENT,
    GradeItem,
    GradeResult,
    SlotGrade,
    SlotStatus,
    grade_item,
    summarise,
)
from lms.domain.items import ItemSpec
from lms.domain.scoring import ItemResult

SCORING_FAILED = "scoring_failed"


class CorrectionError(ValueError):
    """A corrected score outside 0 … the slot's points, or with more than two decimals."""


def regradable(status: str, reason: str | None) -> bool:
    """Whether a slot of this status (and stored detail reason) is re-scored by a regrade."""
    if status == SlotStatus.AUTO.value:
        return True
    return status == SlotStatus.PENDING_MANUAL.value and reason == SCORING_FAILED


def rescore(current: SlotGrade, item: GradeItem, spec: ItemSpec, response: Any, *,
            calculators=None) -> SlotGrade | None:
    """``current`` scored again with ``spec`` (the new version; ``item.version_id`` names
    it); None when the slot is not the machine's to re-score (see the module rules)."""
    if not regradable(current.status.value, current.result.reason):
        return None
    return grade_item(item, spec, response, calculators=calculators)


@dataclass(frozen=True)
class SlotChange:
    attempt_id: int
    slot: int
    score_before: Decimal | None
    score_after: Decimal | None
    status_before: str
    status_after: str
    version_before: int
    version_after: int

    @property
    def changed(self) -> bool:
        return (self.score_before != self.score_after or self.status_before != self.status_after
                or self.version_before != self.version_after)

    def audit(self, which: str) -> dict[str, Any]:
        score = self.score_before if which == "before" else self.score_after
        return {"slot": self.slot,
                "score": None if score is None else str(score),
                "status": self.status_before if which == "before" else self.status_after,
                "version_id": self.version_before if which == "before" else self.version_after}


def slot_change(attempt_id: int, current: SlotGrade, new: SlotGrade | None) -> SlotChange:
    """What replacing ``current`` by ``new`` does (None or an unsettled grade: nothing)."""
    after = new if _settled(new) else current
    return SlotChange(attempt_id, current.slot, current.score, after.score,
                      current.status.value, after.status.value, current.version_id,
                      after.version_id)


def _settled(grade: SlotGrade | None) -> bool:
    """A grade that may replace a slot's: the machine's (``auto``) or a person's."""
    return grade is not None and grade.status is not SlotStatus.PENDING_MANUAL


@dataclass(frozen=True)
class ResultBefore:
    """An attempt's stored result, as the change compares it."""

    score: Decimal
    percent: Decimal
    passed: bool | None
    pending_manual: int
    revision: int


@dataclass(frozen=True)
class AttemptChange:
    attempt_id: int
    before: ResultBefore
    after: GradeResult
    slots: tuple[SlotChange, ...]  #: the slots that change
    unscorable: int = 0  #: slots the new version could not settle (left as they are)

    @property
    def changed(self) -> bool:
        return bool(self.slots)

    @property
    def score_changed(self) -> bool:
        return self.before.score != self.after.score

    @property
    def flipped(self) -> bool:
        return (self.before.passed is not None and self.after.passed is not None
                and self.before.passed != self.after.passed)

    @property
    def delta(self) -> Decimal:
        return self.after.score - self.before.score

    def audit_before(self) -> dict[str, Any]:
        return {"score": str(self.before.score), "percent": str(self.before.percent),
                "passed": self.before.passed, "pending_manual": self.before.pending_manual,
                "revision": self.before.revision,
                "slots": [s.audit("before") for s in self.slots]}

    def audit_after(self, reason: str) -> dict[str, Any]:
        return {"score": str(self.after.score), "percent": str(self.after.percent),
                "passed": self.after.passed, "pending_manual": self.after.pending_manual,
                "revision": self.before.revision + 1,
                "slots": [s.audit("after") for s in self.slots], "reason": reason}


def attempt_change(attempt_id: int, before: ResultBefore, slots: Sequence[SlotGrade],
                   new: Mapping[int, SlotGrade | None], *, pass_percent: Decimal,
                   min_percent: Mapping[str, Decimal] | None = None) -> AttemptChange:
    """The attempt's result once the slots of ``new`` (slot → new grade, None: not the
    machine's) replace theirs among ``slots`` (all the attempt's slot grades)."""
    merged: list[SlotGrade] = []
    changes: list[SlotChange] = []
    unscorable = 0
    for grade in slots:
        if grade.slot not in new:
            merged.append(grade)
            continue
        replacement = new[grade.slot]
        if replacement is not None and not _settled(replacement):
            unscorable += 1
        change = slot_change(attempt_id, grade, replacement)
        if change.changed:
            changes.append(change)
            merged.append(replacement)  # type: ignore[arg-type]  # changed ⇒ settled
        else:
            merged.append(grade)
    result = summarise(merged, pass_percent=pass_percent, min_percent=min_percent)
    return AttemptChange(attempt_id, before, result, tuple(changes), unscorable)


def corrected(current: SlotGrade, score: Decimal) -> SlotGrade:
    """``current`` with a score a person gave (an upheld appeal): status ``manual``."""
    if not isinstance(score, Decimal) or not score.is_finite():
        raise CorrectionError("not_a_number")
    if score != score.quantize(CENT):
        raise CorrectionError("too_precise")
    if score < 0 or score > current.points:
        raise CorrectionError("out_of_range")
    return replace(current, score=score.quantize(CENT), status=SlotStatus.MANUAL,
                   result=replace(current.result, needs_marking=False))


def stored_grade(slot: int, section: str, question_id: int, version_id: int, points: Decimal,
                 score: Decimal | None, status: str, reason: str | None = None) -> SlotGrade:
    """A slot grade from a stored score row, as `summarise` and `rescore` read it (the full
    detail is not decoded: they read scores, points, sections, statuses and the reason)."""
    return SlotGrade(slot, section, question_id, version_id, points, score,
                     SlotStatus(status), ItemResult(score, points, None, reason=reason or ""))


__all__ = ["AttemptChange", "CorrectionError", "ResultBefore", "SlotChange",
           "attempt_change", "corrected", "regradable", "rescore", "slot_change",
           "stored_grade"]
