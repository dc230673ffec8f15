"""Question banks.

A `Question` is an identity inside a bank; every edit appends an immutable
`QuestionVersion` holding the item spec (``lms.domain.items`` encoded as
JSON). Exams and quizzes use ``approved_version`` — the last version a second
trainer approved — so an edit under review never changes what candidates get,
and an attempt keeps the exact version it showed.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.courses.models import Domain
from lms.db_base import TimestampMixin, UTCDateTime, enum_column
from lms.extensions import db


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETIRED = "retired"


bank_editors = sa.Table(
    "question_bank_editors",
    db.metadata,
    sa.Column("bank_id", sa.ForeignKey("question_banks.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class QuestionBank(TimestampMixin, db.Model):
    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[Domain] = mapped_column(enum_column(Domain))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    owner = relationship("User", foreign_keys=[owner_id])
    editors = relationship("User", secondary=bank_editors, order_by="User.real_name")
    categories: Mapped[list[Category]] = relationship(
        back_populates="bank", order_by="Category.path", cascade="all, delete-orphan")


class Category(db.Model):
    """A node of a bank's category tree; ``path`` is the slash-joined names."""

    __tablename__ = "question_categories"
    __table_args__ = (sa.UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="CASCADE"),
                                         index=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_categories.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: e.g. ``基层工会组织/建会条件``
    path: Mapped[str] = mapped_column(sa.String(1000))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")
    parent: Mapped[Category | None] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return self.path.count("/")


class Question(TimestampMixin, db.Model):
    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("bank_id", "external_id"),
                      sa.Index("ix_questions_filter", "bank_id", "status", "type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_categories.id", ondelete="SET NULL"), index=True)
    #: stable id inside the bank (bank files' ``id``); never reused
    external_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[QuestionStatus] = mapped_column(enum_column(QuestionStatus),
                                                   default=QuestionStatus.DRAFT)
    # Copied from the current version for filtering without reading JSON.
    type: Mapped[str] = mapped_column(sa.String(32))
    domain: Mapped[Domain] = mapped_column(enum_column(Domain), index=True)
    difficulty: Mapped[int] = mapped_column(default=3)
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", use_alter=True))
    approved_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", use_alter=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    bank: Mapped[QuestionBank] = relationship()
    category: Mapped[Category | None] = relationship()
    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)
    approved_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[approved_version_id], post_update=True)
    tags: Mapped[list[QuestionTag]] = relationship(cascade="all, delete-orphan",
                                                   order_by="QuestionTag.tag")


class QuestionVersion(db.Model):
    """One immutable version of a question: nothing updates a row of this table."""

    __tablename__ = "question_versions"
    __table_args__ = (sa.UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"),
                                             index=True)
    number: Mapped[int]
    #: ``lms.domain.items`` spec, encoded by ``ItemSpec.to_dict()``
    spec: Mapped[dict] = mapped_column(sa.JSON)
    difficulty: Mapped[int]
    knowledge_points: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: [{"law": …, "version": "2021-12-24", "articles": ["第十一条"]}]
    statutes: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: plain text of stem and options, for search
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: why this version was made (edit note, "imported from …")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    question: Mapped[Question] = relationship(foreign_keys=[question_id])
    author = relationship("User", foreign_keys=[author_id])


class QuestionTag(db.Model):
    """A knowledge-point tag of a question (copied from its current version)."""

    __tablename__ = "question_tags"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(100), primary_key=True, index=True)


class QuestionReview(db.Model):
    """A review decision on a version (append-only)."""

    __tablename__ = "question_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"),
                                             index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: approved / changes_requested / retired
    decision: Mapped[str] = mapped_column(sa.String(32))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer = relationship("User")
