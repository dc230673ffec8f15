"""Users, the organisation tree, scoped role assignments and consent records."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db_base import TimestampMixin, UTCDateTime, enum_column
from lms.extensions import db


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    TRAINER = "trainer"
    PROCTOR = "proctor"
    OFFICER = "officer"
    ADMIN = "admin"


#: Roles an administrator may scope to an organisation subtree.
SCOPED_ROLES = frozenset({Role.PROCTOR, Role.OFFICER, Role.TRAINER, Role.ADMIN})


class OrganisationKind(enum.StrEnum):
    FEDERATION = "federation"  # 总工会
    DISTRICT = "district"  # 区/产业工会
    STREET = "street"  # 街道/联合工会
    ENTERPRISE = "enterprise"  # 企业（集团）工会


#: The kind a child of each kind must be.
CHILD_KIND = {
    None: OrganisationKind.FEDERATION,
    OrganisationKind.FEDERATION: OrganisationKind.DISTRICT,
    OrganisationKind.DISTRICT: OrganisationKind.STREET,
    OrganisationKind.STREET: OrganisationKind.ENTERPRISE,
}


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: Materialised path of ids, e.g. ``/1/4/9/``; a subtree is a prefix match.
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    depth: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.code}>"

    def contains(self, other: Organisation | None) -> bool:
        return other is not None and other.path.startswith(self.path)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored normalised (NFKC, lower case): see `domain.identity.normalise_email`.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    real_name: Mapped[str] = mapped_column(sa.String(100))
    #: Fernet ciphertext; the key lives outside the database (``ID_ENCRYPTION_KEY``).
    id_number_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: Keyed HMAC of the number, so one person cannot hold two accounts.
    id_number_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: File name of the encrypted, re-encoded photo in the instance folder.
    photo_file: Mapped[str | None] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped at logout and password change: every earlier session stops working.
    session_generation: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )

    organisation: Mapped[Organisation | None] = relationship()
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleAssignment.user_id",
        # loaded when first asked: the exam's autosave never needs them (3-statement
        # budget); lists of users ask for them with selectinload
    )

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    # Flask-Login: the session holds id and generation together.
    def get_id(self) -> str:
        return f"{self.id}.{self.session_generation}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(a.role for a in self.role_assignments)

    def has_role(self, *roles: Role) -> bool:
        return any(a.role in roles for a in self.role_assignments)


class RoleAssignment(db.Model):
    """A role held by a user, platform-wide (no organisation) or over a subtree."""

    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments", foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class NameGram(db.Model):
    """The name search's index (`lms.accounts.name_search`): each character and pair of
    characters of each user's name, kept in step with the name on every write."""

    __tablename__ = "user_name_grams"

    gram: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class ConsentRecord(db.Model):
    """A consent given (and possibly withdrawn) to a versioned consent text."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: ``personal_info``, ``id_number`` or ``photo`` (separate consent, PIPL art. 29)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[str] = mapped_column(sa.String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
