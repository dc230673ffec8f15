"""Authoring pages: candidates refused (A18), lesson HTML sanitised (A12), a disguised
upload refused (A23/B10), impossible exam settings and session windows refused (B7);
moved here from tests/web/test_authoring.py and tests/web/test_exam_admin.py."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import Role
from lms.exams.models import Exam, ExamSession
from lms.extensions import db
from tests.exam_factories import make_exam
from tests.factories import make_course
from tests.web.test_authoring import (
    DANGEROUS,
    course_revision,
    lesson_form,
    page,
    stored_files,
    upload,
    urls_of,
)
from tests.web.test_exam_admin import exam_form, session_form


def test_A18_candidate_opens_authoring_pages_forbidden(client, login_as, make_user, trainer):
    course = make_course(trainer)
    login_as(make_user(Role.CANDIDATE))
    for url in urls_of(course):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "您没有权限访问此页面" in page(response)
    lesson = course.modules[0].lessons[0]
    assert client.post(f"/author/courses/{course.id}/publish").status_code == 403
    assert client.post(f"/author/lessons/{lesson.id}", data={
        "title": "改", "minutes": "5", "body_md": "改"}).status_code == 403
    assert course.published_version is None and lesson.title != "改"


def test_A12_trainer_previews_lesson_sees_sanitised_html_nothing_saved(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    revision = course_revision(course)
    response = author.post(f"/author/lessons/{lesson.id}",
                           data=lesson_form(body_md=DANGEROUS, preview="1"))
    html = page(response)
    assert response.status_code == 200
    preview = html[html.index('id="lesson-preview"'):]
    assert "<strong>重点</strong>" in preview and "<h2>标题</h2>" in preview
    assert "<script>alert" not in html and "&lt;script&gt;" in preview
    assert 'href="javascript' not in preview  # markdown-it leaves such a link as text
    assert 'href="https://www.acftu.org"' in preview
    assert "尚未保存" in html
    # the typed text stays in the form; nothing reached the database
    assert "**重点**" in html
    assert lesson.body_md == "课文内容" and lesson.title == "第1.1课"
    assert course_revision(course) == revision


def test_A23_B10_trainer_uploads_exe_renamed_pdf_sees_message_nothing_stored(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
    response = upload(author, lesson, exe, "讲义.pdf")
    assert response.status_code == 200
    assert "不允许上传此类型的文件" in page(response)
    assert lesson.attachments == [] and stored_files() == []
    revision = course_revision(course)
    assert "请选择文件" in page(author.post(f"/author/lessons/{lesson.id}/attachments",
                                            data={}))
    assert course_revision(course) == revision


def test_B7_invalid_exam_settings_are_explained_and_nothing_is_created(desk):
    response = desk.post("/exam-admin/exams/new", data=exam_form(
        code="Bad Code", duration_minutes="0", pass_percent="120", proctoring="none",
        attempts_allowed="0", required_courses=["no-such-course"]))
    html = page(response)
    assert response.status_code == 200
    assert "lower-case letters, digits and hyphens" in html
    assert "The duration must be between 1 and 600 minutes." in html
    assert "The pass mark is a percentage above 0 and at most 100." in html
    assert "Allow between 1 and 20 attempts." in html
    assert "Webcam pictures are taken only in online proctoring" in html
    assert "no-such-course is not a published course." in html
    assert 'value="工会干部任职资格考试（初级）"' in html  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 0


def test_B7_session_window_and_capacity_are_checked(desk):
    exam = make_exam()
    html = page(desk.post(f"/exam-admin/exams/{exam.id}/sessions/new", data=session_form(
        ends_at="2030-01-10T08:00", registration_deadline="2030-01-10T10:00", capacity="0")))
    assert "The session must end after it starts." in html
    assert "Booking must close before the session ends." in html
    assert "Capacity must be at least 1" in html
    html = page(desk.post(f"/exam-admin/exams/{exam.id}/sessions/new",
                          data=session_form(starts_at="tomorrow")))
    assert "Not a valid datetime value." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) == 0
