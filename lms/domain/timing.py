"""The exam clock. The server owns it: the deadline is computed from the start,
the duration, accommodations, extensions and pauses, never from the browser.

``deadline = started_at + duration + allowance + Σ extensions + Σ pauses``;
while a pause is open the clock stands still.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ZERO = timedelta(0)


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None = None  #: None while the attempt is paused


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    duration: timedelta
    #: an accommodation granted before the exam (extra time)
    allowance: timedelta = ZERO
    #: time a proctor added during the exam
    extensions: tuple[timedelta, ...] = ()
    pauses: tuple[Pause, ...] = ()

    def __post_init__(self):
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        if self.duration <= ZERO or self.allowance < ZERO or any(e < ZERO for e in self.extensions):
            raise ValueError("duration must be positive and added time never negative")

    @property
    def paused(self) -> bool:
        return any(p.ended_at is None for p in self.pauses)


def _paused_for(clock: Clock, now: datetime) -> timedelta:
    """Time spent paused up to ``now`` (an open pause counts until now)."""
    total = ZERO
    for pause in clock.pauses:
        end = pause.ended_at or now
        total += max(end - pause.started_at, ZERO)
    return total


def deadline(clock: Clock, now: datetime) -> datetime:
    """When time runs out, as known at ``now`` (it moves on while paused)."""
    added = clock.allowance + sum(clock.extensions, ZERO)
    return clock.started_at + clock.duration + added + _paused_for(clock, now)


def remaining(clock: Clock, now: datetime) -> timedelta:
    """Time left to show the candidate (never negative; frozen while paused)."""
    return max(deadline(clock, now) - now, ZERO)


def accepts_answer(clock: Clock, now: datetime, *, grace: timedelta) -> bool:
    """Whether a save arriving at ``now`` counts: not paused, and no later than the
    deadline plus the grace for saves already in flight."""
    return not clock.paused and now <= deadline(clock, now) + grace


def is_overdue(clock: Clock, now: datetime, *, grace: timedelta) -> bool:
    """Whether the sweep must submit the attempt (the deadline and grace have passed)."""
    return not clock.paused and now > deadline(clock, now) + grace
