"""Two levies a union cadre checks against the payroll: the union funds an
employer allocates (2 % of the total wage bill) and the late fee on social
insurance not paid on time (0.5 ‰ of the arrears a day).

Single-figure rules: the result is the answer, with no steps to explain.
"""

from __future__ import annotations

from decimal import Decimal

from lms.domain.wages.common import amount, to_fen

#: 《工会法》第四十三条: 按每月全部职工工资总额的百分之二向工会拨缴经费
UNION_FUND_RATE = Decimal("0.02")
#: 《社会保险法》第八十六条: 自欠缴之日起，按日加收万分之五的滞纳金
LATE_FEE_DAILY_RATE = Decimal("0.0005")


def union_fund_allocation(wage_total: Decimal) -> Decimal:
    """The funds due on a total wage bill (关于工资总额组成的规定 decides what counts)."""
    return to_fen(amount(wage_total, "wage_total") * UNION_FUND_RATE)


def social_insurance_late_fee(arrears: Decimal, days: Decimal) -> Decimal:
    """The late fee on unpaid contributions for ``days`` days from the day they were due."""
    days = amount(days, "days")
    if days != days.to_integral_value():
        raise ValueError(f"{days} is not a whole number of days")
    return to_fen(amount(arrears, "arrears") * LATE_FEE_DAILY_RATE * days)
