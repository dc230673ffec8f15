"""Account forms: field shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from lms.domain.identity import normalise_email, normalise_text

#: (field, reason code) → message shown beside the field.
ERROR_MESSAGES = {
    ("email", "taken"): _l("An account with this e-mail address already exists."),
    ("real_name", "required"): _l("Please enter your real name."),
    ("mobile", "invalid"): _l("Enter an 11-digit mainland mobile number, e.g. 13800138000."),
    ("id_number", "shape"): _l("An ID number has 18 characters: 17 digits and a digit or X."),
    ("id_number", "birth_date"): _l("The birth date inside this ID number is not a real date."),
    ("id_number", "checksum"): _l("This ID number is not valid: its check digit does not match. "
                                  "Please check each digit."),
    ("id_number", "taken"): _l("This ID number is already registered to another account."),
    ("id_number", "too_young"): _l("Accounts are for people aged %(age)s or older: this ID "
                                   "number shows a younger person."),
    ("photo", "too_large"): _l("The photo is larger than %(max_mb)s MB. Please choose a smaller "
                                "file."),
    ("photo", "not_image"): _l("The photo must be a JPEG, PNG or WebP image."),
    ("photo", "too_small"): _l("The photo is too small: at least 100 × 100 pixels."),
    ("password", "too_short"): _l("The password must have at least 10 characters."),
    ("password", "too_long"): _l("The password may have at most 128 characters."),
    ("password", "common"): _l("This password is too common and easy to guess. "
                               "A short sentence is easier to remember and harder to guess."),
    ("password", "personal"): _l("The password must not contain your name or e-mail address."),
    ("password", "repetitive"): _l("The password repeats too few different characters."),
    ("current_password", "wrong"): _l("The current password is not correct."),
    ("consent_personal_info", "required"): _l(
        "You must agree to the processing of personal information to register."),
    ("consent_id_number", "required"): _l(
        "To store your ID number we need your separate consent."),
    ("consent_photo", "required"): _l("To store your photo we need your separate consent."),
    ("code", "taken"): _l("This code is already used by another organisation."),
    ("organisation_id", "unknown"): _l("Choose a union from the list."),
    ("user_email", "unknown_in_scope"): _l("No one with this e-mail address is in your scope."),
    ("organisation_id", "one_target"): _l("Choose either an organisation or one person."),
    ("due_on", "past"): _l("The due date cannot be in the past."),
    ("course", "not_published"): _l("Only published courses can be assigned."),
    ("course_id", "unknown"): _l("Choose a course from the list."),
    ("parent", "too_deep"): _l("Enterprise unions are the lowest level of the tree."),
    ("token", "invalid"): _l("This link has expired or was already used."),
}


def apply_error(form: FlaskForm, exc) -> None:
    """Put a service's `ValidationFailed` back on the form field it names."""
    message = ERROR_MESSAGES.get((exc.field, exc.reason), exc.reason)
    if exc.params:
        message = message % exc.params
    field = getattr(form, exc.field, None)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def _email_field(label):
    return EmailField(label, filters=[lambda v: normalise_email(v) if v else v],
                      validators=[DataRequired(), Email(), Length(max=254)])


def _password_field(label):
    return PasswordField(label, validators=[DataRequired(), Length(max=128)],
                         render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    email = _email_field(_l("E-mail"))
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this device"))


class RegistrationForm(FlaskForm):
    email = _email_field(_l("E-mail"))
    real_name = StringField(_l("Real name"), filters=[lambda v: normalise_text(v) if v else v],
                            validators=[DataRequired(), Length(max=100)])
    mobile = StringField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    id_number = StringField(_l("Resident ID number"), validators=[Optional(), Length(max=30)],
                            description=_l("Optional now; needed before you sit an exam."))
    organisation_id = SelectField(_l("Your union"), choices=[], default="",
                                  description=_l("The union organisation you work for; "
                                                 "an administrator can correct it later."))
    photo = FileField(_l("Photo"), description=_l(
        "Optional now; a recent head-and-shoulders photo (JPEG or PNG, up to 2 MB) "
        "for your certificate."))
    password = _password_field(_l("Password"))
    password_confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"})
    consent_personal_info = BooleanField(_l("I have read and agree to the personal "
                                            "information processing notice"))
    consent_id_number = BooleanField(_l("I separately agree to the processing of my ID number"))
    consent_photo = BooleanField(_l("I separately agree to the processing of my photo"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("E-mail"))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    password_confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))])


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})


class ProfileForm(FlaskForm):
    real_name = StringField(_l("Real name"), filters=[lambda v: normalise_text(v) if v else v],
                            validators=[DataRequired(), Length(max=100)])
    mobile = StringField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    locale = SelectField(_l("Language"), choices=[SelectChoice("zh_CN", "简体中文"),
                                                   SelectChoice("en", "English")])
    id_number = StringField(_l("New resident ID number"), validators=[Optional(), Length(max=30)])
    consent_id_number = BooleanField(_l("I separately agree to the processing of my ID number"))
    photo = FileField(_l("New photo"))
    consent_photo = BooleanField(_l("I separately agree to the processing of my photo"))


def organisation_choices(orgs, *, first: tuple[str, str] | None = None) -> list[SelectChoice]:
    """Options for an organisation picker, indented by depth to show the tree."""
    choices = [SelectChoice(*first)] if first else []
    return choices + [SelectChoice(str(o.id), "\u3000" * o.depth + o.name) for o in orgs]
