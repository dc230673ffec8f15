"""Password policy (OWASP ASVS 6.2): length, not a commonly breached
password, not built from the user's own identifiers. No composition rules."""

from __future__ import annotations

import unicodedata

MIN_LENGTH = 10
MAX_LENGTH = 128

#: The most used passwords in Chinese and international breach corpora.
COMMON_PASSWORDS = frozenset((
    "123456", "12345678", "123456789", "1234567890", "12345678910", "111111", "000000",
    "123123", "666666", "888888", "112233", "123321", "654321", "147258369", "123654789",
    "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "qwerty", "qwertyuiop", "qwerty123", "asdfghjkl",
    "zxcvbnm", "password", "password1", "password123", "passw0rd", "p@ssw0rd", "admin",
    "admin123", "root", "abc123", "abc123456", "abcd1234", "a123456", "a123456789", "aa123456",
    "iloveyou", "woaini", "woaini1314", "5201314", "1314520", "520520", "woaini520", "qq123456",
    "wang123456", "zhang123456", "li123456", "huawei123", "xiaomi123", "welcome", "welcome1",
    "letmein", "monkey", "dragon", "football", "baseball", "sunshine", "princess", "shadow",
    "master", "superman", "trustno1", "michael", "11111111", "00000000", "88888888", "66666666",
    "1234qwer", "qwer1234", "zaq12wsx", "qazwsxedc", "147258", "159357", "7758521", "woaiwojia",
    "zhongguo", "china123", "beijing", "shanghai", "gonghui", "gonghui123", "union123",
    "changeme", "changeme123", "test1234", "testtest", "secret",
))


def password_problems(password: str, *, identifiers: tuple[str, ...] = ()) -> list[str]:
    """Codes of the rules a new password breaks; empty when it is acceptable.

    Codes: ``too_short``, ``too_long``, ``common``, ``personal``, ``repetitive``.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    if len(password) > MAX_LENGTH:
        problems.append("too_long")
    folded = unicodedata.normalize("NFKC", password).casefold()
    if folded in COMMON_PASSWORDS or folded.rstrip("!.@#0123456789") in COMMON_PASSWORDS:
        problems.append("common")
    for ident in identifiers:
        ident = unicodedata.normalize("NFKC", ident or "").casefold().split("@")[0]
        if len(ident) >= 3 and ident in folded:
            problems.append("personal")
            break
    if len(set(folded)) <= 2:
        problems.append("repetitive")
    return problems
