"""The probation wage floor (劳动合同法第20条; 实施条例第15条)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.wages import ProbationComparison, WageInputError, probation_wage_floor


def test_law_facts_3_f_probation_floor_is_4800():
    """law_facts §3.2 算例 3-F: max(6,000 × 80 % = 4,800, 2,500) = 4,800."""
    result = probation_wage_floor(comparison_wage=D(6_000), local_minimum_wage=D(2_500))
    assert result.eighty_percent == D(4_800)
    assert result.floor == D(4_800)
    assert result.steps[0].code == "probation_80_agreed_wage"


def test_minimum_wage_wins_when_80_percent_is_lower():
    result = probation_wage_floor(comparison_wage=D(3_000), local_minimum_wage=D(2_500))
    assert result.eighty_percent == D(2_400)
    assert result.floor == D(2_500)


def test_lowest_post_wage_is_named_in_the_step():
    """law_facts P10: name one comparison wage; this one is the post's lowest grade."""
    result = probation_wage_floor(comparison_wage=D(5_000), local_minimum_wage=D(2_500),
                                  comparison=ProbationComparison.LOWEST_POST_WAGE)
    assert result.steps[0].code == "probation_80_lowest_post_wage"
    assert result.floor == D(4_000)


def test_the_80_percent_floor_rounds_up_to_the_fen():
    # 6,000.01 × 0.8 = 4,800.008: paying 4,800.00 would be below 80 %
    result = probation_wage_floor(comparison_wage=D("6000.01"), local_minimum_wage=D(0))
    assert result.floor == D("4800.01")


@pytest.mark.parametrize("paid, shortfall, code", [
    (D(4_800), D(0), "probation_wage_ok"), (D(4_500), D(300), "probation_wage_short"),
])
def test_a_probation_wage_is_checked_against_the_floor(paid, shortfall, code):
    result = probation_wage_floor(comparison_wage=D(6_000), local_minimum_wage=D(2_500),
                                  probation_wage=paid)
    assert result.shortfall == shortfall
    assert result.steps[-1].code == code


def test_negative_minimum_wage_is_refused():
    with pytest.raises(WageInputError) as err:
        probation_wage_floor(comparison_wage=D(6_000), local_minimum_wage=D(-1))
    assert (err.value.field, err.value.code) == ("local_minimum_wage", "negative")


money = st.decimals(min_value=D("0.01"), max_value=D(1_000_000), places=2)


@given(wage=money, minimum=money)
def test_floor_is_at_least_80_percent_and_the_minimum_wage(wage, minimum):
    result = probation_wage_floor(comparison_wage=wage, local_minimum_wage=minimum)
    assert result.floor >= wage * D("0.8")
    assert result.floor >= minimum
    assert result.floor - max(wage * D("0.8"), minimum) < D("0.01")


def test_an_unknown_comparison_is_refused():
    with pytest.raises(WageInputError) as err:
        probation_wage_floor(comparison_wage=D(6_000), local_minimum_wage=D(2_500),
                             comparison="average_wage")
    assert (err.value.field, err.value.code) == ("comparison", "unknown")
