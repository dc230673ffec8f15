"""JSON-ready dicts from frozen dataclasses and back, driven by the type hints.

Decimals travel as strings (``str(Decimal("1.50"))`` is ``"1.50"``, so the
round trip is exact, trailing zeros included), enums as their values and tuples
as lists. Decoding is strict: unknown keys, wrong types and non-finite numbers
raise `PathError` with a dotted path such as ``choices.2.weight`` (list
positions are 0-based), so a typo in a bank file points at its line.

Two class-level hooks make tagged unions work: a class with a ``codec_tag``
ClassVar is written with a leading ``"type"`` key, and a hint class with a
``codec_variants()`` classmethod (tag → class) is read by that key.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

MAX_DECIMAL_TEXT = 48  #: longer number strings are refused before parsing


class PathError(ValueError):
    """A problem at ``path`` (dotted, list positions 0-based) named by ``code``.

    ``detail`` is free text for people (e.g. the position of a formula error).
    """

    def __init__(self, path: str, code: str, detail: str = ""):
        super().__init__(f"{path or '<root>'}: {code}" + (f" ({detail})" if detail else ""))
        self.path = path
        self.code = code
        self.detail = detail

    def within(self, prefix: str | int) -> PathError:
        """The same error, with ``prefix`` put in front of its path."""
        path = f"{prefix}.{self.path}" if self.path else str(prefix)
        return type(self)(path, self.code, self.detail)


def encode(value: Any) -> Any:
    """``value`` as plain JSON-ready data (dict, list, str, int, bool, None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    return value


def _encode_dataclass(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    tag = getattr(type(value), "codec_tag", None)
    if tag is not None:
        data["type"] = encode(tag)
    for field in dataclasses.fields(value):
        data[field.name] = encode(getattr(value, field.name))
    return data


def decode(hint: Any, data: Any) -> Any:
    """Build a value of type ``hint`` from JSON-like ``data`` or raise `PathError`."""
    if hint is Any:
        return data
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return _decode_optional(hint, data)
    if origin is tuple:
        return _decode_tuple(typing.get_args(hint), data)
    if isinstance(hint, type) and hasattr(hint, "codec_variants"):
        return _decode_variant(hint, data)
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, data)
    return _decode_scalar(hint, data)


def _decode_optional(hint: Any, data: Any) -> Any:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if data is None and len(args) < len(typing.get_args(hint)):
        return None
    if len(args) != 1:
        raise TypeError(f"codec supports only X | None, not {hint}")
    return decode(args[0], data)


def _decode_tuple(args: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    if not isinstance(data, list | tuple):
        raise PathError("", "not_a_list")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_at(i, args[0], item) for i, item in enumerate(data))
    if len(args) != len(data):
        raise PathError("", "wrong_length")
    return tuple(_at(i, arg, item) for i, (arg, item) in enumerate(zip(args, data, strict=True)))


def _at(key: str | int, hint: Any, data: Any) -> Any:
    try:
        return decode(hint, data)
    except PathError as err:
        raise err.within(key) from None


def _decode_variant(base: Any, data: Any) -> Any:
    if not isinstance(data, dict):
        raise PathError("", "not_an_object")
    tag = data.get("type")
    cls = base.codec_variants().get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise PathError("type", "unknown_type")
    return _decode_dataclass(cls, {k: v for k, v in data.items() if k != "type"})


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_dataclass(cls: Any, data: Any) -> Any:
    if not isinstance(data, dict):
        raise PathError("", "not_an_object")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            raise PathError(str(key), "unknown_field")
    kwargs = {}
    for name, field in fields.items():
        if name in data:
            kwargs[name] = _at(name, _hints(cls)[name], data[name])
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise PathError(name, "missing")
    return cls(**kwargs)


def _decode_scalar(hint: Any, data: Any) -> Any:
    if hint is Decimal:
        return decode_decimal(data)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(data)
        except ValueError:
            raise PathError("", "unknown_choice") from None
    if hint is bool and isinstance(data, bool):
        return data
    if hint is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if hint is str and isinstance(data, str):
        return data
    raise PathError("", f"not_{getattr(hint, '__name__', 'valid')}".lower())


def decode_decimal(data: Any) -> Decimal:
    """A finite Decimal from an int, a float (via its shortest repr) or a numeric string."""
    if isinstance(data, bool) or not isinstance(data, int | float | str | Decimal):
        raise PathError("", "not_a_decimal")
    if isinstance(data, int) and abs(data) >= 10**MAX_DECIMAL_TEXT:
        raise PathError("", "not_a_decimal")
    text = repr(data) if isinstance(data, float) else str(data)
    if len(text) > MAX_DECIMAL_TEXT:
        raise PathError("", "not_a_decimal")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PathError("", "not_a_decimal") from None
    # Bank numbers never need more than 20 digits either side of the point; huge
    # exponents (``1E+999999``) would only make later arithmetic overflow.
    if not value.is_finite() or value.adjusted() > 20 or value.as_tuple().exponent < -20:
        raise PathError("", "not_a_decimal")
    return value
