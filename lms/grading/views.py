"""Blind essay marking pages (/marking): the queue with its progress per exam and
session, and the marking page of one claim ("save and next").

Thin views over `lms.grading.essays`; every page is for trainers, officers and
administrators (`can_mark_essays`). The marking page is addressed by the claim,
never by the attempt, and names the candidate only by an anonymous code: no name,
e-mail, ID number, organisation or photo is read for these pages. Every POST
carries the CSRF token (CSRFProtect); a claim that is not the marker's, or whose
candidate lies outside their reach, is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.extensions import db, login_manager
from lms.grading import essays
from lms.permissions import require_mark_essays

bp = Blueprint("marking", __name__, url_prefix="/marking")

#: MarkingError codes → the sentence under the criterion's input
MARK_MESSAGES = {
    "missing": _l("Give a mark for “%(name)s”."),
    "not_a_number": _l("The mark for “%(name)s” must be a number, e.g. 3 or 2.5."),
    "out_of_range": _l("The mark for “%(name)s” must be between 0 and %(max)s."),
    "too_precise": _l("The mark for “%(name)s” may have at most two decimals."),
    "unknown_criterion": _l("“%(name)s” is not a criterion of this rubric."),
    "not_awaiting_marking": _l("“%(name)s” does not wait for a marker."),
}
ROUND_LABELS = {
    "first": _l("First mark"),
    "second": _l("Second mark"),
    "reconcile": _l("Reconciling mark"),
}


@bp.before_request
def _markers_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_mark_essays(current_user)
    return None


@bp.context_processor
def _helpers():
    return {"round_labels": ROUND_LABELS}


def _marker():
    return current_user._get_current_object()


def _int_arg(name: str) -> int | None:
    value = request.values.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/")
def queue():
    return render_template("marking/queue.html", rows=essays.queue(_marker()))


@bp.post("/next")
def next_answer():
    """Claim the next answer (of an exam and session, when given) and open it."""
    exam_id, session_id = _int_arg("exam_id"), _int_arg("session_id")
    claim = essays.next_for(_marker(), exam_id=exam_id, session_id=session_id)
    if claim is None:
        db.session.rollback()
        flash(_("Nothing is waiting for you to mark here."), "info")
        return redirect(url_for("marking.queue"))
    claim_id = claim.id
    db.session.commit()
    return redirect(url_for("marking.mark", claim_id=claim_id))


def _posted_marks(view) -> tuple[dict, dict]:
    """The marks and comments from the form: ``m-<criterion>`` / ``c-<criterion>`` for an
    essay, ``m-<sub>-<criterion>`` / ``c-<sub>-<criterion>`` for a case study's parts.
    Every posted ``m-`` field is passed on, so an unknown criterion is reported."""
    form = request.form
    if view.essays and view.essays[0][0] is None:
        marks = {name[2:]: value for name, value in form.items(multi=False)
                 if name.startswith("m-")}
        comments = {name[2:]: value for name, value in form.items(multi=False)
                    if name.startswith("c-")}
        return marks, comments
    marks: dict = {}
    comments: dict = {}
    for sub, _spec in view.essays:
        marks[sub] = {name[len(sub) + 3:]: value for name, value in form.items(multi=False)
                      if name.startswith(f"m-{sub}-")}
        comments[sub] = {name[len(sub) + 3:]: value for name, value in form.items(multi=False)
                         if name.startswith(f"c-{sub}-")}
    return marks, comments


def _criterion_name(view, path: str) -> str:
    sub, _, key = path.rpartition(".")
    for sub_id, spec in view.essays:
        if (sub_id or "") == sub:
            for criterion in spec.rubric:
                if criterion.id == key:
                    return criterion.name
    return key or path


def _errors(view, exc: essays.MarkingInvalid) -> dict[str, str]:
    """Field name (``m-…``) → message, for each problem."""
    out = {}
    for path, code, params in exc.errors:
        text = MARK_MESSAGES.get(code, _l("This mark is not valid."))
        name = "m-" + path.replace(".", "-")
        out[name] = str(text) % {"name": params.get("name") or _criterion_name(view, path),
                                 "max": params.get("max", "")}
    return out


def answer_key(view) -> str:
    """Names the answer a marking form was written for (anonymously), so marks typed for
    one answer never land on another."""
    return f"{view.code}-{view.question_number}-{view.round.value}"


@bp.route("/claims/<int:claim_id>", methods=["GET", "POST"])
def mark(claim_id: int):
    marker = _marker()
    view = essays.marking_view(marker, claim_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("answer") != answer_key(view):
            flash(_("This page was out of date: here is the answer you hold now. Nothing "
                    "was saved."), "warning")
            return redirect(url_for("marking.mark", claim_id=claim_id))
        marks, comments = _posted_marks(view)
        try:
            done = essays.submit_mark(marker, claim_id, marks, comments=comments,
                                      comment=request.form.get("comment", ""))
        except essays.MarkingInvalid as exc:
            db.session.rollback()
            errors = _errors(view, exc)
        except essays.MarkNotNeeded:
            db.session.rollback()
            essays.release_claim(marker, claim_id)
            db.session.commit()
            flash(_("This answer no longer needs your mark (another marker gave it, or your "
                    "claim expired and was taken over). Nothing was saved."), "warning")
            return redirect(url_for("marking.queue"))
        else:
            db.session.commit()
            if done.needs_reconciliation:
                flash(_("Mark saved. The two marks differ by more than the tolerance: a third "
                        "marker will reconcile them."), "success")
            else:
                flash(_("Mark saved."), "success")
            if request.form.get("then") == "queue":
                return redirect(url_for("marking.queue"))
            claim = essays.next_for(marker, exam_id=view.exam_id, session_id=view.session_id)
            if claim is None:
                db.session.rollback()
                flash(_("Nothing more is waiting for you in this session."), "info")
                return redirect(url_for("marking.queue"))
            next_id = claim.id
            db.session.commit()
            return redirect(url_for("marking.mark", claim_id=next_id))
    return render_template("marking/mark.html", view=view, errors=errors,
                           answer_key=answer_key(view),
                           form=request.form if errors else None), 422 if errors else 200


@bp.post("/claims/<int:claim_id>/release")
def release(claim_id: int):
    if not essays.release_claim(_marker(), claim_id):
        abort(404)
    db.session.commit()
    flash(_("The answer went back to the queue."), "info")
    return redirect(url_for("marking.queue"))
