"""Annual appraisals (考核) through the web: recorded and corrected by an officer whose
scope holds the holder, evidence files, the holder's read-only page, and two
consecutive "incompetent" years filing a suspension review in the approval queue."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.certificates.models import (
    CertificateRequest,
    CertificateStatus,
    RequestKind,
    RequestStatus,
)
from lms.extensions import db
from lms.i18n import local_today
from lms.retraining.models import Appraisal, AppraisalAttachment, AppraisalOutcome
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org, make_user

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _form(year: int, outcome: str = "competent", **overrides) -> dict:
    return {"year": str(year), "plan_score": "80", "plan_comment": "思路清晰",
            "process_score": "75", "process_comment": "过程规范",
            "results_score": "70", "results_comment": "成绩良好", "outcome": outcome,
            **overrides}


@pytest.fixture
def district(app):
    """A district with a street below it, a certificate holder in the street, and the
    district's officer."""
    top = make_org("东城区总工会")
    street = make_org("东华门街道工会", parent=top)
    exam, _ = certified_exam(top)
    holder_attempt = sit(exam, 5, name="张三明", org=street)
    certificate = certificate_of(holder_attempt)
    return {"org": top, "street": street, "certificate": certificate,
            "holder": certificate.holder, "officer": officer(top, name="李官")}


def test_an_officer_records_and_corrects_an_appraisal_the_holder_reads_it(
        client, login_as, district):
    holder = district["holder"]
    year = local_today().year - 1
    login_as(district["officer"])
    url = f"/retraining-admin/appraisals/{holder.id}"
    listing = client.get("/retraining-admin/appraisals").get_data(as_text=True)
    assert "张三明" in listing
    assert client.post(url, data=_form(year, plan_score="101")).status_code == 200
    assert db.session.scalar(sa.select(Appraisal)) is None
    assert client.post(url, data=_form(year)).status_code == 302
    saved = db.session.scalar(sa.select(Appraisal))
    assert (saved.year, saved.plan_score, saved.outcome) == (year, 80, AppraisalOutcome.COMPETENT)
    # the same year again is a correction of the one appraisal, audited with the change
    assert client.post(url, data=_form(year, outcome="excellent",
                                       results_score="95")).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Appraisal.id))) == 1
    corrected = db.session.scalar(sa.select(AuditEntry)
                                  .where(AuditEntry.action == "appraisal.corrected"))
    assert corrected.before["outcome"] == "competent"
    assert corrected.after == {"outcome": "excellent", "results_score": 95}
    assert db.session.scalar(sa.select(AuditEntry)
                             .where(AuditEntry.action == "appraisal.recorded")) is not None

    login_as(holder)
    page = client.get("/appraisals/").get_data(as_text=True)
    assert f'data-testid="appraisal-{year}"' in page and "思路清晰" in page and "95" in page
    assert client.get(url).status_code == 403  # the officers' pages are not the holder's


def test_another_districts_officer_gets_a_404(client, login_as, district):
    holder = district["holder"]
    login_as(officer(make_org("西城区总工会")))
    url = f"/retraining-admin/appraisals/{holder.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=_form(local_today().year - 1)).status_code == 404
    assert "张三明" not in client.get("/retraining-admin/appraisals").get_data(as_text=True)
    assert db.session.scalar(sa.select(Appraisal)) is None


def test_a_street_officer_below_the_holder_organisation_cannot_appraise_the_district(
        client, login_as, district):
    """Scope is a subtree: an officer of the street does not hold the district above."""
    above = make_user(name="王五", org=district["org"])
    login_as(officer(district["street"]))
    assert client.get(f"/retraining-admin/appraisals/{above.id}").status_code == 404
    assert client.get(f"/retraining-admin/appraisals/{district['holder'].id}"
                      ).status_code == 200


def test_evidence_is_sniffed_and_served_only_to_the_holder_and_officers_in_scope(
        client, login_as, district):
    holder, year = district["holder"], local_today().year - 1
    login_as(district["officer"])
    client.post(f"/retraining-admin/appraisals/{holder.id}", data=_form(year))
    url = f"/retraining-admin/appraisals/{holder.id}/{year}/evidence"
    fake = client.post(url, data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "report.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert fake.status_code == 200 and db.session.scalar(sa.select(AppraisalAttachment)) is None
    assert client.post(url, data={"file": (io.BytesIO(PDF_BYTES), "述职报告.pdf")},
                       content_type="multipart/form-data").status_code == 302
    attachment = db.session.scalar(sa.select(AppraisalAttachment))
    assert (attachment.media_type, attachment.size) == ("application/pdf", len(PDF_BYTES))
    download = f"/appraisals/evidence/{attachment.id}"
    assert client.get(download).data == PDF_BYTES

    login_as(holder)
    own = client.get(download)
    assert own.status_code == 200 and own.data == PDF_BYTES
    assert own.headers["Content-Type"] == "application/pdf"
    login_as(make_user(name="路人", org=district["street"]))
    assert client.get(download).status_code == 404
    login_as(officer(make_org()))
    assert client.get(download).status_code == 404


def test_two_incompetent_years_file_a_suspension_review_that_suspends_when_approved(
        client, login_as, district, app):
    holder, certificate = district["holder"], district["certificate"]
    year = local_today().year - 1
    login_as(district["officer"])
    url = f"/retraining-admin/appraisals/{holder.id}"
    client.post(url, data=_form(year - 2, "incompetent"))
    client.post(url, data=_form(year - 1, "competent"))
    assert db.session.scalar(sa.select(CertificateRequest)) is None  # not consecutive
    response = client.post(url, data=_form(year, "incompetent"), follow_redirects=True)
    assert db.session.scalar(sa.select(CertificateRequest)) is None
    # correcting the year between to "incompetent" makes three in a row: one review
    client.post(url, data=_form(year - 1, "incompetent"))
    client.post(url, data=_form(year - 1, "incompetent"))  # saved again: no second review
    requests = db.session.scalars(sa.select(CertificateRequest)).all()
    assert len(requests) == 1
    review = requests[0]
    assert (review.kind, review.certificate_id) == (RequestKind.SUSPEND, certificate.id)
    assert str(year - 1) in review.reason and str(year - 2) in review.reason
    assert response.status_code == 200

    queue = client.get("/certificate-admin/requests").get_data(as_text=True)
    assert certificate.serial in queue and "张三明" in queue
    assert client.post(f"/certificate-admin/requests/{review.id}/approve",
                       data={"reason": ""}).status_code == 302
    db.session.expire_all()
    assert certificate.status == CertificateStatus.SUSPENDED
    assert certificate.status_reason == review.reason
    assert review.status == RequestStatus.DONE


def test_a_rejected_suspension_review_leaves_the_certificate_active(client, login_as, district):
    holder, certificate = district["holder"], district["certificate"]
    year = local_today().year - 1
    login_as(district["officer"])
    for y in (year - 1, year):
        client.post(f"/retraining-admin/appraisals/{holder.id}", data=_form(y, "incompetent"))
    review = db.session.scalar(sa.select(CertificateRequest))
    assert client.post(f"/certificate-admin/requests/{review.id}/reject",
                       data={"reason": "考核结果正在复议"}).status_code == 302
    db.session.expire_all()
    assert certificate.status == CertificateStatus.ACTIVE
    assert review.status == RequestStatus.REJECTED
