"""Item statistics of an exam's marked attempts (issue 7 item 6, on the database).

``exam_statistics(exam)`` reads the scores of the exam's *graded* attempts (a final
result — nothing waits for a marker — and not invalidated) from
``exam_item_scores``, one column per question, and hands them to
`lms.domain.item_analysis.analyse`. Two SELECTs whatever the number of attempts:
the scores (with the scoring detail of choice items only), and the questions
with the version last used.

Distractors come from the stored scoring detail, not the raw responses: for a
single or multiple choice slot the detail lists the choices with
``"selected"`` (what `lms.domain.scoring` wrote when marking), so what each
attempt chose is read in the same pass as the scores. The options and the key
are those of the latest version of the question the attempts were given;
choices that version does not have are listed after its options.

A slot worth different points in different attempts (the exam's points changed
between sittings) is scaled to the largest, so each column has one maximum.
Slots worth nothing (descriptions) are left out.

``refresh(exam)`` also stores each item's facility, discrimination, item-rest r
and flags in `ItemStatistic` (an upsert, two statements), which the question-bank
browser reads for a whole page in one query (``latest_for_questions``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState
from lms.domain.item_analysis import Analysis, ChoiceResponses, ItemStats, analyse
from lms.domain.items import ItemType
from lms.errors import NotFound
from lms.exams.models import Exam, ExamAttempt
from lms.extensions import db
from lms.grading.models import ExamResult, ItemScore
from lms.permissions import EXAM_EDITORS, can_edit_exam_definition, exams_in_scope_filter
from lms.questions.models import Question, QuestionBank, QuestionVersion
from lms.reports.models import ItemStatistic

CHOICE_TYPES = (ItemType.SINGLE_CHOICE.value, ItemType.MULTIPLE_CHOICE.value)
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ItemRow:
    question_id: int
    external_id: str
    bank_code: str
    type: str
    stem: str
    stats: ItemStats


@dataclass(frozen=True)
class ExamStatistics:
    exam: Exam
    analysis: Analysis
    items: tuple[ItemRow, ...]
    used_until: datetime | None  #: when the latest analysed attempt ended

    @property
    def attempts(self) -> int:
        return self.analysis.paper.attempts


def get_exam(actor, exam_id: int) -> Exam:
    """The exam, if ``actor`` may read its statistics (its editors and managers in scope:
    trainers, officers, administrators); else NotFound."""
    exam = db.session.scalar(sa.select(Exam).where(Exam.id == exam_id)
                             .options(joinedload(Exam.organisation)))
    if exam is None or not can_edit_exam_definition(actor, exam):
        raise NotFound()
    return exam


def analysable_exams(actor) -> list[tuple[int, str, str, int]]:
    """(id, code, title, graded attempts) of the exams in ``actor``'s scope that have
    graded attempts: one SELECT."""
    return db.session.execute(
        sa.select(Exam.id, Exam.code, Exam.title, sa.func.count(ExamAttempt.id))
        .join(ExamAttempt, ExamAttempt.exam_id == Exam.id)
        .join(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .where(exams_in_scope_filter(actor, *EXAM_EDITORS), ExamResult.passed.is_not(None),
               ExamAttempt.state != AttemptState.INVALIDATED)
        .group_by(Exam.id, Exam.code, Exam.title).order_by(Exam.code)).all()


def _chosen(detail) -> list[str]:
    parts = (detail or {}).get("parts") or ()
    return [p["key"] for p in parts if isinstance(p, dict) and p.get("detail") == "selected"]


def _choice_key(spec: dict, kind: str) -> tuple[list[str], set[str]]:
    """The options of a choice spec (as stored JSON) and the keys that are right."""
    choices = spec.get("choices") or ()
    options = [c["id"] for c in choices]
    if kind == ItemType.SINGLE_CHOICE:
        right = {c["id"] for c in choices if Decimal(str(c.get("weight", 0))) == _HUNDRED}
    else:
        right = {c["id"] for c in choices if Decimal(str(c.get("weight", 0))) > 0}
    return options, right


def _stem_excerpt(spec: dict, length: int = 60) -> str:
    text = " ".join(str(spec.get("stem") or spec.get("scenario") or "").split())
    return text if len(text) <= length else text[:length - 1] + "…"


def exam_statistics(exam: Exam) -> ExamStatistics:
    is_choice = Question.type.in_(CHOICE_TYPES)
    rows = db.session.execute(
        sa.select(ItemScore.attempt_id, ItemScore.question_id, ItemScore.version_id,
                  ItemScore.score, ItemScore.points,
                  sa.case((is_choice, ItemScore.detail), else_=sa.null()),
                  ExamAttempt.finished_at)
        .join(ExamAttempt, ExamAttempt.id == ItemScore.attempt_id)
        .join(ExamResult, ExamResult.attempt_id == ItemScore.attempt_id)
        .join(Question, Question.id == ItemScore.question_id)
        .where(ExamAttempt.exam_id == exam.id, ExamResult.passed.is_not(None),
               ExamAttempt.state != AttemptState.INVALIDATED, ItemScore.points > 0)
        .order_by(ItemScore.attempt_id, ItemScore.slot)).all()

    attempts: dict[int, dict[int, tuple[Decimal, Decimal, object]]] = {}
    maxima: dict[int, Decimal] = {}
    latest_version: dict[int, int] = {}
    used_until: datetime | None = None
    for attempt_id, question_id, version_id, score, points, detail, finished in rows:
        attempts.setdefault(attempt_id, {})[question_id] = (score, points, detail)
        maxima[question_id] = max(points, maxima.get(question_id, points))
        latest_version[question_id] = max(version_id, latest_version.get(question_id, 0))
        if finished is not None and (used_until is None or finished > used_until):
            used_until = finished

    info = {}
    if latest_version:
        info = {qid: (external_id, bank_code, kind, spec) for qid, external_id, kind, bank_code,
                spec in db.session.execute(
                    sa.select(Question.id, Question.external_id, Question.type,
                              QuestionBank.code, QuestionVersion.spec)
                    .join(Question, Question.id == QuestionVersion.question_id)
                    .join(QuestionBank, QuestionBank.id == Question.bank_id)
                    .where(QuestionVersion.id.in_(list(latest_version.values()))))}
    question_ids = sorted(maxima, key=lambda q: (info[q][1], info[q][0], q))

    scores = []
    chosen: dict[int, list] = defaultdict(list)
    choice_columns = [j for j, q in enumerate(question_ids) if info[q][2] in CHOICE_TYPES]
    for cells in attempts.values():
        row = []
        for q in question_ids:
            cell = cells.get(q)
            if cell is None or cell[0] is None:
                row.append(None)
            elif cell[1] == maxima[q]:
                row.append(cell[0])
            else:
                row.append(cell[0] * maxima[q] / cell[1])
        scores.append(row)
        for j in choice_columns:
            cell = cells.get(question_ids[j])
            picked = _chosen(cell[2]) if cell is not None else []
            if info[question_ids[j]][2] == ItemType.SINGLE_CHOICE:
                chosen[j].append(picked[0] if picked else None)
            else:
                chosen[j].append(picked)
    choices = {}
    for j in choice_columns:
        options, right = _choice_key(info[question_ids[j]][3], info[question_ids[j]][2])
        choices[j] = ChoiceResponses(options=options, correct=right, chosen=chosen[j])

    analysis = analyse(scores, [maxima[q] for q in question_ids], choices=choices,
                       item_ids=question_ids)
    items = tuple(ItemRow(q, info[q][0], info[q][1], info[q][2], _stem_excerpt(info[q][3]),
                          stats) for q, stats in zip(question_ids, analysis.items, strict=True))
    return ExamStatistics(exam, analysis, items, used_until)


def store(statistics: ExamStatistics, now: datetime | None = None) -> None:
    """Replace the exam's rows in `ItemStatistic` with ``statistics``: a DELETE of the
    questions no longer analysed and one upsert per 500 items."""
    now = now or utcnow()
    exam_id = statistics.exam.id
    question_ids = [row.question_id for row in statistics.items]
    db.session.execute(sa.delete(ItemStatistic).where(
        ItemStatistic.exam_id == exam_id, ItemStatistic.question_id.not_in(question_ids)))
    values = [{"question_id": row.question_id, "exam_id": exam_id, "responses": row.stats.n,
               "attempts": statistics.attempts, "facility": row.stats.facility,
               "discrimination": row.stats.discrimination,
               "item_rest_r": row.stats.item_rest_r,
               "flags": [flag.value for flag in row.stats.flags],
               "used_until": statistics.used_until, "computed_at": now}
              for row in statistics.items]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ItemStatistic.__table__
    for start in range(0, len(values), 500):
        statement = insert(table).values(values[start:start + 500])
        statement = statement.on_conflict_do_update(
            index_elements=["question_id", "exam_id"],
            set_={name: statement.excluded[name] for name in values[0]
                  if name not in ("question_id", "exam_id")})
        db.session.execute(statement)


def refresh(exam: Exam, now: datetime | None = None) -> ExamStatistics:
    """Compute the exam's statistics and store them for the bank browser (flushes)."""
    statistics = exam_statistics(exam)
    store(statistics, now)
    return statistics


def latest_for_questions(question_ids) -> dict[int, ItemStatistic]:
    """Each question's statistics from the exam that used it last: one SELECT."""
    ids = list(question_ids)
    if not ids:
        return {}
    latest: dict[int, ItemStatistic] = {}
    for row in db.session.scalars(
            sa.select(ItemStatistic).where(ItemStatistic.question_id.in_(ids))
            .order_by(ItemStatistic.question_id, ItemStatistic.used_until.desc().nulls_last(),
                      ItemStatistic.computed_at.desc())):
        latest.setdefault(row.question_id, row)
    return latest


__all__ = ["CHOICE_TYPES", "ExamStatistics", "ItemRow", "analysable_exams", "exam_statistics",
           "get_exam", "latest_for_questions", "refresh", "store"]
