"""Reading a holder's retraining plan: the policy that applies to a certificate and the
facts the rules need (credit hours, course completions, recertification passes,
excellent appraisals), gathered for many certificates in a constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from lms.courses.models import Course, CreditEntry
from lms.domain import retraining as rules
from lms.domain.attempt_states import AttemptState
from lms.exams.models import ExamAttempt
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.retraining.models import (
    Appraisal,
    AppraisalOutcome,
    PolicyStatus,
    RetrainingPolicy,
)


def policy_rules(row: RetrainingPolicy) -> rules.Policy:
    return rules.Policy(
        validity_months=row.validity_months, cycle_months=row.cycle_months,
        hours_per_cycle=Decimal(row.hours_per_cycle), domains=frozenset(row.domains or ()),
        domain_caps={k: Decimal(str(v)) for k, v in (row.domain_caps or {}).items()},
        mandatory_courses=tuple(row.mandatory_courses or ()),
        recert_exam=row.recert_exam_id is not None,
        recert_window_days=row.recert_window_days,
        reminder_offsets=tuple(sorted({int(o) for o in row.reminder_offsets or ()},
                                      reverse=True)),
        grace_days=row.grace_days, suspension_days=row.suspension_days,
        excellent_appraisal_hours=Decimal(row.excellent_appraisal_hours or 0))


def current_policies(level_ids: Iterable[int]) -> dict[int, RetrainingPolicy]:
    """The current policy of each level that has one."""
    ids = sorted(set(level_ids))
    if not ids:
        return {}
    return {p.level_id: p for p in db.session.scalars(
        sa.select(RetrainingPolicy).where(RetrainingPolicy.level_id.in_(ids),
                                          RetrainingPolicy.status == PolicyStatus.CURRENT))}


@dataclass(frozen=True)
class Holder:
    """What the rules need to know about one certificate's holder."""

    certificate_id: int
    user_id: int
    valid_from: date
    expires_on: date
    counts_from: date


def facts_for(holders: list[Holder],
              recert_exams: dict[int, int | None]) -> dict[int, rules.Facts]:
    """Facts per certificate id, in four queries whatever the number of holders.
    ``recert_exams`` (the policy's exam, if any) is keyed by certificate id."""
    if not holders:
        return {}
    users = sorted({h.user_id for h in holders})
    since = min(h.counts_from for h in holders)
    credits: dict[int, list[tuple]] = defaultdict(list)
    for user_id, earned_on, hours, domain, code in db.session.execute(
            sa.select(CreditEntry.user_id, CreditEntry.earned_on, CreditEntry.hours,
                      CreditEntry.domain, Course.code)
            .join(Course, Course.id == CreditEntry.course_id)
            .where(CreditEntry.user_id.in_(users), CreditEntry.earned_on >= since)):
        credits[user_id].append((earned_on, Decimal(hours), getattr(domain, "value", domain),
                                 code))
    exams = {e for e in recert_exams.values() if e}
    passes: dict[tuple[int, int], list[date]] = defaultdict(list)
    if exams:
        for user_id, exam_id, finished in db.session.execute(
                sa.select(ExamAttempt.user_id, ExamAttempt.exam_id, ExamAttempt.finished_at)
                .join(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
                .where(ExamAttempt.user_id.in_(users), ExamAttempt.exam_id.in_(exams),
                       ExamAttempt.state == AttemptState.RELEASED,
                       ExamResult.passed.is_(True))):
            passes[(user_id, exam_id)].append(finished.date())
    excellent = _excellent_appraisals(users, since)
    out = {}
    for holder in holders:
        mine = [c for c in credits[holder.user_id] if c[0] >= holder.counts_from]
        completions: dict[str, list[date]] = defaultdict(list)
        for earned_on, _hours, _domain, code in mine:
            completions[code].append(earned_on)
        exam = recert_exams.get(holder.certificate_id)
        out[holder.certificate_id] = rules.Facts(
            credits=tuple(rules.Credit(d, h, dom) for d, h, dom, _code in mine),
            completions={k: tuple(v) for k, v in completions.items()},
            recert_passes=tuple(d for d in passes.get((holder.user_id, exam), ())
                                if d >= holder.counts_from) if exam else (),
            excellent_appraisals=tuple(d for d in excellent.get(holder.user_id, ())
                                       if d >= holder.counts_from))
    return out


def _excellent_appraisals(users: list[int], since: date) -> dict[int, list[date]]:
    """Dates of "excellent" annual appraisals per user."""
    found: dict[int, list[date]] = defaultdict(list)
    for user_id, day in db.session.execute(
            sa.select(Appraisal.user_id, Appraisal.appraised_on)
            .where(Appraisal.user_id.in_(users), Appraisal.appraised_on >= since,
                   Appraisal.outcome == AppraisalOutcome.EXCELLENT)):
        found[user_id].append(day)
    return found
