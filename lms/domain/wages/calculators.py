"""The wage calculators under the names parametric questions call them by.

Each entry takes Decimal keyword arguments (what a question's formulas give)
and returns the one Decimal the question asks for. `register_wage_calculators`
puts them into a `CalculatorRegistry`; the app does it once at start-up for
``lms.domain.parametric.DEFAULT_CALCULATORS``.
"""

from __future__ import annotations

from decimal import Decimal

from lms.domain.parametric import CalculatorRegistry
from lms.domain.wages.compensation import economic_compensation, unlawful_termination_damages
from lms.domain.wages.contributions import employee_contributions
from lms.domain.wages.conversion import daily_and_hourly_wage
from lms.domain.wages.deduction import damage_deduction_limit
from lms.domain.wages.income_tax import monthly_withholding
from lms.domain.wages.levies import social_insurance_late_fee, union_fund_allocation
from lms.domain.wages.overtime import overtime_pay
from lms.domain.wages.probation import probation_wage_floor


def _whole(value: Decimal) -> int:
    """Years, months and days arrive as Decimals from formulas; they must be whole."""
    if value != value.to_integral_value():
        raise ValueError(f"{value} is not a whole number")
    return int(value)


def _service(kwargs: dict) -> dict:
    for name in ("service_years", "extra_months", "extra_days"):
        if name in kwargs:
            kwargs[name] = _whole(kwargs[name])
    return kwargs


WAGE_CALCULATORS = {
    "daily_wage": lambda monthly_wage: daily_and_hourly_wage(monthly_wage).daily_wage,
    "hourly_wage": lambda monthly_wage: daily_and_hourly_wage(monthly_wage).hourly_wage,
    "overtime_pay": lambda **kw: overtime_pay(**kw).total,
    "economic_compensation": lambda **kw: economic_compensation(**_service(kw)).compensation,
    "unlawful_termination_damages":
        lambda **kw: unlawful_termination_damages(**_service(kw)).damages,
    "employee_contributions": lambda **kw: employee_contributions(**kw).total,
    "damage_deduction_limit": lambda **kw: damage_deduction_limit(**kw).limit,
    "probation_wage_floor": lambda **kw: probation_wage_floor(**kw).floor,
    "income_tax_this_month":
        lambda **kw: monthly_withholding(**{**kw, "month": _whole(kw["month"])}).tax_this_month,
    "union_fund_allocation": union_fund_allocation,
    "social_insurance_late_fee": social_insurance_late_fee,
}


def register_wage_calculators(registry: CalculatorRegistry) -> CalculatorRegistry:
    for name, function in WAGE_CALCULATORS.items():
        if name not in registry.names():
            registry.register(name, function)
    return registry
