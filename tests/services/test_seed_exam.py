"""The demo exam: a newcomer logs in as the demo candidate and can sit it at once."""

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.services import record_consent
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts, blueprints, registration
from lms.exams.models import Exam, ExamSession
from lms.extensions import db
from lms.permissions import can_manage_exam, can_proctor_session
from lms.seed import DEMO_ACCESS_CODE, DEMO_EXAM_CODE, DEMO_USERS, seed_demo


def test_the_demo_candidate_can_book_and_sit_the_demo_exam(app):
    seed_demo()
    seed_demo()  # idempotent
    db.session.commit()
    exam = db.session.scalar(sa.select(Exam).where(Exam.code == DEMO_EXAM_CODE))
    session = db.session.scalar(sa.select(ExamSession))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) == 1
    assert blueprints.shortages(exam) == []
    candidate = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[0][0]))
    reasons = registration.reasons_for(candidate, session, utcnow())
    assert [r.code for r in reasons] == ["consent_needed"]  # given on the booking page
    record_consent(candidate, "proctoring")
    attempt = registration.book(candidate, session, utcnow())
    assert attempts.check_in(attempt, DEMO_ACCESS_CODE, utcnow()) == S.ADMITTED
    attempts.start(attempt, utcnow())
    db.session.commit()
    assert attempt.item_count == 20 and attempt.max_score == 46
    sections = [item["section"] for item in attempt.paper["items"]]
    assert sections == ["union-law"] * 8 + ["labor-law"] * 5 + ["wages"] * 3 + \
        ["negotiation"] * 4
    assert any(item["values"] for item in attempt.paper["items"])  # parametric figures drawn
    officer = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[4][0]))
    proctor = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[3][0]))
    assert can_manage_exam(officer, exam)  # the demo officer reviews and releases it
    assert can_proctor_session(proctor, session)


def test_the_demo_holder_has_an_active_certificate_the_officer_manages(app, client):
    from lms.certificates import ledger
    from lms.certificates.models import Certificate, CertificateStatus
    from lms.permissions import can_manage_qualification
    from lms.seed import DEMO_HOLDER

    seed_demo()
    seed_demo()  # idempotent: still one certificate, one ledger event
    db.session.commit()
    certificate = db.session.scalar(sa.select(Certificate))
    assert certificate.holder.email == DEMO_HOLDER
    assert certificate.status == CertificateStatus.ACTIVE and certificate.level.title == "中级"
    assert certificate.evidence["demo"] is True and certificate.pdf_sha256
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    assert ledger.verify() is None and ledger.head().seq == 1
    officer = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[4][0]))
    assert can_manage_qualification(officer, certificate.qualification)
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "有效" in page and "周*明" in page
    from lms.retraining.models import CertificatePlan

    plan = db.session.get(CertificatePlan, certificate.id)  # the dashboard shows them
    assert plan is not None and plan.standing.value == "good"
