"""Appeals against released results.

* `file(candidate, attempt_id, slot, reason)` — the candidate's own released attempt
  only (anything else is a 404), within the exam's appeal window
  (`lms.domain.appeals`), one open appeal per (attempt, slot) — checked first and
  enforced by partial unique indexes against a double click. Audited.
* `for_candidate(attempt)` — the candidate's appeals on the attempt and whether the
  window is open: one query (the hook of the candidate's result page).
* `queue(actor)` — the appeals the actor may answer: officers and administrators
  who manage the exam (`lms.permissions.exams_in_scope_filter`), and trainers who
  can edit the bank of the appealed question (appeals on the whole score go to the
  exam's managers only): one query, with the slot's score and the question.
* `decide(actor, appeal_id, outcome, answer, score=…)` — uphold or reject with an
  answer the candidate reads. Upheld on a question: the slot's corrected score
  (0 … its points) becomes a person's mark (status ``manual``, so a later regrade
  leaves it) and the result is recomputed exactly as a regrade does
  (`lms.grading.regrade.write_results`: revision bumped, audited before/after with
  the answer as the reason, a pass↔fail flip recorded). The appeal row is taken
  with a guarded UPDATE (``WHERE status = 'open'``), so two answers never both land.
  Every decision is audited (``exam_appeal.decided``) and mailed (``appeal_decided``).

Services flush; the views commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Role, User
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import appeals as rules
from lms.domain import regrade as regrade_rules
from lms.domain.appeals import AppealStatus
from lms.domain.attempt_states import AttemptState
from lms.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lms.exams.models import Exam, ExamAttempt
from lms.extensions import db
from lms.grading import regrade
from lms.grading.models import ExamAppeal, ExamResult, ItemScore
from lms.notifications.services import queue_mail
from lms.permissions import (
    EXAM_MANAGERS,
    can_manage_exam,
    editable_banks_filter,
    exams_in_scope_filter,
    has_role,
)
from lms.questions.models import Question, QuestionBank

S = AttemptState


class AppealClosed(DomainError):
    """The appeal window is closed (or the exam takes no appeals)."""


class AppealExists(DomainError):
    """An open appeal on the same question (or the whole score) exists already."""


class AlreadyDecided(DomainError):
    """Someone answered the appeal first."""


def may_answer_appeals(actor) -> bool:
    """Whether the appeals pages are for ``actor`` at all (what they see is scoped)."""
    return has_role(actor, Role.TRAINER, *EXAM_MANAGERS)


# -- the candidate ----------------------------------------------------------------------------


def for_candidate(attempt: ExamAttempt, *, now: datetime | None = None
                  ) -> tuple[list[ExamAppeal], bool]:
    """The attempt's appeals (oldest first) and whether a new one may be filed: one query."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(ExamAttempt.state, Exam.appeal_days, ExamResult.released_at, ExamAppeal)
        .select_from(ExamAttempt)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .outerjoin(ExamAppeal, ExamAppeal.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.id == attempt.id)
        .order_by(ExamAppeal.id)).all()
    if not rows:
        return [], False
    state, days, released_at = rows[0][:3]
    is_open = state == S.RELEASED and rules.window_open(released_at, days, now)
    return [row[3] for row in rows if row[3] is not None], is_open


def file(candidate, attempt_id: int, slot: int | None, reason: str, *,
         now: datetime | None = None) -> ExamAppeal:
    """The candidate's appeal; see the module docstring."""
    now = now or utcnow()
    row = db.session.execute(
        sa.select(ExamAttempt.state, ExamAttempt.item_count, Exam.appeal_days,
                  ExamResult.released_at)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.id == attempt_id, ExamAttempt.user_id == candidate.id)).first()
    if row is None or row.state != S.RELEASED:
        raise NotFound()
    if not rules.window_open(row.released_at, row.appeal_days, now):
        raise AppealClosed()
    if slot is not None and not db.session.scalar(
            sa.select(sa.literal(True)).where(ItemScore.attempt_id == attempt_id,
                                              ItemScore.slot == slot)):
        raise ValidationFailed("slot", "unknown")
    try:
        text = rules.check_text(reason, rules.MAX_REASON)
    except ValueError as exc:
        raise ValidationFailed("reason", str(exc)) from None
    same = ExamAppeal.slot.is_(None) if slot is None else ExamAppeal.slot == slot
    if db.session.scalar(sa.select(ExamAppeal.id).where(
            ExamAppeal.attempt_id == attempt_id, same,
            ExamAppeal.status == AppealStatus.OPEN.value)) is not None:
        raise AppealExists()
    appeal = ExamAppeal(attempt_id=attempt_id, slot=slot, reason=text,
                        status=AppealStatus.OPEN.value, created_at=now)
    db.session.add(appeal)
    try:
        # a second tab filing the same appeal: the caller rolls back (no savepoint:
        # pysqlite would commit it when released, before the audit entry)
        db.session.flush()
    except IntegrityError:
        raise AppealExists() from None
    audit.record("exam_appeal.filed", actor=candidate, object_type="exam_appeals",
                 object_id=appeal.id,
                 after={"attempt_id": attempt_id, "slot": slot, "reason": text})
    return appeal


# -- the people who answer -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    appeal: ExamAppeal
    exam_id: int
    exam_title: str
    candidate: str  #: the name for the exam's managers, an anonymous code for trainers
    question_id: int | None
    question_ref: str  #: bank code / external id
    stem: str
    points: Decimal | None
    score: Decimal | None
    manager: bool  #: the actor manages the exam


def _visible(actor):
    managed = exams_in_scope_filter(actor, *EXAM_MANAGERS)
    return managed, sa.or_(managed, sa.and_(ExamAppeal.slot.is_not(None),
                                            editable_banks_filter(actor)))


def _queue_select(actor):
    from lms.questions.models import QuestionVersion

    managed, visible = _visible(actor)
    return (sa.select(ExamAppeal, Exam.id, Exam.title, User.real_name, Question.id,
                      QuestionBank.code, Question.external_id, QuestionVersion.search_text,
                      ItemScore.points, ItemScore.score, sa.case((managed, True), else_=False))
            .select_from(ExamAppeal)
            .join(ExamAttempt, ExamAttempt.id == ExamAppeal.attempt_id)
            .join(Exam, Exam.id == ExamAttempt.exam_id)
            .join(User, User.id == ExamAttempt.user_id)
            .outerjoin(ItemScore, sa.and_(ItemScore.attempt_id == ExamAppeal.attempt_id,
                                          ItemScore.slot == ExamAppeal.slot))
            .outerjoin(Question, Question.id == ItemScore.question_id)
            .outerjoin(QuestionBank, QuestionBank.id == Question.bank_id)
            .outerjoin(QuestionVersion, QuestionVersion.id == ItemScore.version_id)
            .where(visible))


def _row(row) -> QueueRow:
    from lms.grading.essays import anonymous_code

    appeal = row[0]
    manager = bool(row[10])
    return QueueRow(appeal, row[1], row[2], row[3] if manager else anonymous_code(
        appeal.attempt_id), row[4], f"{row[5]}/{row[6]}" if row[4] else "",
        (row[7] or "")[:200], row[8], row[9], manager)


def queue(actor, *, status: str = AppealStatus.OPEN.value, limit: int = 200) -> list[QueueRow]:
    """The appeals ``actor`` may answer (``status``: open, or decided = upheld/rejected)."""
    statuses = ([AppealStatus.OPEN.value] if status == AppealStatus.OPEN.value
                else [AppealStatus.UPHELD.value, AppealStatus.REJECTED.value])
    order = (ExamAppeal.created_at if status == AppealStatus.OPEN.value
             else ExamAppeal.decided_at.desc())
    return [_row(r) for r in db.session.execute(
        _queue_select(actor).where(ExamAppeal.status.in_(statuses))
        .order_by(order, ExamAppeal.id).limit(limit))]


def get_for(actor, appeal_id: int) -> QueueRow:
    """One appeal the actor may answer; NotFound otherwise."""
    row = db.session.execute(_queue_select(actor).where(ExamAppeal.id == appeal_id)).first()
    if row is None:
        raise NotFound()
    return _row(row)


def _score(value) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("score", "not_a_number") from None
    if not number.is_finite():
        raise ValidationFailed("score", "not_a_number")
    return number


@dataclass(frozen=True)
class Decided:
    appeal_id: int
    status: AppealStatus
    change: regrade_rules.AttemptChange | None  #: the result's change (upheld with a score)


def decide(actor, appeal_id: int, outcome: str, answer: str, *, score=None,
           now: datetime | None = None) -> Decided:
    """Uphold or reject an open appeal; see the module docstring."""
    now = now or utcnow()
    row = get_for(actor, appeal_id)  # NotFound outside the actor's reach
    appeal = row.appeal
    try:
        status = AppealStatus(outcome)
    except ValueError:
        raise ValidationFailed("outcome", "invalid") from None
    if status is AppealStatus.OPEN:
        raise ValidationFailed("outcome", "invalid")
    try:
        text = rules.check_text(answer, rules.MAX_ANSWER)
    except ValueError as exc:
        raise ValidationFailed("answer", str(exc)) from None
    attempt = db.session.get(ExamAttempt, appeal.attempt_id)
    if appeal.slot is None and not can_manage_exam(actor, attempt.exam):
        raise PermissionDenied()
    correcting = status is AppealStatus.UPHELD and appeal.slot is not None
    new_score = _score(score) if correcting else None

    # the appeal row: the guarded UPDATE decides who answers first
    taken = db.session.scalar(
        sa.update(ExamAppeal).where(ExamAppeal.id == appeal_id,
                                    ExamAppeal.status == AppealStatus.OPEN.value)
        .values(status=status.value, answer=text, decided_by_id=actor.id, decided_at=now)
        .returning(ExamAppeal.id).execution_options(synchronize_session=False))
    if taken is None:
        raise AlreadyDecided()

    change = None
    before_score = after_score = None
    if correcting:
        change = _correct(attempt, appeal.slot, new_score, actor, text, now)
        before_score = row.score
        after_score = new_score.quantize(Decimal("0.01"))
        db.session.execute(
            sa.update(ExamAppeal).where(ExamAppeal.id == appeal_id)
            .values(score_before=before_score, score_after=after_score)
            .execution_options(synchronize_session=False))
    audit.record("exam_appeal.decided", actor=actor, object_type="exam_appeals",
                 object_id=appeal_id,
                 before={"status": AppealStatus.OPEN.value,
                         "score": None if before_score is None else str(before_score)},
                 after={"status": status.value, "answer": text, "attempt_id": attempt.id,
                        "slot": appeal.slot,
                        "score": None if after_score is None else str(after_score)})
    db.session.refresh(appeal)
    candidate = db.session.get(User, attempt.user_id)
    result = db.session.get(ExamResult, attempt.id, populate_existing=True)
    queue_mail("appeal_decided", candidate.email, locale=candidate.locale, user=candidate,
               exam=attempt.exam, appeal=appeal, question_number=None if appeal.slot is None
               else appeal.slot + 1, upheld=status is AppealStatus.UPHELD, answer=text,
               score=result.score if result else None,
               max_score=result.max_score if result else None,
               changed=bool(change and change.score_changed),
               link=regrade.result_link(attempt.id))
    return Decided(appeal_id, status, change)


def _correct(attempt: ExamAttempt, slot: int, score: Decimal, actor, reason: str,
             now: datetime) -> regrade_rules.AttemptChange | None:
    """Give ``slot`` the corrected score and recompute the result as a regrade does."""
    regrade.lock([attempt.id])
    slots = regrade.stored_slots([attempt.id]).get(attempt.id, [])
    current = next((g for g in slots if g.slot == slot), None)
    if current is None:
        raise NotFound()
    try:
        new = regrade_rules.corrected(current, score)
    except regrade_rules.CorrectionError as exc:
        raise ValidationFailed("score", str(exc), max=str(current.points)) from None
    result = db.session.execute(
        sa.select(ExamResult.score, ExamResult.percent, ExamResult.passed,
                  ExamResult.pending_manual, ExamResult.revision)
        .where(ExamResult.attempt_id == attempt.id)).one()
    from lms.domain import grading

    change = regrade_rules.attempt_change(
        attempt.id, regrade_rules.ResultBefore(*result), slots, {slot: new},
        pass_percent=attempt.pass_percent or Decimal(0),
        min_percent=grading.section_minimums(attempt.paper))
    if not change.changed:
        return change
    db.session.execute(
        sa.update(ItemScore).where(ItemScore.attempt_id == attempt.id, ItemScore.slot == slot)
        .values(score=new.score, status=new.status.value, marked_at=now)
        .execution_options(synchronize_session=False))
    regrade.write_results([change], {attempt.id: (attempt.state, attempt.exam.release)},
                          actor=actor, reason=reason, source="appeal",
                          action="exam_result.corrected", now=now, notify=False)
    return change
