from dataclasses import dataclass, replace
from decimal import Decimal as D

import pytest

from lms.domain.items import ItemSpecError, ParametricSpec, Variable
from lms.domain.parametric import (
    CalculatorRegistry,
    check_instances,
    compute_answer,
    format_value,
    instantiate,
    render_stem,
)
from lms.domain.scoring import score_item
from lms.domain.seeding import derive_seed, stable_shuffle
from tests.unit import item_samples as samples


@pytest.mark.parametrize(("value", "places", "text"), [
    (D("12345.6"), 2, "12,345.60"),
    (D("1234567"), 0, "1,234,567"),
    (D("0.125"), 2, "0.13"),  # half up, not half even
    (D("-9876.5"), 1, "-9,876.5"),
    (D("999"), 2, "999.00"),
])
def test_values_are_formatted_with_thousands_groups(value, places, text):
    assert format_value(value, places) == text


def test_render_stem_uses_each_variables_precision():
    spec = ParametricSpec(stem="{a} {b} {m} {a}", points=D(1), expression="a + b + m",
                          variables=(Variable("a", D(1), D(10)),
                                     Variable("b", D("0.5"), D("5.5"), D("0.5")),
                                     Variable("m", D(1000), D(9000), D(1000), money=True)))
    assert render_stem(spec, {"a": D(3), "b": D(2), "m": D(5000)}) == "3 2.0 5,000.00 3"
    with pytest.raises(ValueError, match="no values for m"):
        render_stem(spec, {"a": D(3), "b": D(2)})


def test_calculator_answers_come_from_the_registry():
    spec = samples.parametric_by_calculator()
    values = {"monthly": D(6525)}
    assert compute_answer(spec, values, samples.registry()) == D(300)
    result = score_item(spec, "300.00", seed=1, calculators=CalculatorRegistry(
        {"daily_wage": lambda *, monthly: D(300)}))
    assert result.score == 2


def test_calculators_may_return_a_result_object():
    @dataclass(frozen=True)
    class Breakdown:
        result: D
        note: str = "monthly ÷ 21.75"

    @dataclass(frozen=True)
    class Pay:
        amount: D

    spec = samples.parametric_by_calculator()
    for answer in (Breakdown(D("1.005")), Pay(D("1.005"))):
        registry = CalculatorRegistry({"daily_wage": lambda *, monthly, a=answer: a})
        assert compute_answer(spec, {"monthly": D(1)}, registry) == D("1.01")


@pytest.mark.parametrize(("function", "code"), [
    (lambda *, monthly: 1.5, "not_a_decimal_result"),
    (lambda *, monthly: D("NaN"), "not_a_decimal_result"),
    (lambda *, monthly: monthly / 0, "calculator_failed"),
    (lambda *, salary: salary, "calculator_failed"),  # wrong keyword
])
def test_misbehaving_calculators_are_spec_errors(function, code):
    with pytest.raises(ItemSpecError) as err:
        compute_answer(samples.parametric_by_calculator(), {"monthly": D(1)},
                       CalculatorRegistry({"daily_wage": function}))
    assert err.value.code == code


def test_unknown_calculator():
    with pytest.raises(ItemSpecError) as err:
        compute_answer(samples.parametric_by_calculator(), {"monthly": D(1)},
                       CalculatorRegistry())
    assert (err.value.path, err.value.code) == ("calculator.name", "unknown_calculator")


def test_registry_refuses_duplicates_and_works_as_a_decorator():
    registry = CalculatorRegistry()

    @registry.register("double")
    def double(*, x: D) -> D:
        return x * 2

    assert "double" in registry and registry.names() == ["double"]
    assert registry.get("double")(x=D(2)) == D(4)
    with pytest.raises(ValueError, match="taken"):
        registry.register("double", double)


def test_check_instances_finds_a_division_by_zero_at_the_range_ends():
    spec = ParametricSpec(stem="{a}", points=D(1), expression="10 / (a - 5)",
                          variables=(Variable("a", D(5), D(9)),))
    with pytest.raises(ItemSpecError) as err:
        check_instances(spec)
    assert (err.value.path, err.value.code) == ("expression", "evaluation_failed")
    assert "division by zero" in err.value.detail
    check_instances(replace(spec, variables=(Variable("a", D(6), D(9)),)))


def test_instance_values_do_not_depend_on_other_items():
    a = derive_seed(42, "item-1")
    assert a == derive_seed(42, "item-1") and a != derive_seed(42, "item-2")
    assert a != derive_seed(43, "item-1")
    assert derive_seed(42, "item-1") == 10736980390746800962  # stable across runs and versions
    assert instantiate(samples.parametric(), a) == instantiate(samples.parametric(), a)


def test_seeds_must_be_non_negative_ints():
    for seed in (-1, 1.5, "1", True, None):
        with pytest.raises(ValueError):
            stable_shuffle([1, 2], seed)
