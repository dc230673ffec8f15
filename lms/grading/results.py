"""Results: the officer's review and release, and what a candidate may see.

An officer who manages the exam reviews a session's results beside the integrity
flags and the review decisions, then releases them — all that are ready, or one
candidate's — or invalidates an attempt with a reason (`lms.exams.integrity.review`).
An attempt is ready (`ResultRow.hold` is None) once it is graded, not invalidated,
and either raised no integrity flag or has an officer's "clear": flags are looked at
before a score leaves the building. Releasing is one guarded UPDATE for the lot
(GRADED → RELEASED), audited per attempt, and each candidate gets a mail through the
outbox; so does a candidate whose attempt is invalidated.

A candidate sees their own released result exactly as the exam's review options
allow (`candidate_result`): nothing of a key, an answer or a score is computed for
the page unless the option that shows it is set, so the page cannot leak it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defer, joinedload

from lms.accounts.models import Organisation, User
from lms.audit import services as audit
from lms.clock import utcnow
from lms.courses.author_forms import DOMAIN_LABELS
from lms.courses.practice import QuizItem
from lms.domain import grading
from lms.domain import practice as rules
from lms.domain.attempt_states import AttemptEvent, AttemptState
from lms.domain.items import ItemSpecError
from lms.domain.scoring import ItemResult
from lms.exams import delivery, integrity
from lms.exams.models import ExamAnswer, ExamAttempt, ExamSession
from lms.extensions import db
from lms.grading import marking
from lms.grading.models import ExamResult, ItemScore
from lms.notifications.services import queue_mail
from lms.questions.models import Question, QuestionVersion

S, E = AttemptState, AttemptEvent
#: what an exam's review options may let a candidate see after release
REVIEW_PARTS = ("score", "responses", "key", "explanations")


# -- the officer's review -----------------------------------------------------------------


@dataclass
class ResultRow:
    attempt: ExamAttempt
    name: str
    organisation: str
    result: ExamResult | None
    flags: list = field(default_factory=list)

    @property
    def hold(self) -> str | None:
        """Why the result cannot be released now (None: it can)."""
        state = self.attempt.state
        if state == S.RELEASED:
            return "released"
        if state == S.INVALIDATED:
            return "invalidated"
        if state != S.GRADED:
            return "not_marked"
        if self.flags and self.attempt.review_decision != "clear":
            return "flags_unreviewed"
        return None


def session_rows(session: ExamSession) -> list[ResultRow]:
    """Every attempt of ``session`` that was started, with its result and flags: four
    queries however many attempts."""
    rows = db.session.execute(
        sa.select(ExamAttempt, User.real_name, Organisation.name, ExamResult)
        .join(User, User.id == ExamAttempt.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.session_id == session.id, ExamAttempt.started_at.is_not(None))
        .options(defer(ExamAttempt.paper), joinedload(ExamAttempt.exam),
                 joinedload(ExamAttempt.session))
        .order_by(User.real_name, ExamAttempt.id)).all()
    flags = integrity.flags_for((attempt for attempt, *_ in rows), utcnow())
    return [ResultRow(attempt, name, organisation or "", result, flags.get(attempt.id, []))
            for attempt, name, organisation, result in rows]


def summary(rows: list[ResultRow]) -> dict[str, int]:
    counts = defaultdict(int)
    for row in rows:
        counts[row.hold or "ready"] += 1
        if row.result is not None and row.result.passed:
            counts["passed"] += 1
    counts["total"] = len(rows)
    return dict(counts)


def release(session: ExamSession, actor, *, attempt_id: int | None = None) -> list[int]:
    """Release the results of ``session`` that are ready (only ``attempt_id``'s if given);
    the ids released. Audited per attempt; each candidate is mailed."""
    ready = [row.attempt.id for row in session_rows(session)
             if row.hold is None and attempt_id in (None, row.attempt.id)]
    released = sorted(marking.release_many(ready))
    audit.record_many("exam_attempt.released", [
        {"object_type": "exam_attempts", "object_id": attempt, "after": {"state": "released"}}
        for attempt in released], actor=actor)
    announce(released, "result_released")
    return released


def invalidate(attempt: ExamAttempt, officer, reason: str, now: datetime) -> None:
    """The officer's review decision "invalidate" (reason required), with a mail."""
    integrity.review(attempt, officer, "invalidate", reason, now)
    announce([attempt.id], "result_invalidated")


def announce(attempt_ids: list[int], kind: str) -> None:
    """Mail the candidates of ``attempt_ids`` (``result_released`` / ``result_invalidated``)
    through the outbox, in one query."""
    if not attempt_ids:
        return
    for attempt, user in db.session.execute(
            sa.select(ExamAttempt, User).join(User, User.id == ExamAttempt.user_id)
            .where(ExamAttempt.id.in_(attempt_ids))
            .options(defer(ExamAttempt.paper), joinedload(ExamAttempt.exam))):
        queue_mail(kind, user.email, locale=user.locale, user=user, exam=attempt.exam,
                   attempt=attempt, link=result_link(attempt.id))


def result_link(attempt_id: int) -> str:
    """The candidate's result page as an absolute URL, also outside a request (marking
    runs in the worker)."""
    path = current_app.url_map.bind("localhost").build("results.mine",
                                                       {"attempt_id": attempt_id})
    return current_app.config["BASE_URL"].rstrip("/") + path


# -- the candidate's result ---------------------------------------------------------------


@dataclass
class Breakdown:
    key: str
    label: str
    score: Decimal
    max_score: Decimal
    min_percent: Decimal | None = None
    met: bool | None = None

    @property
    def percent(self) -> Decimal:
        return (self.score * 100 / self.max_score).quantize(Decimal("0.1")) \
            if self.max_score else Decimal(0)


@dataclass
class CandidateResult:
    attempt: ExamAttempt
    show: frozenset[str]
    result: ExamResult | None = None
    sections: list[Breakdown] = field(default_factory=list)
    domains: list[Breakdown] = field(default_factory=list)
    #: as the practice quiz's feedback shows them; response, key and result only if shown
    items: list[QuizItem] = field(default_factory=list)
    #: (finished_at, percent, passed) of the candidate's released attempts at this exam
    trend: list[tuple[datetime, Decimal, bool | None]] = field(default_factory=list)


def review_options(attempt: ExamAttempt) -> frozenset[str]:
    chosen = attempt.exam.review_options or {}
    if isinstance(chosen, dict):  # stored as {"score": true, …} or a list of names
        chosen = [name for name, on in chosen.items() if on]
    return frozenset(name for name in chosen if name in REVIEW_PARTS)


def candidate_result(attempt: ExamAttempt) -> CandidateResult:
    """What ``attempt``'s candidate may see; nothing unless it is released."""
    show = review_options(attempt)
    page = CandidateResult(attempt, show)
    if attempt.state != S.RELEASED:
        return page
    if "score" in show:
        page.result = db.session.get(ExamResult, attempt.id)
        page.sections = _sections(attempt, page.result)
        page.domains = _domains(attempt.id)
        page.trend = _trend(attempt)
    if show & {"responses", "key", "explanations", "score"}:
        page.items = _review_items(attempt, show)
    return page


def section_titles(exam) -> dict[str, str]:
    """Section key → its title in the exam's blueprint (results store the keys)."""
    return {s.get("key"): s.get("title") or s.get("key") for s in exam.sections or []}


def _sections(attempt: ExamAttempt, result: ExamResult | None) -> list[Breakdown]:
    titles = section_titles(attempt.exam)
    return [Breakdown(s["key"], titles.get(s["key"], s["key"]), Decimal(s["score"]),
                      Decimal(s["max"]),
                      Decimal(s["min_percent"]) if s.get("min_percent") is not None else None,
                      s.get("met"))
            for s in (result.section_scores if result else [])]


def _domains(attempt_id: int) -> list[Breakdown]:
    rows = db.session.execute(
        sa.select(Question.domain, sa.func.sum(ItemScore.score), sa.func.sum(ItemScore.points))
        .join(Question, Question.id == ItemScore.question_id)
        .where(ItemScore.attempt_id == attempt_id).group_by(Question.domain)
        .order_by(Question.domain))
    return [Breakdown(str(domain), str(DOMAIN_LABELS.get(domain, domain)), score or Decimal(0),
                      points or Decimal(0)) for domain, score, points in rows]


def _trend(attempt: ExamAttempt) -> list[tuple[datetime, Decimal, bool | None]]:
    return [tuple(row) for row in db.session.execute(
        sa.select(ExamAttempt.finished_at, ExamResult.percent, ExamResult.passed)
        .join(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.user_id == attempt.user_id, ExamAttempt.exam_id == attempt.exam_id,
               ExamAttempt.state == S.RELEASED)
        .order_by(ExamAttempt.finished_at))]


def _review_items(attempt: ExamAttempt, show: frozenset[str]) -> list[QuizItem]:
    slots = delivery.paper_slots(attempt)
    paper = attempt.paper["items"]
    versions = {v.id: v for v in db.session.scalars(sa.select(QuestionVersion).where(
        QuestionVersion.id.in_({item["version_id"] for item in paper})))}
    answers = {slot: response for slot, response in db.session.execute(
        sa.select(ExamAnswer.slot, ExamAnswer.response)
        .where(ExamAnswer.attempt_id == attempt.id))} if "responses" in show else {}
    scores = {row.slot: row for row in db.session.scalars(
        sa.select(ItemScore).where(ItemScore.attempt_id == attempt.id))} \
        if "score" in show else {}
    items = []
    for slot in slots:
        frozen = paper[slot.slot]
        version = versions[frozen["version_id"]]
        spec = delivery.spec_of(version.id, version.spec)
        item = QuizItem(slot.number, version, spec, int(frozen["seed"]), slot.view,
                        slot.stem_html)
        if "responses" in show:
            item.response = grading.response_from_fields(spec, answers.get(slot.slot),
                                                         prefix=f"s{slot.slot}")
        if "key" in show:
            item.key = _key(spec, frozen)
        if "score" in show and slot.slot in scores and scores[slot.slot].score is not None:
            row = scores[slot.slot]
            item.result = ItemResult(row.score, row.points, _correct(row))
        items.append(item)
    return items


def _key(spec, frozen: dict) -> dict:
    try:
        return rules.answer_key(spec, int(frozen["seed"]))
    except ItemSpecError:
        return {}


def _correct(row: ItemScore) -> bool | None:
    if row.score >= row.points:
        return True
    return False if row.score == 0 else None
