"""Daily and hourly wage from the monthly wage (劳社部发〔2008〕3号)."""

from dataclasses import FrozenInstanceError
from decimal import Decimal as D

import pytest

from lms.domain.wages import WageInputError, daily_and_hourly_wage
from lms.domain.wages.conversion import PAY_DAYS_PER_MONTH, PAY_HOURS_PER_MONTH


def test_pay_days_per_month_is_21_75_and_174_hours():
    """law_facts §9.1 item 9.3 and exam question §9.3 Q1: (365 − 104) ÷ 12 = 21.75."""
    assert D("21.75") == PAY_DAYS_PER_MONTH
    assert PAY_HOURS_PER_MONTH == 174


def test_law_facts_9_2_example_1_daily_300_hourly_37_5():
    """law_facts §9.2 算例 1: 6,525 ÷ 21.75 = 300; 300 ÷ 8 = 37.5."""
    rates = daily_and_hourly_wage(D(6525))
    assert rates.daily_wage == D("300.00")
    assert rates.hourly_wage == D("37.50")


def test_law_facts_9_3_question_2_hourly_wage_of_8700_is_50():
    """law_facts §9.3 例题 2 (and §2.2 step 1): 8,700 ÷ (21.75 × 8) = 50."""
    assert daily_and_hourly_wage(D(8700)).hourly_wage == D("50.00")


def test_uneven_wage_rounds_half_up_to_the_fen_from_the_monthly_wage():
    rates = daily_and_hourly_wage(D(5000))
    assert rates.daily_wage == D("229.89")  # 229.885…
    assert rates.hourly_wage == D("28.74")  # 28.7356…, not 229.89 ÷ 8 = 28.736


def test_steps_carry_codes_and_figures_not_sentences():
    rates = daily_and_hourly_wage(D(6525))
    assert [s.code for s in rates.steps] == ["monthly_pay_days", "daily_wage", "hourly_wage"]
    daily = rates.steps[1]
    assert daily.params["monthly"].value == 6525
    assert daily.params["daily"].value == 300
    with pytest.raises(TypeError):
        daily.params["daily"] = None  # frozen


@pytest.mark.parametrize("wage, code", [(D(-1), "not_positive"), (D(0), "not_positive"),
                                        (D("NaN"), "not_finite")])
def test_bad_wage_is_refused_with_a_code(wage, code):
    with pytest.raises(WageInputError) as err:
        daily_and_hourly_wage(wage)
    assert (err.value.field, err.value.code) == ("monthly_wage", code)


def test_a_float_is_a_programming_error():
    with pytest.raises(TypeError):
        daily_and_hourly_wage(8700.0)


def test_results_are_frozen():
    rates = daily_and_hourly_wage(D(6525))
    with pytest.raises(FrozenInstanceError):
        rates.daily_wage = D(0)
