"""Qualifications and the certificates that prove them.

A `Qualification` (工会干部职业资格) has `QualificationLevel` rows (初级 / 中级 / 高级),
each with its requirements: courses completed, an exam passed within a score band,
integrity review clear, a photo on the profile. A released exam result that meets a
level issues a `Certificate` — or, when the qualification asks for it, a
`CertificateRequest` waits in the officers' queue (optionally for two officers:
"four eyes"). Revocations under four eyes wait there too.

Every decision on a certificate appends a `LedgerEvent` to a hash chain whose head
lives in the one-row `LedgerHead` (see `lms.certificates.ledger`). `RegisterEntry` is
a holder's opt-in entry in the public register of qualified cadres.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, User
from lms.clock import utcnow
from lms.db_base import TimestampMixin, UTCDateTime, enum_column
from lms.extensions import db


class Issuance(enum.StrEnum):
    AUTOMATIC = "automatic"  # issued as soon as a released result meets a level
    APPROVAL = "approval"  # an officer approves each issue first


class CertificateStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RequestKind(enum.StrEnum):
    ISSUE = "issue"
    REVOKE = "revoke"
    #: a suspension review filed by a rule (two "incompetent" appraisals in a row)
    SUSPEND = "suspend"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"  # issued / revoked
    REJECTED = "rejected"


class Qualification(TimestampMixin, db.Model):
    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: the issuing organisation: its officers (and those above it) manage the qualification
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    validity_months: Mapped[int] = mapped_column(default=36)
    issuance: Mapped[Issuance] = mapped_column(enum_column(Issuance),
                                               default=Issuance.AUTOMATIC)
    #: a second officer confirms every approval and every revocation
    four_eyes: Mapped[bool] = mapped_column(default=False)
    #: the PDF's seal image (static/img/seals/<name>.svg); None: the default seal
    seal: Mapped[str | None] = mapped_column(sa.String(64))

    organisation: Mapped[Organisation] = relationship()
    levels: Mapped[list[QualificationLevel]] = relationship(
        back_populates="qualification", order_by="QualificationLevel.rank",
        cascade="all, delete-orphan")


class QualificationLevel(db.Model):
    __tablename__ = "qualification_levels"
    __table_args__ = (sa.UniqueConstraint("qualification_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualifications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))  # junior / intermediate / senior
    title: Mapped[str] = mapped_column(sa.String(100))  # 初级
    #: higher ranks are higher levels; one result earns the highest level it meets
    rank: Mapped[int] = mapped_column(default=1)
    exam_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exams.id"), index=True)
    #: the score band of the exam, in percent: min ≤ score (< max when max is set)
    min_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    max_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    #: codes of the courses the holder must have completed
    required_courses: Mapped[list] = mapped_column(sa.JSON, default=list)
    require_integrity_clear: Mapped[bool] = mapped_column(default=True)
    require_photo: Mapped[bool] = mapped_column(default=True)
    #: overrides the qualification's validity
    validity_months: Mapped[int | None]

    qualification: Mapped[Qualification] = relationship(back_populates="levels")

    @property
    def months(self) -> int:
        return self.validity_months or self.qualification.validity_months


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # one certificate per result and level: issuing twice issues nothing
        sa.UniqueConstraint("attempt_id", "level_id"),
        sa.Index("ix_certificates_status_expires", "status", "expires_on"),
        # the officers' list, newest first (migration 0016)
        sa.Index("ix_certificates_issued", "issued_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, Crockford base32 with a check character (`lms.domain.serials`)
    serial: Mapped[str] = mapped_column(sa.String(40), unique=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"),
                                                  index=True)
    level_id: Mapped[int] = mapped_column(sa.ForeignKey("qualification_levels.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_attempts.id"))
    #: {"attempt": id, "exam": title, "percent": "87.50", "courses": [codes]}
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus), default=CertificateStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: bumped by every change: status changes are guarded by it
    revision: Mapped[int] = mapped_column(default=1)
    #: the slot in the status lists (revocation and suspension share it), drawn at random
    status_index: Mapped[int] = mapped_column(unique=True)
    #: encrypted PDF in the instance folder, and the SHA-256 of the PDF as downloaded
    pdf_file: Mapped[str | None] = mapped_column(sa.String(80))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    credential: Mapped[dict | None] = mapped_column(sa.JSON)
    #: the holder lets the verification page show their photo
    photo_public: Mapped[bool] = mapped_column(default=False)

    holder: Mapped[User] = relationship()
    qualification: Mapped[Qualification] = relationship()
    level: Mapped[QualificationLevel] = relationship()

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.ACTIVE


class CertificateRequest(db.Model):
    """An issue waiting for an officer's approval, or a revocation waiting for a second
    officer. ``first_by`` is the first officer of a four-eyes decision."""

    __tablename__ = "certificate_requests"
    __table_args__ = (sa.UniqueConstraint("kind", "attempt_id", "level_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus),
                                                  default=RequestStatus.PENDING, index=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"))
    level_id: Mapped[int] = mapped_column(sa.ForeignKey("qualification_levels.id"))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_attempts.id"))
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"),
                                                       index=True)
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(default=1)

    holder: Mapped[User] = relationship(foreign_keys=[holder_id])
    qualification: Mapped[Qualification] = relationship()
    level: Mapped[QualificationLevel] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    first_by: Mapped[User | None] = relationship(foreign_keys=[first_by_id])


class LedgerEvent(db.Model):
    """One link of the tamper-evident chain: ``hash`` = SHA-256 over ``prev_hash`` and the
    canonical JSON of the event (`lms.domain.ledger`)."""

    __tablename__ = "ledger_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3 … in chain order, kept by the head row (ids may skip on rollback)
    seq: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"),
                                                       index=True)
    serial: Mapped[str] = mapped_column(sa.String(40), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: a chain has no forks: each hash is the previous of at most one event
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class LedgerHead(db.Model):
    """The chain's head (one row, id 1): appending locks it, so appends queue up."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisterEntry(TimestampMixin, db.Model):
    """A holder's opt-in entry in the public register of qualified cadres (人才库). Shown
    only while the holder has an active certificate."""

    __tablename__ = "register_entries"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    region: Mapped[str] = mapped_column(sa.String(100), default="")
    specialities: Mapped[str] = mapped_column(sa.String(200), default="")
    profile: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: the register shows the full name only when the holder asks for it (else 张*明)
    show_full_name: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
