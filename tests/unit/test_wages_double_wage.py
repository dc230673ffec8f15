"""Double wages for work without a written contract (劳动合同法第82条;
实施条例第6、7条)."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.dates import add_months
from lms.domain.wages import WageInputError, no_contract_double_wage


def double(start, wage=6_000, **kw):
    return no_contract_double_wage(employment_start=start, monthly_wage=D(wage), **kw)


def test_law_facts_3_d_signed_after_six_months_gives_five_months():
    """law_facts §3.2 算例 3-D: start 2024-03-01, signed 2024-09-01 → 2024-04-01 to
    2024-08-31, 5 months, 30,000 extra."""
    result = double(date(2024, 3, 1), contract_signed=date(2024, 9, 1))
    assert (result.period_start, result.period_end) == (date(2024, 4, 1), date(2024, 8, 31))
    assert (result.full_months, result.extra_days) == (5, 0)
    assert result.extra_wage == D(30_000)
    assert result.deemed_open_ended_on is None


def test_law_facts_3_d_never_signed_stops_at_eleven_months():
    """算例 3-D, second part: still unsigned on 2025-03-01 → 2024-04-01 to 2025-02-28,
    11 months, 66,000, and an open-ended contract deemed made on 2025-03-01."""
    result = double(date(2024, 3, 1), as_of=date(2025, 3, 1))
    assert (result.period_start, result.period_end) == (date(2024, 4, 1), date(2025, 2, 28))
    assert result.full_months == 11
    assert result.extra_wage == D(66_000)
    assert result.deemed_open_ended_on == date(2025, 3, 1)
    assert result.steps[-1].code == "deemed_open_ended"


def test_signed_years_later_still_stops_at_eleven_months():
    result = double(date(2024, 3, 1), contract_signed=date(2026, 6, 1))
    assert result.full_months == 11 and result.extra_days == 0
    assert result.deemed_open_ended_on == date(2025, 3, 1)


@pytest.mark.parametrize("signed", [date(2024, 2, 1), date(2024, 3, 1), date(2024, 3, 20),
                                    date(2024, 4, 1)])
def test_signed_within_the_first_month_owes_nothing(signed):
    """Signed by 2024-04-01 (the day the double wage would start): nothing is owed."""
    result = double(date(2024, 3, 1), contract_signed=signed)
    assert result.period_end is None
    assert result.extra_wage == 0
    assert result.steps[-1].code == "double_wage_none"


def test_one_day_late_owes_one_day_pro_rata():
    result = double(date(2024, 3, 1), contract_signed=date(2024, 4, 2))
    assert (result.full_months, result.extra_days) == (0, 1)
    assert result.part_month_pay == D(200)  # 6,000 × 1 ÷ 30 (April)


def test_part_month_is_an_estimate_pro_rata_to_calendar_days():
    # 2024-04-01 … 2024-09-15: five whole months and 15 of September's 30 days
    result = double(date(2024, 3, 1), contract_signed=date(2024, 9, 16))
    assert (result.full_months, result.extra_days) == (5, 15)
    assert result.extra_wage == D(33_000)
    assert "double_wage_part_month" in [s.code for s in result.steps]


def test_unsigned_counts_up_to_the_as_of_date():
    result = double(date(2024, 3, 1), as_of=date(2024, 6, 30))
    assert result.period_end == date(2024, 6, 30)
    assert result.full_months == 3
    assert result.deemed_open_ended_on is None


def test_month_end_start_keeps_to_month_ends():
    result = double(date(2024, 1, 31), as_of=date(2025, 6, 1))
    assert result.period_start == date(2024, 2, 29)
    assert result.period_end == date(2025, 1, 30)
    assert result.full_months == 11
    assert result.deemed_open_ended_on == date(2025, 1, 31)


def test_add_months_clamps_to_the_last_day():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_as_of_is_required_without_a_signing_date():
    with pytest.raises(WageInputError) as err:
        double(date(2024, 3, 1))
    assert (err.value.field, err.value.code) == ("as_of", "required")


def test_as_of_before_the_start_is_refused():
    with pytest.raises(WageInputError) as err:
        double(date(2024, 3, 1), as_of=date(2024, 2, 1))
    assert (err.value.field, err.value.code) == ("as_of", "before_start")


@given(start=st.dates(date(2008, 1, 1), date(2030, 12, 31)),
       length=st.integers(0, 1000), signed=st.booleans(),
       wage=st.decimals(min_value=D("0.01"), max_value=D(1_000_000), places=2))
def test_never_more_than_eleven_months(start, length, signed, wage):
    end = date.fromordinal(start.toordinal() + length)
    result = no_contract_double_wage(employment_start=start, monthly_wage=wage,
                                     **({"contract_signed": end} if signed else {"as_of": end}))
    assert result.full_months <= 11
    assert 0 <= result.extra_wage <= 11 * wage


def test_a_date_far_outside_working_life_is_refused():
    with pytest.raises(WageInputError) as err:
        double(date(9999, 6, 1), as_of=date(9999, 12, 1))
    assert (err.value.field, err.value.code) == ("employment_start", "out_of_range")
