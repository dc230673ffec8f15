"""Officers assign courses to people or organisation subtrees, with due dates."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from lms.accounts.forms import apply_error, organisation_choices
from lms.accounts.models import Organisation
from lms.accounts.services import find_user_by_email
from lms.admin.services import get_organisation
from lms.courses import assignments
from lms.courses.forms import AssignmentForm
from lms.courses.models import Course, CourseAssignment, CourseStatus
from lms.errors import NotFound, ValidationFailed
from lms.extensions import db
from lms.permissions import (
    Role,
    can_assign_course_to_user,
    can_assign_courses,
    can_manage_assignment,
    organisations_in_scope_filter,
    require,
    roles_required,
)

bp = Blueprint("assignments", __name__, url_prefix="/assignments")


def _form() -> AssignmentForm:
    form = AssignmentForm()
    courses = db.session.scalars(sa.select(Course).where(
        Course.status == CourseStatus.PUBLISHED).order_by(Course.code))
    form.course_id.choices = [SelectChoice(str(c.id), c.title) for c in courses]
    form.organisation_id.choices = organisation_choices(
        _assignable_organisations(), first=("", _("(choose an organisation or a person)")))
    return form


def _assignable_organisations() -> list[Organisation]:
    return list(db.session.scalars(
        sa.select(Organisation)
        .where(organisations_in_scope_filter(current_user, Role.OFFICER, Role.ADMIN))
        .order_by(Organisation.path)))


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def index():
    require(can_assign_courses(current_user))
    form = _form()
    if form.validate_on_submit():
        try:
            _create(form)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Course assigned."), "success")
            return redirect(url_for("assignments.index"))
    return render_template("courses/assignments.html", form=form,
                           rows=assignments.visible_assignments(current_user),
                           today=date.today())


def _create(form: AssignmentForm) -> CourseAssignment:
    course = db.session.get(Course, int(form.course_id.data))
    if course is None:
        raise ValidationFailed("course_id", "unknown")
    org = get_organisation(int(form.organisation_id.data)) if form.organisation_id.data \
        else None
    user = None
    if form.user_email.data:
        user = find_user_by_email(form.user_email.data)
        if user is None or not can_assign_course_to_user(current_user, user):
            raise ValidationFailed("user_email", "unknown_in_scope")
    if org is not None:
        require(can_assign_courses(current_user, org))
    if (org is None) == (user is None):
        raise ValidationFailed("organisation_id", "one_target")
    return assignments.assign(course, actor=current_user, due_on=form.due_on.data, user=user,
                              organisation=org, today=date.today())


@bp.post("/<int:assignment_id>/revoke")
@roles_required(Role.OFFICER, Role.ADMIN)
def revoke(assignment_id: int):
    row = db.session.get(CourseAssignment, assignment_id)
    if row is None:
        raise NotFound()
    require(can_manage_assignment(current_user, row))
    assignments.revoke(row, actor=current_user)
    db.session.commit()
    flash(_("Assignment removed."), "success")
    return redirect(url_for("assignments.index"))
