"""Identity data rules: e-mail normalisation, the resident ID number
(居民身份证号码, GB 11643-1999) and masking for display."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


def normalise_text(value: str) -> str:
    """NFKC-fold full-width letters and digits to half width, and trim."""
    return unicodedata.normalize("NFKC", value or "").strip()


def normalise_email(value: str) -> str:
    """The form an address is stored and compared in: NFKC, trimmed, lower case.

    ``Ａｌｉｃｅ@Example.com`` and ``alice@example.com`` are the same account.
    """
    return normalise_text(value).casefold()


def name_key(value: str) -> str:
    """A name as the name search compares it: NFKC, lower case, single spaces."""
    return " ".join(normalise_text(value).casefold().split())


def name_grams(name: str) -> set[str]:
    """What the name search indexes of a name: each character and each pair of
    neighbouring characters (spaces aside). Chinese names are two to four characters,
    too short for trigram indexes; the pairs find any part of two or more characters,
    the single characters a search for one."""
    key = name_key(name)
    return {c for c in key if c != " "} | {key[i:i + 2] for i in range(len(key) - 1)
                                           if " " not in key[i:i + 2]}


def search_grams(term: str) -> set[str]:
    """The grams a name must have to contain ``term``: its pairs, or its one character.
    Every name containing the term has them; the search then checks the name itself."""
    key = name_key(term)
    if len(key.replace(" ", "")) <= 1:
        return {key.strip()} if key.strip() else set()
    return {key[i:i + 2] for i in range(len(key) - 1) if " " not in key[i:i + 2]} or {
        c for c in key if c != " "}


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s+", "", normalise_text(value)).upper()


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


class InvalidIdNumber(ValueError):
    """Why a resident ID number is not valid; ``code`` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character ID number or raise `InvalidIdNumber`.

    Checks the shape, the birth date (a real date, not in the future) and the
    check character.
    """
    number = normalise_id_number(value)
    if not _ID_SHAPE.match(number):
        raise InvalidIdNumber("shape")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if born.year < 1900 or (today is not None and born > today):
        raise InvalidIdNumber("birth_date")
    if id_check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum")
    return number


#: the youngest person who may hold an account with an ID number: PIPL art. 31 asks a
#: guardian's consent below 14, and the platform (for union cadres, who are employees)
#: has no guardian flow — see lms.accounts.privacy
MIN_AGE = 14


def age_on(number: str, today: date) -> int:
    """Whole years of the holder of a valid ID number on ``today``."""
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def normalise_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits (``+86`` and separators dropped)."""
    digits = re.sub(r"[\s\-()]", "", normalise_text(value))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not _MOBILE_SHAPE.match(digits):
        raise ValueError("mobile")
    return digits


def mask_id_number(number: str | None) -> str:
    """``110105199001011234`` → ``1101**********1234``."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the family name stays, the rest is hidden."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def search_text(text: str | None, limit: int) -> str:
    """Typed search words as a query may use them: stripped, printable characters only
    (PostgreSQL refuses a NUL in a string), at most ``limit`` characters."""
    return "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:limit]


def mask_holder_name(name: str) -> str:
    """The name a public page shows of a certificate's holder: ``张三明`` → ``张*明``,
    ``欧阳明华`` → ``欧**华``, ``张三`` → ``张*``; Latin names keep their first and last letter."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*" if name else ""
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_mobile(number: str | None) -> str:
    if not number:
        return ""
    return number[:3] + "****" + number[-4:]
