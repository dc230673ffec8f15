"""Where a certificate holder stands in their retraining, decided from dates and counts
alone (no database): the daily tick and the plan page both ask this module.

A certificate is valid from ``valid_from`` to ``expires_on``; its validity is cut into
cycles of ``cycle_months`` from ``valid_from`` (the last one ends on ``expires_on``).
By the end of each cycle the holder must have earned the policy's continuing-education
hours *in that cycle* (only the domains the policy counts, each capped) and completed
its mandatory courses; hours earned after a cycle's end still count for it when the
cycle they fall into is already satisfied ("earned late"), so a holder who catches up
is back in good standing. Renewal at the end of the validity also needs the
recertification exam passed within its window when the policy asks for one.

Standing, in the order a holder who does nothing walks through it:

``good``       nothing due within the first reminder offset
``due_soon``   a requirement is due within the first reminder offset
``overdue``    a cycle ended with its requirement unmet (the certificate stays valid)
``in_grace``   the validity ended unrenewed; renewal is still possible for ``grace_days``
``suspended``  grace is over; renewal still reinstates it for ``suspension_days``
``expired``    the holder has left the profession's register (exit)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from lms.domain.dates import add_months


class Standing(enum.StrEnum):
    GOOD = "good"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    IN_GRACE = "in_grace"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Policy:
    validity_months: int = 36
    cycle_months: int = 12
    hours_per_cycle: Decimal = Decimal(24)
    #: domains whose hours count (empty: every domain)
    domains: frozenset[str] = frozenset()
    #: a domain's hours count up to this many per cycle
    domain_caps: Mapping[str, Decimal] = field(default_factory=dict)
    #: course codes to complete in every cycle
    mandatory_courses: tuple[str, ...] = ()
    #: renewal needs the recertification exam passed within this many days before expiry
    recert_exam: bool = False
    recert_window_days: int = 180
    #: days before a deadline on which the holder is reminded (0: the day itself)
    reminder_offsets: tuple[int, ...] = (90, 30, 7, 0)
    grace_days: int = 90
    suspension_days: int = 180
    #: hours an "excellent" annual appraisal counts in its cycle
    excellent_appraisal_hours: Decimal = Decimal(0)

    @property
    def first_offset(self) -> int:
        return max(self.reminder_offsets, default=0)


@dataclass(frozen=True)
class Credit:
    earned_on: date
    hours: Decimal
    domain: str


@dataclass(frozen=True)
class Facts:
    """What the holder did: credit hours, course completions (code → dates), passed
    recertification exams (dates), excellent appraisals (dates)."""

    credits: tuple[Credit, ...] = ()
    completions: Mapping[str, tuple[date, ...]] = field(default_factory=dict)
    recert_passes: tuple[date, ...] = ()
    excellent_appraisals: tuple[date, ...] = ()


@dataclass(frozen=True)
class Cycle:
    number: int  # 1, 2, …
    start: date
    end: date  # the last day of the cycle
    hours_required: Decimal
    hours_earned: Decimal  # counted (domains, caps, appraisal), in the cycle or late
    courses_missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.hours_earned >= self.hours_required and not self.courses_missing


@dataclass(frozen=True)
class Plan:
    cycles: tuple[Cycle, ...]
    recert_needed: bool
    recert_window: tuple[date, date] | None
    recert_passed: bool
    standing: Standing
    #: the next date something is due (a cycle end or the expiry), None when all is met
    next_deadline: date | None
    #: may be renewed now (every requirement of the validity met, inside the window)
    renewable: bool

    @property
    def current(self) -> Cycle | None:
        return next((c for c in self.cycles if not c.met), None)


def cycles_of(valid_from: date, expires_on: date, policy: Policy) -> list[tuple[date, date]]:
    """The cycles of a validity: [start, end] pairs, the last ending on ``expires_on``."""
    out, start, number = [], valid_from, 1
    while start <= expires_on:
        end = min(add_months(valid_from, number * policy.cycle_months) - timedelta(days=1),
                  expires_on)
        out.append((start, end))
        start, number = end + timedelta(days=1), number + 1
    return out


def counted_hours(credits: Iterable[Credit], policy: Policy) -> Decimal:
    """Hours of ``credits`` that count: only the policy's domains, each up to its cap."""
    per_domain: dict[str, Decimal] = {}
    for credit in credits:
        if policy.domains and credit.domain not in policy.domains:
            continue
        per_domain[credit.domain] = per_domain.get(credit.domain, Decimal(0)) + credit.hours
    return sum((min(hours, policy.domain_caps.get(domain, hours))
                for domain, hours in per_domain.items()), Decimal(0))


def plan(valid_from: date, expires_on: date, policy: Policy, facts: Facts,
         today: date) -> Plan:
    """The holder's cycles and standing on ``today``."""
    cycles: list[Cycle] = []
    unused = sorted(facts.credits, key=lambda c: (c.earned_on, c.domain, c.hours))
    completions = {code: sorted(facts.completions.get(code, ()))
                   for code in policy.mandatory_courses}
    for number, (start, end) in enumerate(cycles_of(valid_from, expires_on, policy), 1):
        bonus = policy.excellent_appraisal_hours * sum(
            1 for d in facts.excellent_appraisals if start <= d <= end)
        used = [c for c in unused if start <= c.earned_on <= end]
        # short: hours earned after the cycle ended count for it first (catching up)
        for credit in [c for c in unused if c.earned_on > end]:
            if counted_hours(used, policy) + bonus >= policy.hours_per_cycle:
                break
            used.append(credit)
        unused = [c for c in unused if c not in used]
        missing = []
        for code in policy.mandatory_courses:
            done = next((d for d in completions[code] if d >= start), None)
            if done is None:
                missing.append(code)
            else:  # one completion counts for one cycle
                completions[code].remove(done)
        earned = min(counted_hours(used, policy) + bonus, policy.hours_per_cycle)
        cycles.append(Cycle(number, start, end, policy.hours_per_cycle, earned,
                            tuple(missing)))
    window, recert_passed = None, True
    if policy.recert_exam:
        window = (expires_on - timedelta(days=policy.recert_window_days), expires_on)
        last_chance = expires_on + timedelta(days=policy.grace_days + policy.suspension_days)
        recert_passed = any(window[0] <= d <= last_chance for d in facts.recert_passes)
    all_met = all(c.met for c in cycles) and recert_passed
    renew_from = window[0] if window else expires_on - timedelta(days=policy.first_offset)
    return Plan(tuple(cycles), policy.recert_exam, window, recert_passed,
                _standing(cycles, all_met, expires_on, policy, today),
                _next_deadline(cycles, all_met, expires_on, today),
                renewable=all_met and today >= renew_from)


def _next_deadline(cycles, all_met, expires_on, today) -> date | None:
    if all_met:
        return None
    for cycle in cycles:
        if not cycle.met and cycle.end >= today:
            return cycle.end
    return expires_on if expires_on >= today else None


def _standing(cycles: list[Cycle], all_met: bool, expires_on: date, policy: Policy,
              today: date) -> Standing:
    if today > expires_on and not all_met:
        late = (today - expires_on).days
        if late <= policy.grace_days:
            return Standing.IN_GRACE
        if late <= policy.grace_days + policy.suspension_days:
            return Standing.SUSPENDED
        return Standing.EXPIRED
    if any(not c.met and c.end < today for c in cycles):
        return Standing.OVERDUE
    soon = today + timedelta(days=policy.first_offset)
    if any(not c.met and today <= c.end <= soon for c in cycles) or (
            not all_met and today <= expires_on <= soon):
        return Standing.DUE_SOON
    return Standing.GOOD


def reminders_due(plan: Plan, expires_on: date, policy: Policy, today: date
                  ) -> list[tuple[date, int]]:
    """(deadline, offset) pairs whose reminder day has come (deadline − offset ≤ today ≤
    deadline) for deadlines still unmet; the caller sends each pair once ever."""
    deadlines = {c.end for c in plan.cycles if not c.met}
    if not all(c.met for c in plan.cycles) or not plan.recert_passed:
        deadlines.add(expires_on)
    return sorted((deadline, offset) for deadline in deadlines
                  for offset in policy.reminder_offsets
                  if deadline - timedelta(days=offset) <= today <= deadline)


def renewed_validity(expires_on: date, policy: Policy) -> tuple[date, date]:
    """The next validity: from the day after ``expires_on`` for ``validity_months``."""
    start = expires_on + timedelta(days=1)
    return start, add_months(start, policy.validity_months) - timedelta(days=1)
