"""Parametric items: drawing the numbers, computing the answer, showing the stem.

A candidate's numbers come from the item seed alone (`instantiate`), so an
attempt re-scored later sees the same numbers. The answer is computed in
Decimal, either by a formula (`lms.domain.expressions`) or by a named
calculator, then rounded as the spec declares (`compute_answer`).

Calculators live elsewhere (``lms.domain.wages``) and are looked up in a
`CalculatorRegistry`: a name → callable taking Decimal keyword arguments and
returning a Decimal, or an object with a Decimal ``result`` or ``amount``
attribute. Pass a registry explicitly (tests build their own); the module-level
`DEFAULT_CALCULATORS` is for the application to fill once at start-up.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from lms.domain.expressions import ExpressionError, parse_expression
from lms.domain.items import PLACEHOLDER, ItemSpecError, ParametricSpec, Variable
from lms.domain.seeding import draw_index, rng

Calculator = Callable[..., Any]


class CalculatorRegistry:
    """Named calculators for parametric answers."""

    def __init__(self, calculators: Mapping[str, Calculator] | None = None):
        self._calculators: dict[str, Calculator] = {}
        for name, function in (calculators or {}).items():
            self.register(name, function)

    def register(self, name: str, function: Calculator | None = None) -> Any:
        """Register ``function`` under ``name``; without ``function``, act as a decorator."""
        if function is None:
            return lambda fn: self.register(name, fn)
        if not name or name in self._calculators:
            raise ValueError(f"calculator name {name!r} is empty or taken")
        self._calculators[name] = function
        return function

    def get(self, name: str) -> Calculator:
        """The calculator called ``name``, or `ItemSpecError` at ``calculator.name``."""
        if name not in self._calculators:
            raise ItemSpecError("calculator.name", "unknown_calculator", name)
        return self._calculators[name]

    def __contains__(self, name: object) -> bool:
        return name in self._calculators

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._calculators)


DEFAULT_CALCULATORS = CalculatorRegistry()


def instantiate(spec: ParametricSpec, seed: int) -> dict[str, Decimal]:
    """The candidate's variable values: the same ``seed`` always gives the same values.

    Variables are drawn in declaration order, so reordering them in a bank
    changes the draws of a seed; attempts keep their frozen spec for that reason.
    """
    generator = rng(seed)
    return {v.name: v.min + v.step * draw_index(generator, v.count) for v in spec.variables}


def compute_answer(spec: ParametricSpec, values: Mapping[str, Decimal],
                   calculators: CalculatorRegistry | None = None) -> Decimal:
    """The correct answer for ``values``, rounded to ``spec.places`` with ``spec.rounding``.

    Raises `ItemSpecError` when this instance cannot be computed (a division by
    zero for these values, an unknown calculator, a calculator refusing its input).
    """
    if spec.expression is not None:
        raw = _evaluate(spec.expression, values, "expression")
    else:
        raw = _call_calculator(spec, values, calculators or DEFAULT_CALCULATORS)
    try:
        return raw.quantize(Decimal(1).scaleb(-spec.places), rounding=spec.rounding.value)
    except decimal.DecimalException:
        raise ItemSpecError("expression", "answer_out_of_range", str(raw)) from None


def _evaluate(text: str, values: Mapping[str, Decimal], path: str) -> Decimal:
    try:
        return parse_expression(text).evaluate(values)
    except ExpressionError as err:
        raise ItemSpecError(path, "evaluation_failed", str(err)) from None


def _call_calculator(spec: ParametricSpec, values: Mapping[str, Decimal],
                     calculators: CalculatorRegistry) -> Decimal:
    call = spec.calculator
    assert call is not None  # the spec validated that one of the two is set
    function = calculators.get(call.name)
    kwargs = {arg.name: _evaluate(arg.expression, values, f"calculator.arguments.{i}.expression")
              for i, arg in enumerate(call.arguments)}
    try:
        result = function(**kwargs)
    except (ArithmeticError, ValueError, TypeError) as err:
        raise ItemSpecError("calculator", "calculator_failed", repr(err)) from None
    return _as_decimal(result)


def _as_decimal(result: Any) -> Decimal:
    """A calculator's answer: a Decimal itself, or its ``result`` / ``amount`` attribute."""
    for candidate in (result, getattr(result, "result", None), getattr(result, "amount", None)):
        if isinstance(candidate, Decimal) and candidate.is_finite():
            return candidate
    raise ItemSpecError("calculator", "not_a_decimal_result", type(result).__name__)


def variable_places(variable: Variable) -> int:
    """Decimal places a variable is shown with: 2 for money, else as fine as min and step."""
    if variable.money:
        return 2
    exponents = (variable.min.as_tuple().exponent, variable.step.as_tuple().exponent)
    return max(0, *(-int(e) for e in exponents))


def format_value(value: Decimal, places: int) -> str:
    """``Decimal("12345.6"), 2`` → ``"12,345.60"``: rounded half up, thousands grouped."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    # quantize first: format() alone would round half-even
    return f"{rounded:,.{places}f}"


def render_stem(spec: ParametricSpec, values: Mapping[str, Decimal]) -> str:
    """The stem with each ``{name}`` replaced by its formatted value."""
    variables = {v.name: v for v in spec.variables}
    missing = sorted(variables.keys() - values.keys())
    if missing:
        raise ValueError(f"no values for {', '.join(missing)}")

    def substitute(match: Any) -> str:
        variable = variables[match.group(1)]
        return format_value(values[variable.name], variable_places(variable))

    return PLACEHOLDER.sub(substitute, spec.stem)


def format_answer(spec: ParametricSpec, answer: Decimal) -> str:
    """The expected answer as feedback shows it (two decimals when ``spec.money``)."""
    return format_value(answer, 2 if spec.money else spec.places)


def check_instances(spec: ParametricSpec, calculators: CalculatorRegistry | None = None,
                    seeds: Iterable[int] = range(20)) -> None:
    """Compute the answer at the variables' minimum, maximum and a few seeds.

    Bank import should call this so that an unknown calculator or a formula that
    divides by zero for some values is found before a candidate meets it.
    """
    corners = [{v.name: v.min for v in spec.variables}, {v.name: v.max for v in spec.variables}]
    for values in corners + [instantiate(spec, seed) for seed in seeds]:
        compute_answer(spec, values, calculators)
