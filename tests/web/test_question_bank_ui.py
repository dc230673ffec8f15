"""The question bank pages: banks, browser, question page, editor, review,
retirement by law, import and export.

Permissions: every trainer and administrator reads every bank and may review
(never their own version); only the bank's owner, its shared editors and
platform-wide administrators change it.
"""

import io
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.domain.items import Choice, SingleChoiceSpec, TrueFalseSpec
from lms.extensions import db
from lms.questions import services, transfer, uploads
from lms.questions.models import Question, QuestionBank, QuestionStatus, QuestionVersion
from tests.conftest import count_queries, login
from tests.unit import item_samples

OLD_LAW = {"law": "中华人民共和国工会法", "version": "2009-08-27", "articles": ["第十条"]}
NEW_LAW = {"law": "中华人民共和国工会法", "version": "2021-12-24", "articles": ["第十一条"]}

SMALL_BANK = """\
format: unioncadre-bank/1
bank: {code: q-bank, title: 测试题库, domain: union_law}
questions:
  - id: imp-1
    category: 组织/建会
    difficulty: 2
    knowledge_points: [建会条件]
    status: approved
    spec:
      type: true_false
      stem: 导入的判断题一
      points: 1
      answer: true
  - id: imp-2
    difficulty: 3
    spec:
      type: single_choice
      stem: 导入的单选题二
      points: 1
      choices:
        - {id: a, text: 甲, weight: 100}
        - {id: b, text: 乙}
"""
BROKEN_BANK = SMALL_BANK + """\
  - id: imp-3
    difficulty: 3
    spec:
      type: single_choice
      stem: 没有正确选项的单选题
      points: 1
      choices:
        - {id: a, text: 甲}
        - {id: b, text: 乙}
"""


def page(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(prefix="") -> list[str]:
    return db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)).all()


def preview_html(html: str) -> str:
    """The candidate preview section of the question page, and nothing else."""
    start = html.index('data-testid="candidate-preview"')
    return html[start:html.index("<!-- end of candidate preview -->")]


def tf(stem="工会经费可以用于职工集体福利。", answer=True):
    return TrueFalseSpec(stem=stem, points=Decimal(1), explanation="解析", answer=answer)


@pytest.fixture
def owner(make_user):
    return make_user(Role.TRAINER, name="赵老师", email="zhao@example.cn")


@pytest.fixture
def reviewer(make_user):
    return make_user(Role.TRAINER, name="钱老师", email="qian@example.cn")


@pytest.fixture
def bank(owner):
    bank = services.create_bank(code="q-bank", title="测试题库", domain="union_law", actor=owner)
    db.session.commit()
    return bank


@pytest.fixture
def make_question(bank, owner):
    def make(spec=None, *, meta=None, category="", external_id=None, author=None):
        question = services.create_question(bank, spec or tf(), meta or services.Metadata(),
                                            actor=author or owner, category=category,
                                            external_id=external_id)
        db.session.commit()
        return question

    return make


@pytest.fixture
def as_owner(client, owner):
    login(client, owner)
    return client


# -- access ---------------------------------------------------------------------


def urls_for(bank, question) -> tuple[list[str], list[str]]:
    """(pages every author reads, pages only the bank's editors open)."""
    read = ["/questions/", f"/questions/banks/{bank.code}", f"/questions/{question.id}",
            f"/questions/{question.id}/versions/1", "/questions/banks/new",
            "/questions/retire-by-law?law=x&version=2009-08-27"]
    edit = [f"/questions/banks/{bank.code}/settings", f"/questions/banks/{bank.code}/new",
            f"/questions/banks/{bank.code}/new?type=single_choice",
            f"/questions/{question.id}/edit", f"/questions/banks/{bank.code}/import"]
    return read, edit


def test_candidate_is_refused_every_question_bank_page(client, make_user, make_question, bank):
    question = make_question()
    login(client, make_user(Role.CANDIDATE))
    read, edit = urls_for(bank, question)
    for url in read + edit:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "您没有权限访问此页面" in page(response)
    assert client.post(f"/questions/{question.id}/approve").status_code == 403
    assert client.post(f"/questions/{question.id}/retire", data={"reason": "x"}).status_code \
        == 403
    assert question.status == QuestionStatus.DRAFT


def test_anonymous_is_sent_to_login(client, make_question, bank):
    question = make_question()
    for url in urls_for(bank, question)[0]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/login"), url


def test_owner_and_admin_open_every_page(client, make_user, owner, make_question, bank):
    question = make_question()
    read, edit = urls_for(bank, question)
    for user in (owner, make_user(Role.ADMIN)):
        login(client, user)
        for url in read + edit:
            assert client.get(url).status_code == 200, url


def test_other_trainer_reads_but_cannot_change_the_bank(client, reviewer, make_question,
                                                        bank):
    question = make_question()
    login(client, reviewer)
    read, edit = urls_for(bank, question)
    for url in read:
        assert client.get(url).status_code == 200, url
    for url in edit:
        assert client.get(url).status_code == 403, url
    html = page(client.get(f"/questions/banks/{bank.code}"))
    assert "只有题库所有者和共享编辑者可以修改" in html
    assert f'href="/questions/banks/{bank.code}/new"' not in html
    assert client.post(f"/questions/banks/{bank.code}/bulk", data={
        "action": "retire", "reason": "x", "ids": [question.id]}).status_code == 403
    assert client.post(f"/questions/{question.id}/retire", data={"reason": "x"}).status_code \
        == 403
    assert client.post(f"/questions/{question.id}/edit", data={}).status_code == 403
    assert question.status == QuestionStatus.DRAFT


def test_trainer_sees_question_banks_link_candidate_does_not(client, make_user, owner):
    login(client, owner)
    html = page(client.get("/dashboard"))
    assert 'href="/questions/"' in html and "题库" in html
    login(client, make_user(Role.CANDIDATE))
    assert 'href="/questions/"' not in page(client.get("/dashboard"))


# -- banks ----------------------------------------------------------------------


def test_trainer_creates_bank_and_sees_it_listed_with_counts(as_owner, owner, make_user):
    response = as_owner.post("/questions/banks/new", data={
        "code": "labor-law", "title": "劳动法题库", "domain": "labor_law", "description": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/questions/banks/labor-law"
    bank = services.get_bank("labor-law")
    assert bank.owner_id == owner.id
    services.create_question(bank, tf(), services.Metadata(), actor=owner)
    approved = services.create_question(bank, tf("第二题"), services.Metadata(), actor=owner)
    services.approve(approved, reviewer=make_user(Role.TRAINER))
    db.session.commit()
    html = page(as_owner.get("/questions/"))
    assert "劳动法题库" in html and "劳动法律法规" in html
    row = html[html.index('data-testid="bank-labor-law"'):]
    row = row[:row.index("</tr>")]
    assert "草稿</span> <span class=\"text-body\">1" in row
    assert "已批准</span> <span class=\"text-body\">1" in row
    assert "bank.created" in audit_actions("bank.")


@pytest.mark.parametrize(("code", "message"), [("Bad Code!", "小写字母"),
                                                ("q-bank", "已有其他题库使用此代码"),
                                                ("new", "已有其他题库使用此代码")])
def test_bank_with_bad_or_taken_code_is_refused(as_owner, bank, code, message):
    response = as_owner.post("/questions/banks/new", data={
        "code": code, "title": "另一个题库", "domain": "union_law"})
    assert response.status_code == 200 and message in page(response)
    assert 'value="另一个题库"' in page(response)
    assert db.session.scalar(sa.select(sa.func.count(QuestionBank.id))) == 1


def test_owner_shares_bank_by_email_and_editor_may_edit(client, as_owner, bank, reviewer,
                                                        make_user, make_question):
    question = make_question()
    make_user(Role.CANDIDATE, email="student@example.cn")
    for emails, message in (("nobody@example.cn", "没有电子邮箱为 nobody@example.cn 的用户"),
                            ("student@example.cn", "不是培训师或管理员")):
        response = as_owner.post(f"/questions/banks/{bank.code}/settings", data={
            "title": "新标题", "description": "", "editors": emails})
        assert message in page(response)
        assert bank.title == "测试题库" and bank.editors == []
    response = as_owner.post(f"/questions/banks/{bank.code}/settings", data={
        "title": "新标题", "description": "说明", "editors": "QIAN@example.cn\n"})
    assert response.status_code == 302
    assert bank.title == "新标题" and bank.editors == [reviewer]
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "bank.updated")).all()
    assert entry.after["editors"] == ["qian@example.cn"]
    login(client, reviewer)
    assert client.get(f"/questions/{question.id}/edit").status_code == 200


def test_owner_adds_a_category_path_and_sees_the_tree(as_owner, bank):
    response = as_owner.post(f"/questions/banks/{bank.code}/categories",
                             data={"path": "基层工会组织/建会条件"})
    assert response.status_code == 302
    assert [c.path for c in bank.categories] == ["基层工会组织", "基层工会组织/建会条件"]
    html = page(as_owner.get(f"/questions/banks/{bank.code}/settings"))
    assert 'class="category-depth-1"' in html and "建会条件" in html


# -- the browser ------------------------------------------------------------------


def test_browser_filters_by_text_type_tag_status_difficulty_and_category(
        as_owner, bank, make_question):
    make_question(tf("工会经费的来源"), meta=services.Metadata(
        difficulty=1, knowledge_points=("经费",)), category="经费/来源")
    make_question(item_samples.single(), meta=services.Metadata(difficulty=4),
                  category="组织")
    retired = make_question(tf("已退役的题目"))
    services.retire(retired, actor=None, reason="过时")
    db.session.commit()
    base = f"/questions/banks/{bank.code}"

    def rows(query):
        html = page(as_owner.get(base + query))
        return html.count('data-testid="question-row"'), html

    assert rows("")[0] == 3
    count, html = rows("?q=经费")
    assert count == 1 and "工会经费的来源" in html
    assert rows("?q=三年或五年")[0] == 1  # option text is searched too
    assert rows("?q=100%25")[0] == 0  # LIKE wildcards are literal
    assert rows("?type=single_choice")[0] == 1
    assert rows("?tag=经费")[0] == 1
    assert rows("?status=retired")[0] == 1
    assert rows("?difficulty=4")[0] == 1
    assert rows("?domain=labor_law")[0] == 0
    category = next(c for c in bank.categories if c.path == "经费")
    count, html = rows(f"?category={category.id}")  # a category includes its subcategories
    assert count == 1 and "工会经费的来源" in html
    assert rows("?type=nonsense&difficulty=9")[0] == 3  # unknown filter values are ignored


def test_browser_runs_a_constant_number_of_queries(as_owner, bank, owner):
    def add(start, count):
        for n in range(start, start + count):
            services.create_question(
                bank, item_samples.single() if n % 2 else tf(f"题目{n}"),
                services.Metadata(knowledge_points=(f"标签{n % 7}", "共同")), actor=owner,
                category=f"分类{n % 4}/子类{n % 3}")
        db.session.commit()

    url = f"/questions/banks/{bank.code}"
    add(0, 5)
    db.session.expire_all()  # the test's own session does not query inside the blocks
    with count_queries() as few:
        assert as_owner.get(url).status_code == 200
    add(5, 55)
    with count_queries() as many:
        html = page(as_owner.get(url))
    assert len(many) == len(few) <= 12, (len(few), len(many))
    assert html.count('data-testid="question-row"') == 25
    assert f'href="{url}?page=2"' in html
    with count_queries() as filtered:
        html = page(as_owner.get(f"{url}?q=题目&tag=共同&category=&page=2"))
    assert len(filtered) == len(few)
    assert html.count('data-testid="question-row"') == 5  # 30 even-numbered ones match


def test_bulk_tag_retire_and_review(as_owner, bank, make_question, owner):
    first, second = make_question(tf("第一题")), make_question(tf("第二题"))
    other = make_question(tf("第三题"))
    url = f"/questions/banks/{bank.code}/bulk"
    back = f"/questions/banks/{bank.code}?q=题"
    response = as_owner.post(url, data={"action": "tag", "tag": "新标签",
                                        "ids": [first.id, second.id], "back": back})
    assert response.status_code == 302 and unquote(response.headers["Location"]) == back
    assert [t.tag for t in first.tags] == ["新标签"] and first.current_version.number == 2
    assert other.tags == []
    response = as_owner.post(url, data={"action": "review", "ids": [first.id]})
    assert first.status == QuestionStatus.IN_REVIEW
    response = as_owner.post(url, data={"action": "retire", "reason": "",
                                        "ids": [second.id]}, follow_redirects=True)
    assert "请说明原因" in page(response) and second.status == QuestionStatus.DRAFT
    as_owner.post(url, data={"action": "retire", "reason": "重复", "ids": [second.id],
                             "back": "https://evil.example/"})
    assert second.status == QuestionStatus.RETIRED
    response = as_owner.post(url, data={"action": "retire", "reason": "x"},
                             follow_redirects=True)
    assert "请先选择题目" in page(response)
    assert audit_actions("question.") == ["question.submitted", "question.retired"]


# -- the question page ------------------------------------------------------------


@pytest.mark.parametrize("sample", ["single_choice", "multiple_choice", "true_false",
                                    "fill_blank", "numeric", "matching", "ordering", "essay",
                                    "case_study", "parametric", "description"])
def test_preview_shows_what_a_candidate_sees_and_no_key(as_owner, make_question, sample):
    spec = item_samples.ALL[sample]()
    question = make_question(spec)
    html = page(as_owner.get(f"/questions/{question.id}"))
    preview = preview_html(html)
    assert item_samples.SECRET not in preview  # explanations
    for secret in ("RUBRICSECRET", "ABCSECRET", "第11条", "200.00", "145.00", "monthly /",
                   "✓", "table-success", "weight", "(right)", "正确答案"):
        assert secret not in preview, secret
    assert "disabled" in preview or sample == "description"
    assert item_samples.SECRET in html  # the authors' part below shows the key
    if sample == "single_choice":
        assert "A. " in preview and "三年或五年" in preview
        assert '<td class="text-end text-nowrap">100</td>' in html
    if sample == "multiple_choice":
        assert "-100" not in preview and ">50<" not in preview
    if sample == "fill_blank":
        assert preview.count('class="form-control form-control-sm d-inline-block blank-input"') \
            == 2 and "[[1]]" not in preview
        assert "第十一条 | 第11条" in html
    if sample == "ordering":
        assert "提出协商要约" in preview


# -- the editor ---------------------------------------------------------------------


def single_choice_form(**overrides):
    data = {"type": "single_choice", "mode": "form", "stem": "基层工会委员会任期几年？",
            "points": "2", "explanation": "工会法第十五条", "correct": "1",
            "choices-0-text": "两年", "choices-1-text": "三年或五年", "choices-2-text": "十年",
            "choices-3-text": "", "shuffle": "y", "difficulty": "2",
            "knowledge_points": "任期、基层工会",
            "statutes": "中华人民共和国工会法 | 2021-12-24 | 第十五条",
            "category": "组织/任期", "note": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_owner_writes_a_single_choice_question_with_the_form(as_owner, bank, owner):
    assert "单选题" in page(as_owner.get(f"/questions/banks/{bank.code}/new"))
    response = as_owner.post(f"/questions/banks/{bank.code}/new?type=single_choice",
                             data=single_choice_form())
    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert response.headers["Location"] == f"/questions/{question.id}"
    spec = services.spec_of(question.current_version)
    assert isinstance(spec, SingleChoiceSpec)
    assert [(c.id, c.text, c.weight) for c in spec.choices] == [
        ("a", "两年", 0), ("b", "三年或五年", 100), ("c", "十年", 0)]
    version = question.current_version
    assert (version.difficulty, version.knowledge_points, version.author_id) == (
        2, ["任期", "基层工会"], owner.id)
    assert version.statutes == [{"law": "中华人民共和国工会法", "version": "2021-12-24",
                                 "articles": ["第十五条"]}]
    assert question.category.path == "组织/任期" and question.external_id == "q-bank-0001"
    assert "第 1 版已保存" in page(as_owner.get(response.headers["Location"]))


def test_editor_puts_model_errors_beside_the_field_and_saves_nothing(as_owner, bank):
    response = as_owner.post(f"/questions/banks/{bank.code}/new?type=single_choice",
                             data=single_choice_form(correct=None))
    html = page(response)
    assert response.status_code == 200
    assert "须有一个正确选项（权重 100）" in html and "未保存" in html
    assert 'value="三年或五年"' in html  # the input is kept
    response = as_owner.post(f"/questions/banks/{bank.code}/new?type=single_choice",
                             data=single_choice_form(**{"choices-2-weight": "150"}))
    assert "超出允许范围" in page(response)
    response = as_owner.post(f"/questions/banks/{bank.code}/new?type=single_choice",
                             data=single_choice_form(statutes="工会法 | 昨天"))
    assert "版本须为日期" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_multiple_choice_numeric_fill_blank_and_true_false_forms(as_owner, bank):
    url = f"/questions/banks/{bank.code}/new"
    common = {"mode": "form", "points": "2", "difficulty": "3", "explanation": "解析"}
    forms = [
        {"type": "multiple_choice", "stem": "哪些正确？", "scoring": "partial",
         "choices-0-text": "甲", "choices-0-weight": "50", "choices-1-text": "乙",
         "choices-1-weight": "50", "choices-2-text": "丙", "choices-2-weight": "-100"},
        {"type": "numeric", "stem": "日工资多少元？", "unit": "元", "unit_policy": "optional",
         "answers-0-value": "200.00", "answers-0-tolerance": "0.01",
         "answers-0-tolerance_kind": "absolute", "answers-0-weight": ""},
        {"type": "fill_blank", "stem": "会员 [[1]] 人以上", "scoring": "partial",
         "blanks-0-accepted": "二十五 | 25"},
        {"type": "true_false", "stem": "判断", "answer": "false"},
    ]
    for data in forms:
        response = as_owner.post(f"{url}?type={data['type']}", data={**common, **data})
        assert response.status_code == 302, page(response)
    specs = {q.type: services.spec_of(q.current_version)
             for q in db.session.scalars(sa.select(Question))}
    assert [c.weight for c in specs["multiple_choice"].choices] == [50, 50, -100]
    assert specs["numeric"].answers[0].value == Decimal("200.00")
    assert specs["numeric"].answers[0].weight == 100 and specs["numeric"].unit == "元"
    assert specs["fill_blank"].blanks[0].accepted == ("二十五", "25")
    assert specs["true_false"].answer is False
    response = as_owner.post(f"{url}?type=fill_blank", data={
        **common, **forms[2], "stem": "没有空"})
    assert "每个空" in page(response)


def test_edit_makes_a_new_version_and_the_diff_shows_it(as_owner, make_question, owner):
    question = make_question(item_samples.single(), category="组织")
    url = f"/questions/{question.id}/edit"
    html = page(as_owner.get(url))
    assert 'value="三年或五年"' in html and 'name="correct" value="1" id="correct-1" checked' \
        in html
    data = single_choice_form(stem=question.current_version.spec["stem"], points="2",
                              explanation=question.current_version.spec["explanation"],
                              **{"choices-0-id": "a", "choices-0-text": "两年或三年",
                                 "choices-1-id": "b", "choices-1-text": "三年或五年",
                                 "choices-2-id": "c", "choices-2-text": "五年",
                                 "choices-3-id": "d", "choices-3-text": "四年",
                                 "knowledge_points": "", "statutes": "", "difficulty": "3",
                                 "category": "组织", "base_version": "1"})
    response = as_owner.post(url, data=data, follow_redirects=True)
    assert "没有变化，未生成新版本" in page(response)
    assert question.current_version.number == 1
    data["choices-3-text"] = "六年"
    data["note"] = "改干扰项"
    response = as_owner.post(url, data=data)
    assert response.status_code == 302
    assert question.current_version.number == 2
    # a second window still on version 1 does not overwrite version 2
    response = as_owner.post(url, data={**data, "choices-3-text": "七年"})
    assert "第 2 版已由赵老师保存" in page(response) and 'value="七年"' in page(response)
    assert question.current_version.number == 2
    assert question.current_version.note == "改干扰项"
    diff = page(as_owner.get(f"/questions/{question.id}/versions/2"))
    assert "第 1 版到第 2 版的变化" in diff
    assert re.search(r'class="diff-del">.*text: 四年', diff)
    assert re.search(r'class="diff-add">.*text: 六年', diff)
    assert "text: 两年或三年" not in diff.split('data-testid="diff"')[1].split("</section>")[0] \
        or "diff-hunk" in diff
    first = page(as_owner.get(f"/questions/{question.id}/versions/1"))
    assert "第一版全文" in first and "text: 四年" in first
    assert as_owner.get(f"/questions/{question.id}/versions/3").status_code == 404


def test_yaml_editor_handles_every_type_and_shows_errors_with_lines(as_owner, bank):
    url = f"/questions/banks/{bank.code}/new?type=matching"
    html = page(as_owner.get(url))
    assert "spec_yaml" in html and "pairs:" in html
    spec_yaml = """\
type: matching
stem: 将法律与年份配对。
points: 2
lefts:
  - {id: l1, text: 工会法}
  - {id: l2, text: 劳动法}
rights:
  - {id: r1, text: 1992年}
  - {id: r2, text: 1994年}
pairs:
  - {left: l1, right: r1}
  - {left: l2, right: r9}
"""
    form = {"mode": "yaml", "type": "matching", "spec_yaml": spec_yaml, "difficulty": "3"}
    response = as_owner.post(url, data=form)
    html = page(response)
    assert "第 12 行" in html and "pairs[2].right" in html and "不存在的编号" in html
    response = as_owner.post(url, data={**form, "spec_yaml": "type: matching\n  bad: [\n"})
    assert "不是有效的 YAML" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
    response = as_owner.post(url, data={**form, "spec_yaml": spec_yaml.replace("r9", "r2")})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Question.type)) == "matching"


def test_yaml_editor_saving_what_it_showed_makes_no_version(as_owner, make_question):
    spec = item_samples.numeric()  # Decimals such as 200.00 must come back exactly
    question = make_question(spec, meta=services.Metadata(
        difficulty=4, knowledge_points=("日工资",), statutes=(NEW_LAW,)), category="工资/日工资")
    html = page(as_owner.get(f"/questions/{question.id}/edit?mode=yaml"))
    shown = re.search(r'<textarea[^>]*name="spec_yaml"[^>]*>(.*?)</textarea>', html, re.S)
    text = shown.group(1).replace("&#34;", '"').replace("&#39;", "'").lstrip("\n")
    assert "value: 200.00" in text and "points: 2\n" in text
    form = {"mode": "yaml", "type": "numeric", "spec_yaml": text, "difficulty": "4",
            "knowledge_points": "日工资", "category": "工资/日工资", "base_version": "1",
            "statutes": "中华人民共和国工会法 | 2021-12-24 | 第十一条"}
    response = as_owner.post(f"/questions/{question.id}/edit", data=form,
                             follow_redirects=True)
    assert "没有变化，未生成新版本" in page(response)
    response = as_owner.post(f"/questions/{question.id}/edit", data={
        **form, "spec_yaml": text.replace("value: 200.00", "value: 200.50")})
    assert response.status_code == 302, page(response)
    assert response.status_code == 302 and question.current_version.number == 2
    assert question.current_version.spec["answers"][0]["value"] == "200.50"


def test_yaml_editor_refuses_a_formula_that_fails(as_owner, bank):
    spec_yaml = ("type: parametric\nstem: 'x={x}'\npoints: 1\nvariables:\n"
                 "  - {name: x, min: 0, max: 3}\nexpression: 10 / x\n")
    response = as_owner.post(f"/questions/banks/{bank.code}/new?type=parametric", data={
        "mode": "yaml", "type": "parametric", "spec_yaml": spec_yaml, "difficulty": "3"})
    assert "无法计算" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_question_the_form_cannot_show_opens_in_yaml(as_owner, make_question):
    question = make_question(item_samples.numeric())  # two answers, a unit: the form fits
    assert 'name="answers-1-value"' in page(as_owner.get(f"/questions/{question.id}/edit"))
    from lms.domain.items import Blank, FillBlankSpec

    patterned = make_question(FillBlankSpec(stem="[[1]]", points=Decimal(1), blanks=(
        Blank(1, pattern="[0-9]+"),)))
    html = page(as_owner.get(f"/questions/{patterned.id}/edit"))
    assert "简单表单无法显示" in html and "pattern:" in html


def test_retired_question_is_not_edited(as_owner, make_question):
    question = make_question()
    services.retire(question, actor=None, reason="x")
    db.session.commit()
    response = as_owner.get(f"/questions/{question.id}/edit", follow_redirects=True)
    assert "已停用的题目不能修改" in page(response)


# -- review -------------------------------------------------------------------------


def test_author_cannot_approve_own_version_a_second_trainer_can(client, owner, reviewer,
                                                                make_question):
    question = make_question()
    login(client, owner)
    html = page(client.get(f"/questions/{question.id}"))
    assert 'data-testid="approve"' not in html and 'data-testid="own-version"' in html
    client.post(f"/questions/{question.id}/submit")
    assert question.status == QuestionStatus.IN_REVIEW
    response = client.post(f"/questions/{question.id}/approve", follow_redirects=True)
    assert "您是第 1 版的作者" in page(response)
    assert question.status == QuestionStatus.IN_REVIEW and question.approved_version_id is None

    login(client, reviewer)
    html = page(client.get(f"/questions/{question.id}"))
    assert 'data-testid="approve"' in html
    response = client.post(f"/questions/{question.id}/request-changes", data={"comment": ""},
                           follow_redirects=True)
    assert "评语为必填" in page(response) and question.status == QuestionStatus.IN_REVIEW
    client.post(f"/questions/{question.id}/request-changes", data={"comment": "解析太简略"})
    assert question.status == QuestionStatus.DRAFT
    login(client, owner)
    client.post(f"/questions/{question.id}/submit")
    login(client, reviewer)
    response = client.post(f"/questions/{question.id}/approve", data={"comment": "可以"})
    assert response.status_code == 302
    assert question.status == QuestionStatus.APPROVED
    assert question.approved_version_id == question.current_version_id
    assert audit_actions("question.") == ["question.submitted", "question.changes_requested",
                                          "question.submitted", "question.approved"]
    html = page(client.get(f"/questions/{question.id}"))
    assert "解析太简略" in html and "钱老师" in html


def test_owner_retires_a_question_with_a_reason(as_owner, make_question):
    question = make_question()
    response = as_owner.post(f"/questions/{question.id}/retire", data={"reason": ""},
                             follow_redirects=True)
    assert "请说明原因" in page(response) and question.status == QuestionStatus.DRAFT
    as_owner.post(f"/questions/{question.id}/retire", data={"reason": "条文已修改"})
    assert question.status == QuestionStatus.RETIRED
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "question.retired")).all()
    assert entry.after["comment"] == "条文已修改"


# -- retirement by law ------------------------------------------------------------------


def test_retire_by_law_previews_the_count_then_retires_and_audits(
        as_owner, make_question, owner, make_user):
    citing = [make_question(tf(f"旧法{n}"), meta=services.Metadata(statutes=(OLD_LAW,)))
              for n in range(3)]
    current = make_question(tf("新法"), meta=services.Metadata(statutes=(NEW_LAW,)))
    other_bank = services.create_bank(code="other", title="别人的题库", domain="union_law",
                                      actor=make_user(Role.TRAINER))
    elsewhere = services.create_question(other_bank, tf("别的题库"), services.Metadata(
        statutes=(OLD_LAW,)), actor=None)
    db.session.commit()
    response = as_owner.get("/questions/retire-by-law", query_string={
        "law": "中华人民共和国工会法", "version": "2009-08-27"})
    html = page(response)
    assert "3 道有效题目引用了中华人民共和国工会法 2009-08-27 版" in html
    assert all(q.external_id in html for q in citing) and current.external_id not in html
    assert all(q.status == QuestionStatus.DRAFT for q in citing)  # nothing changed yet
    response = as_owner.post("/questions/retire-by-law", data={
        "law": "中华人民共和国工会法", "version": "2009-08-27", "reason": ""})
    assert "请说明原因" in page(response) or "必填" in page(response)
    assert all(q.status == QuestionStatus.DRAFT for q in citing)
    response = as_owner.post("/questions/retire-by-law", data={
        "law": "中华人民共和国工会法", "version": "2009-08-27", "reason": "2021 年修正"},
        follow_redirects=True)
    assert "已停用 3 道引用中华人民共和国工会法（2009-08-27）的题目" in page(response)
    assert all(q.status == QuestionStatus.RETIRED for q in citing)
    assert current.status == QuestionStatus.DRAFT
    assert elsewhere.status == QuestionStatus.DRAFT  # a bank the trainer does not edit
    [summary] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "question.retired_by_law")).all()
    assert summary.actor_id == owner.id
    assert summary.after["count"] == 3 and summary.after["banks"] == ["q-bank"]
    assert audit_actions("question.retired") == ["question.retired"] * 3 + [
        "question.retired_by_law"]


def test_retire_by_law_with_a_bad_date_shows_a_message(as_owner):
    response = as_owner.get("/questions/retire-by-law?law=工会法&version=昨天")
    assert response.status_code == 200 and "不是有效的日期" in page(response)


# -- import and export -------------------------------------------------------------------


def upload(client, bank, text, name="bank.yaml", fmt=""):
    return client.post(f"/questions/banks/{bank.code}/import", data={
        "file": (io.BytesIO(text.encode("utf-8")), name), "format": fmt})


def test_import_yaml_preview_then_confirm(as_owner, bank, owner):
    response = upload(as_owner, bank, SMALL_BANK)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    html = page(as_owner.get(preview_url))
    assert html.count('data-testid="import-item"') == 2
    assert "导入的判断题一" in html and "组织/建会" in html and "判断题" in html
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0  # not yet
    response = as_owner.post(preview_url)
    assert "已导入 2 道题目（均为草稿）" in page(response)
    questions = {q.external_id: q for q in db.session.scalars(sa.select(Question))}
    assert set(questions) == {"imp-1", "imp-2"}
    assert questions["imp-1"].status == QuestionStatus.DRAFT  # the file's status is not trusted
    assert questions["imp-1"].current_version.author_id == owner.id
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "bank.imported")).all()
    assert entry.actor_id == owner.id and entry.after["created"] == 2
    # the upload is gone once used
    assert as_owner.post(preview_url).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == 2


def test_broken_yaml_shows_problems_and_imports_nothing_unless_valid_only(as_owner, bank):
    response = upload(as_owner, bank, BROKEN_BANK)
    preview_url = response.headers["Location"]
    html = page(as_owner.get(preview_url))
    assert 'data-testid="problems"' in html and "bank.yaml:" in html
    assert "choices：须有一个正确选项（权重 100）" in html  # the model's code, in words
    assert "仅导入 2 道有效题目" in html
    response = as_owner.post(preview_url)  # a confirm without "valid only": all or nothing
    assert "未导入任何题目" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
    preview_url = upload(as_owner, bank, BROKEN_BANK).headers["Location"]
    response = as_owner.post(preview_url, data={"valid_only": "1"})
    assert "已导入 2 道题目" in page(response) and "1 道题目因存在问题被跳过" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 2


def test_unreadable_yaml_is_one_problem(as_owner, bank):
    preview_url = upload(as_owner, bank, "questions: [\n").headers["Location"]
    html = page(as_owner.get(preview_url))
    assert "bank.yaml:" in html and "无法从该文件读出任何题目" in html
    assert "仅导入" not in html


def test_an_upload_is_only_usable_by_its_session_and_user(client, as_owner, bank, reviewer,
                                                          app):
    preview_url = upload(as_owner, bank, SMALL_BANK).headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    # another editor, in another session, cannot use the token
    services.update_bank(bank, title=bank.title, description="",
                         editor_emails=[reviewer.email], actor=None)
    db.session.commit()
    other = app.test_client()
    login(other, reviewer)
    response = other.post(preview_url, follow_redirects=True)
    assert "已过期或属于其他会话" in page(response)
    with other.session_transaction() as session:  # even with the token in its session
        session[uploads.SESSION_KEY] = [token]
    assert other.post(preview_url).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
    assert as_owner.get(f"/questions/banks/{bank.code}/import/..%2F..%2Fsecret") \
        .status_code in (302, 404)


def test_an_upload_expires_after_an_hour(as_owner, bank, monkeypatch):
    preview_url = upload(as_owner, bank, SMALL_BANK).headers["Location"]
    real_time = uploads.time.time
    monkeypatch.setattr(uploads.time, "time", lambda: real_time() + uploads.MAX_AGE + 1)
    response = as_owner.get(preview_url, follow_redirects=True)
    assert "已过期" in page(response)


def test_unavailable_or_unknown_format_gets_a_clear_message(as_owner, bank, monkeypatch):
    real = transfer.format_module

    def without_gift(name):
        if name == "gift":
            raise transfer.UnknownFormat("absent")
        return real(name)

    monkeypatch.setattr(transfer, "format_module", without_gift)
    response = upload(as_owner, bank, "::q:: x {T}", name="q.gift")
    assert "此版本尚不支持 GIFT (Moodle) 格式" in page(response)
    response = upload(as_owner, bank, "abc", name="q.doc")
    assert "无法从文件名 q.doc 判断格式" in page(response)
    html = page(as_owner.get(f"/questions/banks/{bank.code}/import"))
    assert "GIFT (Moodle)（暂不可用）" in html


def test_xlsx_template_link_only_when_the_format_exists(as_owner, bank, monkeypatch):
    from lms.questions import views

    monkeypatch.setattr(views, "_xlsx_template", lambda: None)
    assert 'data-testid="xlsx-template"' not in page(
        as_owner.get(f"/questions/banks/{bank.code}/import"))
    assert as_owner.get("/questions/import-template.xlsx").status_code == 404
    monkeypatch.setattr(views, "_xlsx_template", lambda: (lambda: b"PK fake"))
    assert 'data-testid="xlsx-template"' in page(
        as_owner.get(f"/questions/banks/{bank.code}/import"))
    assert as_owner.get("/questions/import-template.xlsx").data == b"PK fake"


def test_export_yaml_reads_back_the_same_questions(as_owner, bank, make_question):
    make_question(item_samples.single(), category="组织")
    response = as_owner.get(f"/questions/banks/{bank.code}/export/yaml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "q-bank.yaml" in response.headers["Content-Disposition"]
    parsed = transfer.parse_file(response.data, filename="q-bank.yaml")
    assert parsed.result.ok and parsed.result.items[0].spec == item_samples.single()
    assert as_owner.get(f"/questions/banks/{bank.code}/export/nope").status_code == 404


def test_export_of_a_missing_format_says_so(as_owner, bank, monkeypatch):
    def unavailable(_bank, fmt):
        raise transfer.UnknownFormat(fmt)

    monkeypatch.setattr(transfer, "export_bank", unavailable)
    response = as_owner.get(f"/questions/banks/{bank.code}/export/qti", follow_redirects=True)
    assert "此版本尚不支持 QTI 格式" in page(response)


def test_every_post_form_carries_a_csrf_token(make_app, owner, bank, make_question):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login(client, owner)
    question = make_question(meta=services.Metadata(statutes=(OLD_LAW,)))
    for url in (f"/questions/banks/{bank.code}", f"/questions/{question.id}",
                f"/questions/{question.id}/edit", f"/questions/banks/{bank.code}/settings",
                f"/questions/banks/{bank.code}/import", "/questions/banks/new",
                "/questions/retire-by-law?law=中华人民共和国工会法&version=2009-08-27"):
        html = page(client.get(url))
        main = html[html.index("<main"):]  # the navigation's forms aside
        forms = re.findall(r'<form[^>]*method="post".*?</form>', main, flags=re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:200])


def test_csrf_is_checked_when_enabled(make_app, owner, bank, make_question):
    app = make_app(WTF_CSRF_ENABLED=True)
    question = make_question()
    client = app.test_client()
    login(client, owner)
    response = client.post(f"/questions/{question.id}/retire", data={"reason": "x"})
    assert response.status_code == 400
    assert question.status == QuestionStatus.DRAFT


def test_choice_ids_are_kept_when_options_are_reordered_by_text(as_owner, make_question):
    spec = SingleChoiceSpec(stem="题", points=Decimal(1), choices=(
        Choice("x1", "甲", Decimal(100)), Choice("y2", "乙")))
    question = make_question(spec)
    html = page(as_owner.get(f"/questions/{question.id}/edit"))
    assert 'value="x1"' in html and 'value="y2"' in html


def test_images_embedded_in_moodle_xml_are_stored_and_served(client, login_as, make_user):
    """A Moodle XML image travels with its question: stored by hash, shown to users."""
    import re as regex
    from pathlib import Path as FilePath

    from lms.courses import storage
    from lms.questions.models import QuestionVersion

    data = (FilePath(__file__).parents[1] / "data" / "moodle_xml" / "all_types.xml").read_bytes()
    parsed = transfer.parse_file(data, filename="all_types.xml")
    assert any(item.files for item in parsed.result.items)
    bank = services.create_bank(code="img-bank", title="图片", domain="union_law")
    transfer.apply(bank, parsed, actor=None, valid_only=True)
    db.session.commit()
    texts = " ".join(str(v.spec) for v in db.session.scalars(sa.select(QuestionVersion)))
    urls = regex.findall(r"/media/[0-9a-f]{64}", texts)
    assert urls
    assert client.get(urls[0]).status_code == 302  # anonymous: log in first
    login_as(make_user())
    with client.get(urls[0]) as response:
        assert response.status_code == 200 and response.mimetype.startswith("image/")
    assert client.get("/media/" + "0" * 64).status_code == 404
    pdf = storage.store(b"%PDF-1.4 a lesson handout for enrolled learners only")
    assert client.get(f"/media/{pdf}").status_code == 404  # not an image: not served here


def test_moving_the_right_answer_of_a_single_choice_fixes_the_key(as_owner, make_question):
    """The radio button says which option is right, so the right option's weight field
    is left empty: a trainer fixing a wrong key moves the radio, and the old answer does
    not keep full credit beside the new one (the editor used to prefill it with 100)."""
    question = make_question(item_samples.single(), category="组织")
    url = f"/questions/{question.id}/edit"
    html = page(as_owner.get(url))
    weights = {}  # what the form shows in each option's weight field
    for tag in re.findall(r"<input[^>]*>", html):
        if field := re.search(r'name="choices-(\d)-weight"', tag):
            value = re.search(r'value="([^"]*)"', tag)
            weights[field.group(1)] = value.group(1) if value else ""
    assert weights["1"] == ""  # the right one: the radio says it
    spec = question.current_version.spec
    data = single_choice_form(stem=spec["stem"], points="2", explanation=spec["explanation"],
                              correct="2", knowledge_points="", statutes="", difficulty="3",
                              category="组织", base_version="1", note="答案更正",
                              **{f"choices-{i}-id": c["id"] for i, c in
                                 enumerate(spec["choices"])},
                              **{f"choices-{i}-text": c["text"] for i, c in
                                 enumerate(spec["choices"])},
                              **{f"choices-{i}-weight": weights.get(str(i)) or ""
                                 for i in range(len(spec["choices"]))})
    assert as_owner.post(url, data=data).status_code == 302
    new = {c["id"]: c["weight"] for c in question.current_version.spec["choices"]}
    assert [key for key, weight in new.items() if weight == "100"] == \
        [spec["choices"][2]["id"]]
