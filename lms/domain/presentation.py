"""What a candidate is shown: option order and a key-free view of an item.

`candidate_view` is the only item data that should reach an exam page or an
exam API. It holds the stem, the points and what is needed to answer, and
nothing that reveals the key: no weights, accepted answers, patterns, pairs,
correct order, formulas, tolerances, explanation or rubric descriptions.

Ids are shown as they are (the browser posts them back), so ids must not
encode the answer: an ordering item with ids ``step1``, ``step2`` … gives the
order away. Label choices by position (A, B, C …) on the page, not by id.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from html import escape
from typing import Any

from lms.domain.items import (
    BLANK_MARKER,
    CaseStudySpec,
    Entry,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericSpec,
    OrderingSpec,
    ParametricSpec,
    SingleChoiceSpec,
)
from lms.domain.markdown import render_markdown
from lms.domain.parametric import instantiate, render_stem
from lms.domain.seeding import derive_seed, stable_shuffle


def shuffle_options(spec: ItemSpec, seed: int) -> tuple[str, ...]:
    """The presentation order of the ids a candidate arranges or picks from.

    Choices (unless ``shuffle`` is off), matching rights (unless ``shuffle``
    is off; lefts keep their order) and ordering items (always shuffled —
    their authored order is the key). Other types return ``()``; a case
    study's sub-items are shuffled with ``derive_seed(seed, sub_id)``.
    """
    if isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec):
        ids = tuple(c.id for c in spec.choices)
        return stable_shuffle(ids, seed) if spec.shuffle else ids
    if isinstance(spec, MatchingSpec):
        ids = tuple(e.id for e in spec.rights)
        return stable_shuffle(ids, seed) if spec.shuffle else ids
    if isinstance(spec, OrderingSpec):
        return stable_shuffle(tuple(e.id for e in spec.items), seed)
    return ()


def candidate_view(spec: ItemSpec, values: Mapping[str, Any] | None = None, *,
                   seed: int = 0) -> dict[str, Any]:
    """A JSON-ready dict of everything the candidate may see of ``spec``.

    ``seed`` is the item's seed (option order, parametric values). ``values``
    overrides the parametric values drawn from it; for a case study it maps
    sub-item ids to their values.
    """
    view: dict[str, Any] = {"type": spec.item_type.value, "stem": spec.stem,
                            "points": str(spec.points)}
    view.update(_details(spec, values, seed))
    return view


def _details(spec: ItemSpec, values: Mapping[str, Any] | None, seed: int) -> dict[str, Any]:
    if isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec):
        texts = {c.id: c.text for c in spec.choices}
        return {"choices": [{"id": key, "text": texts[key]}
                            for key in shuffle_options(spec, seed)]}
    if isinstance(spec, FillBlankSpec):
        return {"blanks": [int(n) for n in BLANK_MARKER.findall(spec.stem)]}
    if isinstance(spec, NumericSpec):
        return _unit(spec)
    if isinstance(spec, ParametricSpec):
        drawn = values if values is not None else instantiate(spec, seed)
        return {"stem": render_stem(spec, drawn), **_unit(spec)}
    if isinstance(spec, MatchingSpec):
        return {"lefts": _entries(spec.lefts), "rights": _ordered(spec.rights, spec, seed)}
    if isinstance(spec, OrderingSpec):
        return {"items": _ordered(spec.items, spec, seed)}
    if isinstance(spec, EssaySpec):
        return {"word_limit": spec.word_limit,
                "rubric": [{"name": c.name, "points": str(c.points)} for c in spec.rubric]}
    if isinstance(spec, CaseStudySpec):
        return {"scenario": spec.scenario, "sub_items": _sub_views(spec, values, seed)}
    return {}


def _unit(spec: NumericSpec | ParametricSpec) -> dict[str, Any]:
    return {"unit": spec.unit, "unit_policy": spec.unit_policy.value}


def _entries(entries: tuple[Entry, ...]) -> list[dict[str, str]]:
    return [{"id": e.id, "text": e.text} for e in entries]


def _ordered(entries: tuple[Entry, ...], spec: ItemSpec, seed: int) -> list[dict[str, str]]:
    by_id = {e.id: e for e in entries}
    return _entries(tuple(by_id[key] for key in shuffle_options(spec, seed)))


def _sub_views(spec: CaseStudySpec, values: Mapping[str, Any] | None,
               seed: int) -> list[dict[str, Any]]:
    views = []
    for sub in spec.sub_items:
        sub_values: Mapping[str, Decimal] | None = (values or {}).get(sub.id)
        view = candidate_view(sub.spec, sub_values, seed=derive_seed(seed, sub.id))
        views.append({"id": sub.id, **view})
    return views


def choice_inputs_html(view: Mapping[str, Any], name: str) -> str:
    """A choice item's radio buttons or check boxes, lettered A, B … in the order shown.

    Built here, not in a template: a 100-question exam page spent most of its time on
    the Jinja expressions of these rows (about 20 a question; bench/README.md). Every
    text is escaped."""
    kind = "radio" if view["type"] == "single_choice" else "checkbox"
    name = escape(name)
    rows = "".join(
        f'<label class="list-group-item d-flex gap-2 quiz-option"><input class="form-check-'
        f'input flex-shrink-0 mt-1" type="{kind}" name="{name}" value="{escape(choice["id"])}">'
        f'<span><span class="fw-semibold">{letter}.</span> {escape(choice["text"])}</span>'
        f"</label>"
        for letter, choice in zip(string.ascii_uppercase, view["choices"], strict=False))
    return f'<div class="list-group">{rows}</div>'


def stem_html(view: Mapping[str, Any]) -> str:
    """A candidate view's stem as sanitised HTML; fill-in marks ``[[n]]`` become gaps."""
    return _stem_html(view["stem"], view["type"] == "fill_blank")


@lru_cache(maxsize=4096)
def _stem_html(stem: str, gaps: bool) -> str:
    """Cached: an exam page shows the same stems to every candidate, and Markdown plus
    sanitising costs ~0.1 ms a stem (a third of a 100-question page, bench/README.md)."""
    html = render_markdown(stem)
    if gaps:
        html = BLANK_MARKER.sub(r'<span class="quiz-gap">（\1）</span>', html)
    return html
