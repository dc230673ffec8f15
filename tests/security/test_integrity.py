"""Exam integrity (RELIABILITY.md I2, I4, I6, I7): papers frozen per candidate, officers'
decisions audited, the audit table guarded, results shown only as released; moved here
from tests/services/test_exams.py, tests/web/test_results.py and test_exam_admin.py."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts
from lms.exams.models import Accommodation, ExamAttempt
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.conftest import login
from tests.exam_factories import make_exam, make_session
from tests.factories import make_user
from tests.services.test_exams import started
from tests.web.test_exam_admin import audit_entries, page
from tests.web.test_results import sit


@pytest.mark.usefixtures("app")
def test_I2_the_paper_is_frozen_and_two_candidates_get_different_papers():
    exam = make_exam(items=10, pool=40)
    session = make_session(exam)
    first, _ = started(exam, session)
    second, _ = started(exam, session)
    one = [i["version_id"] for i in first.paper["items"]]
    two = [i["version_id"] for i in second.paper["items"]]
    assert len(one) == len(set(one)) == 10 and first.item_count == 10
    assert one != two and len(set(one) & set(two)) < 10
    assert first.max_score == 20 and first.pass_percent == exam.pass_percent
    exam.sections = [{**exam.sections[0], "count": 3}]
    db.session.commit()
    db.session.refresh(first)
    assert len(first.paper["items"]) == 10  # an edit of the exam changes no attempt


def test_I7_results_are_held_until_released_and_flagged_ones_until_cleared(client, app, officer):
    exam = make_exam(review_options={"score": True, "responses": True})
    session = make_session(exam)
    good = sit(session, right={0, 1, 2}, name="甲")
    flagged = sit(session, right={0, 1, 2, 3, 4}, name="乙", flagged=True)
    assert good.state == flagged.state == S.GRADED

    # before release the candidate sees nothing of the score
    candidate = app.test_client()
    login(candidate, good.user)
    before = candidate.get(f"/exams/attempts/{good.id}/result").text
    assert 'data-result="not_released"' in before and "6.00" not in before

    login(client, officer)
    page = client.get(f"/results/sessions/{session.id}").text
    assert re.search(rf'data-attempt="{good.id}" data-hold="ready"', page)
    assert re.search(rf'data-attempt="{flagged.id}" data-hold="flags_unreviewed"', page)
    response = client.post(f"/results/sessions/{session.id}/release")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExamAttempt, good.id).state == S.RELEASED
    assert db.session.get(ExamAttempt, flagged.id).state == S.GRADED  # held back
    [mail] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "result_released")).all()
    assert mail.to_address == good.user.email
    assert f"/exams/attempts/{good.id}/result" in mail.body_text
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_attempt.released")).all()
    assert entry.object_id == str(good.id) and entry.actor_id == officer.id

    # a single release of the flagged one is refused until an officer clears it
    client.post(f"/results/attempts/{flagged.id}/release")
    db.session.expire_all()
    assert db.session.get(ExamAttempt, flagged.id).state == S.GRADED
    client.post(f"/proctor/attempts/{flagged.id}/review", data={"decision": "clear"})
    client.post(f"/results/attempts/{flagged.id}/release")
    db.session.expire_all()
    assert db.session.get(ExamAttempt, flagged.id).state == S.RELEASED


def test_I7_without_the_score_option_nothing_of_the_score_reaches_the_candidate(client, officer):
    exam = make_exam(review_options={"responses": True})
    session = make_session(exam)
    attempt = sit(session, right={0, 1, 2, 3})
    login(client, officer)
    client.post(f"/results/sessions/{session.id}/release")
    login(client, attempt.user)
    page = client.get(f"/exams/attempts/{attempt.id}/result").text
    assert 'data-result="released"' in page
    assert "8.00" not in page and "80.0%" not in page and "data-section" not in page


def test_I4_an_officer_grants_extra_time_and_it_is_audited(desk, officer):
    exam = make_exam()
    person = make_user(Role.CANDIDATE, name="李听障", email="li@example.cn")
    make_user(Role.CANDIDATE, name="王其他")
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations?q=听障"))
    assert "李听障" in html and "王其他" not in html
    assert page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations?q=LI@EX")).count(
        "li@example.cn") >= 1
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations?user={person.id}"))
    assert "Extra time for 李听障" in html
    response = desk.post(f"/exam-admin/exams/{exam.id}/accommodations/person", data={
        "user_id": str(person.id), "extra_percent": "25", "extra_minutes": "",
        "scope": "exam", "note": "听力障碍，提供书面指引"})
    assert response.status_code == 302
    [row] = db.session.scalars(sa.select(Accommodation)).all()
    assert (row.user_id, row.exam_id, row.extra_percent, row.extra_minutes, row.granted_by_id) \
        == (person.id, exam.id, 25, 0, officer.id)
    [entry] = audit_entries("exam_accommodation.granted")
    assert entry.actor_id == officer.id and entry.after["extra_percent"] == 25
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations"))
    assert 'data-testid="accommodation-row"' in html and "+25%" in html
    # it takes effect when the attempt starts: 30 minutes × 25 %
    assert attempts.allowance_seconds(exam, person.id) == 450


def test_I6_the_apps_database_role_cannot_change_or_delete_audit_entries(app):
    """Triggers of migration 0017: no entry is deleted, no entry's who / what / which /
    when changes, whatever SQL the app's role runs; the recorded values stay writable
    for the PIPL erasure's redaction (tests/security/test_privacy.py)."""
    audit.record("scorecard.probe", object_type="exam_attempts", object_id="1",
                 after={"email": "someone@example.cn"})
    db.session.commit()
    for statement in ("UPDATE audit_entries SET action = 'forged'",
                      "UPDATE audit_entries SET actor_id = NULL, object_id = '2'",
                      "UPDATE audit_entries SET created_at = '2020-01-01 00:00:00'",
                      "DELETE FROM audit_entries"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "scorecard.probe"))
    assert (entry.object_type, entry.object_id) == ("exam_attempts", "1")
    # redaction of a recorded value is the one change allowed
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id)
                       .values(after={"email": "[redacted]"}, ip=None))
    db.session.commit()
    db.session.refresh(entry)
    assert entry.after == {"email": "[redacted]"}
