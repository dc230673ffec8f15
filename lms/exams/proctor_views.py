"""The proctor's console: the live table of a session's attempts and the actions on
them (admit, reject, pause, resume, extend, unlock a device, terminate). Every
action is audited by the service it calls."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import Role, User
from lms.audit import services as audit
from lms.db_base import utcnow
from lms.domain.attempt_states import IllegalTransition
from lms.exams import attempts, messages, registration
from lms.exams.models import ExamAnswer, ExamAttempt, ExamSession, exam_session_proctors
from lms.extensions import db
from lms.permissions import has_role, require_proctor_session

bp = Blueprint("proctor", __name__, url_prefix="/proctor")


@bp.get("/")
@login_required
def index():
    query = sa.select(ExamSession).order_by(ExamSession.starts_at.desc())
    if not has_role(current_user, Role.OFFICER, Role.ADMIN):
        query = query.join(exam_session_proctors).where(
            exam_session_proctors.c.user_id == current_user.id)
    sessions = db.session.scalars(query.limit(100)).all()
    return render_template("proctor/index.html", sessions=sessions, now=utcnow())


def _session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        abort(404)
    require_proctor_session(current_user, session)
    return session


def live_rows(session: ExamSession) -> list[dict]:
    """One row per attempt of the session, in two queries whatever its size."""
    answered = (sa.select(ExamAnswer.attempt_id, sa.func.count().label("answered"),
                          sa.func.max(ExamAnswer.saved_at).label("last_save"))
                .group_by(ExamAnswer.attempt_id).subquery())
    rows = db.session.execute(
        sa.select(ExamAttempt, User.real_name, answered.c.answered, answered.c.last_save)
        .join(User, User.id == ExamAttempt.user_id)
        .outerjoin(answered, answered.c.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.session_id == session.id)
        .options(sa.orm.defer(ExamAttempt.paper))
        .order_by(User.real_name, ExamAttempt.id)).all()
    now = utcnow()
    return [{"id": a.id, "name": name, "state": a.state.value,
             "checked_in": a.checked_in_at is not None,
             "remaining": attempts.remaining_seconds(a, now) if a.started_at else None,
             "answered": count or 0, "items": a.item_count,
             "last_save": last.isoformat() if last else None}
            for a, name, count, last in rows]


@bp.get("/sessions/<int:session_id>")
@login_required
def console(session_id: int):
    session = _session(session_id)
    return render_template("proctor/console.html", session=session, rows=live_rows(session))


@bp.get("/sessions/<int:session_id>/live.json")
@login_required
def live(session_id: int):
    return jsonify(rows=live_rows(_session(session_id)))


@bp.post("/sessions/<int:session_id>/rotate-code")
@login_required
def rotate_code(session_id: int):
    session = _session(session_id)
    session.access_code = registration.new_access_code()
    session.access_code_rotated_at = utcnow()
    audit.record("exam_session.code_rotated", actor=current_user, obj=session)
    db.session.commit()
    flash(_("New access code: %(code)s", code=session.access_code), "success")
    return redirect(url_for(".console", session_id=session_id))


ACTIONS = {
    "admit": lambda a, form, now: attempts.admit(a, current_user, now),
    "reject": lambda a, form, now: attempts.reject(a, current_user, form.get("reason", "")),
    "pause": lambda a, form, now: attempts.pause(a, current_user, now),
    "resume": lambda a, form, now: attempts.resume(a, current_user, now),
    "extend": lambda a, form, now: attempts.extend(a, current_user,
                                                   _minutes(form.get("minutes")), now),
    "terminate": lambda a, form, now: attempts.terminate(a, current_user,
                                                         form.get("reason", ""), now),
    "unlock": lambda a, form, now: attempts.unlock_device(a, current_user),
}


def _minutes(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@bp.post("/attempts/<int:attempt_id>/<action>")
@login_required
def act(attempt_id: int, action: str):
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None or action not in ACTIONS:
        abort(404)
    require_proctor_session(current_user, attempt.session)
    session_id = attempt.session_id
    try:
        ACTIONS[action](attempt, request.form, utcnow())
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        flash(messages.refusal_text(refused), "warning")
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        flash(_("The attempt changed in the meantime; nothing was done."), "warning")
    else:
        db.session.commit()
        flash(_("Done."), "success")
    return redirect(url_for(".console", session_id=session_id))
