"""Banks, questions and their immutable versions, review and retirement.

Services flush and leave the commit to the caller. Every review decision and
retirement is written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.courses import storage
from lms.courses.models import Domain
from lms.domain.files import JPEG, PNG, WEBP
from lms.domain.identity import normalise_email, normalise_text
from lms.domain.items import CaseStudySpec, ItemSpec, item_from_dict
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db
from lms.questions.formats.base import BankItem
from lms.questions.models import (
    Category,
    Question,
    QuestionBank,
    QuestionReview,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)

#: a bank's code, as bank files require it (``question_banks/schema.json``)
CODE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
#: codes the bank pages' own URLs use (/questions/banks/new)
RESERVED_CODES = frozenset({"new"})
MAX_TAG_LENGTH = 100


def get_bank(code: str) -> QuestionBank:
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.code == code))
    if bank is None:
        raise NotFound()
    return bank


def create_bank(*, code: str, title: str, domain: str, description: str = "",
                actor=None) -> QuestionBank:
    code = normalise_text(code).lower()
    if not CODE_SHAPE.match(code):
        raise ValidationFailed("code", "shape")
    if code in RESERVED_CODES or db.session.scalar(
            sa.select(QuestionBank.id).where(QuestionBank.code == code)):
        raise ValidationFailed("code", "taken")
    if domain not in Domain._value2member_map_:
        raise ValidationFailed("domain", "invalid")
    if not normalise_text(title):
        raise ValidationFailed("title", "required")
    bank = QuestionBank(code=code, title=normalise_text(title), domain=Domain(domain),
                        description=description, owner_id=getattr(actor, "id", None))
    db.session.add(bank)
    db.session.flush()
    audit.record("bank.created", actor=actor, obj=bank, after={"code": code})
    return bank


def update_bank(bank: QuestionBank, *, title: str, description: str,
                editor_emails: list[str], actor) -> None:
    """Title, description and the shared editors (trainers or administrators, by e-mail)."""
    from lms.accounts.models import Role, User

    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    emails = list(dict.fromkeys(normalise_email(e) for e in editor_emails if e.strip()))
    users = {u.email: u for u in db.session.scalars(
        sa.select(User).where(User.email.in_(emails)))} if emails else {}
    for email in emails:
        user = users.get(email)
        if user is None:
            raise ValidationFailed("editors", "unknown", email=email)
        if not user.has_role(Role.TRAINER, Role.ADMIN):
            raise ValidationFailed("editors", "not_author", email=email)
    before = {"title": bank.title, "description": bank.description,
              "editors": sorted(u.email for u in bank.editors)}
    bank.title, bank.description = title, (description or "").strip()
    bank.editors = [users[e] for e in emails if users[e].id != bank.owner_id]
    after = {"title": bank.title, "description": bank.description,
             "editors": sorted(u.email for u in bank.editors)}
    changed_before, changed_after = audit.changes(before, after)
    if changed_after:
        audit.record("bank.updated", actor=actor, obj=bank, before=changed_before,
                     after=changed_after)
    db.session.flush()


def ensure_category(bank: QuestionBank, path: str) -> Category | None:
    """The category at ``path`` (``a/b/c``), creating it and its parents."""
    names = [normalise_text(n) for n in (path or "").split("/") if normalise_text(n)]
    if not names:
        return None
    existing = {c.path: c for c in bank.categories}
    parent = None
    for depth in range(1, len(names) + 1):
        current = "/".join(names[:depth])
        if current not in existing:
            category = Category(name=names[depth - 1], path=current, parent=parent)
            bank.categories.append(category)
            existing[current] = category
        parent = existing[current]
    return parent


def search_text(spec: ItemSpec) -> str:
    """Plain text of everything a searcher may look for: stem, options, scenario."""
    parts = [spec.stem]
    for name in ("choices", "lefts", "rights", "items"):
        parts += [entry.text for entry in getattr(spec, name, ())]
    if isinstance(spec, CaseStudySpec):
        parts.append(spec.scenario)
        parts += [search_text(sub.spec) for sub in spec.sub_items]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Metadata:
    difficulty: int = 3
    knowledge_points: tuple[str, ...] = ()
    statutes: tuple[dict, ...] = ()

    @classmethod
    def of(cls, item: BankItem) -> Metadata:
        return cls(difficulty=item.difficulty or 3, knowledge_points=tuple(item.tags),
                   statutes=tuple(item.statutes))


def _check_metadata(meta: Metadata) -> None:
    if not 1 <= meta.difficulty <= 5:
        raise ValidationFailed("difficulty", "range")


def _append_version(question: Question, spec: ItemSpec, meta: Metadata, *, actor,
                    note: str) -> QuestionVersion:
    """The question's next version, made current; not flushed (an import flushes its
    questions together: a flush per question was most of an import's time)."""
    number = 1 if question.id is None else 1 + (db.session.scalar(
        sa.select(sa.func.max(QuestionVersion.number)).where(
            QuestionVersion.question_id == question.id)) or 0)
    version = QuestionVersion(
        question=question, number=number, spec=spec.to_dict(),
        difficulty=meta.difficulty, knowledge_points=list(meta.knowledge_points),
        statutes=[dict(s) for s in meta.statutes], search_text=search_text(spec),
        author_id=getattr(actor, "id", None), note=note[:500])
    db.session.add(version)
    question.current_version = version
    question.type = spec.to_dict()["type"]
    question.difficulty = meta.difficulty
    question.tags = [QuestionTag(tag=t) for t in dict.fromkeys(meta.knowledge_points)]
    return version


def create_question(bank: QuestionBank, spec: ItemSpec, meta: Metadata, *, actor,
                    external_id: str | None = None, category: str = "",
                    note: str = "") -> Question:
    """A new draft question with its first version."""
    question = _new_question(bank, spec, meta, actor=actor,
                             external_id=external_id or ExternalIds.of(bank).next(),
                             category=category, note=note or "created")
    db.session.flush()
    return question


def _new_question(bank: QuestionBank, spec: ItemSpec, meta: Metadata, *, actor,
                  external_id: str, category: str, note: str) -> Question:
    """A new draft question with its first version, added to the session (not flushed)."""
    _check_metadata(meta)
    question = Question(bank=bank, external_id=external_id, domain=bank.domain,
                        category=ensure_category(bank, category),
                        created_by_id=getattr(actor, "id", None), type="", difficulty=3)
    db.session.add(question)
    _append_version(question, spec, meta, actor=actor, note=note)
    return question


@dataclass
class ExternalIds:
    """Free ``<code>-<n>`` ids for a bank's new questions, the first free number from
    the bank's size on (imported ids may already use some). The bank's ids are read
    once: an import read them all again for each question."""

    prefix: str
    number: int
    taken: set[str]

    @classmethod
    def of(cls, bank: QuestionBank) -> ExternalIds:
        size = db.session.scalar(sa.select(sa.func.count(Question.id)).where(
            Question.bank_id == bank.id)) or 0
        taken = set(db.session.scalars(sa.select(Question.external_id).where(
            Question.bank_id == bank.id, Question.external_id.startswith(f"{bank.code}-"))))
        return cls(bank.code, size + 1, taken)

    def next(self) -> str:
        while f"{self.prefix}-{self.number:04d}" in self.taken:
            self.number += 1
        external_id = f"{self.prefix}-{self.number:04d}"
        self.taken.add(external_id)
        return external_id


def edit_question(question: Question, spec: ItemSpec, meta: Metadata, *, actor,
                  category: str | None = None, note: str = "") -> QuestionVersion | None:
    """Save an edit as a new version; None when nothing changed.

    An approved question goes back to draft: its approved version keeps serving
    exams until the new one is approved.
    """
    if question.status == QuestionStatus.RETIRED:
        raise InvalidTransition("retired questions are not edited")
    _check_metadata(meta)
    if category is not None:
        question.category = ensure_category(question.bank, category)
    current = question.current_version
    if current is not None and current.spec == spec.to_dict() and _meta_of(current) == meta:
        return None
    version = _append_version(question, spec, meta, actor=actor, note=note or "edited")
    if question.status in (QuestionStatus.APPROVED, QuestionStatus.IN_REVIEW):
        question.status = QuestionStatus.DRAFT
    db.session.flush()
    return version


def _meta_of(version: QuestionVersion) -> Metadata:
    return Metadata(difficulty=version.difficulty,
                    knowledge_points=tuple(version.knowledge_points),
                    statutes=tuple(version.statutes))


def spec_of(version: QuestionVersion) -> ItemSpec:
    return item_from_dict(version.spec)


def metadata_of(version: QuestionVersion) -> Metadata:
    return _meta_of(version)


def add_knowledge_point(question: Question, tag: str, *, actor) -> QuestionVersion | None:
    """Tag the question: a new version whose knowledge points end with ``tag``.

    None when it already has the tag. Like any edit, an approved question goes
    back to draft (its approved version keeps serving) and a retired one is refused.
    """
    tag = normalise_text(tag)
    if not tag:
        raise ValidationFailed("tag", "required")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValidationFailed("tag", "too_long")
    current = question.current_version
    meta = _meta_of(current)
    if tag in meta.knowledge_points:
        return None
    meta = Metadata(difficulty=meta.difficulty, knowledge_points=(*meta.knowledge_points, tag),
                    statutes=meta.statutes)
    return edit_question(question, spec_of(current), meta, actor=actor,
                         note=f"tag added: {tag}")


# -- review -------------------------------------------------------------------


def submit_for_review(question: Question, *, actor) -> None:
    if question.status != QuestionStatus.DRAFT:
        raise InvalidTransition("only drafts are sent for review")
    question.status = QuestionStatus.IN_REVIEW
    audit.record("question.submitted", actor=actor, obj=question,
                 after={"version": question.current_version.number})


def can_approve(question: Question, reviewer) -> bool:
    """A second person approves: never the author of the version under review."""
    version = question.current_version
    return (question.status in (QuestionStatus.IN_REVIEW, QuestionStatus.DRAFT)
            and version is not None and version.author_id != getattr(reviewer, "id", None))


def approve(question: Question, *, reviewer, comment: str = "") -> None:
    if question.status not in (QuestionStatus.IN_REVIEW, QuestionStatus.DRAFT):
        raise InvalidTransition("nothing to approve")
    if not can_approve(question, reviewer):
        raise ValidationFailed("reviewer", "own_item")
    _review(question, reviewer, "approved", comment)
    question.status = QuestionStatus.APPROVED
    question.approved_version = question.current_version
    db.session.flush()


def request_changes(question: Question, *, reviewer, comment: str) -> None:
    if question.status != QuestionStatus.IN_REVIEW:
        raise InvalidTransition("not in review")
    if not comment.strip():
        raise ValidationFailed("comment", "required")
    _review(question, reviewer, "changes_requested", comment)
    question.status = QuestionStatus.DRAFT


def retire(question: Question, *, actor, reason: str) -> None:
    if question.status == QuestionStatus.RETIRED:
        return
    _review(question, actor, "retired", reason)
    question.status = QuestionStatus.RETIRED


def _review(question: Question, reviewer, decision: str, comment: str) -> None:
    db.session.add(QuestionReview(question_id=question.id,
                                  version_id=question.current_version_id,
                                  reviewer_id=getattr(reviewer, "id", None),
                                  decision=decision, comment=comment))
    audit.record(f"question.{decision}", actor=reviewer, obj=question,
                 before={"status": question.status.value},
                 after={"version": question.current_version.number, "comment": comment})


def questions_citing(law: str, version: str, *,
                     bank_ids: Collection[int] | None = None) -> list[Question]:
    """The live questions whose current version cites ``law`` at ``version``
    (in the banks ``bank_ids`` when given), by bank and external id."""
    query = (sa.select(Question).join(Question.current_version)
             .where(Question.status != QuestionStatus.RETIRED)
             .options(joinedload(Question.current_version), joinedload(Question.bank))
             .order_by(Question.bank_id, Question.external_id))
    if bank_ids is not None:
        query = query.where(Question.bank_id.in_(list(bank_ids)))
    return [question for question in db.session.scalars(query).unique()
            if any(s.get("law") == law and s.get("version") == version
                   for s in question.current_version.statutes)]


def retire_citing(law: str, version: str, *, actor, reason: str,
                  bank_ids: Collection[int] | None = None) -> int:
    """Retire every live question whose current version cites ``law`` at ``version``.

    The one bulk action for a law that changed: each retirement is audited and
    so is the action as a whole. ``bank_ids`` limits it to those banks.
    Returns how many were retired.
    """
    if not reason.strip():
        raise ValidationFailed("reason", "required")
    citing = questions_citing(law, version, bank_ids=bank_ids)
    for question in citing:
        retire(question, actor=actor, reason=reason)
    audit.record("question.retired_by_law", actor=actor, object_type="questions",
                 after={"law": law, "version": version, "reason": reason,
                        "count": len(citing),
                        "banks": sorted({q.bank.code for q in citing}),
                        "questions": [q.id for q in citing]})
    return len(citing)


# -- import -----------------------------------------------------------------------


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def imported(self) -> int:
        return self.created + self.updated


def import_items(bank: QuestionBank, items: list[BankItem], *, actor,
                 trust_status: bool = False, note: str = "imported") -> ImportCounts:
    """Add or update questions, matched by external id within the bank.

    :param trust_status: take the status the file states (the shipped banks,
        loaded by ``seed``); otherwise everything imported starts as a draft.
    """
    existing = {q.external_id: q for q in db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id)
        .options(joinedload(Question.current_version)))}
    counts = ImportCounts()
    free_ids = ExternalIds.of(bank)
    free_ids.taken.update(item.external_id for item in items if item.external_id)
    for item in items:
        item = _with_stored_images(item)
        question = existing.get(item.external_id) if item.external_id else None
        meta = Metadata.of(item)
        if question is None:
            question = _new_question(bank, item.spec, meta, actor=actor,
                                     external_id=item.external_id or free_ids.next(),
                                     category=item.category, note=note)
            counts.created += 1
        elif edit_question(question, item.spec, meta, actor=actor, category=item.category,
                           note=note) is None:
            counts.unchanged += 1
        else:
            counts.updated += 1
        if trust_status and item.status:
            _take_status(question, QuestionStatus(item.status))
    db.session.flush()
    audit.record("bank.imported", actor=actor, obj=bank,
                 after={"note": note, "created": counts.created, "updated": counts.updated,
                        "unchanged": counts.unchanged})
    return counts


def _with_stored_images(item: BankItem) -> BankItem:
    """Store the images a file embedded (Moodle XML) and point the text at them.

    The Markdown refers to an embedded file by its quoted name; it is rewritten to
    ``/media/<sha256>``, served to logged-in users (images only).
    """
    if not item.files:
        return item
    urls = {}
    for name, data in item.files:
        try:
            storage.check_upload(data, allowed=(PNG, JPEG, WEBP))
        except ValidationFailed:
            continue  # the format already kept only images within the limits
        urls[quote(name)] = f"/media/{storage.store(data)}"

    def rewrite(value):
        if isinstance(value, str):
            return _IMAGE_REF.sub(lambda m: m.group(1) + urls.get(m.group(2), m.group(2))
                                  + m.group(3), value)
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    return replace(item, spec=item_from_dict(rewrite(item.spec.to_dict())), files=())


_IMAGE_REF = re.compile(r"(!\[(?:\\.|[^\]\\])*\]\()([^)\s]+)(\))")


def _take_status(question: Question, status: QuestionStatus) -> None:
    question.status = status
    if status == QuestionStatus.APPROVED:
        question.approved_version = question.current_version
        db.session.flush()


def bank_items(bank: QuestionBank) -> list[BankItem]:
    """The bank's current versions as exchange records (for export)."""
    questions = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id)
        .options(joinedload(Question.current_version), joinedload(Question.category))
        .order_by(Question.external_id)).all()
    return [BankItem(spec=spec_of(q.current_version), external_id=q.external_id,
                     category=q.category.path if q.category else "",
                     tags=tuple(q.current_version.knowledge_points),
                     difficulty=q.current_version.difficulty,
                     statutes=tuple(q.current_version.statutes), status=q.status.value)
            for q in questions]
