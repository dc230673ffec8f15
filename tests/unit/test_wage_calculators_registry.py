"""Parametric questions reach the wage calculators by name."""

from decimal import Decimal

from lms.domain.items import item_from_dict
from lms.domain.parametric import CalculatorRegistry, compute_answer, instantiate
from lms.domain.responses import parse_response
from lms.domain.scoring import score_item
from lms.domain.wages.calculators import WAGE_CALCULATORS, register_wage_calculators

OVERTIME = {
    "type": "parametric",
    "stem": "月工资 {wage} 元，工作日延长工作 {hours} 小时，加班工资至少多少元？",
    "points": "2",
    "variables": [{"name": "wage", "min": "4350", "max": "8700", "step": "435", "money": True},
                  {"name": "hours", "min": "2", "max": "20", "step": "2"}],
    "calculator": {"name": "overtime_pay", "arguments": [
        {"name": "monthly_wage", "expression": "wage"},
        {"name": "workday_hours", "expression": "hours"}]},
    "places": 2, "unit": "元", "money": True,
}


def test_every_wage_calculator_is_registered():
    registry = register_wage_calculators(CalculatorRegistry())
    assert set(registry.names()) == set(WAGE_CALCULATORS)


def test_a_parametric_overtime_question_is_answered_by_the_calculator():
    registry = register_wage_calculators(CalculatorRegistry())
    spec = item_from_dict(OVERTIME)
    values = instantiate(spec, seed=7)
    answer = compute_answer(spec, values, registry)
    expected = (values["wage"] / Decimal("21.75") / 8 * Decimal("1.5") * values["hours"])
    assert abs(answer - expected) < Decimal("0.01")
    result = score_item(spec, parse_response(spec, f"{answer} 元"), seed=7, calculators=registry)
    assert result.score == Decimal("2.00")


def test_law_facts_2_2_overtime_through_the_registry():
    """law_facts §2.2: 8,700 a month, 10 workday hours → 50 an hour × 1.5 × 10 = 750."""
    registry = register_wage_calculators(CalculatorRegistry())
    overtime = registry.get("overtime_pay")
    assert overtime(monthly_wage=Decimal("8700"), workday_hours=Decimal("10")) == Decimal("750.00")
