"""Course authoring forms: field shape only; `lms.courses.authoring` checks the rules."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from lms.courses.models import CourseStatus, Domain, Level
from lms.domain.statutes import InvalidStatuteLine, parse_statutes

DOMAIN_LABELS = {
    Domain.UNION_LAW: _l("Trade union law"),
    Domain.LABOR_LAW: _l("Labour laws and regulations"),
    Domain.WAGE_ACCOUNTING: _l("Wage accounting and finance"),
    Domain.NEGOTIATION: _l("Collective consultation and bargaining"),
    Domain.OTHER: _l("Other subjects"),
}
LEVEL_LABELS = {
    Level.BASIC: _l("Basic"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.ADVANCED: _l("Advanced"),
}
STATUS_LABELS = {
    CourseStatus.DRAFT: _l("Draft"),
    CourseStatus.PUBLISHED: _l("Published"),
    CourseStatus.ARCHIVED: _l("Archived"),
}

#: (field, reason code) → message shown beside the field.
ERROR_MESSAGES = {
    ("code", "shape"): _l("2 to 64 characters: lower-case letters, digits and hyphens, "
                          "starting with a letter or digit, e.g. union-law-basics."),
    ("code", "taken"): _l("Another course already uses this code."),
    ("title", "required"): _l("Please enter a title."),
    ("domain", "invalid"): _l("Choose a subject area from the list."),
    ("level", "invalid"): _l("Choose a level from the list."),
    ("credit_hours", "invalid"): _l("Enter the credit hours as a number, e.g. 2 or 1.5."),
    ("credit_hours", "range"): _l("Credit hours must be more than 0 and at most 200."),
    ("minutes", "range"): _l("Estimated time must be between 1 and 600 minutes."),
    ("cover", "file_type"): _l("The cover must be a PNG, JPEG or WebP image."),
    ("cover", "file_too_large"): _l("The image is larger than %(max_mb)s MB. "
                                    "Please choose a smaller file."),
    ("file", "file_type"): _l("This file type is not allowed. Attach a PDF, a PNG, JPEG or "
                              "WebP image, or an MP4 video. The type is checked from the "
                              "file's content, not its name."),
    ("file", "file_too_large"): _l("The file is larger than %(max_mb)s MB, the limit for its "
                                   "type. Nothing was stored."),
    ("prerequisites", "unknown"): _l("There is no course with the code %(code)s."),
    ("prerequisites", "cycle"): _l("%(code)s cannot be a prerequisite: it already requires "
                                   "this course, directly or through other courses."),
    ("bank", "unknown"): _l("Choose a question bank from the list."),
    ("tags", "required"): _l("Enter at least one knowledge point."),
    ("count", "range"): _l("The number of questions must be between 1 and %(max)s."),
    ("count", "too_few"): _l("The bank has only %(available)s approved questions with these "
                             "knowledge points (essay and case-study questions are not used in "
                             "practice quizzes), fewer than the %(count)s asked for. Ask for at "
                             "most %(available)s, or add knowledge points."),
    ("pass_percent", "range"): _l("The pass mark is a percentage from 1 to 100."),
}

#: publication_problems() codes → the sentence shown in the publish panel.
PROBLEM_MESSAGES = {
    "no_modules": _l("The course has no module yet."),
    "empty_module": _l("The module “%(module)s” has no lesson."),
    "empty_lesson": _l("The lesson “%(lesson)s” has no text."),
    "quiz_too_few": _l("The practice quiz of the module “%(module)s” asks for %(count)s "
                       "questions, but its bank has only %(available)s approved questions with "
                       "its knowledge points."),
}

STATUTE_MESSAGES = {
    "parts": _l("Line %(line)s: write the law, its version date and the articles, "
                "separated by |; there are too many |."),
    "law": _l("Line %(line)s: the name of the law is missing before the first |."),
    "law_length": _l("Line %(line)s: the name of the law is longer than 200 characters."),
    "version": _l("Line %(line)s: the version must be a date written like 2021-12-24."),
}


def problem_message(code: str, params: dict) -> str:
    """A publication problem (`authoring.publication_problems`) as a sentence."""
    message = PROBLEM_MESSAGES.get(code, _l("The course cannot be published yet."))
    return str(message) % params if params else str(message)


def message_for(exc) -> str:
    """The sentence for a service's `ValidationFailed`."""
    if exc.field == "publish":
        return problem_message(exc.reason, exc.params)
    message = ERROR_MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))
    return str(message) % exc.params if exc.params else str(message)


def apply_error(form: FlaskForm, exc) -> None:
    """Put a service's `ValidationFailed` back on the form field it names."""
    field = getattr(form, exc.field, None)
    if field is not None:
        field.errors = [*field.errors, message_for(exc)]
    else:
        form.form_errors.append(message_for(exc))


def _text_filter(value):
    return value.strip() if isinstance(value, str) else value


def _lines_filter(value):
    """Browsers send CRLF from a textarea; store plain newlines."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _title_field(label=None):
    return StringField(label or _l("Title"), filters=[_text_filter],
                       validators=[DataRequired(), Length(max=200)])


class CourseSettingsForm(FlaskForm):
    title = _title_field()
    domain = SelectField(_l("Subject area"), choices=[
        SelectChoice(value.value, label) for value, label in DOMAIN_LABELS.items()])
    level = SelectField(_l("Level"), choices=[
        SelectChoice(value.value, label) for value, label in LEVEL_LABELS.items()])
    summary = TextAreaField(_l("Summary"), filters=[_lines_filter], validators=[Length(max=5000)],
                            render_kw={"rows": 5},
                            description=_l("Shown in the catalogue. Markdown: **bold**, "
                                           "lists with -, links as [text](https://…)."))
    credit_hours = DecimalField(_l("Credit hours"), places=None, validators=[InputRequired()],
                                render_kw={"inputmode": "decimal"},
                                description=_l("What a learner earns on completing the "
                                               "course, e.g. 2 or 1.5."))


class NewCourseForm(CourseSettingsForm):
    code = StringField(_l("Course code"), filters=[_text_filter],
                       validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"},
                       description=_l("The permanent identifier, e.g. union-law-basics: "
                                      "lower-case letters, digits and hyphens. It cannot be "
                                      "changed later."))


class CoverForm(FlaskForm):
    cover = FileField(_l("Cover image"), validators=[FileRequired(_l("Choose an image."))],
                      render_kw={"accept": "image/png,image/jpeg,image/webp"})


class PrerequisitesForm(FlaskForm):
    #: values are course codes; the service refuses unknown codes and cycles
    prerequisites = SelectMultipleField(_l("Prerequisites"), choices=[], validate_choice=False,
                                        render_kw={"size": 6},
                                        description=_l("Courses a learner must complete before "
                                                       "enrolling. Hold Ctrl (⌘ on a Mac) to "
                                                       "choose several."))


class TitleForm(FlaskForm):
    """Add a module, rename one, or add a lesson to one."""

    title = _title_field()


class LessonForm(FlaskForm):
    title = _title_field()
    minutes = IntegerField(_l("Estimated minutes"), validators=[InputRequired()],
                           render_kw={"inputmode": "numeric"})
    statutes = TextAreaField(
        _l("Statutes cited"), filters=[_lines_filter], render_kw={"rows": 3, "spellcheck": "false"},
        description=_l("One law per line: name | version date | articles, e.g. "
                       "中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条"))
    body_md = TextAreaField(_l("Lesson text (Markdown)"), filters=[_lines_filter],
                            render_kw={"rows": 18},
                            description=_l("# and ## for headings, **bold**, - for lists, "
                                           "> for quotations, [text](https://…) for links."))

    #: the parsed statutes once `validate` ran (None while the field is invalid)
    parsed_statutes: list[dict] | None = None

    def validate_statutes(self, field) -> None:
        try:
            self.parsed_statutes = parse_statutes(field.data or "")
        except InvalidStatuteLine as exc:
            self.parsed_statutes = None
            raise ValidationError(STATUTE_MESSAGES[exc.code] % {"line": exc.line}) from None


TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")


class QuizForm(FlaskForm):
    """A module's practice quiz; the service checks the bank and what it can draw."""

    bank = SelectField(_l("Question bank"), choices=[], validate_choice=False)
    tags = StringField(_l("Knowledge points"), filters=[_text_filter],
                       validators=[Length(max=1000)],
                       description=_l("Questions carrying any of these knowledge points are "
                                      "drawn. Separate them with commas or 、."))
    count = IntegerField(_l("Questions per attempt"), validators=[InputRequired()],
                         render_kw={"inputmode": "numeric", "min": 1, "max": 50})
    pass_percent = IntegerField(_l("Pass mark (%)"), validators=[InputRequired()],
                                render_kw={"inputmode": "numeric", "min": 1, "max": 100})

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in TAG_SEPARATORS.split(self.tags.data or "") if t.strip()]


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))],
                     render_kw={"accept": ".pdf,.png,.jpg,.jpeg,.webp,.mp4,application/pdf,"
                                          "image/png,image/jpeg,image/webp,video/mp4"})
