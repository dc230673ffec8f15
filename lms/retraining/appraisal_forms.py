"""Forms of the appraisal pages: field shape only; `lms.retraining.appraisals` checks
the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from lms.retraining.models import AppraisalOutcome

OUTCOME_LABELS = {
    AppraisalOutcome.EXCELLENT: _l("Excellent"),
    AppraisalOutcome.COMPETENT: _l("Competent"),
    AppraisalOutcome.BASIC: _l("Basically competent"),
    AppraisalOutcome.INCOMPETENT: _l("Incompetent"),
}

PART_LABELS = {
    "plan": _l("Work plan"),
    "process": _l("Work process"),
    "results": _l("Work results"),
}


def _score(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(0, 100)])


def _comment(label):
    return TextAreaField(label, validators=[Length(max=4000)])


class AppraisalForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    plan_score = _score(_l("Work plan: score (0–100)"))
    plan_comment = _comment(_l("Work plan: comment"))
    process_score = _score(_l("Work process: score (0–100)"))
    process_comment = _comment(_l("Work process: comment"))
    results_score = _score(_l("Work results: score (0–100)"))
    results_comment = _comment(_l("Work results: comment"))
    outcome = SelectField(_l("Outcome"), choices=[
        SelectChoice(value.value, label) for value, label in OUTCOME_LABELS.items()])


class EvidenceForm(FlaskForm):
    file = FileField(_l("Evidence (PDF, JPEG or PNG, at most 10 MB)"),
                     validators=[FileRequired(_l("Choose a file."))])
