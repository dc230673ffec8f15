"""Candidate responses: the raw JSON a browser posts, and the typed form.

``parse_response(spec, raw)`` checks raw input against the spec and returns
the typed response, or raises ``ResponseError(code)``; ``typed.to_raw()`` gives
the canonical raw form back, which is what to store. ``None`` means
"unanswered" for every type (code ``unanswered``).

==================  ==============================================  =========================
item type           raw JSON                                        typed
==================  ==============================================  =========================
single_choice       ``"B"`` (a choice id)                           `SingleChoiceResponse`
multiple_choice     ``["A", "C"]`` (``[]`` is a real answer)        `MultipleChoiceResponse`
true_false          ``true`` / ``false`` (also "对"/"错", "√"/"×")  `TrueFalseResponse`
fill_blank          ``{"1": "…", "2": "…"}`` or ``["…", "…"]``      `FillBlankResponse`
numeric             ``"1,234.50 元"`` or a JSON number              `NumericResponse`
parametric          same as numeric                                 `NumericResponse`
matching            ``{"L1": "R3", "L2": null}`` (left → right)     `MatchingResponse`
ordering            ``["c", "a", "b"]`` (all item ids)              `OrderingResponse`
essay               ``"text"``                                      `EssayResponse`
case_study          ``{"<sub id>": <raw for that sub-item>}``       `CaseStudyResponse`
description         — (``no_response_expected``)
==================  ==============================================  =========================

Numbers are read leniently, as candidates type them: full-width digits and
signs, ``,``/``，`` thousands separators (in groups of three only, so
``1,5`` is refused rather than guessed), ``.``, ``．`` or ``。`` as the decimal
point, and an optional unit after the number (``1200元``, ``15 %``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lms.domain.codec import PathError, decode_decimal
from lms.domain.items import (
    CaseStudySpec,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericSpec,
    OrderingSpec,
    ParametricSpec,
    SingleChoiceSpec,
    TrueFalseSpec,
)

MAX_ESSAY_LENGTH = 50_000
MAX_BLANK_LENGTH = 100  #: also bounds the work a blank's pattern can do
MAX_NUMBER_TEXT = 64
MAX_LIST = 200

_TRUE = frozenset({"true", "t", "1", "yes", "y", "对", "正确", "是", "√", "✓", "✔"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "错", "错误", "否", "×", "x", "✗", "✘"})
_NUMBER = re.compile(
    r"(?P<sign>[-+]?)\s*"
    r"(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"\s*(?P<unit>[^0-9.,\s].*)?"
)


class ResponseError(ValueError):
    """A raw response that does not fit the item; ``path`` names a case-study sub-item."""

    def __init__(self, code: str, path: str = ""):
        super().__init__(f"{path}: {code}" if path else code)
        self.code = code
        self.path = path


class Response:
    """Base of the typed responses."""

    def to_raw(self) -> Any:
        """The canonical raw (JSON-ready) form, accepted back by `parse_response`."""
        raise NotImplementedError


@dataclass(frozen=True)
class SingleChoiceResponse(Response):
    choice: str

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return self.choice


@dataclass(frozen=True)
class MultipleChoiceResponse(Response):
    choices: tuple[str, ...]  #: sorted, without duplicates

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return list(self.choices)


@dataclass(frozen=True)
class TrueFalseResponse(Response):
    value: bool

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return self.value


@dataclass(frozen=True)
class FillBlankResponse(Response):
    answers: tuple[str, ...]  #: answers[i] fills blank i + 1; "" when left empty

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return {str(i + 1): text for i, text in enumerate(self.answers)}


@dataclass(frozen=True)
class NumericResponse(Response):
    text: str  #: what the candidate typed, kept for markers and appeals
    value: Decimal
    unit: str  #: NFKC-folded and trimmed; "" when none was written

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return self.text


@dataclass(frozen=True)
class MatchingResponse(Response):
    pairs: tuple[tuple[str, str], ...]  #: (left, right), sorted by left; unanswered lefts absent

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return dict(self.pairs)


@dataclass(frozen=True)
class OrderingResponse(Response):
    sequence: tuple[str, ...]

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return list(self.sequence)


@dataclass(frozen=True)
class EssayResponse(Response):
    text: str

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return self.text


@dataclass(frozen=True)
class CaseStudyResponse(Response):
    answers: tuple[tuple[str, Response], ...]  #: (sub-item id, response); unanswered absent

    def to_raw(self) -> Any:
        """See `Response.to_raw`."""
        return {key: response.to_raw() for key, response in self.answers}


def parse_response(spec: ItemSpec, raw: Any) -> Response:
    """The typed response for ``spec`` from raw JSON-like input, or `ResponseError`."""
    if isinstance(raw, Response):
        raw = raw.to_raw()
    if isinstance(spec, DescriptionSpec):
        raise ResponseError("no_response_expected")
    if raw is None:
        raise ResponseError("unanswered")
    return _PARSERS[type(spec)](spec, raw)


def _shape(condition: bool, code: str = "wrong_shape") -> None:
    if not condition:
        raise ResponseError(code)


def _text(raw: Any, limit: int) -> str:
    _shape(isinstance(raw, str))
    _shape(len(raw) <= limit, "too_long")
    return raw


def _parse_single(spec: SingleChoiceSpec, raw: Any) -> Response:
    choice = _text(raw, MAX_LIST)
    _shape(choice != "", "unanswered")
    _shape(choice in {c.id for c in spec.choices}, "unknown_choice")
    return SingleChoiceResponse(choice)


def _parse_multiple(spec: MultipleChoiceSpec, raw: Any) -> Response:
    _shape(isinstance(raw, list | tuple) and len(raw) <= MAX_LIST)
    ids = {c.id for c in spec.choices}
    for item in raw:
        _shape(isinstance(item, str))
        _shape(item in ids, "unknown_choice")
    return MultipleChoiceResponse(tuple(sorted(set(raw))))


def _parse_true_false(spec: TrueFalseSpec, raw: Any) -> Response:
    if isinstance(raw, bool):
        return TrueFalseResponse(raw)
    word = unicodedata.normalize("NFKC", _text(raw, 10)).strip().casefold()
    _shape(word in _TRUE or word in _FALSE)
    return TrueFalseResponse(word in _TRUE)


def _parse_fill_blank(spec: FillBlankSpec, raw: Any) -> Response:
    count = len(spec.blanks)
    if isinstance(raw, list | tuple):
        _shape(len(raw) <= count, "unknown_blank")
        raw = {i + 1: text for i, text in enumerate(raw)}
    _shape(isinstance(raw, dict))
    answers = [""] * count
    for key, text in raw.items():
        number = _blank_number(key)
        _shape(1 <= number <= count, "unknown_blank")
        answers[number - 1] = "" if text is None else _text(text, MAX_BLANK_LENGTH)
    return FillBlankResponse(tuple(answers))


def _blank_number(key: Any) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    _shape(isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 3,
           "unknown_blank")
    return int(key)


def _parse_numeric(spec: NumericSpec | ParametricSpec, raw: Any) -> Response:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return NumericResponse(str(raw), decode_decimal(raw), "")
        except PathError:
            raise ResponseError("not_a_number") from None
    value, unit = parse_number(_text(raw, MAX_NUMBER_TEXT))
    return NumericResponse(raw, value, unit)


def parse_number(text: str) -> tuple[Decimal, str]:
    """``"１，２３４。５ 元"`` → ``(Decimal("1234.5"), "元")``; `ResponseError` if not a number."""
    folded = unicodedata.normalize("NFKC", text).strip()
    # NFKC leaves the ideographic full stop and the minus sign alone
    folded = folded.replace("。", ".").replace("−", "-")
    match = _NUMBER.fullmatch(folded)
    if match is None or not (match["digits"] or match["fraction"]):
        raise ResponseError("not_a_number")
    number = (match["digits"] or "0").replace(",", "")
    if match["fraction"]:
        number += "." + match["fraction"]
    try:
        value = decode_decimal(match["sign"] + number)
    except (PathError, InvalidOperation):
        raise ResponseError("not_a_number") from None
    return value, (match["unit"] or "").strip()


def _parse_matching(spec: MatchingSpec, raw: Any) -> Response:
    _shape(isinstance(raw, dict))
    lefts, rights = {e.id for e in spec.lefts}, {e.id for e in spec.rights}
    pairs = []
    for left, right in raw.items():
        _shape(left in lefts, "unknown_id")
        if right is None:
            continue
        _shape(isinstance(right, str) and right in rights, "unknown_id")
        pairs.append((left, right))
    return MatchingResponse(tuple(sorted(pairs)))


def _parse_ordering(spec: OrderingSpec, raw: Any) -> Response:
    _shape(isinstance(raw, list | tuple) and len(raw) <= MAX_LIST)
    _shape(all(isinstance(item, str) for item in raw))
    _shape(sorted(raw) == sorted(e.id for e in spec.items), "not_a_permutation")
    return OrderingResponse(tuple(raw))


def _parse_essay(spec: EssaySpec, raw: Any) -> Response:
    return EssayResponse(_text(raw, MAX_ESSAY_LENGTH))


def _parse_case_study(spec: CaseStudySpec, raw: Any) -> Response:
    _shape(isinstance(raw, dict))
    subs = {sub.id: sub.spec for sub in spec.sub_items}
    answers = []
    for key, sub_raw in raw.items():
        _shape(key in subs, "unknown_sub_item")
        if sub_raw is None:
            continue
        try:
            answers.append((key, parse_response(subs[key], sub_raw)))
        except ResponseError as err:
            raise ResponseError(err.code, key) from None
    return CaseStudyResponse(tuple(answers))


_PARSERS: dict[type[ItemSpec], Callable[[Any, Any], Response]] = {
    SingleChoiceSpec: _parse_single,
    MultipleChoiceSpec: _parse_multiple,
    TrueFalseSpec: _parse_true_false,
    FillBlankSpec: _parse_fill_blank,
    NumericSpec: _parse_numeric,
    ParametricSpec: _parse_numeric,
    MatchingSpec: _parse_matching,
    OrderingSpec: _parse_ordering,
    EssaySpec: _parse_essay,
    CaseStudySpec: _parse_case_study,
}

#: The typed response class each item type expects.
RESPONSE_TYPES: dict[type[ItemSpec], type[Response]] = {
    SingleChoiceSpec: SingleChoiceResponse,
    MultipleChoiceSpec: MultipleChoiceResponse,
    TrueFalseSpec: TrueFalseResponse,
    FillBlankSpec: FillBlankResponse,
    NumericSpec: NumericResponse,
    ParametricSpec: NumericResponse,
    MatchingSpec: MatchingResponse,
    OrderingSpec: OrderingResponse,
    EssaySpec: EssayResponse,
    CaseStudySpec: CaseStudyResponse,
}
