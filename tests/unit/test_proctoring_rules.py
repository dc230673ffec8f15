"""Integrity rules over an attempt's event stream."""

from datetime import UTC, datetime, timedelta

from lms.domain.proctoring import Event, EventKind, Rules, evaluate

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
K = EventKind


def at(seconds: int, kind: EventKind) -> Event:
    return Event(kind, T0 + timedelta(seconds=seconds))


DEFAULT_RULES = Rules()


def codes(events, rules=DEFAULT_RULES, *, now=120):
    return [f.code for f in evaluate(events, rules, started=T0,
                                     now=T0 + timedelta(seconds=now))]


def test_a_quiet_attempt_has_no_flags():
    assert codes([at(10, K.SNAPSHOT), at(40, K.BLUR), at(41, K.FOCUS)]) == []


def test_focus_losses_beyond_the_limit_flag_once():
    events = [at(n * 10, K.HIDDEN) for n in range(1, 6)]
    flags = evaluate(events, Rules(max_focus_losses=3), started=T0, now=T0 + timedelta(hours=1))
    assert [(f.code, f.detail["count"]) for f in flags] == [("focus_losses", 5)]
    assert flags[0].at == T0 + timedelta(seconds=40)  # the fourth one crossed the line


def test_long_fullscreen_absence_is_flagged_and_an_open_one_counts_until_now():
    rules = Rules(max_fullscreen_away=timedelta(seconds=30))
    assert codes([at(10, K.FULLSCREEN_EXIT), at(30, K.FULLSCREEN_ENTER)], rules) == []
    assert codes([at(10, K.FULLSCREEN_EXIT), at(50, K.FULLSCREEN_ENTER)], rules) == [
        "fullscreen_away"]
    assert codes([at(10, K.FULLSCREEN_EXIT)], rules, now=100) == ["fullscreen_away"]


def test_missing_webcam_snapshots_are_flagged():
    rules = Rules(snapshot_interval=timedelta(seconds=30), missed_snapshots=2)
    steady = [at(s, K.SNAPSHOT) for s in range(30, 300, 30)]
    assert codes(steady, rules, now=300) == []
    gap = [at(30, K.SNAPSHOT), at(200, K.SNAPSHOT)]
    assert codes(gap, rules, now=220) == ["snapshots_missing"]


def test_clipboard_print_and_network_changes_are_flagged():
    events = [at(5, K.PASTE), at(6, K.PRINT), at(7, K.IP_CHANGE)]
    assert codes(events) == ["paste", "print", "ip_change"]
    assert codes(events, Rules(clipboard_allowed=True)) == ["print", "ip_change"]
