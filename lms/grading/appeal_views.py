"""Appeal pages (/appeals).

* ``POST /appeals/attempts/<attempt_id>`` — a candidate files an appeal on their own
  released attempt (anyone else's, or one not released, is a 404); the form is the
  macro ``appeal_panel`` of ``templates/appeals/_candidate.html``, which the
  candidate's result page includes. Back to the result page with a message.
* ``/appeals/`` — the queue of the trainers, officers and administrators who may
  answer (`lms.grading.appeals.queue`: scoped per appeal), open ones first;
* ``/appeals/<id>`` — one appeal with the form to answer it (upheld / rejected, the
  answer, and for a question upheld the slot's corrected score).

Every POST carries the CSRF token (CSRFProtect). Thin views over
`lms.grading.appeals`; they commit.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.errors import NotFound, PermissionDenied, ValidationFailed
from lms.extensions import db
from lms.grading import appeals, regrade

bp = Blueprint("appeals", __name__, url_prefix="/appeals")

FIELD_MESSAGES = {
    ("reason", "required"): _l("Say why you appeal."),
    ("reason", "too_long"): _l("The reason may be at most 2000 characters long."),
    ("slot", "unknown"): _l("Choose a question of your paper or “the whole score”."),
    ("answer", "required"): _l("Write the answer the candidate will read."),
    ("answer", "too_long"): _l("The answer may be at most 4000 characters long."),
    ("outcome", "invalid"): _l("Choose whether the appeal is upheld or rejected."),
    ("score", "not_a_number"): _l("The corrected score must be a number, e.g. 2 or 1.5."),
    ("score", "out_of_range"): _l("The corrected score must be between 0 and %(max)s."),
    ("score", "too_precise"): _l("The corrected score may have at most two decimals."),
}


def _message(exc: ValidationFailed) -> str:
    text = FIELD_MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))
    return str(text) % {"max": exc.params.get("max", "")}


@bp.post("/attempts/<int:attempt_id>")
@login_required
def file(attempt_id: int):
    raw_slot = request.form.get("slot", "")
    slot = None if raw_slot in ("", "whole") else (int(raw_slot) if raw_slot.isdigit()
                                                   else -1)
    back = regrade.result_link(attempt_id)
    try:
        appeals.file(current_user, attempt_id, slot, request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except appeals.AppealClosed:
        db.session.rollback()
        flash(_("The time for appeals on this result is over."), "warning")
    except appeals.AppealExists:
        db.session.rollback()
        flash(_("You already have an open appeal on this question. You will get an answer "
                "by e-mail."), "info")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_message(exc), "danger")
    else:
        db.session.commit()
        flash(_("Your appeal was received. You will get the answer by e-mail and on this "
                "page."), "success")
    return redirect(_local(back) + "#appeals")


def _local(url: str) -> str:
    """The path of an absolute URL of this site (redirects stay on the host asked)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path or "/"


def _answerers_only():
    if not appeals.may_answer_appeals(current_user):
        raise PermissionDenied()


@bp.get("/")
@login_required
def queue():
    _answerers_only()
    status = "decided" if request.args.get("status") == "decided" else "open"
    return render_template("appeals/queue.html", rows=appeals.queue(current_user, status=status),
                           status=status)


@bp.route("/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def decide(appeal_id: int):
    _answerers_only()
    row = appeals.get_for(current_user, appeal_id)  # 404 outside the actor's reach
    error = None
    if request.method == "POST" and row.appeal.status == "open":
        try:
            appeals.decide(current_user, appeal_id, request.form.get("outcome", ""),
                           request.form.get("answer", ""),
                           score=request.form.get("score") or None)
        except ValidationFailed as exc:
            db.session.rollback()
            error = (exc.field, _message(exc))
        except appeals.AlreadyDecided:
            db.session.rollback()
            flash(_("Someone answered this appeal first."), "warning")
            return redirect(url_for("appeals.decide", appeal_id=appeal_id))
        else:
            db.session.commit()
            flash(_("The answer was saved and the candidate notified."), "success")
            return redirect(url_for("appeals.queue"))
        row = appeals.get_for(current_user, appeal_id)
    return render_template("appeals/decide.html", row=row, error=error,
                           form=request.form if error else None), 422 if error else 200
