"""The trainer's authoring pages: courses, outline, lessons, attachments, publishing."""

import io
import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.courses import authoring, storage
from lms.courses.models import Attachment, Course, CourseStatus, CourseVersion
from lms.domain.files import MB, PNG
from lms.extensions import db
from tests.factories import make_course

PDF_BYTES = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def trainer(make_user):
    return make_user(Role.TRAINER, name="赵老师")


@pytest.fixture
def author(client, login_as, trainer):
    """A client logged in as a trainer."""
    return login_as(trainer)


def page(response) -> str:
    return response.get_data(as_text=True)


def audit_entries(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def stored_files() -> list:
    root = storage.store_root()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def course_revision(course) -> int:
    return db.session.scalar(sa.select(Course.revision).where(Course.id == course.id))


def new_course_form(**overrides):
    return {"code": "union-law-basics", "title": "工会法基础", "domain": "union_law",
            "level": "basic", "summary": "**工会**的基本知识", "credit_hours": "2", **overrides}


# -- access -------------------------------------------------------------------


def urls_of(course):
    lesson = course.modules[0].lessons[0]
    return ["/author/courses", "/author/courses/new", f"/author/courses/{course.id}",
            f"/author/lessons/{lesson.id}", f"/author/lessons/{lesson.id}/delete",
            f"/author/modules/{course.modules[0].id}/delete"]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
def test_trainer_or_admin_opens_authoring_pages_ok(client, login_as, make_user, trainer, role):
    course = make_course(trainer)
    login_as(make_user(role))
    for url in urls_of(course):
        assert client.get(url).status_code == 200, url


def test_anonymous_opens_authoring_redirected_to_login(client, trainer):
    course = make_course(trainer)
    for url in urls_of(course):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login")


def test_trainer_sees_authoring_link_candidate_does_not(client, login_as, make_user, trainer):
    login_as(trainer)
    assert 'href="/author/courses"' in page(client.get("/dashboard"))
    login_as(make_user(Role.CANDIDATE))
    assert 'href="/author/courses"' not in page(client.get("/dashboard"))


# -- courses ------------------------------------------------------------------


def test_trainer_opens_empty_course_list_sees_what_to_do(author):
    html = page(author.get("/author/courses"))
    assert "还没有课程" in html and 'href="/author/courses/new"' in html


def test_trainer_creates_course_redirected_to_its_page(author, trainer):
    response = author.post("/author/courses/new", data=new_course_form())
    course = db.session.scalar(sa.select(Course))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/author/courses/{course.id}"
    assert (course.code, course.title, course.domain.value, str(course.credit_hours)) == (
        "union-law-basics", "工会法基础", "union_law", "2.00")
    assert course.created_by_id == trainer.id and course.status == CourseStatus.DRAFT
    [entry] = audit_entries("course.created")
    assert entry.actor_id == trainer.id
    listing = page(author.get("/author/courses"))
    assert "union-law-basics" in listing and "工会法基础" in listing
    assert "工会法" in listing and "初级" in listing and "草稿" in listing


def test_trainer_opens_new_course_form_sees_chinese_choices(author):
    html = page(author.get("/author/courses/new"))
    for label in ("工会法", "劳动法律法规", "工资核算与财会", "集体协商与谈判", "其他", "初级",
                  "中级", "高级"):
        assert f">{label}</option>" in html


def test_trainer_creates_course_with_taken_code_sees_message_keeps_input(author, trainer):
    make_course(trainer, code="union-law-basics")
    response = author.post("/author/courses/new", data=new_course_form(title="另一门课"))
    html = page(response)
    assert response.status_code == 200
    assert "已有其他课程使用此代码" in html
    assert 'value="另一门课"' in html and "**工会**的基本知识" in html
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"code": "Bad code!"}, "小写字母"),
    ({"code": "x"}, "小写字母"),
    ({"credit_hours": "0"}, "学时须大于 0"),
    ({"credit_hours": "abc"}, "不是有效的小数"),
    ({"title": "   "}, "必填"),
])
def test_trainer_creates_course_with_bad_input_sees_message(author, overrides, message):
    response = author.post("/author/courses/new", data=new_course_form(**overrides))
    assert response.status_code == 200
    assert message in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_trainer_saves_settings_with_bad_hours_sees_message_nothing_saved(author, trainer):
    course = make_course(trainer, title="原标题")
    response = author.post(f"/author/courses/{course.id}", data={
        "title": "新标题", "domain": "labor_law", "level": "advanced", "summary": "",
        "credit_hours": "500"})
    html = page(response)
    assert "学时须大于 0" in html and 'value="新标题"' in html
    assert course.title == "原标题"
    response = author.post(f"/author/courses/{course.id}", data={
        "title": "新标题", "domain": "labor_law", "level": "advanced", "summary": "",
        "credit_hours": "1.5"})
    assert response.status_code == 302
    assert (course.title, course.domain.value, str(course.credit_hours)) == (
        "新标题", "labor_law", "1.50")


def test_trainer_uploads_cover_and_sees_it(author, trainer):
    course = make_course(trainer)
    image = PNG_HEAD + b"\x00" * 100
    response = author.post(f"/author/courses/{course.id}/cover",
                           data={"cover": (io.BytesIO(image), "封面.png")})
    assert response.status_code == 302 and course.cover_sha256
    with author.get(f"/author/courses/{course.id}/cover") as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
        assert served.data == image


def test_trainer_uploads_pdf_as_cover_sees_message(author, trainer):
    course = make_course(trainer)
    response = author.post(f"/author/courses/{course.id}/cover",
                           data={"cover": (io.BytesIO(PDF_BYTES), "cover.png")})
    assert "封面须为 PNG、JPEG 或 WebP 图片" in page(response)
    assert course.cover_sha256 is None and stored_files() == []


def test_trainer_sets_prerequisites_and_a_cycle_is_refused(author, trainer):
    basic = make_course(trainer, code="basic-course")
    advanced = make_course(trainer, code="advanced-course")
    response = author.post(f"/author/courses/{advanced.id}/prerequisites",
                           data={"prerequisites": ["basic-course"]})
    assert response.status_code == 302
    assert [c.code for c in advanced.prerequisites] == ["basic-course"]
    response = author.post(f"/author/courses/{basic.id}/prerequisites",
                           data={"prerequisites": ["advanced-course"]})
    assert "advanced-course 不能作为先修课程" in page(response)
    assert basic.prerequisites == []


# -- outline ------------------------------------------------------------------


def test_trainer_adds_modules_and_lessons_outline_shows_them(author, trainer):
    course = make_course(trainer, lessons=[])
    author.post(f"/author/courses/{course.id}/modules", data={"new-module-title": "工会的性质"})
    author.post(f"/author/courses/{course.id}/modules", data={"new-module-title": "工会的职责"})
    first, second = course.modules
    response = author.post(f"/author/modules/{first.id}/lessons",
                           data={f"lesson-{first.id}-title": "工会是什么"})
    lesson = first.lessons[0]
    assert response.headers["Location"] == f"/author/lessons/{lesson.id}"
    author.post(f"/author/modules/{first.id}/lessons",
                data={f"lesson-{first.id}-title": "工会的组织原则"})
    html = page(author.get(f"/author/courses/{course.id}"))
    html = html[html.index('id="outline"'):]
    assert html.index("工会的性质") < html.index("工会是什么") < html.index("工会的组织原则") \
        < html.index("工会的职责")
    assert [m.title for m in course.modules] == ["工会的性质", "工会的职责"]
    assert [lesson.title for lesson in first.lessons] == ["工会是什么", "工会的组织原则"]
    assert second.lessons == []


def test_trainer_adds_module_without_title_sees_message(author, trainer):
    course = make_course(trainer, lessons=[])
    response = author.post(f"/author/courses/{course.id}/modules",
                           data={"new-module-title": "  "})
    assert response.status_code == 200 and "必填" in page(response)
    assert course.modules == []


def test_trainer_renames_module_with_too_long_title_keeps_input(author, trainer):
    course = make_course(trainer)
    module = course.modules[0]
    long_title = "很" * 201
    html = page(author.post(f"/author/modules/{module.id}/rename",
                            data={f"rename-{module.id}-title": long_title}))
    assert long_title in html and "200" in html
    assert module.title == "第1单元"
    author.post(f"/author/modules/{module.id}/rename",
                data={f"rename-{module.id}-title": "新单元名"})
    assert module.title == "新单元名"


def test_trainer_deletes_module_after_confirming(author, trainer):
    course = make_course(trainer, lessons=[["一", "二"], ["三"]])
    module = course.modules[0]
    confirm = page(author.get(f"/author/modules/{module.id}/delete"))
    assert "第1单元" in confirm and "2 节课" in confirm
    assert len(course.modules) == 2  # looking changes nothing
    author.post(f"/author/modules/{module.id}/delete")
    assert [m.title for m in course.modules] == ["第2单元"]
    assert course.modules[0].position == 0


def test_trainer_deletes_lesson_after_confirming(author, trainer):
    course = make_course(trainer, lessons=[["一", "二"]])
    lesson = course.modules[0].lessons[0]
    assert "第1.1课" in page(author.get(f"/author/lessons/{lesson.id}/delete"))
    response = author.post(f"/author/lessons/{lesson.id}/delete")
    assert response.status_code == 302
    assert [x.title for x in course.modules[0].lessons] == ["第1.2课"]


def test_trainer_reorders_modules_and_lessons(author, trainer):
    course = make_course(trainer, lessons=[["一", "二", "三"], ["四"]])
    first_module, second_module = course.modules
    third = first_module.lessons[2]
    author.post(f"/author/lessons/{third.id}/move",
                data={"direction": "up", "revision": course_revision(course)})
    assert [x.title for x in first_module.lessons] == ["第1.1课", "第1.3课", "第1.2课"]
    author.post(f"/author/modules/{second_module.id}/move",
                data={"direction": "up", "revision": course_revision(course)})
    assert [m.title for m in course.modules] == ["第2单元", "第1单元"]
    # the page shows the new order and carries the new revision
    html = page(author.get(f"/author/courses/{course.id}"))
    outline = html[html.index('id="outline"'):]
    assert outline.index("第2单元") < outline.index("第1单元")
    assert f'name="revision" value="{course_revision(course)}"' in html


def test_trainer_reorders_from_stale_page_is_refused(author, trainer):
    course = make_course(trainer, lessons=[["一", "二"]])
    second = course.modules[0].lessons[1]
    seen = course_revision(course)
    # another author (or another tab) moves a lesson first
    author.post(f"/author/lessons/{second.id}/move", data={"direction": "up", "revision": seen})
    order = [x.title for x in course.modules[0].lessons]
    assert order == ["第1.2课", "第1.1课"]
    response = author.post(f"/author/lessons/{second.id}/move",
                           data={"direction": "down", "revision": seen}, follow_redirects=True)
    assert "顺序已被更改" in page(response) and "请重新" in page(response)
    assert [x.title for x in course.modules[0].lessons] == order


def test_trainer_moves_without_direction_gets_bad_request(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    response = author.post(f"/author/lessons/{lesson.id}/move",
                           data={"direction": "sideways", "revision": course_revision(course)})
    assert response.status_code == 400


# -- lessons ------------------------------------------------------------------


DANGEROUS = ("# 标题\n\n<script>alert('x')</script>\n\n**重点**\n\n"
             "[点我](javascript:alert(1)) [官网](https://www.acftu.org)")


def lesson_form(**overrides):
    return {"title": "工会是什么", "minutes": "15", "statutes": "", "body_md": "正文",
            **overrides}


def test_trainer_saves_lesson_with_statutes_stored_as_list(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    statutes = ("中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条\r\n"
                "\r\n"
                "中华人民共和国劳动合同法｜2012-12-28｜第四条，第五十一条、第五十六条\r\n"
                "企业民主管理规定")
    response = author.post(f"/author/lessons/{lesson.id}", data=lesson_form(
        statutes=statutes, body_md="第一行\r\n第二行"))
    assert response.status_code == 302
    assert lesson.statutes == [
        {"law": "中华人民共和国工会法", "version": "2021-12-24",
         "articles": ["第十一条", "第十二条"]},
        {"law": "中华人民共和国劳动合同法", "version": "2012-12-28",
         "articles": ["第四条", "第五十一条", "第五十六条"]},
        {"law": "企业民主管理规定", "version": "", "articles": []},
    ]
    assert (lesson.title, lesson.minutes, lesson.body_md) == ("工会是什么", 15, "第一行\n第二行")
    assert course.has_unpublished_changes
    html = page(author.get(f"/author/lessons/{lesson.id}"))
    assert "中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条" in html
    assert "法律依据" in html


@pytest.mark.parametrize(("line", "message"), [
    ("中华人民共和国工会法 | 2021年12月24日 | 第十一条", "第 2 行：版本须为日期"),
    ("中华人民共和国工会法 | 2021-02-30 | 第十一条", "第 2 行：版本须为日期"),
    (" | 2021-12-24 | 第十一条", "第 2 行：缺少法律名称"),
    ("工会法 | 2021-12-24 | 第十一条 | 多余", "第 2 行"),
])
def test_trainer_saves_lesson_with_bad_statute_line_sees_message(author, trainer, line,
                                                                 message):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    text = "中华人民共和国工会法 | 2021-12-24 | 第十一条\n" + line
    response = author.post(f"/author/lessons/{lesson.id}",
                           data=lesson_form(statutes=text, body_md="新的正文"))
    html = page(response)
    assert response.status_code == 200 and message in html
    assert "新的正文" in html  # what was typed is kept
    assert lesson.statutes == [] and lesson.body_md == "课文内容"


def test_trainer_saves_lesson_with_bad_minutes_sees_message(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    html = page(author.post(f"/author/lessons/{lesson.id}", data=lesson_form(minutes="0")))
    assert "1 到 600 分钟" in html
    assert lesson.minutes == 10


def test_trainer_live_preview_returns_the_rendered_partial(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    response = author.post("/author/preview", json={
        "lesson_id": lesson.id, "title": "实时", "minutes": "7",
        "statutes": "工会法 | 2021-12-24 | 第三条", "body_md": DANGEROUS})
    data = response.get_json()
    assert response.status_code == 200 and data["errors"] == []
    assert "<strong>重点</strong>" in data["html"] and 'href="javascript' not in data["html"]
    assert "<script>alert" not in data["html"] and "实时" in data["html"]
    assert "第三条" in data["html"] and "约 7 分钟" in data["html"]
    assert lesson.body_md == "课文内容"
    bad = author.post("/author/preview", json={"lesson_id": lesson.id, "title": "t",
                                               "minutes": 5, "statutes": "| x",
                                               "body_md": ""}).get_json()
    assert bad["errors"] and "第 1 行" in bad["errors"][0]
    assert author.post("/author/preview", json={"lesson_id": "1"}).status_code == 400


def test_lesson_page_loads_the_preview_script_without_inline_code(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    html = page(author.get(f"/author/lessons/{lesson.id}"))
    assert '<script src="/static/js/lesson-preview.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # CSP: no inline scripts
    with author.get("/static/js/lesson-preview.js") as script:
        assert script.status_code == 200


# -- attachments --------------------------------------------------------------


def upload(client, lesson, data: bytes, filename: str, **fields):
    response = client.post(f"/author/lessons/{lesson.id}/attachments",
                           data={"file": (io.BytesIO(data), filename), **fields})
    # the test client spools a large request body to a temporary file it never closes
    response.request.input_stream.close()
    return response


def test_trainer_uploads_pdf_and_downloads_it(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    response = upload(author, lesson, PDF_BYTES, "工会法 讲义.pdf")
    assert response.status_code == 302
    [attachment] = lesson.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "工会法_讲义.pdf", "application/pdf", len(PDF_BYTES))
    assert len(stored_files()) == 1
    assert "工会法_讲义.pdf" in page(author.get(f"/author/lessons/{lesson.id}"))
    with author.get(f"/author/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and download.data == PDF_BYTES
        assert download.headers["Content-Type"] == "application/pdf"
        disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%B7%A5%E4%BC%9A%E6%B3%95_%E8%AE%B2%E4%B9%89.pdf" in disposition


def test_trainer_uploads_image_over_its_limit_sees_message_nothing_stored(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    too_big = PNG_HEAD + b"\x00" * (PNG.max_bytes - len(PNG_HEAD) + 1)
    html = page(upload(author, lesson, too_big, "大图.png"))
    assert "文件超过 5 MB" in html
    assert lesson.attachments == [] and stored_files() == []


def test_trainer_uploads_video_larger_than_site_limit_with_csrf_accepted(make_app, make_user):
    """A video may be bigger than MAX_CONTENT_LENGTH, and the CSRF check still runs."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        trainer = make_user(Role.TRAINER)
        lesson = make_course(trainer).modules[0].lessons[0]
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = trainer.get_id()
        html = page(client.get(f"/author/lessons/{lesson.id}"))
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        video = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + MB)
        refused = upload(client, lesson, video, "课程视频.mp4")
        assert refused.status_code == 400 and lesson.attachments == []
        accepted = upload(client, lesson, video, "课程视频.mp4", csrf_token=token)
        assert accepted.status_code == 302
        [attachment] = lesson.attachments
        assert attachment.content_type == "video/mp4" and attachment.size == len(video)


def test_candidate_downloads_draft_attachment_forbidden(client, login_as, make_user, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    authoring.add_attachment(lesson, filename="a.pdf", data=PDF_BYTES)
    db.session.commit()
    attachment = lesson.attachments[0]
    login_as(make_user(Role.CANDIDATE))
    assert client.get(f"/author/attachments/{attachment.id}").status_code == 403


def test_trainer_removes_attachment(author, trainer):
    course = make_course(trainer)
    lesson = course.modules[0].lessons[0]
    upload(author, lesson, PDF_BYTES, "a.pdf")
    attachment_id = lesson.attachments[0].id
    response = author.post(f"/author/attachments/{attachment_id}/delete")
    assert response.status_code == 302
    assert lesson.attachments == [] and db.session.get(Attachment, attachment_id) is None


# -- publishing ---------------------------------------------------------------


def test_trainer_publishes_empty_course_sees_problems_no_version(author, trainer):
    course = make_course(trainer, lessons=[[], [""]])
    html = page(author.get(f"/author/courses/{course.id}"))
    assert "“第1单元”单元中还没有课" in html and "“第2.1课”一课还没有正文" in html
    response = author.post(f"/author/courses/{course.id}/publish", follow_redirects=True)
    assert "课程未发布" in page(response)
    assert course.published_version is None and course.status == CourseStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(CourseVersion.id))) == 0
    assert audit_entries("course.published") == []
    empty = make_course(trainer, lessons=[])
    assert "课程还没有单元" in page(author.get(f"/author/courses/{empty.id}"))


def test_trainer_publishes_course_version_1_with_audit(author, trainer):
    course = make_course(trainer, lessons=[["第一课正文"]])
    assert "发布第 1 版" in page(author.get(f"/author/courses/{course.id}"))
    response = author.post(f"/author/courses/{course.id}/publish", follow_redirects=True)
    assert "第 1 版已发布" in page(response)
    version = course.published_version
    assert version.number == 1 and course.status == CourseStatus.PUBLISHED
    assert not course.has_unpublished_changes
    [entry] = audit_entries("course.published")
    assert entry.actor_id == trainer.id and entry.after == {"version": 1, "lessons": 1}
    listing = page(author.get("/author/courses"))
    assert "已发布" in listing and 'data-testid="unpublished-changes"' not in listing


def test_trainer_edits_after_publishing_sees_badge_published_content_unchanged(author,
                                                                            trainer):
    course = make_course(trainer, lessons=[["第一版正文"]])
    author.post(f"/author/courses/{course.id}/publish")
    lesson = course.modules[0].lessons[0]
    author.post(f"/author/lessons/{lesson.id}", data=lesson_form(body_md="第二版正文"))
    assert course.has_unpublished_changes
    listing = page(author.get("/author/courses"))
    assert 'data-testid="unpublished-changes"' in listing and "未发布的修改" in listing
    course_page = page(author.get(f"/author/courses/{course.id}"))
    assert "发布第 2 版" in course_page and "未发布的修改" in course_page
    content = course.published_version.content["modules"][0]["lessons"][0]
    assert "第一版正文" in content["html"] and content["title"] == "第1.1课"
    author.post(f"/author/courses/{course.id}/publish")
    assert course.published_version.number == 2
    assert "第二版正文" in course.published_version.content["modules"][0]["lessons"][0]["html"]


def test_trainer_archives_and_restores_course(author, trainer):
    course = make_course(trainer)
    refused = author.post(f"/author/courses/{course.id}/archive", follow_redirects=True)
    assert "只有已发布的课程才能归档" in page(refused) and course.status == CourseStatus.DRAFT
    author.post(f"/author/courses/{course.id}/publish")
    response = author.post(f"/author/courses/{course.id}/archive", follow_redirects=True)
    assert course.status == CourseStatus.ARCHIVED and "已归档" in page(response)
    assert "恢复到课程目录" in page(response)
    author.post(f"/author/courses/{course.id}/restore")
    assert course.status == CourseStatus.PUBLISHED
    assert [len(audit_entries(a)) for a in ("course.archived", "course.restored")] == [1, 1]


def test_trainer_using_english_sees_english_pages(client, login_as, make_user):
    trainer = make_user(Role.TRAINER, locale="en")
    course = make_course(trainer, lessons=[["正文"], []])
    lesson = course.modules[0].lessons[0]
    login_as(trainer)
    course_page = page(client.get(f"/author/courses/{course.id}"))
    assert "Publish version 1" in course_page
    assert "The module “第2单元” has no lesson." in course_page
    assert "Trade union law" in page(client.get("/author/courses"))
    lesson_page = page(client.get(f"/author/lessons/{lesson.id}"))
    assert "About 10 minutes" in lesson_page and "MP4 video up to 100 MB" in lesson_page
