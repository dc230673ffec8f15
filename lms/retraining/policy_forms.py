"""The retraining policy form: field shape only; `lms.retraining.policies` checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from lms.courses.author_forms import DOMAIN_LABELS


class PolicyForm(FlaskForm):
    validity_months = IntegerField(_l("Validity (months)"),
                                   validators=[InputRequired(), NumberRange(1, 240)])
    cycle_months = IntegerField(_l("Cycle length (months)"),
                                validators=[InputRequired(), NumberRange(1, 120)])
    hours_per_cycle = DecimalField(_l("Continuing-education hours per cycle"), places=2,
                                   validators=[InputRequired(), NumberRange(0, 1000)])
    domains = SelectMultipleField(_l("Domains whose hours count"),
                                  choices=[SelectChoice(d.value, label)
                                           for d, label in DOMAIN_LABELS.items()],
                                  description=_l("None chosen: every domain counts."))
    domain_caps = StringField(_l("Cap per domain and cycle"),
                              description=_l("e.g. union_law=8, labor_law=8; leave empty "
                                             "for no cap."))
    mandatory_courses = StringField(_l("Mandatory courses in every cycle"),
                                    description=_l("Course codes, separated by commas. They "
                                                   "are assigned when a cycle starts."))
    recert_exam_id = SelectField(_l("Recertification exam before expiry"), coerce=int)
    recert_window_days = IntegerField(_l("Recertification window (days before expiry)"),
                                      validators=[InputRequired(), NumberRange(0, 730)])
    reminder_offsets = StringField(_l("Reminders (days before each deadline)"),
                                   validators=[InputRequired()],
                                   description=_l("e.g. 90, 30, 7, 0"))
    grace_days = IntegerField(_l("Grace period after expiry (days)"),
                              validators=[InputRequired(), NumberRange(0, 730)])
    suspension_days = IntegerField(_l("Suspension before the certificate expires (days)"),
                                   validators=[InputRequired(), NumberRange(0, 1460)])
    excellent_appraisal_hours = DecimalField(
        _l("Hours an “excellent” annual appraisal counts"), places=2,
        validators=[Optional(), NumberRange(0, 1000)])
