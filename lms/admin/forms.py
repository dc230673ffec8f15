from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.accounts.models import Role

ROLE_LABELS = {
    Role.CANDIDATE: _l("Candidate"),
    Role.TRAINER: _l("Trainer"),
    Role.PROCTOR: _l("Proctor"),
    Role.OFFICER: _l("Certification officer"),
    Role.ADMIN: _l("Administrator"),
}


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    #: "" means platform-wide
    organisation_id = SelectField(_l("Scope"), choices=[], validate_choice=True)


class UserOrganisationForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), choices=[])


class ActiveForm(FlaskForm):
    active = HiddenField()


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=64),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
               message=_l("Use letters, digits, hyphens and underscores only."))])
    parent_id = SelectField(_l("Parent organisation"), choices=[])


#: what each API scope lets an integration read (lms/api)
SCOPE_LABELS = {
    "certificates:read": _l("Certificates and their status"),
    "register:read": _l("The public register of cadres"),
    "results:read": _l("Candidates' exam results"),
    "plans:read": _l("Holders' retraining plans"),
}


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Integration"), validators=[DataRequired(), Length(max=100)],
                       description=_l("Who uses it, e.g. the federation's member system."))
    scopes = SelectMultipleField(_l("Scopes"), choices=[SelectChoice(k, v)
                                                        for k, v in SCOPE_LABELS.items()],
                                 validators=[DataRequired()])
    #: "" means platform-wide
    organisation_id = SelectField(_l("Organisation scope"), choices=[], validate_choice=True)
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()])


class ErasureForm(FlaskForm):
    reason = StringField(_l("Request reference"), validators=[DataRequired(), Length(max=200)])
    confirm = BooleanField(_l("I understand that this cannot be undone"),
                           validators=[DataRequired()])
