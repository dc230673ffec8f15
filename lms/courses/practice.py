"""Module practice quizzes: the pool of items, attempts, scoring and completion.

A module's quiz settings are frozen in the published content (``quiz``: bank
code, tags, count, pass percent); each attempt draws from the bank as it is
then — approved versions only, essays and case studies left out — and keeps
the question versions it drew, so later edits never change it. The pure rules
(drawing, reading the form, the key, the verdict) are in `lms.domain.practice`.

Services flush and leave the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from lms.clock import utcnow
from lms.courses import learning
from lms.courses.learning import Outline
from lms.courses.models import Course, Module, PracticeAttempt
from lms.domain import practice as rules
from lms.domain.items import ItemSpec, ItemSpecError, item_from_dict
from lms.domain.markdown import render_markdown
from lms.domain.presentation import candidate_view, stem_html
from lms.domain.scoring import ZERO, ItemResult, score_item
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db
from lms.questions.models import (
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)

_TYPES = sorted(t.value for t in rules.PRACTICE_TYPES)


# -- the pool ---------------------------------------------------------------------


def eligible_versions(bank_id: int):
    """Approved versions of the bank's live questions whose type a practice quiz takes.

    Joined from `Question` to the version it serves (``approved_version``); the
    type is read from that version, not from the draft being edited.
    """
    return (sa.select(QuestionVersion.id)
            .join(Question, Question.approved_version_id == QuestionVersion.id)
            .where(Question.bank_id == bank_id, Question.status != QuestionStatus.RETIRED,
                   QuestionVersion.spec["type"].as_string().in_(_TYPES)))


def _tagged(tags: list[str]):
    return sa.select(QuestionTag.question_id).where(QuestionTag.tag.in_(tags))


def pool(bank_id: int, tags: list[str]) -> list[int]:
    """Ids of the versions a quiz on ``tags`` (any of them) may draw."""
    query = eligible_versions(bank_id).where(Question.id.in_(_tagged(tags)))
    return list(db.session.scalars(query))


def available(bank_id: int, tags: list[str]) -> int:
    """How many items a quiz on ``tags`` can draw from the bank."""
    query = eligible_versions(bank_id).where(Question.id.in_(_tagged(tags))).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query)) or 0


def tag_counts(bank_id: int) -> list[tuple[str, int]]:
    """Each knowledge point of the bank with the number of items a quiz could draw."""
    eligible = eligible_versions(bank_id).add_columns(Question.id.label("question_id")).subquery()
    rows = db.session.execute(
        sa.select(QuestionTag.tag, sa.func.count())
        .join(eligible, eligible.c.question_id == QuestionTag.question_id)
        .group_by(QuestionTag.tag).order_by(QuestionTag.tag))
    return [(tag, count) for tag, count in rows]


def shortfalls(course: Course) -> list[tuple[Module, int]]:
    """Draft modules whose quiz cannot draw its number of items, with what it can draw."""
    found = []
    for module in course.modules:
        if module.quiz_bank_id is not None:
            count = available(module.quiz_bank_id, module.quiz_tags)
            if count < (module.quiz_count or 0):
                found.append((module, count))
    return found


# -- attempts ----------------------------------------------------------------------


def quiz_module(view: Outline, module_uid: str) -> dict:
    """The published module ``module_uid`` if it has a quiz; NotFound otherwise."""
    module = view.find_module(module_uid)
    if not module.get("quiz"):
        raise NotFound()
    return module


def open_attempt(user, view: Outline, module_uid: str) -> PracticeAttempt | None:
    """The user's unsubmitted attempt on this quiz of the current version, if any."""
    return db.session.scalar(
        sa.select(PracticeAttempt).where(
            PracticeAttempt.user_id == user.id, PracticeAttempt.course_id == view.course.id,
            PracticeAttempt.module_uid == module_uid,
            PracticeAttempt.course_version_id == view.version.id,
            PracticeAttempt.submitted_at.is_(None))
        .order_by(PracticeAttempt.id.desc()).limit(1))


def start_attempt(user, view: Outline, module_uid: str, *,
                  seed: int | None = None) -> PracticeAttempt:
    """A new attempt with items drawn afresh (``seed``: a new random one by default).

    Raises ``ValidationFailed("quiz", "unavailable")`` when the bank has no item
    left to draw (the bank was removed, or every item retired).
    """
    learning.require_enrollment(view)
    quiz = quiz_module(view, module_uid)["quiz"]
    bank_id = db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.code == quiz["bank"]))
    candidates = pool(bank_id, quiz["tags"]) if bank_id is not None else []
    if not candidates:
        raise ValidationFailed("quiz", "unavailable")
    seed = secrets.randbits(63) if seed is None else seed
    attempt = PracticeAttempt(
        user_id=user.id, course_id=view.course.id, module_uid=module_uid,
        course_version_id=view.version.id, seed=seed, started_at=utcnow(),
        question_version_ids=list(rules.draw(candidates, quiz["count"], seed)))
    db.session.add(attempt)
    db.session.flush()
    return attempt


def get_attempt(user, view: Outline, module_uid: str, attempt_id: int) -> PracticeAttempt:
    """The user's own attempt on this quiz; NotFound for anyone else's."""
    attempt = db.session.get(PracticeAttempt, attempt_id)
    if (attempt is None or attempt.user_id != user.id or attempt.course_id != view.course.id
            or attempt.module_uid != module_uid):
        raise NotFound()
    return attempt


@dataclass
class QuizItem:
    """One drawn item as the quiz and feedback pages show it."""

    number: int
    version: QuestionVersion
    spec: ItemSpec
    seed: int
    #: `candidate_view`: all the question page may show
    view: dict
    stem_html: str
    response: Any = None
    result: ItemResult | None = None
    #: `rules.answer_key`, only once the attempt is submitted
    key: dict | None = None

    @property
    def prefix(self) -> str:
        """The item's form field name (see `lms.domain.practice`)."""
        return f"q{self.number}"

    def texts(self, part: str) -> dict[str, str]:
        """Id → text of the shown ``choices``, ``lefts``, ``rights`` or ``items``."""
        return {entry["id"]: entry["text"] for entry in self.view.get(part, [])}

    def letters(self) -> dict[str, str]:
        """Choice id → the letter it is shown with (A, B … in the order shown)."""
        return {entry["id"]: chr(ord("A") + i) for i, entry in enumerate(self.view["choices"])}

    @property
    def explanation_html(self) -> str:
        return render_markdown(self.spec.explanation)


def _score(item: QuizItem, response: Any) -> ItemResult:
    """``score_item``; a parametric instance that cannot be computed (say its calculator
    is not registered) counts for nothing either way instead of failing the page."""
    try:
        return score_item(item.spec, response, seed=item.seed)
    except ItemSpecError:
        return ItemResult(ZERO, ZERO, None, reason="not_scorable")


def _key(item: QuizItem) -> dict:
    try:
        return rules.answer_key(item.spec, item.seed)
    except ItemSpecError:
        return {}


def items_of(attempt: PracticeAttempt) -> list[QuizItem]:
    """The attempt's items in the order drawn, in one query; with results once submitted."""
    ids = attempt.question_version_ids
    versions = {v.id: v for v in db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.id.in_(ids)))}
    items = []
    for number, version_id in enumerate(ids, 1):
        version = versions[version_id]
        spec = item_from_dict(version.spec)
        seed = rules.item_seed(attempt.seed, version_id)
        view = candidate_view(spec, seed=seed)
        items.append(QuizItem(number, version, spec, seed, view, stem_html(view)))
    if attempt.submitted_at is not None:
        for item in items:
            item.response = (attempt.responses or {}).get(str(item.version.id))
            item.result = _score(item, item.response)
            item.key = _key(item)
    return items


def attempt_module(view: Outline, attempt: PracticeAttempt) -> dict:
    """The module content (with its ``quiz``) of the version the attempt was drawn from."""
    version = view.version if attempt.course_version_id == view.version.id \
        else attempt.course_version
    return next(m for m in version.content["modules"] if m["uid"] == attempt.module_uid)


@dataclass(frozen=True)
class Outcome:
    summary: rules.Summary
    #: this submission completed the course
    completed_course: bool


def submit(user, view: Outline, attempt: PracticeAttempt, form: dict[str, list[str]], *,
           today: date) -> Outcome:
    """Score the posted answers, close the attempt, and complete the course if this
    pass was the last requirement.

    ``form`` maps field names to posted values. The threshold is the one frozen
    in the version the attempt was drawn from. Raises `InvalidTransition` when
    the attempt was already submitted (another tab, a double click): the first
    submission stands.
    """
    learning.require_enrollment(view)
    items = items_of(attempt)
    responses = {str(item.version.id): rules.response_from_form(item.spec, item.view, form,
                                                                item.prefix)
                 for item in items}
    results = [_score(item, responses[str(item.version.id)]) for item in items]
    summary = rules.summarise(results, attempt_module(view, attempt)["quiz"]["pass_percent"])
    module_uid = attempt.module_uid
    closed = db.session.execute(
        sa.update(PracticeAttempt)
        .where(PracticeAttempt.id == attempt.id, PracticeAttempt.submitted_at.is_(None))
        .values(responses=responses, score=summary.score, max_score=summary.max_score,
                percent=summary.percent, passed=summary.passed, submitted_at=utcnow())
        .execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise InvalidTransition("attempt already submitted")
    db.session.expire(attempt)  # read back what the guarded update wrote
    if summary.passed:
        before = view.quiz_status(module_uid)
        best = max(before.best_percent or summary.percent, summary.percent)
        view.quizzes[module_uid] = rules.QuizStatus(before.attempts + 1, best, True)
    return Outcome(summary, summary.passed and learning.complete_if_done(user, view,
                                                                        today=today))
