"""The officers' retraining dashboard: figures from the certificate plans of the
qualifications in scope, bulk reminders (mail and inbox), the XLSX holders list, and a
constant number of queries whatever the number of holders."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.certificates import status
from lms.certificates.models import Certificate, CertificateStatus
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.i18n import local_today
from lms.notifications.models import OutboxMessage
from lms.retraining import dashboard, tallies
from lms.retraining.models import (
    CertificatePlan,
    InboxMessage,
    PolicyStatus,
    RetrainingPolicy,
)
from tests.certificate_factories import certified_exam, officer
from tests.conftest import count_queries
from tests.factories import make_org, make_user

_seq = itertools.count(1)


def _holder(qualification, org, standing, *, earned="0", required="24", expires_in=400,
            name=None, status=CertificateStatus.ACTIVE):
    """A holder in ``org`` with a certificate of ``qualification`` and its plan (in a
    chosen standing, which the tick would compute), tallied."""
    n = next(_seq)
    today = local_today()
    level = qualification.levels[0]
    policy = db.session.scalar(sa.select(RetrainingPolicy).where(
        RetrainingPolicy.level_id == level.id))
    if policy is None:
        policy = RetrainingPolicy(level_id=level.id, status=PolicyStatus.CURRENT)
        db.session.add(policy)
    user = make_user(name=name or f"持证人{n}", org=org)
    certificate = Certificate(serial=f"TEST{n:06d}", holder_id=user.id,
                              qualification_id=qualification.id, level_id=level.id,
                              valid_from=today - timedelta(days=700),
                              expires_on=today + timedelta(days=expires_in), status=status,
                              status_index=100000 + n)
    db.session.add(certificate)
    db.session.flush()
    db.session.add(CertificatePlan(
        certificate_id=certificate.id, policy=policy, standing=standing,
        next_deadline=today + timedelta(days=min(expires_in, 60)), hours_earned=D(earned),
        hours_required=D(required), counts_from=certificate.valid_from))
    tallies.refresh_tallies()  # as the tick does once it has written the plans
    db.session.commit()
    return user


@pytest.fixture
def cohort(app):
    """A district with two streets and five holders of its qualification, and a holder of
    another district's qualification (outside the officer's scope)."""
    top = make_org("东城区总工会")
    street_a = make_org("甲街道工会", parent=top)
    street_b = make_org("乙街道工会", parent=top)
    _, qualification = certified_exam(top)
    _, foreign = certified_exam(make_org("西城区总工会"))
    people = {
        "good": _holder(qualification, street_a, Standing.GOOD, earned="24"),
        "overdue": _holder(qualification, street_a, Standing.OVERDUE, earned="6",
                           name="=cmd|' /C calc'!A0"),
        "due_soon": _holder(qualification, street_b, Standing.DUE_SOON, earned="12",
                            expires_in=30),
        "in_grace": _holder(qualification, street_b, Standing.IN_GRACE, expires_in=-10),
        "suspended": _holder(qualification, street_b, Standing.SUSPENDED, earned="20",
                             expires_in=-120, status=CertificateStatus.SUSPENDED),
        "revoked": _holder(qualification, street_a, Standing.OVERDUE,
                           status=CertificateStatus.REVOKED),
        "foreign": _holder(foreign, street_a, Standing.OVERDUE),
    }
    return {"top": top, "a": street_a, "b": street_b, "qualification": qualification,
            "officer": officer(top, name="李官"), **people}


def test_the_dashboard_figures_of_an_officers_scope(client, login_as, cohort):
    me = cohort["officer"]
    counts = dashboard.standing_counts(me)
    assert (counts[Standing.GOOD], counts[Standing.DUE_SOON], counts[Standing.OVERDUE],
            counts[Standing.IN_GRACE], counts[Standing.SUSPENDED]) == (1, 1, 1, 1, 1)
    compliance = {c.name: (c.compliant, c.total)
                  for c in dashboard.compliance_by_organisation(
                      me, dashboard.scope_children(me))}
    assert compliance == {"甲街道工会": (1, 2), "乙街道工会": (1, 3)}
    # 24/24 met, 20/24 ≥ 75 %, 12/24 = 50 %, 6/24 = 25 %, 0/24
    assert [n for _, _, n in dashboard.hours_distribution(me)] == [1, 1, 1, 1, 1]

    login_as(me)
    page = client.get("/retraining-admin/").get_data(as_text=True)
    assert 'data-testid="count-overdue">1<' in page
    attention = page.split('data-testid="attention"')[1].split("</table>")[0]
    assert attention.count('data-testid="attention-row"') == 3
    assert cohort["in_grace"].real_name in attention
    assert cohort["foreign"].real_name not in page and cohort["revoked"].real_name not in page
    upcoming = page.split('data-testid="upcoming"')[1].split("</table>")[0]
    assert upcoming.count('data-testid="upcoming-row"') == 1
    assert cohort["due_soon"].real_name in upcoming
    assert f'data-testid="compliance-{cohort["a"].id}"' in page and "50 %" in page
    assert "<svg" in page and "chart-bar" in page and " style=" not in page


def test_candidates_cannot_open_the_dashboard_and_other_districts_see_nothing(
        client, login_as, cohort):
    login_as(cohort["good"])
    assert client.get("/retraining-admin/").status_code == 403
    assert client.post("/retraining-admin/reminders").status_code == 403
    stranger = officer(make_org("朝阳区总工会"))
    assert dashboard.standing_counts(stranger)[Standing.OVERDUE] == 0
    assert dashboard.send_reminders(stranger) == 0


def test_bulk_reminders_mail_and_inbox_every_overdue_or_in_grace_holder(
        client, login_as, cohort):
    login_as(cohort["officer"])
    response = client.post("/retraining-admin/reminders", follow_redirects=True)
    assert response.status_code == 200
    mails = db.session.scalars(sa.select(OutboxMessage)
                               .where(OutboxMessage.kind == "retraining_overdue")).all()
    assert sorted(m.to_address for m in mails) == sorted(
        [cohort["overdue"].email, cohort["in_grace"].email])
    overdue_mail = next(m for m in mails if m.to_address == cohort["overdue"].email)
    body = overdue_mail.body_text
    assert "TEST" in body and cohort["overdue"].real_name in body
    inbox = db.session.scalars(sa.select(InboxMessage)).all()
    assert sorted(m.user_id for m in inbox) == sorted(
        [cohort["overdue"].id, cohort["in_grace"].id])
    entry = db.session.scalar(sa.select(AuditEntry)
                              .where(AuditEntry.action == "retraining.reminders_sent"))
    assert entry.actor_id == cohort["officer"].id and entry.after["holders"] == 2
    assert "2" in response.get_data(as_text=True).split('role="alert"')[1][:300]


def test_the_xlsx_holders_list_opens_and_escapes_formulas(client, login_as, cohort):
    login_as(cohort["officer"])
    response = client.get("/retraining-admin/holders.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6  # headings, every plan in scope (the revoked one included)
    names = {row[0] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in names and "=cmd|' /C calc'!A0" not in names
    assert cohort["foreign"].real_name not in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    hours = {row[0]: (row[10], row[11]) for row in rows[1:]}
    assert hours[cohort["due_soon"].real_name] == (12, 24)


def test_the_dashboard_and_export_cost_the_same_queries_for_more_holders(
        client, login_as, cohort):
    login_as(cohort["officer"])

    def cost() -> tuple[int, int]:
        with count_queries() as page:
            assert client.get("/retraining-admin/").status_code == 200
        with count_queries() as export:
            assert client.get("/retraining-admin/holders.xlsx").status_code == 200
        return len(page), len(export)

    before = cost()
    for k in range(8):
        _holder(cohort["qualification"], cohort["a" if k % 2 else "b"],
                list(Standing)[k % 5], earned=str(k * 3), expires_in=10 + k)
    assert cost() == before


def test_a_revocation_shows_on_the_next_view_without_a_tick(client, login_as, cohort):
    login_as(cohort["officer"])
    assert 'data-testid="count-overdue">1<' in client.get("/retraining-admin/").get_data(
        as_text=True)
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.holder_id == cohort["overdue"].id))
    status.change(certificate, "revoke", cohort["officer"], "伪造材料")
    db.session.commit()
    page = client.get("/retraining-admin/").get_data(as_text=True)
    assert 'data-testid="count-overdue">0<' in page
    me = cohort["officer"]
    assert {c.name: (c.compliant, c.total) for c in dashboard.compliance_by_organisation(
        me, dashboard.scope_children(me))} == {"甲街道工会": (1, 1), "乙街道工会": (1, 3)}


def test_a_holder_moved_to_another_organisation_counts_there_at_once(cohort):
    me = cohort["officer"]
    accounts.set_organisation(cohort["good"], cohort["b"], actor=make_user(Role.ADMIN))
    db.session.commit()
    assert {c.name: (c.compliant, c.total) for c in dashboard.compliance_by_organisation(
        me, dashboard.scope_children(me))} == {"甲街道工会": (0, 1), "乙街道工会": (2, 4)}


def test_the_page_counts_no_plan_itself(client, login_as, cohort):
    """The figures sum the tallies: the only statements reading the plans are the two
    lists, capped (the page costs the same at a hundred thousand holders)."""
    login_as(cohort["officer"])
    with count_queries() as page:
        assert client.get("/retraining-admin/").status_code == 200
    reading_plans = [s for s in page.statements if "certificate_plans" in s]
    assert len(reading_plans) == 2
    assert all("LIMIT" in s.upper() for s in reading_plans)


def test_the_attention_list_is_the_soonest_deadlines_of_all_three_standings(
        cohort, monkeypatch):
    """Each standing's first rows are read apart and merged: the list is still the
    soonest deadlines over all three, and still capped."""
    qualification, street = cohort["qualification"], cohort["a"]
    extra = [_holder(qualification, street, standing, expires_in=days)
             for standing, days in ((Standing.OVERDUE, -40), (Standing.SUSPENDED, -30),
                                    (Standing.IN_GRACE, -20), (Standing.OVERDUE, -5))]
    rows = dashboard.needing_attention(cohort["officer"])
    assert [r.next_deadline for r in rows] == sorted(r.next_deadline for r in rows)
    assert {r.user_id for r in rows} == {u.id for u in extra} | {
        cohort[k].id for k in ("overdue", "in_grace", "suspended")}
    assert rows[0].user_id == cohort["suspended"].id and rows[1].user_id == extra[0].id
    monkeypatch.setattr(dashboard, "LIST_LIMIT", 3)
    assert dashboard.needing_attention(cohort["officer"]) == rows[:3]
