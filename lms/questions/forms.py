"""Question bank forms: field shape only. The item model (`lms.domain.items`)
and `lms.questions.services` check the rules; `lms.questions.editor` turns the
question form into an item spec and puts the model's errors back on it."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from lms.courses.author_forms import DOMAIN_LABELS, STATUTE_MESSAGES
from lms.domain.items import ItemType, OrderScoring, Scoring, ToleranceKind, UnitPolicy
from lms.domain.statutes import InvalidStatuteLine, parse_statutes
from lms.questions.models import QuestionStatus

TYPE_LABELS = {
    ItemType.SINGLE_CHOICE: _l("Single choice"),
    ItemType.MULTIPLE_CHOICE: _l("Multiple choice"),
    ItemType.TRUE_FALSE: _l("True or false"),
    ItemType.FILL_BLANK: _l("Fill in the blanks"),
    ItemType.NUMERIC: _l("Numeric answer"),
    ItemType.PARAMETRIC: _l("Parametric calculation"),
    ItemType.MATCHING: _l("Matching"),
    ItemType.ORDERING: _l("Ordering"),
    ItemType.ESSAY: _l("Essay"),
    ItemType.CASE_STUDY: _l("Case study"),
    ItemType.DESCRIPTION: _l("Description (no answer)"),
}
QUESTION_STATUS_LABELS = {
    QuestionStatus.DRAFT: _l("Draft"),
    QuestionStatus.IN_REVIEW: _l("In review"),
    QuestionStatus.APPROVED: _l("Approved"),
    QuestionStatus.RETIRED: _l("Retired"),
}
DIFFICULTY_LABELS = {
    1: _l("1 · recall"),
    2: _l("2 · understanding"),
    3: _l("3 · simple application"),
    4: _l("4 · application"),
    5: _l("5 · hard application"),
}
SCORING_LABELS = {
    Scoring.ALL_OR_NOTHING: _l("All or nothing"),
    Scoring.PARTIAL: _l("Partial credit"),
}
ORDER_SCORING_LABELS = {
    OrderScoring.ALL_OR_NOTHING: _l("All or nothing"),
    OrderScoring.POSITIONS: _l("Share of items in the right place"),
    OrderScoring.ADJACENT_PAIRS: _l("Share of right neighbours"),
}
TOLERANCE_LABELS = {
    ToleranceKind.ABSOLUTE: _l("absolute (±)"),
    ToleranceKind.RELATIVE: _l("relative (share, 0.01 = 1%)"),
}
UNIT_POLICY_LABELS = {
    UnitPolicy.OPTIONAL: _l("may be left out"),
    UnitPolicy.REQUIRED: _l("must be written"),
}
REVIEW_DECISION_LABELS = {
    "approved": _l("Approved"),
    "changes_requested": _l("Changes requested"),
    "retired": _l("Retired"),
}

#: ("field", reason) of a service's ValidationFailed → message beside the field
ERROR_MESSAGES = {
    ("code", "shape"): _l("2 to 64 characters: lower-case letters, digits and hyphens, "
                          "starting with a letter or digit, e.g. union-law."),
    ("code", "taken"): _l("Another bank already uses this code."),
    ("title", "required"): _l("Please enter a title."),
    ("domain", "invalid"): _l("Choose a domain from the list."),
    ("editors", "unknown"): _l("There is no user with the e-mail address %(email)s."),
    ("editors", "not_author"): _l("%(email)s is not a trainer or administrator and cannot "
                                  "edit question banks."),
    ("difficulty", "range"): _l("Difficulty is 1 to 5."),
    ("tag", "required"): _l("Enter the tag to add."),
    ("tag", "too_long"): _l("A tag is at most 100 characters."),
    ("reason", "required"): _l("Say why: the reason is kept with every retired question."),
}

KNOWLEDGE_POINT_SEPARATORS = re.compile(r"[,，、;；\n]")


def message_for(exc) -> str:
    message = ERROR_MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))
    return str(message) % exc.params if exc.params else str(message)


def apply_error(form: FlaskForm, exc) -> None:
    """Put a service's `ValidationFailed` back on the field it names."""
    field = getattr(form, exc.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message_for(exc)]
    else:
        form.form_errors.append(message_for(exc))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lines(value):
    """Browsers send CRLF from a textarea; keep plain newlines."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def split_knowledge_points(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(
        p.strip() for p in KNOWLEDGE_POINT_SEPARATORS.split(text or "") if p.strip()))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(getattr(value, "value", str(value)), label)
            for value, label in labels.items()]


# -- banks ------------------------------------------------------------------


class BankSettingsForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), filters=[_lines],
                                validators=[Length(max=5000)], render_kw={"rows": 3})
    editors = TextAreaField(
        _l("Shared editors"), filters=[_lines], render_kw={"rows": 3, "spellcheck": "false",
                                                           "autocapitalize": "none"},
        description=_l("E-mail addresses of the trainers who may edit this bank with you, "
                       "one per line. Every trainer can read every bank."))

    @property
    def editor_emails(self) -> list[str]:
        return [line.strip() for line in re.split(r"[\s,，;；]+", self.editors.data or "")
                if line.strip()]


class NewBankForm(FlaskForm):
    code = StringField(_l("Bank code"), filters=[_strip],
                       validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"},
                       description=_l("The permanent identifier, e.g. union-law: lower-case "
                                      "letters, digits and hyphens. It cannot be changed later."))
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    domain = SelectField(_l("Domain"), choices=_choices(DOMAIN_LABELS))
    description = TextAreaField(_l("Description"), filters=[_lines],
                                validators=[Length(max=5000)], render_kw={"rows": 3})


class CategoryForm(FlaskForm):
    path = StringField(_l("New category"), filters=[_strip],
                       validators=[DataRequired(), Length(max=1000)],
                       description=_l("A path separated by /, e.g. 基层工会组织/建会条件; "
                                      "missing parents are created too."))


class RetireByLawForm(FlaskForm):
    law = StringField(_l("Law"), filters=[_strip], validators=[DataRequired(), Length(max=200)],
                      description=_l("The name exactly as the questions cite it, e.g. "
                                     "中华人民共和国工会法"))
    version = DateField(_l("Version date"), validators=[InputRequired()],
                        description=_l("The date of the superseded text the questions cite."))


class ConfirmRetireByLawForm(RetireByLawForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip, _lines],
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2},
                           description=_l("Kept with every retired question, e.g. "
                                          "“2021 年修正后条文已变”."))


# -- review -----------------------------------------------------------------


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), filters=[_strip, _lines],
                            validators=[Length(max=5000)], render_kw={"rows": 3})


class RetireForm(FlaskForm):
    reason = TextAreaField(_l("Reason for retiring"), filters=[_strip, _lines],
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2})


# -- import -----------------------------------------------------------------


class ImportForm(FlaskForm):
    file = FileField(_l("Question file"), validators=[FileRequired(_l("Choose a file."))],
                     render_kw={"accept": ".yaml,.yml,.gift,.txt,.xml,.zip,.xlsx"})
    format = SelectField(_l("Format"), choices=[], validate_choice=False)


# -- questions --------------------------------------------------------------


class ChoiceRow(Form):
    id = HiddenField()
    text = StringField(_l("Option text"), filters=[_strip])
    weight = DecimalField(_l("Weight"), places=None, validators=[Optional()],
                          render_kw={"inputmode": "decimal"})


class BlankRow(Form):
    accepted = StringField(_l("Accepted answers"), filters=[_strip])


class AnswerRow(Form):
    value = DecimalField(_l("Value"), places=None, validators=[Optional()],
                         render_kw={"inputmode": "decimal"})
    tolerance = DecimalField(_l("Tolerance"), places=None, validators=[Optional()],
                             render_kw={"inputmode": "decimal"})
    tolerance_kind = SelectField(_l("Tolerance kind"), choices=_choices(TOLERANCE_LABELS),
                                 validate_choice=False)
    weight = DecimalField(_l("Weight"), places=None, validators=[Optional()],
                          render_kw={"inputmode": "decimal"})


class QuestionForm(FlaskForm):
    """Every field of the editor; which ones count depends on ``type`` and ``mode``."""

    type = HiddenField()
    mode = HiddenField()  #: "form" or "yaml"
    #: the version the editor was opened on; saving over a newer one is refused
    base_version = HiddenField()
    stem = TextAreaField(_l("Question (Markdown)"), filters=[_lines], render_kw={"rows": 5})
    points = DecimalField(_l("Points"), places=None, validators=[Optional()],
                          render_kw={"inputmode": "decimal"})
    explanation = TextAreaField(
        _l("Explanation"), filters=[_lines], render_kw={"rows": 3},
        description=_l("Shown after the attempt: cite the article and say why the wrong "
                       "options are wrong."))
    choices = FieldList(FormField(ChoiceRow), min_entries=0)
    correct = HiddenField()  #: single choice: the index of the right option (radio buttons)
    shuffle = BooleanField(_l("Shuffle the options for each candidate"))
    # the item model checks these values (a field of another type is not posted)
    scoring = SelectField(_l("Scoring"), choices=_choices(SCORING_LABELS), validate_choice=False)
    answer = SelectField(_l("Correct answer"), choices=[SelectChoice("true", _l("True")),
                                                        SelectChoice("false", _l("False"))],
                         validate_choice=False)
    blanks = FieldList(FormField(BlankRow), min_entries=0)
    answers = FieldList(FormField(AnswerRow), min_entries=0)
    unit = StringField(_l("Unit"), filters=[_strip], validators=[Length(max=20)],
                       description=_l("e.g. 元 or 天; leave empty for a plain number."))
    unit_policy = SelectField(_l("The unit"), choices=_choices(UNIT_POLICY_LABELS),
                              validate_choice=False)
    spec_yaml = TextAreaField(
        _l("Item (YAML)"), filters=[_lines], render_kw={"rows": 22, "spellcheck": "false",
                                                        "class": "font-monospace"},
        description=_l("The whole item as question_banks/README.md describes it."))

    difficulty = SelectField(_l("Difficulty"), coerce=int, choices=[
        SelectChoice(value, label) for value, label in DIFFICULTY_LABELS.items()])
    knowledge_points = StringField(
        _l("Knowledge points"), filters=[_strip], validators=[Length(max=2000)],
        description=_l("Tags used by practice quizzes and exam blueprints, separated by 、 or ,"))
    statutes = TextAreaField(
        _l("Statutes cited"), filters=[_lines], render_kw={"rows": 3, "spellcheck": "false"},
        description=_l("One law per line: name | version date | articles, e.g. "
                       "中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条"))
    category = StringField(_l("Category"), filters=[_strip], validators=[Length(max=1000)],
                           description=_l("A path separated by /, e.g. 基层工会组织/建会条件"))
    note = StringField(_l("What changed"), filters=[_strip], validators=[Length(max=500)],
                       description=_l("A short note kept with the new version."))

    #: the parsed statutes once `validate` ran (None while the field is invalid)
    parsed_statutes: list[dict] | None = None

    def validate_statutes(self, field) -> None:
        try:
            self.parsed_statutes = parse_statutes(field.data or "")
        except InvalidStatuteLine as exc:
            self.parsed_statutes = None
            raise ValidationError(STATUTE_MESSAGES[exc.code] % {"line": exc.line}) from None

    def validate_knowledge_points(self, field) -> None:
        if any(len(p) > 100 for p in split_knowledge_points(field.data)):
            raise ValidationError(_l("A tag is at most 100 characters."))
