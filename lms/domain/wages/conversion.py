"""Daily and hourly wage from a monthly wage: the 21.75 pay days rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lms.domain.wages.common import (
    Basis,
    Step,
    days,
    hours,
    positive_amount,
    step,
    to_fen,
    yuan,
)

DAYS_PER_YEAR = 365
REST_DAYS_PER_YEAR = 104
#: 月计薪天数 = (365 − 104) ÷ 12: statutory holidays are paid days, so they are
#: not taken out (劳社部发〔2008〕3号 第二部分, citing 劳动法第51条).
PAY_DAYS_PER_MONTH = Decimal(DAYS_PER_YEAR - REST_DAYS_PER_YEAR) / 12
HOURS_PER_DAY = 8
PAY_HOURS_PER_MONTH = PAY_DAYS_PER_MONTH * HOURS_PER_DAY  # 174

CITATIONS = (Basis.WAGE_CONVERSION,)


@dataclass(frozen=True)
class WageRates:
    """A monthly wage converted to a daily and an hourly wage (both to the fen)."""

    monthly_wage: Decimal
    daily_wage: Decimal
    hourly_wage: Decimal
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def pay_days_step() -> Step:
    return step("monthly_pay_days", basis=CITATIONS, days_in_year=days(DAYS_PER_YEAR),
                rest_days=days(REST_DAYS_PER_YEAR), pay_days=days(PAY_DAYS_PER_MONTH))


def exact_hourly_wage(monthly_wage: Decimal) -> Decimal:
    """Monthly wage ÷ (21.75 × 8), unrounded, for calculations built on it."""
    return monthly_wage / PAY_HOURS_PER_MONTH


def hourly_wage_step(monthly_wage: Decimal) -> Step:
    return step("hourly_wage", basis=CITATIONS, monthly=yuan(monthly_wage),
                pay_days=days(PAY_DAYS_PER_MONTH), hours_per_day=hours(HOURS_PER_DAY),
                hourly=yuan(exact_hourly_wage(monthly_wage)))


def daily_and_hourly_wage(monthly_wage: Decimal) -> WageRates:
    """Daily wage = monthly ÷ 21.75; hourly wage = monthly ÷ (21.75 × 8).

    Legal basis: 关于职工全年月平均工作时间和工资折算问题的通知（劳社部发〔2008〕3号）
    第二部分 "日工资、小时工资的折算". Each is computed from the monthly wage
    and rounded half-up to the fen (so the hourly wage is not the rounded daily
    wage ÷ 8).

    :raises WageInputError: ``monthly_wage`` is not above zero.
    """
    monthly = positive_amount(monthly_wage, "monthly_wage")
    daily = monthly / PAY_DAYS_PER_MONTH
    steps = (
        pay_days_step(),
        step("daily_wage", basis=CITATIONS, monthly=yuan(monthly),
             pay_days=days(PAY_DAYS_PER_MONTH), daily=yuan(daily)),
        hourly_wage_step(monthly),
    )
    return WageRates(monthly, to_fen(daily), to_fen(exact_hourly_wage(monthly)), steps)
