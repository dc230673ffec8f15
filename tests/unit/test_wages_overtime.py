"""Overtime pay (劳动法第44条, 工资支付暂行规定第13条)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.wages import WageInputError, overtime_pay

wages = st.decimals(min_value=D("0.01"), max_value=D(1_000_000), places=2)
hour_counts = st.decimals(min_value=D(0), max_value=D(744), places=1)


def test_law_facts_2_2_example_overtime_of_2750():
    """law_facts §2.2 算例: 8,700 a month; 10 h workday, 8 h rest day, 8 h holiday."""
    pay = overtime_pay(D(8700), workday_hours=D(10), rest_day_hours=D(8), holiday_hours=D(8))
    assert pay.hourly_wage == D("50.00")
    assert pay.workday_pay == D("750.00")
    assert pay.rest_day_pay == D("800.00")
    assert pay.holiday_pay == D("1200.00")
    assert pay.total == D("2750.00")
    # step 5: 26 hours, within the 36 of 劳动法第41条
    assert pay.total_hours == 26
    assert not pay.exceeds_monthly_limit
    assert pay.steps[-1].code == "monthly_limit_ok"


def test_law_facts_9_2_example_2_six_workday_hours_at_37_5():
    """law_facts §9.2 算例 2: 37.5 × 150 % × 6 = 337.5."""
    assert overtime_pay(D(6525), workday_hours=D(6)).total == D("337.50")


def test_law_facts_2_3_question_2_rest_day_with_time_off_earns_no_200_percent():
    """law_facts §2.3 例题 2 and pitfall P16: time off in lieu replaces the 200 %."""
    pay = overtime_pay(D(8700), rest_day_hours=D(8), rest_day_time_off=True)
    assert pay.rest_day_pay == 0
    assert "rest_day_time_off" in [s.code for s in pay.steps]


def test_holiday_pay_stays_300_percent_even_with_time_off_for_rest_days():
    """P16: the 300 % does not depend on whether time off is arranged."""
    pay = overtime_pay(D(8700), rest_day_hours=D(8), rest_day_time_off=True,
                       holiday_hours=D(8))
    assert pay.holiday_pay == D("1200.00")


def test_more_than_36_hours_is_flagged_and_still_paid():
    pay = overtime_pay(D(8700), workday_hours=D(30), rest_day_hours=D("6.5"))
    assert pay.total_hours == D("36.5")
    assert pay.exceeds_monthly_limit
    assert pay.steps[-1].code == "monthly_limit_exceeded"
    assert pay.total == D("2900.00")  # 50 × 1.5 × 30 + 50 × 2 × 6.5


def test_exactly_36_hours_is_within_the_limit():
    assert not overtime_pay(D(8700), workday_hours=D(36)).exceeds_monthly_limit


def test_an_uneven_hourly_wage_is_not_rounded_before_multiplying():
    # 5,000 ÷ 174 = 28.7356…; × 1.5 × 10 = 431.034… (rounding 28.74 first gives 431.10)
    assert overtime_pay(D(5000), workday_hours=D(10)).workday_pay == D("431.03")


def test_no_overtime_is_zero():
    pay = overtime_pay(D(8700))
    assert pay.total == 0
    assert [s.code for s in pay.steps] == ["monthly_pay_days", "hourly_wage", "overtime_total",
                                           "monthly_limit_ok"]


@pytest.mark.parametrize("field", ["workday_hours", "rest_day_hours", "holiday_hours"])
@pytest.mark.parametrize("value", [D(-1), D(745)])
def test_hours_outside_a_month_are_refused(field, value):
    with pytest.raises(WageInputError) as err:
        overtime_pay(D(8700), **{field: value})
    assert (err.value.field, err.value.code) == (field, "out_of_range")


@given(wage=wages, low=hour_counts, high=hour_counts,
       kind=st.sampled_from(["workday_hours", "rest_day_hours", "holiday_hours"]))
def test_overtime_pay_never_falls_when_hours_rise(wage, low, high, kind):
    low, high = sorted((low, high))
    assert overtime_pay(wage, **{kind: low}).total <= overtime_pay(wage, **{kind: high}).total


@given(low=wages, high=wages, workday=hour_counts, rest_day=hour_counts, holiday=hour_counts)
def test_overtime_pay_never_falls_when_the_wage_rises(low, high, workday, rest_day, holiday):
    low, high = sorted((low, high))
    hours = {"workday_hours": workday, "rest_day_hours": rest_day, "holiday_hours": holiday}
    assert overtime_pay(low, **hours).total <= overtime_pay(high, **hours).total


@given(wage=wages, worked=hour_counts)
def test_rates_keep_their_order_150_200_300(wage, worked):
    workday = overtime_pay(wage, workday_hours=worked).total
    rest_day = overtime_pay(wage, rest_day_hours=worked).total
    holiday = overtime_pay(wage, holiday_hours=worked).total
    assert workday <= rest_day <= holiday
