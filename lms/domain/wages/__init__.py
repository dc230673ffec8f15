"""Wage calculators for labour-law questions and the public tools page.

One module per calculator. All are pure: ``Decimal`` (and ``date``) in,
frozen dataclasses out, each carrying its result and the `Step`\\ s that
explain it — a stable code plus the figures used, for a page to put into
words. Inputs that cannot be used raise `WageInputError(field, code)`.
Rounding is stated in `lms.domain.wages.common`.

Only national rules are constants here (21.75 pay days, 150/200/300 %, the
tax table, the caps of 劳动合同法第47条 …). Local figures — minimum wage,
average wage, contribution rates, floors and ceilings — are always inputs.
Sources: /work/shared/domain/law_facts.md and the statute texts beside it.
"""

from lms.domain.wages.common import Basis, Figure, Step, Unit, WageInputError
from lms.domain.wages.compensation import (
    Compensation,
    Damages,
    compensation_months,
    economic_compensation,
    unlawful_termination_damages,
)
from lms.domain.wages.contributions import (
    Contributions,
    contribution_base,
    employee_contributions,
)
from lms.domain.wages.conversion import WageRates, daily_and_hourly_wage
from lms.domain.wages.deduction import DeductionLimit, damage_deduction_limit
from lms.domain.wages.double_wage import DoubleWage, no_contract_double_wage
from lms.domain.wages.income_tax import (
    Withholding,
    bracket_for,
    monthly_withholding,
    tax_on,
    withholding_schedule,
)
from lms.domain.wages.levies import social_insurance_late_fee, union_fund_allocation
from lms.domain.wages.overtime import OvertimePay, overtime_pay
from lms.domain.wages.probation import (
    ProbationComparison,
    ProbationFloor,
    probation_wage_floor,
)

__all__ = [
    "Basis", "Compensation", "Contributions", "Damages", "DeductionLimit", "DoubleWage",
    "Figure", "OvertimePay", "ProbationComparison", "ProbationFloor", "Step", "Unit",
    "WageInputError", "WageRates", "Withholding", "bracket_for", "compensation_months",
    "contribution_base", "daily_and_hourly_wage", "damage_deduction_limit",
    "economic_compensation", "employee_contributions", "monthly_withholding",
    "no_contract_double_wage", "overtime_pay", "probation_wage_floor",
    "social_insurance_late_fee", "tax_on", "union_fund_allocation",
    "unlawful_termination_damages", "withholding_schedule",
]
