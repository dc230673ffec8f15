"""Retraining: versioned policies per qualification level, each certificate's plan as
the daily tick last saw it, the reminders sent (once per deadline and offset), the
in-app inbox and the private calendar feed tokens.

The rules themselves are pure (`lms.domain.retraining`); these rows are what the tick
reads and writes, so that a page never recomputes a cohort and the tick stays
set-based (a constant number of statements per batch of certificates).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.certificates.models import Certificate, QualificationLevel
from lms.clock import utcnow
from lms.db_base import UTCDateTime, enum_column
from lms.domain.retraining import Standing
from lms.extensions import db


class PolicyStatus(enum.StrEnum):
    DRAFT = "draft"  # being edited; its impact can be previewed
    CURRENT = "current"  # the one the tick applies (one per level)
    RETIRED = "retired"  # replaced by a later version


class RetrainingPolicy(db.Model):
    __tablename__ = "retraining_policies"
    __table_args__ = (
        sa.UniqueConstraint("level_id", "version"),
        # one current version per level
        sa.Index("uq_retraining_policies_current", "level_id", unique=True,
                 sqlite_where=sa.text("status = 'current'"),
                 postgresql_where=sa.text("status = 'current'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualification_levels.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[PolicyStatus] = mapped_column(enum_column(PolicyStatus),
                                                 default=PolicyStatus.DRAFT)
    validity_months: Mapped[int] = mapped_column(default=36)
    cycle_months: Mapped[int] = mapped_column(default=12)
    hours_per_cycle: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(24))
    #: course domains whose hours count (empty: all)
    domains: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: {domain: max hours per cycle}
    domain_caps: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: course codes to complete in every cycle
    mandatory_courses: Mapped[list] = mapped_column(sa.JSON, default=list)
    recert_exam_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exams.id"))
    recert_window_days: Mapped[int] = mapped_column(default=180)
    reminder_offsets: Mapped[list] = mapped_column(sa.JSON, default=lambda: [90, 30, 7, 0])
    grace_days: Mapped[int] = mapped_column(default=90)
    suspension_days: Mapped[int] = mapped_column(default=180)
    excellent_appraisal_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2),
                                                               default=Decimal(0))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    level: Mapped[QualificationLevel] = relationship()


class CertificatePlan(db.Model):
    """A certificate's retraining state as of the last tick (1:1 with the certificate)."""

    __tablename__ = "certificate_plans"
    __table_args__ = (sa.Index("ix_certificate_plans_standing", "standing", "next_deadline"),)

    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("retraining_policies.id"), index=True)
    standing: Mapped[Standing] = mapped_column(enum_column(Standing), default=Standing.GOOD)
    next_deadline: Mapped[date | None] = mapped_column(sa.Date)
    #: hours counted / required in the cycle now due (the dashboard's figures)
    cycle_number: Mapped[int] = mapped_column(default=1)
    hours_earned: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    hours_required: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    #: credits and completions before this day belong to an earlier validity
    counts_from: Mapped[date] = mapped_column(sa.Date)
    renewals: Mapped[int] = mapped_column(default=0)
    #: the day the tick last looked at it (a second tick that day changes nothing)
    ticked_on: Mapped[date | None] = mapped_column(sa.Date)

    certificate: Mapped[Certificate] = relationship()
    policy: Mapped[RetrainingPolicy] = relationship()


class RetrainingTally(db.Model):
    """The officers' dashboard figures, stored (`lms.retraining.tallies`): how many plans
    each qualification has per holder's organisation, standing and hours bin, counting
    what the dashboard counts (certificate not revoked, standing not expired).

    Counting the plans on every view cost time in proportion to the holders (10.6× on
    SQLite, 7.1× on PostgreSQL from 1,000 to 100,000 in bench/data_scale.py); these rows
    number at most qualifications × organisations × 5 standings × 6 bins, whatever the
    holders. Rebuilt by the daily tick after it writes the plans, and for one
    qualification when one of its certificates is revoked or its holder moves.
    """

    __tablename__ = "retraining_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualifications.id", ondelete="CASCADE"), index=True)
    #: the holder's own organisation (None: a holder in none)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    standing: Mapped[Standing] = mapped_column(enum_column(Standing))
    #: quarter of the cycle's required hours earned (0–3; 4: met); None when the plan
    #: requires no hours (counted in standings and compliance, not in the hours chart)
    hours_bin: Mapped[int | None] = mapped_column(sa.SmallInteger)
    plans: Mapped[int]


class RetrainingReminder(db.Model):
    """One reminder sent: the unique key makes it at most once per deadline and offset."""

    __tablename__ = "retraining_reminders"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "deadline", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[date] = mapped_column(sa.Date)
    offset_days: Mapped[int]
    sent_on: Mapped[date] = mapped_column(sa.Date)


class InboxMessage(db.Model):
    """The in-app inbox: what the platform told a user (reminders, decisions)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (sa.Index("ix_inbox_messages_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarToken(db.Model):
    """A user's private calendar feed (`/calendar/<token>.ics`): only the token's hash is
    stored; making a new one revokes the old."""

    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppraisalOutcome(enum.StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASIC = "basic"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职


class Appraisal(db.Model):
    """The annual appraisal (年度考核) of a holder, recorded by an officer of the holder's
    organisation in three parts — work plan (工作思路/计划), work process (能力/过程) and
    work results (绩效/成绩) — each scored 0–100 with a comment, and an outcome."""

    __tablename__ = "appraisals"
    __table_args__ = (sa.UniqueConstraint("user_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    year: Mapped[int]
    appraised_on: Mapped[date] = mapped_column(sa.Date)
    plan_score: Mapped[int]
    plan_comment: Mapped[str] = mapped_column(sa.Text, default="")
    process_score: Mapped[int]
    process_comment: Mapped[str] = mapped_column(sa.Text, default="")
    results_score: Mapped[int]
    results_comment: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[AppraisalOutcome] = mapped_column(enum_column(AppraisalOutcome))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attachments: Mapped[list[AppraisalAttachment]] = relationship(
        back_populates="appraisal", cascade="all, delete-orphan",
        order_by="AppraisalAttachment.id")


class AppraisalAttachment(db.Model):
    """Evidence attached to an appraisal: stored by content hash in the instance folder."""

    __tablename__ = "appraisal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appraisal: Mapped[Appraisal] = relationship(back_populates="attachments")
