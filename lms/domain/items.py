"""The question item model: one frozen dataclass per item type.

Every spec has a Markdown ``stem``, ``points`` (a Decimal > 0 with at most two
decimal places; 0 for a description) and an ``explanation`` shown after the
exam. Specs validate themselves on construction and raise
``ItemSpecError(path, code)``, where ``path`` is dotted with 0-based list
positions (``choices.2.weight``), so an invalid spec never exists. ``to_dict()``
gives JSON-ready data (Decimals as strings, keeping trailing zeros) and
``ItemSpec.from_dict()`` reads it back exactly; unknown keys are refused.

Weights are percentages as in Moodle: a choice worth ``50`` earns half the
points when chosen, ``-100`` takes all of them away. Scoring lives in
`lms.domain.scoring`, responses in `lms.domain.responses`, the parametric
machinery in `lms.domain.parametric`, and the candidate's view in
`lms.domain.presentation`.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from lms.domain.codec import PathError, decode, encode
from lms.domain.expressions import ExpressionError, parse_expression
from lms.domain.patterns import pattern_error_detail, pattern_problem

MAX_POINTS = Decimal(1000)
MAX_ID_LENGTH = 64
MAX_VARIABLE_VALUES = 1_000_000  #: values a parametric variable may take
MAX_PLACES = 10
BLANK_MARKER = re.compile(r"\[\[(\d+)\]\]")
PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class ItemSpecError(PathError):
    """An invalid item spec: ``path`` (e.g. ``choices.2.weight``) and a ``code``."""


class ItemType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    FILL_BLANK = "fill_blank"
    NUMERIC = "numeric"
    PARAMETRIC = "parametric"
    MATCHING = "matching"
    ORDERING = "ordering"
    ESSAY = "essay"
    CASE_STUDY = "case_study"
    DESCRIPTION = "description"


class Scoring(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    PARTIAL = "partial"


class OrderScoring(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    POSITIONS = "positions"  #: share of items in their correct absolute position
    ADJACENT_PAIRS = "adjacent_pairs"  #: share of correct neighbours (a directly before b)


class ToleranceKind(StrEnum):
    ABSOLUTE = "absolute"  #: |x - v| <= tolerance
    RELATIVE = "relative"  #: |x - v| <= |v| * tolerance (0.01 is 1 %)


class UnitPolicy(StrEnum):
    OPTIONAL = "optional"  #: "1200" and "1200元" both count; a different unit does not
    REQUIRED = "required"  #: the unit must be written


class RoundingMode(StrEnum):
    """The `decimal` rounding constants; the values are usable with ``quantize``."""

    HALF_UP = decimal.ROUND_HALF_UP  #: 四舍五入, the default everywhere money is involved
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    DOWN = decimal.ROUND_DOWN
    UP = decimal.ROUND_UP
    FLOOR = decimal.ROUND_FLOOR
    CEILING = decimal.ROUND_CEILING


# ---------------------------------------------------------------- checks


def _need(condition: bool, path: str, code: str, detail: str = "") -> None:
    if not condition:
        raise ItemSpecError(path, code, detail)


def _check_text(value: object, path: str, *, required: bool = True) -> None:
    _need(isinstance(value, str), path, "not_text")
    _need(not required or bool(str(value).strip()), path, "empty")


def _check_id(value: object, path: str) -> None:
    _check_text(value, path)
    _need(len(str(value)) <= MAX_ID_LENGTH, path, "too_long")
    _need(str(value) == str(value).strip(), path, "surrounding_space")


def _check_decimal(value: object, path: str, low: Decimal | None = None,
                   high: Decimal | None = None) -> None:
    _need(isinstance(value, Decimal) and value.is_finite(), path, "not_a_decimal")
    _need((low is None or value >= low) and (high is None or value <= high),
          path, "out_of_range")


def _check_points(value: object, path: str = "points") -> None:
    _check_decimal(value, path, Decimal(0), MAX_POINTS)
    _need(value > 0, path, "out_of_range")
    _need(value == value.quantize(CENT), path, "too_precise")


def _check_tuple(value: object, path: str, cls: type, *, least: int = 0) -> None:
    _need(isinstance(value, tuple), path, "not_a_tuple")
    for i, item in enumerate(value):
        _need(isinstance(item, cls), f"{path}.{i}", "wrong_type")
    _need(len(value) >= least, path, "too_few")


def _check_unique(ids: list[str], path: str, field: str = "id") -> None:
    seen: set[str] = set()
    for i, key in enumerate(ids):
        _need(key not in seen, f"{path}.{i}.{field}", "duplicate")
        seen.add(key)


def _check_bool(value: object, path: str) -> None:
    _need(isinstance(value, bool), path, "not_a_bool")


def _check_enum(value: object, path: str, cls: type) -> None:
    _need(isinstance(value, cls), path, "unknown_choice")


def _check_int(value: object, path: str, low: int, high: int | None = None) -> None:
    _need(isinstance(value, int) and not isinstance(value, bool), path, "not_an_int")
    _need(low <= value and (high is None or value <= high), path, "out_of_range")


# ---------------------------------------------------------------- parts


@dataclass(frozen=True)
class Choice:
    """One option of a single or multiple choice item; ``weight`` is a percentage."""

    id: str
    text: str
    weight: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        _check_text(self.text, "text")
        _check_decimal(self.weight, "weight", -HUNDRED, HUNDRED)


@dataclass(frozen=True)
class Blank:
    """One blank ``[[number]]`` of a fill-in item and how answers to it are compared.

    The candidate's text and every accepted answer are normalised the same way:
    surrounding white space always goes; ``fold_width`` maps full-width letters,
    digits and punctuation to half width (NFKC); ``ignore_spaces`` drops inner
    white space (otherwise runs collapse to one space); unless
    ``case_sensitive``, case is folded. A ``pattern`` is matched with
    ``re.fullmatch`` against the normalised answer.
    """

    number: int
    accepted: tuple[str, ...] = ()
    pattern: str | None = None
    weight: Decimal = Decimal(1)  #: share of the item's points, relative to the other blanks
    case_sensitive: bool = False
    fold_width: bool = True
    ignore_spaces: bool = True

    def __post_init__(self) -> None:
        _check_int(self.number, "number", 1)
        _check_tuple(self.accepted, "accepted", str)
        for i, text in enumerate(self.accepted):
            _check_text(text, f"accepted.{i}")
        if self.pattern is not None:
            _check_pattern(self.pattern, "pattern")
        _need(bool(self.accepted) or self.pattern is not None, "accepted", "no_accepted_answer")
        _check_decimal(self.weight, "weight", Decimal(0), HUNDRED)
        _need(self.weight > 0, "weight", "out_of_range")
        for name in ("case_sensitive", "fold_width", "ignore_spaces"):
            _check_bool(getattr(self, name), name)


def _check_pattern(pattern: object, path: str) -> None:
    _check_text(pattern, path)
    problem = pattern_problem(str(pattern))
    if problem:
        raise ItemSpecError(path, problem, pattern_error_detail(str(pattern)))


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted numeric value; ``weight`` (percent) lets near-misses earn part credit."""

    value: Decimal
    tolerance: Decimal = Decimal(0)
    tolerance_kind: ToleranceKind = ToleranceKind.ABSOLUTE
    weight: Decimal = HUNDRED

    def __post_init__(self) -> None:
        _check_decimal(self.value, "value")
        _check_decimal(self.tolerance, "tolerance", Decimal(0))
        _check_enum(self.tolerance_kind, "tolerance_kind", ToleranceKind)
        _check_decimal(self.weight, "weight", Decimal(0), HUNDRED)
        _need(self.weight > 0, "weight", "out_of_range")


@dataclass(frozen=True)
class Variable:
    """A parametric variable drawn from ``min, min+step, …, max``; ``money`` shows 2 decimals."""

    name: str
    min: Decimal
    max: Decimal
    step: Decimal = Decimal(1)
    money: bool = False

    def __post_init__(self) -> None:
        _check_text(self.name, "name")
        _need(VARIABLE_NAME.fullmatch(self.name) is not None, "name", "not_an_identifier")
        _check_decimal(self.min, "min")
        _check_decimal(self.max, "max", self.min)
        _check_decimal(self.step, "step", Decimal(0))
        _need(self.step > 0, "step", "out_of_range")
        # count first: the remainder of a huge quotient is not computable in Decimal
        _need(self.count <= MAX_VARIABLE_VALUES, "step", "too_many_values")
        _need((self.max - self.min) % self.step == 0, "step", "does_not_divide_range")
        _check_bool(self.money, "money")

    @property
    def count(self) -> int:
        """How many values the variable can take."""
        return int((self.max - self.min) / self.step) + 1


@dataclass(frozen=True)
class CalculatorArgument:
    """One keyword argument of a calculator, given as a formula over the variables."""

    name: str
    expression: str

    def __post_init__(self) -> None:
        _check_text(self.name, "name")
        _need(self.name.isidentifier() and not self.name.startswith("_"),
              "name", "not_an_identifier")
        _check_text(self.expression, "expression")


@dataclass(frozen=True)
class CalculatorCall:
    """A named calculator from the registry and its arguments (see `lms.domain.parametric`)."""

    name: str
    arguments: tuple[CalculatorArgument, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.name, "name")
        _check_tuple(self.arguments, "arguments", CalculatorArgument)
        _check_unique([a.name for a in self.arguments], "arguments", "name")


@dataclass(frozen=True)
class Entry:
    """A labelled item of a matching or ordering question."""

    id: str
    text: str

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        _check_text(self.text, "text")


@dataclass(frozen=True)
class MatchPair:
    left: str
    right: str

    def __post_init__(self) -> None:
        _check_id(self.left, "left")
        _check_id(self.right, "right")


@dataclass(frozen=True)
class RubricCriterion:
    """One essay marking criterion; ``description`` is guidance for markers only."""

    id: str
    name: str
    points: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        _check_text(self.name, "name")
        _check_points(self.points)
        _check_text(self.description, "description", required=False)


# ---------------------------------------------------------------- specs


@dataclass(frozen=True, kw_only=True)
class ItemSpec:
    """Fields every item has; never instantiated itself."""

    codec_tag: ClassVar[ItemType]
    stem: str
    points: Decimal
    explanation: str = ""

    def __post_init__(self) -> None:
        _need(type(self) in ITEM_TYPES.values(), "type", "abstract")
        _check_text(self.stem, "stem")
        _check_points(self.points)
        _check_text(self.explanation, "explanation", required=False)
        self.check()

    def check(self) -> None:
        """Type-specific validation; raises `ItemSpecError`."""

    @property
    def item_type(self) -> ItemType:
        """The type tag stored under ``"type"``."""
        return self.codec_tag

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that `from_dict` turns back into an equal spec."""
        return encode(self)

    @classmethod
    def from_dict(cls, data: Any) -> ItemSpec:
        """The spec stored in ``data`` (any type when called on `ItemSpec`)."""
        try:
            spec = decode(ItemSpec, data)
        except ItemSpecError:
            raise
        except PathError as err:
            raise ItemSpecError(err.path, err.code, err.detail) from None
        _need(isinstance(spec, cls), "type", "wrong_type")
        return spec

    @classmethod
    def codec_variants(cls) -> dict[str, type[ItemSpec]]:
        """Tag → class, for reading the ``"type"`` key (see `lms.domain.codec`)."""
        return {tag.value: spec_cls for tag, spec_cls in ITEM_TYPES.items()}


def _check_choices(choices: object, least: int = 2) -> None:
    _check_tuple(choices, "choices", Choice, least=least)
    _check_unique([c.id for c in choices], "choices")


@dataclass(frozen=True, kw_only=True)
class SingleChoiceSpec(ItemSpec):
    """One answer to pick; at least one choice has weight 100, others may earn part credit."""

    codec_tag = ItemType.SINGLE_CHOICE
    choices: tuple[Choice, ...]
    shuffle: bool = True  #: False keeps the authored order (e.g. "以上都对" stays last)
    floor_at_zero: bool = True

    def check(self) -> None:
        _check_choices(self.choices)
        _need(any(c.weight == HUNDRED for c in self.choices), "choices", "no_full_credit_choice")
        _check_bool(self.shuffle, "shuffle")
        _check_bool(self.floor_at_zero, "floor_at_zero")


@dataclass(frozen=True, kw_only=True)
class MultipleChoiceSpec(ItemSpec):
    """Several answers to pick.

    ``all_or_nothing``: full points exactly when the chosen set equals the set of
    positive-weight choices. ``partial``: the chosen weights are added (the
    positive ones total 100) and every other choice must carry a negative
    weight — otherwise choosing everything would earn full points.
    """

    codec_tag = ItemType.MULTIPLE_CHOICE
    choices: tuple[Choice, ...]
    scoring: Scoring = Scoring.ALL_OR_NOTHING
    shuffle: bool = True
    floor_at_zero: bool = True  #: False lets negative weights take marks from other items

    def check(self) -> None:
        _check_choices(self.choices)
        _check_enum(self.scoring, "scoring", Scoring)
        _check_bool(self.shuffle, "shuffle")
        _check_bool(self.floor_at_zero, "floor_at_zero")
        _need(any(c.weight > 0 for c in self.choices), "choices", "no_correct_choice")
        if self.scoring is Scoring.PARTIAL:
            total = sum((c.weight for c in self.choices if c.weight > 0), Decimal(0))
            _need(total == HUNDRED, "choices", "weights_must_total_100")
        for i, choice in enumerate(self.choices):
            if self.scoring is Scoring.PARTIAL:
                _need(choice.weight != 0, f"choices.{i}.weight", "wrong_choice_needs_negative")
            else:
                _need(choice.weight >= 0, f"choices.{i}.weight", "negative_in_all_or_nothing")


@dataclass(frozen=True, kw_only=True)
class TrueFalseSpec(ItemSpec):
    codec_tag = ItemType.TRUE_FALSE
    answer: bool

    def check(self) -> None:
        _check_bool(self.answer, "answer")


@dataclass(frozen=True, kw_only=True)
class FillBlankSpec(ItemSpec):
    """A stem with blanks ``[[1]]``, ``[[2]]`` …, numbered from 1 without gaps."""

    codec_tag = ItemType.FILL_BLANK
    blanks: tuple[Blank, ...]
    scoring: Scoring = Scoring.PARTIAL

    def check(self) -> None:
        _check_tuple(self.blanks, "blanks", Blank, least=1)
        _check_enum(self.scoring, "scoring", Scoring)
        for i, blank in enumerate(self.blanks):
            _need(blank.number == i + 1, f"blanks.{i}.number", "not_in_sequence")
        markers = [int(n) for n in BLANK_MARKER.findall(self.stem)]
        _need(sorted(markers) == [b.number for b in self.blanks], "stem", "blank_markers_mismatch")


def _check_unit(unit: object, policy: object) -> None:
    if unit is not None:
        _check_text(unit, "unit")
        _need(len(str(unit)) <= 20, "unit", "too_long")
    _check_enum(policy, "unit_policy", UnitPolicy)
    _need(unit is not None or policy is UnitPolicy.OPTIONAL, "unit", "required_unit_missing")


@dataclass(frozen=True, kw_only=True)
class NumericSpec(ItemSpec):
    """A number to type; the best-weighted accepted answer within tolerance counts."""

    codec_tag = ItemType.NUMERIC
    answers: tuple[NumericAnswer, ...]
    unit: str | None = None
    unit_policy: UnitPolicy = UnitPolicy.OPTIONAL

    def check(self) -> None:
        _check_tuple(self.answers, "answers", NumericAnswer, least=1)
        _need(any(a.weight == HUNDRED for a in self.answers), "answers", "no_full_credit_answer")
        _check_unit(self.unit, self.unit_policy)


@dataclass(frozen=True, kw_only=True)
class ParametricSpec(ItemSpec):
    """A numeric item whose numbers are drawn per candidate.

    The answer is either ``expression`` (a formula over the variables, see
    `lms.domain.expressions`) or ``calculator`` (a named calculator from the
    registry), then rounded to ``places`` with ``rounding``. The stem refers to
    variables as ``{name}``.
    """

    codec_tag = ItemType.PARAMETRIC
    variables: tuple[Variable, ...]
    expression: str | None = None
    calculator: CalculatorCall | None = None
    places: int = 2
    rounding: RoundingMode = RoundingMode.HALF_UP
    tolerance: Decimal = Decimal(0)
    tolerance_kind: ToleranceKind = ToleranceKind.ABSOLUTE
    unit: str | None = None
    unit_policy: UnitPolicy = UnitPolicy.OPTIONAL
    money: bool = False  #: the answer is an amount of money (feedback shows two decimals)

    def check(self) -> None:
        _check_tuple(self.variables, "variables", Variable)
        _check_unique([v.name for v in self.variables], "variables", "name")
        _need((self.expression is None) != (self.calculator is None), "expression",
              "needs_expression_or_calculator")
        if self.expression is not None:
            self._check_formula(self.expression, "expression")
        if self.calculator is not None:
            _need(isinstance(self.calculator, CalculatorCall), "calculator", "wrong_type")
            for i, argument in enumerate(self.calculator.arguments):
                self._check_formula(argument.expression, f"calculator.arguments.{i}.expression")
        self._check_numbers()
        for name in PLACEHOLDER.findall(self.stem):
            _need(name in self.names, "stem", "unknown_placeholder", name)

    def _check_numbers(self) -> None:
        _check_int(self.places, "places", 0, MAX_PLACES)
        _check_enum(self.rounding, "rounding", RoundingMode)
        _check_decimal(self.tolerance, "tolerance", Decimal(0))
        _check_enum(self.tolerance_kind, "tolerance_kind", ToleranceKind)
        _check_unit(self.unit, self.unit_policy)
        _check_bool(self.money, "money")

    @property
    def names(self) -> frozenset[str]:
        """The declared variable names."""
        return frozenset(v.name for v in self.variables)

    def _check_formula(self, text: object, path: str) -> None:
        _check_text(text, path)
        try:
            formula = parse_expression(str(text))
        except ExpressionError as err:
            raise ItemSpecError(path, "invalid_expression", str(err)) from None
        unknown = sorted(formula.names - self.names)
        _need(not unknown, path, "unknown_variable", ", ".join(unknown))


@dataclass(frozen=True, kw_only=True)
class MatchingSpec(ItemSpec):
    """Pair each left entry with a right one; extra rights are distractors."""

    codec_tag = ItemType.MATCHING
    lefts: tuple[Entry, ...]
    rights: tuple[Entry, ...]
    pairs: tuple[MatchPair, ...]
    scoring: Scoring = Scoring.PARTIAL  #: partial: points × correct pairs / lefts
    shuffle: bool = True

    def check(self) -> None:
        _check_tuple(self.lefts, "lefts", Entry, least=2)
        _check_tuple(self.rights, "rights", Entry, least=2)
        _check_tuple(self.pairs, "pairs", MatchPair)
        _check_unique([e.id for e in self.lefts], "lefts")
        _check_unique([e.id for e in self.rights], "rights")
        _check_unique([p.left for p in self.pairs], "pairs", "left")
        rights = {e.id for e in self.rights}
        for i, pair in enumerate(self.pairs):
            _need(pair.left in {e.id for e in self.lefts}, f"pairs.{i}.left", "unknown_id")
            _need(pair.right in rights, f"pairs.{i}.right", "unknown_id")
        _need(len(self.pairs) == len(self.lefts), "pairs", "unpaired_left")
        _check_enum(self.scoring, "scoring", Scoring)
        _check_bool(self.shuffle, "shuffle")

    @property
    def key(self) -> dict[str, str]:
        """Left id → correct right id."""
        return {pair.left: pair.right for pair in self.pairs}


@dataclass(frozen=True, kw_only=True)
class OrderingSpec(ItemSpec):
    """Put ``items`` (authored in the correct order) back in order."""

    codec_tag = ItemType.ORDERING
    items: tuple[Entry, ...]
    scoring: OrderScoring = OrderScoring.ALL_OR_NOTHING

    def check(self) -> None:
        _check_tuple(self.items, "items", Entry, least=2)
        _check_unique([e.id for e in self.items], "items")
        _check_enum(self.scoring, "scoring", OrderScoring)


@dataclass(frozen=True, kw_only=True)
class EssaySpec(ItemSpec):
    """Marked by a person against ``rubric``, whose points add up to the item's points.

    ``word_limit`` counts like Word's 字数: each Chinese character or
    full-width punctuation mark is one, each run of Latin letters or digits is one.
    """

    codec_tag = ItemType.ESSAY
    rubric: tuple[RubricCriterion, ...]
    word_limit: int | None = None

    def check(self) -> None:
        _check_tuple(self.rubric, "rubric", RubricCriterion, least=1)
        _check_unique([c.id for c in self.rubric], "rubric")
        total = sum((c.points for c in self.rubric), Decimal(0))
        _need(total == self.points, "rubric", "rubric_total_mismatch")
        if self.word_limit is not None:
            _check_int(self.word_limit, "word_limit", 1)


@dataclass(frozen=True)
class SubItem:
    """One question of a case study; ``id`` keys its response and its seed."""

    id: str
    spec: ItemSpec

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        _need(isinstance(self.spec, ItemSpec), "spec", "wrong_type")
        _need(not isinstance(self.spec, CaseStudySpec), "spec", "nested_case_study")


@dataclass(frozen=True, kw_only=True)
class CaseStudySpec(ItemSpec):
    """A scenario followed by sub-items; ``points`` is the sum of theirs."""

    codec_tag = ItemType.CASE_STUDY
    scenario: str
    sub_items: tuple[SubItem, ...]

    def check(self) -> None:
        _check_text(self.scenario, "scenario")
        _check_tuple(self.sub_items, "sub_items", SubItem, least=1)
        _check_unique([s.id for s in self.sub_items], "sub_items")
        total = sum((s.spec.points for s in self.sub_items), Decimal(0))
        _need(total == self.points, "points", "not_sum_of_sub_items")


@dataclass(frozen=True, kw_only=True)
class DescriptionSpec(ItemSpec):
    """Text only (instructions, a section heading); worth 0 and never scored."""

    codec_tag = ItemType.DESCRIPTION
    points: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_decimal(self.points, "points")
        _need(self.points == 0, "points", "description_is_worth_nothing")
        _check_text(self.stem, "stem")
        _check_text(self.explanation, "explanation", required=False)


ITEM_TYPES: dict[ItemType, type[ItemSpec]] = {
    ItemType.SINGLE_CHOICE: SingleChoiceSpec,
    ItemType.MULTIPLE_CHOICE: MultipleChoiceSpec,
    ItemType.TRUE_FALSE: TrueFalseSpec,
    ItemType.FILL_BLANK: FillBlankSpec,
    ItemType.NUMERIC: NumericSpec,
    ItemType.PARAMETRIC: ParametricSpec,
    ItemType.MATCHING: MatchingSpec,
    ItemType.ORDERING: OrderingSpec,
    ItemType.ESSAY: EssaySpec,
    ItemType.CASE_STUDY: CaseStudySpec,
    ItemType.DESCRIPTION: DescriptionSpec,
}


def item_from_dict(data: Any) -> ItemSpec:
    """Shorthand for ``ItemSpec.from_dict(data)``."""
    return ItemSpec.from_dict(data)
