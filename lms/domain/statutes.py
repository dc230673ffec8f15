"""The statutes a lesson cites, written one law per line.

    中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条

Law, version (the date of the text cited) and articles, separated by ``|``;
the version and the articles may be left out. Full-width ``｜`` and ``，`` are
accepted, and ``、`` or ``;`` separate articles too. The result is the list
`Lesson.statutes` stores: ``[{"law", "version", "articles": [...]}]``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MAX_LAW_LENGTH = 200
_ARTICLE_SEPARATORS = re.compile(r"[,、;]")
_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class InvalidStatuteLine(ValueError):
    """Why line ``line`` (counting from 1) cannot be read; ``code`` names the reason."""

    def __init__(self, code: str, line: int):
        super().__init__(f"line {line}: {code}")
        self.code = code
        self.line = line


def parse_statutes(text: str) -> list[dict]:
    """The statutes in ``text``; blank lines are skipped. Raises `InvalidStatuteLine`."""
    statutes = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            raise InvalidStatuteLine("parts", number)
        law, version, articles = (*parts, "", "")[:3]
        if not law:
            raise InvalidStatuteLine("law", number)
        if len(law) > MAX_LAW_LENGTH:
            raise InvalidStatuteLine("law_length", number)
        if version and not _is_date(version):
            raise InvalidStatuteLine("version", number)
        statutes.append({"law": law, "version": version, "articles": [
            a.strip() for a in _ARTICLE_SEPARATORS.split(articles) if a.strip()]})
    return statutes


def _is_date(text: str) -> bool:
    if not _DATE_SHAPE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def format_statutes(statutes: list[dict]) -> str:
    """``statutes`` written back as lines that `parse_statutes` reads."""
    lines = []
    for statute in statutes or []:
        parts = [statute.get("law", ""), statute.get("version", ""),
                 ", ".join(statute.get("articles", []))]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)
