"""What each role's dashboard shows: computed here, rendered by the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from lms.accounts.models import Organisation, Role, User
from lms.courses import assignments, learning
from lms.courses.models import Course
from lms.extensions import db
from lms.notifications.models import OutboxMessage, OutboxStatus
from lms.permissions import ALL, can_author_courses, scope_paths, visible_users_filter
from lms.questions.models import Question, QuestionStatus


@dataclass
class Dashboard:
    roles: list[Role]
    profile_missing: list[str] = field(default_factory=list)
    users_in_scope: int | None = None
    scope_names: list[str] = field(default_factory=list)
    organisations: int | None = None
    outbox_pending: int | None = None
    outbox_failed: int | None = None
    courses: list = field(default_factory=list)
    assigned: list = field(default_factory=list)
    credit_hours: Decimal = Decimal("0")
    #: (courses in all, drafts with unpublished changes) for authors
    authoring: tuple[int, int] | None = None
    #: (questions in all, questions waiting for review) for authors
    questions: tuple[int, int] | None = None


def build_dashboard(user: User) -> Dashboard:
    """Counts for the cards of every role the user holds (a few cheap queries)."""
    order = list(Role)
    board = Dashboard(roles=sorted(user.roles, key=order.index))
    if not user.id_number_encrypted:
        board.profile_missing.append("id_number")
    if not user.photo_file:
        board.profile_missing.append("photo")
    if not user.mobile:
        board.profile_missing.append("mobile")
    board.courses = learning.my_courses(user)
    board.assigned = [a for a in assignments.assigned_to(user) if not a.completed]
    board.credit_hours = learning.credit_total(user)
    if can_author_courses(user):
        total, changed = db.session.execute(sa.select(
            sa.func.count(Course.id),
            sa.func.count(Course.id).filter(Course.has_unpublished_changes))).one()
        board.authoring = (total, changed)
        board.questions = tuple(db.session.execute(sa.select(
            sa.func.count(Question.id),
            sa.func.count(Question.id).filter(Question.status == QuestionStatus.IN_REVIEW))).one())
    if user.has_role(Role.ADMIN, Role.OFFICER):
        board.users_in_scope = db.session.scalar(
            sa.select(sa.func.count(User.id)).where(visible_users_filter(user)))
        paths = scope_paths(user, Role.ADMIN, Role.OFFICER)
        board.scope_names = [a.organisation.name for a in user.role_assignments
                             if a.organisation is not None] if paths is not ALL else []
    if scope_paths(user, Role.ADMIN) is ALL:
        board.organisations = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
        counts = dict(db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)).all())
        board.outbox_pending = counts.get(OutboxStatus.PENDING, 0)
        board.outbox_failed = counts.get(OutboxStatus.FAILED, 0)
    return board
