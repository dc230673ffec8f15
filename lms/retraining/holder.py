"""A holder's live retraining plans, for their plan page and their calendar: every
certificate of theirs whose level has a current policy, computed in a constant number
of queries whatever the number of certificates (`plans_of`), and the one thing to do
next (`next_step`, pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Course
from lms.domain import retraining as rules
from lms.exams.models import Exam
from lms.extensions import db
from lms.retraining.models import CertificatePlan, RetrainingPolicy
from lms.retraining.plans import Holder, current_policies, facts_for, policy_rules


@dataclass(frozen=True)
class HolderPlan:
    """One certificate's plan as its holder sees it."""

    certificate: Certificate
    policy_row: RetrainingPolicy
    policy: rules.Policy
    plan: rules.Plan
    today: date
    #: mandatory course code → the course (None: no such course in the catalogue)
    courses: dict[str, Course | None]
    recert_exam: Exam | None

    @property
    def in_progress(self) -> rules.Cycle | None:
        """The cycle today falls in (the last one once the validity has ended)."""
        for cycle in self.plan.cycles:
            if cycle.start <= self.today <= cycle.end:
                return cycle
        return self.plan.cycles[-1] if self.plan.cycles and \
            self.today > self.plan.cycles[-1].end else None

    @property
    def past(self) -> list[rules.Cycle]:
        return [c for c in self.plan.cycles if c.end < self.today]

    @property
    def missing_courses(self) -> tuple[str, ...]:
        """Mandatory courses of the first unmet cycle (what the holder must do next)."""
        current = self.plan.current
        return current.courses_missing if current else ()

    @property
    def step(self) -> Step:
        return next_step(self.plan, self.certificate.expires_on, self.today)


@dataclass(frozen=True)
class Step:
    """What to do next: ``kind`` in expired / course / hours / recert / recert_later /
    renew / none, with the due date and the figure it is about."""

    kind: str
    due: date | None = None
    course: str = ""
    hours: object = None
    late: bool = False


def next_step(plan: rules.Plan, expires_on: date, today: date) -> Step:
    """The single most urgent thing the holder should do (pure)."""
    if plan.standing == rules.Standing.EXPIRED:
        return Step("expired", expires_on)
    cycle = plan.current
    if cycle is not None:
        late = cycle.end < today
        if cycle.courses_missing:
            return Step("course", cycle.end, course=cycle.courses_missing[0], late=late)
        return Step("hours", cycle.end, hours=cycle.hours_required - cycle.hours_earned,
                    late=late)
    if plan.recert_needed and not plan.recert_passed and plan.recert_window:
        opens, closes = plan.recert_window
        if today < opens:
            return Step("recert_later", opens)
        return Step("recert", closes, late=today > closes)
    return Step("renew", expires_on)


def plans_of(user_id: int, today: date) -> list[HolderPlan]:
    """The plans of the user's certificates (not revoked) whose level has a current
    policy, newest certificate first: at most eight queries for any number of them."""
    certificates = list(db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.holder_id == user_id,
               Certificate.status != CertificateStatus.REVOKED)
        .options(joinedload(Certificate.qualification), joinedload(Certificate.level))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))
    policies = current_policies(c.level_id for c in certificates)
    certificates = [c for c in certificates if c.level_id in policies]
    if not certificates:
        return []
    stored = {p.certificate_id: p.counts_from for p in db.session.scalars(
        sa.select(CertificatePlan).where(
            CertificatePlan.certificate_id.in_([c.id for c in certificates])))}
    rule_of = {c.id: policy_rules(policies[c.level_id]) for c in certificates}
    facts = facts_for(
        [Holder(c.id, c.holder_id, c.valid_from, c.expires_on, stored.get(c.id, c.valid_from))
         for c in certificates],
        {c.id: policies[c.level_id].recert_exam_id for c in certificates})
    codes = {code for p in rule_of.values() for code in p.mandatory_courses}
    courses = {c.code: c for c in db.session.scalars(
        sa.select(Course).where(Course.code.in_(sorted(codes))))} if codes else {}
    exam_ids = {p.recert_exam_id for p in policies.values() if p.recert_exam_id}
    exams = {e.id: e for e in db.session.scalars(
        sa.select(Exam).where(Exam.id.in_(sorted(exam_ids))))} if exam_ids else {}
    out = []
    for certificate in certificates:
        row, policy = policies[certificate.level_id], rule_of[certificate.id]
        out.append(HolderPlan(
            certificate, row, policy,
            rules.plan(certificate.valid_from, certificate.expires_on, policy,
                       facts[certificate.id], today),
            today, {code: courses.get(code) for code in policy.mandatory_courses},
            exams.get(row.recert_exam_id) if row.recert_exam_id else None))
    return out
