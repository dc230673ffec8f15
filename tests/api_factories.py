"""Builders for API tests: a token for an organisation's subtree with chosen scopes,
created by an admin through the service, and the bearer header that sends it."""

from __future__ import annotations

from datetime import date

from lms.accounts.models import Role
from lms.api import tokens
from lms.extensions import db
from tests.factories import make_user

ALL_SCOPES = list(tokens.SCOPES)


def api_token(org=None, scopes=ALL_SCOPES, *, expires_on: date | None = None,
              name: str = "会员系统"):
    """(token, secret): created by a platform-wide admin, committed."""
    admin = make_user(Role.ADMIN)
    token, secret = tokens.create_token(admin, name=name, scopes=list(scopes),
                                        organisation=org, expires_on=expires_on,
                                        today=date(2000, 1, 1))
    db.session.commit()
    return token, secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
