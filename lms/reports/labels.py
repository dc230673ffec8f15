"""Labels of the reports' codes, translated lazily (shared with the question-bank browser)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.domain.item_analysis import Flag

STATE_LABELS = {
    "registered": _l("Registered"), "admitted": _l("Admitted"),
    "rejected": _l("Check-in rejected"), "cancelled": _l("Cancelled"),
    "in_progress": _l("In progress"), "paused": _l("Paused"), "submitted": _l("Handed in"),
    "timed_out": _l("Time ran out"), "terminated": _l("Terminated"), "graded": _l("Marked"),
    "released": _l("Result released"), "invalidated": _l("Invalidated"),
}
FLAG_LABELS = {
    Flag.NEGATIVE_DISCRIMINATION.value: _l("Negative discrimination"),
    Flag.LOW_DISCRIMINATION.value: _l("Low discrimination"),
    Flag.TOO_EASY.value: _l("Too easy"),
    Flag.TOO_HARD.value: _l("Too hard"),
    Flag.DISTRACTOR_FAVOURS_UPPER.value: _l("A wrong option draws the strong candidates"),
}
RELIABILITY_LABELS = {"kr20": _l("KR-20"), "alpha": _l("Cronbach's alpha")}

__all__ = ["FLAG_LABELS", "RELIABILITY_LABELS", "STATE_LABELS"]
