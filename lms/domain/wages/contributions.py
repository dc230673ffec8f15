"""The employee's own social insurance and housing fund contributions.

Every rate, floor and ceiling here is a local parameter the caller supplies:
no rate is national law except the housing fund's 5 % minimum (住房公积金管理
条例第18条) and the nil employee share for work-injury and maternity insurance
(社会保险法第33、53条). The two constants below are *examples* a form may
offer, each labelled with its source; the calculation never falls back on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lms.domain.wages.common import (
    Basis,
    Step,
    WageInputError,
    amount,
    fraction,
    rate,
    step,
    to_fen,
    yuan,
)

#: Example only: the individual pension rate set nationally by 国发〔2005〕38号
#: (law_facts §7.2, 🔶 secondary source).
EXAMPLE_PENSION_RATE = Decimal("0.08")
#: Example only: the general individual medical rate of 国发〔1998〕44号
#: (law_facts §7.2, 🔶; places add their own supplements).
EXAMPLE_MEDICAL_RATE = Decimal("0.02")
#: The housing fund rate may not be set below 5 % (条例第18条, ✅); 12 % is
#: ministry guidance only (🔶), so neither bound is enforced here.
HOUSING_FUND_MINIMUM_RATE = Decimal("0.05")

CITATIONS = (Basis.SOCIAL_INSURANCE_LAW_12, Basis.SOCIAL_INSURANCE_LAW_23,
             Basis.SOCIAL_INSURANCE_LAW_44, Basis.SOCIAL_INSURANCE_LAW_33_53,
             Basis.HOUSING_FUND_16_18)


@dataclass(frozen=True)
class Contributions:
    """What is withheld from the employee's wage: three insurances and the fund."""

    social_insurance_base: Decimal
    pension: Decimal
    medical: Decimal
    unemployment: Decimal
    social_insurance_total: Decimal
    housing_fund_base: Decimal
    housing_fund: Decimal
    total: Decimal
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def contribution_base(wage: Decimal, floor: Decimal, ceiling: Decimal) -> Decimal:
    """The wage, raised to the floor or lowered to the ceiling ("保底" / "封顶")."""
    return min(max(wage, floor), ceiling)


def _limits(prefix: str, floor, ceiling) -> tuple[Decimal, Decimal]:
    low = amount(floor, f"{prefix}_floor")
    high = amount(ceiling, f"{prefix}_ceiling")
    if low > high:
        raise WageInputError(f"{prefix}_floor", "floor_above_ceiling")
    return low, high


def _share(code: str, base: Decimal, share: Decimal, basis: Basis) -> tuple[Decimal, Step]:
    paid = to_fen(base * share)
    return paid, step(code, basis=(basis,), base=yuan(base), rate=rate(share), amount=yuan(paid))


def _base_step(code: str, wage: Decimal, floor: Decimal, ceiling: Decimal,
               basis: Basis) -> tuple[Decimal, Step]:
    base = contribution_base(wage, floor, ceiling)
    return base, step(code, basis=(basis,), wage=yuan(wage), floor=yuan(floor),
                      ceiling=yuan(ceiling), base=yuan(base))


def _social_insurance(pay: Decimal, floor: Decimal, ceiling: Decimal,
                      rates: dict[str, Decimal]) -> tuple[Decimal, dict[str, Decimal], list[Step]]:
    base, base_step = _base_step("social_insurance_base", pay, floor, ceiling,
                                 Basis.SOCIAL_INSURANCE_LAW_12)
    shares, steps = {}, [base_step]
    for name, basis in (("pension", Basis.SOCIAL_INSURANCE_LAW_12),
                        ("medical", Basis.SOCIAL_INSURANCE_LAW_23),
                        ("unemployment", Basis.SOCIAL_INSURANCE_LAW_44)):
        shares[name], share_step = _share(name, base, rates[f"{name}_rate"], basis)
        steps.append(share_step)
    return base, shares, steps


def employee_contributions(*, wage: Decimal, social_insurance_floor: Decimal,
                           social_insurance_ceiling: Decimal, pension_rate: Decimal,
                           medical_rate: Decimal, unemployment_rate: Decimal,
                           housing_fund_floor: Decimal, housing_fund_ceiling: Decimal,
                           housing_fund_rate: Decimal) -> Contributions:
    """The employee's pension, medical, unemployment and housing fund shares.

    Legal basis: 社会保险法第12条 (pension on the employee's own wage, into the
    personal account), 第23条 (medical), 第44条 (unemployment), 第33、53条
    (work-injury and maternity: the employee pays nothing); 住房公积金管理条例
    第16、18条 (last year's average monthly wage × the rate). Each base is the
    wage kept within the local floor and ceiling (typically 60 % and 300 % of
    the local average wage, law_facts §7.2, 🔶); each share is rounded half-up
    to the fen — some places round contributions differently.

    Rates are fractions (0.08 for 8 %). The result's total is the 专项扣除 of
    the income-tax calculation.

    :raises WageInputError: a negative amount, a rate outside 0–1, or a floor
        above its ceiling.
    """
    pay = amount(wage, "wage")
    si_limits = _limits("social_insurance", social_insurance_floor, social_insurance_ceiling)
    hf_limits = _limits("housing_fund", housing_fund_floor, housing_fund_ceiling)
    rates = {name: fraction(value, name) for name, value in (
        ("pension_rate", pension_rate), ("medical_rate", medical_rate),
        ("unemployment_rate", unemployment_rate), ("housing_fund_rate", housing_fund_rate))}
    si_base, shares, si_steps = _social_insurance(pay, *si_limits, rates)
    si_total = sum(shares.values())
    hf_base, hf_step = _base_step("housing_fund_base", pay, *hf_limits, Basis.HOUSING_FUND_16_18)
    housing_fund, fund_step = _share("housing_fund", hf_base, rates["housing_fund_rate"],
                                     Basis.HOUSING_FUND_16_18)
    steps = (
        *si_steps,
        step("no_employee_share", basis=(Basis.SOCIAL_INSURANCE_LAW_33_53,)),
        step("social_insurance_total", total=yuan(si_total),
             **{name: yuan(share) for name, share in shares.items()}),
        hf_step, fund_step,
        step("contributions_total", social_insurance=yuan(si_total),
             housing_fund=yuan(housing_fund), total=yuan(si_total + housing_fund)),
    )
    return Contributions(
        social_insurance_base=si_base, pension=shares["pension"], medical=shares["medical"],
        unemployment=shares["unemployment"], social_insurance_total=si_total,
        housing_fund_base=hf_base, housing_fund=housing_fund, total=si_total + housing_fund,
        steps=steps)
