"""The retraining policy of a qualification level (/retraining-policies/levels/<id>):
the current version, the draft being edited with its impact on today's holders, the
confirmation that makes it current, and the history of versions. Officers managing
the qualification only (404 otherwise). Thin views over `lms.retraining.policies`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.accounts.models import Role
from lms.certificates.forms import ReasonForm
from lms.certificates.models import QualificationLevel
from lms.errors import ValidationFailed
from lms.exams.models import Exam
from lms.extensions import db
from lms.i18n import local_today
from lms.permissions import can_manage_qualification, exams_in_scope_filter
from lms.retraining import policies
from lms.retraining.policy_forms import PolicyForm
from lms.retraining.tick import preview

bp = Blueprint("retraining_policies", __name__, url_prefix="/retraining-policies")

MESSAGES = {
    ("cycle_months", "longer_than_validity"): _l("A cycle cannot be longer than the "
                                                 "validity."),
    ("mandatory_courses", "unknown"): _l("Unknown course codes: %(codes)s"),
    ("reminder_offsets", "invalid"): _l("Give whole numbers of days, e.g. 90, 30, 7, 0."),
    ("domain_caps", "invalid"): _l("Write caps as domain=hours, e.g. union_law=8."),
    ("policy", "not_draft"): _l("This version was confirmed meanwhile."),
}


def _level_or_404(level_id: int) -> QualificationLevel:
    level = db.session.get(QualificationLevel, level_id)
    if level is None or not can_manage_qualification(current_user, level.qualification):
        abort(404)
    return level


@bp.route("/levels/<int:level_id>", methods=["GET", "POST"])
@login_required
def level(level_id: int):
    found = _level_or_404(level_id)
    draft, current = policies.draft(found), policies.current(found)
    form = PolicyForm(obj=draft or current)
    if not form.is_submitted():
        base = draft or current
        if base is None:
            form.validity_months.data = found.months
            form.cycle_months.data, form.hours_per_cycle.data = 12, 24
            form.recert_window_days.data, form.grace_days.data = 180, 90
            form.suspension_days.data, form.excellent_appraisal_hours.data = 180, 0
            form.reminder_offsets.data = "90, 30, 7, 0"
        else:
            form.domain_caps.data = policies.format_caps(base.domain_caps)
            form.mandatory_courses.data = ", ".join(base.mandatory_courses or [])
            form.reminder_offsets.data = ", ".join(str(o) for o in base.reminder_offsets)
            form.recert_exam_id.data = base.recert_exam_id or 0
    form.recert_exam_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(e.id, e.title) for e in db.session.scalars(
            sa.select(Exam).where(exams_in_scope_filter(current_user, Role.OFFICER, Role.ADMIN))
            .order_by(Exam.title))]
    if form.validate_on_submit():
        try:
            policies.save_draft(found, form.data, current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            message = MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))
            getattr(form, exc.field).errors.append(str(message) % {
                "codes": exc.params.get("codes", "")})
        else:
            db.session.commit()
            flash(_("Draft saved. Check its impact below, then confirm it."), "info")
            return redirect(url_for(".level", level_id=found.id))
    impact = preview(draft, local_today()) if draft else None
    return render_template("retraining/policy.html", level=found, form=form, draft=draft,
                           current=current, impact=impact, confirm=ReasonForm(),
                           versions=policies.versions(found))


@bp.post("/levels/<int:level_id>/confirm")
@login_required
def confirm(level_id: int):
    found = _level_or_404(level_id)
    draft = policies.draft(found)
    if draft is None or not ReasonForm().validate_on_submit():
        abort(404)
    try:
        policies.confirm(draft, current_user)
    except ValidationFailed:
        db.session.rollback()
        flash(str(MESSAGES[("policy", "not_draft")]), "warning")
    else:
        db.session.commit()
        flash(_("Version %(version)s is now the policy; the next daily tick applies it.",
                version=draft.version), "success")
    return redirect(url_for(".level", level_id=found.id))
