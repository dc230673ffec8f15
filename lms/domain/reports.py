"""Exam reports from plain data: a session's summary and spreadsheet-safe cells.

``summarise(outcomes)`` counts one `Outcome` per booking of a session and
describes the final percentages:

* **registered**: every booking given (the caller leaves cancelled ones out);
* **attended**: the candidate started the exam;
* **finished**: the attempt ended (handed in, timed out or terminated);
* **graded**: it has a final result (nothing waits for a marker) and was not
  invalidated; **pending**: finished, not invalidated, no final result yet;
  **invalidated**: an officer invalidated it (no score counts);
* **passed** / **failed**: among the graded; **pass rate** = passed ÷ graded
  (None when nobody is graded — a rate over attempts still being marked would
  move as marks arrive);
* **mean**, **median** and the *sample* standard deviation (N − 1, as a
  spreadsheet's STDEV and `item_analysis.PaperStats` report it; None below two)
  of the graded attempts' percentages;
* **distribution**: the graded percentages in ten 10 %-bins over [0, 100], each
  [low, high) except the last, which holds 100 (`item_analysis.histogram`).

``spreadsheet_safe(value)`` defuses formula injection (OWASP "CSV injection"):
a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with a single quote, so Excel, LibreOffice and WPS show it
as text instead of running it. Numbers (int, float, Decimal; not bool) stay
numbers — a negative score is a number, not a formula — and None stays empty.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lms.domain.item_analysis import Bin, histogram

#: what a text cell may not begin with (OWASP: = + - @, tab, carriage return)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Outcome:
    """One booking of a session, as plain values."""

    started: bool
    finished: bool
    #: True/False once the result is final; None while marking or without a result
    passed: bool | None = None
    #: the final result's percentage (ignored unless ``passed`` is not None)
    percent: float | Decimal | None = None
    invalidated: bool = False


@dataclass(frozen=True)
class SessionSummary:
    registered: int
    attended: int
    finished: int
    graded: int
    pending: int
    invalidated: int
    passed: int
    failed: int
    pass_rate: float | None  #: passed ÷ graded, 0…1
    mean: float | None  #: of the graded percentages
    median: float | None
    sd: float | None  #: sample SD (N − 1)
    distribution: tuple[Bin, ...]


def summarise(outcomes: Iterable[Outcome], bins: int = 10) -> SessionSummary:
    registered = attended = finished = pending = invalidated = passed = 0
    percents: list[float] = []
    for outcome in outcomes:
        registered += 1
        attended += outcome.started
        finished += outcome.finished
        if outcome.invalidated:
            invalidated += 1
        elif outcome.passed is None or outcome.percent is None:
            pending += outcome.finished
        else:
            passed += outcome.passed
            percents.append(float(outcome.percent))
    graded = len(percents)
    return SessionSummary(
        registered=registered, attended=attended, finished=finished, graded=graded,
        pending=pending, invalidated=invalidated, passed=passed, failed=graded - passed,
        pass_rate=passed / graded if graded else None,
        mean=statistics.fmean(percents) if percents else None,
        median=statistics.median(percents) if percents else None,
        sd=statistics.stdev(percents) if graded >= 2 else None,
        distribution=histogram(percents, bins))


def rate(part: int, whole: int) -> float | None:
    """``part ÷ whole``, None when ``whole`` is 0."""
    return part / whole if whole else None


def spreadsheet_safe(value):
    """A value fit for a CSV or XLSX cell; see the module docstring."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float | Decimal | datetime | date):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


__all__ = ["FORMULA_TRIGGERS", "Outcome", "SessionSummary", "rate", "spreadsheet_safe",
           "summarise"]
