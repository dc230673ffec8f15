"""Exam blueprints: reading an exam's sections, the pool of approved questions they
draw from, and whether every section can be filled."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from lms.domain import assembly
from lms.domain.items import ItemSpec, item_from_dict
from lms.exams.models import Exam
from lms.extensions import db
from lms.questions.models import (
    Category,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)

FILTER_KEYS = ("banks", "domains", "types", "tags", "difficulties", "category")


class BlueprintError(ValueError):
    """A section is malformed; ``section`` is its position (from 1), ``code`` says why."""

    def __init__(self, section: int, code: str):
        super().__init__(f"section {section}: {code}")
        self.section, self.code = section, code


def section_from_dict(data: dict, position: int = 1) -> assembly.Section:
    """One stored section as the assembler reads it; `BlueprintError` if malformed."""
    if not isinstance(data, dict) or not str(data.get("key") or "").strip():
        raise BlueprintError(position, "key")
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 500:
        raise BlueprintError(position, "count")
    try:
        points = Decimal(str(data.get("points")))
    except InvalidOperation:
        raise BlueprintError(position, "points") from None
    if not points.is_finite() or points <= 0:
        raise BlueprintError(position, "points")
    raw = data.get("filter") or {}
    if not isinstance(raw, dict) or set(raw) - set(FILTER_KEYS):
        raise BlueprintError(position, "filter")
    try:
        difficulties = frozenset(int(d) for d in raw.get("difficulties") or ())
    except (TypeError, ValueError):
        raise BlueprintError(position, "filter") from None
    return assembly.Section(
        key=str(data["key"]), count=count, points_per_item=points,
        filter=assembly.SectionFilter(
            banks=frozenset(raw.get("banks") or ()), domains=frozenset(raw.get("domains") or ()),
            types=frozenset(raw.get("types") or ()), tags=frozenset(raw.get("tags") or ()),
            difficulties=difficulties, category=str(raw.get("category") or "")))


def sections_of(exam: Exam) -> list[assembly.Section]:
    return [section_from_dict(data, i) for i, data in enumerate(exam.sections or [], 1)]


def pool_for(exam: Exam) -> tuple[list[assembly.PoolItem], Mapping[int, ItemSpec]]:
    """The approved, live questions the exam's sections may draw, and their specs.

    Two queries whatever the bank sizes: the versions (which carry the specs)
    and their tags. Specs are parsed only when a paper draws them.
    """
    sections = sections_of(exam)
    banks = set().union(*(s.filter.banks for s in sections)) if sections else set()
    domains = set().union(*(s.filter.domains for s in sections)) if sections else set()
    query = (sa.select(QuestionVersion.id, QuestionVersion.spec, QuestionVersion.difficulty,
                       Question.id, Question.domain, QuestionBank.code, Category.path)
             .join(Question, Question.approved_version_id == QuestionVersion.id)
             .join(QuestionBank, QuestionBank.id == Question.bank_id)
             .outerjoin(Category, Category.id == Question.category_id)
             .where(Question.status != QuestionStatus.RETIRED))
    # narrow only when every section names banks (or domains); otherwise any may match
    if sections and all(s.filter.banks for s in sections):
        query = query.where(QuestionBank.code.in_(banks))
    if sections and all(s.filter.domains for s in sections):
        query = query.where(Question.domain.in_(domains))
    rows = db.session.execute(query).all()
    tags: dict[int, set[str]] = {}
    for question_id, tag in db.session.execute(
            sa.select(QuestionTag.question_id, QuestionTag.tag)
            .where(QuestionTag.question_id.in_([row[3] for row in rows]))):
        tags.setdefault(question_id, set()).add(tag)
    pool, specs = [], {}
    for version_id, spec, difficulty, question_id, domain, bank, path in rows:
        if spec.get("type") == "description":
            continue
        pool.append(assembly.PoolItem(
            question_id=question_id, version_id=version_id, type=spec.get("type", ""),
            difficulty=difficulty, domain=str(domain), tags=frozenset(tags.get(question_id, ())),
            category=path or "", bank=bank))
        specs[version_id] = spec
    return pool, _ParsedOnDemand(specs)


class _ParsedOnDemand(Mapping):
    """Version id → ItemSpec, parsing only the versions a paper actually draws."""

    def __init__(self, raw: dict[int, dict]):
        self._raw, self._parsed = raw, {}

    def __getitem__(self, version_id: int) -> ItemSpec:
        if version_id not in self._parsed:
            self._parsed[version_id] = item_from_dict(self._raw[version_id])
        return self._parsed[version_id]

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def shortages(exam: Exam) -> list[tuple[str, int, int]]:
    """Sections with too few approved items: (section key, available, needed)."""
    pool, _ = pool_for(exam)
    return assembly.shortages(sections_of(exam), pool)


def max_score(exam: Exam) -> Decimal:
    return sum((s.points_per_item * s.count for s in sections_of(exam)), Decimal(0))
