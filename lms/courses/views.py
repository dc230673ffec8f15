"""Studying: catalogue, course page, lesson reader, practice quizzes, progress, files,
credit hours."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.courses import assignments, learning, practice, storage
from lms.courses.forms import DOMAIN_LABELS, LEVEL_LABELS
from lms.courses.models import CourseStatus
from lms.errors import InvalidTransition, ValidationFailed
from lms.extensions import db, limiter
from lms.permissions import can_author_courses, require
from lms.templating import format_hours

bp = Blueprint("courses", __name__)


def _today() -> date:
    return date.today()


def _learner_view(code: str) -> learning.Outline:
    """The course as the current user may see it: published, or archived but enrolled."""
    course = learning.published_course(code)
    view = learning.outline(current_user, course)
    if course.status != CourseStatus.PUBLISHED and view.enrollment is None \
            and not can_author_courses(current_user):
        abort(404)
    return view


@bp.get("/courses")
@login_required
def catalogue():
    entries = learning.catalogue(current_user, domain=request.args.get("domain", ""),
                                 level=request.args.get("level", ""))
    return render_template("courses/catalogue.html", entries=entries, args=request.args,
                           domain_labels=DOMAIN_LABELS, level_labels=LEVEL_LABELS)


@bp.get("/courses/<code>")
@login_required
def course(code: str):
    view = _learner_view(code)
    missing = [] if view.enrollment else learning.missing_prerequisites(current_user,
                                                                        view.course)
    assigned = next((a for a in assignments.assigned_to(current_user)
                     if a.assignment.course_id == view.course.id), None)
    return render_template("courses/course.html", view=view, missing=missing,
                           assigned=assigned, today=_today(), domain_labels=DOMAIN_LABELS,
                           level_labels=LEVEL_LABELS)


@bp.post("/courses/<code>/enrol")
@login_required
def enrol(code: str):
    view = _learner_view(code)
    try:
        learning.enrol(current_user, view.course)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Complete these courses first: %(courses)s", courses=exc.params["courses"]),
              "warning")
        return redirect(url_for("courses.course", code=code))
    db.session.commit()
    flash(_("You are enrolled. Start with the first lesson."), "success")
    return redirect(url_for("courses.resume", code=code))


@bp.get("/courses/<code>/continue")
@login_required
def resume(code: str):
    view = _learner_view(code)
    if view.enrollment is None:
        return redirect(url_for("courses.course", code=code))
    return redirect(url_for("courses.lesson", code=code, uid=view.resume_uid()))


@bp.get("/courses/<code>/lessons/<uid>")
@login_required
def lesson(code: str, uid: str):
    view = _learner_view(code)
    if view.enrollment is None:
        flash(_("Enrol in the course to read its lessons."), "info")
        return redirect(url_for("courses.course", code=code))
    module, lesson_, index = view.find(uid)
    learning.open_lesson(current_user, view, uid)
    # Nothing the page shows changes with this commit: keep the loaded rows rather than
    # have the template reload the course version and decode its whole content again
    # (bench/pages.py).
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    previous, following = view.neighbours(uid)
    return render_template(
        "courses/lesson.html", view=view, module=module, lesson=lesson_, index=index,
        previous=previous, following=following, quiz_after=view.quiz_after(uid),
        attachment_url=lambda a: url_for("courses.attachment", code=code, sha256=a["sha256"]))


@bp.post("/courses/<code>/lessons/<uid>/complete")
@login_required
def complete(code: str, uid: str):
    view = _learner_view(code)
    try:
        finished = learning.complete_lesson(current_user, view, uid, today=_today())
    except ValidationFailed:
        db.session.rollback()
        return redirect(url_for("courses.course", code=code))
    db.session.commit()
    if finished:
        flash(_("Congratulations! You have completed this course and earned %(hours)s "
                "credit hours.", hours=format_hours(view.version.credit_hours)), "success")
        return redirect(url_for("courses.course", code=code))
    quiz_after = view.quiz_after(uid)
    if quiz_after and not view.quiz_status(quiz_after["uid"]).passed:
        return redirect(url_for("courses.quiz", code=code, uid=quiz_after["uid"]))
    _previous, following = view.neighbours(uid)
    target = following or next((x for x in view.lessons if not view.is_done(x["uid"])), None)
    if target is None:
        return redirect(url_for("courses.course", code=code))
    return redirect(url_for("courses.lesson", code=code, uid=target["uid"]))


# -- practice quizzes --------------------------------------------------------------


def _enrolled_view(code: str) -> learning.Outline | None:
    view = _learner_view(code)
    if view.enrollment is None:
        flash(_("Enrol in the course to take its practice quizzes."), "info")
        return None
    return view


@bp.get("/courses/<code>/modules/<uid>/quiz")
@login_required
def quiz(code: str, uid: str):
    """The module's practice quiz: the open attempt, or a new one drawn afresh."""
    view = _enrolled_view(code)
    if view is None:
        return redirect(url_for("courses.course", code=code))
    module = practice.quiz_module(view, uid)
    attempt = practice.open_attempt(current_user, view, uid)
    if attempt is None:
        try:
            attempt = practice.start_attempt(current_user, view, uid)
        except ValidationFailed:
            db.session.rollback()
            return render_template("courses/quiz_unavailable.html", view=view, module=module)
        db.session.commit()
    return render_template("courses/quiz.html", view=view, module=module, attempt=attempt,
                           items=practice.items_of(attempt), status=view.quiz_status(uid))


@bp.post("/courses/<code>/modules/<uid>/quiz/<int:attempt_id>")
@login_required
def quiz_submit(code: str, uid: str, attempt_id: int):
    view = _enrolled_view(code)
    if view is None:
        return redirect(url_for("courses.course", code=code))
    attempt = practice.get_attempt(current_user, view, uid, attempt_id)
    try:
        outcome = practice.submit(current_user, view, attempt, request.form.to_dict(flat=False),
                                  today=_today())
    except InvalidTransition:  # submitted already (another tab): the first one stands
        db.session.rollback()
    else:
        db.session.commit()
        if outcome.completed_course:
            flash(_("Congratulations! You have completed this course and earned %(hours)s "
                    "credit hours.", hours=format_hours(view.version.credit_hours)), "success")
    return redirect(url_for("courses.quiz_result", code=code, uid=uid, attempt_id=attempt_id))


@bp.get("/courses/<code>/modules/<uid>/quiz/<int:attempt_id>")
@login_required
def quiz_result(code: str, uid: str, attempt_id: int):
    """Feedback on a submitted attempt: each item's key, explanation and articles."""
    view = _enrolled_view(code)
    if view is None:
        return redirect(url_for("courses.course", code=code))
    attempt = practice.get_attempt(current_user, view, uid, attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for("courses.quiz", code=code, uid=uid))
    module = practice.attempt_module(view, attempt)
    return render_template("courses/quiz_result.html", view=view, module=module,
                           attempt=attempt, items=practice.items_of(attempt),
                           status=view.quiz_status(uid), next_step=_after_quiz(view, uid))


def _after_quiz(view: learning.Outline, module_uid: str) -> dict | None:
    """The first lesson of the next module, where studying goes on after a quiz."""
    modules = view.content["modules"]
    index = next(i for i, m in enumerate(modules) if m["uid"] == module_uid)
    following = next((m for m in modules[index + 1:] if m["lessons"]), None)
    return following["lessons"][0] if following else None


@bp.post("/courses/<code>/lessons/<uid>/heartbeat")
@login_required
@limiter.limit("30 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def heartbeat(code: str, uid: str):
    """Reading time from the lesson page's script (JSON, CSRF header)."""
    view = _learner_view(code)
    seconds = request.get_json(silent=True) or {}
    try:
        total = learning.heartbeat(current_user, view, uid, int(seconds.get("seconds", 0)))
    except (ValidationFailed, TypeError, ValueError):
        db.session.rollback()
        return jsonify(error="bad request"), 400
    db.session.commit()
    return jsonify(seconds=total)


@bp.get("/courses/<code>/files/<sha256>")
@login_required
def attachment(code: str, sha256: str):
    """A lesson attachment, for learners enrolled in the course and its authors."""
    view = _learner_view(code)
    require(view.enrollment is not None or can_author_courses(current_user))
    found = next((a for lesson in view.lessons for a in lesson["attachments"]
                  if a["sha256"] == sha256), None)
    if found is None:
        abort(404)
    return _send_stored(found["sha256"], found["content_type"], found["filename"])


@bp.get("/courses/<code>/cover")
@login_required
def cover(code: str):
    view = _learner_view(code)
    sha = view.content.get("cover_sha256")
    if not sha:
        abort(404)
    kind = storage.sniff_stored(sha)
    return _send_stored(sha, kind.content_type, f"cover{kind.extension}")


def _send_stored(sha256: str, content_type: str, filename: str):
    inline = content_type.startswith(("image/", "video/")) or content_type == "application/pdf"
    response = send_file(storage.path_for(sha256), mimetype=content_type,
                         as_attachment=not inline, download_name=filename,
                         conditional=True, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/my/credits")
@login_required
def credits():
    return render_template("courses/credits.html", summary=learning.credit_summary(current_user),
                           domain_labels=DOMAIN_LABELS)


@bp.get("/my/courses")
@login_required
def my_courses():
    return render_template("courses/my_courses.html",
                           entries=learning.my_courses(current_user),
                           assigned=assignments.assigned_to(current_user), today=_today(),
                           domain_labels=DOMAIN_LABELS)
