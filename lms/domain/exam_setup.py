"""Rules for setting up an exam, as plain functions: the definition's settings, one
blueprint section, a session's window and seats.

Each check returns every problem it finds as a `Problem` (the field it belongs
to, a reason code and the numbers the message needs), so a form can show them
all at once; an empty list means the values are fine. Nothing here touches the
database or the request: the callers gather the facts (codes already taken,
seats already booked) and pass them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

CODE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_DURATION_MINUTES = 600
MAX_ATTEMPTS = 20
MAX_COOLDOWN_DAYS = 365
SNAPSHOT_SECONDS = (10, 3600)
MAX_FOCUS_LOSSES = 100
MAX_SECTION_ITEMS = 500
MAX_POINTS = Decimal(100)
MAX_CAPACITY = 10_000
REVIEW_KEYS = ("score", "responses", "key", "explanations")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    params: dict = field(default_factory=dict)


def check_code(code: str, *, taken: bool) -> list[Problem]:
    """An exam code: lower-case letters, digits and hyphens, not used by another exam."""
    if not CODE_SHAPE.match(code or ""):
        return [Problem("code", "shape")]
    return [Problem("code", "taken")] if taken else []


def _in_range(name: str, value, low, high) -> list[Problem]:
    if value is None or not low <= value <= high:
        return [Problem(name, "range", {"min": low, "max": high})]
    return []


def check_settings(*, title: str, duration_minutes: int | None, pass_percent,
                   attempts_allowed: int | None, cooldown_days: int | None,
                   webcam_required: bool, proctoring: str,
                   snapshot_interval_seconds: int | None,
                   focus_loss_limit: int | None) -> list[Problem]:
    """The definition's settings other than its sections and required courses."""
    problems = [] if (title or "").strip() else [Problem("title", "required")]
    problems += _in_range("duration_minutes", duration_minutes, 1, MAX_DURATION_MINUTES)
    try:
        percent = Decimal(str(pass_percent))
    except (InvalidOperation, ValueError):
        percent = None
    if percent is None or not percent.is_finite() or not Decimal(0) < percent <= 100:
        problems.append(Problem("pass_percent", "range"))
    problems += _in_range("attempts_allowed", attempts_allowed, 1, MAX_ATTEMPTS)
    problems += _in_range("cooldown_days", cooldown_days, 0, MAX_COOLDOWN_DAYS)
    problems += _in_range("focus_loss_limit", focus_loss_limit, 0, MAX_FOCUS_LOSSES)
    if webcam_required:
        if proctoring != "online":
            problems.append(Problem("webcam_required", "online_only"))
        problems += _in_range("snapshot_interval_seconds", snapshot_interval_seconds,
                              *SNAPSHOT_SECONDS)
    return problems


def check_marking(*, tolerance_percent) -> list[Problem]:
    """Essay marking: the tolerance between two marks is 0–100 % of the essay's points."""
    try:
        value = Decimal(str(tolerance_percent))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 100:
        return [Problem("marking_tolerance_percent", "range")]
    return []


def section_dict(*, key: str, title: str, count: int | None, points, min_percent=None,
                 banks=(), domains=(), types=(), tags=(), difficulties=(),
                 category: str = "") -> tuple[dict, list[Problem]]:
    """A blueprint section as stored in ``Exam.sections``, and what is wrong with it.

    Empty criteria are left out of the filter (an empty criterion accepts every
    question); the shape is the one `lms.exams.blueprints.section_from_dict` reads.
    """
    problems = [] if (title or "").strip() else [Problem("title", "required")]
    problems += _in_range("count", count, 1, MAX_SECTION_ITEMS)
    try:
        points_value = Decimal(str(points))
    except (InvalidOperation, ValueError):
        points_value = None
    if (points_value is None or not points_value.is_finite()
            or not Decimal(0) < points_value <= MAX_POINTS):
        problems.append(Problem("points", "range", {"max": MAX_POINTS}))
    if min_percent is not None and not 1 <= min_percent <= 100:
        problems.append(Problem("min_percent", "range"))
    raw_filter = {"banks": sorted(set(banks)), "domains": sorted(set(domains)),
                  "types": sorted(set(types)),
                  "tags": sorted({t.strip() for t in tags if t and t.strip()}),
                  "difficulties": sorted({int(d) for d in difficulties}),
                  "category": (category or "").strip().strip("/")}
    data = {"key": key, "title": (title or "").strip(), "count": count,
            "points": f"{points_value.normalize():f}" if points_value is not None
            and points_value.is_finite() else str(points),
            "min_percent": min_percent,
            "filter": {k: v for k, v in raw_filter.items() if v}}
    return data, problems


def check_session(*, title: str, starts_at: datetime | None, ends_at: datetime | None,
                  registration_deadline: datetime | None, capacity: int | None,
                  booked: int = 0) -> list[Problem]:
    """A session's window and seats: it ends after it starts, booking closes before it
    ends, and it seats at least one person and at least those already booked."""
    problems = [] if (title or "").strip() else [Problem("title", "required")]
    if starts_at and ends_at and ends_at <= starts_at:
        problems.append(Problem("ends_at", "before_start"))
    if ends_at and registration_deadline and registration_deadline >= ends_at:
        problems.append(Problem("registration_deadline", "after_end"))
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        problems.append(Problem("capacity", "range", {"max": MAX_CAPACITY}))
    elif capacity < booked:
        problems.append(Problem("capacity", "below_booked", {"booked": booked}))
    return problems


def check_extra_time(*, extra_percent: int | None, extra_minutes: int | None) -> list[Problem]:
    """An accommodation: 0–200 % and 0–600 minutes, and some extra time at all."""
    problems = (_in_range("extra_percent", extra_percent or 0, 0, 200)
                + _in_range("extra_minutes", extra_minutes or 0, 0, 600))
    if not problems and not (extra_percent or extra_minutes):
        problems.append(Problem("extra_percent", "none"))
    return problems


def moved(keys: list[str], key: str, offset: int) -> list[str] | None:
    """``keys`` with ``key`` moved by ``offset`` places; None when it cannot move."""
    if key not in keys:
        return None
    index = keys.index(key)
    target = index + offset
    if not 0 <= target < len(keys):
        return None
    order = list(keys)
    order[index], order[target] = order[target], order[index]
    return order
