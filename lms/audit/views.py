"""The audit log, readable by platform administrators."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.paging import paginate
from lms.permissions import require_view_audit_log, roles_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    require_view_audit_log(current_user)
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action := request.args.get("action", "").strip():
        query = query.where(AuditEntry.action.startswith(action))
    if object_type := request.args.get("object_type", "").strip():
        query = query.where(AuditEntry.object_type == object_type)
    if object_id := request.args.get("object_id", "").strip():
        query = query.where(AuditEntry.object_id == object_id)
    if actor := request.args.get("actor", type=int):
        query = query.where(AuditEntry.actor_id == actor)
    page = paginate(query, page=request.args.get("page", 1, int), per_page=50)
    return render_template("admin/audit.html", page=page, args=request.args)
