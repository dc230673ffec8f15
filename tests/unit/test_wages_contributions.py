"""The employee's social insurance and housing fund contributions
(社会保险法第12、23、33、44、53条; 住房公积金管理条例第16、18条)."""

from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lms.domain.wages import WageInputError, contribution_base, employee_contributions
from lms.domain.wages.common import to_fen

#: law_facts §7.3: local average 8,000 → floor 4,800, ceiling 24,000; fund 2,500–24,000
EXAMPLE = {
    "social_insurance_floor": D(4_800), "social_insurance_ceiling": D(24_000),
    "pension_rate": D("0.08"), "medical_rate": D("0.02"), "unemployment_rate": D("0.005"),
    "housing_fund_floor": D(2_500), "housing_fund_ceiling": D(24_000),
    "housing_fund_rate": D("0.10"),
}


@pytest.mark.parametrize("who, wage, si_base, pension, medical, unemployment, si_total, "
                         "hf_base, fund, total", [
    ("甲 (floor)", 4_000, 4_800, 384, 96, 24, 504, 4_000, 400, 904),
    ("乙", 12_000, 12_000, 960, 240, 60, 1_260, 12_000, 1_200, 2_460),
    ("丙 (ceiling)", 30_000, 24_000, 1_920, 480, 120, 2_520, 24_000, 2_400, 4_920),
])
def test_law_facts_7_3_table(who, wage, si_base, pension, medical, unemployment, si_total,
                             hf_base, fund, total):
    """law_facts §7.3 算例: the three employees 甲, 乙, 丙."""
    result = employee_contributions(wage=D(wage), **EXAMPLE)
    assert (result.social_insurance_base, result.pension, result.medical, result.unemployment,
            result.social_insurance_total, result.housing_fund_base, result.housing_fund,
            result.total) == (si_base, pension, medical, unemployment, si_total, hf_base,
                              fund, total)


def test_law_facts_7_2_weihai_bounds_clamp_the_base():
    """law_facts §7.2 算例佐证 (威海 2019): 65,383 a year → 5,448.6 a month; 60 % and
    300 % rounded to the yuan give 3,269 and 16,346, which are inputs here."""
    monthly = D(65_383) / 12
    assert monthly.quantize(D("0.1")) == D("5448.6")
    floor, ceiling = (monthly.quantize(D("0.1")) * share for share in (D("0.6"), D(3)))
    assert (floor.quantize(D(1)), ceiling.quantize(D(1))) == (D(3_269), D(16_346))
    assert contribution_base(D(3_000), D(3_269), D(16_346)) == D(3_269)
    assert contribution_base(D(20_000), D(3_269), D(16_346)) == D(16_346)


def test_wage_exactly_at_the_floor_or_ceiling_is_the_base():
    assert contribution_base(D(4_800), D(4_800), D(24_000)) == D(4_800)
    assert contribution_base(D(24_000), D(4_800), D(24_000)) == D(24_000)


def test_work_injury_and_maternity_are_noted_as_nil_for_the_employee():
    """社会保险法第33、53条 (law_facts §7.1 items 7.3, 7.5)."""
    codes = [s.code for s in employee_contributions(wage=D(12_000), **EXAMPLE).steps]
    assert "no_employee_share" in codes


def test_shares_round_half_up_to_the_fen():
    result = employee_contributions(wage=D("4999.99"), **{**EXAMPLE,
                                                          "social_insurance_floor": D(0)})
    assert result.unemployment == D("25.00")  # 24.99995


def test_floor_above_ceiling_is_refused():
    with pytest.raises(WageInputError) as err:
        employee_contributions(wage=D(1), **{**EXAMPLE, "housing_fund_floor": D(30_000)})
    assert (err.value.field, err.value.code) == ("housing_fund_floor", "floor_above_ceiling")


@pytest.mark.parametrize("field", ["pension_rate", "medical_rate", "unemployment_rate",
                                   "housing_fund_rate"])
def test_rate_above_one_is_refused(field):
    with pytest.raises(WageInputError) as err:
        employee_contributions(wage=D(1), **{**EXAMPLE, field: D(8)})
    assert (err.value.field, err.value.code) == (field, "out_of_range")


money = st.decimals(min_value=D(0), max_value=D(1_000_000), places=2)
rates = st.decimals(min_value=D(0), max_value=D("0.3"), places=3)


@given(wage=money, si_a=money, si_b=money, hf_a=money, hf_b=money, pension=rates,
       medical=rates, unemployment=rates, fund=rates)
def test_contributions_stay_within_floor_and_ceiling(wage, si_a, si_b, hf_a, hf_b, pension,
                                                     medical, unemployment, fund):
    si_floor, si_ceiling = sorted((si_a, si_b))
    hf_floor, hf_ceiling = sorted((hf_a, hf_b))
    result = employee_contributions(
        wage=wage, social_insurance_floor=si_floor, social_insurance_ceiling=si_ceiling,
        pension_rate=pension, medical_rate=medical, unemployment_rate=unemployment,
        housing_fund_floor=hf_floor, housing_fund_ceiling=hf_ceiling, housing_fund_rate=fund)
    assert si_floor <= result.social_insurance_base <= si_ceiling
    assert hf_floor <= result.housing_fund_base <= hf_ceiling
    for share, share_rate in ((result.pension, pension), (result.medical, medical),
                              (result.unemployment, unemployment)):
        assert to_fen(si_floor * share_rate) <= share <= to_fen(si_ceiling * share_rate)
    assert to_fen(hf_floor * fund) <= result.housing_fund <= to_fen(hf_ceiling * fund)


@given(low=money, high=money, floor=money, ceiling=money)
def test_base_never_falls_when_the_wage_rises(low, high, floor, ceiling):
    assume(floor <= ceiling)
    low, high = sorted((low, high))
    assert contribution_base(low, floor, ceiling) <= contribution_base(high, floor, ceiling)
