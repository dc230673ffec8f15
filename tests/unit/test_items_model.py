import json
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.items import (
    Blank,
    Choice,
    DescriptionSpec,
    EssaySpec,
    ItemSpec,
    ItemSpecError,
    ItemType,
    MultipleChoiceSpec,
    NumericSpec,
    ParametricSpec,
    SingleChoiceSpec,
    Variable,
    item_from_dict,
)
from tests.unit import item_samples as samples
from tests.unit.item_strategies import any_item, raw_responses


@pytest.mark.parametrize("name", sorted(samples.ALL))
def test_every_sample_round_trips_exactly_through_json(name):
    spec = samples.ALL[name]()
    data = json.loads(json.dumps(spec.to_dict(), ensure_ascii=False))
    again = ItemSpec.from_dict(data)
    assert again == spec
    assert type(again) is type(spec)
    assert again.to_dict() == spec.to_dict()


@settings(max_examples=300, deadline=None)
@given(any_item)
def test_any_valid_spec_round_trips_exactly(spec):
    data = json.loads(json.dumps(spec.to_dict()))
    assert ItemSpec.from_dict(data) == spec
    assert ItemSpec.from_dict(data).to_dict() == data


def test_decimals_keep_their_written_precision():
    data = samples.numeric().to_dict()
    assert data["answers"][0]["value"] == "200.00"
    assert data["points"] == "2"
    assert data["type"] == ItemType.NUMERIC == "numeric"


def test_bank_files_may_write_numbers_as_json_numbers():
    data = samples.single().to_dict() | {"points": 2}
    data["choices"][1]["weight"] = 100
    assert ItemSpec.from_dict(data) == samples.single()


def test_from_dict_on_a_subclass_refuses_other_types():
    with pytest.raises(ItemSpecError) as err:
        SingleChoiceSpec.from_dict(samples.true_false().to_dict())
    assert (err.value.path, err.value.code) == ("type", "wrong_type")
    assert isinstance(item_from_dict(samples.true_false().to_dict()), ItemSpec)


def _error(data):
    with pytest.raises(ItemSpecError) as err:
        ItemSpec.from_dict(data)
    return err.value.path, err.value.code


def _with(spec, **changes):
    return spec.to_dict() | changes


@pytest.mark.parametrize(("mutate", "path", "code"), [
    (lambda d: d["choices"][2].update(weight="150"), "choices.2.weight", "out_of_range"),
    (lambda d: d["choices"][2].update(weight="abc"), "choices.2.weight", "not_a_decimal"),
    (lambda d: d["choices"][2].update(weight="NaN"), "choices.2.weight", "not_a_decimal"),
    (lambda d: d["choices"][2].update(weight="1E+999999"), "choices.2.weight", "not_a_decimal"),
    (lambda d: d["choices"][2].update(weight=True), "choices.2.weight", "not_a_decimal"),
    (lambda d: d["choices"][1].update(id="a"), "choices.1.id", "duplicate"),
    (lambda d: d["choices"][1].update(colour="red"), "choices.1.colour", "unknown_field"),
    (lambda d: d["choices"][1].pop("text"), "choices.1.text", "missing"),
    (lambda d: d["choices"][1].update(weight="0"), "choices", "no_full_credit_choice"),
    (lambda d: d.update(points="0"), "points", "out_of_range"),
    (lambda d: d.update(points="1.005"), "points", "too_precise"),
    (lambda d: d.update(points="-1"), "points", "out_of_range"),
    (lambda d: d.update(stem="  "), "stem", "empty"),
    (lambda d: d.update(choices="a,b"), "choices", "not_a_list"),
    (lambda d: d.update(choices=[]), "choices", "too_few"),
    (lambda d: d.update(type="poll"), "type", "unknown_type"),
    (lambda d: d.update(shuffle="yes"), "shuffle", "not_bool"),
])
def test_single_choice_errors_name_the_path(mutate, path, code):
    data = samples.single().to_dict()
    mutate(data)
    assert _error(data) == (path, code)


def test_multiple_choice_partial_weights_must_total_100_and_wrong_ones_be_negative():
    data = samples.multiple().to_dict()
    data["choices"][0]["weight"] = "40"
    assert _error(data) == ("choices", "weights_must_total_100")
    data = samples.multiple().to_dict()
    data["choices"][2]["weight"] = "0"
    assert _error(data) == ("choices.2.weight", "wrong_choice_needs_negative")
    data = samples.multiple().to_dict() | {"scoring": "all_or_nothing"}
    assert _error(data) == ("choices.2.weight", "negative_in_all_or_nothing")


def test_fill_blank_markers_must_match_the_blanks():
    assert _error(_with(samples.fill_blank(), stem="只有 [[1]]")) == (
        "stem", "blank_markers_mismatch")
    data = samples.fill_blank().to_dict()
    data["blanks"][1]["number"] = 3
    assert _error(data) == ("blanks.1.number", "not_in_sequence")
    data["blanks"][1] = {"number": 2}
    assert _error(data) == ("blanks.1.accepted", "no_accepted_answer")


@pytest.mark.parametrize(("pattern", "code"), [
    ("a" * 201, "pattern_too_long"),
    ("(unclosed", "invalid_pattern"),
    ("(a+)+b", "unsafe_pattern"),
    ("(a|aa)*", "unsafe_pattern"),
    ("(?:x*y)*", "unsafe_pattern"),
    (r"(a)\1", "unsafe_pattern"),
    ("(?=a)a", "unsafe_pattern"),
    (".*.*.*.*.*x", "unsafe_pattern"),
])
def test_blank_patterns_are_limited_to_a_safe_subset(pattern, code):
    data = samples.fill_blank().to_dict()
    data["blanks"][0]["pattern"] = pattern
    assert _error(data) == ("blanks.0.pattern", code)


@pytest.mark.parametrize("pattern", [r"第\s*(十一|11)\s*条", "[0-9]{4}年", r"(ab)+", "[(+]*x"])
def test_ordinary_blank_patterns_are_allowed(pattern):
    assert Blank(1, pattern=pattern).pattern == pattern


def test_numeric_needs_a_full_credit_answer_and_a_unit_when_required():
    data = samples.numeric().to_dict()
    data["answers"] = data["answers"][1:]
    assert _error(data) == ("answers", "no_full_credit_answer")
    data = samples.numeric().to_dict() | {"unit": None, "unit_policy": "required"}
    assert _error(data) == ("unit", "required_unit_missing")
    data = samples.numeric().to_dict()
    data["answers"][0]["tolerance"] = "-1"
    assert _error(data) == ("answers.0.tolerance", "out_of_range")


@pytest.mark.parametrize(("changes", "path", "code"), [
    ({"expression": "monthly / 0 +"}, "expression", "invalid_expression"),
    ({"expression": "monthly * rate"}, "expression", "unknown_variable"),
    ({"expression": "__import__(os)"}, "expression", "invalid_expression"),
    ({"expression": None}, "expression", "needs_expression_or_calculator"),
    ({"calculator": {"name": "daily_wage", "arguments": []}}, "expression",
     "needs_expression_or_calculator"),
    ({"stem": "{monthly} {bonus}"}, "stem", "unknown_placeholder"),
    ({"places": 11}, "places", "out_of_range"),
    ({"rounding": "ROUND_SOMETIMES"}, "rounding", "unknown_choice"),
])
def test_parametric_errors(changes, path, code):
    assert _error(_with(samples.parametric(), **changes)) == (path, code)


def test_parametric_expression_error_keeps_the_position_in_the_detail():
    with pytest.raises(ItemSpecError) as err:
        ItemSpec.from_dict(_with(samples.parametric(), expression="monthly * * 2"))
    assert "position 10" in err.value.detail


def test_calculator_argument_formulas_are_checked_with_their_path():
    data = samples.parametric_by_calculator().to_dict()
    data["calculator"]["arguments"][0]["expression"] = "salary"
    assert _error(data) == ("calculator.arguments.0.expression", "unknown_variable")


@pytest.mark.parametrize(("fields", "path", "code"), [
    ({"min": D(10), "max": D(5)}, "max", "out_of_range"),
    ({"step": D(0)}, "step", "out_of_range"),
    ({"step": D(3)}, "step", "does_not_divide_range"),
    ({"min": D(0), "max": D(10) ** 7}, "step", "too_many_values"),
    ({"min": D(0), "max": D("1E+20"), "step": D("1E-20")}, "step", "too_many_values"),
    ({"name": "1st"}, "name", "not_an_identifier"),
])
def test_variable_errors(fields, path, code):
    base = {"name": "x", "min": D(1), "max": D(11), "step": D(1)}
    with pytest.raises(ItemSpecError) as err:
        Variable(**(base | fields))
    assert (err.value.path, err.value.code) == (path, code)


def test_matching_needs_every_left_paired_with_a_known_right():
    data = samples.matching().to_dict()
    data["pairs"] = data["pairs"][:2]
    assert _error(data) == ("pairs", "unpaired_left")
    data = samples.matching().to_dict()
    data["pairs"][1]["right"] = "r9"
    assert _error(data) == ("pairs.1.right", "unknown_id")
    data = samples.matching().to_dict()
    data["pairs"][1]["left"] = "l1"
    assert _error(data) == ("pairs.1.left", "duplicate")


def test_ordering_ids_must_be_unique():
    data = samples.ordering().to_dict()
    data["items"][3]["id"] = "k7"
    assert _error(data) == ("items.3.id", "duplicate")


def test_essay_rubric_must_add_up_to_the_points():
    assert _error(_with(samples.essay(), points="12")) == ("rubric", "rubric_total_mismatch")
    data = samples.essay().to_dict()
    data["rubric"][0]["points"] = "0"
    assert _error(data) == ("rubric.0.points", "out_of_range")
    assert _error(_with(samples.essay(), word_limit=0)) == ("word_limit", "out_of_range")


def test_case_study_errors_point_into_the_sub_item():
    data = samples.case_study().to_dict()
    data["sub_items"][0]["spec"]["choices"][1]["weight"] = "101"
    assert _error(data) == ("sub_items.0.spec.choices.1.weight", "out_of_range")
    assert _error(_with(samples.case_study(), points="3")) == ("points", "not_sum_of_sub_items")
    data = samples.case_study().to_dict()
    data["sub_items"][0]["spec"] = samples.case_study_auto().to_dict()
    assert _error(data) == ("sub_items.0.spec", "nested_case_study")


def test_description_is_worth_nothing():
    assert DescriptionSpec(stem="说明").points == 0
    assert _error(_with(samples.description(), points="1")) == (
        "points", "description_is_worth_nothing")


def test_specs_built_in_python_are_validated_too():
    with pytest.raises(ItemSpecError) as err:
        MultipleChoiceSpec(stem="s", points=D(1), choices=(Choice("a", "x"), Choice("b", "y")))
    assert err.value.code == "no_correct_choice"
    with pytest.raises(ItemSpecError):
        SingleChoiceSpec(stem="s", points=2, choices=())  # an int is not a Decimal
    with pytest.raises(ItemSpecError):
        NumericSpec(stem="s", points=D(1), answers=[])  # a list is not a tuple
    with pytest.raises(ItemSpecError) as err:
        ItemSpec(stem="s", points=D(1))
    assert err.value.code == "abstract"


def test_specs_are_frozen_and_hashable():
    spec = samples.parametric()
    with pytest.raises(AttributeError):
        spec.points = D(9)
    assert hash(spec) == hash(ItemSpec.from_dict(spec.to_dict()))
    assert isinstance(spec, ParametricSpec) and isinstance(samples.essay(), EssaySpec)


def _leaf_paths(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaf_paths(value, (*prefix, i))
    yield prefix


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_corrupted_bank_data_raises_only_item_spec_errors(data):
    spec_data = data.draw(any_item).to_dict()
    path = data.draw(st.sampled_from(list(_leaf_paths(spec_data))))
    replacement = data.draw(raw_responses)
    if not path:
        spec_data = replacement
    else:
        target = spec_data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement
    try:
        ItemSpec.from_dict(spec_data)
    except ItemSpecError as err:
        assert err.code
