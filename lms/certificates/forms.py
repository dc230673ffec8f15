"""Forms of the certificate pages: field shape only; `lms.certificates.qualifications`
checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from lms.certificates.models import Issuance

ISSUANCE_LABELS = {
    Issuance.AUTOMATIC: _l("Automatically, as soon as a released result meets a level"),
    Issuance.APPROVAL: _l("After an officer approves it"),
}


class QualificationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)])
    organisation_id = SelectField(_l("Issuing organisation"), coerce=int)
    validity_months = IntegerField(_l("Validity (months)"),
                                   validators=[InputRequired(), NumberRange(1, 240)])
    issuance = SelectField(_l("Issuance"), choices=[
        SelectChoice(value.value, label) for value, label in ISSUANCE_LABELS.items()])
    four_eyes = BooleanField(_l("Four eyes: a second officer confirms every approval and "
                                "every revocation"))
    seal = SelectField(_l("Seal on the certificate"),
                       description=_l("Seal images are the files in static/img/seals/ "
                                      "(SVG or PNG), added by the platform's administrator."))


class LevelForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("e.g. junior, intermediate, senior"))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)],
                        description=_l("e.g. 初级"))
    rank = IntegerField(_l("Rank"), validators=[InputRequired(), NumberRange(1, 99)],
                        description=_l("Higher ranks are higher levels."))
    exam_id = SelectField(_l("Exam"), coerce=int)
    min_percent = DecimalField(_l("Lowest score (%)"), places=2,
                               validators=[InputRequired(), NumberRange(0, 100)])
    max_percent = DecimalField(_l("Score below (%)"), places=2,
                               validators=[Optional(), NumberRange(0, 100)],
                               description=_l("Leave empty for no upper bound; one exam can "
                                              "serve several levels by score band."))
    required_courses = StringField(_l("Courses to complete"),
                                   description=_l("Course codes, separated by commas."))
    require_integrity_clear = BooleanField(_l("Integrity review clear"), default=True)
    require_photo = BooleanField(_l("Photo on the profile"), default=True)
    validity_months = IntegerField(_l("Validity (months)"),
                                   validators=[Optional(), NumberRange(1, 240)],
                                   description=_l("Leave empty to use the qualification's."))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


class StatusForm(ReasonForm):
    #: the certificate's revision the officer saw: a change made meanwhile is not overridden
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class VerifyForm(FlaskForm):
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=60)])


class HashCheckForm(FlaskForm):
    pdf = FileField(_l("The PDF you received"))
    sha256 = StringField(_l("or its SHA-256"), validators=[Length(max=80)])


class RegisterForm(FlaskForm):
    listed = BooleanField(_l("List me in the public register of qualified cadres"))
    region = StringField(_l("Region"), validators=[Length(max=100)],
                         description=_l("e.g. 北京市东城区"))
    specialities = StringField(_l("Specialities"), validators=[Length(max=200)],
                               description=_l("e.g. 集体协商, 劳动争议调解"))
    profile = TextAreaField(_l("Short profile"), validators=[Length(max=1000)])
    show_full_name = BooleanField(_l("Show my full name (otherwise 张*明)"))
