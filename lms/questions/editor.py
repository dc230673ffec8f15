"""The question editor: the structured form ↔ item spec, the YAML editor, and
the item model's errors put back beside the field they concern.

The structured form covers the common types (single and multiple choice,
true/false, fill-in-the-blank, numeric) and only the settings it shows; a
question it cannot show exactly (e.g. a blank with a pattern) opens in the
YAML editor, which holds the whole spec of any type.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.domain.codec import PathError
from lms.domain.items import (
    DescriptionSpec,
    ItemSpec,
    ItemSpecError,
    ItemType,
    ParametricSpec,
    item_from_dict,
)
from lms.domain.lined_yaml import _LineLoader, error_line
from lms.domain.parametric import DEFAULT_CALCULATORS, check_instances
from lms.questions.display import dump_yaml, spec_data
from lms.questions.forms import QuestionForm

#: types with a structured form; every type has the YAML editor
STRUCTURED = (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.TRUE_FALSE,
              ItemType.FILL_BLANK, ItemType.NUMERIC)
#: empty rows offered below the filled ones
SPARE_ROWS = {"choices": 2, "blanks": 1, "answers": 1}
MIN_ROWS = {"choices": 4, "blanks": 2, "answers": 1}
MAX_ROWS = 26
#: the field of a row that carries the errors about the row as a whole
MAIN_FIELD = {"choices": "text", "blanks": "accepted", "answers": "value"}

#: ItemSpecError / PathError codes → what the author reads
SPEC_MESSAGES = {
    "not_text": _l("must be text"),
    "empty": _l("must not be empty"),
    "too_long": _l("is too long"),
    "surrounding_space": _l("must not start or end with a space"),
    "not_a_decimal": _l("must be a number"),
    "out_of_range": _l("is out of the allowed range"),
    "too_precise": _l("allows at most two decimal places"),
    "not_a_tuple": _l("must be a list"),
    "not_a_list": _l("must be a list"),
    "wrong_length": _l("has the wrong number of entries"),
    "wrong_type": _l("has the wrong type"),
    "too_few": _l("has too few entries"),
    "duplicate": _l("repeats an id used above"),
    "not_a_bool": _l("must be true or false"),
    "not_bool": _l("must be true or false"),
    "not_an_int": _l("must be a whole number"),
    "not_int": _l("must be a whole number"),
    "not_str": _l("must be text"),
    "not_an_object": _l("must be a mapping of keys to values"),
    "unknown_choice": _l("is not one of the allowed values"),
    "unknown_type": _l("is not a known question type"),
    "unknown_field": _l("is not a known key for this question type"),
    "missing": _l("is missing"),
    "abstract": _l("is not a known question type"),
    "no_accepted_answer": _l("needs at least one accepted answer"),
    "pattern_too_long": _l("the pattern is too long"),
    "invalid_pattern": _l("the pattern is not a valid regular expression"),
    "unsafe_pattern": _l("the pattern could take too long to match; simplify it"),
    "not_an_identifier": _l("must be a name of letters, digits and _ starting with a letter"),
    "too_many_values": _l("gives more than a million values; use a larger step"),
    "does_not_divide_range": _l("must divide max − min exactly"),
    "no_full_credit_choice": _l("one option must be the right answer (weight 100)"),
    "no_correct_choice": _l("at least one option must be right (positive weight)"),
    "weights_must_total_100": _l("with partial credit the positive weights must add up to 100"),
    "wrong_choice_needs_negative": _l("with partial credit every wrong option needs a negative "
                                      "weight, e.g. -100"),
    "negative_in_all_or_nothing": _l("negative weights only make sense with partial credit"),
    "not_in_sequence": _l("blanks are numbered 1, 2, 3 … without gaps"),
    "blank_markers_mismatch": _l("the question must mark each blank exactly once as [[1]], "
                                 "[[2]] …, one per answer row"),
    "required_unit_missing": _l("a required unit needs the unit itself"),
    "no_full_credit_answer": _l("one answer must earn full points (weight 100)"),
    "needs_expression_or_calculator": _l("give either an expression or a calculator, "
                                         "not both"),
    "invalid_expression": _l("is not a valid formula"),
    "unknown_variable": _l("uses a variable that is not declared"),
    "unknown_placeholder": _l("refers to a variable that is not declared"),
    "unknown_id": _l("refers to an id that does not exist"),
    "unpaired_left": _l("every left entry needs exactly one pair"),
    "rubric_total_mismatch": _l("the rubric points must add up to the question's points"),
    "nested_case_study": _l("a case study cannot contain another case study"),
    "not_sum_of_sub_items": _l("must equal the sum of the sub-items' points"),
    "description_is_worth_nothing": _l("a description is worth 0 points"),
    "unknown_calculator": _l("there is no calculator with this name"),
    "answer_out_of_range": _l("the answer is out of range for some values"),
    "evaluation_failed": _l("cannot be computed for some values (e.g. division by zero)"),
    "calculator_failed": _l("the calculator fails for some values"),
    "not_a_decimal_result": _l("the calculator does not return a number"),
}


def spec_message(exc: PathError) -> str:
    """``choices.2.weight`` + code → a sentence naming the place."""
    reason = str(SPEC_MESSAGES.get(exc.code, _l("is not valid")))
    detail = f" ({exc.detail})" if exc.detail else ""
    if not exc.path:
        return _("The item %(reason)s", reason=reason) + detail
    return _("%(path)s: %(reason)s", path=readable_path(exc.path), reason=reason) + detail


#: an item-model problem as the bank YAML reader words it: ``spec.choices.1.weight: code (detail)``
_SPEC_PROBLEM = re.compile(
    r"^spec(?:\.(?P<path>[\w.]+))?: (?P<code>[a-z_]+)(?: \((?P<detail>.*)\))?$")


def readable_problem(reason: str) -> str:
    """An import problem in the author's words when it is an item-model code; else as is."""
    match = _SPEC_PROBLEM.match(reason)
    if match is None or match["code"] not in SPEC_MESSAGES:
        return reason
    return spec_message(PathError(match["path"] or "", match["code"], match["detail"] or ""))


def readable_path(path: str) -> str:
    """``choices.2.weight`` → ``choices[3].weight`` (positions counted from 1)."""
    parts = []
    for part in path.split("."):
        if part.isdigit() and parts:
            parts[-1] += f"[{int(part) + 1}]"
        else:
            parts.append(part)
    return ".".join(parts)


# -- spec → form --------------------------------------------------------------


def _number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def form_data(spec: ItemSpec | None, item_type: str) -> dict[str, Any]:
    """The structured form's data for ``spec`` (or a new question of ``item_type``)."""
    data: dict[str, Any] = {"type": item_type, "shuffle": True, "scoring": "all_or_nothing",
                            "answer": "true", "unit_policy": "optional", "points": Decimal(1)}
    if item_type == ItemType.FILL_BLANK:
        data["scoring"] = "partial"
    if spec is None:
        return data
    raw = spec.to_dict()
    data.update(stem=raw["stem"], points=_number(raw["points"]),
                explanation=raw.get("explanation", ""))
    if item_type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        single = item_type == ItemType.SINGLE_CHOICE
        # single choice: the radio button says which option is right, so its weight
        # field stays empty — moving the radio (fixing a wrong key) must not leave the
        # old answer at full credit too
        data["choices"] = [{"id": c["id"], "text": c["text"],
                            "weight": None if single and Decimal(c["weight"]) == 100
                            else _number(c["weight"])}
                           for c in raw["choices"]]
        data["shuffle"] = raw["shuffle"]
        if single:
            data["correct"] = next((str(i) for i, c in enumerate(raw["choices"])
                                    if Decimal(c["weight"]) == 100), "")
        else:
            data["scoring"] = raw["scoring"]
    elif item_type == ItemType.TRUE_FALSE:
        data["answer"] = "true" if raw["answer"] else "false"
    elif item_type == ItemType.FILL_BLANK:
        data["blanks"] = [{"accepted": " | ".join(b["accepted"])} for b in raw["blanks"]]
        data["scoring"] = raw["scoring"]
    elif item_type == ItemType.NUMERIC:
        data["answers"] = [{"value": _number(a["value"]), "tolerance": _number(a["tolerance"]),
                            "tolerance_kind": a["tolerance_kind"], "weight": _number(a["weight"])}
                           for a in raw["answers"]]
        data["unit"] = raw.get("unit") or ""
        data["unit_policy"] = raw["unit_policy"]
    return data


def add_spare_rows(form: QuestionForm, extra: int = 0) -> None:
    """Empty rows to type new options, blanks or answers into."""
    for name, spare in SPARE_ROWS.items():
        rows = getattr(form, name)
        filled = sum(1 for row in rows if _row_filled(name, row))
        wanted = min(MAX_ROWS, max(MIN_ROWS[name], filled + spare + extra))
        while len(rows) < wanted:
            rows.append_entry()


def _row_filled(name: str, row) -> bool:
    if name == "choices":
        return bool(row.form.text.data)
    if name == "blanks":
        return bool(row.form.accepted.data)
    return row.form.value.data is not None or bool(row.form.value.raw_data
                                                   and row.form.value.raw_data[0])


# -- form → spec --------------------------------------------------------------


class Built:
    """The outcome of reading the editor: a spec, or errors put on the form."""

    def __init__(self, spec: ItemSpec | None):
        self.spec = spec

    @property
    def ok(self) -> bool:
        return self.spec is not None


def _letters():
    """a, b, … z, aa, ab, … — the ids new options get."""
    yield from string.ascii_lowercase
    for first in string.ascii_lowercase:
        for second in string.ascii_lowercase:
            yield first + second


def _choice_rows(form: QuestionForm, single: bool) -> tuple[list[dict], list[int]]:
    rows = [(i, row.form) for i, row in enumerate(form.choices) if row.form.text.data]
    used = {row.id.data for _i, row in rows if row.id.data}
    fresh = (key for key in _letters() if key not in used)
    correct = form.correct.data if single else None
    choices = []
    for index, row in rows:
        weight = row.weight.data if row.weight.data is not None else Decimal(0)
        if single and correct == str(index) and weight != 100:
            weight = Decimal(100)
        choices.append({"id": row.id.data or next(fresh), "text": row.text.data,
                        "weight": str(weight)})
    return choices, [i for i, _row in rows]


def structured_dict(form: QuestionForm) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The spec dict the structured form describes, and for each list the form row
    behind each entry (empty rows are skipped, so positions differ)."""
    item_type = form.type.data
    points = form.points.data
    data: dict[str, Any] = {"type": item_type, "stem": form.stem.data or "",
                            "points": str(points) if points is not None else "",
                            "explanation": (form.explanation.data or "").strip()}
    rows: dict[str, list[int]] = {}
    if item_type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        data["choices"], rows["choices"] = _choice_rows(
            form, single=item_type == ItemType.SINGLE_CHOICE)
        data["shuffle"] = bool(form.shuffle.data)
        if item_type == ItemType.MULTIPLE_CHOICE:
            data["scoring"] = form.scoring.data
    elif item_type == ItemType.TRUE_FALSE:
        data["answer"] = form.answer.data == "true"
    elif item_type == ItemType.FILL_BLANK:
        filled = [(i, row.form) for i, row in enumerate(form.blanks) if row.form.accepted.data]
        data["blanks"] = [{"number": n, "accepted": [a.strip() for a in
                                                     row.accepted.data.replace("｜", "|")
                                                     .split("|") if a.strip()]}
                          for n, (_i, row) in enumerate(filled, 1)]
        rows["blanks"] = [i for i, _row in filled]
        data["scoring"] = form.scoring.data
    elif item_type == ItemType.NUMERIC:
        filled = [(i, row.form) for i, row in enumerate(form.answers)
                  if row.form.value.data is not None]
        data["answers"] = [{"value": str(row.value.data),
                            "tolerance": str(row.tolerance.data or 0),
                            "tolerance_kind": row.tolerance_kind.data,
                            "weight": str(row.weight.data if row.weight.data is not None
                                          else 100)}
                           for _i, row in filled]
        rows["answers"] = [i for i, _row in filled]
        data["unit"] = form.unit.data or None
        data["unit_policy"] = form.unit_policy.data
    return data, rows


def build_structured(form: QuestionForm) -> Built:
    data, rows = structured_dict(form)
    if not data["points"]:
        form.points.errors = [*form.points.errors, _("Enter the points, e.g. 1 or 2.")]
        return Built(None)
    try:
        spec = item_from_dict(data)
    except ItemSpecError as exc:
        _put_structured_error(form, exc, rows)
        return Built(None)
    return _checked(form, spec, form.stem)


def _put_structured_error(form: QuestionForm, exc: ItemSpecError,
                          rows: dict[str, list[int]]) -> None:
    parts = exc.path.split(".") if exc.path else []
    message = str(SPEC_MESSAGES.get(exc.code, _l("is not valid")))
    message = message[0].upper() + message[1:] if message else message
    if exc.detail:
        message += f" ({exc.detail})"
    head = parts[0] if parts else ""
    if head in rows and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        if index < len(rows[head]):
            row = getattr(form, head)[rows[head][index]].form
            sub = parts[2] if len(parts) > 2 else ""
            target = {"id": "text", "number": "accepted"}.get(sub, sub)
            field = getattr(row, target, None) if target else None
            if field is None or target == "id":
                field = getattr(row, MAIN_FIELD[head])
            field.errors = [*field.errors, message]
            return
    if head in SPARE_ROWS:
        list_errors(form).setdefault(head, []).append(message)
        return
    field = getattr(form, head, None) if head else None
    if field is not None and head not in ("type", "correct", "mode"):
        field.errors = [*(field.errors or []), message]
    else:
        form.form_errors.append(spec_message(exc))


def list_errors(form: QuestionForm) -> dict[str, list[str]]:
    """Errors about a whole list (options, blanks, answers) rather than one row."""
    if not hasattr(form, "_list_errors"):
        form._list_errors = {}
    return form._list_errors


def build_yaml(form: QuestionForm) -> Built:
    """The spec typed into the YAML editor, or its problem (with the line) on the field."""
    text = form.spec_yaml.data or ""
    try:
        document = yaml.load(text, Loader=_EditorLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        line = error_line(exc) or 1
        problem = getattr(exc, "problem", None) or str(exc)
        form.spec_yaml.errors = [*form.spec_yaml.errors,
                                 _("Line %(line)s: this is not valid YAML (%(problem)s).",
                                   line=line, problem=problem)]
        return Built(None)
    try:
        spec = item_from_dict(_plain(document))
    except PathError as exc:
        form.spec_yaml.errors = [*form.spec_yaml.errors, _located(document, exc)]
        return Built(None)
    return _checked(form, spec, form.spec_yaml, document)


def _checked(form: QuestionForm, spec: ItemSpec, field, document=None) -> Built:
    """Parametric items: compute the answer for a few draws before saving."""
    specs = [spec] + [sub.spec for sub in getattr(spec, "sub_items", ())]
    for index, item in enumerate(specs):
        if not isinstance(item, ParametricSpec):
            continue
        try:
            check_instances(item, DEFAULT_CALCULATORS)
        except ItemSpecError as exc:
            if index:
                exc = exc.within(f"sub_items.{index - 1}.spec")
            field.errors = [*field.errors, _located(document, exc)]
            return Built(None)
    return Built(spec)


def _located(document, exc: PathError) -> str:
    line = _line_of(document, exc.path.split(".") if exc.path else [])
    message = spec_message(exc)
    return _("Line %(line)s · %(message)s", line=line, message=message) if line else message


def _line_of(document, path: list[str]) -> int | None:
    """The line of the deepest mapping on ``path`` that knows its line."""
    line, node = getattr(document, "line", None), document
    for key in path:
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, TypeError, ValueError):
            break
        line = getattr(node, "line", line)
    return line


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _EditorLoader(_LineLoader):
    """Safe YAML with line numbers whose decimal numbers become Decimals as written."""


def _construct_decimal(loader: _EditorLoader, node) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan: the item model refuses them
        return loader.construct_yaml_float(node)


_EditorLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def spec_yaml(spec: ItemSpec) -> str:
    return dump_yaml(spec_data(spec))


def structured_fits(spec: ItemSpec) -> bool:
    """Whether the structured form shows ``spec`` exactly (else: the YAML editor)."""
    item_type = spec.item_type
    if item_type not in STRUCTURED:
        return False
    form = QuestionForm(formdata=None, data=form_data(spec, item_type.value),
                        meta={"csrf": False})
    data, _rows = structured_dict(form)
    try:
        return item_from_dict(data).to_dict() == spec.to_dict()
    except ItemSpecError:
        return False


# -- new questions in the YAML editor ------------------------------------------

#: a small, valid example of each type for the YAML editor to start from
EXAMPLES: dict[str, dict] = {
    "single_choice": {"type": "single_choice", "stem": "题干", "points": "1",
                      "explanation": "解析：引用条文并说明错误选项为何错误。",
                      "choices": [{"id": "a", "text": "正确选项", "weight": "100"},
                                  {"id": "b", "text": "干扰项"}, {"id": "c", "text": "干扰项"}]},
    "multiple_choice": {"type": "multiple_choice", "stem": "题干", "points": "2",
                        "scoring": "all_or_nothing", "explanation": "解析",
                        "choices": [{"id": "a", "text": "正确选项", "weight": "50"},
                                    {"id": "b", "text": "正确选项", "weight": "50"},
                                    {"id": "c", "text": "干扰项"}]},
    "true_false": {"type": "true_false", "stem": "判断题题干", "points": "1",
                   "explanation": "解析", "answer": True},
    "fill_blank": {"type": "fill_blank", "stem": "会员 [[1]] 人以上的单位应当建立基层工会委员会。",
                   "points": "1", "explanation": "解析",
                   "blanks": [{"number": 1, "accepted": ["二十五", "25"]}]},
    "numeric": {"type": "numeric", "stem": "题干", "points": "2", "explanation": "解析",
                "unit": "元", "answers": [{"value": "200.00", "tolerance": "0.01"}]},
    "parametric": {"type": "parametric",
                   "stem": "月工资 {monthly} 元，工作日加班 {hours} 小时，加班费是多少元？",
                   "points": "3", "explanation": "解析", "unit": "元", "money": True,
                   "variables": [{"name": "monthly", "min": "3000", "max": "12000",
                                  "step": "50", "money": True},
                                 {"name": "hours", "min": "1", "max": "36"}],
                   "expression": "monthly / 21.75 / 8 * 1.5 * hours"},
    "matching": {"type": "matching", "stem": "将左右两栏配对。", "points": "2",
                 "explanation": "解析",
                 "lefts": [{"id": "l1", "text": "左一"}, {"id": "l2", "text": "左二"}],
                 "rights": [{"id": "r1", "text": "右一"}, {"id": "r2", "text": "右二"},
                            {"id": "r3", "text": "干扰项"}],
                 "pairs": [{"left": "l1", "right": "r1"}, {"left": "l2", "right": "r2"}]},
    "ordering": {"type": "ordering", "stem": "按正确顺序排列。", "points": "2",
                 "explanation": "解析",
                 "items": [{"id": "k7", "text": "第一步"}, {"id": "p2", "text": "第二步"},
                           {"id": "a9", "text": "第三步"}]},
    "essay": {"type": "essay", "stem": "论述题题干", "points": "10", "word_limit": 500,
              "explanation": "参考答案要点",
              "rubric": [{"id": "law", "name": "法律依据", "points": "6",
                          "description": "评分要点（仅阅卷人可见）"},
                         {"id": "writing", "name": "表达", "points": "4"}]},
    "case_study": {"type": "case_study", "stem": "阅读案例，回答问题。", "points": "2",
                   "scenario": "案例材料……", "explanation": "",
                   "sub_items": [{"id": "q1", "spec": {
                       "type": "true_false", "stem": "小题题干", "points": "2",
                       "answer": True}}]},
    "description": {"type": "description", "stem": "第二部分：案例分析。", "points": "0"},
}


def example_yaml(item_type: str) -> str:
    return spec_yaml(item_from_dict(EXAMPLES[item_type]))


def is_description(spec: ItemSpec) -> bool:
    return isinstance(spec, DescriptionSpec)
