"""Personal access tokens: creating and revoking them (admins, audited), and turning a
bearer secret back into the principal a request acts as.

A token acts like an officer of its organisation (platform-wide without one): the
principal it yields holds exactly that one officer role, so the predicates and
filters of `lms.permissions` scope the API as they scope the officers' pages. Its
scopes only narrow what it may read on top of that.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.accounts.models import Organisation, Role
from lms.api.models import ApiToken
from lms.audit import services as audit
from lms.clock import utcnow
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.permissions import (
    ALL,
    can_assign_scope,
    organisations_in_scope_filter,
    scope_paths,
)

#: every scope a token may carry, in the order the admin page lists them
SCOPES = ("certificates:read", "register:read", "results:read", "plans:read")
#: every secret starts with it, so secret scanners and people recognise one
SECRET_PREFIX = "uca_"  # noqa: S105 - a marker, not a secret
#: last use is written at most this often per token (one UPDATE, not one per request)
LAST_USED_GRANULARITY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(actor, *, name: str, scopes: list[str], organisation: Organisation | None,
                 expires_on: date | None, today: date) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once, never stored).

    :param actor: the admin creating it; the token's organisation must lie in their
        scope (platform-wide only for a platform-wide admin).
    :raises ValidationFailed: on an empty name, unknown or no scopes, an expiry not
        after ``today``, or an organisation outside the actor's scope.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name", "required")
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise ValidationFailed("scopes", "unknown")
    if expires_on is not None and expires_on <= today:
        raise ValidationFailed("expires_on", "past")
    if not can_assign_scope(actor, organisation):
        raise ValidationFailed("organisation_id", "out_of_scope")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name[:100], token_hash=digest(secret),
                     prefix=secret[:len(SECRET_PREFIX) + 6],
                     scopes=[scope for scope in SCOPES if scope in scopes],
                     organisation=organisation, created_by_id=actor.id, expires_on=expires_on)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", actor=actor, obj=token, after=_described(token))
    return token, secret


def revoke_token(token: ApiToken, actor, *, now: datetime) -> bool:
    """Revoke ``token`` at once; False if it was already revoked (nothing recorded)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at, token.revoked_by_id = now, actor.id
    audit.record("api_token.revoked", actor=actor, obj=token,
                 before={"revoked": False}, after={"revoked": True, **_described(token)})
    return True


def _described(token: ApiToken) -> dict:
    """What the audit log keeps of a token: never the secret or its hash."""
    return {"name": token.name, "prefix": token.prefix, "scopes": list(token.scopes),
            "organisation_id": token.organisation_id,
            "expires_on": token.expires_on.isoformat() if token.expires_on else None}


def tokens_visible_to(actor) -> list[ApiToken]:
    """The tokens an admin sees: platform-wide admins all, scoped admins those of their
    subtree. Newest first."""
    query = sa.select(ApiToken).options(joinedload(ApiToken.created_by))
    if scope_paths(actor, Role.ADMIN) is not ALL:
        query = query.join(Organisation, Organisation.id == ApiToken.organisation_id).where(
            organisations_in_scope_filter(actor, Role.ADMIN))
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def can_manage_token(actor, token: ApiToken) -> bool:
    return can_assign_scope(actor, token.organisation)


# -- the request side ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    """Stands in for a `RoleAssignment` in `lms.permissions`."""

    role: Role
    organisation: Organisation | None


@dataclass(frozen=True)
class Principal:
    """The identity a token gives a request: an officer of the token's organisation and
    nobody's own account (``id`` None: it matches no user, so "yourself" never applies)."""

    token: ApiToken
    role_assignments: tuple[_Grant, ...] = field(default=())
    id = None
    is_authenticated = True

    @classmethod
    def of(cls, token: ApiToken) -> Principal:
        return cls(token, (_Grant(Role.OFFICER, token.organisation),))

    def has_role(self, *roles: Role) -> bool:
        return any(grant.role in roles for grant in self.role_assignments)

    def may(self, scope: str) -> bool:
        return scope in (self.token.scopes or [])


def authenticate(secret: str, *, now: datetime, today: date) -> ApiToken | None:
    """The live token whose secret is ``secret`` (None if unknown, revoked or expired),
    its last use brought up to date. Looked up by hash: no comparison timing to learn
    from."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_on is not None and token.expires_on < today:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = now
    return token


def now_and_today() -> tuple[datetime, date]:
    from lms.i18n import local_today

    now = utcnow()
    return now, local_today(now)
