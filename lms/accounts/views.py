"""Login, logout, registration, password reset and the user's own profile."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import auth, personal_data, privacy
from lms.accounts import services as accounts
from lms.accounts.consent import CONSENTS
from lms.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    apply_error,
    organisation_choices,
)
from lms.domain.identity import normalise_email
from lms.errors import ValidationFailed
from lms.extensions import db, limiter
from lms.i18n import current_language

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("core.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            auth.start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # keep the audit entry of the failure
        form.form_errors.append(_("Wrong e-mail address or password."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    auth.end_session(current_user._get_current_object())
    db.session.commit()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = RegistrationForm()
    form.organisation_id.choices = organisation_choices(
        accounts.active_organisations(), first=("", _("Choose later")))
    if form.validate_on_submit():
        info = accounts.RegistrationInfo(
            email=form.email.data, real_name=form.real_name.data, password=form.password.data,
            mobile=form.mobile.data, id_number=form.id_number.data,
            photo=form.photo.data.read() if form.photo.data else None,
            consent_personal_info=form.consent_personal_info.data,
            consent_id_number=form.consent_id_number.data,
            consent_photo=form.consent_photo.data, locale=current_language(),
            organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None)
        try:
            user = accounts.register_user(info)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            auth.start_session(user)
            flash(_("Welcome! Your account has been created."), "success")
            return redirect(url_for("core.dashboard"))
    return render_template("accounts/register.html", form=form, consents=CONSENTS)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to set a new "
                "password. The link is valid for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset_token(token)
    except ValidationFailed:
        flash(_("This link has expired or was already used. Ask for a new one."), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Please log in."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            auth.start_session(user)  # the new generation: other devices are logged out
            db.session.commit()
            flash(_("Your password has been changed. Other devices have been logged out."),
                  "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                user, real_name=form.real_name.data, mobile=form.mobile.data,
                locale=form.locale.data, id_number=form.id_number.data,
                consent_id_number=form.consent_id_number.data,
                photo=form.photo.data.read() if form.photo.data else None,
                consent_photo=form.consent_photo.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    form.id_number.data = ""
    return render_template("accounts/profile.html", form=form, user=user,
                           masked_id=accounts.masked_id_number(user), consents=CONSENTS)


@bp.post("/account/data-export")
@login_required
def export_own_data():
    """Everything the platform holds about me, as a ZIP (PIPL art. 45)."""
    user = current_user._get_current_object()
    data = privacy.export_zip(user, actor=user)
    db.session.commit()
    return privacy.download(data, user)


@bp.get("/account/photo")
@login_required
def own_photo():
    user = current_user._get_current_object()
    if not user.photo_file:
        abort(404)
    response = Response(personal_data.read_photo(user.photo_file), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/consent/<purpose>")
def consent_text(purpose: str):
    consent = CONSENTS.get(purpose)
    if consent is None:
        abort(404)
    return render_template("accounts/consent_page.html", consent=consent)
