"""The officers' qualification pages and approval queue, through the web forms."""

from __future__ import annotations

import sqlalchemy as sa

from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    Issuance,
    Qualification,
    QualificationLevel,
)
from lms.extensions import db
from tests.certificate_factories import certified_exam, officer, sit
from tests.conftest import count_queries
from tests.exam_factories import make_exam
from tests.factories import make_org

QUALIFICATION = {"code": "cadre", "title": "工会干部职业资格", "description": "",
                 "validity_months": "36", "issuance": "automatic", "seal": ""}


def test_an_officer_defines_a_qualification_and_its_levels(client, login_as, app):
    org = make_org("东城区总工会")
    exam = make_exam(organisation=org)
    login_as(officer(org))
    response = client.post("/certificate-admin/qualifications/new",
                           data={**QUALIFICATION, "organisation_id": org.id})
    assert response.status_code == 302
    qualification = db.session.scalar(sa.select(Qualification))
    assert qualification.organisation_id == org.id and not qualification.four_eyes
    url = f"/certificate-admin/qualifications/{qualification.id}/levels/new"
    level = {"code": "junior", "title": "初级", "rank": "1", "exam_id": exam.id,
             "min_percent": "60", "max_percent": "50", "required_courses": "no-such-course",
             "require_integrity_clear": "y", "require_photo": "y"}
    bad_band = client.post(url, data=level).get_data(as_text=True)
    assert "上限必须高于最低分数" in bad_band
    bad_course = client.post(url, data={**level, "max_percent": "80"}).get_data(as_text=True)
    assert "未知的课程代码：no-such-course" in bad_course
    assert client.post(url, data={**level, "max_percent": "80", "required_courses": ""}
                       ).status_code == 302
    saved = db.session.scalar(sa.select(QualificationLevel))
    assert (saved.title, saved.exam_id, str(saved.max_percent)) == ("初级", exam.id, "80.00")
    page = client.get(f"/certificate-admin/qualifications/{qualification.id}")
    assert "初级" in page.get_data(as_text=True)


def test_a_level_cannot_use_another_districts_exam(client, login_as, app):
    org, other = make_org(), make_org()
    foreign = make_exam(organisation=other)
    login_as(officer(org))
    client.post("/certificate-admin/qualifications/new",
                data={**QUALIFICATION, "organisation_id": org.id})
    qualification = db.session.scalar(sa.select(Qualification))
    response = client.post(
        f"/certificate-admin/qualifications/{qualification.id}/levels/new",
        data={"code": "x", "title": "初级", "rank": "1", "exam_id": foreign.id,
              "min_percent": "60"})
    assert response.status_code == 200 and db.session.scalar(
        sa.select(QualificationLevel)) is None


def test_a_qualification_of_another_district_is_a_404(client, login_as, app):
    org = make_org()
    _, qualification = certified_exam(org)
    login_as(officer(make_org()))
    assert client.get(f"/certificate-admin/qualifications/{qualification.id}").status_code == 404
    assert client.post(f"/certificate-admin/qualifications/{qualification.id}/issue"
                       ).status_code == 404


def test_the_approval_queue_with_four_eyes_through_the_web(client, login_as, app):
    org = make_org()
    exam, _ = certified_exam(org, issuance=Issuance.APPROVAL, four_eyes=True)
    sit(exam, 5, name="张三明")
    request = db.session.scalar(sa.select(CertificateRequest))
    first, second = officer(org, name="甲官"), officer(org, name="乙官")
    login_as(first)
    queue = client.get("/certificate-admin/requests").get_data(as_text=True)
    assert "张三明" in queue and "工会干部职业资格（中级）" in queue
    approve = f"/certificate-admin/requests/{request.id}/approve"
    assert "初审已记录" in client.post(approve, follow_redirects=True).get_data(as_text=True)
    assert "须由另一位认证官确认" in client.post(approve, follow_redirects=True).get_data(
        as_text=True)
    login_as(second)
    done = client.post(approve, follow_redirects=True).get_data(as_text=True)
    assert "已批准" in done
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_issue_now_issues_what_released_results_earn_for_a_new_level(make_app):
    app = make_app(CERTIFICATES_AUTO_ISSUE=False)
    client = app.test_client()
    with app.app_context():
        org = make_org()
        exam, qualification = certified_exam(org)
        for name in ("甲", "乙"):
            sit(exam, 5, name=name)
        from tests.conftest import login

        login(client, officer(org))
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
        page = client.post(f"/certificate-admin/qualifications/{qualification.id}/issue",
                           follow_redirects=True).get_data(as_text=True)
        assert "已颁发 2 张证书" in page
        again = client.post(f"/certificate-admin/qualifications/{qualification.id}/issue",
                            follow_redirects=True).get_data(as_text=True)
        assert "已颁发 0 张证书" in again


def test_the_queue_takes_a_constant_number_of_queries(client, login_as, app):
    org = make_org()
    exam, _ = certified_exam(org, issuance=Issuance.APPROVAL)
    sit(exam, 5, name="甲")
    login_as(officer(org))
    with count_queries() as one:
        client.get("/certificate-admin/requests")
    for name in ("乙", "丙", "丁"):
        sit(exam, 5, name=name)
    with count_queries() as four:
        client.get("/certificate-admin/requests")
    assert len(four) == len(one)
