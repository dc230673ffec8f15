"""The candidate's side: exams and sessions, booking, check-in, the exam page,
autosave and submit. Every attempt URL is the candidate's own (404 otherwise)."""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.accounts import auth
from lms.accounts.consent import CONSENTS
from lms.accounts.models import User
from lms.accounts.services import record_consent
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import eligibility
from lms.domain.attempt_states import AttemptState, IllegalTransition
from lms.exams import attempts, delivery, integrity, messages, registration
from lms.exams.models import Exam, ExamAttempt, ExamSession, ExamStatus
from lms.extensions import db, limiter, login_manager

bp = Blueprint("exams", __name__)
S = AttemptState
LIVE = (S.IN_PROGRESS, S.PAUSED)


def _device_cookie(attempt_id: int) -> str:
    return f"exam_device_{attempt_id}"


def _own_attempt(attempt_id: int, *, with_paper: bool = False) -> ExamAttempt:
    query = sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id)
    query = query.options(joinedload(ExamAttempt.exam), joinedload(ExamAttempt.session))
    if not with_paper:
        query = query.options(sa.orm.defer(ExamAttempt.paper))
    attempt = db.session.scalar(query)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.get("/exams")
@login_required
def index():
    now = utcnow()
    exams = db.session.scalars(sa.select(Exam).where(Exam.status == ExamStatus.PUBLISHED)
                               .order_by(Exam.title)).all()
    mine = db.session.scalars(
        sa.select(ExamAttempt).where(ExamAttempt.user_id == current_user.id)
        .options(joinedload(ExamAttempt.exam), joinedload(ExamAttempt.session),
                 sa.orm.defer(ExamAttempt.paper))
        .order_by(ExamAttempt.registered_at.desc())).all()
    return render_template("exams/index.html", exams=exams, attempts=mine, now=now)


@bp.get("/exams/<code>")
@login_required
def exam(code: str):
    exam = db.session.scalar(sa.select(Exam).where(Exam.code == code,
                                                   Exam.status == ExamStatus.PUBLISHED))
    if exam is None:
        abort(404)
    now = utcnow()
    sessions = db.session.scalars(sa.select(ExamSession).where(
        ExamSession.exam_id == exam.id, ExamSession.ends_at > now)
        .order_by(ExamSession.starts_at)).all()
    candidate = registration.candidate_facts(current_user, exam)
    rows = [(s, registration.session_facts(s)) for s in sessions]
    reasons = {s.id: eligibility.session_reasons(candidate, facts, now) for s, facts in rows}
    return render_template("exams/exam.html", exam=exam, sessions=rows, reasons=reasons,
                           exam_reasons=eligibility.exam_reasons(candidate, now),
                           describe=messages.reason_text, consent=CONSENTS["proctoring"],
                           now=now)


@bp.post("/exams/sessions/<int:session_id>/book")
@login_required
@limiter.limit("20 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def book(session_id: int):
    session = db.session.get(ExamSession, session_id)
    if session is None or session.exam.status != ExamStatus.PUBLISHED:
        abort(404)
    if request.form.get("consent_proctoring") and not registration.has_consent(
            current_user, "proctoring"):
        record_consent(current_user, "proctoring")
    try:
        attempt = registration.book(current_user, session, utcnow())
    except registration.NotEligible as refused:
        db.session.commit()  # a consent just given stands even if the booking does not
        for reason in refused.reasons:
            flash(messages.reason_text(reason), "warning")
        return redirect(url_for(".exam", code=session.exam.code))
    db.session.commit()
    flash(_("You are registered for %(session)s.", session=session.title), "success")
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.post("/exams/attempts/<int:attempt_id>/cancel")
@login_required
def cancel(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    try:
        attempts.cancel(attempt, current_user)
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        flash(_("This booking can no longer be cancelled."), "warning")
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    db.session.commit()
    flash(_("Your booking is cancelled."), "success")
    return redirect(url_for(".index"))


@bp.get("/exams/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """Where the candidate is: check in, start, the exam itself, or its end."""
    attempt = _own_attempt(attempt_id, with_paper=True)
    now = utcnow()
    if attempts.check_deadline(attempt, now):
        attempt = _own_attempt(attempt_id)
    if attempt.state in LIVE:
        token = request.cookies.get(_device_cookie(attempt.id))
        claimed = None
        if not attempts.holds_device(attempt, token):
            claimed = attempts.claim_device(attempt)
            if claimed is None:
                _log_other_device(attempt)
                return render_template("exams/other_device.html", attempt=attempt), 409
            db.session.commit()
            attempt = _own_attempt(attempt_id, with_paper=True)
        slots = delivery.paper_slots(attempt)
        delivery.label_slots(slots, _("Question %(number)s", number="%(number)s"),
                             _("%(points)s points", points="%(points)s"))
        other_inputs = get_template_attribute("courses/_quiz.html", "item_inputs")
        response = render_template(
            "exams/take.html", attempt=attempt, exam=attempt.exam,
            navigator=delivery.navigator_html(slots),
            questions=delivery.questions_html(
                slots, choose_all=_("choose all that apply"), flag=_("Mark for review"),
                other_inputs=other_inputs),
            answers=delivery.saved_answers(attempt.id),
            remaining=attempts.remaining_seconds(attempt, now))
        response = _no_store(response)
        if claimed:
            _set_device_cookie(response, attempt.id, claimed)
        return response
    waiting = attempt.state == S.REGISTERED and attempt.checked_in_at is not None
    return render_template("exams/attempt.html", attempt=attempt, now=now,
                           exam=attempt.exam, session=attempt.session,
                           check_in_camera=waiting and registration.has_consent(
                               current_user, "proctoring"))


def _log_other_device(attempt: ExamAttempt) -> None:
    """A device that does not hold the attempt tried to use it (RELIABILITY.md L7)."""
    db.session.rollback()
    audit.record("exam_attempt.device_refused", actor=current_user, obj=attempt,
                 after={"user_agent": request.user_agent.string[:200]})
    db.session.commit()


def _no_store(body):
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _set_device_cookie(response, attempt_id: int, token: str) -> None:
    response.set_cookie(_device_cookie(attempt_id), token, httponly=True, samesite="Strict",
                        secure=current_app.config["SESSION_COOKIE_SECURE"],
                        path=f"/exams/attempts/{attempt_id}")


@bp.post("/exams/attempts/<int:attempt_id>/check-in")
@login_required
@limiter.limit("10 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def check_in(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    try:
        state = attempts.check_in(attempt, request.form.get("code", ""), utcnow())
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        flash(messages.refusal_text(refused), "warning")
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    db.session.commit()
    if state == S.REGISTERED:
        flash(_("Checked in. Please wait for the proctor to admit you."), "info")
    return redirect(url_for(".attempt", attempt_id=attempt_id))


@bp.post("/exams/attempts/<int:attempt_id>/check-in/picture")
@login_required
@limiter.limit("10 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def check_in_picture(attempt_id: int):
    """A live webcam picture (the JPEG as the body) from the check-in waiting page."""
    attempt = _own_attempt(attempt_id)
    try:
        integrity.store_check_in_picture(attempt, request.get_data(cache=False), utcnow())
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        return jsonify(error=refused.code), 400 if refused.code == "snapshot" else 409
    db.session.commit()
    return jsonify(stored=True), 201


@bp.post("/exams/attempts/<int:attempt_id>/start")
@login_required
def start(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    try:
        token = attempts.start(attempt, utcnow(), ip=request.remote_addr,
                               agent=request.user_agent.string)
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        flash(messages.refusal_text(refused), "warning")
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    except (IllegalTransition, attempts.AttemptConflict):
        db.session.rollback()
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    db.session.commit()
    response = redirect(url_for(".attempt", attempt_id=attempt_id))
    _set_device_cookie(response, attempt_id, token)
    return response


def _live_attempt_for_json(attempt_id: int, *, lock: bool = False) -> ExamAttempt:
    """The attempt for a script request, loaded in one statement (no paper) that also
    checks the login: the session's user, active and of the current session generation
    (what `auth.load_user` checks), so the hot autosave needs no user query of its own.

    ``lock``: ``FOR UPDATE`` (PostgreSQL), held until the request commits, so an
    autosave and a submit of the same attempt never interleave (no answer written
    after the hand-in); on SQLite see `attempts.hold` and `attempts.save_answers`.
    """
    identity = auth.session_identity()
    if identity is None:
        abort(login_manager.unauthorized())
    attempt = db.session.scalar(_attempt_of_login(lock), {
        "attempt_id": attempt_id, "user_id": identity[0], "generation": identity[1]})
    if attempt is None:  # not the owner, or a login that has ended: the slow path tells
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(404)
    return attempt


@lru_cache(maxsize=2)
def _attempt_of_login(lock: bool) -> sa.Select:
    """Built once per process (building it cost more than running it)."""
    # the owner in the WHERE clause: nobody can hold a lock on another's attempt
    query = (sa.select(ExamAttempt)
             .join(User, User.id == ExamAttempt.user_id)
             .where(ExamAttempt.id == sa.bindparam("attempt_id"),
                    User.id == sa.bindparam("user_id"),
                    User.session_generation == sa.bindparam("generation"), User.active)
             .options(sa.orm.defer(ExamAttempt.paper)))
    return query.with_for_update(of=ExamAttempt) if lock else query


def _state_json(attempt: ExamAttempt, now, **extra):
    """``ended``: how a finished attempt ended (submitted, timed_out, terminated), which
    stays true when marking moves its ``state`` on to graded or released."""
    return {"state": attempt.state.value, "ended": attempt.ended_as,
            "remaining": attempts.remaining_seconds(attempt, now)
            if attempt.started_at else None, **extra}


@bp.post("/exams/attempts/<int:attempt_id>/answers")
def save(attempt_id: int):
    """Autosave from the exam page: ``{"saves": [{"slot", "seq", "response"}]}``.

    Two statements in all (the attempt with the login check, one upsert) and one
    commit; the session cookie is not re-signed (the status poll renews it).
    Every save in an accepted request is acknowledged, including those the
    server already had newer answers for: the client may forget them.
    """
    now = utcnow()
    auth.keep_session_cookie()
    attempt = _live_attempt_for_json(attempt_id, lock=True)
    if attempts.check_deadline(attempt, now):
        return jsonify(_state_json(attempt, now, error="time_up")), 409
    body = request.get_json(silent=True)
    try:
        saves = attempts.parse_saves((body or {}).get("saves") if isinstance(body, dict)
                                     else None, attempt.item_count)
        stale = attempts.save_answers(attempt, request.cookies.get(_device_cookie(attempt_id)),
                                      saves, now)
    except attempts.BadSave as bad:
        db.session.rollback()
        return jsonify(error="bad_save", index=bad.index, reason=bad.code), 400
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        if refused.code == "other_device":
            _log_other_device(attempt)
        return jsonify(_state_json(attempt, now, error=refused.code)), 409
    remaining = attempts.remaining_seconds(attempt, now)
    db.session.commit()
    # ``stale``: saves another tab had overtaken; the page says so instead of
    # letting the candidate believe that answer is the one kept (RELIABILITY.md L6)
    return jsonify(state="in_progress", remaining=remaining,
                   acked=[{"slot": s.slot, "seq": s.sequence} for s in saves],
                   stale=[{"slot": s.slot, "seq": s.seq, "current": s.current}
                          for s in stale if not s.closed],
                   closed=[{"slot": s.slot, "seq": s.seq} for s in stale if s.closed])


@bp.get("/exams/attempts/<int:attempt_id>/status")
def status(attempt_id: int):
    """The server's clock and state, and the proctor's warnings after ``since``, polled by
    the page (pause, resume, extensions, warnings)."""
    now = utcnow()
    attempt = _live_attempt_for_json(attempt_id)
    attempts.check_deadline(attempt, now)
    since = request.args.get("since", 0, type=int)
    return jsonify(_state_json(attempt, now,
                               messages=integrity.messages_after(attempt.id, since)))


def _own_device_attempt(attempt_id: int) -> ExamAttempt:
    """The candidate's running attempt, from the device that holds it (409 otherwise)."""
    attempt = _live_attempt_for_json(attempt_id)
    if attempt.state not in LIVE or not attempts.holds_device(
            attempt, request.cookies.get(_device_cookie(attempt_id))):
        abort(409)
    return attempt


@bp.post("/exams/attempts/<int:attempt_id>/events")
@login_required
@limiter.limit("30 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def events(attempt_id: int):
    """Integrity events from the page: ``{"events": [{"kind", "at"}]}`` (batched)."""
    attempt = _own_device_attempt(attempt_id)
    body = request.get_json(silent=True)
    try:
        stored = integrity.record_events(
            attempt, body.get("events") if isinstance(body, dict) else None, utcnow(),
            ip=request.remote_addr, agent=request.user_agent.string)
    except integrity.BadEvents as bad:
        return jsonify(error="bad_events", index=bad.index), 400
    db.session.commit()
    return jsonify(stored=stored)


@bp.post("/exams/attempts/<int:attempt_id>/snapshots")
@login_required
@limiter.limit("10 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def snapshot(attempt_id: int):
    """A webcam picture (the JPEG as the request body)."""
    attempt = db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id)
                                .options(joinedload(ExamAttempt.exam),
                                         sa.orm.defer(ExamAttempt.paper)))
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    if not attempts.holds_device(attempt, request.cookies.get(_device_cookie(attempt_id))):
        abort(409)
    try:
        integrity.store_snapshot(attempt, request.get_data(cache=False), utcnow())
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        return jsonify(error=refused.code), 409 if refused.code == "finished" else 400
    db.session.commit()
    return jsonify(stored=True), 201


@bp.post("/exams/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    """Hand in: from the script (JSON with the last saves) or a plain form post."""
    now = utcnow()
    attempt = _live_attempt_for_json(attempt_id, lock=True)
    attempts.hold(attempt)
    token = request.cookies.get(_device_cookie(attempt_id))
    if request.is_json:
        body = request.get_json(silent=True)
        raw = body.get("saves", []) if isinstance(body, dict) else None
    else:
        grouped = delivery.responses_from_form(request.form.to_dict(flat=False),
                                               attempt.item_count)
        raw = [{"slot": slot, "seq": attempts.FORM_SEQUENCE, "response": fields}
               for slot, fields in grouped.items()]
    try:
        saves = attempts.parse_saves(raw, attempt.item_count)
        attempts.submit(attempt, token, saves, now)
    except attempts.BadSave as bad:
        db.session.rollback()
        return jsonify(error="bad_save", index=bad.index, reason=bad.code), 400
    except attempts.AttemptRefused as refused:
        db.session.rollback()
        if request.is_json:
            return jsonify(_state_json(attempt, now, error=refused.code)), 409
        flash(messages.refusal_text(refused), "warning")
        return redirect(url_for(".attempt", attempt_id=attempt_id))
    db.session.commit()
    if request.is_json:
        return jsonify(state=attempt.state.value, ended=attempt.ended_as,
                       next=url_for(".attempt", attempt_id=attempt_id))
    return redirect(url_for(".attempt", attempt_id=attempt_id))
