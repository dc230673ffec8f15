"""Key correction and regrade, set-based; and the result rewrite appeals share.

When a trainer fixes a wrong key, the question gets a new version; once it is
approved, the exams whose marked attempts used an older version list it as a
correction (`corrections_for`). The officer previews what regrading would change
(`preview`: each attempt's score and verdict before → after) and applies it
(`apply`). The rules (which slots are the machine's to re-score, what counts as a
change, a flip) are `lms.domain.regrade`.

A regrade reads, whatever the number of attempts: the new version's spec, the
question's slots of the exam's marked attempts with their answers, those attempts
(paper, pass mark, stored result, candidate) and all their slot rows — four
queries. `apply` first takes a lock on the affected result rows (a no-op UPDATE, as
essay marking does: a row lock on PostgreSQL, the write lock on SQLite), computes
under it, then writes: one executemany UPDATE of the changed slot rows (score,
status, version, detail), one executemany UPDATE of the results (revision bumped),
one INSERT of the audit entries (``exam_result.regraded``: before/after per slot
and for the result, and the reason), one of the pass↔fail flips
(`ResultChange`, for the certificates issue), and a mail (``result_changed``) to
each candidate whose result was already released. Attempts that were waiting for a
fixed key (``scoring_failed``) and have nothing pending any more are graded (and
released, when the exam releases at once) as marking does. Applying the same
regrade twice changes nothing the second time.

`write_results` is the part an upheld appeal shares. Services flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from lms import tasks
from lms.accounts.models import User
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import grading
from lms.domain import regrade as rules
from lms.domain.attempt_states import AttemptState
from lms.domain.grading import SlotGrade
from lms.domain.regrade import AttemptChange, ResultBefore
from lms.errors import DomainError, NotFound
from lms.exams.models import Exam, ExamAnswer, ExamAttempt, Release
from lms.extensions import db
from lms.grading import marking
from lms.grading.models import ExamResult, ItemScore, ResultChange
from lms.grading.results import result_link
from lms.notifications.services import queue_mail
from lms.questions.models import Question, QuestionBank, QuestionVersion

S = AttemptState
#: attempts whose scores a regrade may change: marked and not invalidated
MARKED_STATES = (S.GRADED, S.RELEASED, *marking.FINISHED_UNGRADED)


class NotApproved(DomainError):
    """The version to regrade with is not the question's approved version."""


# -- what needs a correction ------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    question_id: int
    external_id: str
    bank_code: str
    stem: str
    used_version_id: int
    used_number: int
    approved_version_id: int
    approved_number: int
    attempts: int


def corrections_for(exam: Exam) -> list[Correction]:
    """Questions the exam's marked attempts used in a version other than the question's
    approved one (a fixed key waiting to be applied): one query."""
    used = sa.orm.aliased(QuestionVersion)
    approved = sa.orm.aliased(QuestionVersion)
    rows = db.session.execute(
        sa.select(Question.id, Question.external_id, QuestionBank.code, used.id, used.number,
                  approved.id, approved.number, approved.search_text,
                  sa.func.count(sa.distinct(ItemScore.attempt_id)))
        .select_from(ItemScore)
        .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
        .join(Question, Question.id == ItemScore.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(used, used.id == ItemScore.version_id)
        .join(approved, approved.id == Question.approved_version_id)
        .where(ExamAttempt.exam_id == exam.id, ExamAttempt.state.in_(MARKED_STATES),
               ItemScore.version_id != Question.approved_version_id)
        .group_by(Question.id, Question.external_id, QuestionBank.code, used.id, used.number,
                  approved.id, approved.number, approved.search_text)
        .order_by(Question.id, used.number)).all()
    return [Correction(r[0], r[1], r[2], (r[7] or "")[:120], r[3], r[4], r[5], r[6], r[8])
            for r in rows]


# -- preview and apply ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    attempt_id: int
    candidate: str
    state: AttemptState
    change: AttemptChange


@dataclass(frozen=True)
class Preview:
    exam_id: int
    question_id: int
    version_id: int
    version_number: int
    rows: tuple[PreviewRow, ...]  #: every marked attempt using the question

    @property
    def changed(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.change.changed]

    @property
    def flips(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.change.flipped]

    @property
    def unscorable(self) -> int:
        return sum(r.change.unscorable for r in self.rows)


def _target_version(question_id: int, version_id: int) -> QuestionVersion:
    row = db.session.execute(
        sa.select(QuestionVersion, Question.approved_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id == version_id,
               QuestionVersion.question_id == question_id)).first()
    if row is None:
        raise NotFound()
    if row[1] != version_id:
        raise NotApproved()
    return row[0]


def _affected(exam_id: int, question_id: int):
    """The attempt ids of the exam's marked attempts that hold the question (a subquery)."""
    return (sa.select(ItemScore.attempt_id)
            .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
            .where(ExamAttempt.exam_id == exam_id, ExamAttempt.state.in_(MARKED_STATES),
                   ItemScore.question_id == question_id))


@dataclass
class _Attempt:
    state: AttemptState
    candidate: str
    pass_percent: Decimal
    min_percent: dict
    seeds: dict[int, int]
    release: Release
    before: ResultBefore


def _attempts(affected) -> dict[int, _Attempt]:
    out = {}
    for row in db.session.execute(
            sa.select(ExamAttempt.id, ExamAttempt.state, ExamAttempt.paper,
                      ExamAttempt.pass_percent, User.real_name, Exam.release,
                      ExamResult.score, ExamResult.percent, ExamResult.passed,
                      ExamResult.pending_manual, ExamResult.revision)
            .join(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
            .join(User, User.id == ExamAttempt.user_id)
            .join(Exam, Exam.id == ExamAttempt.exam_id)
            .where(ExamAttempt.id.in_(affected))):
        items = (row.paper or {}).get("items", [])
        out[row.id] = _Attempt(
            row.state, row.real_name, row.pass_percent or Decimal(0),
            grading.section_minimums(row.paper),
            {slot: int(item["seed"]) for slot, item in enumerate(items)}, row.release,
            ResultBefore(row.score, row.percent, row.passed, row.pending_manual,
                         row.revision))
    return out


def stored_slots(affected) -> dict[int, list[SlotGrade]]:
    """Every slot row of the attempts of ``affected`` (ids or a subquery), as grades, in
    paper order: one query."""
    slots: dict[int, list[SlotGrade]] = defaultdict(list)
    for row in db.session.execute(
            sa.select(ItemScore.attempt_id, ItemScore.slot, ItemScore.section,
                      ItemScore.question_id, ItemScore.version_id, ItemScore.points,
                      ItemScore.score, ItemScore.status,
                      ItemScore.detail["reason"].as_string())
            .where(ItemScore.attempt_id.in_(affected))
            .order_by(ItemScore.attempt_id, ItemScore.slot)):
        slots[row[0]].append(rules.stored_grade(*row[1:]))
    return slots


def _compute(exam: Exam, question_id: int, version: QuestionVersion):
    """(attempts, {attempt: AttemptChange}, {attempt: {slot: new grade}})."""
    spec = marking._specs({version.id})[version.id]
    affected = _affected(exam.id, question_id)
    answers: dict[tuple[int, int], object] = {}
    for attempt_id, slot, response in db.session.execute(
            sa.select(ItemScore.attempt_id, ItemScore.slot, ExamAnswer.response)
            .select_from(ItemScore)
            .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
            .outerjoin(ExamAnswer, sa.and_(ExamAnswer.attempt_id == ItemScore.attempt_id,
                                           ExamAnswer.slot == ItemScore.slot))
            .where(ExamAttempt.exam_id == exam.id, ExamAttempt.state.in_(MARKED_STATES),
                   ItemScore.question_id == question_id)):
        answers[(attempt_id, slot)] = response
    attempts = _attempts(affected)
    slots = stored_slots(affected)
    changes: dict[int, AttemptChange] = {}
    new_grades: dict[int, dict[int, SlotGrade]] = {}
    for attempt_id, info in sorted(attempts.items()):
        new: dict[int, SlotGrade | None] = {}
        for grade in slots.get(attempt_id, []):
            if grade.question_id != question_id:
                continue
            item = grading.GradeItem(grade.slot, grade.section, question_id, version.id,
                                     grade.points, info.seeds.get(grade.slot, 0))
            raw = grading.response_from_fields(spec, answers.get((attempt_id, grade.slot)),
                                               f"s{grade.slot}")
            new[grade.slot] = rules.rescore(grade, item, spec, raw)
        change = rules.attempt_change(attempt_id, info.before, slots.get(attempt_id, []), new,
                                      pass_percent=info.pass_percent,
                                      min_percent=info.min_percent)
        changes[attempt_id] = change
        new_grades[attempt_id] = {c.slot: new[c.slot] for c in change.slots}
    return attempts, changes, new_grades


def preview(exam: Exam, question_id: int, new_version_id: int) -> Preview:
    """What regrading ``question_id`` with ``new_version_id`` would change, per attempt."""
    version = _target_version(question_id, new_version_id)
    attempts, changes, _ = _compute(exam, question_id, version)
    rows = tuple(PreviewRow(a, attempts[a].candidate, attempts[a].state, changes[a])
                 for a in sorted(changes))
    return Preview(exam.id, question_id, version.id, version.number, rows)


@dataclass(frozen=True)
class Applied:
    changed: list[AttemptChange]
    flips: list[int]  #: attempt ids whose verdict flipped
    notified: list[int]  #: attempt ids whose candidate was mailed


def apply(exam: Exam, question_id: int, new_version_id: int, actor, reason: str, *,
          now: datetime | None = None) -> Applied:
    """Regrade: see the module docstring. ``reason`` is required (stored and mailed)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required")
    now = now or utcnow()
    version = _target_version(question_id, new_version_id)
    lock(_affected(exam.id, question_id))
    attempts, changes, new_grades = _compute(exam, question_id, version)
    changed = [c for _, c in sorted(changes.items()) if c.changed]
    if not changed:
        return Applied([], [], [])
    db.session.execute(
        sa.update(ItemScore.__table__)
        .where(ItemScore.__table__.c.attempt_id == sa.bindparam("b_attempt"),
               ItemScore.__table__.c.slot == sa.bindparam("b_slot"),
               ItemScore.__table__.c.status != grading.SlotStatus.MANUAL.value)
        .values(score=sa.bindparam("b_score"), status=sa.bindparam("b_status"),
                version_id=sa.bindparam("b_version"), detail=sa.bindparam("b_detail"),
                marked_at=sa.bindparam("b_now"))
        .execution_options(synchronize_session=False), [
            {"b_attempt": c.attempt_id, "b_slot": s.slot, "b_score": new.score,
             "b_status": new.status.value, "b_version": new.version_id,
             "b_detail": new.detail, "b_now": now}
            for c in changed for s in c.slots
            for new in (new_grades[c.attempt_id][s.slot],)])
    done = write_results(changed, {a: (i.state, i.release) for a, i in attempts.items()},
                         actor=actor, reason=reason, source="regrade",
                         action="exam_result.regraded", now=now,
                         extra={"question_id": question_id, "version_id": version.id})
    return done


def lock(affected) -> set[int]:
    """Take the result rows of ``affected`` (ids or a subquery) for this transaction."""
    return set(db.session.scalars(
        sa.update(ExamResult).where(ExamResult.attempt_id.in_(affected))
        .values(revision=ExamResult.revision).returning(ExamResult.attempt_id)
        .execution_options(synchronize_session=False)))


def write_results(changed: list[AttemptChange], states: dict[int, tuple[AttemptState, Release]],
                  *, actor, reason: str, source: str, action: str, now: datetime,
                  extra: dict | None = None, notify: bool = True) -> Applied:
    """Store the recomputed results of ``changed`` (the slot rows are written already):
    results with their revision bumped, the audit (before/after, reason), the flips, the
    grading of attempts with nothing pending any more, the candidates' mails."""
    table = ExamResult.__table__
    db.session.execute(
        sa.update(table).where(table.c.attempt_id == sa.bindparam("b_attempt"))
        .values(score=sa.bindparam("b_score"), max_score=sa.bindparam("b_max"),
                percent=sa.bindparam("b_percent"), passed=sa.bindparam("b_passed"),
                section_scores=sa.bindparam("b_sections", type_=sa.JSON),
                pending_manual=sa.bindparam("b_pending"),
                graded_at=sa.case(
                    (sa.bindparam("b_complete", type_=sa.Boolean),
                     sa.func.coalesce(table.c.graded_at,
                                      sa.bindparam("b_now", type_=table.c.graded_at.type))),
                    else_=None),
                revision=table.c.revision + 1)
        .execution_options(synchronize_session=False), [
            {"b_attempt": c.attempt_id, "b_score": c.after.score, "b_max": c.after.max_score,
             "b_percent": c.after.percent, "b_passed": c.after.passed,
             "b_sections": [s.to_dict() for s in c.after.sections],
             "b_pending": c.after.pending_manual, "b_complete": c.after.complete, "b_now": now}
            for c in changed])
    audit.record_many(action, [
        {"object_type": "exam_attempts", "object_id": c.attempt_id,
         "before": c.audit_before(), "after": {**c.audit_after(reason), **(extra or {})}}
        for c in changed], actor=actor)
    flips = [c for c in changed if c.flipped]
    if flips:
        db.session.execute(sa.insert(ResultChange.__table__), [
            {"attempt_id": c.attempt_id, "before_passed": c.before.passed,
             "after_passed": c.after.passed, "before_score": c.before.score,
             "after_score": c.after.score, "source": source, "reason": reason,
             "actor_id": getattr(actor, "id", None), "created_at": now, "acted_on_at": None}
            for c in flips])
        # the certificates follow: a new pass is certified, a lost one goes to the officers
        tasks.certify_after_commit(db.session, [c.attempt_id for c in flips])
    waiting = [c.attempt_id for c in changed
               if c.after.complete and states[c.attempt_id][0] in marking.FINISHED_UNGRADED]
    if waiting:
        immediate = {a for a in waiting if states[a][1] == Release.IMMEDIATE}
        marking.finish_grading(waiting, immediate)
    released = [c for c in changed if states[c.attempt_id][0] == S.RELEASED
                and (c.score_changed or c.flipped)] if notify else []
    mail_changes(released, reason)
    return Applied(changed, [c.attempt_id for c in flips], [c.attempt_id for c in released])


def mail_changes(changed: list[AttemptChange], reason: str) -> None:
    """Mail ``result_changed`` to the candidates of ``changed``: one query."""
    if not changed:
        return
    by_id = {c.attempt_id: c for c in changed}
    for attempt_id, user, exam in db.session.execute(
            sa.select(ExamAttempt.id, User, Exam)
            .join(User, User.id == ExamAttempt.user_id)
            .join(Exam, Exam.id == ExamAttempt.exam_id)
            .where(ExamAttempt.id.in_(sorted(by_id)))):
        change = by_id[attempt_id]
        queue_mail("result_changed", user.email, locale=user.locale, user=user, exam=exam,
                   before=change.before.score, after=change.after.score,
                   max_score=change.after.max_score, passed=change.after.passed,
                   flipped=change.flipped, reason=reason, link=result_link(attempt_id))


def open_flips(limit: int = 100) -> list[ResultChange]:
    """Flips the certificates issue has not acted on yet, oldest first."""
    return list(db.session.scalars(
        sa.select(ResultChange).where(ResultChange.acted_on_at.is_(None))
        .order_by(ResultChange.id).limit(limit)))


def flips_for(exam: Exam) -> list[tuple[ResultChange, str]]:
    """The exam's recorded flips with the candidate's name, newest first: one query."""
    return [tuple(row) for row in db.session.execute(
        sa.select(ResultChange, User.real_name)
        .join(ExamAttempt, ExamAttempt.id == ResultChange.attempt_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(ExamAttempt.exam_id == exam.id)
        .order_by(ResultChange.id.desc()))]
