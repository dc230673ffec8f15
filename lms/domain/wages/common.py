"""What every wage calculator shares: money rounding, input checks, and the
explained steps a result carries.

Rounding policy (stated once, used everywhere):

- an amount owed (overtime pay, tax, a contribution, compensation) is rounded
  half-up to the fen (0.01 yuan) — payroll practice, no statute says otherwise;
- a legal *floor* ("不得低于", e.g. the probation wage) is rounded up to the fen
  and a legal *cap* ("不得超过", e.g. the 20 % deduction limit) down, so that a
  payment checked against the rounded figure never breaks the rule by a fraction
  of a fen;
- intermediate rates (a daily or hourly wage that does not divide evenly) are
  kept exact, and products are formed before dividing, so that quotients which
  terminate stay exact; only the final amount is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

FEN = Decimal("0.01")
ZERO = Decimal(0)


class WageInputError(ValueError):
    """An input a calculator cannot use; ``field`` names it, ``code`` says why.

    Codes: ``negative``, ``not_positive``, ``out_of_range`` (params ``low``,
    ``high``), ``not_finite``, ``floor_above_ceiling``, ``before_start``,
    ``required``, ``unknown`` (not one of the choices).
    """

    def __init__(self, field: str, code: str, **params):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.params = params


class Unit(StrEnum):
    """What a figure measures, so a page can print it (元, %, 小时 …)."""

    YUAN = "yuan"
    RATE = "rate"  # a fraction: 0.08 is 8 %, 1.5 is 150 %
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Figure:
    """A number (or date) in a step, with its unit; exact, not rounded."""

    value: Decimal | int | date
    unit: Unit


def yuan(value) -> Figure:
    return Figure(value, Unit.YUAN)


def rate(value) -> Figure:
    return Figure(value, Unit.RATE)


def hours(value) -> Figure:
    return Figure(value, Unit.HOURS)


def days(value) -> Figure:
    return Figure(value, Unit.DAYS)


def months(value) -> Figure:
    return Figure(value, Unit.MONTHS)


def years(value) -> Figure:
    return Figure(value, Unit.YEARS)


def number(value) -> Figure:
    return Figure(value, Unit.NUMBER)


def on(value: date) -> Figure:
    return Figure(value, Unit.DATE)


class Basis(StrEnum):
    """Stable codes of the provisions the calculators apply; pages name them."""

    WAGE_CONVERSION = "wage_conversion"  # 劳社部发〔2008〕3号 第二部分
    LABOUR_LAW_41 = "labour_law_41"
    LABOUR_LAW_44 = "labour_law_44"
    WAGE_PAYMENT_13 = "wage_payment_13"  # 工资支付暂行规定第13条
    WAGE_PAYMENT_16 = "wage_payment_16"
    IIT_LAW_6 = "iit_law_6"  # 个人所得税法第6条
    IIT_LAW_11 = "iit_law_11"
    IIT_RATE_TABLE = "iit_rate_table"  # 个人所得税法附表一（综合所得税率表）
    IIT_WITHHOLDING = "iit_withholding"  # 国家税务总局公告2018年第61号第六条
    SOCIAL_INSURANCE_LAW_12 = "social_insurance_law_12"
    SOCIAL_INSURANCE_LAW_23 = "social_insurance_law_23"
    SOCIAL_INSURANCE_LAW_33_53 = "social_insurance_law_33_53"
    SOCIAL_INSURANCE_LAW_44 = "social_insurance_law_44"
    HOUSING_FUND_16_18 = "housing_fund_16_18"  # 住房公积金管理条例第16、18条
    CONTRACT_LAW_20 = "contract_law_20"  # 劳动合同法
    CONTRACT_LAW_40 = "contract_law_40"
    CONTRACT_LAW_47 = "contract_law_47"
    CONTRACT_LAW_82 = "contract_law_82"
    CONTRACT_LAW_87 = "contract_law_87"
    CONTRACT_REGS_6_7 = "contract_regs_6_7"  # 劳动合同法实施条例
    CONTRACT_REGS_15 = "contract_regs_15"
    CONTRACT_REGS_20 = "contract_regs_20"
    CONTRACT_REGS_25 = "contract_regs_25"
    CONTRACT_REGS_27 = "contract_regs_27"


@dataclass(frozen=True)
class Step:
    """One line of a calculation: a stable ``code`` and the figures it used.

    The code says which formula the step applied (``"daily_wage"``); a page
    turns it into a sentence in the reader's language and prints the figures.
    """

    code: str
    params: Mapping[str, Figure]
    basis: tuple[Basis, ...] = field(default=())

    def __post_init__(self):
        # frozen all the way down: a result handed to a page cannot be edited
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


def step(code: str, *, basis: tuple[Basis, ...] = (), **params: Figure) -> Step:
    return Step(code, params, basis)


def to_fen(amount: Decimal) -> Decimal:
    """An amount owed, rounded half-up to the fen."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def floor_to_fen(amount: Decimal) -> Decimal:
    """A legal floor, rounded up to the fen so it never falls below the rule."""
    return amount.quantize(FEN, rounding=ROUND_UP)


def cap_to_fen(amount: Decimal) -> Decimal:
    """A legal cap, rounded down to the fen so it never exceeds the rule."""
    return amount.quantize(FEN, rounding=ROUND_DOWN)


def _as_decimal(value, name: str) -> Decimal:
    # bool is an int, and a float would bring binary rounding in: both are bugs
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise WageInputError(name, "not_finite")
    return value


def amount(value, name: str) -> Decimal:
    """A money amount that may be zero but not negative."""
    value = _as_decimal(value, name)
    if value < 0:
        raise WageInputError(name, "negative")
    return value


def positive_amount(value, name: str) -> Decimal:
    """A money amount that must be above zero (a monthly wage, an average wage)."""
    value = _as_decimal(value, name)
    if value <= 0:
        raise WageInputError(name, "not_positive")
    return value


def optional_amount(value, name: str) -> Decimal | None:
    return None if value is None else amount(value, name)


def bounded(value, name: str, low, high) -> Decimal:
    """A quantity (hours, a rate) between ``low`` and ``high`` inclusive."""
    value = _as_decimal(value, name)
    if not low <= value <= high:
        raise WageInputError(name, "out_of_range", low=low, high=high)
    return value


def whole_number(value, name: str, low: int, high: int) -> int:
    """A count (months, years) between ``low`` and ``high`` inclusive."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise WageInputError(name, "out_of_range", low=low, high=high)
    return value


def fraction(value, name: str) -> Decimal:
    """A contribution or tax rate as a fraction between 0 and 1."""
    return bounded(value, name, ZERO, Decimal(1))
