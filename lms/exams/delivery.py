"""What the exam page shows: the frozen paper as candidate views, and the saved
answers. Only `candidate_view` output reaches the page — never a key, an
explanation, a weight or a score."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html import escape

import sqlalchemy as sa
from markupsafe import Markup

from lms.domain.items import ItemSpec, item_from_dict
from lms.domain.presentation import candidate_view, choice_inputs_html, stem_html
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from lms.questions.models import QuestionVersion

#: form fields of slot n: ``s<n>``, ``s<n>-<part>`` or ``s<n>.<sub-item>…``
FIELD_RE = re.compile(r"^s(\d{1,4})(?:[-.][A-Za-z0-9_.-]{1,60})?$")


@dataclass
class PaperSlot:
    """One item of the paper as the page renders it."""

    slot: int
    number: int
    section: str
    view: dict
    #: "Question 3" and "2 points", filled in by the page (`label_slots`)
    label: str = ""
    points_label: str = ""

    @property
    def prefix(self) -> str:
        return f"s{self.slot}"

    @property
    def stem_html(self) -> str:
        return stem_html(self.view)


def _authored_order(view: dict, spec) -> dict:
    """Undo option shuffling when the exam turns it off (ordering items stay shuffled)."""
    if "choices" in view:
        position = {c.id: i for i, c in enumerate(spec.choices)}
        view["choices"] = sorted(view["choices"], key=lambda c: position[c["id"]])
    return view


#: (version id, stored as text?) → (stored spec, parsed spec): every candidate's paper
#: draws from the same few hundred versions, and decoding one costs ~0.1 ms
#: (bench/README.md)
_PARSED: dict[tuple[int, bool], tuple[dict | str, ItemSpec]] = {}
_PARSED_MAX = 10_000


def spec_of(version_id: int, raw: dict | str) -> ItemSpec:
    """The version's spec, decoded once per process. ``raw`` is the stored spec, decoded
    or as its JSON text (the exam page reads the text: decoding a hundred specs' JSON
    for every page cost half a millisecond). Versions are immutable; the stored spec is
    compared anyway, so a reused id (an emptied test database) is decoded afresh."""
    key = (version_id, isinstance(raw, str))
    hit = _PARSED.get(key)
    if hit is not None and hit[0] == raw:
        return hit[1]
    spec = item_from_dict(json.loads(raw) if isinstance(raw, str) else raw)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = (raw, spec)
    return spec


def paper_slots(attempt: ExamAttempt) -> list[PaperSlot]:
    """The paper in order, in one query for all its question versions."""
    items = (attempt.paper or {}).get("items", [])
    ids = [item["version_id"] for item in items]
    specs = dict(db.session.execute(
        sa.select(QuestionVersion.id, sa.cast(QuestionVersion.spec, sa.Text))
        .where(QuestionVersion.id.in_(ids))
    ).all()) if ids else {}
    shuffle = (attempt.paper or {}).get("rules", {}).get("shuffle_options", True)
    slots = []
    for slot, item in enumerate(items):
        spec = spec_of(item["version_id"], specs[item["version_id"]])
        values = {k: Decimal(v) for k, v in item.get("values", {}).items()} or None
        view = candidate_view(spec, values, seed=item["seed"])
        view["points"] = item["points"]
        if not shuffle:
            view = _authored_order(view, spec)
        slots.append(PaperSlot(slot, slot + 1, item["section"], view))
    return slots


def label_slots(slots: list[PaperSlot], question: str, points: str) -> None:
    """Fill in each slot's labels from the translated patterns (``%(number)s``,
    ``%(points)s``) with plain ``%``: translating or formatting in the template per
    question cost a few milliseconds on a 100-question page (bench/README.md)."""
    for slot in slots:
        slot.label = question % {"number": slot.number}
        slot.points_label = points % {"points": slot.view["points"]}


# The paper's navigator and questions are built here, not in exams/take.html: on a
# 100-question page the template's per-question expressions, escapes and macro calls
# were most of the page's time (bench/README.md). Every text is escaped; choice rows
# come from `choice_inputs_html`, the other types from the quiz template's macro.

CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})


def navigator_html(slots: list[PaperSlot]) -> Markup:
    return Markup("".join(  # noqa: S704 - the label is escaped, the rest are numbers
        f'<button type="button" class="btn btn-sm btn-outline-secondary exam-nav-item" '
        f'data-goto="{s.slot}" aria-label="{escape(s.label)}">{s.number}</button>'
        for s in slots))


def questions_html(slots: list[PaperSlot], *, choose_all: str, flag: str,
                   other_inputs: Callable[[PaperSlot], str]) -> Markup:
    """One fieldset per slot: heading, stem (sanitised), inputs, mark-for-review box.

    :param other_inputs: the inputs of a slot that is not a choice item (HTML)."""
    choose_all, flag = escape(choose_all), escape(flag)
    parts = []
    for s in slots:
        kind = s.view["type"]
        inputs = (choice_inputs_html(s.view, s.prefix) if kind in CHOICE_TYPES
                  else str(other_inputs(s)))
        note = f" · {choose_all}" if kind == "multiple_choice" else ""
        parts.append(
            f'<fieldset class="exam-item card card-body mb-3" id="item-{s.slot}" '
            f'data-slot="{s.slot}"><legend class="h6 mb-2 float-none">{escape(s.label)} '
            f'<span class="small fw-normal text-body-secondary"> · {escape(s.points_label)}'
            f'{note}</span></legend><div class="quiz-stem">{s.stem_html}</div>{inputs}'
            f'<div class="form-check mt-2"><input class="form-check-input exam-flag" '
            f'type="checkbox" id="flag-{s.slot}" data-flag="{s.slot}"><label '
            f'class="form-check-label small" for="flag-{s.slot}">{flag}</label></div>'
            f"</fieldset>")
    return Markup("\n".join(parts))  # noqa: S704 - built from escaped parts above


def saved_answers(attempt_id: int) -> dict[int, dict]:
    """slot → {"seq", "response"} for the page's script, in one query."""
    rows = db.session.execute(sa.select(ExamAnswer.slot, ExamAnswer.sequence, ExamAnswer.response)
                              .where(ExamAnswer.attempt_id == attempt_id))
    return {slot: {"seq": seq, "response": response} for slot, seq, response in rows}


def is_answered(response: dict | None) -> bool:
    return bool(response) and any(v.strip() for values in response.values() for v in values)


def responses_from_form(form: dict[str, list[str]], item_count: int) -> dict[int, dict]:
    """Group a posted exam form (no script) into slot → fields; other fields are ignored."""
    grouped: dict[int, dict] = {}
    for name, values in form.items():
        match = FIELD_RE.match(name)
        if match and int(match.group(1)) < item_count:
            grouped.setdefault(int(match.group(1)), {})[name] = [str(v) for v in values]
    return grouped
