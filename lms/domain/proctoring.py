"""Integrity rules: the events an exam page reports, turned into flags.

Pure: events and rules in, flags out. The proctor console and the review show
the flags; people decide what they mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise


class EventKind(StrEnum):
    HIDDEN = "hidden"  #: the page became invisible (tab switch, minimised)
    VISIBLE = "visible"
    BLUR = "blur"  #: the window lost focus
    FOCUS = "focus"
    FULLSCREEN_EXIT = "fullscreen_exit"
    FULLSCREEN_ENTER = "fullscreen_enter"
    COPY = "copy"
    CUT = "cut"
    PASTE = "paste"
    CONTEXT_MENU = "context_menu"
    PRINT = "print"
    IP_CHANGE = "ip_change"
    AGENT_CHANGE = "agent_change"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime


@dataclass(frozen=True)
class Rules:
    max_focus_losses: int = 3  #: hidden or blurred more often than this → flag
    max_fullscreen_away: timedelta = timedelta(seconds=30)  #: one absence longer → flag
    snapshot_interval: timedelta | None = None  #: webcam required when set
    missed_snapshots: int = 3  #: this many intervals without a snapshot → flag
    clipboard_allowed: bool = False


@dataclass(frozen=True)
class Flag:
    code: str  #: focus_losses / fullscreen_away / snapshots_missing / clipboard / …
    at: datetime
    detail: dict


def evaluate(events: Sequence[Event], rules: Rules, *, started: datetime,
             now: datetime) -> list[Flag]:
    """Flags raised by the events of one attempt between ``started`` and ``now``."""
    ordered = sorted(events, key=lambda e: e.at)
    flags = _focus_losses(ordered, rules) + _fullscreen_absences(ordered, rules, now)
    flags += _snapshot_gaps(ordered, rules, started, now)
    flags += [Flag(e.kind.value, e.at, {}) for e in ordered
              if e.kind in {EventKind.IP_CHANGE, EventKind.AGENT_CHANGE, EventKind.PRINT}
              or (not rules.clipboard_allowed
                  and e.kind in {EventKind.COPY, EventKind.CUT, EventKind.PASTE})]
    return sorted(flags, key=lambda f: f.at)


def _focus_losses(events: Sequence[Event], rules: Rules) -> list[Flag]:
    losses = [e for e in events if e.kind in {EventKind.HIDDEN, EventKind.BLUR}]
    if len(losses) <= rules.max_focus_losses:
        return []
    over = losses[rules.max_focus_losses]
    return [Flag("focus_losses", over.at, {"count": len(losses),
                                           "allowed": rules.max_focus_losses})]


def _fullscreen_absences(events: Sequence[Event], rules: Rules, now: datetime) -> list[Flag]:
    flags, left = [], None
    for event in events:
        if event.kind == EventKind.FULLSCREEN_EXIT and left is None:
            left = event.at
        elif event.kind == EventKind.FULLSCREEN_ENTER and left is not None:
            flags += _absence(left, event.at, rules)
            left = None
    if left is not None:
        flags += _absence(left, now, rules)
    return flags


def _absence(left: datetime, back: datetime, rules: Rules) -> list[Flag]:
    away = back - left
    if away <= rules.max_fullscreen_away:
        return []
    return [Flag("fullscreen_away", left, {"seconds": int(away.total_seconds())})]


def _snapshot_gaps(events: Sequence[Event], rules: Rules, started: datetime,
                   now: datetime) -> list[Flag]:
    if rules.snapshot_interval is None:
        return []
    limit = rules.snapshot_interval * rules.missed_snapshots
    moments = [started, *(e.at for e in events if e.kind == EventKind.SNAPSHOT), now]
    return [Flag("snapshots_missing", a, {"seconds": int((b - a).total_seconds())})
            for a, b in pairwise(moments) if b - a > limit]
