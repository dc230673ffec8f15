"""The pure retraining rules: cycles, counted hours (domains, caps), late hours,
mandatory courses, the recertification window, standing and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from lms.domain.retraining import (
    Credit,
    Facts,
    Policy,
    Standing,
    counted_hours,
    cycles_of,
    plan,
    reminders_due,
    renewed_validity,
)

START, END = date(2027, 1, 1), date(2029, 12, 31)
POLICY = Policy(hours_per_cycle=D(10), reminder_offsets=(30, 7, 0), grace_days=60,
                suspension_days=90)


def test_a_validity_is_cut_into_cycles_ending_on_the_expiry():
    assert cycles_of(START, END, POLICY) == [
        (date(2027, 1, 1), date(2027, 12, 31)), (date(2028, 1, 1), date(2028, 12, 31)),
        (date(2029, 1, 1), date(2029, 12, 31))]
    # a validity that is not a whole number of cycles ends with a short cycle
    assert cycles_of(START, date(2028, 3, 31), POLICY)[-1] == (date(2028, 1, 1),
                                                              date(2028, 3, 31))


def test_only_counted_domains_count_each_up_to_its_cap():
    policy = Policy(domains=frozenset({"union_law", "labor_law"}),
                    domain_caps={"union_law": D(6)})
    credits = [Credit(START, D(8), "union_law"), Credit(START, D(3), "labor_law"),
               Credit(START, D(5), "other")]
    assert counted_hours(credits, policy) == D(9)  # 6 (capped) + 3; "other" not counted


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 20),
                          st.sampled_from(["union_law", "labor_law", "other"])), max_size=30))
def test_counted_hours_never_exceed_what_was_earned(raw):
    credits = [Credit(START + timedelta(days=d), D(h), dom) for d, h, dom in raw]
    policy = Policy(domain_caps={"union_law": D(5)})
    assert D(0) <= counted_hours(credits, policy) <= sum((c.hours for c in credits), D(0))


def test_hours_earned_late_count_for_the_missed_cycle_first():
    facts = Facts(credits=(Credit(date(2028, 2, 1), D(10), "union_law"),))
    on_time = plan(START, END, POLICY, facts, date(2028, 3, 1))
    assert on_time.cycles[0].met and not on_time.cycles[1].met
    assert on_time.standing == Standing.GOOD


def test_a_mandatory_course_is_due_in_every_cycle():
    policy = Policy(hours_per_cycle=D(0), mandatory_courses=("law-update",))
    facts = Facts(completions={"law-update": (date(2027, 5, 1),)})
    result = plan(START, END, policy, facts, date(2028, 6, 1))
    assert result.cycles[0].met and result.cycles[1].courses_missing == ("law-update",)


def test_standing_walks_from_good_to_expired_for_a_holder_who_does_nothing():
    def standing(day):
        return plan(START, END, POLICY, Facts(), day).standing

    assert standing(date(2027, 11, 30)) == Standing.GOOD
    assert standing(date(2027, 12, 1)) == Standing.DUE_SOON
    assert standing(date(2028, 1, 1)) == Standing.OVERDUE
    assert standing(date(2030, 1, 1)) == Standing.IN_GRACE
    assert standing(date(2030, 3, 2)) == Standing.SUSPENDED
    assert standing(date(2030, 5, 31)) == Standing.EXPIRED


def test_renewal_needs_everything_and_the_recert_exam_in_its_window():
    policy = Policy(hours_per_cycle=D(10), recert_exam=True, recert_window_days=90,
                    reminder_offsets=(30,))
    hours = tuple(Credit(date(y, 3, 1), D(10), "union_law") for y in (2027, 2028, 2029))
    without = plan(START, END, policy, Facts(credits=hours), date(2029, 12, 15))
    assert not without.renewable and not without.recert_passed
    early = Facts(credits=hours, recert_passes=(date(2029, 9, 1),))  # before the window
    assert not plan(START, END, policy, early, date(2029, 12, 15)).renewable
    passed = Facts(credits=hours, recert_passes=(date(2029, 11, 1),))
    assert plan(START, END, policy, passed, date(2029, 12, 15)).renewable
    assert renewed_validity(END, policy) == (date(2030, 1, 1), date(2032, 12, 31))


def test_an_excellent_appraisal_counts_hours_in_its_cycle():
    policy = Policy(hours_per_cycle=D(10), excellent_appraisal_hours=D(4))
    facts = Facts(credits=(Credit(date(2027, 3, 1), D(6), "union_law"),),
                  excellent_appraisals=(date(2027, 11, 1),))
    assert plan(START, END, policy, facts, date(2027, 12, 1)).cycles[0].met


def test_reminders_are_due_from_each_offset_until_the_deadline():
    result = plan(START, END, POLICY, Facts(), date(2027, 12, 24))
    assert reminders_due(result, END, POLICY, date(2027, 12, 24)) == [
        (date(2027, 12, 31), 7), (date(2027, 12, 31), 30)]
    assert reminders_due(result, END, POLICY, date(2027, 11, 30)) == []
