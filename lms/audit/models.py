from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db_base import UTCDateTime
from lms.extensions import db


class AuditEntry(db.Model):
    """One decision, append-only. The database enforces it (migration 0017, RELIABILITY.md
    I6): deleting an entry, or changing who did what to which object and when, is refused
    for every role the app connects as. Only the recorded values (``before``, ``after``,
    ``ip``) may change: the PIPL erasure redacts a person's data in them
    (`lms.accounts.privacy`), and that erasure is itself an audit entry."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: dotted verb, e.g. ``user.role_granted``, ``auth.login_failed``
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    actor = relationship("User", lazy="joined")

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


class AuditMaintenance(db.Model):
    """While this table holds a row, audit entries may be deleted: for emptying a test or
    scratch database in one transaction, never by the application (migration 0017)."""

    __tablename__ = "audit_maintenance"

    id: Mapped[int] = mapped_column(primary_key=True)
