"""The deduction limit for a loss the employee caused (工资支付暂行规定第16条)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.wages import WageInputError, damage_deduction_limit


def test_law_facts_5_2_case_1_deduct_1000_a_month_for_8_months():
    """law_facts §5.2 情形 1: 5,000 a month, minimum 2,300, loss 8,000."""
    result = damage_deduction_limit(monthly_wage=D(5_000), local_minimum_wage=D(2_300),
                                    loss=D(8_000))
    assert result.twenty_percent == D(1_000)
    assert result.limit == D(1_000)
    assert result.deduction == D(1_000)
    assert result.remaining == D(7_000)
    assert result.months_to_repay == 8


def test_law_facts_5_2_case_2_and_5_3_question_2_only_300():
    """law_facts §5.2 情形 2 and §5.3 例题 2: 20 % of 2,600 is 520, but 2,080 would be
    below the 2,300 minimum, so at most 300."""
    result = damage_deduction_limit(monthly_wage=D(2_600), local_minimum_wage=D(2_300))
    assert result.twenty_percent == D(520)
    assert result.above_minimum == D(300)
    assert result.limit == D(300)


def test_wage_at_or_below_the_minimum_allows_no_deduction():
    at = damage_deduction_limit(monthly_wage=D(2_300), local_minimum_wage=D(2_300))
    below = damage_deduction_limit(monthly_wage=D(2_000), local_minimum_wage=D(2_300),
                                   loss=D(100))
    assert at.limit == below.limit == 0
    assert below.steps[1].code == "wage_below_minimum"
    assert below.months_to_repay is None
    assert below.steps[-1].code == "deduction_not_possible"


def test_the_20_percent_cap_rounds_down_to_the_fen():
    # 2,600.03 × 20 % = 520.006: deducting 520.01 would exceed 20 %
    result = damage_deduction_limit(monthly_wage=D("2600.03"), local_minimum_wage=D(0))
    assert result.limit == D("520.00")


def test_a_small_loss_is_deducted_in_full():
    result = damage_deduction_limit(monthly_wage=D(5_000), local_minimum_wage=D(2_300),
                                    loss=D(400))
    assert (result.deduction, result.remaining, result.months_to_repay) == (400, 0, 1)


def test_negative_loss_is_refused():
    with pytest.raises(WageInputError) as err:
        damage_deduction_limit(monthly_wage=D(5_000), local_minimum_wage=D(2_300),
                               loss=D(-1))
    assert (err.value.field, err.value.code) == ("loss", "negative")


money = st.decimals(min_value=D(0), max_value=D(1_000_000), places=2)


@given(wage=money, minimum=money)
def test_limit_keeps_both_rules(wage, minimum):
    limit = damage_deduction_limit(monthly_wage=wage, local_minimum_wage=minimum).limit
    assert 0 <= limit <= wage * D("0.2")
    if wage >= minimum:
        assert wage - limit >= minimum
    else:
        assert limit == 0
