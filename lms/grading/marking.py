"""Auto-marking of finished exam attempts, set-based.

`mark_attempts(ids)` marks every attempt of ``ids`` that is finished (handed in,
timed out or terminated) and not yet marked, in a constant number of
statements whatever the number of attempts and answers:

1. the attempts with their exam's release policy (only unmarked finished ones),
2. their answers, 3. the question versions their papers name,
4. one INSERT … ON CONFLICT DO NOTHING of the `ExamResult` rows, which is the
   claim: an attempt whose row another marker inserted first is skipped, so two
   concurrent markings write one set of rows (the primary key decides),
5. one executemany INSERT of the `ItemScore` rows of the attempts claimed,
6. one guarded UPDATE applying GRADE to those with nothing pending
   (``WHERE state IN (submitted, timed_out, terminated)``, checked against
   `lms.domain.attempt_states.transition`), 7. one applying RELEASE to those
   of them whose exam releases immediately,
8. the audit entries, one per attempt, in one INSERT.

Marking a marked attempt changes nothing. Scoring is `lms.domain.grading`.
Services flush and never commit: the task, the sweep and the CLI commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import sqlalchemy as sa

from lms import tasks
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import grading
from lms.domain.attempt_states import AttemptEvent, AttemptState, transition
from lms.domain.items import ItemSpec, item_from_dict
from lms.exams.models import Exam, ExamAnswer, ExamAttempt, Release
from lms.extensions import db
from lms.grading.models import ExamResult, ItemScore
from lms.questions.models import QuestionVersion

log = logging.getLogger(__name__)
S, E = AttemptState, AttemptEvent
#: the states marking starts from (all three move to GRADED by E.GRADE)
FINISHED_UNGRADED = (S.SUBMITTED, S.TIMED_OUT, S.TERMINATED)
BATCH = 200  #: attempts per `mark_pending` round


@dataclass(frozen=True)
class Marked:
    """What marking did to one attempt."""

    attempt_id: int
    score: Decimal
    max_score: Decimal
    percent: Decimal
    passed: bool | None
    pending_manual: int
    state: AttemptState


def mark_attempt(attempt_id: int, *, now: datetime | None = None) -> Marked | None:
    """Mark one finished attempt; None if it is not finished or already marked."""
    marked = mark_attempts([attempt_id], now=now)
    return marked[0] if marked else None


def mark_attempts(attempt_ids: Iterable[int], *, now: datetime | None = None) -> list[Marked]:
    """Mark the finished, unmarked attempts among ``attempt_ids``; see the module docstring."""
    ids = sorted(set(attempt_ids))
    if not ids:
        return []
    now = now or utcnow()
    attempts = db.session.execute(
        sa.select(ExamAttempt.id, ExamAttempt.state, ExamAttempt.paper,
                  ExamAttempt.pass_percent, Exam.release)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .where(ExamAttempt.id.in_(ids), ExamAttempt.state.in_(FINISHED_UNGRADED),
               ~sa.exists().where(ExamResult.attempt_id == ExamAttempt.id))).all()
    if not attempts:
        return []
    found = [row.id for row in attempts]
    answers: dict[int, dict[int, object]] = {}
    for attempt_id, slot, response in db.session.execute(
            sa.select(ExamAnswer.attempt_id, ExamAnswer.slot, ExamAnswer.response)
            .where(ExamAnswer.attempt_id.in_(found))):
        answers.setdefault(attempt_id, {})[slot] = response
    papers = {row.id: grading.paper_items(row.paper) for row in attempts}
    specs = _specs({item.version_id for items in papers.values() for item in items})
    grades = {row.id: _grade(papers[row.id], specs, answers.get(row.id, {}), row)
              for row in attempts}

    claimed = _claim(grades, now)
    if not claimed:
        return []
    db.session.execute(ItemScore.__table__.insert(), [
        {"attempt_id": attempt_id, "slot": g.slot, "question_id": g.question_id,
         "version_id": g.version_id, "section": g.section, "points": g.points,
         "score": g.score, "status": g.status.value, "detail": g.detail, "marked_at": now}
        for attempt_id in sorted(claimed) for g in grades[attempt_id].slots])

    complete = [a for a in sorted(claimed) if grades[a].complete]
    graded = _apply_many(complete, E.GRADE, FINISHED_UNGRADED)
    immediate = {row.id for row in attempts if row.release == Release.IMMEDIATE}
    released = _apply_many(sorted(graded & immediate), E.RELEASE, (S.GRADED,))
    _announce(released)

    states = {row.id: row.state for row in attempts}
    marked = []
    for attempt_id in sorted(claimed):
        result = grades[attempt_id]
        state = (S.RELEASED if attempt_id in released else
                 S.GRADED if attempt_id in graded else states[attempt_id])
        marked.append(Marked(attempt_id, result.score, result.max_score, result.percent,
                             result.passed, result.pending_manual, state))
    audit.record_many("exam_attempt.marked", [
        {"object_type": "exam_attempts", "object_id": m.attempt_id,
         "after": {"score": str(m.score), "max_score": str(m.max_score),
                   "percent": str(m.percent), "passed": m.passed,
                   "pending_manual": m.pending_manual, "state": m.state.value}}
        for m in marked])
    return marked


def finish_grading(attempt_ids: list[int], immediate: set[int]) -> tuple[set[int], set[int]]:
    """GRADE the attempts of ``attempt_ids`` still waiting for it, then RELEASE those of
    them in ``immediate`` (their exam releases at once), as marking does: guarded
    UPDATEs. For essay marking, once an attempt's last mark is final. Returns the ids
    graded and the ids released."""
    graded = _apply_many(sorted(attempt_ids), E.GRADE, FINISHED_UNGRADED)
    released = _apply_many(sorted(graded & immediate), E.RELEASE, (S.GRADED,))
    _announce(released)
    return graded, released


def _announce(released: set[int]) -> None:
    """Results released the moment they are graded reach their candidates by mail too."""
    from lms.grading.results import announce  # results builds on this module

    announce(sorted(released), "result_released")


def release_many(attempt_ids: Iterable[int]) -> set[int]:
    """RELEASE every graded attempt of ``attempt_ids`` in one guarded UPDATE; the ids moved
    (`lms.grading.results.release` audits and announces them)."""
    return _apply_many(sorted(attempt_ids), E.RELEASE, (S.GRADED,))


def pending_ids(limit: int = BATCH) -> list[int]:
    """Finished attempts that have no result yet (a lost task, a marking that failed)."""
    return list(db.session.scalars(
        sa.select(ExamAttempt.id)
        .where(ExamAttempt.state.in_(FINISHED_UNGRADED),
               ~sa.exists().where(ExamResult.attempt_id == ExamAttempt.id))
        .order_by(ExamAttempt.id).limit(limit)))


def mark_pending(*, limit: int = BATCH, now: datetime | None = None) -> list[Marked]:
    """Mark up to ``limit`` finished, unmarked attempts (the caller commits and repeats
    while this returns something)."""
    return mark_attempts(pending_ids(limit), now=now)


# -- the steps ---------------------------------------------------------------------------


def _grade(items: list[grading.GradeItem], specs: dict[int, ItemSpec],
           responses: dict[int, object], row) -> grading.GradeResult:
    raw = {item.slot: grading.response_from_fields(specs[item.version_id],
                                                   responses.get(item.slot), f"s{item.slot}")
           for item in items}
    return grading.grade_paper(items, specs, raw, pass_percent=row.pass_percent or Decimal(0),
                               min_percent=grading.section_minimums(row.paper))


#: version id → (stored spec, parsed spec); versions are immutable, and decoding is the
#: costly part of marking (the stored spec is compared, so a reused id decodes afresh)
_PARSED: dict[int, tuple[dict, ItemSpec]] = {}
_PARSED_MAX = 10_000


def _specs(version_ids: set[int]) -> dict[int, ItemSpec]:
    if not version_ids:
        return {}
    specs = {}
    for version_id, raw in db.session.execute(
            sa.select(QuestionVersion.id, QuestionVersion.spec)
            .where(QuestionVersion.id.in_(sorted(version_ids)))):
        hit = _PARSED.get(version_id)
        if hit is None or hit[0] != raw:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            hit = _PARSED[version_id] = (raw, item_from_dict(raw))
        specs[version_id] = hit[1]
    return specs


def _claim(grades: dict[int, grading.GradeResult], now: datetime) -> set[int]:
    """Insert the result rows; the ids whose row this call inserted."""
    rows = [{"attempt_id": attempt_id, "score": g.score, "max_score": g.max_score,
             "percent": g.percent, "passed": g.passed,
             "section_scores": [s.to_dict() for s in g.sections],
             "pending_manual": g.pending_manual, "marked_at": now,
             "graded_at": now if g.complete else None, "revision": 1}
            for attempt_id, g in sorted(grades.items())]
    statement = _claim_statement(db.session.get_bind().dialect.name)
    return set(db.session.scalars(statement, rows if len(rows) > 1 else rows[0]))


@lru_cache(maxsize=4)
def _claim_statement(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ExamResult.__table__
    return (insert(table).on_conflict_do_nothing(index_elements=[table.c.attempt_id])
            .returning(table.c.attempt_id))


def _apply_many(attempt_ids: list[int], event: AttemptEvent,
                sources: tuple[AttemptState, ...]) -> set[int]:
    """``event`` applied to every attempt of ``attempt_ids`` still in one of ``sources``,
    as one guarded UPDATE; the ids it moved."""
    targets = {transition(source, event) for source in sources}  # refuses an illegal move
    if not attempt_ids:
        return set()
    (target,) = targets
    moved = set(db.session.scalars(
        sa.update(ExamAttempt)
        .where(ExamAttempt.id.in_(attempt_ids), ExamAttempt.state.in_(sources))
        .values(state=target)
        .returning(ExamAttempt.id)
        .execution_options(synchronize_session=False)))
    if target == S.RELEASED and moved:
        # when the result reached the candidate: the appeal window counts from it
        db.session.execute(
            sa.update(ExamResult).where(ExamResult.attempt_id.in_(sorted(moved)))
            .values(released_at=utcnow()).execution_options(synchronize_session=False))
        tasks.certify_after_commit(db.session, moved)
    return moved
