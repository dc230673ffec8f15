"""Candidates study: catalogue, enrolment, lessons, progress, completion, files, assignments."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.courses import authoring, storage
from lms.courses.models import CreditEntry, Enrollment
from lms.extensions import db
from tests.conftest import count_queries
from tests.factories import make_course

PDF = b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def published(app, make_user):
    author = make_user(Role.TRAINER)

    def build(modules=2, lessons=2, **kwargs):
        course = make_course(author, lessons=[[f"第{m}单元第{n}课的正文。" for n in range(lessons)]
                                              for m in range(modules)], **kwargs)
        authoring.publish(course, actor=author)
        db.session.commit()
        return course

    return build


def uids(course):
    return [lesson["uid"] for m in course.published_version.content["modules"]
            for lesson in m["lessons"]]


def test_candidate_enrols_reads_and_completes_a_course(client, login_as, make_user, published):
    course = published(modules=1, lessons=2, credit_hours="4")
    learner = make_user()
    login_as(learner)
    assert "报名学习" in client.get(f"/courses/{course.code}").get_data(as_text=True)
    response = client.post(f"/courses/{course.code}/enrol")
    first, second = uids(course)
    assert client.get(response.headers["Location"]).headers.get("Location", "").endswith(
        f"/lessons/{first}")
    page = client.get(f"/courses/{course.code}/lessons/{first}").get_data(as_text=True)
    assert "第0单元第0课的正文" in page and "0/2" in page
    done = client.post(f"/courses/{course.code}/lessons/{first}/complete")
    assert done.headers["Location"].endswith(f"/lessons/{second}")
    assert "1/2" in client.get(f"/courses/{course.code}/lessons/{second}").get_data(as_text=True)
    finished = client.post(f"/courses/{course.code}/lessons/{second}/complete")
    assert finished.headers["Location"].endswith(f"/courses/{course.code}")
    page = client.get(f"/courses/{course.code}").get_data(as_text=True)
    assert "已完成" in page and "4" in page
    [entry] = db.session.scalars(sa.select(CreditEntry)).all()
    assert entry.user_id == learner.id and str(entry.hours) == "4.00"
    credits = client.get("/my/credits").get_data(as_text=True)
    assert "工会法" in credits and "累计 4 学时" in credits


def test_continue_returns_to_the_last_lesson_opened(client, login_as, make_user, published):
    course = published(modules=2, lessons=2)
    login_as(make_user())
    client.post(f"/courses/{course.code}/enrol")
    third = uids(course)[2]
    client.get(f"/courses/{course.code}/lessons/{third}")
    client.get("/dashboard")
    assert client.get(f"/courses/{course.code}/continue").headers["Location"].endswith(third)


def test_lessons_need_enrolment(client, login_as, make_user, published):
    course = published()
    login_as(make_user())
    response = client.get(f"/courses/{course.code}/lessons/{uids(course)[0]}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/courses/{course.code}")
    assert client.post(f"/courses/{course.code}/lessons/{uids(course)[0]}/complete"
                       ).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 0


def test_draft_courses_are_not_visible_to_candidates(client, login_as, make_user):
    draft = make_course(make_user(Role.TRAINER))
    login_as(make_user())
    assert client.get(f"/courses/{draft.code}").status_code == 404
    assert draft.code not in client.get("/courses").get_data(as_text=True)


def test_catalogue_filters_by_domain_and_level(client, login_as, make_user, published):
    union = published(title="工会法课程", domain="union_law", level="basic")
    wages = published(title="工资课程", domain="wage_accounting", level="advanced")
    login_as(make_user())
    page = client.get("/courses?domain=wage_accounting").get_data(as_text=True)
    assert wages.code in page and union.code not in page
    page = client.get("/courses?level=basic").get_data(as_text=True)
    assert union.code in page and wages.code not in page


def test_catalogue_cards_show_summary_and_cover_without_loading_the_lessons(
        client, login_as, make_user, published):
    plain = published(title="无封面课程")
    covered = make_course(title="有封面课程", lessons=[["正文"]])
    authoring.update_course(covered, actor=None, title="有封面课程", domain="union_law",
                            level="basic", summary="基层工会的组建与换届", credit_hours="2")
    authoring.set_cover(covered, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    authoring.publish(covered, actor=None)
    db.session.commit()
    codes = plain.code, covered.code
    login_as(make_user())
    db.session.expunge_all()  # nothing of the versions in the identity map
    with count_queries() as queries:
        page = client.get("/courses").get_data(as_text=True)
    assert "基层工会的组建与换届" in page and "课程简介" in page
    assert f"/courses/{codes[1]}/cover" in page
    assert f"/courses/{codes[0]}/cover" not in page
    # the cards read two fields of each version's content in SQL, never the lessons
    loaded = [s for s in queries.statements
              if re.search(r"course_versions\.content(?!, \?\)| ->>)", s)]
    assert not loaded


def test_heartbeat_records_capped_reading_time(client, login_as, make_user, published):
    course = published()
    login_as(make_user())
    client.post(f"/courses/{course.code}/enrol")
    uid = uids(course)[0]
    response = client.post(f"/courses/{course.code}/lessons/{uid}/heartbeat",
                           json={"seconds": 30})
    assert response.get_json() == {"seconds": 30}
    response = client.post(f"/courses/{course.code}/lessons/{uid}/heartbeat",
                           json={"seconds": 99999})
    assert response.get_json() == {"seconds": 90}
    assert client.post(f"/courses/{course.code}/lessons/{uid}/heartbeat",
                       json={"seconds": "lots"}).status_code == 400


def test_attachment_is_served_to_enrolled_learners_only(client, login_as, make_user, app):
    author = make_user(Role.TRAINER)
    course = make_course(author)
    authoring.add_attachment(course.modules[0].lessons[0], filename="工会法 条文.pdf", data=PDF)
    authoring.publish(course, actor=author)
    db.session.commit()
    sha = course.published_version.content["modules"][0]["lessons"][0]["attachments"][0][
        "sha256"]
    assert storage.path_for(sha).exists()
    login_as(make_user())
    url = f"/courses/{course.code}/files/{sha}"
    assert client.get(url).status_code == 403
    client.post(f"/courses/{course.code}/enrol")
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert response.data == PDF
    assert client.get(f"/courses/{course.code}/files/{'0' * 64}").status_code == 404


def test_page_query_counts_do_not_grow_with_the_course(client, login_as, make_user,
                                                       published):
    small, large = published(modules=1, lessons=1), published(modules=6, lessons=5)
    learner = make_user()
    login_as(learner)
    for course in (small, large):
        client.post(f"/courses/{course.code}/enrol")
        for uid in uids(course)[:-1]:
            client.post(f"/courses/{course.code}/lessons/{uid}/complete")
    for _ in range(5):  # other learners do not weigh on the page either
        other = make_user()
        db.session.add(Enrollment(user_id=other.id, course_id=large.id))
    db.session.commit()
    counts = {}
    for course in (small, large):
        for name, url in (("course", f"/courses/{course.code}"),
                          ("lesson", f"/courses/{course.code}/lessons/{uids(course)[-1]}"),
                          ("catalogue", "/courses")):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.setdefault(name, []).append(len(queries))
    for name, (few, many) in counts.items():
        assert few == many <= 12, f"{name} page: {few} queries (small course), {many} (big)"


def test_officer_assigns_a_course_to_a_subtree_and_candidates_see_it(
        client, login_as, make_user, make_org, published, app):
    district = make_org("东城区总工会")
    enterprise = make_org("机械厂工会", parent=make_org("街道工会", parent=district))
    outsider_org = make_org("西城区总工会")
    course = published()
    officer = make_user(Role.OFFICER, scope=district)
    member = make_user(org=enterprise, name="机械厂学员")
    outsider = make_user(org=outsider_org)
    login_as(officer)
    due = date.today() + timedelta(days=30)
    response = client.post("/assignments/", data={"course_id": course.id,
                                                  "organisation_id": district.id,
                                                  "due_on": due.isoformat()})
    assert response.status_code == 302
    refused = client.post("/assignments/", data={"course_id": course.id,
                                                 "organisation_id": outsider_org.id})
    assert "不是有效的选择" in refused.get_data(as_text=True)  # not offered, not accepted
    from lms.courses.models import CourseAssignment
    assert db.session.scalar(sa.select(sa.func.count(CourseAssignment.id))) == 1

    for user, sees in ((member, True), (outsider, False)):
        other = app.test_client()
        with other.session_transaction() as session:
            session["_user_id"] = user.get_id()
        page = other.get("/my/courses").get_data(as_text=True)
        assert (course.title in page and "截止" in page) is sees


def test_overdue_assignment_is_flagged(client, login_as, make_user, published):
    course = published()
    learner = make_user()
    from lms.courses.models import CourseAssignment
    db.session.add(CourseAssignment(course_id=course.id, user_id=learner.id,
                                    due_on=date.today() - timedelta(days=1)))
    db.session.commit()
    login_as(learner)
    assert "逾期" in client.get("/my/courses").get_data(as_text=True)
    assert "已逾期" in client.get("/dashboard").get_data(as_text=True)


def test_assignment_due_date_in_the_past_is_refused(client, login_as, make_user, make_org,
                                                     published):
    district = make_org()
    course = published()
    login_as(make_user(Role.OFFICER, scope=district))
    response = client.post("/assignments/", data={
        "course_id": course.id, "organisation_id": district.id,
        "due_on": (date.today() - timedelta(days=3)).isoformat()})
    assert "截止日期不能早于今天" in response.get_data(as_text=True)
