"""Certificate serials: 135 random bits in Crockford base32 (27 characters) and one
check character (the number mod 37, Crockford's check symbols), shown in groups of
four: ``7KQ2-M9X4-TA0B-…``. Nothing in a serial is sequential or guessable (RELIABILITY
C4), and the check character catches a mistyped one before any lookup.

Reading is forgiving as Crockford intends: lower case, spaces and hyphens are ignored,
``I``/``L`` read as ``1`` and ``O`` as ``0``.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = ALPHABET + "*~$=U"
RANDOM_CHARS = 27  # 135 bits ≥ 128 (C4)
GROUP = 4
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_serial() -> str:
    return serial_for(secrets.randbits(RANDOM_CHARS * 5))


def serial_for(value: int) -> str:
    """The serial of a 135-bit number (bench data draws them from a seeded generator)."""
    return _display(_encode(value) + CHECK_SYMBOLS[value % 37])


def normalise(text: str) -> str | None:
    """The serial in its displayed form, or None when ``text`` is not a well-formed
    serial with the right check character."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != RANDOM_CHARS + 1:
        return None
    body, check = compact[:-1], compact[-1]
    if any(c not in ALPHABET for c in body) or check not in CHECK_SYMBOLS:
        return None
    value = 0
    for c in body:
        value = value * 32 + ALPHABET.index(c)
    if CHECK_SYMBOLS[value % 37] != check:
        return None
    return _display(compact)


def _encode(value: int) -> str:
    chars = []
    for _ in range(RANDOM_CHARS):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _display(compact: str) -> str:
    return "-".join(compact[i:i + GROUP] for i in range(0, len(compact), GROUP))
