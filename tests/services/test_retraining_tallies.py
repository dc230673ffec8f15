"""The retraining dashboard's tallies: after the daily tick its figures are those of the
plans themselves (counted here one by one), and the migration that adds the tallies
fills them from the plans already there."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import sqlalchemy as sa
import time_machine
from flask_migrate import downgrade, upgrade

from lms.accounts.models import Organisation, User
from lms.certificates import status
from lms.certificates.models import Certificate, CertificateStatus
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.retraining import dashboard, tallies
from lms.retraining.models import (
    CertificatePlan,
    PolicyStatus,
    RetrainingPolicy,
    RetrainingTally,
)
from lms.retraining.tick import tick
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org, make_user
from tests.retraining_factories import current_policy, earn, set_validity
from tests.services.test_migrations import empty_database, migration_app  # noqa: F401


def _quarter(earned: D, required: D) -> int | None:
    """The hours bin by arithmetic: quarters of the requirement, 4 once it is met."""
    if required <= 0:
        return None
    return min(int(earned / required * 4), 4)


def _expected(qualification_id: int, children):
    """The three figures counted plan by plan, as the dashboard defines them, and how
    many plans they leave out (revoked certificates, holders gone from the register)."""
    rows = db.session.execute(
        sa.select(Certificate.status, CertificatePlan.standing, CertificatePlan.hours_earned,
                  CertificatePlan.hours_required, Organisation.path)
        .join(Certificate, Certificate.id == CertificatePlan.certificate_id)
        .join(User, User.id == Certificate.holder_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Certificate.qualification_id == qualification_id)).all()
    live = [r for r in rows
            if r.status != CertificateStatus.REVOKED and r.standing != Standing.EXPIRED]
    standings = Counter(r.standing for r in live)
    compliance = {c.name: (sum(r.standing in dashboard.COMPLIANT for r in live
                               if (r.path or "").startswith(c.path)),
                           sum((r.path or "").startswith(c.path) for r in live))
                  for c in children}
    bins = Counter(_quarter(r.hours_earned, r.hours_required) for r in live)
    return (standings, compliance,
            [bins[k] for k in range(len(dashboard.HOURS_BINS))], len(rows) - len(live))


def test_after_the_tick_the_figures_are_those_of_the_plans(app):
    top = make_org("东城区总工会")
    street_a, street_b = make_org("甲街道工会", parent=top), make_org("乙街道工会", parent=top)
    lane = make_org("甲街道一社区工会", parent=street_a)  # a grandchild: counts for 甲
    exam, qualification = certified_exam(top)
    junior, intermediate = qualification.levels
    current_policy(junior, hours_per_cycle=D(0))  # no hours asked: no hours bin
    current_policy(intermediate, hours_per_cycle=D(10))
    foreign_exam, foreign = certified_exam(make_org("西城区总工会"))
    current_policy(foreign.levels[-1])
    # (organisation, items right, validity from, hours earned in its first cycle)
    people = [(street_a, 5, date(2027, 1, 1), 10),  # met: its plan shows the next cycle
              (street_a, 5, date(2027, 1, 1), 3),
              (lane, 5, date(2027, 1, 1), 5), (street_a, 3, date(2027, 1, 1), 0),
              (street_b, 5, date(2026, 2, 1), 7),  # cycle ends within the month
              (street_b, 5, date(2026, 1, 1), 8),  # first cycle short of hours
              (street_b, 5, date(2024, 1, 1), 0),  # validity over, in grace
              (top, 5, date(2023, 10, 1), 0),  # past grace: suspended
              (street_a, 5, date(2023, 1, 1), 0),  # past suspension: expired
              (street_b, 5, date(2027, 1, 1), 0)]  # revoked below
    certificates = []
    with time_machine.travel(datetime(2027, 1, 5, 1, tzinfo=UTC), tick=False):
        for n, (org, right, start, hours) in enumerate(people):
            certificate = set_validity(certificate_of(sit(exam, right, name=f"持证{n}",
                                                          org=org)), start)
            if hours:
                earn(certificate.holder, hours, start + timedelta(days=4))
            certificates.append(certificate)
        set_validity(certificate_of(sit(foreign_exam, name="外区", org=street_a)),
                     date(2026, 1, 1))
    me = officer(top)
    children = dashboard.scope_children(me)

    def figures_are_those_of_the_plans() -> Counter:
        standings, compliance, bins, uncounted = _expected(qualification.id, children)
        counts = dashboard.standing_counts(me)
        assert {s: n for s, n in counts.items() if n} == dict(standings)
        assert {c.name: (c.compliant, c.total)
                for c in dashboard.compliance_by_organisation(me, children)} == compliance
        assert [n for _, _, n in dashboard.hours_distribution(me)] == bins
        assert sum(bins) < sum(standings.values())  # the junior level asks no hours
        return standings + Counter(uncounted=uncounted)

    with time_machine.travel(datetime(2027, 1, 20, 1, tzinfo=UTC), tick=False):
        tick(date(2027, 1, 20))
    first = figures_are_those_of_the_plans()
    assert len(first) >= 6  # a cohort worth comparing: five standings, an expired plan
    status.change(certificates[-1], "revoke", me, "伪造材料")
    db.session.commit()
    with time_machine.travel(datetime(2027, 2, 1, 1, tzinfo=UTC), tick=False):
        tick(date(2027, 2, 1))  # the cycle due on 31 January is now overdue
    then = figures_are_those_of_the_plans()
    assert then[Standing.DUE_SOON] == first[Standing.DUE_SOON] - 1
    assert then["uncounted"] == first["uncounted"] + 1  # the revoked certificate


def test_the_migration_tallies_the_plans_already_there(migration_app):  # noqa: F811
    upgrade()
    org = make_org("东城区总工会")
    _, qualification = certified_exam(org)
    level = qualification.levels[-1]
    policy = RetrainingPolicy(level_id=level.id, status=PolicyStatus.CURRENT)
    db.session.add(policy)
    for n, (standing, earned, status_) in enumerate([
            (Standing.GOOD, "10", CertificateStatus.ACTIVE),
            (Standing.GOOD, "10", CertificateStatus.ACTIVE),
            (Standing.OVERDUE, "3", CertificateStatus.ACTIVE),
            (Standing.OVERDUE, "3", CertificateStatus.REVOKED),
            (Standing.EXPIRED, "0", CertificateStatus.EXPIRED)]):
        holder = make_user(name=f"持证{n}", org=org)
        certificate = Certificate(serial=f"M{n:05d}", holder_id=holder.id,
                                  qualification_id=qualification.id, level_id=level.id,
                                  valid_from=date(2026, 1, 1), expires_on=date(2028, 12, 31),
                                  status=status_, status_index=n)
        db.session.add(certificate)
        db.session.flush()
        db.session.add(CertificatePlan(certificate_id=certificate.id, policy=policy,
                                       standing=standing, hours_earned=D(earned),
                                       hours_required=D(10), counts_from=date(2026, 1, 1)))
    db.session.commit()
    db.session.rollback()
    downgrade(revision="0018")
    upgrade(revision="0019")
    tallied = {(t.organisation_id, t.standing, t.hours_bin): t.plans
               for t in db.session.scalars(sa.select(RetrainingTally))}
    assert tallied == {(org.id, Standing.GOOD, 4): 2, (org.id, Standing.OVERDUE, 1): 1}
    # the same rows as the tick's rebuild
    assert sorted(tuple(r) for r in db.session.execute(tallies.counted_plans())) == sorted(
        (qualification.id, *key, n) for key, n in tallied.items())
    db.session.rollback()
