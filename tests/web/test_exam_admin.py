"""Setting up exams through the pages: definitions and blueprints, the shortage report
and publishing, sessions, accommodations; who may do it, CSRF, audit and query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts, blueprints, registration
from lms.exams.models import Accommodation, Exam, ExamSession, ExamStatus
from lms.exams.registration import ACCESS_CODE_ALPHABET
from lms.extensions import db
from tests.conftest import count_queries
from tests.conftest import login as login_client
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_org, make_user
from tests.practice_factories import fill_bank, make_bank


def login(client, user) -> None:
    """Log in with English pages, so the assertions hold whatever the catalogue says."""
    user.locale = "en"
    db.session.commit()
    login_client(client, user)


def page(response) -> str:
    return response.get_data(as_text=True)


def audit_entries(action: str) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


@pytest.fixture
def officer(app):
    return make_user(Role.OFFICER, name="钱认证")


@pytest.fixture
def desk(client, officer):
    """A client logged in as a platform-wide officer."""
    login(client, officer)
    return client


def exam_form(**overrides) -> dict:
    data = {"organisation": "", "code": "cadre-basic-2026", "title": "工会干部任职资格考试（初级）",
            "qualification": "工会干部任职资格（初级）", "description": "闭卷，90分钟。",
            "duration_minutes": "90", "pass_percent": "60", "attempts_allowed": "3",
            "cooldown_days": "7", "navigation": "free", "layout": "paged",
            "shuffle_items": "y", "shuffle_options": "y", "proctoring": "online",
            "webcam_required": "y", "snapshot_interval_seconds": "60",
            "block_copy_paste": "y", "focus_loss_limit": "5", "release": "review",
            "review_options": ["score", "explanations"]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def section_form(bank_code: str, **overrides) -> dict:
    data = {"title": "一、单项选择题", "count": "5", "points": "2", "banks": [bank_code],
            "tags": "建会条件、会员"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def draft_exam(**fields) -> Exam:
    bank = make_bank()
    fill_bank(bank, 6)
    return make_exam(bank=bank, status=ExamStatus.DRAFT, **fields)


def session_form(**overrides) -> dict:
    data = {"title": "东城区第一场", "starts_at": "2030-01-10T09:00",
            "ends_at": "2030-01-10T11:00", "registration_deadline": "2030-01-08T18:00",
            "mode": "centre", "location": "东城区总工会三楼", "capacity": "40"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# -- who may -----------------------------------------------------------------------


def urls(exam: Exam, session: ExamSession) -> dict[str, list[str]]:
    key = exam.sections[0]["key"]
    return {
        "definition": ["/exam-admin/", "/exam-admin/exams/new", f"/exam-admin/exams/{exam.id}",
                       f"/exam-admin/exams/{exam.id}/sections/new",
                       f"/exam-admin/exams/{exam.id}/sections/{key}"],
        "manage": [f"/exam-admin/exams/{exam.id}/sessions",
                   f"/exam-admin/exams/{exam.id}/sessions/new",
                   f"/exam-admin/sessions/{session.id}",
                   f"/exam-admin/exams/{exam.id}/accommodations"],
    }


@pytest.mark.parametrize(("role", "definition", "manage"), [
    (Role.CANDIDATE, 403, 403),
    (Role.PROCTOR, 403, 403),
    (Role.TRAINER, 200, 403),
    (Role.OFFICER, 200, 200),
    (Role.ADMIN, 200, 200),
])
def test_exam_setup_pages_by_role(client, role, definition, manage):
    exam = make_exam()
    session = make_session(exam)
    login(client, make_user(role))
    pages = urls(exam, session)
    for url in pages["definition"]:
        assert client.get(url).status_code == definition, url
    for url in pages["manage"]:
        assert client.get(url).status_code == manage, url


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.PROCTOR, Role.TRAINER])
def test_non_managers_cannot_publish_schedule_or_accommodate(client, role):
    exam = draft_exam()
    published = make_exam()
    session = make_session(published)
    candidate = ready_candidate()
    login(client, make_user(role))
    assert client.post(f"/exam-admin/exams/{exam.id}/publish").status_code == 403
    assert client.post(f"/exam-admin/exams/{published.id}/archive").status_code == 403
    assert client.post(f"/exam-admin/exams/{published.id}/sessions/new",
                       data=session_form()).status_code == 403
    assert client.post(f"/exam-admin/sessions/{session.id}/rotate-code").status_code == 403
    assert client.post(f"/exam-admin/exams/{published.id}/accommodations/person", data={
        "user_id": str(candidate.id), "extra_percent": "25", "scope": "exam"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).status == ExamStatus.DRAFT
    assert db.session.get(Exam, published.id).status == ExamStatus.PUBLISHED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) == 1
    assert db.session.get(ExamSession, session.id).access_code == "ABC234"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Accommodation)) == 0


def test_candidate_cannot_write_a_definition(client):
    exam = draft_exam()
    login(client, make_user(Role.CANDIDATE))
    assert client.post("/exam-admin/exams/new", data=exam_form()).status_code == 403
    assert client.post(f"/exam-admin/exams/{exam.id}",
                       data=exam_form(title="改")).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 1
    assert db.session.get(Exam, exam.id).title != "改"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/exam-admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_setup_link_shows_for_officers_and_trainers_only(client):
    for role, shown in ((Role.OFFICER, True), (Role.TRAINER, True), (Role.CANDIDATE, False),
                        (Role.PROCTOR, False)):
        login(client, make_user(role))
        assert ('href="/exam-admin/"' in page(client.get("/dashboard"))) is shown, role


# -- the definition ------------------------------------------------------------------


def test_officer_creates_an_exam_with_every_setting(desk, officer):
    from lms.courses import authoring as courses
    from tests.factories import make_course

    course = make_course(officer, code="union-law-basics")
    courses.publish(course, actor=officer)
    db.session.commit()
    response = desk.post("/exam-admin/exams/new",
                         data=exam_form(required_courses=["union-law-basics"],
                                        navigation="sequential", layout="single",
                                        shuffle_options=None, fullscreen_required="y",
                                        release="immediate", focus_loss_limit="3"))
    exam = db.session.scalar(sa.select(Exam))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/exam-admin/exams/{exam.id}#sections"
    assert (exam.code, exam.title, exam.status, exam.duration_minutes, str(exam.pass_percent),
            exam.attempts_allowed, exam.cooldown_days) == (
        "cadre-basic-2026", "工会干部任职资格考试（初级）", ExamStatus.DRAFT, 90, "60.00", 3, 7)
    assert exam.required_courses == ["union-law-basics"]
    assert (exam.navigation.value, exam.layout.value, exam.shuffle_items, exam.shuffle_options,
            exam.fullscreen_required, exam.block_copy_paste, exam.focus_loss_limit,
            exam.release.value) == ("sequential", "single", True, False, True, True, 3,
                                    "immediate")
    assert exam.review_options == {"score": True, "responses": False, "key": False,
                                   "explanations": True}
    assert exam.created_by_id == officer.id and exam.sections == []
    [entry] = audit_entries("exam.created")
    assert entry.actor_id == officer.id and entry.after["code"] == "cadre-basic-2026"


def test_exam_code_must_be_unique(desk):
    make_exam(code="cadre-basic-2026")
    html = page(desk.post("/exam-admin/exams/new", data=exam_form()))
    assert "Another exam already uses this code." in html


def test_trainer_edits_settings_and_the_change_is_audited(client):
    exam = draft_exam(duration_minutes=30)
    trainer = make_user(Role.TRAINER)
    login(client, trainer)
    response = client.post(f"/exam-admin/exams/{exam.id}",
                           data=exam_form(code=None, duration_minutes="45", title="新标题"))
    assert response.status_code == 302
    db.session.refresh(exam)
    assert (exam.duration_minutes, exam.title) == (45, "新标题")
    [entry] = audit_entries("exam.updated")
    assert entry.actor_id == trainer.id
    assert entry.before["duration_minutes"] == 30 and entry.after["duration_minutes"] == 45
    # a trainer sees no publish button: officers publish
    html = page(client.get(f"/exam-admin/exams/{exam.id}"))
    assert f'/exam-admin/exams/{exam.id}/publish' not in html
    assert "A certification officer publishes the exam." in html


# -- sections, the shortage report, publishing ----------------------------------------


def test_officer_adds_a_section_and_sees_how_many_questions_match(desk, officer):
    bank = make_bank()
    fill_bank(bank, 4, tags=("建会条件",))
    fill_bank(bank, 3, tags=("经费",), start=10)
    exam = draft_exam()
    exam.sections = []
    db.session.commit()
    response = desk.post(f"/exam-admin/exams/{exam.id}/sections/new", data=section_form(
        bank.code, count="3", points="2.5", min_percent="40", difficulties=["3"],
        types=["single_choice"], category=""))
    db.session.refresh(exam)
    [data] = exam.sections
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#section-{data['key']}")
    assert data["title"] == "一、单项选择题" and data["count"] == 3
    assert data["points"] == "2.5" and data["min_percent"] == 40
    assert data["filter"] == {"banks": [bank.code], "tags": ["会员", "建会条件"],
                              "types": ["single_choice"], "difficulties": [3]}
    blueprints.section_from_dict(data)  # the shape the assembler reads
    html = page(desk.get(f"/exam-admin/exams/{exam.id}"))
    assert "4 approved questions match; the section needs 3." in html
    [entry] = audit_entries("exam.section_saved")
    assert entry.actor_id == officer.id and entry.after["key"] == data["key"]


def test_short_section_is_reported_and_publishing_refused(desk, officer):
    bank = make_bank()
    fill_bank(bank, 3)
    exam = make_exam(bank=bank, status=ExamStatus.DRAFT, items=5)
    exam.sections[0]["title"] = "单选题"
    html = page(desk.get(f"/exam-admin/exams/{exam.id}"))
    assert "Only 3 approved questions match; the section needs 5." in html
    assert "The section “单选题” has only 3 approved questions; it needs 5." in html
    response = desk.post(f"/exam-admin/exams/{exam.id}/publish")
    assert response.status_code == 302
    html = page(desk.get(response.headers["Location"]))
    assert "The exam was not published" in html and "has only 3 approved questions" in html
    db.session.refresh(exam)
    assert exam.status == ExamStatus.DRAFT and audit_entries("exam.published") == []
    fill_bank(bank, 2, start=50)
    html = page(desk.get(f"/exam-admin/exams/{exam.id}"))
    assert "5 approved questions match; the section needs 5." in html
    assert desk.post(f"/exam-admin/exams/{exam.id}/publish").status_code == 302
    db.session.refresh(exam)
    assert exam.status == ExamStatus.PUBLISHED
    [entry] = audit_entries("exam.published")
    assert entry.actor_id == officer.id


def test_exam_without_sections_cannot_be_published(desk):
    exam = draft_exam()
    exam.sections = []
    db.session.commit()
    assert "The exam has no section yet" in page(desk.get(f"/exam-admin/exams/{exam.id}"))
    desk.post(f"/exam-admin/exams/{exam.id}/publish")
    db.session.refresh(exam)
    assert exam.status == ExamStatus.DRAFT


def test_invalid_section_is_explained_and_not_saved(desk):
    exam = draft_exam()
    before = list(exam.sections)
    html = page(desk.post(f"/exam-admin/exams/{exam.id}/sections/new",
                          data=section_form("x", title="")))
    assert "This field is required." in html
    html = page(desk.post(f"/exam-admin/exams/{exam.id}/sections/new", data=section_form(
        "x", count="0", points="-1", min_percent="150")))
    assert "A section has between 1 and 500 questions." in html
    assert "Points per question: more than 0 and at most 100." in html
    assert "The minimum is a percentage from 1 to 100, or empty." in html
    db.session.refresh(exam)
    assert exam.sections == before


def test_sections_reorder_and_a_stale_page_moves_nothing(desk, officer):
    exam = draft_exam()
    for title in ("二、多选", "三、判断"):
        desk.post(f"/exam-admin/exams/{exam.id}/sections/new",
                  data=section_form(exam.sections[0]["filter"]["banks"][0], title=title,
                                    count="1", tags=""))
    db.session.refresh(exam)
    keys = [s["key"] for s in exam.sections]
    order = ",".join(keys)
    desk.post(f"/exam-admin/exams/{exam.id}/sections/{keys[2]}/move",
              data={"direction": "up", "order": order})
    db.session.refresh(exam)
    assert [s["key"] for s in exam.sections] == [keys[0], keys[2], keys[1]]
    response = desk.post(f"/exam-admin/exams/{exam.id}/sections/{keys[0]}/move",
                         data={"direction": "down", "order": order})  # drawn before the move
    assert "The sections were changed meanwhile" in page(desk.get(response.headers["Location"]))
    db.session.refresh(exam)
    assert [s["key"] for s in exam.sections] == [keys[0], keys[2], keys[1]]
    assert len(audit_entries("exam.sections_reordered")) == 1
    desk.post(f"/exam-admin/exams/{exam.id}/sections/{keys[1]}/delete")
    db.session.refresh(exam)
    assert [s["key"] for s in exam.sections] == [keys[0], keys[2]]
    [removed] = audit_entries("exam.section_removed")
    assert removed.before["key"] == keys[1] and removed.actor_id == officer.id


def test_published_exam_sections_lock_once_an_attempt_started(desk):
    exam = make_exam(items=2)
    key = exam.sections[0]["key"]
    bank = exam.sections[0]["filter"]["banks"][0]
    # no attempt yet: still editable, but never short
    response = desk.post(f"/exam-admin/exams/{exam.id}/sections/{key}",
                         data=section_form(bank, count="50"))
    assert "finds only 4 approved questions for the 50 it needs" in page(response)
    assert desk.post(f"/exam-admin/exams/{exam.id}/sections/{key}",
                     data=section_form(bank, count="3", tags="")).status_code == 302
    db.session.refresh(exam)
    assert exam.sections[0]["count"] == 3
    session = make_session(exam)
    attempt = registration.book(ready_candidate(), session, utcnow())
    attempts.check_in(attempt, session.access_code, utcnow())
    attempts.start(attempt, utcnow())
    db.session.commit()
    html = page(desk.get(f"/exam-admin/exams/{exam.id}"))
    assert 'data-testid="sections-locked"' in html
    assert f"/sections/{key}/delete" not in html
    response = desk.post(f"/exam-admin/exams/{exam.id}/sections/{key}",
                         data=section_form(bank, count="2", tags=""))
    assert "its sections can no longer change" in page(desk.get(response.headers["Location"]))
    db.session.refresh(exam)
    assert exam.sections[0]["count"] == 3
    # the rules for booking may still change
    assert desk.post(f"/exam-admin/exams/{exam.id}", data=exam_form(
        code=None, attempts_allowed="5")).status_code == 302
    db.session.refresh(exam)
    assert exam.attempts_allowed == 5


def test_archived_exam_is_read_only(desk, officer):
    exam = make_exam()
    assert desk.post(f"/exam-admin/exams/{exam.id}/archive").status_code == 302
    db.session.refresh(exam)
    assert exam.status == ExamStatus.ARCHIVED
    assert len(audit_entries("exam.archived")) == 1
    desk.post(f"/exam-admin/exams/{exam.id}", data=exam_form(code=None, title="改"))
    db.session.refresh(exam)
    assert exam.title != "改"


# -- sessions ------------------------------------------------------------------------


def test_officer_creates_a_session_in_local_time_stored_utc(desk, officer):
    exam = make_exam()
    proctor = make_user(Role.PROCTOR, name="孙监考")
    response = desk.post(f"/exam-admin/exams/{exam.id}/sessions/new",
                         data=session_form(proctors=[str(proctor.id)]))
    session = db.session.scalar(sa.select(ExamSession))
    assert response.status_code == 302
    assert session.starts_at == datetime(2030, 1, 10, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    assert session.ends_at == datetime(2030, 1, 10, 3, 0, tzinfo=UTC)
    assert session.registration_deadline == datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
    assert (session.mode.value, session.capacity, session.location) == (
        "centre", 40, "东城区总工会三楼")
    assert [p.id for p in session.proctors] == [proctor.id]
    assert len(session.access_code) == 6 and set(session.access_code) <= set(
        ACCESS_CODE_ALPHABET)
    [entry] = audit_entries("exam_session.created")
    assert entry.actor_id == officer.id and entry.after["proctors"] == [proctor.id]
    html = page(desk.get(response.headers["Location"]))
    assert "东城区第一场" in html and session.access_code in html and "孙监考" in html
    # the edit form shows the times as they were typed
    html = page(desk.get(f"/exam-admin/sessions/{session.id}"))
    assert 'value="2030-01-10T09:00"' in html and 'value="2030-01-08T18:00"' in html


def test_only_proctors_can_be_assigned(desk):
    exam = make_exam()
    candidate = make_user(Role.CANDIDATE)
    html = page(desk.post(f"/exam-admin/exams/{exam.id}/sessions/new",
                          data=session_form(proctors=[str(candidate.id)])))
    assert "Choose proctors from the list." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) == 0


def test_session_edit_keeps_booked_seats_and_audits_proctor_changes(desk, officer):
    exam = make_exam()
    session = make_session(exam, starts_in=60, capacity=5)
    for _ in range(2):
        registration.book(ready_candidate(), session, utcnow())
    db.session.commit()
    proctor = make_user(Role.PROCTOR)
    form = session_form(title=session.title, capacity="1", proctors=[str(proctor.id)])
    html = page(desk.post(f"/exam-admin/sessions/{session.id}", data=form))
    assert "2 candidates have already booked: the capacity cannot be lower." in html
    form["capacity"] = "2"
    assert desk.post(f"/exam-admin/sessions/{session.id}", data=form).status_code == 302
    db.session.refresh(session)
    assert session.capacity == 2 and [p.id for p in session.proctors] == [proctor.id]
    [entry] = audit_entries("exam_session.updated")
    assert entry.before["proctors"] == [] and entry.after["proctors"] == [proctor.id]
    assert entry.after["capacity"] == 2


def test_officer_rotates_the_access_code(desk, officer):
    session = make_session(make_exam())
    desk.post(f"/exam-admin/sessions/{session.id}/rotate-code")
    db.session.refresh(session)
    assert session.access_code != "ABC234"
    [entry] = audit_entries("exam_session.code_rotated")
    assert entry.actor_id == officer.id


def test_session_list_counts_booked_checked_in_and_started(desk):
    exam = make_exam()
    session = make_session(exam)
    users = [ready_candidate() for _ in range(3)]
    booked = [registration.book(u, session, utcnow()) for u in users]
    attempts.check_in(booked[1], session.access_code, utcnow())
    attempts.check_in(booked[2], session.access_code, utcnow())
    attempts.start(booked[2], utcnow())
    db.session.commit()
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/sessions"))
    row = html[html.index(f'id="session-{session.id}"'):]
    assert re.search(r'data-testid="booked">3 / 30<', row)
    assert re.search(r'data-testid="checked-in">2<', row)
    assert re.search(r'data-testid="started">1<', row)


def test_session_list_query_count_is_constant(desk):
    exam = make_exam()
    proctor = make_user(Role.PROCTOR)
    session = make_session(exam, proctors=[proctor])
    registration.book(ready_candidate(), session, utcnow())
    db.session.commit()
    with count_queries() as few:
        assert desk.get(f"/exam-admin/exams/{exam.id}/sessions").status_code == 200
    for _ in range(4):
        other = make_session(exam, proctors=[proctor, make_user(Role.PROCTOR)])
        registration.book(ready_candidate(), other, utcnow())
    db.session.commit()
    with count_queries() as many:
        html = page(desk.get(f"/exam-admin/exams/{exam.id}/sessions"))
    assert html.count('data-testid="session-row"') == 5
    assert len(many) == len(few)


def test_exam_list_query_count_is_constant(desk):
    make_session(make_exam())
    with count_queries() as few:
        assert desk.get("/exam-admin/").status_code == 200
    for _ in range(4):
        make_session(make_exam())
    with count_queries() as many:
        html = page(desk.get("/exam-admin/"))
    assert html.count('data-testid="exam-row-') == 5
    assert len(many) == len(few)


# -- accommodations ------------------------------------------------------------------


def test_extra_time_must_be_some_and_in_range(desk):
    exam = make_exam()
    person = make_user(Role.CANDIDATE, name="李某")
    url = f"/exam-admin/exams/{exam.id}/accommodations/person"
    html = page(desk.post(url, data={"user_id": str(person.id), "scope": "exam"}))
    assert "Give some extra time: a percentage, minutes or both." in html
    html = page(desk.post(url, data={"user_id": str(person.id), "extra_percent": "500",
                                     "scope": "all"}))
    assert "Extra time in percent: from 0 to 200." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Accommodation)) == 0


def test_group_accommodation_covers_every_candidate_of_the_subtree(desk, officer):
    exam = make_exam()
    district = make_org("东城区总工会")
    enterprise = make_org("某企业工会", parent=district)
    elsewhere = make_org("西城区总工会")
    inside = [make_user(Role.CANDIDATE, org=district), make_user(Role.CANDIDATE, org=enterprise)]
    make_user(Role.PROCTOR, org=enterprise)  # not a candidate
    make_user(Role.CANDIDATE, org=elsewhere)
    response = desk.post(f"/exam-admin/exams/{exam.id}/accommodations/group", data={
        "group-organisation": str(district.id), "group-extra_minutes": "15",
        "group-scope": "all", "group-note": "少数民族语言考生"})
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(Accommodation)).all()
    assert sorted(r.user_id for r in rows) == sorted(u.id for u in inside)
    assert {(r.exam_id, r.extra_minutes) for r in rows} == {(None, 15)}
    assert len(audit_entries("exam_accommodation.granted")) == 2
    [group] = audit_entries("exam_accommodation.granted_to_group")
    assert group.after["people"] == 2 and group.actor_id == officer.id


def test_scoped_officer_cannot_accommodate_outside_their_scope(client):
    district, other = make_org("东城区总工会"), make_org("西城区总工会")
    scoped = make_user(Role.OFFICER, org=district, scope=district)
    outsider = make_user(Role.CANDIDATE, name="外区学员", org=other)
    exam = make_exam(organisation_id=district.id)  # their own exam, someone else's candidate
    login(client, scoped)
    assert "外区学员" not in page(client.get(
        f"/exam-admin/exams/{exam.id}/accommodations?q=外区"))
    response = client.post(f"/exam-admin/exams/{exam.id}/accommodations/person", data={
        "user_id": str(outsider.id), "extra_percent": "25", "scope": "exam"})
    assert response.status_code == 404
    response = client.post(f"/exam-admin/exams/{exam.id}/accommodations/group", data={
        "group-organisation": str(other.id), "group-extra_percent": "25",
        "group-scope": "exam"})
    assert "Choose an organisation from the list." in page(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Accommodation)) == 0


def test_officer_withdraws_extra_time(desk, officer):
    exam = make_exam()
    person = make_user(Role.CANDIDATE)
    registration.grant_accommodation(officer, [person], exam, extra_minutes=10)
    db.session.commit()
    row = db.session.scalar(sa.select(Accommodation))
    desk.post(f"/exam-admin/exams/{exam.id}/accommodations/{row.id}/revoke")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Accommodation)) == 0
    [entry] = audit_entries("exam_accommodation.revoked")
    assert entry.before["extra_minutes"] == 10 and entry.actor_id == officer.id


def test_officer_moves_a_booking_to_another_session(desk, officer):
    exam = make_exam()
    first = make_session(exam, starts_in=60)
    second = make_session(exam, starts_in=180, capacity=1)
    attempt = registration.book(ready_candidate(name="周改期"), first, utcnow())
    db.session.commit()
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations"))
    assert "周改期" in html and f'<option value="{second.id}"' in html
    response = desk.post(f"/exam-admin/exams/{exam.id}/bookings/{attempt.id}/move",
                         data={f"move-{attempt.id}-session": str(second.id)})
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert attempt.session_id == second.id and attempt.state == S.REGISTERED
    [entry] = audit_entries("exam_attempt.moved")
    assert entry.actor_id == officer.id and entry.after == {"session": second.id}
    # the second session is now full: a second move there is refused
    other = registration.book(ready_candidate(), first, utcnow())
    db.session.commit()
    response = desk.post(f"/exam-admin/exams/{exam.id}/bookings/{other.id}/move",
                         data={f"move-{other.id}-session": str(second.id)})
    assert "That session is full." in page(desk.get(response.headers["Location"]))
    db.session.refresh(other)
    assert other.session_id == first.id


def test_accommodations_page_query_count_is_constant(desk, officer):
    exam = make_exam()
    first, second = make_session(exam, starts_in=60), make_session(exam, starts_in=120)
    org = make_org()

    def add_people():
        person = make_user(Role.CANDIDATE, org=org)
        registration.grant_accommodation(officer, [person], exam, extra_percent=10)
        registration.book(ready_candidate(org=org), first, utcnow())
        db.session.commit()

    add_people()
    with count_queries() as few:
        assert desk.get(f"/exam-admin/exams/{exam.id}/accommodations").status_code == 200
    for _ in range(4):
        add_people()
    with count_queries() as many:
        html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations"))
    assert html.count('data-testid="booking-row"') == 5
    assert html.count('data-testid="accommodation-row"') == 5
    assert len(many) == len(few)
    assert second.title in html


# -- CSRF ------------------------------------------------------------------------------


def test_forms_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        login(client, make_user(Role.OFFICER))
        response = client.post("/exam-admin/exams/new", data=exam_form())
        assert response.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 0
        html = page(client.get("/exam-admin/exams/new"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post("/exam-admin/exams/new", data={**exam_form(),
                                                              "csrf_token": token})
        assert response.status_code == 302
        exam = db.session.scalar(sa.select(Exam))
        assert client.post(f"/exam-admin/exams/{exam.id}/publish").status_code == 400
        assert client.post(f"/exam-admin/exams/{exam.id}/sessions/new",
                           data=session_form()).status_code == 400


def test_started_attempt_is_not_moved(desk):
    exam = make_exam()
    first, second = make_session(exam), make_session(exam, starts_in=60)
    attempt = registration.book(ready_candidate(), first, utcnow())
    attempts.check_in(attempt, first.access_code, utcnow())
    attempts.start(attempt, utcnow())
    db.session.commit()
    html = page(desk.get(f"/exam-admin/exams/{exam.id}/accommodations"))
    assert 'data-testid="booking-row"' not in html
    response = desk.post(f"/exam-admin/exams/{exam.id}/bookings/{attempt.id}/move",
                         data={f"move-{attempt.id}-session": str(second.id)})
    assert "checked in or started meanwhile" in page(desk.get(response.headers["Location"]))
    db.session.refresh(attempt)
    assert attempt.session_id == first.id and attempt.state == S.IN_PROGRESS


# -- scope: an exam belongs to an organisation; its managers are the officers over it ----


def test_an_exam_can_only_be_given_to_an_organisation_in_the_authors_scope(client):
    east, west = make_org("东城区总工会"), make_org("西城区总工会")
    officer = make_user(Role.OFFICER, org=east, scope=east)
    login_client(client, officer)
    form = page(client.get("/exam-admin/exams/new"))
    owners = re.search(r'<select[^>]*name="organisation".*?</select>', form, re.S).group(0)
    assert f'value="{east.id}"' in owners and f'value="{west.id}"' not in owners
    assert 'value=""' not in owners  # no "whole platform" for a district officer
    refused = client.post("/exam-admin/exams/new", data=exam_form(organisation=str(west.id)))
    assert refused.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 0
    created = client.post("/exam-admin/exams/new", data=exam_form(organisation=str(east.id)))
    assert created.status_code == 302
    exam = db.session.scalar(sa.select(Exam))
    assert exam.organisation_id == east.id
    [entry] = [e for e in db.session.scalars(sa.select(AuditEntry))
               if e.action == "exam.created"]
    assert entry.after["organisation_id"] == east.id
