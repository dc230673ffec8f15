"""Blind essay marking: the queue, handing out work, and marks becoming scores.

An *essay slot* is an `ItemScore` row waiting for a person: status
``pending_manual`` for an essay, or a case study with essay parts (not a slot whose
key failed, ``reason = "scoring_failed"``: that needs a fixed key, not a marker).
The rules of single and double marking are `lms.domain.essay_marking`.

* `queue(marker)` — progress per exam and session (marked / waiting / needing
  reconciliation), in one query whatever the number of attempts.
* `next_for(marker, exam_id=…, session_id=…)` — a claim (`EssayClaim`) on the next
  round of a slot the marker may mark: not one they marked already, within their
  scope (`lms.permissions.markable_candidates_filter`), not a candidate of their
  own organisation when the exam says so. A claim lasts `CLAIM_MINUTES`; the
  INSERT that wins the (attempt, slot, round) key owns it, an expired one is
  taken over by a guarded UPDATE. The marker's own live claim comes back first.
* `marking_view(marker, claim_id)` — what the marking page shows: the item, the
  candidate's answer under an anonymous code, and (for a reconciler only) the two
  marks to reconcile.
* `submit_mark(marker, claim_id, marks, …)` — checks the marks with the domain
  (`mark_essay` / `mark_case_study`: nothing is stored when one is wrong), then,
  under a lock on the attempt's result row (a no-op UPDATE taken first, which is a
  row lock on PostgreSQL and the write lock on SQLite), re-reads the slot and its
  marks, refuses a round that is no longer open, stores the mark and, when the
  mark decides the slot, writes the final score, recomputes the result with
  `lms.domain.grading.summarise` from the slot rows (one query), bumps its
  revision and, with nothing left pending, grades (and releases at once when the
  exam releases immediately) as auto-marking does.

Every mark is audited (``essay.marked``: round, total, the slot's score and status
before and after); a final mark that completes the attempt also records
``exam_attempt.graded``. Services flush; the views commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import User
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import essay_marking as rules
from lms.domain import grading
from lms.domain.attempt_states import AttemptState
from lms.domain.essay_marking import GivenMark, Method, Round
from lms.domain.grading import SlotStatus
from lms.domain.items import CaseStudySpec, EssaySpec, ItemSpec
from lms.domain.scoring import ItemResult, MarkingError, mark_case_study, mark_essay
from lms.errors import DomainError, NotFound
from lms.exams.models import Exam, ExamAnswer, ExamAttempt, ExamSession, Release
from lms.extensions import db
from lms.grading import marking
from lms.grading.models import EssayClaim, EssayMark, ExamResult, ItemScore
from lms.permissions import markable_candidates_filter

CLAIM_MINUTES = 30
#: slots looked at per `next_for` (ordered: reconciliations first, then second marks)
CANDIDATES = 50
MAX_COMMENT = 2000
S = AttemptState


class MarkingInvalid(DomainError):
    """The marks do not fit the rubric: ``errors`` are (criterion path, code, params)."""

    def __init__(self, errors: list[tuple[str, str, dict]]):
        super().__init__(errors)
        self.errors = errors


class MarkNotNeeded(DomainError):
    """The round is no longer open (another marker gave it, or the slot is decided),
    or the claim was taken over after it expired. Nothing was stored."""


# -- what is an essay slot ----------------------------------------------------------------


def _awaiting_marker():
    """Slots waiting for a person's marks (not for a fixed key)."""
    return sa.and_(ItemScore.status == SlotStatus.PENDING_MANUAL.value,
                   sa.func.coalesce(ItemScore.detail["reason"].as_string(), "")
                   != "scoring_failed")


def _own_organisation_clause(marker):
    """Candidates of the marker's own organisation are left out when the exam says so."""
    own = getattr(marker, "organisation_id", None)
    if own is None:
        return sa.true()
    return sa.or_(Exam.exclude_own_organisation.is_(False), User.organisation_id.is_(None),
                  User.organisation_id != own)


def anonymous_code(attempt_id: int) -> str:
    return rules.anonymous_code(current_app.config["SECRET_KEY"], attempt_id)


# -- the queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    exam_id: int
    exam_title: str
    exam_code: str
    double_marking: bool
    session_id: int
    session_title: str
    starts_at: datetime
    marked: int
    waiting: int
    reconcile: int

    @property
    def total(self) -> int:
        return self.marked + self.waiting + self.reconcile


def queue(marker) -> list[QueueRow]:
    """Progress of essay marking per exam and session within the marker's scope: one query."""
    pair = (sa.select(sa.func.count()).where(
        EssayMark.attempt_id == ItemScore.attempt_id, EssayMark.slot == ItemScore.slot,
        EssayMark.round.in_((Round.FIRST.value, Round.SECOND.value)))
        .correlate(ItemScore).scalar_subquery())
    pending = _awaiting_marker()
    to_reconcile = sa.and_(pending, Exam.double_marking.is_(True), pair >= 2)
    count = lambda clause: sa.func.sum(sa.case((clause, 1), else_=0))  # noqa: E731
    rows = db.session.execute(
        sa.select(Exam.id, Exam.title, Exam.code, Exam.double_marking, ExamSession.id,
                  ExamSession.title, ExamSession.starts_at,
                  count(ItemScore.status == SlotStatus.MANUAL.value),
                  count(sa.and_(pending, sa.not_(to_reconcile))), count(to_reconcile))
        .select_from(ItemScore)
        .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(ExamSession, ExamSession.id == ExamAttempt.session_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(sa.or_(ItemScore.status == SlotStatus.MANUAL.value, pending),
               ExamAttempt.state != S.INVALIDATED, markable_candidates_filter(marker))
        .group_by(Exam.id, Exam.title, Exam.code, Exam.double_marking, ExamSession.id,
                  ExamSession.title, ExamSession.starts_at)
        .order_by(ExamSession.starts_at.desc(), ExamSession.id)).all()
    return [QueueRow(*row[:7], int(row[7] or 0), int(row[8] or 0), int(row[9] or 0))
            for row in rows]


# -- handing out work -----------------------------------------------------------------------


def _claim_scope(marker, exam_id: int | None, session_id: int | None):
    clauses = [markable_candidates_filter(marker), _own_organisation_clause(marker)]
    if exam_id is not None:
        clauses.append(ExamAttempt.exam_id == exam_id)
    if session_id is not None:
        clauses.append(ExamAttempt.session_id == session_id)
    return clauses


def next_for(marker, *, exam_id: int | None = None, session_id: int | None = None,
             now: datetime | None = None) -> EssayClaim | None:
    """A claim on the next round the marker may give, or None when nothing waits for them."""
    now = now or utcnow()
    scope = _claim_scope(marker, exam_id, session_id)
    mine = db.session.scalar(
        sa.select(EssayClaim)
        .join(ItemScore, sa.and_(ItemScore.attempt_id == EssayClaim.attempt_id,
                                 ItemScore.slot == EssayClaim.slot))
        .join(ExamAttempt, ExamAttempt.id == EssayClaim.attempt_id)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(EssayClaim.marker_id == marker.id, EssayClaim.expires_at > now,
               _awaiting_marker(), *scope)
        .order_by(EssayClaim.id).limit(1))
    if mine is not None:
        return mine

    given = (sa.select(sa.func.count()).where(
        EssayMark.attempt_id == ItemScore.attempt_id, EssayMark.slot == ItemScore.slot)
        .correlate(ItemScore).scalar_subquery())
    marked_by_me = sa.exists().where(EssayMark.attempt_id == ItemScore.attempt_id,
                                     EssayMark.slot == ItemScore.slot,
                                     EssayMark.marker_id == marker.id)
    candidates = db.session.execute(
        sa.select(ItemScore.attempt_id, ItemScore.slot, ItemScore.points,
                  Exam.double_marking, Exam.marking_tolerance_percent)
        .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(_awaiting_marker(), ExamAttempt.state.in_(marking.FINISHED_UNGRADED),
               ~marked_by_me, *scope)
        .order_by(given.desc(), ItemScore.attempt_id, ItemScore.slot)
        .limit(CANDIDATES)).all()
    if not candidates:
        return None
    ids = sorted({row.attempt_id for row in candidates})
    marks: dict[tuple[int, int], list[GivenMark]] = {}
    for attempt_id, slot, round_, marker_id, total in db.session.execute(
            sa.select(EssayMark.attempt_id, EssayMark.slot, EssayMark.round,
                      EssayMark.marker_id, EssayMark.total)
            .where(EssayMark.attempt_id.in_(ids))):
        marks.setdefault((attempt_id, slot), []).append(GivenMark(Round(round_), marker_id,
                                                                  total))
    claims: dict[tuple[int, int], dict[str, tuple[int, int, datetime]]] = {}
    for claim_id, attempt_id, slot, round_, marker_id, expires_at in db.session.execute(
            sa.select(EssayClaim.id, EssayClaim.attempt_id, EssayClaim.slot, EssayClaim.round,
                      EssayClaim.marker_id, EssayClaim.expires_at)
            .where(EssayClaim.attempt_id.in_(ids))):
        claims.setdefault((attempt_id, slot), {})[round_] = (claim_id, marker_id, expires_at)

    expires = now + timedelta(minutes=CLAIM_MINUTES)
    for row in candidates:
        key = (row.attempt_id, row.slot)
        given_marks = marks.get(key, [])
        state = rules.slot_state(given_marks, double=row.double_marking, points=row.points,
                                 tolerance_percent=row.marking_tolerance_percent)
        held = claims.get(key, {})
        for round_ in state.open_rounds:
            if not rules.may_mark(marker.id, given_marks, round_):
                continue
            if any(m == marker.id and r != round_.value for r, (_i, m, _e) in held.items()):
                continue  # the marker holds another round of this slot
            current = held.get(round_.value)
            if current is None:
                claim_id = _insert_claim(row.attempt_id, row.slot, round_, marker.id, expires)
            elif current[1] == marker.id or _naive(current[2]) <= _naive(now):
                claim_id = _take_over(current[0], marker.id, now, expires)
            else:
                continue  # someone is marking this round now
            if claim_id is not None:
                return db.session.get(EssayClaim, claim_id, populate_existing=True)
    return None


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def _insert_claim(attempt_id: int, slot: int, round_: Round, marker_id: int,
                  expires: datetime) -> int | None:
    statement = _claim_insert(db.session.get_bind().dialect.name)
    return db.session.scalar(statement, {"attempt_id": attempt_id, "slot": slot,
                                         "round": round_.value, "marker_id": marker_id,
                                         "expires_at": expires})


@lru_cache(maxsize=4)
def _claim_insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = EssayClaim.__table__
    return (insert(table)
            .on_conflict_do_nothing(index_elements=["attempt_id", "slot", "round"])
            .returning(table.c.id))


def _take_over(claim_id: int, marker_id: int, now: datetime, expires: datetime) -> int | None:
    """Renew the marker's own claim, or take over an expired one (guarded UPDATE)."""
    return db.session.scalar(
        sa.update(EssayClaim)
        .where(EssayClaim.id == claim_id,
               sa.or_(EssayClaim.marker_id == marker_id, EssayClaim.expires_at <= now))
        .values(marker_id=marker_id, expires_at=expires)
        .returning(EssayClaim.id)
        .execution_options(synchronize_session=False))


def release_claim(marker, claim_id: int) -> bool:
    """Give a claim back (the marker skips the answer for now)."""
    return db.session.scalar(
        sa.delete(EssayClaim).where(EssayClaim.id == claim_id,
                                    EssayClaim.marker_id == marker.id)
        .returning(EssayClaim.id).execution_options(synchronize_session=False)) is not None


# -- the marking page -------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorMark:
    """A mark the reconciler sees (never who gave it)."""

    round: Round
    marks: dict
    comments: dict
    comment: str
    total: Decimal


@dataclass(frozen=True)
class MarkingView:
    claim_id: int
    round: Round
    code: str  #: the candidate's anonymous code
    exam_id: int
    session_id: int
    exam_title: str
    question_number: int  #: 1-based position in the paper
    points: Decimal  #: what the slot is worth in the paper
    spec: ItemSpec
    answer: Any  #: essay text, or a case study's {sub id: raw answer}
    detail: ItemResult  #: the machine's result (a case study's auto parts are scored)
    double_marking: bool
    tolerance: Decimal  #: in points
    prior: tuple[PriorMark, ...]  #: both marks, for a reconciler only
    expires_at: datetime

    @property
    def essays(self) -> list[tuple[str | None, EssaySpec]]:
        """The rubrics to mark: (None, spec) for an essay, (sub id, spec) per essay part."""
        if isinstance(self.spec, EssaySpec):
            return [(None, self.spec)]
        waiting = {p.key for p in self.detail.parts
                   if p.result is not None and p.result.needs_marking}
        return [(sub.id, sub.spec) for sub in self.spec.sub_items
                if sub.id in waiting and isinstance(sub.spec, EssaySpec)]

    def sub_answer(self, sub_id: str | None) -> str:
        if sub_id is None:
            return self.answer if isinstance(self.answer, str) else ""
        raw = (self.answer or {}).get(sub_id) if isinstance(self.answer, dict) else None
        return raw if isinstance(raw, str) else ""

    def auto_parts(self) -> list[tuple[str, ItemSpec, Any, Any]]:
        """A case study's machine-scored sub-items: (id, spec, score, max)."""
        if not isinstance(self.spec, CaseStudySpec):
            return []
        parts = {p.key: p for p in self.detail.parts}
        return [(sub.id, sub.spec, parts[sub.id].score, parts[sub.id].max_score)
                for sub in self.spec.sub_items
                if sub.id in parts and not isinstance(sub.spec, EssaySpec)]


def _claim_row(marker, claim_id: int):
    """The claim with what marking it needs, if it is the marker's and in their reach."""
    row = db.session.execute(
        sa.select(EssayClaim.id, EssayClaim.attempt_id, EssayClaim.slot, EssayClaim.round,
                  EssayClaim.expires_at, ItemScore.version_id, ItemScore.points,
                  ItemScore.detail, ItemScore.status, Exam.id.label("exam_id"),
                  Exam.title.label("exam_title"), Exam.double_marking,
                  Exam.marking_tolerance_percent, ExamAttempt.session_id)
        .join(ItemScore, sa.and_(ItemScore.attempt_id == EssayClaim.attempt_id,
                                 ItemScore.slot == EssayClaim.slot))
        .join(ExamAttempt, ExamAttempt.id == EssayClaim.attempt_id)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(EssayClaim.id == claim_id, EssayClaim.marker_id == marker.id,
               *_claim_scope(marker, None, None))).first()
    if row is None:
        raise NotFound()
    return row


def _spec(version_id: int) -> ItemSpec:
    return marking._specs({version_id})[version_id]


def marking_view(marker, claim_id: int) -> MarkingView:
    row = _claim_row(marker, claim_id)
    spec = _spec(row.version_id)
    fields = db.session.scalar(sa.select(ExamAnswer.response).where(
        ExamAnswer.attempt_id == row.attempt_id, ExamAnswer.slot == row.slot))
    answer = grading.response_from_fields(spec, fields, f"s{row.slot}")
    prior: tuple[PriorMark, ...] = ()
    if row.round == Round.RECONCILE.value:
        prior = tuple(PriorMark(Round(m.round), m.marks, m.comments, m.comment, m.total)
                      for m in db.session.scalars(
                          sa.select(EssayMark).where(EssayMark.attempt_id == row.attempt_id,
                                                     EssayMark.slot == row.slot)
                          .order_by(EssayMark.round)))
    return MarkingView(
        row.id, Round(row.round), anonymous_code(row.attempt_id), row.exam_id, row.session_id,
        row.exam_title, row.slot + 1, row.points, spec, answer,
        ItemResult.from_dict(row.detail), row.double_marking,
        rules.tolerance_points(row.points, row.marking_tolerance_percent), prior,
        row.expires_at)


# -- checking marks ------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _checked(spec: EssaySpec, marks: Mapping[str, Any], prefix: str,
             errors: list[tuple[str, str, dict]]) -> dict[str, Any]:
    """The marks of one rubric with blanks left out (a blank is a missing mark); each
    problem the domain finds is added to ``errors`` (one per criterion)."""
    given = {str(k): _clean(v) for k, v in (marks or {}).items() if _clean(v) not in ("", None)}
    points = {c.id: c.points for c in spec.rubric}
    # the domain stops at the first problem: ask it about each criterion on its own
    for key in sorted(set(given) - set(points)):
        errors.append((prefix + key, "unknown_criterion", {}))
    for criterion in spec.rubric:
        single = EssaySpec(stem=spec.stem, points=criterion.points, rubric=(criterion,))
        try:
            mark_essay(single, {criterion.id: given[criterion.id]} if criterion.id in given
                       else {})
        except MarkingError as exc:
            errors.append((prefix + criterion.id, exc.code, {"max": criterion.points,
                                                           "name": criterion.name}))
    return given


def check_marks(spec: ItemSpec, detail: ItemResult, marks: Mapping[str, Any]) -> ItemResult:
    """The completed result of the marker's marks, or `MarkingInvalid` listing every problem.

    ``marks``: criterion id → mark for an essay; sub-item id → {criterion id → mark} for a
    case study. The result is `mark_essay` / `mark_case_study`'s.
    """
    errors: list[tuple[str, str, dict]] = []
    if isinstance(spec, EssaySpec):
        given = _checked(spec, marks, "", errors)
        if errors:
            raise MarkingInvalid(errors)
        return mark_essay(spec, given, detail)
    if not isinstance(spec, CaseStudySpec):
        raise MarkingInvalid([("", "not_an_essay", {})])
    subs = {sub.id: sub.spec for sub in spec.sub_items}
    waiting = [p.key for p in detail.parts if p.result is not None and p.result.needs_marking]
    for key in sorted(set(marks or {}) - set(waiting)):
        errors.append((str(key), "not_awaiting_marking", {}))
    given = {}
    for key in waiting:
        sub_marks = (marks or {}).get(key)
        given[key] = _checked(subs[key], sub_marks if isinstance(sub_marks, Mapping) else {},
                              f"{key}.", errors)
    if errors:
        raise MarkingInvalid(errors)
    return mark_case_study(spec, detail, given)


def _comments(spec: ItemSpec, detail: ItemResult, comments: Mapping[str, Any] | None) -> dict:
    """The per-criterion comments, shaped like the marks, trimmed and bounded."""
    comments = comments or {}

    def text(value) -> str:
        return value.strip()[:MAX_COMMENT] if isinstance(value, str) else ""

    if isinstance(spec, EssaySpec):
        return {c.id: text(comments.get(c.id)) for c in spec.rubric}
    subs = {sub.id: sub.spec for sub in getattr(spec, "sub_items", ())}
    out = {}
    for part in detail.parts:
        if part.result is not None and part.result.needs_marking:
            own = comments.get(part.key) if isinstance(comments.get(part.key), Mapping) else {}
            out[part.key] = {c.id: text(own.get(c.id)) for c in subs[part.key].rubric}
    return out


def _stored(spec: ItemSpec, base: ItemResult, result: ItemResult) -> dict:
    """The marks as stored, read back from the completed result: criterion id → "2.50"
    (a case study: sub-item id → {criterion id → mark}, for the parts that awaited marking)."""
    if isinstance(spec, EssaySpec):
        criteria = {c.id for c in spec.rubric}
        return {p.key: str(p.score) for p in result.parts if p.key in criteria}
    subs = {sub.id: sub.spec for sub in getattr(spec, "sub_items", ())}
    waiting = {p.key for p in base.parts if p.result is not None and p.result.needs_marking}
    return {p.key: _stored(subs[p.key], base, p.result) for p in result.parts
            if p.key in waiting and p.result is not None}


# -- submitting a mark ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    round: Round
    total: Decimal  #: this marker's mark, in the paper's points
    final: Decimal | None  #: the slot's final score once decided
    method: Method | None
    needs_reconciliation: bool
    attempt_state: AttemptState | None  #: set when the attempt was graded by this mark


def submit_mark(marker, claim_id: int, marks: Mapping[str, Any], *,
                comments: Mapping[str, Any] | None = None, comment: str = "",
                now: datetime | None = None) -> Submitted:
    """Store the marker's mark for their claim; see the module docstring."""
    now = now or utcnow()
    row = _claim_row(marker, claim_id)
    spec = _spec(row.version_id)
    mine = check_marks(spec, ItemResult.from_dict(row.detail), marks)  # before any write
    round_ = Round(row.round)
    attempt_id, slot = row.attempt_id, row.slot

    # the lock: every mark of this attempt after this statement waits for our commit
    locked = db.session.scalar(
        sa.update(ExamResult).where(ExamResult.attempt_id == attempt_id)
        .values(revision=ExamResult.revision).returning(ExamResult.attempt_id)
        .execution_options(synchronize_session=False))
    if locked is None:
        raise NotFound()
    still_mine = db.session.scalar(
        sa.delete(EssayClaim).where(EssayClaim.id == claim_id,
                                    EssayClaim.marker_id == marker.id)
        .returning(EssayClaim.id).execution_options(synchronize_session=False))
    if still_mine is None:
        raise MarkNotNeeded()
    current = db.session.execute(
        sa.select(ItemScore.status, ItemScore.score, ItemScore.detail, ItemScore.points)
        .where(ItemScore.attempt_id == attempt_id, ItemScore.slot == slot)).one()
    attempt = db.session.execute(
        sa.select(ExamAttempt.state, ExamAttempt.paper, ExamAttempt.pass_percent,
                  Exam.double_marking, Exam.marking_tolerance_percent, Exam.release)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .where(ExamAttempt.id == attempt_id)).one()
    given = [GivenMark(Round(m.round), m.marker_id, m.total) for m in db.session.execute(
        sa.select(EssayMark.round, EssayMark.marker_id, EssayMark.total)
        .where(EssayMark.attempt_id == attempt_id, EssayMark.slot == slot))]
    before = rules.slot_state(given, double=attempt.double_marking, points=current.points,
                              tolerance_percent=attempt.marking_tolerance_percent)
    if (current.status != SlotStatus.PENDING_MANUAL.value
            or attempt.state not in marking.FINISHED_UNGRADED
            or round_ not in before.open_rounds
            or not rules.may_mark(marker.id, given, round_)):
        raise MarkNotNeeded()

    base = ItemResult.from_dict(current.detail)
    mine = check_marks(spec, base, marks)  # against the slot as it is now
    total = grading.scaled(mine, current.points)
    stored = _stored(spec, base, mine)
    db.session.add(EssayMark(attempt_id=attempt_id, slot=slot, marker_id=marker.id,
                             round=round_.value, marks=stored,
                             comments=_comments(spec, base, comments),
                             comment=(comment or "").strip()[:MAX_COMMENT], total=total,
                             created_at=now))
    db.session.flush()
    given.append(GivenMark(round_, marker.id, total))
    after = rules.slot_state(given, double=attempt.double_marking, points=current.points,
                             tolerance_percent=attempt.marking_tolerance_percent)
    graded_state = None
    audit_after = {"slot": slot, "round": round_.value, "total": str(total),
                   "score": None, "status": current.status}
    if after.decided:
        if after.method is Method.MEAN:
            other = next(m for m in given if m.marker_id != marker.id)
            detail = rules.mean_result(_result_of(spec, base, attempt_id, slot, other.marker_id),
                                       mine)
        else:
            detail = mine
        db.session.execute(
            sa.update(ItemScore)
            .where(ItemScore.attempt_id == attempt_id, ItemScore.slot == slot)
            .values(score=after.final, status=SlotStatus.MANUAL.value,
                    detail=detail.to_dict(), marked_at=now)
            .execution_options(synchronize_session=False))
        graded_state = _regrade_result(attempt_id, attempt, now, marker)
        audit_after.update(score=str(after.final), status=SlotStatus.MANUAL.value,
                           method=after.method.value)
    elif after.disagree:
        audit_after["needs_reconciliation"] = True
    audit.record("essay.marked", actor=marker, object_type="exam_attempts",
                 object_id=attempt_id,
                 before={"slot": slot, "score": None if current.score is None
                         else str(current.score), "status": current.status},
                 after=audit_after)
    return Submitted(round_, total, after.final, after.method, after.disagree and
                     not after.decided, graded_state)


def _result_of(spec: ItemSpec, base: ItemResult, attempt_id: int, slot: int,
               marker_id: int) -> ItemResult:
    """Another marker's completed result, from the marks they stored."""
    marks = db.session.scalar(sa.select(EssayMark.marks).where(
        EssayMark.attempt_id == attempt_id, EssayMark.slot == slot,
        EssayMark.marker_id == marker_id))
    return check_marks(spec, base, marks)


def _regrade_result(attempt_id: int, attempt, now: datetime, marker) -> AttemptState | None:
    """Recompute the attempt's result from its slot rows (one query); grade it when nothing
    is pending any more. Returns the attempt's new state when it was graded."""
    slots = [grading.SlotGrade(
        row.slot, row.section, row.question_id, row.version_id, row.points, row.score,
        SlotStatus(row.status),
        # summarise reads scores, points, sections and statuses only: no need to decode
        # every slot's detail
        ItemResult(row.score, row.points, None))
        for row in db.session.execute(
            sa.select(ItemScore.slot, ItemScore.section, ItemScore.question_id,
                      ItemScore.version_id, ItemScore.points, ItemScore.score,
                      ItemScore.status)
            .where(ItemScore.attempt_id == attempt_id).order_by(ItemScore.slot))]
    result = grading.summarise(slots, pass_percent=attempt.pass_percent or Decimal(0),
                               min_percent=grading.section_minimums(attempt.paper))
    before = db.session.execute(
        sa.select(ExamResult.score, ExamResult.percent, ExamResult.passed,
                  ExamResult.pending_manual, ExamResult.revision)
        .where(ExamResult.attempt_id == attempt_id)).one()
    db.session.execute(
        sa.update(ExamResult).where(ExamResult.attempt_id == attempt_id)
        .values(score=result.score, max_score=result.max_score, percent=result.percent,
                passed=result.passed, section_scores=[s.to_dict() for s in result.sections],
                pending_manual=result.pending_manual,
                graded_at=now if result.complete else None,
                revision=ExamResult.revision + 1)
        .execution_options(synchronize_session=False))
    if not result.complete:
        return None
    immediate = {attempt_id} if attempt.release == Release.IMMEDIATE else set()
    graded, released = marking.finish_grading([attempt_id], immediate)
    if not graded:
        return None
    state = S.RELEASED if released else S.GRADED
    audit.record("exam_attempt.graded", actor=marker, object_type="exam_attempts",
                 object_id=attempt_id,
                 before={"score": str(before.score), "percent": str(before.percent),
                         "passed": before.passed, "pending_manual": before.pending_manual},
                 after={"score": str(result.score), "percent": str(result.percent),
                        "passed": result.passed, "pending_manual": 0, "state": state.value,
                        "revision": before.revision + 1})
    return state
