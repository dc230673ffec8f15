"""`flask lms bench-data` on a small N: the rows it promises are there, they hang
together as the pages expect (the officer's list, the proctor's console, the
verification page), and it refuses a database that already has users."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lms.accounts.models import Role, RoleAssignment, User
from lms.certificates.models import Certificate
from lms.domain import serials
from lms.exams.models import ExamAnswer, ExamAttempt, ExamSession
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.retraining.models import CertificatePlan, RetrainingTally
from tests.conftest import login


def count(model_column, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count(model_column)).where(*where))


def test_bench_data_fills_an_empty_database_and_refuses_a_second_run(app, runner):
    result = runner.invoke(args=["lms", "bench-data", "--candidates", "250",
                                 "--attempts", "260", "--certificates", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["candidates"], report["attempts"], report["certificates"]) == (250, 260, 40)

    assert count(RoleAssignment.id, RoleAssignment.role == Role.CANDIDATE) == 250
    assert count(ExamAttempt.id) == 260
    # the ten after everyone's first attempt are second attempts of the first ten
    assert count(ExamAttempt.id, ExamAttempt.number == 2) == 10
    assert count(ExamSession.id) == report["sessions"] == 2
    # the newest session is under way (no results yet); the older one is marked
    finished = count(ExamAttempt.id, ExamAttempt.finished_at.is_not(None))
    assert count(ExamResult.attempt_id) == finished == 60
    assert count(ExamAnswer.attempt_id) == report["answers"]
    certificates = db.session.scalars(sa.select(Certificate)).all()
    assert all(serials.normalise(c.serial) == c.serial for c in certificates)
    assert len({c.holder_id for c in certificates}) == 40
    assert count(CertificatePlan.certificate_id) == 40  # the tick ran
    # and tallied them for the retraining dashboard (no plan revoked or expired yet)
    assert db.session.scalar(sa.select(sa.func.sum(RetrainingTally.plans))) == 40

    again = runner.invoke(args=["lms", "bench-data", "--candidates", "5", "--attempts", "5"])
    assert again.exit_code != 0
    assert "already has users" in again.output
    assert count(User.id) == 250 + len(report["staff"])


def test_bench_data_pages_answer_for_their_users(app, runner, client):
    result = runner.invoke(args=["lms", "bench-data", "--candidates", "30", "--attempts", "30"])
    assert result.exit_code == 0, result.output

    def user(email):
        return db.session.scalar(sa.select(User).where(User.email == email))

    certificate = db.session.scalar(sa.select(Certificate).order_by(Certificate.id).limit(1))
    session_id = db.session.scalar(sa.select(ExamSession.id))
    login(client, user("officer@bench.cn"))
    page = client.get("/certificate-admin/")
    assert page.status_code == 200
    assert certificate.serial in page.text
    assert client.get("/retraining-admin/").status_code == 200
    login(client, user("proctor@bench.cn"))
    console = client.get(f"/proctor/sessions/{session_id}")
    assert console.status_code == 200
    assert certificate.holder.real_name in console.text
    login(client, user("admin@bench.cn"))
    assert client.get("/admin/users").status_code == 200
    assert client.get(f"/verify/{certificate.serial}").status_code == 200


def test_the_proctor_console_counts_its_own_sessions_answers(app, runner, client):
    # 450 attempts: the newest session is under way, two older ones hold answers in
    # every slot that must not be counted in it
    result = runner.invoke(args=["lms", "bench-data", "--candidates", "450", "--attempts", "450",
                                 "--certificates", "0"])
    assert result.exit_code == 0, result.output
    sessions = db.session.scalars(sa.select(ExamSession).order_by(ExamSession.id)).all()
    login(client, db.session.scalar(sa.select(User).where(User.email == "proctor@bench.cn")))
    for session in sessions:
        expected = dict(db.session.execute(
            sa.select(ExamAnswer.attempt_id, sa.func.count())
            .join(ExamAttempt, ExamAttempt.id == ExamAnswer.attempt_id)
            .where(ExamAttempt.session_id == session.id)
            .group_by(ExamAnswer.attempt_id)).all())
        rows = client.get(f"/proctor/sessions/{session.id}/live.json").json["rows"]
        assert {r["id"]: r["answered"] for r in rows if r["answered"]} == expected
        assert len(rows) == count(ExamAttempt.id, ExamAttempt.session_id == session.id)
