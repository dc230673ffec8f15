import json
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.items import (
    CaseStudySpec,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    NumericSpec,
    ParametricSpec,
)
from lms.domain.presentation import candidate_view, choice_inputs_html, shuffle_options
from tests.unit import item_samples as samples
from tests.unit.item_strategies import any_item

FORBIDDEN_KEYS = {"weight", "accepted", "pattern", "pairs", "answer", "answers", "explanation",
                  "expression", "calculator", "tolerance", "tolerance_kind", "rounding",
                  "description", "correct", "key", "variables", "places"}


def _keys(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _keys(value)
    elif isinstance(data, list):
        for item in data:
            yield from _keys(item)


def _key_material(spec: ItemSpec):
    """Strings that would give the key away if a candidate saw them."""
    if spec.explanation:
        yield spec.explanation
    if isinstance(spec, FillBlankSpec):
        for blank in spec.blanks:
            yield from blank.accepted
            if blank.pattern:
                yield blank.pattern
    if isinstance(spec, NumericSpec):
        yield from (str(a.value) for a in spec.answers)
    if isinstance(spec, ParametricSpec):
        yield spec.expression or spec.calculator.name
    if isinstance(spec, EssaySpec):
        yield from (c.description for c in spec.rubric if c.description)
    if isinstance(spec, CaseStudySpec):
        for sub in spec.sub_items:
            yield from _key_material(sub.spec)


def _assert_no_key_in(view: dict, spec: ItemSpec):
    text = json.dumps(view, ensure_ascii=False)
    assert not FORBIDDEN_KEYS & set(_keys(view)), FORBIDDEN_KEYS & set(_keys(view))
    for secret in _key_material(spec):
        assert secret not in text, secret


@pytest.mark.parametrize("name", sorted(samples.ALL))
def test_candidate_view_of_every_type_reveals_no_key(name):
    spec = samples.ALL[name]()
    view = candidate_view(spec, seed=11)
    _assert_no_key_in(view, spec)
    assert samples.SECRET not in json.dumps(view, ensure_ascii=False)
    assert "RUBRICSECRET" not in json.dumps(view, ensure_ascii=False)
    assert view["type"] == spec.item_type.value and view["points"] == str(spec.points)


@settings(max_examples=200, deadline=None)
@given(any_item, st.integers(0, 2**32))
def test_candidate_view_of_any_spec_reveals_no_key(spec, seed):
    view = candidate_view(spec, seed=seed)
    assert not FORBIDDEN_KEYS & set(_keys(view))
    json.dumps(view)  # JSON-ready


def test_multiple_choice_view_has_no_weights_even_as_numbers():
    view = candidate_view(samples.multiple(), seed=1)
    assert sorted(view["choices"][0]) == ["id", "text"]
    assert "-100" not in json.dumps(view) and "50" not in json.dumps(view)


def test_ordering_view_is_shuffled_and_carries_no_order():
    spec = samples.ordering()
    orders = {tuple(i["id"] for i in candidate_view(spec, seed=s)["items"]) for s in range(30)}
    assert len(orders) > 5
    view = candidate_view(spec, seed=3)
    assert set(view) == {"type", "stem", "points", "items"}


def test_essay_view_shows_criteria_names_and_maximums_only():
    view = candidate_view(samples.essay())
    assert view["rubric"] == [{"name": "法律依据", "points": "4"},
                              {"name": "实践举措", "points": "4"}, {"name": "表达", "points": "2"}]
    assert view["word_limit"] == 500


def test_parametric_view_renders_the_candidates_numbers():
    spec = samples.parametric()
    view = candidate_view(spec, {"monthly": D("12345.5"), "hours": D(3)})
    assert view["stem"] == "月工资 12,345.50 元，工作日加班 3 小时，加班费是多少元？"
    assert view["unit"] == "元"
    assert candidate_view(spec, seed=4) == candidate_view(spec, seed=4)


def test_case_study_view_nests_sub_views_with_derived_seeds():
    view = candidate_view(samples.case_study(), seed=8)
    assert [s["id"] for s in view["sub_items"]] == ["q1", "q2", "q3", "q4"]
    assert view["scenario"].startswith("某公司")
    assert "{monthly}" not in view["sub_items"][2]["stem"]


def test_fill_blank_view_lists_the_blanks():
    assert candidate_view(samples.fill_blank())["blanks"] == [1, 2]


def test_shuffle_is_reproducible_and_a_permutation():
    spec = samples.single()
    assert shuffle_options(spec, 5) == shuffle_options(spec, 5)
    assert sorted(shuffle_options(spec, 5)) == ["a", "b", "c", "d"]
    assert len({shuffle_options(spec, s) for s in range(50)}) > 10


def test_shuffle_pins_an_order_for_a_known_seed():
    # a stored seed must give the same presentation after a Python upgrade
    assert shuffle_options(samples.single(), 20261124) == ("b", "a", "c", "d")


def test_shuffle_can_be_switched_off_for_choices_and_matching_but_not_ordering():
    fixed = replace(samples.single(), shuffle=False)
    assert shuffle_options(fixed, 5) == ("a", "b", "c", "d")
    assert shuffle_options(replace(fixed, shuffle=True), 5) != ("a", "b", "c", "d")
    matching = replace(samples.matching(), shuffle=False)
    assert shuffle_options(matching, 5) == ("r1", "r2", "r3", "r4")
    assert sorted(shuffle_options(samples.matching(), 5)) == ["r1", "r2", "r3", "r4"]
    assert shuffle_options(samples.essay(), 5) == ()


def test_choice_inputs_are_lettered_in_the_order_shown_and_escape_every_text():
    view = {"type": "single_choice", "choices": [
        {"id": "b", "text": "<script>alert(1)</script>"}, {"id": 'a"><img', "text": "甲 & 乙"}]}
    html = choice_inputs_html(view, 's0"')
    assert html.count('type="radio"') == 2 and 'name="s0&quot;"' in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="a&quot;&gt;&lt;img"' in html and "甲 &amp; 乙" in html
    assert html.index("A.</span> &lt;script&gt;") < html.index("B.</span> 甲")
    view["type"] = "multiple_choice"
    assert choice_inputs_html(view, "q1").count('type="checkbox"') == 2
