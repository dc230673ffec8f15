"""A safe arithmetic evaluator over Decimal, for parametric question formulas.

The grammar is deliberately tiny and parsed by hand (recursive descent); no
``eval``/``exec``/``compile`` is involved, so there is nothing to escape from::

    expr   := term (("+" | "-" | "−") term)*
    term   := unary (("*" | "×" | "/" | "÷") unary)*
    unary  := ("-" | "−" | "+") unary | atom
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Numbers are ASCII decimals (``12``, ``21.75``, ``.5``) read straight into
Decimal, so ``0.1 + 0.2`` is exactly ``0.3``. Names are variables supplied by the
caller; names starting with ``_`` are refused outright. The functions are
``round(x[, places])`` (ROUND_HALF_UP, the Chinese accounting convention, not
Python's banker's rounding), ``min``, ``max``, ``abs``, ``floor`` and ``ceil``.
Powers are not supported: wage formulas do not need them and they are the
easiest way to make a formula take forever.

Every problem raises `ExpressionError` with a ``code`` and the 0-based
character ``position`` it refers to.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

MAX_LENGTH = 1000
MAX_DEPTH = 40  #: nesting limit, far below Python's recursion limit
MAX_PLACES = 10  #: round(x, places) accepts 0..MAX_PLACES
_PRECISION = 28

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<power>\*\*|\^)"
    r"|(?P<op>[-+*/×÷−])"
    r"|(?P<punct>[(),])"
)
_CANONICAL_OP = {"−": "-", "×": "*", "÷": "/"}


class ExpressionError(ValueError):
    """A formula that cannot be parsed or evaluated; ``position`` is 0-based."""

    def __init__(self, code: str, position: int, message: str = ""):
        super().__init__(f"{message or code} at position {position}")
        self.code = code
        self.position = position


@dataclass(frozen=True)
class _Token:
    kind: str  #: number, name, op, punct or end
    text: str
    position: int


@dataclass(frozen=True)
class Number:
    value: Decimal
    position: int


@dataclass(frozen=True)
class Name:
    name: str
    position: int


@dataclass(frozen=True)
class Negate:
    operand: Node
    position: int


@dataclass(frozen=True)
class BinaryOp:
    op: str  #: one of + - * /
    left: Node
    right: Node
    position: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    position: int


Node = Number | Name | Negate | BinaryOp | Call


def _round(x: Decimal, places: Decimal = Decimal(0)) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


# name -> (implementation, min args, max args or None for "any")
_FUNCTIONS: dict[str, tuple[Callable[..., Decimal], int, int | None]] = {
    "round": (_round, 1, 2),
    "min": (min, 1, None),
    "max": (max, 1, None),
    "abs": (abs, 1, 1),
    "floor": (lambda x: x.to_integral_value(rounding=ROUND_FLOOR), 1, 1),
    "ceil": (lambda x: x.to_integral_value(rounding=ROUND_CEILING), 1, 1),
}
FUNCTIONS = frozenset(_FUNCTIONS)


def _tokenise(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionError("unexpected_character", pos, f"unexpected {text[pos]!r}")
        kind = match.lastgroup or ""
        if kind == "power":
            raise ExpressionError("power_not_supported", pos, "powers are not supported")
        if kind != "space":
            tokens.append(_Token(kind, _CANONICAL_OP.get(match.group(), match.group()), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, text: str) -> _Token:
        if self.current.kind != "punct" or self.current.text != text:
            raise ExpressionError("expected", self.current.position, f"expected {text!r}")
        return self.take()

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("too_deep", self.current.position, "nested too deeply")
        node = self.term()
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.take()
            node = BinaryOp(op.text, node, self.term(), op.position)
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.current.kind == "op" and self.current.text in "*/":
            op = self.take()
            node = BinaryOp(op.text, node, self.unary(), op.position)
        return node

    def unary(self) -> Node:
        if self.current.kind == "op" and self.current.text in "+-":
            op = self.take()
            self.depth += 1  # "- - - - 1" nests like parentheses do
            if self.depth > MAX_DEPTH:
                raise ExpressionError("too_deep", op.position, "nested too deeply")
            operand = self.unary()
            self.depth -= 1
            return Negate(operand, op.position) if op.text == "-" else operand
        return self.atom()

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.take()
            return Number(Decimal(token.text), token.position)
        if token.kind == "name":
            return self.name_or_call()
        if token.text == "(" and token.kind == "punct":
            self.take()
            node = self.expression()
            self.expect(")")
            return node
        what = "end of formula" if token.kind == "end" else repr(token.text)
        raise ExpressionError("unexpected_token", token.position, f"unexpected {what}")

    def name_or_call(self) -> Node:
        token = self.take()
        if token.text.startswith("_"):
            raise ExpressionError("forbidden_name", token.position, f"name {token.text!r}")
        if self.current.text != "(":
            return Name(token.text, token.position)
        if token.text not in _FUNCTIONS:
            raise ExpressionError("unknown_function", token.position, f"no function {token.text!r}")
        self.take()
        args = [self.expression()]
        while self.current.text == ",":
            self.take()
            args.append(self.expression())
        self.expect(")")
        _check_arity(token, len(args))
        return Call(token.text, tuple(args), token.position)


def _check_arity(token: _Token, count: int) -> None:
    _, least, most = _FUNCTIONS[token.text]
    if count < least or (most is not None and count > most):
        raise ExpressionError("wrong_arity", token.position, f"{token.text}() arguments")


@dataclass(frozen=True)
class Expression:
    """A parsed formula; `evaluate` it with a mapping of variable values."""

    text: str
    root: Node
    names: frozenset[str]  #: the variables the formula refers to

    def evaluate(self, values: Mapping[str, Decimal | int]) -> Decimal:
        """The value of the formula, computed in Decimal with 28 significant digits."""
        with decimal.localcontext() as ctx:
            ctx.prec = _PRECISION
            return _evaluate(self.root, values)


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an `Expression` or raise `ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError("not_text", 0, "a formula is text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError("too_long", MAX_LENGTH, "formula too long")
    parser = _Parser(_tokenise(text))
    root = parser.expression()
    if parser.current.kind != "end":
        raise ExpressionError("unexpected_token", parser.current.position,
                              f"unexpected {parser.current.text!r}")
    return Expression(text, root, frozenset(_names(root)))


def evaluate(text: str, values: Mapping[str, Decimal | int] | None = None) -> Decimal:
    """Parse and evaluate ``text`` in one step; see `Expression.evaluate`."""
    return parse_expression(text).evaluate(values or {})


def _names(node: Node):
    if isinstance(node, Name):
        yield node.name
    elif isinstance(node, Negate):
        yield from _names(node.operand)
    elif isinstance(node, BinaryOp):
        yield from _names(node.left)
        yield from _names(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _names(arg)


def _evaluate(node: Node, values: Mapping[str, Decimal | int]) -> Decimal:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return _variable(node, values)
    if isinstance(node, Negate):
        return -_evaluate(node.operand, values)
    if isinstance(node, BinaryOp):
        return _binary(node, _evaluate(node.left, values), _evaluate(node.right, values))
    return _call(node, [_evaluate(arg, values) for arg in node.args])


def _variable(node: Name, values: Mapping[str, Decimal | int]) -> Decimal:
    value = values.get(node.name)
    # bool is an int subclass and float is inexact: neither belongs in money sums
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ExpressionError("unknown_variable", node.position, f"no value for {node.name!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ExpressionError("not_finite", node.position, f"{node.name} is not finite")
    return value


def _binary(node: BinaryOp, left: Decimal, right: Decimal) -> Decimal:
    if node.op == "/" and right == 0:
        raise ExpressionError("division_by_zero", node.position, "division by zero")
    try:
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        return left * right if node.op == "*" else left / right
    except decimal.DecimalException:
        raise ExpressionError("arithmetic", node.position, "result out of range") from None


def _call(node: Call, args: list[Decimal]) -> Decimal:
    function = _FUNCTIONS[node.function][0]
    if node.function == "round" and len(args) == 2:
        places = args[1]
        if places != places.to_integral_value() or not 0 <= places <= MAX_PLACES:
            raise ExpressionError("bad_places", node.args[1].position, "places must be 0..10")
    try:
        return function(*args)
    except decimal.DecimalException:
        raise ExpressionError("arithmetic", node.position, "result out of range") from None
