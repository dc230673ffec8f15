"""Courses assigned by officers to a person or to an organisation subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from lms.accounts.models import Organisation, User
from lms.audit import services as audit
from lms.courses.models import Course, CourseAssignment, CourseStatus, Enrollment
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.permissions import ALL, Role, scope_paths


def assign(course: Course, *, actor, due_on: date | None, user: User | None = None,
           organisation: Organisation | None = None, today: date) -> CourseAssignment:
    """Assign ``course`` to one user or to everyone in ``organisation``'s subtree.

    The caller has checked the actor's scope over the target.
    """
    if course.status != CourseStatus.PUBLISHED:
        raise ValidationFailed("course", "not_published")
    if (user is None) == (organisation is None):
        raise ValidationFailed("target", "required")
    if due_on is not None and due_on < today:
        raise ValidationFailed("due_on", "past")
    assignment = CourseAssignment(course_id=course.id, user=user, organisation=organisation,
                                  due_on=due_on, assigned_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    audit.record("course.assigned", actor=actor, obj=assignment, after={
        "course": course.code, "user_id": getattr(user, "id", None),
        "organisation_id": getattr(organisation, "id", None),
        "due_on": due_on.isoformat() if due_on else None})
    return assignment


def revoke(assignment: CourseAssignment, *, actor) -> None:
    audit.record("course.assignment_revoked", actor=actor, obj=assignment,
                 before={"course_id": assignment.course_id, "user_id": assignment.user_id,
                         "organisation_id": assignment.organisation_id})
    db.session.delete(assignment)


@dataclass
class AssignedCourse:
    assignment: CourseAssignment
    completed: bool

    def overdue(self, today: date) -> bool:
        due = self.assignment.due_on
        return not self.completed and due is not None and due < today


def _targets_user(user: User):
    """Assignments to the user, or to an organisation whose subtree holds them."""
    clauses = [CourseAssignment.user_id == user.id]
    if user.organisation is not None:
        clauses.append(sa.literal(user.organisation.path).startswith(Organisation.path))
    return sa.or_(*clauses)


def assigned_to(user: User) -> list[AssignedCourse]:
    """What the user must study, earliest due first (two queries)."""
    rows = db.session.scalars(
        sa.select(CourseAssignment)
        .outerjoin(Organisation, CourseAssignment.organisation_id == Organisation.id)
        .join(Course, CourseAssignment.course_id == Course.id)
        .where(_targets_user(user), Course.status == CourseStatus.PUBLISHED)
        .options(joinedload(CourseAssignment.course))
        .order_by(CourseAssignment.due_on.is_(None), CourseAssignment.due_on)).unique().all()
    completed = set(db.session.scalars(sa.select(Enrollment.course_id).where(
        Enrollment.user_id == user.id, Enrollment.completed_at.is_not(None))))
    seen, result = set(), []
    for row in rows:  # the earliest due assignment of a course wins
        if row.course_id not in seen:
            seen.add(row.course_id)
            result.append(AssignedCourse(row, row.course_id in completed))
    return result


def visible_assignments(actor) -> list[CourseAssignment]:
    """Assignments whose target lies in the actor's scope, newest first."""
    user_org = aliased(Organisation)
    query = (sa.select(CourseAssignment)
             .outerjoin(Organisation, CourseAssignment.organisation_id == Organisation.id)
             .outerjoin(User, CourseAssignment.user_id == User.id)
             .outerjoin(user_org, User.organisation_id == user_org.id)
             .options(joinedload(CourseAssignment.course),
                      joinedload(CourseAssignment.organisation),
                      joinedload(CourseAssignment.user))
             .order_by(CourseAssignment.id.desc()).limit(200))
    paths = scope_paths(actor, Role.OFFICER, Role.ADMIN)
    if not paths:
        return []
    if paths is not ALL:
        query = query.where(sa.or_(*(sa.or_(Organisation.path.startswith(p),
                                            user_org.path.startswith(p)) for p in paths)))
    return list(db.session.scalars(query).unique())
