"""Authored Markdown → safe HTML.

Two layers: markdown-it renders with raw HTML switched off (so ``<script>``
in a lesson is shown as text), then nh3 (ammonia) keeps only an allow-list of
tags, attributes and URL schemes.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "s", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img",
    "sup", "sub",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"},
                      "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
            .enable("table").enable("strikethrough"))


def render_markdown(text: str) -> str:
    """Sanitised HTML for Markdown ``text``. A level-1 heading becomes level 2:
    the page title is the only ``h1``."""
    html = _parser().render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer")


def han_character_count(text: str) -> int:
    """Number of Chinese (CJK unified) characters, the unit of lesson length."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
