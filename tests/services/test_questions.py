"""Question versions, review, retirement and import at the service level and in the CLI."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.domain.items import Choice, SingleChoiceSpec, TrueFalseSpec
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.questions import services
from lms.questions.formats.base import BankItem
from lms.questions.models import Question, QuestionStatus, QuestionVersion
from tests.conftest import count_queries

DATA = Path(__file__).parents[1] / "data" / "questions"
STATUTE = {"law": "中华人民共和国工会法", "version": "2021-12-24", "articles": ["第十一条"]}


def spec(stem="题干", answer=True):
    return TrueFalseSpec(stem=stem, points=Decimal(1), explanation="解析", answer=answer)


@pytest.fixture
def bank(app, make_user):
    owner = make_user("trainer")
    bank = services.create_bank(code="t-bank", title="测试题库", domain="union_law", actor=owner)
    db.session.commit()
    return bank


def test_edits_append_immutable_versions(bank, make_user):
    author = make_user("trainer")
    question = services.create_question(bank, spec(), services.Metadata(statutes=(STATUTE,)),
                                        actor=author, category="组织/建会")
    db.session.commit()
    first = question.current_version
    assert services.edit_question(question, spec(), services.Metadata(statutes=(STATUTE,)),
                                  actor=author) is None  # nothing changed, no version
    services.edit_question(question, spec(answer=False), services.Metadata(difficulty=4),
                           actor=author, note="fix key")
    db.session.commit()
    versions = db.session.scalars(sa.select(QuestionVersion).order_by(QuestionVersion.number))
    first_again, second = versions.all()
    assert first_again.id == first.id and first_again.spec["answer"] is True
    assert second.spec["answer"] is False and question.difficulty == 4
    assert question.category.path == "组织/建会" and question.category.parent.name == "组织"


def test_an_author_cannot_approve_their_own_version(bank, make_user):
    author, reviewer = make_user("trainer"), make_user("trainer")
    question = services.create_question(bank, spec(), services.Metadata(), actor=author)
    services.submit_for_review(question, actor=author)
    with pytest.raises(ValidationFailed):
        services.approve(question, reviewer=author)
    services.approve(question, reviewer=reviewer)
    assert question.status == QuestionStatus.APPROVED
    assert question.approved_version_id == question.current_version_id


def test_editing_an_approved_question_keeps_the_approved_version_serving(bank, make_user):
    author, reviewer = make_user("trainer"), make_user("trainer")
    question = services.create_question(bank, spec(), services.Metadata(), actor=author)
    services.approve(question, reviewer=reviewer)
    approved = question.approved_version_id
    services.edit_question(question, spec("新题干"), services.Metadata(), actor=author)
    assert question.status == QuestionStatus.DRAFT
    assert question.approved_version_id == approved != question.current_version_id


def test_retiring_everything_that_cites_a_law_version(bank, make_user):
    author = make_user("trainer")
    old_law = {"law": "中华人民共和国工会法", "version": "2009-08-27", "articles": ["第十条"]}
    citing = [services.create_question(bank, spec(f"旧法{n}"), services.Metadata(
        statutes=(old_law,)), actor=author) for n in range(3)]
    other = services.create_question(bank, spec("新法"), services.Metadata(statutes=(STATUTE,)),
                                     actor=author)
    count = services.retire_citing("中华人民共和国工会法", "2009-08-27", actor=author,
                                   reason="2021 年修正")
    assert count == 3
    assert all(q.status == QuestionStatus.RETIRED for q in citing)
    assert other.status == QuestionStatus.DRAFT


def test_retiring_by_law_can_be_limited_to_some_banks_and_is_audited(bank, make_user):
    from lms.audit.models import AuditEntry

    author = make_user("trainer")
    old_law = {"law": "中华人民共和国工会法", "version": "2009-08-27", "articles": ["第十条"]}
    other_bank = services.create_bank(code="other", title="其他", domain="union_law")
    here = services.create_question(bank, spec("本库"), services.Metadata(statutes=(old_law,)),
                                    actor=author)
    there = services.create_question(other_bank, spec("他库"), services.Metadata(
        statutes=(old_law,)), actor=author)
    assert services.questions_citing(old_law["law"], old_law["version"]) == [here, there]
    with pytest.raises(ValidationFailed):
        services.retire_citing(old_law["law"], old_law["version"], actor=author, reason=" ")
    count = services.retire_citing(old_law["law"], old_law["version"], actor=author,
                                   reason="修正", bank_ids=[bank.id])
    assert count == 1 and here.status == QuestionStatus.RETIRED
    assert there.status == QuestionStatus.DRAFT
    summary = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "question.retired_by_law"))
    assert summary.after["count"] == 1 and summary.after["questions"] == [here.id]


def test_adding_a_knowledge_point_makes_a_version_once(bank, make_user):
    author = make_user("trainer")
    question = services.create_question(bank, spec(), services.Metadata(
        knowledge_points=("经费",)), actor=author)
    services.approve(question, reviewer=make_user("trainer"))
    version = services.add_knowledge_point(question, " 来源 ", actor=author)
    assert version.number == 2 and version.knowledge_points == ["经费", "来源"]
    assert sorted(t.tag for t in question.tags) == ["来源", "经费"]
    assert question.status == QuestionStatus.DRAFT  # like any edit
    assert services.add_knowledge_point(question, "来源", actor=author) is None
    with pytest.raises(ValidationFailed):
        services.add_knowledge_point(question, "  ", actor=author)


def test_bank_settings_share_it_with_trainers_only(bank, make_user):
    trainer = make_user("trainer", email="t@example.cn")
    make_user("candidate", email="c@example.cn")
    with pytest.raises(ValidationFailed) as refused:
        services.update_bank(bank, title="新", description="", actor=None,
                             editor_emails=["c@example.cn"])
    assert refused.value.reason == "not_author"
    services.update_bank(bank, title=" 新标题 ", description="说明", actor=None,
                         editor_emails=["T@example.cn", "t@example.cn", bank.owner.email])
    assert bank.title == "新标题" and bank.editors == [trainer]  # the owner is not listed


def test_new_questions_skip_external_ids_an_import_already_took(bank, make_user):
    author = make_user("trainer")
    services.create_question(bank, spec(), services.Metadata(), actor=author,
                             external_id="t-bank-0002")
    second = services.create_question(bank, spec("二"), services.Metadata(), actor=author)
    assert second.external_id == "t-bank-0003"


def test_an_import_is_audited(bank, make_user):
    from lms.audit.models import AuditEntry
    from lms.questions.formats.base import BankItem

    actor = make_user("trainer")
    services.import_items(bank, [BankItem(spec=spec(), external_id="x-1")], actor=actor,
                          note="imported (yaml)")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bank.imported"))
    assert entry.actor_id == actor.id and entry.object_id == str(bank.id)
    assert entry.after == {"note": "imported (yaml)", "created": 1, "updated": 0,
                           "unchanged": 0}


def test_choice_items_search_text_holds_options(bank, make_user):
    item = SingleChoiceSpec(stem="问题", points=Decimal(1), choices=(
        Choice(id="a", text="二十五人", weight=Decimal(100)), Choice(id="b", text="五十人")))
    question = services.create_question(bank, item, services.Metadata(), actor=make_user())
    assert "二十五人" in question.current_version.search_text


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["lms", "questions", *args])


def test_cli_imports_a_bank_file_with_its_statuses_and_is_idempotent(app):
    result = cli(app, "import", str(DATA / "small-bank.yaml"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["imported"] == 2 and report["by_type"] == {"single_choice": 1,
                                                             "true_false": 1}
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Question.status == QuestionStatus.APPROVED)) == 2
    again = json.loads(cli(app, "import", str(DATA / "small-bank.yaml"), "--json").output)
    assert again["imported"] == 0 and again["unchanged"] == 2


def test_cli_dry_run_writes_nothing(app):
    result = cli(app, "import", str(DATA / "small-bank.yaml"), "--dry-run", "--json")
    assert json.loads(result.output)["imported"] == 2
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_cli_import_of_a_file_with_a_problem_imports_nothing(app, tmp_path):
    broken = (DATA / "small-bank.yaml").read_text(encoding="utf-8").replace(
        "difficulty: 1", "difficulty: 7")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = cli(app, "import", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["imported"] == 0 and report["skipped"] == 1
    [problem] = report["problems"]
    assert problem["where"] == "broken.yaml:22" and "difficulty" in problem["reason"]
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
    partial = cli(app, "import", str(path), "--valid-only", "--json")
    assert json.loads(partial.output)["imported"] == 1


def test_cli_export_round_trips_the_bank(app, tmp_path):
    cli(app, "import", str(DATA / "small-bank.yaml"))
    out = tmp_path / "out.yaml"
    assert cli(app, "export", "--bank", "small-bank", "--format", "yaml", "-o",
               str(out)).exit_code == 0
    result = json.loads(cli(app, "import", str(out), "--dry-run", "--json").output)
    assert result["problems"] == [] and result["unchanged"] == 2


def test_stats_report_approved_questions_by_domain_and_type(app):
    cli(app, "import", str(DATA / "small-bank.yaml"))
    data = json.loads(app.test_cli_runner().invoke(args=["lms", "stats", "--json"]).output)
    assert data["questions_approved"]["union_law"] == 2
    assert data["questions_approved_by_type"] == {"single_choice": 1, "true_false": 1}


GIFT = """// [id:g-1]
::建会::会员多少人以上应当建立基层工会委员会？{=二十五人 ~五十人}

::partial::工会的基本职责是什么？{=维护职工合法权益 =%50%维权}
"""


def test_gift_file_with_only_lossy_warnings_imports(app, tmp_path):
    services.create_bank(code="g-bank", title="GIFT", domain="union_law")
    db.session.commit()
    path = tmp_path / "x.gift"
    path.write_text(GIFT, encoding="utf-8")
    report = json.loads(cli(app, "import", str(path), "--bank", "g-bank", "--json").output)
    assert report["imported"] == 2 and report["problems"] == []
    assert [w["code"] for w in report["warnings"]] == ["lossy_partial_answer"]


def test_qti_notes_are_warnings_not_blockers():
    from lms.questions import transfer

    item = (Path(__file__).parents[1] / "data" / "qti" / "single_map_response.xml").read_bytes()
    with_image = item.replace(b"</itemBody>",
                              b'<p><img src="missing.png" alt="x"/></p></itemBody>', 1)
    parsed = transfer.parse_file(with_image, filename="item.xml")
    assert parsed.format == "qti" and len(parsed.result.items) == 1
    assert parsed.blocking == [] and parsed.warnings, parsed.result.problems


def test_an_import_reads_the_bank_once_whatever_its_size(bank, make_user):
    """The bank's questions and free ids are read once per import, and a question costs
    its two rows' inserts and nothing more (it took about eight statements, one of them
    reading all of the bank's ids again for each question)."""
    author = make_user("trainer")

    def imported(n: int, tag: str) -> tuple[int, int]:
        items = [BankItem(spec=spec(f"{tag}题干{k}"), tags=(f"{tag}知识点",)) for k in range(n)]
        with count_queries() as statements:
            counts = services.import_items(bank, items, actor=author)
        db.session.commit()
        assert counts.created == n
        rows = [s for s in statements.statements
                if s.startswith(("INSERT INTO questions ", "INSERT INTO question_versions "))]
        return len(statements.statements) - len(rows), len(rows)

    (few_other, _), (many_other, many_rows) = imported(5, "甲"), imported(40, "乙")
    assert many_other == few_other and many_rows <= 2 * 40, (few_other, many_other, many_rows)
    ids = db.session.scalars(sa.select(Question.external_id).where(Question.bank_id == bank.id))
    assert sorted(ids) == [f"t-bank-{n:04d}" for n in range(1, 46)]
    versions = db.session.scalars(sa.select(QuestionVersion).join(
        Question, Question.current_version_id == QuestionVersion.id)).all()
    assert len(versions) == 45 and {v.number for v in versions} == {1}
    assert all(v.knowledge_points in (["甲知识点"], ["乙知识点"]) for v in versions)
