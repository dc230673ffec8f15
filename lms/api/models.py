"""Personal access tokens of the integrations that read the API."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, User
from lms.clock import utcnow
from lms.db_base import UTCDateTime
from lms.extensions import db


class ApiToken(db.Model):
    """A bearer token for one named integration. The secret is shown once; only its
    SHA-256 is kept, so a leaked database yields no working token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the integration it is for, e.g. "市总工会会员系统"
    name: Mapped[str] = mapped_column(sa.String(100))
    #: hex SHA-256 of the whole secret
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the secret's first characters, to tell tokens apart in lists and logs
    prefix: Mapped[str] = mapped_column(sa.String(16))
    #: granted scopes, e.g. ["certificates:read", "plans:read"]
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: the subtree it reads, as an officer of this organisation would; None: platform-wide
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"),
                                                        index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last day it works (local calendar); None: until revoked
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"
