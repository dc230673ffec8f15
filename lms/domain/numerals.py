"""Chinese article numerals as the statutes write them: 第十一条, 第一百零一条."""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
ARTICLE_NAME = re.compile(r"^第([零一二三四五六七八九十百]+)条$")


def cn_to_int(text: str) -> int:
    """Chinese article numeral (as the statutes write them, up to 999) to int."""
    total, digit = 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        elif ch == "百":
            total += digit * 100
            digit = 0
        else:
            raise ValueError(text)
    return total + digit


def int_to_cn(n: int) -> str:
    """The form the statutes use: 十, 十一, 二十, 一百, 一百零一, 一百一十."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    if ones:
        out += DIGITS[ones]
    return out


def well_formed_article(name: object) -> bool:
    """Whether ``name`` is an article written the statutes' way (``第二十一条``)."""
    match = ARTICLE_NAME.match(name) if isinstance(name, str) else None
    if not match:
        return False
    try:
        return int_to_cn(cn_to_int(match.group(1))) == match.group(1)
    except ValueError:
        return False
