"""What the exam page shows: the frozen paper as candidate views, and the saved
answers. Only `candidate_view` output reaches the page — never a key, an
explanation, a weight or a score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from lms.domain.items import ItemSpec, item_from_dict
from lms.domain.presentation import candidate_view, stem_html
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


#: version id → (stored spec, parsed spec): every candidate's paper draws from the same
#: few hundred versions, and decoding one costs ~0.1 ms (bench/README.md)
_PARSED: dict[int, tuple[dict, ItemSpec]] = {}
_PARSED_MAX = 10_000


def spec_of(version_id: int, raw: dict) -> ItemSpec:
    """The version's spec, decoded once per process. Versions are immutable; the stored
    spec is compared anyway, so a reused id (an emptied test database) is decoded afresh."""
    hit = _PARSED.get(version_id)
    if hit is not None and hit[0] == raw:
        return hit[1]
    spec = item_from_dict(raw)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[version_id] = (raw, spec)
    return spec


def paper_slots(attempt: ExamAttempt) -> list[PaperSlot]:
    """The paper in order, in one query for all its question versions."""
    items = (attempt.paper or {}).get("items", [])
    ids = [item["version_id"] for item in items]
    specs = dict(db.session.execute(
        sa.select(QuestionVersion.id, QuestionVersion.spec).where(QuestionVersion.id.in_(ids))
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
