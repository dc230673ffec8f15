"""Queries behind the administration pages, always filtered by the actor's scope."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.accounts.models import Organisation, Role, RoleAssignment, User
from lms.accounts.name_search import name_or_email
from lms.errors import NotFound
from lms.extensions import db
from lms.paging import paginate
from lms.permissions import (
    require_view_user,
    visible_organisations_filter,
    visible_users_filter,
)


def search_users(actor: User, *, q: str = "", role: str = "", organisation_id: int | None = None,
                 page: int = 1, per_page: int = 25):
    """A page of the users ``actor`` may see, newest first."""
    query = (sa.select(User).where(visible_users_filter(actor))
             .options(selectinload(User.role_assignments), selectinload(User.organisation))
             .order_by(User.id.desc()))
    if q.strip():
        query = query.where(name_or_email(q))
    if role in Role._value2member_map_:
        query = query.where(User.role_assignments.any(RoleAssignment.role == Role(role)))
    if organisation_id:
        org = db.session.get(Organisation, organisation_id)
        if org is not None:
            query = query.where(User.organisation_id.in_(
                sa.select(Organisation.id).where(Organisation.path.startswith(org.path))))
    return paginate(query, page=page, per_page=per_page)


def get_visible_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    require_view_user(actor, user)
    return user


def manageable_organisations(actor: User) -> list[Organisation]:
    """Organisations in the actor's scope, in tree order (by path)."""
    return list(db.session.scalars(
        sa.select(Organisation).where(visible_organisations_filter(actor))
        .order_by(Organisation.path)))


def get_organisation(organisation_id: int | None) -> Organisation | None:
    if not organisation_id:
        return None
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    return org
