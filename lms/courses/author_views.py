"""The trainer's authoring pages: course drafts, their outline, lessons,
attachments and publishing (trainers and administrators only).

Thin views, as elsewhere: parse the form, call one `lms.courses.authoring`
service, commit once, redirect with a message. A service's `ValidationFailed`
is put back on the form, which is shown again with what the author typed; the
services raise before they write anything, and the session is rolled back.
"""

from __future__ import annotations

import sqlalchemy as sa
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
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from lms.courses import authoring, practice, storage
from lms.courses.author_forms import (
    DOMAIN_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    AttachmentForm,
    CourseSettingsForm,
    CoverForm,
    LessonForm,
    NewCourseForm,
    PrerequisitesForm,
    QuizForm,
    TitleForm,
    apply_error,
    problem_message,
)
from lms.courses.models import Attachment, Course, CourseVersion, Lesson, Module
from lms.domain.files import ALLOWED, MB, MP4, PDF, PNG, sniff
from lms.domain.statutes import format_statutes
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db, login_manager
from lms.permissions import can_author_courses, require_author_courses
from lms.questions.models import QuestionBank

bp = Blueprint("author", __name__, url_prefix="/author")

#: the attachment form may carry the largest allowed file (a 100 MB video),
#: more than the site-wide MAX_CONTENT_LENGTH; 1 MB more for the form around it
ATTACHMENT_REQUEST_MAX = max(kind.max_bytes for kind in ALLOWED) + MB
#: what the upload forms say about sizes (the limits of lms.domain.files)
LIMITS = {"pdf": PDF.max_bytes // MB, "image": PNG.max_bytes // MB, "video": MP4.max_bytes // MB}


@bp.url_value_preprocessor
def _allow_large_attachments(endpoint, _values):
    """Raise the body limit for the attachment upload, for authors only.

    URL value preprocessors run before the app's ``before_request`` handlers,
    so the limit is in place before CSRFProtect reads the form.
    """
    if endpoint == "author.upload_attachment" and can_author_courses(current_user):
        request.max_content_length = ATTACHMENT_REQUEST_MAX


@bp.before_request
def _authors_only():
    """Every page here: trainers and administrators; anyone else gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_author_courses(current_user)
    return None


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound()
    return found


def _course_with_outline(course_id: int) -> Course:
    """The course with its modules, lessons and attachments in three more queries."""
    course = db.session.get(Course, course_id, options=[
        selectinload(Course.modules).selectinload(Module.lessons)
        .selectinload(Lesson.attachments)])
    if course is None:
        raise NotFound()
    return course


def _course_url(course: Course, anchor: str | None = None) -> str:
    return url_for("author.course", course_id=course.id, _anchor=anchor)


def _lesson_url(lesson: Lesson, anchor: str | None = None) -> str:
    return url_for("author.lesson", lesson_id=lesson.id, _anchor=anchor)


def _actor():
    return current_user._get_current_object()


# -- courses ----------------------------------------------------------------


@bp.get("/courses")
def courses():
    rows = db.session.execute(
        sa.select(Course, CourseVersion.number)
        .outerjoin(CourseVersion, CourseVersion.id == Course.published_version_id)
        .order_by(Course.code)).all()
    return render_template("author/courses.html", rows=rows, domain_labels=DOMAIN_LABELS,
                           level_labels=LEVEL_LABELS, status_labels=STATUS_LABELS)


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = NewCourseForm(data={"credit_hours": 1})
    if form.validate_on_submit():
        try:
            course = authoring.create_course(
                code=form.code.data, actor=_actor(), title=form.title.data,
                domain=form.domain.data, level=form.level.data, summary=form.summary.data,
                credit_hours=form.credit_hours.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Course %(code)s created. Add its modules and lessons below.",
                    code=course.code), "success")
            return redirect(_course_url(course))
    return render_template("author/new_course.html", form=form)


def _settings_data(course: Course) -> dict:
    return {"title": course.title, "domain": course.domain.value, "level": course.level.value,
            "summary": course.summary, "credit_hours": course.credit_hours}


def _quiz_data(module: Module, banks: dict[int, str]) -> dict:
    if module.quiz_bank_id is None:
        return {"count": 5, "pass_percent": 60}
    return {"bank": banks.get(module.quiz_bank_id), "tags": "、".join(module.quiz_tags),
            "count": module.quiz_count, "pass_percent": module.quiz_pass_percent}


def _quiz_forms(course: Course, bound: tuple[str, QuizForm] | None):
    """Each module's quiz form, and the knowledge points of the bank it names (or of the
    only bank there is) so the author can see what to type: one query per bank shown."""
    banks = db.session.execute(sa.select(QuestionBank.id, QuestionBank.code, QuestionBank.title)
                               .order_by(QuestionBank.code)).all()
    codes = {bank_id: code for bank_id, code, _title in banks}
    ids = {code: bank_id for bank_id, code, _title in banks}
    forms, hints, counted = {}, {}, {}
    for module in course.modules:
        prefix = f"quiz-{module.id}"
        form = bound[1] if bound is not None and bound[0] == prefix else QuizForm(
            formdata=None, prefix=prefix, data=_quiz_data(module, codes))
        form.bank.choices = [SelectChoice(code, f"{code} · {title}") for _i, code, title in banks]
        forms[module.id] = form
        bank_id = ids.get(form.bank.data) or (banks[0][0] if len(banks) == 1 else None)
        if bank_id is not None:
            if bank_id not in counted:
                counted[bank_id] = practice.tag_counts(bank_id)
            hints[module.id] = (codes[bank_id], counted[bank_id])
    return forms, hints, codes


def _course_page(course: Course, *, settings_form=None, cover_form=None,
                 prerequisites_form=None, bound: tuple[str, TitleForm] | None = None,
                 quiz: tuple[str, QuizForm] | None = None):
    """The course page; a form that failed is passed in to show its errors and input.

    ``bound`` is a failed outline form (new module, rename, new lesson) with
    its prefix, which tells which of the page's title forms it is; ``quiz`` a
    failed module quiz form likewise.
    """
    others = db.session.execute(sa.select(Course.code, Course.title)
                                .where(Course.id != course.id).order_by(Course.code)).all()
    if prerequisites_form is None:
        prerequisites_form = PrerequisitesForm(
            formdata=None, data={"prerequisites": [c.code for c in course.prerequisites]})
    prerequisites_form.prerequisites.choices = [SelectChoice(code, f"{code} · {title}")
                                                for code, title in others]

    def title_form(prefix: str, title: str = "") -> TitleForm:
        if bound is not None and bound[0] == prefix:
            return bound[1]
        return TitleForm(formdata=None, prefix=prefix, data={"title": title})

    latest = course.published_version.number if course.published_version else 0
    quiz_forms, quiz_hints, bank_codes = _quiz_forms(course, quiz)
    return render_template(
        "author/course.html", course=course, latest=latest,
        settings_form=settings_form if settings_form is not None else CourseSettingsForm(
            formdata=None, data=_settings_data(course)),
        cover_form=cover_form if cover_form is not None else CoverForm(formdata=None),
        prerequisites_form=prerequisites_form,
        new_module_form=title_form("new-module"),
        rename_forms={m.id: title_form(f"rename-{m.id}", m.title) for m in course.modules},
        lesson_forms={m.id: title_form(f"lesson-{m.id}") for m in course.modules},
        quiz_forms=quiz_forms, quiz_hints=quiz_hints, bank_codes=bank_codes,
        problems=[problem_message(code, params)
                  for code, params in authoring.publication_problems(course)],
        status_labels=STATUS_LABELS, limits=LIMITS)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
def course(course_id: int):
    course = _course_with_outline(course_id)
    form = CourseSettingsForm(data=_settings_data(course))
    if form.validate_on_submit():
        try:
            authoring.update_course(
                course, actor=_actor(), title=form.title.data, domain=form.domain.data,
                level=form.level.data, summary=form.summary.data,
                credit_hours=form.credit_hours.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Course settings saved."), "success")
            return redirect(_course_url(course))
    return _course_page(course, settings_form=form)


@bp.post("/courses/<int:course_id>/cover")
def upload_cover(course_id: int):
    course = _course_with_outline(course_id)
    form = CoverForm()
    if form.validate_on_submit():
        try:
            authoring.set_cover(course, form.cover.data.read())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Cover image saved."), "success")
            return redirect(_course_url(course, "cover"))
    return _course_page(course, cover_form=form)


@bp.get("/courses/<int:course_id>/cover")
def cover(course_id: int):
    course = authoring.get_course(course_id)
    if not course.cover_sha256:
        abort(404)
    path = storage.path_for(course.cover_sha256)
    if not path.exists():
        abort(404)
    with path.open("rb") as fh:
        kind = sniff(fh.read(16))
    response = send_file(path, mimetype=kind.content_type if kind else None, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/courses/<int:course_id>/prerequisites")
def set_prerequisites(course_id: int):
    course = _course_with_outline(course_id)
    form = PrerequisitesForm()
    if form.validate_on_submit():
        try:
            authoring.set_prerequisites(course, form.prerequisites.data or [])
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Prerequisites saved."), "success")
            return redirect(_course_url(course, "prerequisites"))
    return _course_page(course, prerequisites_form=form)


# -- the outline ------------------------------------------------------------


def _offset() -> int:
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return -1 if direction == "up" else 1


def _move(course: Course, items: list, item, anchor: str):
    try:
        authoring.move(course, items, item, _offset(),
                       seen_revision=request.form.get("revision", type=int))
    except authoring.StaleEdit:
        db.session.rollback()
        flash(_("The order was changed meanwhile, in another window or by another author. "
                "Nothing was moved: the page below is up to date, try again."), "warning")
        return redirect(_course_url(course, "outline"))
    db.session.commit()
    return redirect(_course_url(course, anchor))


@bp.post("/courses/<int:course_id>/modules")
def add_module(course_id: int):
    course = _course_with_outline(course_id)
    prefix = "new-module"
    form = TitleForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            module = authoring.add_module(course, title=form.title.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Module “%(title)s” added.", title=module.title), "success")
            return redirect(_course_url(course, f"module-{module.id}"))
    return _course_page(course, bound=(prefix, form))


@bp.post("/modules/<int:module_id>/rename")
def rename_module(module_id: int):
    module = _get(Module, module_id)
    course = _course_with_outline(module.course_id)
    prefix = f"rename-{module.id}"
    form = TitleForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            authoring.rename_module(module, title=form.title.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Module renamed."), "success")
            return redirect(_course_url(course, f"module-{module.id}"))
    return _course_page(course, bound=(prefix, form))


@bp.post("/modules/<int:module_id>/move")
def move_module(module_id: int):
    module = _get(Module, module_id)
    course = module.course
    return _move(course, course.modules, module, f"module-{module.id}")


@bp.route("/modules/<int:module_id>/delete", methods=["GET", "POST"])
def delete_module(module_id: int):
    module = _get(Module, module_id)
    course = module.course
    if request.method == "POST":
        title = module.title
        authoring.delete_module(module)
        db.session.commit()
        flash(_("Module “%(title)s” deleted from the draft.", title=title), "success")
        return redirect(_course_url(course, "outline"))
    return render_template("author/confirm_delete.html", course=course, module=module,
                           lesson=None)


@bp.post("/modules/<int:module_id>/lessons")
def add_lesson(module_id: int):
    module = _get(Module, module_id)
    course = _course_with_outline(module.course_id)
    prefix = f"lesson-{module.id}"
    form = TitleForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            lesson = authoring.add_lesson(module, title=form.title.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Lesson “%(title)s” added. Write its text here.", title=lesson.title),
                  "success")
            return redirect(_lesson_url(lesson))
    return _course_page(course, bound=(prefix, form))


@bp.post("/modules/<int:module_id>/quiz")
def set_module_quiz(module_id: int):
    module = _get(Module, module_id)
    course = _course_with_outline(module.course_id)
    prefix = f"quiz-{module.id}"
    form = QuizForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            authoring.set_module_quiz(module, bank_code=form.bank.data or "",
                                      tags=form.tag_list, count=form.count.data,
                                      pass_percent=form.pass_percent.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Practice quiz of “%(title)s” saved. Learners get it when you publish.",
                    title=module.title), "success")
            return redirect(_course_url(course, f"module-{module.id}"))
    return _course_page(course, quiz=(prefix, form))


@bp.post("/modules/<int:module_id>/quiz/delete")
def clear_module_quiz(module_id: int):
    module = _get(Module, module_id)
    authoring.clear_module_quiz(module)
    db.session.commit()
    flash(_("Practice quiz of “%(title)s” removed from the draft.", title=module.title),
          "success")
    return redirect(_course_url(module.course, f"module-{module.id}"))


@bp.post("/lessons/<int:lesson_id>/move")
def move_lesson(lesson_id: int):
    lesson = _get(Lesson, lesson_id)
    module = lesson.module
    return _move(module.course, module.lessons, lesson, f"lesson-{lesson.id}")


@bp.route("/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def delete_lesson(lesson_id: int):
    lesson = _get(Lesson, lesson_id)
    course = lesson.module.course
    if request.method == "POST":
        title = lesson.title
        authoring.delete_lesson(lesson)
        db.session.commit()
        flash(_("Lesson “%(title)s” deleted from the draft.", title=title), "success")
        return redirect(_course_url(course, "outline"))
    return render_template("author/confirm_delete.html", course=course, module=lesson.module,
                           lesson=lesson)


# -- lessons ----------------------------------------------------------------


def _lesson_data(lesson: Lesson) -> dict:
    return {"title": lesson.title, "minutes": lesson.minutes, "body_md": lesson.body_md,
            "statutes": format_statutes(lesson.statutes)}


def _preview(lesson: Lesson, form: LessonForm | None = None) -> dict:
    """The lesson as learners would read it: saved, or with the form's unsaved values."""
    if form is None:
        return authoring.lesson_content(
            uid=lesson.uid, title=lesson.title, minutes=lesson.minutes, body_md=lesson.body_md,
            statutes=lesson.statutes, attachments=lesson.attachments)
    minutes = form.minutes.data if isinstance(form.minutes.data, int) else lesson.minutes
    return authoring.lesson_content(
        uid=lesson.uid, title=(form.title.data or "").strip() or lesson.title, minutes=minutes,
        body_md=form.body_md.data or "", statutes=form.parsed_statutes or [],
        attachments=lesson.attachments)


def _attachment_links(lesson: Lesson):
    """For the shared lesson partial: the author's download link of an attachment."""
    urls = {a.sha256: url_for("author.download_attachment", attachment_id=a.id)
            for a in lesson.attachments}
    return lambda attachment: urls.get(attachment["sha256"])


def _lesson_page(lesson: Lesson, form: LessonForm, *, attachment_form=None,
                 unsaved: bool = False):
    return render_template(
        "author/lesson.html", lesson=lesson, course=lesson.module.course, form=form,
        attachment_form=(attachment_form if attachment_form is not None
                         else AttachmentForm(formdata=None)),
        preview=_preview(lesson, form if unsaved else None), unsaved=unsaved,
        attachment_url=_attachment_links(lesson), limits=LIMITS)


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
def lesson(lesson_id: int):
    lesson = _get(Lesson, lesson_id)
    form = LessonForm(data=_lesson_data(lesson))
    if request.method == "POST":
        valid = form.validate_on_submit()
        if "preview" in request.form:  # show the typed text rendered; save nothing
            return _lesson_page(lesson, form, unsaved=True)
        if valid:
            try:
                authoring.update_lesson(
                    lesson, title=form.title.data, body_md=form.body_md.data or "",
                    minutes=form.minutes.data, statutes=form.parsed_statutes)
            except ValidationFailed as exc:
                db.session.rollback()
                apply_error(form, exc)
            else:
                db.session.commit()
                flash(_("Lesson saved."), "success")
                return redirect(_lesson_url(lesson))
        return _lesson_page(lesson, form, unsaved=True)
    return _lesson_page(lesson, form)


@bp.post("/preview")
def preview():
    """The live preview: JSON in (the lesson form's fields and ``lesson_id``), HTML out.

    CSRFProtect has checked the ``X-CSRFToken`` header; the form itself skips it.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    lesson_id = payload.get("lesson_id")
    if not isinstance(lesson_id, int) or isinstance(lesson_id, bool):
        abort(400)
    lesson = _get(Lesson, lesson_id)
    form = LessonForm(meta={"csrf": False})
    form.validate()
    html = render_template("courses/_lesson_body.html", lesson=_preview(lesson, form),
                           attachment_url=_attachment_links(lesson), heading_level=3)
    return jsonify(html=html, errors=[error for errors in form.errors.values()
                                      for error in errors])


@bp.post("/lessons/<int:lesson_id>/attachments")
def upload_attachment(lesson_id: int):
    lesson = _get(Lesson, lesson_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            attachment = authoring.add_attachment(lesson, filename=upload.filename or "",
                                                  data=upload.read())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(filename)s attached.", filename=attachment.filename), "success")
            return redirect(_lesson_url(lesson, "attachments"))
    return _lesson_page(lesson, LessonForm(formdata=None, data=_lesson_data(lesson)),
                        attachment_form=form)


@bp.post("/attachments/<int:attachment_id>/delete")
def remove_attachment(attachment_id: int):
    attachment = _get(Attachment, attachment_id)
    lesson, filename = attachment.lesson, attachment.filename
    authoring.remove_attachment(attachment)
    db.session.commit()
    flash(_("%(filename)s removed from the lesson.", filename=filename), "success")
    return redirect(_lesson_url(lesson, "attachments"))


@bp.get("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    """A draft attachment, as a download under the name it was uploaded with."""
    attachment = _get(Attachment, attachment_id)
    path = storage.path_for(attachment.sha256)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# -- publishing -------------------------------------------------------------


@bp.post("/courses/<int:course_id>/publish")
def publish(course_id: int):
    course = _course_with_outline(course_id)
    try:
        version = authoring.publish(course, actor=_actor())
    except ValidationFailed:
        db.session.rollback()
        flash(_("The course was not published: first fix the problems listed under "
                "“Publish”."), "danger")
        return redirect(_course_url(course, "publish"))
    db.session.commit()
    flash(_("Version %(number)s published: learners now see it.", number=version.number),
          "success")
    return redirect(_course_url(course, "publish"))


@bp.post("/courses/<int:course_id>/archive")
def archive(course_id: int):
    course = authoring.get_course(course_id)
    try:
        authoring.archive(course, actor=_actor())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a published course can be archived."), "warning")
        return redirect(_course_url(course, "publish"))
    db.session.commit()
    flash(_("The course is archived: it has left the catalogue, and learners keep their "
            "records."), "success")
    return redirect(_course_url(course, "publish"))


@bp.post("/courses/<int:course_id>/restore")
def restore(course_id: int):
    course = authoring.get_course(course_id)
    try:
        authoring.restore(course, actor=_actor())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only an archived course can be restored."), "warning")
        return redirect(_course_url(course, "publish"))
    db.session.commit()
    flash(_("The course is restored: it is back in the catalogue."), "success")
    return redirect(_course_url(course, "publish"))
