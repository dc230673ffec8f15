"""The attempt state machine: the documented path works, nothing else does."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.attempt_states import (
    FINISHED,
    OPEN,
    TRANSITIONS,
    AttemptEvent,
    AttemptState,
    IllegalTransition,
    allowed_events,
    transition,
)

S, E = AttemptState, AttemptEvent


def run(*events):
    state = S.REGISTERED
    for event in events:
        state = transition(state, event)
    return state


def test_the_normal_path():
    assert run(E.ADMIT, E.START, E.PAUSE, E.RESUME, E.SUBMIT, E.GRADE, E.RELEASE) == S.RELEASED


@pytest.mark.parametrize(("events", "end"), [
    ((E.ADMIT, E.START, E.TIME_OUT, E.GRADE), S.GRADED),
    ((E.ADMIT, E.START, E.PAUSE, E.TERMINATE), S.TERMINATED),
    ((E.ADMIT, E.START, E.SUBMIT, E.INVALIDATE), S.INVALIDATED),
    ((E.REJECT,), S.REJECTED),
    ((E.CANCEL,), S.CANCELLED),
    ((E.ADMIT, E.CANCEL), S.CANCELLED),
])
def test_other_documented_paths(events, end):
    assert run(*events) == end


@pytest.mark.parametrize(("events", "illegal"), [
    ((E.ADMIT, E.START, E.SUBMIT), E.SUBMIT),  # a second submit
    ((E.ADMIT, E.START, E.SUBMIT), E.TIME_OUT),  # the sweep after a submit
    ((E.ADMIT, E.START, E.TERMINATE), E.SUBMIT),  # submit racing a termination
    ((E.ADMIT, E.START, E.PAUSE), E.SUBMIT),  # no submit while paused
    ((), E.START),  # no start before admission
    ((E.ADMIT, E.START, E.SUBMIT), E.RELEASE),  # no release before grading
    ((E.ADMIT, E.START), E.CANCEL),  # a started attempt counts: no cancelling it
])
def test_races_and_skipped_steps_are_refused(events, illegal):
    state = run(*events)
    with pytest.raises(IllegalTransition) as err:
        transition(state, illegal)
    assert err.value.code == f"{illegal.value}_when_{state.value}"


def test_finished_states_never_reopen():
    reopening = {E.START, E.RESUME, E.PAUSE, E.SUBMIT, E.TIME_OUT}
    for state in FINISHED:
        assert not (allowed_events(state) & reopening), state
    assert OPEN.isdisjoint(FINISHED)


@given(st.lists(st.sampled_from(list(AttemptEvent)), max_size=12))
def test_any_event_sequence_stays_inside_the_table(events):
    state = S.REGISTERED
    finalised = 0
    for event in events:
        try:
            new = transition(state, event)
        except IllegalTransition:
            continue
        assert (state, event) in TRANSITIONS
        finalised += new in {S.SUBMITTED, S.TIMED_OUT, S.TERMINATED}
        state = new
    assert finalised <= 1  # an attempt is finalised at most once
