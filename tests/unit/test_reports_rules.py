"""Session summaries and spreadsheet-safe cells, by hand."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal as D

import pytest

from lms.domain.reports import Outcome, rate, spreadsheet_safe, summarise


def test_a_session_summary_by_hand():
    outcomes = [
        Outcome(started=True, finished=True, passed=True, percent=D("80")),
        Outcome(started=True, finished=True, passed=False, percent=D("40")),
        Outcome(started=True, finished=True, passed=True, percent=D("100")),
        Outcome(started=True, finished=True, passed=True, percent=D("60")),
        Outcome(started=True, finished=True),  # an essay waits for a marker
        Outcome(started=True, finished=True, passed=None, invalidated=True),
        Outcome(started=True, finished=False),  # still writing
        Outcome(started=False, finished=False),  # never came
    ]
    s = summarise(outcomes)
    assert (s.registered, s.attended, s.finished) == (8, 7, 6)
    assert (s.graded, s.pending, s.invalidated, s.passed, s.failed) == (4, 1, 1, 3, 1)
    assert s.pass_rate == 0.75
    assert s.mean == 70.0
    assert s.median == 70.0
    # deviations −30, 10, 30, −10 → squares 900+100+900+100 = 2000, / (4 − 1)
    assert s.sd == pytest.approx(math.sqrt(2000 / 3))
    counts = {(b.low, b.high): b.count for b in s.distribution}
    assert len(counts) == 10
    assert counts[(40.0, 50.0)] == counts[(60.0, 70.0)] == counts[(80.0, 90.0)] == 1
    assert counts[(90.0, 100.0)] == 1  # 100 % lands in the last, closed bin
    assert sum(counts.values()) == 4


def test_an_empty_session_has_no_rates():
    s = summarise([])
    assert (s.registered, s.graded, s.pass_rate, s.mean, s.median, s.sd) == (
        0, 0, None, None, None, None)
    assert [b.count for b in s.distribution] == [0] * 10


def test_one_graded_attempt_has_no_sd():
    s = summarise([Outcome(True, True, False, 55)])
    assert (s.mean, s.median, s.sd, s.pass_rate) == (55.0, 55.0, None, 0.0)


def test_rate():
    assert rate(1, 4) == 0.25 and rate(0, 0) is None


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-1+2", "@SUM(1)",
                                  "\tcmd", "\rcmd", "=1+2"])
def test_formula_text_is_prefixed(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "a=b", "1+1", "", " =1", "'=quoted"])
def test_plain_text_is_left_alone(text):
    assert spreadsheet_safe(text) == text


def test_numbers_stay_numbers():
    assert spreadsheet_safe(-1) == -1
    assert spreadsheet_safe(D("-2.50")) == D("-2.50")
    assert spreadsheet_safe(0.5) == 0.5
    assert spreadsheet_safe(None) is None
    assert spreadsheet_safe(date(2026, 1, 2)) == date(2026, 1, 2)
    assert spreadsheet_safe(True) == "TRUE"


def test_other_values_become_safe_text():
    class Name:
        def __str__(self):
            return "=cmd|' /C calc'!A0"

    assert spreadsheet_safe(Name()) == "'=cmd|' /C calc'!A0"
