"""The exam clock at T−1 s, T, T+grace and T+grace+1 s, and its properties."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.timing import Clock, Pause, accepts_answer, deadline, is_overdue, remaining

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
GRACE = timedelta(seconds=10)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("offset", "accepted"), [
    (HOUR - SECOND, True), (HOUR, True), (HOUR + GRACE, True), (HOUR + GRACE + SECOND, False)])
def test_answers_count_until_the_deadline_plus_grace(offset, accepted):
    clock = Clock(started_at=START, duration=HOUR)
    assert accepts_answer(clock, START + offset, grace=GRACE) is accepted
    assert is_overdue(clock, START + offset, grace=GRACE) is not accepted


def test_allowance_extension_and_pause_each_add_exactly_their_time():
    clock = Clock(started_at=START, duration=HOUR, allowance=timedelta(minutes=15),
                  extensions=(timedelta(minutes=5),),
                  pauses=(Pause(START + timedelta(minutes=10), START + timedelta(minutes=13)),))
    assert deadline(clock, START + HOUR) == START + HOUR + timedelta(minutes=23)


def test_the_clock_stands_still_while_paused():
    clock = Clock(started_at=START, duration=HOUR,
                  pauses=(Pause(START + timedelta(minutes=20)),))
    at_pause = remaining(clock, START + timedelta(minutes=20))
    assert remaining(clock, START + timedelta(hours=5)) == at_pause == timedelta(minutes=40)
    assert not accepts_answer(clock, START + timedelta(minutes=30), grace=GRACE)
    assert not is_overdue(clock, START + timedelta(hours=5), grace=GRACE)


def test_naive_times_and_negative_extensions_are_refused():
    with pytest.raises(ValueError):
        Clock(started_at=datetime(2026, 12, 1, 9, 0), duration=HOUR)
    with pytest.raises(ValueError):
        Clock(started_at=START, duration=HOUR, extensions=(-SECOND,))


minutes = st.integers(min_value=0, max_value=600).map(lambda m: timedelta(minutes=m))
seconds = st.integers(min_value=0, max_value=10 * 3600).map(lambda s: timedelta(seconds=s))


@st.composite
def clocks(draw):
    pauses, cursor = [], START
    for _ in range(draw(st.integers(0, 3))):
        begin = cursor + draw(seconds)
        cursor = begin + draw(seconds)
        pauses.append(Pause(begin, cursor))
    return Clock(started_at=START, duration=draw(minutes) + timedelta(minutes=1),
                 allowance=draw(minutes), extensions=tuple(draw(st.lists(minutes, max_size=3))),
                 pauses=tuple(pauses))


@given(clocks(), seconds, st.integers(0, 120).map(lambda s: timedelta(seconds=s)))
def test_never_accepts_after_deadline_plus_grace(clock, after, grace):
    late = deadline(clock, START + timedelta(days=30)) + grace + SECOND + after
    assert not accepts_answer(clock, late, grace=grace)


@given(clocks(), minutes)
def test_an_extension_adds_exactly_its_time(clock, extra):
    longer = Clock(started_at=clock.started_at, duration=clock.duration,
                   allowance=clock.allowance, extensions=(*clock.extensions, extra),
                   pauses=clock.pauses)
    later = START + timedelta(days=30)
    assert deadline(longer, later) - deadline(clock, later) == extra


@given(clocks(), seconds, seconds)
def test_a_closed_pause_adds_exactly_its_length(clock, gap, length):
    last = max([p.ended_at for p in clock.pauses] or [START])
    pause = Pause(last + gap, last + gap + length)
    paused = Clock(started_at=clock.started_at, duration=clock.duration,
                   allowance=clock.allowance, extensions=clock.extensions,
                   pauses=(*clock.pauses, pause))
    later = START + timedelta(days=30)
    assert deadline(paused, later) - deadline(clock, later) == length
