"""Individual income tax by cumulative withholding (个人所得税法第6、11条;
国家税务总局公告2018年第61号; rate table law_facts §6.2)."""

from decimal import Decimal as D
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.wages import WageInputError, monthly_withholding, tax_on, withholding_schedule
from lms.domain.wages.income_tax import BRACKETS, bracket_for

money = st.decimals(min_value=D(0), max_value=D(5_000_000), places=2)


def test_law_facts_6_3_example_month_3_withholds_2000():
    """law_facts §6.3 算例: 30,000 a month, 3,000 special, 2,000 child education."""
    month3 = monthly_withholding(
        month=3, cumulative_income=D(90_000), cumulative_special_deductions=D(9_000),
        cumulative_special_additional_deductions=D(6_000), tax_withheld_before=D(1_480))
    assert month3.basic_deduction == D(15_000)
    assert month3.taxable_income == D(60_000)
    assert (month3.bracket.rate, month3.bracket.quick_deduction) == (D("0.10"), D(2_520))
    assert month3.cumulative_tax == D("3480.00")
    assert month3.tax_this_month == D("2000.00")


def test_law_facts_6_3_table_and_full_year():
    """law_facts §6.3: 600 / 880 / 2,000; the 20 % band from month 8 (3,600 then
    4,000); 31,080 for the year on 240,000."""
    schedule = withholding_schedule(monthly_income=D(30_000), monthly_special_deductions=D(3_000),
                                    monthly_special_additional_deductions=D(2_000))
    assert [m.tax_this_month for m in schedule[:3]] == [D(600), D(880), D(2_000)]
    assert [m.cumulative_tax for m in schedule[:3]] == [D(600), D(1_480), D(3_480)]
    assert schedule[7].bracket.level == 3 and schedule[6].bracket.level == 2
    assert schedule[7].tax_this_month == D(3_600)
    assert {m.tax_this_month for m in schedule[8:]} == {D(4_000)}
    assert schedule[-1].taxable_income == D(240_000)
    assert schedule[-1].cumulative_tax == D(31_080)
    assert sum(m.tax_this_month for m in schedule) == D(31_080)


def test_law_facts_6_3_second_example_crosses_the_band_in_month_5():
    """law_facts §6.3 对照: 8,000 a month taxable → 240 × 4, then 520 in month 5."""
    schedule = withholding_schedule(monthly_income=D(20_000), monthly_special_deductions=D(2_000),
                                    monthly_special_additional_deductions=D(5_000),
                                    through_month=5)
    assert [m.tax_this_month for m in schedule] == [D(240)] * 4 + [D(520)]


def test_law_facts_6_4_question_3_month_4_withholds_1200():
    """law_facts §6.4 例题 3: cumulative taxable 48,000 by April, 1,080 withheld."""
    april = monthly_withholding(month=4, cumulative_income=D(68_000),
                                tax_withheld_before=D(1_080))
    assert april.taxable_income == D(48_000)
    assert april.cumulative_tax == D(2_280)
    assert april.tax_this_month == D(1_200)


def test_quick_deductions_follow_from_the_bands():
    """law_facts §6.2: quick deduction = previous + lower bound × (rate − previous rate)."""
    for lower, upper in pairwise(BRACKETS):
        assert upper.quick_deduction == (
            lower.quick_deduction + lower.upper * (upper.rate - lower.rate))


@pytest.mark.parametrize("edge, level, tax", [
    (D(36_000), 1, D(1_080)), (D(144_000), 2, D(11_880)), (D(300_000), 3, D(43_080)),
    (D(420_000), 4, D(73_080)), (D(660_000), 5, D(145_080)), (D(960_000), 6, D(250_080)),
])
def test_bracket_edges_belong_to_the_lower_band_and_tax_is_continuous(edge, level, tax):
    """"不超过 36,000" includes 36,000; one fen more moves up a band, tax hardly moves."""
    assert bracket_for(edge).level == level
    assert bracket_for(edge + D("0.01")).level == level + 1
    assert tax_on(edge) == tax
    assert tax <= tax_on(edge + D("0.01")) <= tax + D("0.01")


def test_nothing_taxable_gives_no_tax():
    january = monthly_withholding(month=1, cumulative_income=D(4_000))
    assert january.taxable_income == 0
    assert january.cumulative_tax == 0
    assert "no_taxable_income" in [s.code for s in january.steps]


def test_a_negative_balance_is_not_refunded_this_month():
    """law_facts §6.14: "本期余额为负的暂不退税" — 0 now, settled at reconciliation."""
    # January paid 30,000 (25,000 taxable: 750 withheld); February paid nothing, and
    # its 5,000 deduction brings the cumulative tax down to 20,000 × 3 % = 600
    february = monthly_withholding(month=2, cumulative_income=D(30_000),
                                   tax_withheld_before=D(750))
    assert february.cumulative_tax == D(600)
    assert february.difference == D(-150)
    assert february.tax_this_month == 0
    assert february.steps[-1].code == "negative_not_refunded"


def test_relief_and_tax_free_income_reduce_the_tax():
    month = monthly_withholding(month=1, cumulative_income=D(20_000),
                                cumulative_tax_free_income=D(5_000),
                                cumulative_tax_relief=D(100))
    assert month.taxable_income == D(10_000)
    assert month.cumulative_tax == D(200)  # 300 − 100


@pytest.mark.parametrize("month", [0, 13])
def test_month_outside_the_year_is_refused(month):
    with pytest.raises(WageInputError) as err:
        monthly_withholding(month=month, cumulative_income=D(1))
    assert (err.value.field, err.value.code) == ("month", "out_of_range")


def test_negative_amount_is_refused_naming_its_field():
    with pytest.raises(WageInputError) as err:
        monthly_withholding(month=1, cumulative_income=D(1), tax_withheld_before=D(-1))
    assert (err.value.field, err.value.code) == ("tax_withheld_before", "negative")


@given(month=st.integers(1, 12), income=money, special=money, additional=money,
       withheld=money)
def test_tax_for_the_month_is_never_negative(month, income, special, additional, withheld):
    result = monthly_withholding(month=month, cumulative_income=income,
                                 cumulative_special_deductions=special,
                                 cumulative_special_additional_deductions=additional,
                                 tax_withheld_before=withheld)
    assert result.tax_this_month >= 0
    assert result.tax_this_month == max(result.cumulative_tax - withheld, 0)


@given(month=st.integers(1, 12), low=money, high=money, deductions=money)
def test_cumulative_tax_never_falls_when_income_rises(month, low, high, deductions):
    low, high = sorted((low, high))

    def tax(income):
        return monthly_withholding(month=month, cumulative_income=income,
                                   cumulative_special_deductions=deductions).cumulative_tax

    assert tax(low) <= tax(high)


@given(monthly=st.decimals(min_value=D(0), max_value=D(200_000), places=2))
def test_a_steady_wage_withholds_exactly_the_year_s_tax(monthly):
    schedule = withholding_schedule(monthly_income=monthly)
    assert sum(m.tax_this_month for m in schedule) == schedule[-1].cumulative_tax
