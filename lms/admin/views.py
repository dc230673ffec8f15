"""User and organisation administration (admins, within their scope)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts import services as accounts
from lms.accounts.forms import apply_error, organisation_choices
from lms.accounts.models import Role
from lms.admin import services
from lms.admin.forms import (
    ROLE_LABELS,
    ActiveForm,
    GrantRoleForm,
    OrganisationForm,
    UserOrganisationForm,
)
from lms.errors import InvalidTransition, ValidationFailed
from lms.extensions import db
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
    user = services.get_visible_user(current_user, user_id)
    orgs = services.manageable_organisations(current_user)
    grant_form = GrantRoleForm()
    platform = ("", PLATFORM_WIDE) if can_assign_scope(current_user, None) else None
    grant_form.organisation_id.choices = organisation_choices(orgs, first=platform)
    org_form = UserOrganisationForm(organisation_id=str(user.organisation_id or ""))
    org_form.organisation_id.choices = organisation_choices(orgs, first=("", _("(none)")))
    return render_template("admin/user_detail.html", user=user, grant_form=grant_form,
                           org_form=org_form, active_form=ActiveForm(), role_labels=ROLE_LABELS,
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
