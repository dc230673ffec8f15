"""Setting up exams without the command line: the definition and its blueprint
(officers, administrators and trainers), publishing, sessions and accommodations
(officers and administrators).

Thin views, as in the course authoring pages: parse the form, call one
`lms.exams.authoring` service, commit once, redirect with a message. A
service's `SetupInvalid` is put back on the form, which is shown again with what
the user typed; the services raise before they write, and the session is rolled
back.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from lms.clock import utcnow
from lms.courses.author_forms import DOMAIN_LABELS
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.exams import authoring
from lms.exams.forms import (
    LAYOUT_LABELS,
    NAVIGATION_LABELS,
    NEW_EXAM_DEFAULTS,
    PROCTORING_LABELS,
    RELEASE_LABELS,
    REVIEW_LABELS,
    STATUS_LABELS,
    ExamForm,
    GroupAccommodationForm,
    MoveForm,
    NewExamForm,
    PersonAccommodationForm,
    SectionForm,
    apply_problems,
    exam_form_data,
    message,
    publish_message,
    section_form_data,
    session_form,
)
from lms.exams.models import Accommodation, Exam, ExamAttempt, ExamSession, ExamStatus
from lms.extensions import db, login_manager
from lms.permissions import (
    can_manage_exams,
    require_edit_exam_definition,
    require_edit_exam_definitions,
    require_manage_exam,
)
from lms.questions.forms import DIFFICULTY_LABELS, TYPE_LABELS
from lms.questions.models import QuestionBank

bp = Blueprint("exam_admin", __name__, url_prefix="/exam-admin")
LABELS = {"status": STATUS_LABELS, "navigation": NAVIGATION_LABELS, "layout": LAYOUT_LABELS,
          "proctoring": PROCTORING_LABELS, "release": RELEASE_LABELS, "review": REVIEW_LABELS,
          "types": TYPE_LABELS, "difficulties": DIFFICULTY_LABELS}


@bp.before_request
def _exam_editors_only():
    """Every page here: officers, administrators and trainers; others get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_edit_exam_definitions(current_user)
    return None


@bp.context_processor
def _helpers():
    return {"labels": LABELS, "can_manage": can_manage_exams(current_user),
            "describe_filter": describe_filter, "current_timezone": str(get_timezone())}


def describe_filter(data: dict) -> str:
    """A section's filter in words: which approved questions it draws."""
    flt = data.get("filter") or {}
    parts = []
    if flt.get("banks"):
        parts.append(_("banks: %(list)s", list="、".join(flt["banks"])))
    if flt.get("domains"):
        parts.append(_("subject areas: %(list)s", list="、".join(
            str(DOMAIN_LABELS.get(d, d)) for d in flt["domains"])))
    if flt.get("types"):
        parts.append(_("types: %(list)s", list="、".join(
            str(TYPE_LABELS.get(t, t)) for t in flt["types"])))
    if flt.get("difficulties"):
        parts.append(_("difficulty: %(list)s", list="、".join(
            str(d) for d in flt["difficulties"])))
    if flt.get("tags"):
        parts.append(_("knowledge points: %(list)s", list="、".join(flt["tags"])))
    if flt.get("category"):
        parts.append(_("category: %(path)s", path=flt["category"]))
    return "; ".join(parts) if parts else _("any approved question")


def _actor():
    return current_user._get_current_object()


def _editable_exam(exam_id: int) -> Exam:
    """The exam, if the user may edit its definition (exam editors whose scope holds it)."""
    exam = authoring.get_exam(exam_id)
    require_edit_exam_definition(current_user, exam)
    return exam


def _exam_url(exam: Exam, anchor: str | None = None) -> str:
    return url_for("exam_admin.exam", exam_id=exam.id, _anchor=anchor)


# -- exams ----------------------------------------------------------------------------


@bp.get("/")
def exams():
    return render_template("exam_admin/exams.html", rows=authoring.exam_rows(current_user))


def _owner_choices(form: ExamForm) -> None:
    platform, organisations = authoring.owner_choices(current_user)
    form.organisation.choices = ([SelectChoice("", _("The whole platform"))] if platform
                                 else []) + [SelectChoice(str(o.id), o.name)
                                             for o in organisations]


def _owner(form: ExamForm) -> int | None:
    """The chosen organisation's id (the field only accepts the choices in scope)."""
    return int(form.organisation.data) if form.organisation.data else None


def _course_choices(form: ExamForm, exam: Exam | None = None) -> None:
    courses = dict(authoring.published_courses())
    for code in (exam.required_courses if exam is not None else None) or []:
        courses.setdefault(code, _("(no longer published)"))
    form.required_courses.choices = [SelectChoice(code, f"{code} · {title}")
                                     for code, title in courses.items()]


@bp.route("/exams/new", methods=["GET", "POST"])
def new_exam():
    form = NewExamForm(data=NEW_EXAM_DEFAULTS)
    _course_choices(form)
    _owner_choices(form)
    if form.validate_on_submit():
        try:
            exam = authoring.create_exam(actor=_actor(), code=form.code.data,
                                         organisation_id=_owner(form), **form.values())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Exam %(code)s created as a draft. Now add its sections.", code=exam.code),
                  "success")
            return redirect(_exam_url(exam, "sections"))
    return render_template("exam_admin/new_exam.html", form=form)


def _exam_page(exam: Exam, form: ExamForm | None = None):
    if form is None:
        form = ExamForm(formdata=None, data=exam_form_data(exam))
    _course_choices(form, exam)
    _owner_choices(form)
    reports = authoring.section_reports(exam)
    problems = authoring.publication_problems(exam, reports) if exam.status == \
        ExamStatus.DRAFT else []
    return render_template(
        "exam_admin/exam.html", exam=exam, form=form, reports=reports,
        order=authoring.section_order(exam), locked=authoring.sections_locked(exam),
        problems=[publish_message(code, params) for code, params in problems])


@bp.route("/exams/<int:exam_id>", methods=["GET", "POST"])
def exam(exam_id: int):
    exam = _editable_exam(exam_id)
    form = ExamForm(data=exam_form_data(exam))
    _course_choices(form, exam)
    _owner_choices(form)
    if form.validate_on_submit():
        try:
            authoring.update_exam(exam, actor=_actor(), organisation_id=_owner(form),
                                  **form.values())
        except InvalidTransition:
            db.session.rollback()
            flash(_("An archived exam cannot be changed."), "warning")
            return redirect(_exam_url(exam))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Exam settings saved."), "success")
            return redirect(_exam_url(exam, "settings"))
    return _exam_page(exam, form)


# -- sections -------------------------------------------------------------------------


def _bank_choices(form: SectionForm) -> None:
    form.banks.choices = [SelectChoice(code, f"{code} · {title}") for code, title in
                          db.session.execute(sa.select(QuestionBank.code, QuestionBank.title)
                                             .order_by(QuestionBank.code))]


def _blueprint_refused(exam: Exam, exc: InvalidTransition):
    db.session.rollback()
    if str(exc) == "sections_locked":
        flash(_("An attempt at this exam has started, so its sections can no longer change. "
                "Create a new exam for a new blueprint."), "warning")
    elif str(exc) == "last_section":
        flash(_("A published exam keeps at least one section."), "warning")
    else:
        flash(_("An archived exam cannot be changed."), "warning")
    return redirect(_exam_url(exam, "sections"))


def _section_page(exam: Exam, key: str | None, form: SectionForm):
    report = None
    if key is not None:
        report = next((r for r in authoring.section_reports(exam)
                       if r.data.get("key") == key), None)
    return render_template("exam_admin/section.html", exam=exam, key=key, form=form,
                           report=report)


@bp.route("/exams/<int:exam_id>/sections/new", methods=["GET", "POST"])
@bp.route("/exams/<int:exam_id>/sections/<key>", methods=["GET", "POST"])
def section(exam_id: int, key: str | None = None):
    exam = _editable_exam(exam_id)
    data = authoring.section(exam, key) if key is not None else {"count": 10, "points": 1}
    form = SectionForm(data=section_form_data(data))
    _bank_choices(form)
    if form.validate_on_submit():
        try:
            saved = authoring.save_section(exam, actor=_actor(), key=key, **form.values())
        except InvalidTransition as exc:
            return _blueprint_refused(exam, exc)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Section “%(title)s” saved.", title=saved["title"]), "success")
            return redirect(_exam_url(exam, f"section-{saved['key']}"))
    return _section_page(exam, key, form)


@bp.post("/exams/<int:exam_id>/sections/<key>/delete")
def delete_section(exam_id: int, key: str):
    exam = _editable_exam(exam_id)
    try:
        removed = authoring.remove_section(exam, key, actor=_actor())
    except InvalidTransition as exc:
        return _blueprint_refused(exam, exc)
    db.session.commit()
    flash(_("Section “%(title)s” removed.", title=removed.get("title", key)), "success")
    return redirect(_exam_url(exam, "sections"))


@bp.post("/exams/<int:exam_id>/sections/<key>/move")
def move_section(exam_id: int, key: str):
    exam = _editable_exam(exam_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        raise NotFound()
    try:
        authoring.move_section(exam, key, -1 if direction == "up" else 1, actor=_actor(),
                               seen_order=request.form.get("order", ""))
    except authoring.StaleOrder:
        db.session.rollback()
        flash(_("The sections were changed meanwhile, in another window or by someone else. "
                "Nothing was moved: the page below is up to date, try again."), "warning")
        return redirect(_exam_url(exam, "sections"))
    except InvalidTransition as exc:
        return _blueprint_refused(exam, exc)
    db.session.commit()
    return redirect(_exam_url(exam, f"section-{key}"))


# -- publishing -----------------------------------------------------------------------


@bp.post("/exams/<int:exam_id>/publish")
def publish(exam_id: int):
    exam = _manager_exam(exam_id)
    try:
        authoring.publish(exam, actor=_actor())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a draft exam can be published."), "warning")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("The exam was not published: %(reason)s",
                reason=publish_message(exc.reason, exc.params)), "danger")
    else:
        db.session.commit()
        flash(_("The exam is published. Schedule its sessions so candidates can book."),
              "success")
    return redirect(_exam_url(exam, "publish"))


@bp.post("/exams/<int:exam_id>/archive")
def archive(exam_id: int):
    exam = _manager_exam(exam_id)
    try:
        authoring.archive(exam, actor=_actor())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a published exam can be archived."), "warning")
    else:
        db.session.commit()
        flash(_("The exam is archived: candidates no longer see it; attempts keep their "
                "records."), "success")
    return redirect(_exam_url(exam, "publish"))


# -- sessions -------------------------------------------------------------------------


def _manager_exam(exam_id: int) -> Exam:
    """The exam, if the user manages it (officers and admins whose scope holds it)."""
    exam = authoring.get_exam(exam_id)
    require_manage_exam(current_user, exam)
    return exam


@bp.get("/exams/<int:exam_id>/sessions")
def sessions(exam_id: int):
    exam = _manager_exam(exam_id)
    return render_template("exam_admin/sessions.html", exam=exam,
                           rows=authoring.session_rows(exam), now=utcnow())


def _proctor_choices(form, session: ExamSession | None) -> None:
    form.proctors.choices = [
        SelectChoice(str(p.id), f"{p.real_name} · {p.email}")
        for p in authoring.proctor_choices(current_user, session)]


def _save_session(exam: Exam, session: ExamSession | None):
    form = session_form(session, exam=exam)
    _proctor_choices(form, session)
    if form.validate_on_submit():
        try:
            if session is None:
                session = authoring.create_session(exam, actor=_actor(), **form.values())
            else:
                authoring.update_session(session, actor=_actor(), **form.values())
        except InvalidTransition:
            db.session.rollback()
            flash(_("An archived exam cannot be changed."), "warning")
            return redirect(url_for(".sessions", exam_id=exam.id))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Session “%(title)s” saved. Its access code is %(code)s.",
                    title=session.title, code=session.access_code), "success")
            return redirect(url_for(".sessions", exam_id=exam.id, _anchor=f"session-{session.id}"))
    return render_template("exam_admin/session.html", exam=exam, session=session, form=form)


@bp.route("/exams/<int:exam_id>/sessions/new", methods=["GET", "POST"])
def new_session(exam_id: int):
    return _save_session(_manager_exam(exam_id), None)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def edit_session(session_id: int):
    session = authoring.get_session(session_id)
    require_manage_exam(current_user, session.exam)
    return _save_session(session.exam, session)


@bp.post("/sessions/<int:session_id>/rotate-code")
def rotate_code(session_id: int):
    session = authoring.get_session(session_id)
    require_manage_exam(current_user, session.exam)
    code = authoring.rotate_code(session, actor=_actor())
    db.session.commit()
    flash(_("New access code: %(code)s", code=code), "success")
    return redirect(url_for(".sessions", exam_id=session.exam_id, _anchor=f"session-{session.id}"))


# -- accommodations ---------------------------------------------------------------------


def _accommodations_page(exam: Exam, *, person_form=None, group_form=None, status=200):
    query = request.args.get("q", "").strip()
    chosen = None
    if request.args.get("user", "").isdigit():
        try:
            chosen = authoring.get_person(current_user, int(request.args["user"]))
        except NotFound:
            chosen = None
    if person_form is None:
        person_form = PersonAccommodationForm(formdata=None,
                                              data={"user_id": chosen.id if chosen else ""})
    elif chosen is None and (person_form.user_id.data or "").isdigit():
        try:
            chosen = authoring.get_person(current_user, int(person_form.user_id.data))
        except NotFound:
            chosen = None
    if group_form is None:
        group_form = GroupAccommodationForm(formdata=None, prefix="group")
    group_form.organisation.choices = [SelectChoice(str(o.id), o.name)
                                       for o in authoring.group_choices(current_user)]
    now = utcnow()
    alternatives = [s for s in authoring.session_rows(exam) if s.session.ends_at > now]
    bookings = authoring.booked_rows(current_user, exam)
    move_forms = {}
    for attempt, _user in bookings:
        form = MoveForm(formdata=None, prefix=f"move-{attempt.id}")
        form.session.choices = [
            SelectChoice(str(r.session.id), f"{r.session.title} ({r.booked}/{r.session.capacity})")
            for r in alternatives if r.session.id != attempt.session_id]
        move_forms[attempt.id] = form
    return render_template(
        "exam_admin/accommodations.html", exam=exam, query=query,
        people=authoring.find_people(current_user, query), chosen=chosen,
        person_form=person_form, group_form=group_form,
        rows=authoring.accommodation_rows(current_user, exam), bookings=bookings,
        sessions={r.session.id: r.session for r in alternatives}, move_forms=move_forms,
    ), status


@bp.get("/exams/<int:exam_id>/accommodations")
def accommodations(exam_id: int):
    return _accommodations_page(_manager_exam(exam_id))


def _accommodations_url(exam: Exam, anchor: str | None = None) -> str:
    return url_for(".accommodations", exam_id=exam.id, _anchor=anchor)


@bp.post("/exams/<int:exam_id>/accommodations/person")
def grant_person(exam_id: int):
    exam = _manager_exam(exam_id)
    form = PersonAccommodationForm()
    if form.validate_on_submit() and form.user_id.data.isdigit():
        person = authoring.get_person(current_user, int(form.user_id.data))
        try:
            authoring.grant_to_person(_actor(), person, exam if form.scope.data != "all"
                                      else None, **form.values())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Extra time granted to %(name)s.", name=person.real_name), "success")
            return redirect(_accommodations_url(exam, "granted"))
    elif not form.user_id.data:
        form.form_errors.append(_("Search for the person first, then choose them."))
    return _accommodations_page(exam, person_form=form)


@bp.post("/exams/<int:exam_id>/accommodations/group")
def grant_group(exam_id: int):
    exam = _manager_exam(exam_id)
    form = GroupAccommodationForm(prefix="group")
    if form.validate_on_submit():
        organisation = next((o for o in authoring.group_choices(current_user)
                             if str(o.id) == form.organisation.data), None)
        if organisation is None:
            form.organisation.errors = [*form.organisation.errors,
                                        _("Choose an organisation from the list.")]
            return _accommodations_page(exam, group_form=form)
        try:
            count = authoring.grant_to_group(_actor(), organisation, exam if form.scope.data
                                             != "all" else None, **form.values())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_problems(form, exc)
        else:
            db.session.commit()
            flash(_("Extra time granted to %(count)s candidates of %(name)s and the "
                    "organisations below it.", count=count, name=organisation.name), "success")
            return redirect(_accommodations_url(exam, "granted"))
    return _accommodations_page(exam, group_form=form)


@bp.post("/exams/<int:exam_id>/accommodations/<int:accommodation_id>/revoke")
def revoke(exam_id: int, accommodation_id: int):
    exam = _manager_exam(exam_id)
    row = db.session.get(Accommodation, accommodation_id)
    if row is None:
        raise NotFound()
    authoring.revoke(_actor(), row)
    db.session.commit()
    flash(_("The extra time was withdrawn."), "success")
    return redirect(_accommodations_url(exam, "granted"))


@bp.post("/exams/<int:exam_id>/bookings/<int:attempt_id>/move")
def move_booking(exam_id: int, attempt_id: int):
    exam = _manager_exam(exam_id)
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None or attempt.exam_id != exam.id:
        raise NotFound()
    form = MoveForm(prefix=f"move-{attempt.id}")
    target = (db.session.get(ExamSession, int(form.session.data))
              if form.validate_on_submit() and (form.session.data or "").isdigit() else None)
    if target is None or target.exam_id != exam.id:
        flash(_("Choose another session of this exam."), "warning")
        return redirect(_accommodations_url(exam, "bookings"))
    try:
        authoring.move_booking(_actor(), attempt, target)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(message(exc.field, exc.reason, exc.params), "warning")
    else:
        db.session.commit()
        flash(_("The booking was moved to “%(title)s”.", title=target.title), "success")
    return redirect(_accommodations_url(exam, "bookings"))
