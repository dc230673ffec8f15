"""Economic compensation N and unlawful-termination damages 2N
(劳动合同法第47、87条; 实施条例第25、27条)."""

from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lms.domain.wages import (
    WageInputError,
    compensation_months,
    economic_compensation,
    unlawful_termination_damages,
)


def compensation(years, months, wage, average=9_000, **kw):
    return economic_compensation(service_years=years, extra_months=months,
                                 monthly_wage=D(wage), local_average_monthly_wage=D(average),
                                 **kw)


def test_law_facts_3_a_seven_years_four_months_uncapped():
    """law_facts §3.2 算例 3-A steps 1–3: N = 7.5; 3 × 9,000 > 12,000; 90,000."""
    result = compensation(7, 4, 12_000)
    assert result.months_earned == D("7.5")
    assert not result.capped
    assert result.compensation == D(90_000)
    assert result.steps[0].code == "service_under_six_months"


def test_law_facts_3_a_step_4_extra_month_in_lieu_of_notice():
    """算例 3-A step 4: Art. 40 without 30 days' notice adds last month's 12,000."""
    result = compensation(7, 4, 12_000, notice_pay_wage=D(12_000))
    assert result.notice_pay == D(12_000)
    assert result.total == D(102_000)


def test_law_facts_3_a_step_5_unlawful_termination_doubles_it():
    """算例 3-A step 5: 2 × 90,000 = 180,000, with no compensation on top."""
    result = unlawful_termination_damages(service_years=7, extra_months=4,
                                          monthly_wage=D(12_000),
                                          local_average_monthly_wage=D(9_000))
    assert result.damages == D(180_000)
    assert result.steps[-1].code == "damages"


def test_law_facts_3_b_high_earner_capped_at_three_times_average():
    """算例 3-B: 30,000 > 27,000 → 7.5 × 27,000 = 202,500."""
    result = compensation(7, 4, 30_000)
    assert result.capped and result.base == D(27_000)
    assert result.compensation == D(202_500)


def test_law_facts_3_c_twelve_year_cap_for_the_high_earner():
    """算例 3-C: 14 years 8 months → 15; capped at 12 × 27,000 = 324,000."""
    result = compensation(14, 8, 30_000)
    assert (result.months_earned, result.months_paid) == (15, 12)
    assert result.compensation == D(324_000)
    assert "years_capped" in [s.code for s in result.steps]


def test_law_facts_3_c_no_year_cap_below_three_times_average():
    """算例 3-C and pitfall P12: 15 × 12,000 = 180,000, no 12-year limit."""
    result = compensation(14, 8, 12_000)
    assert result.months_paid == 15
    assert result.compensation == D(180_000)


@pytest.mark.parametrize("years, months, days, n", [
    (0, 0, 0, D("0.5")), (0, 5, 30, D("0.5")), (0, 6, 0, D(1)), (1, 0, 0, D(1)),
    (1, 0, 10, D("1.5")), (7, 5, 0, D("7.5")), (7, 6, 0, D(8)), (7, 11, 30, D(8)),
])
def test_six_months_or_more_is_a_year_under_six_is_half(years, months, days, n):
    """劳动合同法第47条第1款; exactly 6 months counts as a full year, and any
    shorter remainder — even days — as half a month."""
    assert compensation_months(years, months, days) == n
    assert compensation(years, months, 10_000, extra_days=days).compensation == n * 10_000


def test_wage_exactly_three_times_average_is_not_capped():
    """"高于" three times: 27,000 is not above 27,000, so neither cap applies."""
    result = compensation(14, 8, 27_000)
    assert not result.capped
    assert result.months_paid == 15
    assert result.compensation == D(405_000)
    assert "wage_not_above_cap" in [s.code for s in result.steps]


def test_one_fen_above_three_times_average_is_capped():
    result = compensation(14, 8, D("27000.01"))
    assert result.capped
    assert result.compensation == D(324_000)


@pytest.mark.parametrize("years, months, paid", [(12, 0, 12), (11, 6, 12), (12, 6, 12),
                                                 (11, 5, D("11.5"))])
def test_twelve_year_cap_boundary(years, months, paid):
    assert compensation(years, months, 30_000).months_paid == paid


def test_average_wage_below_the_minimum_uses_the_minimum():
    """实施条例第27条: a 12-month average below the minimum wage counts as the minimum."""
    result = compensation(2, 0, 2_000, local_minimum_wage=D(2_500))
    assert result.monthly_wage == D(2_500)
    assert result.compensation == D(5_000)
    assert result.steps[1].code == "minimum_wage_floor"


@pytest.mark.parametrize("kwargs, field, code", [
    ({"service_years": -1}, "service_years", "out_of_range"),
    ({"extra_months": 12}, "extra_months", "out_of_range"),
    ({"extra_days": 31}, "extra_days", "out_of_range"),
    ({"monthly_wage": D(-1)}, "monthly_wage", "not_positive"),
    ({"local_average_monthly_wage": D(0)}, "local_average_monthly_wage", "not_positive"),
    ({"local_minimum_wage": D(-5)}, "local_minimum_wage", "negative"),
])
def test_bad_input_is_refused(kwargs, field, code):
    args = {"service_years": 1, "extra_months": 0, "monthly_wage": D(1),
            "local_average_monthly_wage": D(1), **kwargs}
    with pytest.raises(WageInputError) as err:
        economic_compensation(**args)
    assert (err.value.field, err.value.code) == (field, code)


wages = st.decimals(min_value=D("0.01"), max_value=D(500_000), places=2)


@given(years=st.integers(0, 80), months=st.integers(0, 11), wage=wages, average=wages)
def test_compensation_caps_hold(years, months, wage, average):
    result = economic_compensation(service_years=years, extra_months=months,
                                   monthly_wage=wage, local_average_monthly_wage=average)
    n = compensation_months(years, months)
    assert result.base <= wage and result.months_paid <= n
    if wage > 3 * average:
        assert result.base == 3 * average
        assert result.months_paid <= 12
        assert result.compensation <= 12 * 3 * average + D("0.005")
    else:
        assert (result.base, result.months_paid) == (wage, n)


@given(years=st.integers(0, 80), months=st.integers(0, 11), low=wages, high=wages,
       average=wages)
def test_compensation_never_falls_when_the_wage_rises_on_one_side_of_the_cap(
        years, months, low, high, average):
    """Not monotonic across the cap: the 12-year limit makes a cliff there (see below)."""
    low, high = sorted((low, high))
    assume((high <= 3 * average) or (low > 3 * average))

    def pay(wage):
        return economic_compensation(service_years=years, extra_months=months,
                                     monthly_wage=wage,
                                     local_average_monthly_wage=average).compensation

    assert pay(low) <= pay(high)


def test_the_twelve_year_cap_is_a_cliff_at_three_times_average():
    """劳动合同法第47条第2款 as written: one fen above the cap loses 3 × 27,000."""
    assert compensation(14, 8, 27_000).compensation == D(405_000)
    assert compensation(14, 8, D("27000.01")).compensation == D(324_000)


@given(years=st.integers(0, 80), months=st.integers(0, 11), wage=wages, average=wages)
def test_damages_are_twice_the_compensation(years, months, wage, average):
    result = unlawful_termination_damages(service_years=years, extra_months=months,
                                          monthly_wage=wage,
                                          local_average_monthly_wage=average)
    assert result.damages == 2 * result.compensation.compensation
