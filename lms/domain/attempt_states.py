"""The attempt lifecycle, in one place.

registered → admitted → in_progress ⇄ paused → submitted | timed_out | terminated
→ graded → released; any finished attempt may be invalidated after review. A
check-in may also be rejected, and a booking that was never started is
cancelled (by the candidate, or by the sweep once its session is over). Every
change of state goes through `transition`, which refuses anything not in the
table; the database layer then applies it as one conditional update
(``WHERE state = :from``), so two racing requests cannot both win.
"""

from __future__ import annotations

from enum import StrEnum


class AttemptState(StrEnum):
    REGISTERED = "registered"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    TIMED_OUT = "timed_out"
    TERMINATED = "terminated"
    GRADED = "graded"
    RELEASED = "released"
    INVALIDATED = "invalidated"


class AttemptEvent(StrEnum):
    ADMIT = "admit"
    REJECT = "reject"
    CANCEL = "cancel"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    SUBMIT = "submit"
    TIME_OUT = "time_out"
    TERMINATE = "terminate"
    GRADE = "grade"
    RELEASE = "release"
    INVALIDATE = "invalidate"


S, E = AttemptState, AttemptEvent

#: (state, event) → new state; nothing else is allowed
TRANSITIONS: dict[tuple[AttemptState, AttemptEvent], AttemptState] = {
    (S.REGISTERED, E.ADMIT): S.ADMITTED,
    (S.REGISTERED, E.REJECT): S.REJECTED,
    (S.REGISTERED, E.CANCEL): S.CANCELLED,
    (S.ADMITTED, E.CANCEL): S.CANCELLED,
    (S.ADMITTED, E.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, E.PAUSE): S.PAUSED,
    (S.PAUSED, E.RESUME): S.IN_PROGRESS,
    (S.IN_PROGRESS, E.SUBMIT): S.SUBMITTED,
    (S.IN_PROGRESS, E.TIME_OUT): S.TIMED_OUT,
    (S.IN_PROGRESS, E.TERMINATE): S.TERMINATED,
    (S.PAUSED, E.TERMINATE): S.TERMINATED,
    (S.SUBMITTED, E.GRADE): S.GRADED,
    (S.TIMED_OUT, E.GRADE): S.GRADED,
    (S.TERMINATED, E.GRADE): S.GRADED,
    (S.GRADED, E.RELEASE): S.RELEASED,
    **{(state, E.INVALIDATE): S.INVALIDATED for state in (
        S.SUBMITTED, S.TIMED_OUT, S.TERMINATED, S.GRADED, S.RELEASED)},
}

#: states in which the candidate may still change answers
OPEN = frozenset({S.IN_PROGRESS})
#: states after which the answers are final
FINISHED = frozenset({S.SUBMITTED, S.TIMED_OUT, S.TERMINATED, S.GRADED, S.RELEASED,
                      S.INVALIDATED})


class IllegalTransition(ValueError):
    """``event`` is not allowed in ``state``; ``code`` names it for messages."""

    def __init__(self, state: AttemptState, event: AttemptEvent):
        super().__init__(f"cannot {event.value} an attempt that is {state.value}")
        self.state, self.event = state, event
        self.code = f"{event.value}_when_{state.value}"


def transition(state: AttemptState, event: AttemptEvent) -> AttemptState:
    """The state after ``event``, or `IllegalTransition`."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


def allowed_events(state: AttemptState) -> frozenset[AttemptEvent]:
    return frozenset(event for (source, event) in TRANSITIONS if source == state)
