"""Forms of the exam set-up pages: field shape only. `lms.domain.exam_setup` and
`lms.exams.authoring` check the rules; `apply_problems` puts their findings back
on the fields."""

from __future__ import annotations

import re
from datetime import UTC

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lms.courses.author_forms import DOMAIN_LABELS
from lms.domain.items import ItemType
from lms.exams.models import ExamStatus, Layout, Navigation, ProctoringMode, Release
from lms.questions.forms import DIFFICULTY_LABELS, TYPE_LABELS

STATUS_LABELS = {
    ExamStatus.DRAFT: _l("Draft"),
    ExamStatus.PUBLISHED: _l("Published"),
    ExamStatus.ARCHIVED: _l("Archived"),
}
NAVIGATION_LABELS = {
    Navigation.FREE: _l("Free: candidates move back and forth"),
    Navigation.SEQUENTIAL: _l("Sequential: no going back"),
}
LAYOUT_LABELS = {
    Layout.PAGED: _l("One question per page"),
    Layout.SINGLE: _l("All questions on one page"),
}
PROCTORING_LABELS = {
    ProctoringMode.NONE: _l("Unproctored"),
    ProctoringMode.ONLINE: _l("Online, remote proctor"),
    ProctoringMode.CENTRE: _l("At a test centre"),
}
RELEASE_LABELS = {
    Release.IMMEDIATE: _l("At once, when the attempt is graded"),
    Release.REVIEW: _l("After an officer's review"),
}
REVIEW_LABELS = {
    "score": _l("Score and pass or fail"),
    "responses": _l("Their own answers"),
    "key": _l("The correct answers"),
    "explanations": _l("Explanations"),
}

#: (field, reason code) → the message shown beside the field
ERROR_MESSAGES = {
    ("code", "shape"): _l("2 to 64 characters: lower-case letters, digits and hyphens, "
                          "starting with a letter or digit, e.g. union-cadre-2026."),
    ("code", "taken"): _l("Another exam already uses this code."),
    ("title", "required"): _l("Please enter a title."),
    ("duration_minutes", "range"): _l("The duration must be between %(min)s and %(max)s "
                                      "minutes."),
    ("pass_percent", "range"): _l("The pass mark is a percentage above 0 and at most 100."),
    ("attempts_allowed", "range"): _l("Allow between %(min)s and %(max)s attempts."),
    ("cooldown_days", "range"): _l("The waiting time must be between %(min)s and %(max)s "
                                   "days."),
    ("focus_loss_limit", "range"): _l("The limit must be between %(min)s and %(max)s."),
    ("snapshot_interval_seconds", "range"): _l("Take a picture every %(min)s to %(max)s "
                                               "seconds."),
    ("webcam_required", "online_only"): _l("Webcam pictures are taken only in online "
                                           "proctoring: choose “Online, remote proctor” or "
                                           "untick the webcam."),
    ("required_courses", "unknown"): _l("%(code)s is not a published course."),
    ("navigation", "invalid"): _l("Choose a value from the list."),
    ("layout", "invalid"): _l("Choose a value from the list."),
    ("proctoring", "invalid"): _l("Choose a value from the list."),
    ("release", "invalid"): _l("Choose a value from the list."),
    ("marking_tolerance_percent", "range"): _l("The tolerance is a percentage from 0 to "
                                               "100 of the essay's points."),
    ("appeal_days", "range"): _l("Appeals: from 0 (none) to %(max)s days after release."),
    ("count", "range"): _l("A section has between %(min)s and %(max)s questions."),
    ("count", "short_published"): _l("The exam is published, and with this filter the "
                                     "section finds only %(available)s approved questions "
                                     "for the %(needed)s it needs. Nothing was saved."),
    ("points", "range"): _l("Points per question: more than 0 and at most %(max)s."),
    ("min_percent", "range"): _l("The minimum is a percentage from 1 to 100, or empty."),
    ("ends_at", "before_start"): _l("The session must end after it starts."),
    ("registration_deadline", "after_end"): _l("Booking must close before the session ends."),
    ("capacity", "range"): _l("Capacity must be at least 1 (and at most %(max)s)."),
    ("capacity", "below_booked"): _l("%(booked)s candidates have already booked: the "
                                     "capacity cannot be lower."),
    ("mode", "invalid"): _l("Choose a value from the list."),
    ("proctors", "not_proctor"): _l("Choose proctors from the list."),
    ("extra_percent", "range"): _l("Extra time in percent: from %(min)s to %(max)s."),
    ("extra_minutes", "range"): _l("Extra minutes: from %(min)s to %(max)s."),
    ("extra_percent", "none"): _l("Give some extra time: a percentage, minutes or both."),
    ("organisation", "no_candidates"): _l("This organisation and those below it have no "
                                          "candidate."),
    ("session", "same"): _l("The candidate is already booked in that session."),
    ("session", "over"): _l("That session is over."),
    ("session", "full"): _l("That session is full."),
    ("attempt", "invalid"): _l("The candidate has checked in or started meanwhile: the "
                               "booking was not moved."),
}

#: authoring.publication_problems codes → the sentence in the publish panel
PUBLISH_MESSAGES = {
    "no_sections": _l("The exam has no section yet: add at least one."),
    "malformed": _l("The section “%(section)s” is not valid: open it and save it again."),
    "short": _l("The section “%(section)s” has only %(available)s approved questions; it "
                "needs %(needed)s."),
}


def message(field: str, code: str, params: dict) -> str:
    text = ERROR_MESSAGES.get((field, code), _l("This value is not valid."))
    return str(text) % params if params else str(text)


def publish_message(code: str, params: dict) -> str:
    text = PUBLISH_MESSAGES.get(code, _l("The exam cannot be published yet."))
    return str(text) % params if params else str(text)


def apply_problems(form: FlaskForm, exc) -> None:
    """Put a service's `SetupInvalid` (or plain `ValidationFailed`) back on the form."""
    problems = getattr(exc, "problems", None) or [exc]
    for problem in problems:
        name = getattr(problem, "field", None)
        code = getattr(problem, "code", None) or getattr(problem, "reason", "")
        text = message(name, code, getattr(problem, "params", {}))
        field = getattr(form, name, None)
        if field is not None and not isinstance(field, HiddenField):
            field.errors = [*field.errors, text]
        else:
            form.form_errors.append(text)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lines(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(getattr(value, "value", value)), label)
            for value, label in labels.items()]


LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


def _number(label, low, high, description=None, *, required=True):
    return IntegerField(label, validators=[InputRequired() if required else Optional()],
                        render_kw={"inputmode": "numeric", "min": low, "max": high},
                        description=description)


class ExamForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(),
                                                                   Length(max=200)])
    qualification = StringField(_l("Qualification"), filters=[_strip],
                                validators=[Length(max=200)],
                                description=_l("The qualification a pass counts for, e.g. "
                                               "工会干部任职资格（初级）."))
    description = TextAreaField(_l("Description"), filters=[_lines],
                                validators=[Length(max=5000)], render_kw={"rows": 4},
                                description=_l("Shown to candidates on the exam's page."))
    duration_minutes = _number(_l("Duration (minutes)"), 1, 600)
    pass_percent = DecimalField(_l("Pass mark (%)"), places=None, validators=[InputRequired()],
                                render_kw={"inputmode": "decimal"},
                                description=_l("The least share of the points that passes, "
                                               "e.g. 60."))
    attempts_allowed = _number(_l("Attempts allowed"), 1, 20)
    cooldown_days = _number(_l("Days to wait between attempts"), 0, 365)
    required_courses = SelectMultipleField(
        _l("Courses to complete first"), choices=[], validate_choice=False,
        render_kw={"size": 5},
        description=_l("Published courses a candidate must have completed to book. Hold "
                       "Ctrl (⌘ on a Mac) to choose several."))
    navigation = SelectField(_l("Navigation"), choices=_choices(NAVIGATION_LABELS),
                             validate_choice=False)
    layout = SelectField(_l("Layout"), choices=_choices(LAYOUT_LABELS), validate_choice=False)
    shuffle_items = BooleanField(_l("Shuffle the questions within each section"))
    shuffle_options = BooleanField(_l("Shuffle the options of choice questions"))
    proctoring = SelectField(_l("Proctoring"), choices=_choices(PROCTORING_LABELS),
                             validate_choice=False)
    webcam_required = BooleanField(_l("Webcam pictures during the exam"))
    snapshot_interval_seconds = _number(_l("Seconds between pictures"), 10, 3600,
                                        required=False)
    fullscreen_required = BooleanField(_l("Full screen required"))
    block_copy_paste = BooleanField(_l("Block copy and paste"))
    focus_loss_limit = _number(_l("Times the candidate may leave the exam window"), 0, 100,
                               _l("Leaving it more often raises a flag for the proctor."))
    release = SelectField(_l("Results are released"), choices=_choices(RELEASE_LABELS),
                          validate_choice=False)
    review_options = SelectMultipleField(_l("After release, candidates see"),
                                         choices=_choices(REVIEW_LABELS),
                                         validate_choice=False)
    #: choices: the organisations in the author's scope (the view fills them)
    organisation = SelectField(
        _l("Run by"), choices=[],
        description=_l("Officers of this organisation and those above it manage the exam's "
                       "sessions, proctoring and results."))
    double_marking = BooleanField(
        _l("Double marking: two markers mark each essay independently"),
        description=_l("When their marks differ by more than the tolerance, a third marker "
                       "reconciles; otherwise the essay gets the mean of the two."))
    marking_tolerance_percent = DecimalField(
        _l("Tolerance between the two marks, in percent of the essay's points"), places=None,
        validators=[Optional()], render_kw={"inputmode": "decimal"},
        description=_l("e.g. 10: two marks of a 20-point essay agree when they are at most "
                       "2 points apart. Empty: 10."))
    exclude_own_organisation = BooleanField(
        _l("Markers never mark candidates of their own organisation"))
    appeal_days = IntegerField(
        _l("Days after release in which candidates may appeal"), validators=[Optional()],
        render_kw={"inputmode": "numeric"},
        description=_l("0: this exam takes no appeals. Empty: 14."))

    def values(self) -> dict:
        """The fields as `authoring.create_exam` / `update_exam` take them."""
        return {name: getattr(self, name).data for name in (
            "title", "qualification", "description", "duration_minutes", "pass_percent",
            "attempts_allowed", "cooldown_days", "required_courses", "navigation", "layout",
            "shuffle_items", "shuffle_options", "proctoring", "webcam_required",
            "snapshot_interval_seconds", "fullscreen_required", "block_copy_paste",
            "focus_loss_limit", "release", "review_options", "double_marking",
            "marking_tolerance_percent", "exclude_own_organisation", "appeal_days")}


class NewExamForm(ExamForm):
    code = StringField(_l("Exam code"), filters=[_strip], validators=[DataRequired(),
                                                                      Length(max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"},
                       description=_l("The permanent identifier, e.g. union-cadre-2026: "
                                      "lower-case letters, digits and hyphens. It cannot be "
                                      "changed later."))


def exam_form_data(exam) -> dict:
    review = exam.review_options or {}
    return {"organisation": str(exam.organisation_id or ""),
            "title": exam.title, "qualification": exam.qualification,
            "description": exam.description, "duration_minutes": exam.duration_minutes,
            "pass_percent": exam.pass_percent, "attempts_allowed": exam.attempts_allowed,
            "cooldown_days": exam.cooldown_days,
            "required_courses": list(exam.required_courses or []),
            "navigation": exam.navigation.value, "layout": exam.layout.value,
            "shuffle_items": exam.shuffle_items, "shuffle_options": exam.shuffle_options,
            "proctoring": exam.proctoring.value, "webcam_required": exam.webcam_required,
            "snapshot_interval_seconds": exam.snapshot_interval_seconds,
            "fullscreen_required": exam.fullscreen_required,
            "block_copy_paste": exam.block_copy_paste,
            "focus_loss_limit": exam.focus_loss_limit, "release": exam.release.value,
            "review_options": [k for k, shown in review.items() if shown],
            "double_marking": exam.double_marking,
            "marking_tolerance_percent": exam.marking_tolerance_percent,
            "exclude_own_organisation": exam.exclude_own_organisation,
            "appeal_days": exam.appeal_days}


NEW_EXAM_DEFAULTS = {"duration_minutes": 90, "pass_percent": 60, "attempts_allowed": 3,
                     "cooldown_days": 0, "navigation": "free", "layout": "paged",
                     "shuffle_items": True, "shuffle_options": True, "proctoring": "online",
                     "webcam_required": True, "snapshot_interval_seconds": 60,
                     "block_copy_paste": True, "focus_loss_limit": 5, "release": "review",
                     "review_options": ["score"], "marking_tolerance_percent": 10,
                     "appeal_days": 14}


class SectionForm(FlaskForm):
    title = StringField(_l("Section title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)],
                        description=_l("Shown to candidates, e.g. 一、单项选择题."))
    count = _number(_l("Number of questions"), 1, 500)
    points = DecimalField(_l("Points per question"), places=None, validators=[InputRequired()],
                          render_kw={"inputmode": "decimal"})
    min_percent = _number(_l("Minimum in this section (%)"), 1, 100,
                          _l("Optional: a candidate who scores less here fails, whatever "
                             "the total."), required=False)
    banks = SelectMultipleField(_l("Question banks"), choices=[], validate_choice=False,
                                render_kw={"size": 4})
    domains = SelectMultipleField(_l("Subject areas"), choices=_choices(DOMAIN_LABELS),
                                  validate_choice=False, render_kw={"size": 5})
    types = SelectMultipleField(_l("Question types"), choices=_choices(
        {k: v for k, v in TYPE_LABELS.items() if k != ItemType.DESCRIPTION}),
        validate_choice=False, render_kw={"size": 6})
    difficulties = SelectMultipleField(_l("Difficulties"), choices=_choices(DIFFICULTY_LABELS),
                                       validate_choice=False, render_kw={"size": 5})
    tags = StringField(_l("Knowledge points"), filters=[_strip], validators=[Length(max=2000)],
                       description=_l("Questions carrying any of them. Separate them with "
                                      "commas or 、."))
    category = StringField(_l("Category"), filters=[_strip], validators=[Length(max=1000)],
                           description=_l("A category path such as 工会法/总则: the category "
                                          "and everything below it."))

    def values(self) -> dict:
        return {"title": self.title.data, "count": self.count.data,
                "points": self.points.data, "min_percent": self.min_percent.data,
                "banks": self.banks.data or [], "domains": self.domains.data or [],
                "types": self.types.data or [],
                "difficulties": [int(d) for d in self.difficulties.data or [] if d.isdigit()],
                "tags": split_list(self.tags.data), "category": self.category.data or ""}


def section_form_data(data: dict) -> dict:
    flt = data.get("filter") or {}
    return {"title": data.get("title", ""), "count": data.get("count"),
            "points": data.get("points"), "min_percent": data.get("min_percent"),
            "banks": list(flt.get("banks") or []), "domains": list(flt.get("domains") or []),
            "types": list(flt.get("types") or []),
            "difficulties": [str(d) for d in flt.get("difficulties") or []],
            "tags": "、".join(flt.get("tags") or []), "category": flt.get("category", "")}


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the user's time zone; ``utc`` is the stored value."""

    @property
    def utc(self):
        if self.data is None:
            return None
        return to_utc(self.data).replace(tzinfo=UTC)

    def show(self, value) -> None:
        self.data = None if value is None else to_user_timezone(value).replace(tzinfo=None)


class SessionForm(FlaskForm):
    title = StringField(_l("Session title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)],
                        description=_l("e.g. 2026年12月 东城区第一场."))
    starts_at = LocalDateTimeField(_l("Starts"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                   validators=[InputRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                 validators=[InputRequired()],
                                 description=_l("No one may start after this time."))
    registration_deadline = LocalDateTimeField(
        _l("Booking closes"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[InputRequired()])
    mode = SelectField(_l("Proctoring"), choices=_choices(PROCTORING_LABELS),
                       validate_choice=False)
    location = StringField(_l("Location"), filters=[_strip], validators=[Length(max=200)],
                           description=_l("The test centre's address, or empty online."))
    capacity = _number(_l("Capacity"), 1, 10000)
    proctors = SelectMultipleField(_l("Proctors"), choices=[], validate_choice=False,
                                   render_kw={"size": 5},
                                   description=_l("People with the proctor role. Hold Ctrl "
                                                  "(⌘ on a Mac) to choose several."))

    def values(self) -> dict:
        return {"title": self.title.data, "starts_at": self.starts_at.utc,
                "ends_at": self.ends_at.utc,
                "registration_deadline": self.registration_deadline.utc,
                "mode": self.mode.data, "location": self.location.data,
                "capacity": self.capacity.data,
                "proctor_ids": [int(p) for p in self.proctors.data or [] if p.isdigit()]}


def session_form(session=None, *, exam=None, formdata=True) -> SessionForm:
    """The session form, bound to the request or filled from ``session``."""
    if session is None:
        data = {"mode": exam.proctoring.value if exam else "online", "capacity": 30}
    else:
        data = {"title": session.title, "mode": session.mode.value,
                "location": session.location, "capacity": session.capacity,
                "proctors": [str(p.id) for p in session.proctors]}
    form = SessionForm(data=data) if formdata else SessionForm(formdata=None, data=data)
    if session is not None and (not formdata or not form.is_submitted()):
        form.starts_at.show(session.starts_at)
        form.ends_at.show(session.ends_at)
        form.registration_deadline.show(session.registration_deadline)
    return form


SCOPE_LABELS = {"exam": _l("This exam only"), "all": _l("Every exam")}


class ExtraTimeForm(FlaskForm):
    extra_percent = _number(_l("Extra time (%)"), 0, 200, required=False)
    extra_minutes = _number(_l("Extra minutes"), 0, 600, required=False)
    scope = SelectField(_l("For"), choices=_choices(SCOPE_LABELS), validate_choice=False)
    note = StringField(_l("Reason (kept on record)"), filters=[_strip],
                       validators=[Length(max=500)])

    def values(self) -> dict:
        return {"extra_percent": self.extra_percent.data or 0,
                "extra_minutes": self.extra_minutes.data or 0, "note": self.note.data or ""}


class PersonAccommodationForm(ExtraTimeForm):
    user_id = HiddenField(validators=[DataRequired()])


class GroupAccommodationForm(ExtraTimeForm):
    organisation = SelectField(_l("Organisation (with every one below it)"), choices=[],
                               validate_choice=False)


class MoveForm(FlaskForm):
    session = SelectField(_l("Move to"), choices=[], validate_choice=False)
