"""Versioned retraining policies through the officers' pages: a draft, its impact on
today's holders, the confirmation that makes it current; scope and validation."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.i18n import local_today
from lms.retraining.models import PolicyStatus, RetrainingPolicy
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org
from tests.retraining_factories import current_policy, set_validity

FORM = {"validity_months": "36", "cycle_months": "12", "hours_per_cycle": "24",
        "domain_caps": "", "mandatory_courses": "", "recert_exam_id": "0",
        "recert_window_days": "180", "reminder_offsets": "90, 30, 7, 0", "grace_days": "90",
        "suspension_days": "180", "excellent_appraisal_hours": "0"}


def test_a_draft_shows_its_impact_and_applies_only_when_confirmed(client, login_as, app):
    org = make_org()
    exam, qualification = certified_exam(org)
    level = qualification.levels[-1]
    current_policy(level, hours_per_cycle=10)
    # two holders half-way through their first cycle, one with no hours at all
    for name in ("甲", "乙"):
        start = local_today() - timedelta(days=360)
        set_validity(certificate_of(sit(exam, 5, name=name)), start)
    login_as(officer(org))
    url = f"/retraining-policies/levels/{level.id}"
    page = client.get(url).get_data(as_text=True)
    assert "版本 1" in page
    response = client.post(url, data={**FORM, "hours_per_cycle": "40"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "影响 2 名持证人" in page
    current = db.session.scalar(sa.select(RetrainingPolicy).where(
        RetrainingPolicy.status == PolicyStatus.CURRENT))
    assert current.version == 1 and current.hours_per_cycle == 10  # not applied yet
    client.post(f"{url}/confirm")
    db.session.expire_all()
    versions = {p.version: p.status for p in db.session.scalars(sa.select(RetrainingPolicy))}
    assert versions == {1: PolicyStatus.RETIRED, 2: PolicyStatus.CURRENT}
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"retraining_policy.draft_saved", "retraining_policy.confirmed"} <= actions


def test_bad_values_are_explained(client, login_as, app):
    org = make_org()
    _, qualification = certified_exam(org)
    level = qualification.levels[0]
    login_as(officer(org))
    url = f"/retraining-policies/levels/{level.id}"
    assert "不能长于有效期" in client.post(url, data={**FORM, "cycle_months": "48"}
                                       ).get_data(as_text=True)
    assert "未知的课程代码：nope" in client.post(url, data={**FORM, "mandatory_courses": "nope"}
                                          ).get_data(as_text=True)
    assert "90, 30, 7, 0" in client.post(url, data={**FORM, "reminder_offsets": "soon"}
                                         ).get_data(as_text=True)
    assert db.session.scalar(sa.select(RetrainingPolicy)) is None


def test_another_districts_officer_gets_a_404(client, login_as, app):
    _, qualification = certified_exam(make_org())
    login_as(officer(make_org()))
    url = f"/retraining-policies/levels/{qualification.levels[0].id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=FORM).status_code == 404
