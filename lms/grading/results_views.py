"""Results pages: the officer's review and release of a session's results, and the
candidate's own result. Officers reach only the exams they manage (their scope);
a candidate only their own attempt (404 otherwise)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.domain.attempt_states import IllegalTransition
from lms.exams import attempts, messages
from lms.exams.models import Exam, ExamAttempt, ExamSession
from lms.extensions import db
from lms.grading import appeals, results
from lms.permissions import (
    EXAM_MANAGERS,
    can_manage_exams,
    exams_in_scope_filter,
    require,
    require_manage_exam,
)

bp = Blueprint("results", __name__)


@bp.get("/results")
@login_required
def index():
    """Sessions of the exams the officer manages, latest first."""
    require(can_manage_exams(current_user))
    managed = sa.select(Exam.id).where(exams_in_scope_filter(current_user, *EXAM_MANAGERS))
    sessions = db.session.scalars(
        sa.select(ExamSession).where(ExamSession.exam_id.in_(managed))
        .options(joinedload(ExamSession.exam))
        .order_by(ExamSession.starts_at.desc()).limit(200)).all()
    return render_template("results/index.html", sessions=sessions, now=utcnow())


def _managed_session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        abort(404)
    require_manage_exam(current_user, session.exam)
    return session


def _managed_attempt(attempt_id: int) -> ExamAttempt:
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None:
        abort(404)
    require_manage_exam(current_user, attempt.exam)
    return attempt


@bp.get("/results/sessions/<int:session_id>")
@login_required
def session(session_id: int):
    session = _managed_session(session_id)
    rows = results.session_rows(session)
    return render_template("results/session.html", session=session, exam=session.exam,
                           rows=rows, counts=results.summary(rows),
                           section_titles=results.section_titles(session.exam))


@bp.post("/results/sessions/<int:session_id>/release")
@login_required
def release_all(session_id: int):
    session = _managed_session(session_id)
    released = results.release(session, current_user._get_current_object())
    db.session.commit()
    if released:
        flash(ngettext("%(num)s result released; the candidate is told by mail.",
                       "%(num)s results released; the candidates are told by mail.",
                       len(released)), "success")
    else:
        flash(_("No result was ready to release."), "warning")
    return redirect(url_for(".session", session_id=session_id))


@bp.post("/results/attempts/<int:attempt_id>/release")
@login_required
def release_one(attempt_id: int):
    attempt = _managed_attempt(attempt_id)
    released = results.release(attempt.session, current_user._get_current_object(),
                               attempt_id=attempt.id)
    db.session.commit()
    if released:
        flash(_("Result released; the candidate is told by mail."), "success")
    else:
        flash(_("This result cannot be released now: see the reason in its row."), "warning")
    return redirect(url_for(".session", session_id=attempt.session_id,
                            _anchor=f"attempt-{attempt.id}"))


@bp.post("/results/attempts/<int:attempt_id>/invalidate")
@login_required
def invalidate(attempt_id: int):
    attempt = _managed_attempt(attempt_id)
    try:
        results.invalidate(attempt, current_user._get_current_object(),
                           request.form.get("reason", ""), utcnow())
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        flash(messages.refusal_text(refused), "warning")
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        flash(_("The attempt changed in the meantime; nothing was done."), "warning")
    else:
        db.session.commit()
        flash(_("The attempt is invalidated; the candidate is told by mail."), "success")
    return redirect(url_for(".session", session_id=attempt.session_id,
                            _anchor=f"attempt-{attempt.id}"))


@bp.get("/exams/attempts/<int:attempt_id>/result")
@login_required
def mine(attempt_id: int):
    """The candidate's own result, as far as the exam's review options allow."""
    attempt = db.session.scalar(
        sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id)
        .options(joinedload(ExamAttempt.exam), joinedload(ExamAttempt.session)))
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    page = results.candidate_result(attempt)
    filed, window_open = appeals.for_candidate(attempt) if attempt.state == S.RELEASED \
        else ([], False)
    return render_template("results/mine.html", page=page, attempt=attempt,
                           exam=attempt.exam, show=page.show, appeals=filed,
                           appeal_window_open=window_open)
