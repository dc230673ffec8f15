"""The plan page's "what to do next" and the calendar's items, from the pure plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from lms.domain import retraining as rules
from lms.retraining.holder import Step, next_step
from lms.retraining.ical import items_of

START, END = date(2025, 1, 1), date(2027, 12, 31)
POLICY = rules.Policy(hours_per_cycle=D(24), mandatory_courses=("law",), recert_exam=True,
                      recert_window_days=180)


def facts(*credits: tuple[date, int], law: tuple[date, ...] = (), passes=()) -> rules.Facts:
    return rules.Facts(credits=tuple(rules.Credit(d, D(h), "union_law") for d, h in credits),
                       completions={"law": law}, recert_passes=tuple(passes))


def step(f: rules.Facts, today: date) -> Step:
    return next_step(rules.plan(START, END, POLICY, f, today), END, today)


def test_the_mandatory_course_comes_first_then_the_hours():
    assert step(facts(), date(2025, 3, 1)) == Step("course", date(2025, 12, 31), course="law")
    done_course = facts(law=(date(2025, 2, 1),))
    found = step(done_course, date(2025, 3, 1))
    assert (found.kind, found.hours, found.due) == ("hours", D(24), date(2025, 12, 31))
    assert step(done_course, date(2026, 2, 1)).late  # cycle 1 ended short


def test_the_recertification_exam_after_every_cycle_is_met_then_renewal():
    all_cycles = facts(*((date(y, 3, 1), 24) for y in (2025, 2026, 2027)),
                       law=(date(2025, 3, 1), date(2026, 3, 1), date(2027, 3, 1)))
    assert step(all_cycles, date(2027, 3, 2)).kind == "recert_later"
    assert step(all_cycles, date(2027, 8, 1)).kind == "recert"
    passed = facts(*((date(y, 3, 1), 24) for y in (2025, 2026, 2027)),
                   law=(date(2025, 3, 1), date(2026, 3, 1), date(2027, 3, 1)),
                   passes=(date(2027, 8, 1),))
    assert step(passed, date(2027, 8, 2)).kind == "renew"


def test_long_after_the_expiry_the_holder_is_told_they_left_the_register():
    assert step(facts(), date(2029, 1, 1)).kind == "expired"


def test_calendar_items_are_open_only_while_still_to_do():
    plan = rules.plan(START, END, POLICY, facts((date(2025, 3, 1), 24),
                                                law=(date(2025, 3, 1),)), date(2025, 6, 1))
    items = {(i.kind, i.start): i.open for i in items_of(plan, END, ("law",))}
    assert items[("cycle_end", date(2025, 12, 31))] is False
    assert items[("course", date(2025, 12, 31))] is False
    assert items[("cycle_end", date(2026, 12, 31))] is True
    assert items[("recert_window", date(2027, 7, 4))] is True
    assert items[("expiry", END)] is True
