"""Key correction and regrade pages (/regrade), for the officers and administrators
who manage the exam (`can_manage_exam`; anyone else gets 403): the corrections an
exam's marked attempts wait for with the pass/fail flips recorded so far, and per
correction the preview (each attempt's score and verdict before → after) with the
form that applies it (reason required; CSRF). Thin views over `lms.grading.regrade`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.errors import DomainError, NotFound
from lms.exams.models import Exam
from lms.extensions import db
from lms.grading import regrade
from lms.permissions import require_manage_exam

bp = Blueprint("regrade", __name__, url_prefix="/regrade")


def _exam(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    require_manage_exam(current_user, exam)
    return exam


@bp.get("/exams/<int:exam_id>")
@login_required
def exam(exam_id: int):
    found = _exam(exam_id)
    return render_template("regrade/exam.html", exam=found,
                           corrections=regrade.corrections_for(found),
                           flips=regrade.flips_for(found))


@bp.route("/exams/<int:exam_id>/questions/<int:question_id>/versions/<int:version_id>",
          methods=["GET", "POST"])
@login_required
def correction(exam_id: int, question_id: int, version_id: int):
    found = _exam(exam_id)
    error = None
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        if not reason:
            error = _("Give the reason for the regrade: candidates read it.")
        else:
            try:
                done = regrade.apply(found, question_id, version_id, current_user, reason)
            except regrade.NotApproved:
                db.session.rollback()
                abort(409)
            except NotFound:
                abort(404)
            db.session.commit()
            flash(_("Regraded: %(changed)s results changed, %(flips)s pass/fail changes "
                    "recorded, %(mailed)s candidates notified.", changed=len(done.changed),
                    flips=len(done.flips), mailed=len(done.notified)), "success")
            return redirect(url_for("regrade.exam", exam_id=exam_id))
    try:
        preview = regrade.preview(found, question_id, version_id)
    except regrade.NotApproved:
        abort(409)
    except DomainError:
        abort(404)
    return render_template("regrade/preview.html", exam=found, preview=preview, error=error,
                           reason=request.form.get("reason", "")), 422 if error else 200
