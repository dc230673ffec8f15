"""Union funds (2 %) and the social-insurance late fee (0.5 ‰ a day)."""

from decimal import Decimal as D

import pytest

from lms.domain.parametric import CalculatorRegistry
from lms.domain.wages import WageInputError, social_insurance_late_fee, union_fund_allocation
from lms.domain.wages.calculators import register_wage_calculators


def test_union_funds_are_two_percent_of_the_wage_bill_to_the_fen():
    assert union_fund_allocation(D("755000")) == D("15100.00")  # the worked example
    assert union_fund_allocation(D("1234.57")) == D("24.69")  # 24.6914 → 24.69
    assert union_fund_allocation(D("0")) == D("0.00")


def test_the_late_fee_is_half_a_per_mille_a_day():
    assert social_insurance_late_fee(D("36000"), D("25")) == D("450.00")
    assert social_insurance_late_fee(D("10001"), D("1")) == D("5.00")  # 5.0005 → 5.00
    with pytest.raises(ValueError):
        social_insurance_late_fee(D("1000"), D("2.5"))


def test_negative_figures_are_refused():
    with pytest.raises(WageInputError):
        union_fund_allocation(D("-1"))
    with pytest.raises(WageInputError):
        social_insurance_late_fee(D("-100"), D("3"))


def test_parametric_items_can_call_them_by_name():
    registry = register_wage_calculators(CalculatorRegistry())
    assert registry.get("union_fund_allocation")(wage_total=D("100")) == D("2.00")
    assert registry.get("social_insurance_late_fee")(arrears=D("2000"), days=D("10")) == D("10.00")
