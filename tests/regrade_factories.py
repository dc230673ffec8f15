"""Builders for regrade and appeal tests: an exam of three single-choice items worth 10
points each and an essay worth 20 (pass mark 60 %), candidates who hand in chosen
answers, an essay marked by a trainer, and a trainer's key fix (a new approved version).
"""

from __future__ import annotations

from decimal import Decimal as D

from lms.accounts.models import Role
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptEvent, AttemptState
from lms.domain.items import Choice, SingleChoiceSpec
from lms.exams import attempts, registration
from lms.exams.models import ExamAttempt, Release
from lms.extensions import db
from lms.grading import essays, marking
from lms.grading.models import ExamResult, ItemScore
from lms.questions import services
from lms.questions.models import Question
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_user
from tests.practice_factories import add_question, make_bank, single
from tests.unit import item_samples as samples

ESSAY_SLOT = 3
FIXED = 2  #: the third question (by creation) gets its key fixed ("c" becomes right)


def regrade_exam(org=None, **fields):
    """Three single-choice items (10 points each; "b" right) in paper order, then an
    essay (20 points: every rubric point counts double)."""
    objective, writing = make_bank(), make_bank()
    for n in range(1, 4):
        add_question(objective, single(n))
    add_question(writing, samples.essay())
    fields.setdefault("release", Release.IMMEDIATE)
    return make_exam(bank=objective, shuffle_items=False, organisation=org, sections=[
        {"key": "objective", "title": "单选", "count": 3, "points": "10",
         "filter": {"banks": [objective.code]}},
        {"key": "essay", "title": "论述", "count": 1, "points": "20",
         "filter": {"banks": [writing.code]}}], **fields)


def hand_in(exam, choices=("b", "b", "c"), *, session=None, org=None, name="李四"):
    """A candidate's attempt with ``choices`` for the three single-choice questions (in
    the order they were written, whatever the paper's order) and an essay; committed."""
    session = session or make_session(exam)
    now = utcnow()
    candidate = ready_candidate(org=org, name=name)
    attempt = registration.book(candidate, session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    ids = [item["question_id"] for item in attempt.paper["items"][:ESSAY_SLOT]]
    rank = {qid: n for n, qid in enumerate(sorted(ids))}
    saves = [attempts.Save(s, 1, {f"s{s}": [choices[rank[qid]]]}) for s, qid in enumerate(ids)]
    saves.append(attempts.Save(ESSAY_SLOT, 1, {f"s{ESSAY_SLOT}": ["工会依法调解劳动争议……"]}))
    assert attempts.submit(attempt, token, saves, now)
    db.session.commit()
    return attempt


def mark_essays(marks=None):
    """A trainer marks every waiting essay (default 4.5 of 10 rubric points = 9.00)."""
    trainer = make_user(Role.TRAINER, name="阅卷人")
    marks = marks or {"law": "2", "practice": "2", "writing": "0.5"}
    while (claim := essays.next_for(trainer)) is not None:
        essays.submit_mark(trainer, claim.id, marks)
        db.session.commit()
    return trainer


def release_all(ids):
    marking._apply_many(sorted(ids), AttemptEvent.RELEASE, (AttemptState.GRADED,))
    db.session.commit()


def question_at(attempt, slot) -> Question:
    return db.session.get(Question, attempt.paper["items"][slot]["question_id"])


def fixed_slot(attempt) -> int:
    """The slot of ``attempt`` holding the question whose key gets fixed."""
    ids = [item["question_id"] for item in attempt.paper["items"][:ESSAY_SLOT]]
    return ids.index(sorted(ids)[FIXED])


def fixed_question(attempt) -> Question:
    return question_at(attempt, fixed_slot(attempt))


def fix_key(question: Question, *, right="c"):
    """A trainer's new version where ``right`` is the right choice, approved by another."""
    author, reviewer = make_user(Role.TRAINER), make_user(Role.TRAINER)
    old = services.spec_of(question.approved_version)
    spec = SingleChoiceSpec(stem=old.stem, points=old.points, explanation=old.explanation,
                            choices=tuple(Choice(c.id, c.text, D(100) if c.id == right
                                                 else D(0)) for c in old.choices))
    services.edit_question(question, spec, services.metadata_of(question.approved_version),
                           actor=author, note="key fixed")
    db.session.flush()
    services.approve(question, reviewer=reviewer)
    db.session.commit()
    return question.approved_version


def result_of(attempt_id):
    db.session.expire_all()
    return db.session.get(ExamResult, attempt_id)


def slot_of(attempt_id, slot):
    db.session.expire_all()
    return db.session.get(ItemScore, (attempt_id, slot))


def state_of(attempt_id):
    db.session.expire_all()
    return db.session.get(ExamAttempt, attempt_id).state
