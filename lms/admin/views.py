"""User and organisation administration (admins, within their scope)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts import privacy
from lms.accounts import services as accounts
from lms.accounts.forms import apply_error, organisation_choices
from lms.accounts.models import Role
from lms.admin import services
from lms.admin.forms import (
    ROLE_LABELS,
    SCOPE_LABELS,
    ActiveForm,
    ApiTokenForm,
    ErasureForm,
    GrantRoleForm,
    OrganisationForm,
    UserOrganisationForm,
)
from lms.api import tokens
from lms.api.models import ApiToken
from lms.clock import utcnow
from lms.errors import InvalidTransition, ValidationFailed
from lms.extensions import db
from lms.i18n import local_today
from lms.permissions import (
    can_assign_scope,
    can_manage_users,
    require,
    require_assign_scope,
    require_manage_organisation,
    require_manage_users,
    roles_required,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

PLATFORM_WIDE = _l("Platform-wide")


@bp.get("/users")
@roles_required(Role.ADMIN, Role.OFFICER)
def users():
    page = services.search_users(
        current_user, q=request.args.get("q", ""), role=request.args.get("role", ""),
        organisation_id=request.args.get("org", type=int), page=request.args.get("page", 1, int))
    orgs = services.manageable_organisations(current_user)
    return render_template("admin/users.html", page=page, orgs=orgs, role_labels=ROLE_LABELS,
                           args=request.args)


@bp.get("/users/<int:user_id>")
@roles_required(Role.ADMIN, Role.OFFICER)
def user_detail(user_id: int):
    return _user_detail_page(services.get_visible_user(current_user, user_id), ErasureForm())


def _user_detail_page(user, erasure_form: ErasureForm):
    orgs = services.manageable_organisations(current_user)
    grant_form = GrantRoleForm()
    platform = ("", PLATFORM_WIDE) if can_assign_scope(current_user, None) else None
    grant_form.organisation_id.choices = organisation_choices(orgs, first=platform)
    org_form = UserOrganisationForm(organisation_id=str(user.organisation_id or ""))
    org_form.organisation_id.choices = organisation_choices(orgs, first=("", _("(none)")))
    return render_template("admin/user_detail.html", user=user, grant_form=grant_form,
                           org_form=org_form, active_form=ActiveForm(), role_labels=ROLE_LABELS,
                           erasure_form=erasure_form, erased=privacy.is_erased(user),
                           masked_id=accounts.masked_id_number(user),
                           can_manage=can_manage_users(current_user, user))


def _managed_user(user_id: int):
    user = services.get_visible_user(current_user, user_id)
    require_manage_users(current_user, user)
    return user


@bp.post("/users/<int:user_id>/roles")
@roles_required(Role.ADMIN)
def grant_role(user_id: int):
    user = _managed_user(user_id)
    form = GrantRoleForm()
    org = services.get_organisation(request.form.get("organisation_id", type=int))
    role = Role(form.role.data) if form.role.data in Role._value2member_map_ else None
    require(role is not None and can_assign_scope(current_user, org))
    accounts.grant_role(user, role, org, actor=current_user)
    db.session.commit()
    flash(_("Role granted."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/roles/<int:assignment_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_role(user_id: int, assignment_id: int):
    user = _managed_user(user_id)
    assignment = next((a for a in user.role_assignments if a.id == assignment_id), None)
    require(assignment is not None and can_assign_scope(current_user, assignment.organisation))
    try:
        accounts.revoke_role(user, assignment_id, actor=current_user)
    except InvalidTransition:
        flash(_("You cannot remove your own administrator role."), "danger")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/organisation")
@roles_required(Role.ADMIN)
def set_organisation(user_id: int):
    user = _managed_user(user_id)
    org = services.get_organisation(request.form.get("organisation_id", type=int))
    if org is not None:
        require_manage_organisation(current_user, org)
    accounts.set_organisation(user, org, actor=current_user)
    db.session.commit()
    flash(_("Organisation saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    user = _managed_user(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(user, active, actor=current_user)
    except InvalidTransition:
        flash(_("You cannot deactivate your own account."), "danger")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(_("Account activated.") if active else _("Account deactivated; its sessions have "
                                                   "been ended."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/data-export")
@roles_required(Role.ADMIN)
def export_data(user_id: int):
    """The person's data export (PIPL art. 45), for an admin handling their request."""
    user = _managed_user(user_id)
    data = privacy.export_zip(user, actor=current_user)
    db.session.commit()
    return privacy.download(data, user)


ERASURE_REFUSED = {
    "yourself": _l("You cannot erase your own account."),
    "erased": _l("This person's data has already been erased."),
    "sitting": _l("This person is sitting an exam: erase the data once the exam has ended."),
}


@bp.post("/users/<int:user_id>/erase")
@roles_required(Role.ADMIN)
def erase(user_id: int):
    """Erase the person's data on their request (rules: lms.accounts.privacy)."""
    user = _managed_user(user_id)
    form = ErasureForm()
    if not form.validate_on_submit():  # the page again, with the reference as typed
        flash(_("Give the request reference and confirm to erase the personal data."),
              "danger")
        return _user_detail_page(user, form)
    try:
        privacy.erase(user, actor=current_user, reason=form.reason.data)
    except privacy.ErasureRefused as exc:
        db.session.rollback()
        flash(ERASURE_REFUSED[exc.args[0]], "danger")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(_("The personal data has been erased; the account can no longer log in."),
          "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/organisations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisations():
    require_manage_organisation(current_user)
    orgs = services.manageable_organisations(current_user)
    form = OrganisationForm()
    root = ("", _("(top level: a federation)")) if can_assign_scope(current_user, None) else None
    form.parent_id.choices = organisation_choices(orgs, first=root)
    if form.validate_on_submit():
        parent = services.get_organisation(form.parent_id.data and int(form.parent_id.data))
        require_assign_scope(current_user, parent)
        try:
            org = accounts.create_organisation(name=form.name.data, code=form.code.data,
                                               parent=parent, actor=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s created.", name=org.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", orgs=orgs, form=form)


# -- API tokens (lms/api) -----------------------------------------------------------------

TOKEN_MESSAGES = {
    ("name", "required"): _l("Name the integration."),
    ("scopes", "unknown"): _l("Choose at least one scope."),
    ("expires_on", "past"): _l("The expiry must be after today."),
    ("organisation_id", "out_of_scope"): _l("Choose an organisation within your scope."),
}


def _token_form() -> ApiTokenForm:
    form = ApiTokenForm()
    platform = ("", PLATFORM_WIDE) if can_assign_scope(current_user, None) else None
    form.organisation_id.choices = organisation_choices(
        services.manageable_organisations(current_user), first=platform)
    return form


def _token_page(form: ApiTokenForm, *, secret: str | None = None, created=None):
    return render_template("admin/api_tokens.html", form=form, secret=secret, created=created,
                           tokens=tokens.tokens_visible_to(current_user),
                           scope_labels=SCOPE_LABELS, today=local_today(),
                           revoke_form=ActiveForm())


@bp.route("/api-tokens", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def api_tokens():
    """The integrations' tokens in the admin's scope; a new one's secret is shown in
    this one response and never again (not flashed: the session cookie is readable)."""
    require_manage_organisation(current_user)
    form = _token_form()
    if not form.validate_on_submit():
        return _token_page(form)
    try:
        org = services.get_organisation(form.organisation_id.data and
                                        int(form.organisation_id.data))
        token, secret = tokens.create_token(
            current_user, name=form.name.data, scopes=form.scopes.data, organisation=org,
            expires_on=form.expires_on.data, today=local_today())
    except ValidationFailed as exc:
        db.session.rollback()
        getattr(form, exc.field).errors.append(TOKEN_MESSAGES[(exc.field, exc.reason)])
        return _token_page(form)
    db.session.commit()
    return _token_page(_token_form(), secret=secret, created=token)


@bp.post("/api-tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_api_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not tokens.can_manage_token(current_user, token):
        abort(404)
    if tokens.revoke_token(token, current_user, now=utcnow()):
        db.session.commit()
        flash(_("Token %(name)s revoked: it stops working at once.", name=token.name),
              "success")
    return redirect(url_for("admin.api_tokens"))
