"""Learner-side and assignment forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField
from wtforms.validators import DataRequired, Email, Optional

from lms.courses.models import Domain, Level
from lms.domain.identity import normalise_email

DOMAIN_LABELS = {
    Domain.UNION_LAW: _l("Trade Union Law"),
    Domain.LABOR_LAW: _l("Labour laws and regulations"),
    Domain.WAGE_ACCOUNTING: _l("Wage accounting and finance"),
    Domain.NEGOTIATION: _l("Collective bargaining and negotiation"),
    Domain.OTHER: _l("Other"),
}
LEVEL_LABELS = {
    Level.BASIC: _l("Basic"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.ADVANCED: _l("Advanced"),
}


class AssignmentForm(FlaskForm):
    course_id = SelectField(_l("Course"), choices=[], validators=[DataRequired()])
    organisation_id = SelectField(_l("Everyone in this organisation and below"), choices=[],
                                  default="")
    user_email = EmailField(_l("… or one person (e-mail)"),
                            filters=[lambda v: normalise_email(v) if v else v],
                            validators=[Optional(), Email()])
    due_on = DateField(_l("Due date"), validators=[Optional()])
