"""The daily tick: every certificate's retraining standing moves on, renewals happen,
reminders go out — once per deadline and offset — and certificates past grace are
suspended, then expire.

Set-based: certificates are read in batches (`BATCH`), with their facts in four
queries per batch (`lms.retraining.plans.facts_for`), the rules run in Python
(`lms.domain.retraining`), and the plan rows are written with one executemany per
batch; only a certificate whose status actually changes costs statements of its own
(its ledger event, mail and audit entry). Idempotent: a plan remembers the day it was
ticked, so a second run on the same day changes nothing. The run ends by rebuilding the
dashboard's tallies from the plans (`lms.retraining.tallies`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lms.audit.services import record as audit_record
from lms.certificates import artefacts, ledger, status
from lms.certificates.models import Certificate, CertificateStatus
from lms.clock import utcnow
from lms.courses.models import Course, CourseAssignment
from lms.domain import retraining as rules
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.notifications.services import queue_mail
from lms.retraining import inbox, plans, tallies
from lms.retraining.models import (
    CertificatePlan,
    PolicyStatus,
    RetrainingPolicy,
    RetrainingReminder,
)

BATCH = 2000
A, S, E = CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED, CertificateStatus.EXPIRED


@dataclass
class TickReport:
    today: date
    examined: int = 0
    transitions: Counter = field(default_factory=Counter)
    renewals: int = 0
    reminders: int = 0
    suspended: int = 0
    expired: int = 0
    courses_assigned: int = 0
    renewed_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "examined": self.examined,
                "transitions": dict(sorted(self.transitions.items())),
                "renewals": self.renewals, "reminders": self.reminders,
                "suspended": self.suspended, "expired": self.expired,
                "courses_assigned": self.courses_assigned}


def tick(today: date, *, batch: int = BATCH, now: datetime | None = None) -> TickReport:
    """Run the day ``today`` for every certificate; commits per batch."""
    now = now or utcnow()
    report = TickReport(today)
    last = 0
    while rows := _batch(today, last, batch):
        _tick_batch(rows, today, now, report)
        db.session.commit()
        last = rows[-1].id
    report.expired += _expire_without_policy(today, now)
    # the dashboard's figures as this run left the plans, committed with its last changes
    tallies.refresh_tallies()
    db.session.commit()
    if report.renewed_ids:
        _remake_artefacts(report.renewed_ids)
    return report


def _batch(today: date, after: int, size: int) -> list:
    """Active and suspended certificates of levels with a current policy, not yet ticked
    today, with their plan row (if any) and the policy."""
    return db.session.execute(
        sa.select(Certificate.id, Certificate.holder_id, Certificate.level_id,
                  Certificate.serial, Certificate.status, Certificate.valid_from,
                  Certificate.expires_on, CertificatePlan.standing, CertificatePlan.counts_from,
                  CertificatePlan.ticked_on, CertificatePlan.cycle_number,
                  CertificatePlan.renewals, CertificatePlan.policy_id.label("plan_policy"),
                  RetrainingPolicy.id.label("policy_id"))
        .join(RetrainingPolicy, sa.and_(RetrainingPolicy.level_id == Certificate.level_id,
                                        RetrainingPolicy.status == PolicyStatus.CURRENT))
        .outerjoin(CertificatePlan, CertificatePlan.certificate_id == Certificate.id)
        .where(Certificate.id > after, Certificate.status.in_((A, S)),
               sa.or_(CertificatePlan.ticked_on.is_(None), CertificatePlan.ticked_on < today))
        .order_by(Certificate.id).limit(size)).all()


def _tick_batch(rows: list, today: date, now: datetime, report: TickReport) -> None:
    policy_rows = {p.id: p for p in db.session.scalars(
        sa.select(RetrainingPolicy).where(RetrainingPolicy.id.in_({r.policy_id for r in rows})))}
    policies = {pid: plans.policy_rules(p) for pid, p in policy_rows.items()}
    holders = [plans.Holder(r.id, r.holder_id, r.valid_from, r.expires_on,
                            r.counts_from or r.valid_from) for r in rows]
    facts = plans.facts_for(holders,
                            {r.id: policy_rows[r.policy_id].recert_exam_id for r in rows})
    sent = _sent_reminders([r.id for r in rows])
    new_plans, plan_updates, reminders, status_changes = [], [], [], []
    #: (user, policy, end of the cycle running today): its mandatory courses are assigned
    #: once (the first tick of the cycle; later ticks find them assigned)
    cycle_starts: list[tuple[int, int, date]] = []
    for row in rows:
        policy = policies[row.policy_id]
        valid_from, expires_on, counts_from = (row.valid_from, row.expires_on,
                                               row.counts_from or row.valid_from)
        outcome = rules.plan(valid_from, expires_on, policy, facts[row.id], today)
        officer_suspended = row.status == S and row.standing != Standing.SUSPENDED
        renewals = row.renewals or 0
        if outcome.renewable and not officer_suspended:
            valid_from, expires_on = rules.renewed_validity(expires_on, policy)
            counts_from = max(valid_from, today + timedelta(days=1))
            renewals += 1
            status_changes.append(("renewed", row, valid_from, expires_on))
            outcome = rules.plan(valid_from, expires_on, policy, rules.Facts(), today)
        standing = outcome.standing
        if not officer_suspended:
            if standing == Standing.SUSPENDED and row.status == A:
                status_changes.append(("suspended", row, None, None))
            elif standing == Standing.EXPIRED:
                status_changes.append(("expired", row, None, None))
        if row.standing != standing:
            report.transitions[standing.value] += 1
        current = outcome.current or outcome.cycles[-1]
        running = next((c for c in outcome.cycles if c.start <= today <= c.end), None)
        if running is not None and policy.mandatory_courses:
            cycle_starts.append((row.holder_id, row.policy_id, running.end))
        values = {"certificate_id": row.id, "policy_id": row.policy_id, "standing": standing,
                  "next_deadline": outcome.next_deadline, "cycle_number": current.number,
                  "hours_earned": current.hours_earned,
                  "hours_required": current.hours_required, "counts_from": counts_from,
                  "renewals": renewals, "ticked_on": today}
        (new_plans if row.standing is None else plan_updates).append(values)
        if standing not in (Standing.SUSPENDED, Standing.EXPIRED):
            for deadline, offset in rules.reminders_due(outcome, expires_on, policy, today):
                if (row.id, deadline, offset) not in sent:
                    reminders.append((row, deadline, offset, standing))
    report.examined += len(rows)
    if new_plans:
        db.session.execute(sa.insert(CertificatePlan), new_plans)
    if plan_updates:
        db.session.execute(sa.update(CertificatePlan), plan_updates)
    _send_reminders(reminders, today, report)
    for kind, row, valid_from, expires_on in status_changes:
        _change_status(kind, row, valid_from, expires_on, now, report)
    report.courses_assigned += _assign_mandatory_courses(cycle_starts, policy_rows, now)


def _sent_reminders(certificate_ids: list[int]) -> set[tuple[int, date, int]]:
    return {tuple(r) for r in db.session.execute(
        sa.select(RetrainingReminder.certificate_id, RetrainingReminder.deadline,
                  RetrainingReminder.offset_days)
        .where(RetrainingReminder.certificate_id.in_(certificate_ids)))}


def _send_reminders(due: list, today: date, report: TickReport) -> None:
    """Record each (certificate, deadline, offset) once and tell its holder: one mail
    and one inbox message per certificate and day, about its nearest deadline."""
    if not due:
        return
    db.session.execute(sa.insert(RetrainingReminder), [
        {"certificate_id": row.id, "deadline": deadline, "offset_days": offset,
         "sent_on": today} for row, deadline, offset, _standing in due])
    report.reminders += len(due)
    nearest: dict[int, tuple] = {}
    for item in due:
        row, deadline, offset, _standing = item
        if row.id not in nearest or (deadline, offset) < nearest[row.id][1:3]:
            nearest[row.id] = item
    users = _users({row.holder_id for row, *_ in nearest.values()})
    link = artefacts.absolute_url("/plan/")
    for row, deadline, offset, standing in nearest.values():
        user = users[row.holder_id]
        message = queue_mail("retraining_reminder", user.email, locale=user.locale, user=user,
                             serial=row.serial, deadline=deadline, days=offset,
                             standing=standing.value, link=link)
        inbox.post(user.id, "retraining_reminder", message.subject, message.body_text,
                   "/plan/")


def _users(ids):
    from lms.accounts.models import User

    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


STATUS_ACTIONS = {"suspended": "suspend", "expired": "expire"}
REASONS = {
    "suspended": "继续教育要求逾期未完成，宽限期已满，证书暂停（系统每日检查）",
    "expired": "继续教育要求逾期未完成，暂停期已满，证书失效",
}


def _change_status(kind: str, row, valid_from, expires_on, now: datetime,
                   report: TickReport) -> None:
    """One certificate's renewal, suspension or expiry. Suspension and expiry go through
    `lms.certificates.status` like an officer's decisions; renewal is the tick's own:
    a guarded UPDATE of the validity, its ledger event, an audit entry and a mail."""
    certificate = db.session.get(Certificate, row.id)
    if kind != "renewed":
        if status.by_system(certificate, STATUS_ACTIONS[kind], REASONS[kind], now):
            if kind == "suspended":
                report.suspended += 1
            else:
                report.expired += 1
        return
    moved = db.session.execute(
        sa.update(Certificate).where(Certificate.id == row.id, Certificate.status.in_((A, S)))
        .values(status=A, valid_from=valid_from, expires_on=expires_on,
                status_changed_at=now, revision=Certificate.revision + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        return
    report.renewals += 1
    report.renewed_ids.append(row.id)
    data = {"valid_from": valid_from.isoformat(), "expires_on": expires_on.isoformat()}
    db.session.refresh(certificate)
    ledger.append("renewed", certificate, at=now, data=data)
    audit_record("certificate.renewed", obj=certificate, after={**data, "by": "tick"})
    holder = certificate.holder
    queue_mail("certificate_renewed", holder.email, locale=holder.locale, user=holder,
               certificate=certificate, link=artefacts.holder_link())


def _expire_without_policy(today: date, now: datetime) -> int:
    """Certificates of levels without a retraining policy simply expire after their
    last valid day."""
    has_policy = sa.select(RetrainingPolicy.id).where(
        RetrainingPolicy.level_id == Certificate.level_id,
        RetrainingPolicy.status == PolicyStatus.CURRENT)
    due = db.session.scalars(
        sa.select(Certificate).where(Certificate.status.in_((A, S)),
                                     Certificate.expires_on < today, ~sa.exists(has_policy)))
    return sum(status.by_system(c, "expire", "有效期届满", now) for c in due.all())


def _assign_mandatory_courses(starts: list[tuple[int, int, date]],
                              policy_rows: dict[int, RetrainingPolicy], now: datetime) -> int:
    """Assign the policy's mandatory courses of the cycle running today, due at its end:
    once per user, course and due date, so the first tick of a cycle assigns them."""
    wanted = {(user, code, end) for user, pid, end in starts
              for code in policy_rows[pid].mandatory_courses or ()}
    if not wanted:
        return 0
    courses = dict(db.session.execute(sa.select(Course.code, Course.id).where(
        Course.code.in_({code for _u, code, _e in wanted}))).all())
    existing = {tuple(r) for r in db.session.execute(
        sa.select(CourseAssignment.user_id, CourseAssignment.course_id, CourseAssignment.due_on)
        .where(CourseAssignment.user_id.in_({u for u, _c, _e in wanted})))}
    new = [{"user_id": user, "course_id": courses[code], "due_on": end, "created_at": now}
           for user, code, end in sorted(wanted)
           if code in courses and (user, courses[code], end) not in existing]
    if new:
        db.session.execute(sa.insert(CourseAssignment), new)
    return len(new)


def _remake_artefacts(certificate_ids: list[int]) -> None:
    """Renewed certificates get a new PDF and credential (new dates), off the tick's
    transactions: each committed on its own."""
    for certificate_id in certificate_ids:
        certificate = db.session.get(Certificate, certificate_id)
        artefacts.produce(certificate)
        db.session.commit()


def preview(policy: RetrainingPolicy, today: date) -> dict:
    """What confirming ``policy`` (a draft) would do to its level's holders today: how
    many it affects and how many would stand in each state — computed, nothing saved."""
    rows = db.session.execute(
        sa.select(Certificate.id, Certificate.holder_id, Certificate.valid_from,
                  Certificate.expires_on, CertificatePlan.counts_from, CertificatePlan.standing)
        .outerjoin(CertificatePlan, CertificatePlan.certificate_id == Certificate.id)
        .where(Certificate.level_id == policy.level_id,
               Certificate.status.in_((A, S)))).all()
    rules_now = plans.policy_rules(policy)
    facts = plans.facts_for(
        [plans.Holder(r.id, r.holder_id, r.valid_from, r.expires_on,
                      r.counts_from or r.valid_from) for r in rows],
        {r.id: policy.recert_exam_id for r in rows})
    after: Counter = Counter()
    worse = 0
    order = list(Standing)
    for r in rows:
        standing = rules.plan(r.valid_from, r.expires_on, rules_now, facts[r.id],
                              today).standing
        after[standing.value] += 1
        before = r.standing or Standing.GOOD
        if order.index(standing) > order.index(before):
            worse += 1
    return {"holders": len(rows), "after": dict(after), "worse": worse,
            "overdue": after.get("overdue", 0) + after.get("in_grace", 0)}

