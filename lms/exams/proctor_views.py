"""The proctor's console: the live table of a session's attempts and the actions on
them (admit, reject, pause, resume, extend, unlock a device, terminate). Every
action is audited by the service it calls."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import personal_data
from lms.accounts.models import User
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import IllegalTransition
from lms.exams import attempts, integrity, messages, registration
from lms.exams.models import (
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamSession,
    IntegrityEvent,
    Snapshot,
    exam_session_proctors,
)
from lms.extensions import db
from lms.permissions import (
    EXAM_MANAGERS,
    can_manage_exam,
    exams_in_scope_filter,
    require,
    require_proctor_session,
)

bp = Blueprint("proctor", __name__, url_prefix="/proctor")


@bp.get("/")
@login_required
def index():
    """The sessions the user proctors, and those of the exams they manage."""
    proctoring = sa.select(exam_session_proctors.c.session_id).where(
        exam_session_proctors.c.user_id == current_user.id)
    managed = sa.select(Exam.id).where(exams_in_scope_filter(current_user, *EXAM_MANAGERS))
    query = (sa.select(ExamSession)
             .where(sa.or_(ExamSession.id.in_(proctoring), ExamSession.exam_id.in_(managed)))
             .options(sa.orm.joinedload(ExamSession.exam))
             .order_by(ExamSession.starts_at.desc()))
    sessions = db.session.scalars(query.limit(100)).all()
    return render_template("proctor/index.html", sessions=sessions, now=utcnow())


def _session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        abort(404)
    require_proctor_session(current_user, session)
    return session


def _proctored_attempt(attempt_id: int) -> ExamAttempt:
    """An attempt of a session the current user proctors (or reviews as an officer)."""
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None:
        abort(404)
    require_proctor_session(current_user, attempt.session)
    return attempt


def _decide(change, done_message: str) -> None:
    """Run one change of an attempt, commit it or roll it back, and say what happened."""
    try:
        change()
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        flash(messages.refusal_text(refused), "warning")
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        flash(_("The attempt changed in the meantime; nothing was done."), "warning")
    else:
        db.session.commit()
        flash(done_message, "success")


def _private_jpeg(data: bytes) -> Response:
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def live_rows(session: ExamSession) -> list[dict]:
    """One row per attempt of the session, in four queries whatever its size."""
    # only this session's answers: grouping every answer of every session cost 1.5 s
    # at 100,000 attempts (bench/data_scale.py)
    answered = (sa.select(ExamAnswer.attempt_id, sa.func.count().label("answered"),
                          sa.func.max(ExamAnswer.saved_at).label("last_save"))
                .where(ExamAnswer.attempt_id.in_(
                    sa.select(ExamAttempt.id).where(ExamAttempt.session_id == session.id)))
                .group_by(ExamAnswer.attempt_id).subquery())
    rows = db.session.execute(
        sa.select(ExamAttempt, User.real_name, answered.c.answered, answered.c.last_save)
        .join(User, User.id == ExamAttempt.user_id)
        .outerjoin(answered, answered.c.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.session_id == session.id)
        .options(sa.orm.defer(ExamAttempt.paper))
        .order_by(User.real_name, ExamAttempt.id)).all()
    now = utcnow()
    flags = integrity.flags_for((a for a, *_ in rows), now)
    latest = dict(db.session.execute(
        sa.select(Snapshot.attempt_id, sa.func.max(Snapshot.id))
        .join(ExamAttempt, ExamAttempt.id == Snapshot.attempt_id)
        .where(ExamAttempt.session_id == session.id).group_by(Snapshot.attempt_id)).all())
    return [{"id": a.id, "name": name, "state": a.state.value, "ended": a.ended_as,
             "flags": [f.code for f in flags.get(a.id, [])],
             "snapshot": latest.get(a.id),
             "snapshot_url": url_for("proctor.snapshot_image", snapshot_id=latest[a.id])
             if a.id in latest else None,
             "checked_in": a.checked_in_at is not None,
             "remaining": attempts.remaining_seconds(a, now) if a.started_at else None,
             "answered": count or 0, "items": a.item_count,
             "last_save": format_datetime(last, "HH:mm:ss") if last else None}
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
    "warn": lambda a, form, now: integrity.warn(a, current_user, form.get("message", "")),
}


def _minutes(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@bp.post("/attempts/<int:attempt_id>/<action>")
@login_required
def act(attempt_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    attempt = _proctored_attempt(attempt_id)
    _decide(lambda: ACTIONS[action](attempt, request.form, utcnow()), _("Done."))
    return redirect(url_for(".console", session_id=attempt.session_id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def timeline(attempt_id: int):
    """One attempt's integrity timeline: events, snapshots, flags, the proctors' actions,
    and (for officers) the review decision."""
    attempt = _proctored_attempt(attempt_id)
    now = utcnow()
    events = db.session.scalars(sa.select(IntegrityEvent).where(
        IntegrityEvent.attempt_id == attempt.id).order_by(IntegrityEvent.occurred_at)).all()
    snapshots = db.session.scalars(sa.select(Snapshot).where(
        Snapshot.attempt_id == attempt.id).order_by(Snapshot.taken_at)).all()
    actions = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "exam_attempts", AuditEntry.object_id == str(attempt.id))
        .order_by(AuditEntry.id)).all()
    return render_template(
        "proctor/timeline.html", attempt=attempt, events=events, snapshots=snapshots,
        actions=actions, flags=integrity.flags_for([attempt], now).get(attempt.id, []),
        remaining=attempts.remaining_seconds(attempt, now) if attempt.started_at else None,
        can_review=can_manage_exam(current_user, attempt.exam))


@bp.get("/snapshots/<int:snapshot_id>")
@login_required
def snapshot_image(snapshot_id: int):
    """A webcam picture, for the session's proctors and officers; every view is audited."""
    snapshot = db.session.get(Snapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    _proctored_attempt(snapshot.attempt_id)
    data = integrity.read_snapshot(snapshot, current_user)
    db.session.commit()
    if data is None:
        abort(410)
    return _private_jpeg(data)


@bp.get("/attempts/<int:attempt_id>/photo")
@login_required
def registered_photo(attempt_id: int):
    """The candidate's registered photo, to compare at check-in; the view is audited."""
    attempt = _proctored_attempt(attempt_id)
    if not attempt.user.photo_file:
        abort(404)
    try:
        data = personal_data.read_photo(attempt.user.photo_file)
    except FileNotFoundError:  # lost from the instance folder: say so, not a 500
        abort(404)
    audit.record("user.photo_viewed", actor=current_user, obj=attempt.user,
                 after={"attempt": attempt.id})
    db.session.commit()
    return _private_jpeg(data)


@bp.post("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None:
        abort(404)
    require(can_manage_exam(current_user, attempt.exam))
    _decide(lambda: integrity.review(attempt, current_user, request.form.get("decision", ""),
                                     request.form.get("reason", ""), utcnow()),
            _("Review decision recorded."))
    return redirect(url_for(".timeline", attempt_id=attempt_id))
