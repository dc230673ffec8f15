"""Autosave ordering and the answer-ledger oracle used by the fault tests."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lms.domain.answer_ledger import Sent, Stored, accepts_save, audit_ledger

T = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CUTOFF = T + timedelta(minutes=60)


def test_only_a_higher_sequence_replaces_an_answer():
    assert accepts_save(None, 1)
    assert accepts_save(3, 4)
    assert not accepts_save(4, 4)  # a retry of the same save
    assert not accepts_save(5, 4)  # an old save arriving late


@given(st.lists(st.integers(1, 50), min_size=1, max_size=30))
def test_any_arrival_order_ends_with_the_highest_sequence(arrivals):
    stored = None
    for sequence in arrivals:
        if accepts_save(stored, sequence):
            stored = sequence
    assert stored == max(arrivals)


def test_a_clean_run_is_clean():
    sent = [Sent("q1", 1, "a", True), Sent("q1", 2, "b", True), Sent("q2", 1, "c", False)]
    stored = {"q1": Stored(2, "b", T), "q2": Stored(1, "c", T)}
    report = audit_ledger(sent, stored, cutoff=CUTOFF, finalisations=1)
    assert report.clean


def test_every_kind_of_fault_is_counted():
    sent = [Sent("q1", 1, "a", True), Sent("q1", 2, "b", True), Sent("q3", 1, "x", True)]
    stored = {
        "q1": Stored(1, "a", T),  # acknowledged sequence 2 was lost
        "q2": Stored(1, "z", T),  # never sent: phantom
        "q3": Stored(1, "x", CUTOFF + timedelta(seconds=1)),  # accepted too late
    }
    report = audit_ledger(sent, stored, cutoff=CUTOFF, finalisations=2)
    assert report.lost == ("q1",) and report.phantom == ("q2",)
    assert report.late_accepted == ("q3",) and report.double_finalised == 1
    assert not report.clean


def test_an_unacknowledged_save_may_be_lost():
    sent = [Sent("q1", 1, "a", True), Sent("q1", 2, "b", False)]
    report = audit_ledger(sent, {"q1": Stored(1, "a", T)}, cutoff=CUTOFF, finalisations=1)
    assert report.clean
