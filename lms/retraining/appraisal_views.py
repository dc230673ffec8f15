"""A holder's own annual appraisals (/appraisals/, read-only) and the evidence files,
which only the holder and the officers whose scope holds the holder may download."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.extensions import db
from lms.permissions import can_appraise
from lms.retraining import appraisals
from lms.retraining.appraisal_forms import OUTCOME_LABELS, PART_LABELS
from lms.retraining.models import AppraisalAttachment

bp = Blueprint("appraisals", __name__, url_prefix="/appraisals")


@bp.get("/")
@login_required
def mine():
    return render_template("appraisals/mine.html",
                           history=appraisals.appraisals_of(current_user),
                           outcomes=OUTCOME_LABELS, parts=PART_LABELS)


@bp.get("/evidence/<int:attachment_id>")
@login_required
def evidence(attachment_id: int):
    found = db.session.get(AppraisalAttachment, attachment_id)
    if found is None:
        abort(404)
    holder_id = found.appraisal.user_id
    if holder_id != current_user.id and not can_appraise(current_user,
                                                         db.session.get(User, holder_id)):
        abort(404)
    inline = found.media_type in ("image/png", "image/jpeg", "application/pdf")
    response = send_file(appraisals.evidence_path(found.sha256), mimetype=found.media_type,
                         as_attachment=not inline, download_name=found.filename,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
