"""GIFT import and export against our own fixtures (tests/data/gift, written for this project)."""

from __future__ import annotations

import codecs
import dataclasses
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.items import (
    Blank,
    Choice,
    DescriptionSpec,
    Entry,
    EssaySpec,
    FillBlankSpec,
    MatchingSpec,
    MatchPair,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    RubricCriterion,
    Scoring,
    SingleChoiceSpec,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
)
from lms.questions.formats import gift
from lms.questions.formats.base import BankItem, FormatError, ParseResult
from tests.unit import item_samples

DATA = Path(__file__).resolve().parents[1] / "data" / "gift"


def read(name: str) -> ParseResult:
    return gift.parse((DATA / name).read_bytes(), filename=name)


def parse(text: str) -> ParseResult:
    return gift.parse(text.encode(), filename="t.gift")


def one(text: str) -> BankItem:
    """The single item ``text`` holds, which must come without any problem."""
    result = parse(text)
    assert not result.problems, result.problems
    assert len(result.items) == 1, result.items
    return result.items[0]


def problem(text: str) -> tuple[str, str]:
    """(where, code) of the single problem ``text`` has; it must give no item."""
    result = parse(text)
    assert not result.items, result.items
    assert len(result.problems) == 1, result.problems
    return result.problems[0].where, result.problems[0].code


def titled(result: ParseResult) -> dict[str, BankItem]:
    return {item.title: item for item in result.items}


def bare(items: list[BankItem]) -> list[BankItem]:
    """``items`` without where they were read, for comparing two reads."""
    return [dataclasses.replace(item, where="") for item in items]


def round_trip(items: list[BankItem]) -> list[BankItem]:
    again = gift.parse(gift.export(items), filename="again.gift")
    assert not again.problems, again.problems
    return again.items


# ---------------------------------------------------------------- the all-types fixture


def test_fixture_reads_every_question_with_the_script_reported():
    result = read("all_types.gift")
    kinds = {item.title: item.spec.item_type.value for item in result.items}
    assert kinds == {
        "任期": "single_choice", "职责": "multiple_choice", "经费": "true_false",
        "会费": "true_false", "成立": "fill_blank", "缺词": "fill_blank",
        "缺词选择": "single_choice", "工资": "numeric", "范围": "numeric", "加权": "numeric",
        "配对": "matching", "论述": "essay", "说明": "description", "转义": "single_choice",
        "HTML": "single_choice", "": "true_false", "Moodle格式": "true_false"}
    assert [(p.where, p.code) for p in result.problems] == [
        ("all_types.gift:61", "lossy_active_content")]
    assert result.problems[0].reason.startswith("imported, but <script> removed")


def test_category_title_id_tags_and_our_metadata():
    item = titled(read("all_types.gift"))["任期"]
    assert item.where == "all_types.gift:11"
    assert item.category == "工会法/基层组织"
    assert item.external_id == "TU-001"
    assert item.tags == ("工会法", "基层组织")
    assert item.difficulty == 2
    assert item.spec.points == D(2)
    assert item.statutes == ({"law": "中华人民共和国工会法", "version": "2021-12-24",
                              "articles": ["第十五条"]},)


def test_single_choice_feedback_goes_into_the_explanation():
    spec = titled(read("all_types.gift"))["任期"].spec
    assert isinstance(spec, SingleChoiceSpec)
    assert [(c.id, c.text, c.weight) for c in spec.choices] == [
        ("a", "两年或三年", 0), ("b", "三年或五年", 100), ("c", "五年", 0), ("d", "四年", 0)]
    assert spec.explanation == ("任期由工会法规定。\n\n- 两年或三年：太短了。\n"
                                "- 三年或五年：正确，见工会法第十五条。")


def test_weights_make_a_partial_multiple_choice():
    spec = titled(read("all_types.gift"))["职责"].spec
    assert isinstance(spec, MultipleChoiceSpec)
    assert spec.scoring is Scoring.PARTIAL
    assert [c.weight for c in spec.choices] == [50, 50, -100]
    assert spec.explanation == "- 决定企业经营方针：这是企业的职权。"


def test_true_false_with_both_feedbacks_and_general_feedback():
    items = titled(read("all_types.gift"))
    assert items["经费"].spec == TrueFalseSpec(stem="工会经费可以用于职工集体福利。",
                                               points=D(1), answer=True)
    spec = items["会费"].spec
    assert spec.answer is False
    # the first feedback is for the wrong response (here "true"), the second for the right one
    assert spec.explanation == ("见《工会会费收缴管理办法》。\n\n- 答“对”：应为百分之〇点五。\n"
                                "- 答“错”：对，是百分之〇点五。")


def test_short_answers_are_one_blank_in_place_of_the_block():
    items = titled(read("all_types.gift"))
    end = items["成立"].spec
    assert end.stem == "中华全国总工会成立于哪一年？[[1]]"
    assert end.blanks == (Blank(1, ("1925", "一九二五年")),)
    middle = items["缺词"].spec
    assert middle.stem == "职工代表大会是企业实行[[1]]的基本形式。"
    assert middle.blanks[0].accepted == ("民主管理",)


def test_missing_word_choice_leaves_moodles_blank():
    spec = titled(read("all_types.gift"))["缺词选择"].spec
    assert spec.stem == "工会会员大会或会员代表大会_____年召开一次。"
    assert [c.weight for c in spec.choices] == [0, 100, 0]


def test_numeric_tolerance_range_and_weighted_answers():
    items = titled(read("all_types.gift"))
    assert items["工资"].spec.answers == (NumericAnswer(D(517), D(1)),)
    assert items["范围"].spec.answers == (NumericAnswer(D(3), D(2)),)
    weighted = items["加权"].spec
    assert weighted.answers == (NumericAnswer(D(1925), D(0)),
                                NumericAnswer(D(1925), D(2), weight=D(50)))
    assert weighted.explanation == ("- 1925±0：完全正确。\n- 1925±2：接近了。\n"
                                    "- 其他答案：请复习工运史。")


def test_matching_with_a_distractor():
    spec = titled(read("all_types.gift"))["配对"].spec
    assert isinstance(spec, MatchingSpec)
    assert [e.text for e in spec.lefts] == ["工会法", "劳动法", "劳动合同法"]
    assert [e.text for e in spec.rights] == ["1992", "1994", "2008", "2010"]
    assert spec.key == {"l1": "r1", "l2": "r2", "l3": "r3"}


def test_essay_markdown_and_description():
    items = titled(read("all_types.gift"))
    essay = items["论述"].spec
    assert essay == EssaySpec(stem="请论述**工会**在劳动争议调解中的作用。", points=D(1),
                              explanation="答题要点：法律依据、调解程序、实际案例。",
                              rubric=(RubricCriterion("overall", "总体评价", D(1)),))
    assert items["说明"].spec == DescriptionSpec(stem="以下各题考查《工会法》的基本知识。")


def test_escapes_and_newline():
    spec = titled(read("all_types.gift"))["转义"].spec
    assert spec.stem == ("集合 {a, b} 中的等号 = 和波浪号 ~ 以及井号 # 、冒号: 和反斜杠 \\ "
                         "都是字面字符。\n第二行。")
    assert spec.choices[0].text == "{ } = ~ # : \\"


def test_html_becomes_text_without_script_plain_and_moodle_are_kept():
    items = titled(read("all_types.gift"))
    html = items["HTML"].spec
    assert html.stem == "下列哪一项是职工代表大会的职权？"
    assert [c.text for c in html.choices] == ["审议企业的重大决策", "决定 *股东* 分红"]
    assert items[""].spec.stem == "没有标题的判断题：工会可以依法维护职工权益。"
    assert items["Moodle格式"].spec.stem == "第一行\n第二行"


# ---------------------------------------------------------------- the dialect, case by case


@pytest.mark.parametrize(("block", "answer"), [
    ("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False), ("{ true }", True),
    ("{t#好}", True)])
def test_true_false_words(block, answer):
    assert one(f"工会是职工自愿结合的群众组织。{block}").spec.answer is answer


@pytest.mark.parametrize(("text", "accepted"), [
    ("首都是{=北京}。", ("北京",)), ("首都？{北京}", ("北京",)),
    ("首都？{=%100%北京 =Beijing#英文也对}", ("北京", "Beijing"))])
def test_short_answer_forms(text, accepted):
    assert one(text).spec.blanks[0].accepted == accepted


def test_short_answer_wildcard_becomes_the_pattern():
    spec = one("缴费基数？{=%100%300* =%0%*#不对}").spec
    assert spec.blanks[0].accepted == ()
    assert spec.blanks[0].pattern == "300.*"
    assert spec.explanation == "- 其他答案：不对"


def test_underscores_written_by_the_author_are_the_blank():
    spec = one("[html]_____ 是最大的大洲。{=%100%亚洲#}").spec
    assert spec.stem == "[[1]] 是最大的大洲。"


def test_partial_credit_short_answer_is_kept_without_the_partial_answer():
    result = parse("::会费::比例？{=0.5% =%50%0.5}")
    assert result.items[0].spec.blanks[0].accepted == ("0.5%",)
    assert [(p.where, p.code) for p in result.problems] == [("t.gift:1", "lossy_partial_answer")]
    assert "'0.5' (50%) was left out" in result.problems[0].reason


def test_multiple_answers_without_penalties_are_all_or_nothing():
    result = parse("哪些是工会？{~%50%总工会 ~%50%产业工会 ~董事会}")
    assert result.items[0].spec.scoring is Scoring.ALL_OR_NOTHING
    assert [p.code for p in result.problems] == ["lossy_all_or_nothing"]


def test_thirds_are_evened_out_to_one_hundred():
    spec = one("选出所有大洲\\:{~%33.33333%亚洲 ~%33.33333%非洲 ~%-100%中国 "
               "~%33.33333%欧洲}").spec
    assert [c.weight for c in spec.choices] == [D("33.33333"), D("33.33333"), D(-100),
                                                D("33.33334")]


def test_numeric_forms():
    assert one("{#-3.142..-3.141}问").spec.answers[0] == NumericAnswer(D("-3.1415"),
                                                                        D("0.0005"))
    assert one("问{#１２００}").spec.answers == (NumericAnswer(D(1200)),)
    spec = one("问{#=%100%5:0 =%0%6:0#差一点 =%0%*#不对}").spec
    assert spec.answers == (NumericAnswer(D(5)),)
    assert spec.explanation == "- 6±0：差一点\n- 其他答案：不对"


def test_penalised_numeric_answer_is_reported():
    result = parse("问{#=5 =%-50%7}")
    assert [p.code for p in result.problems] == ["lossy_negative_answer"]


def test_comments_inside_a_question_and_urls_in_text():
    item = one("// 开头的注释\n::链接::见 http://www.acftu.org 的说明\n// 中间的注释\n{T}")
    assert item.spec.stem == "见 http://www.acftu.org 的说明"
    assert item.where == "t.gift:2"


@pytest.mark.parametrize(("raw", "path"), [
    ("$course$/top/A/B", "A/B"), ("$course$/Default for X", "Default for X"),
    ("T5/Apartado-1,2,2.1", "T5/Apartado-1,2,2.1"), ("$system$/top", ""),
    ("$course$/top/Default for Unit 1: Topic", "Default for Unit 1: Topic"),
    ("$module$/top/A//B/C", "A//B/C"), (" top/A ", "top/A")])
def test_category_paths(raw, path):
    assert gift._category_path(raw) == path


def test_category_lasts_until_the_next_and_may_share_a_block():
    result = parse("$CATEGORY: $course$/top/甲\n\n问一{T}\n\n$CATEGORY: 乙/丙\n问二{T}\n\n"
                   "$CATEGORY: $course$/top\n\n问三{T}")
    assert [(i.category, i.where) for i in result.items] == [
        ("甲", "t.gift:3"), ("乙/丙", "t.gift:6"), ("", "t.gift:10")]


def test_moodle_id_and_tag_escapes():
    item = one("// [id:a\\]b] [tag: x ] [tag:y\\]]\n// [id:ignored]\n问{}")
    assert (item.external_id, item.tags) == ("a]b", ("x", "y]"))


# ---------------------------------------------------------------- encodings


def test_crlf_and_bom_read_the_same():
    data = (DATA / "all_types.gift").read_bytes()
    crlf = codecs.BOM_UTF8 + data.replace(b"\n", b"\r\n")
    again = gift.parse(crlf, filename="all_types.gift")
    assert again.items == read("all_types.gift").items
    assert again.problems == read("all_types.gift").problems


def test_gb18030_file():
    result = read("gb18030.gift")
    assert not result.problems
    assert [(i.title, i.spec.item_type.value) for i in result.items] == [
        ("编码", "single_choice"), ("生僻字", "fill_blank")]
    assert result.items[1].spec.blanks[0].accepted == ("𠀀㐀",)


def test_whole_file_problems_raise_format_error():
    with pytest.raises(FormatError) as caught:
        gift.parse(b"\xff\xfe\xfa\x00", filename="x.gift")
    assert caught.value.problem.where == "x.gift"
    with pytest.raises(FormatError) as caught:
        gift.parse(b"Q{T}\x00", filename="x.gift")
    assert caught.value.problem.code == "not_text"


def test_empty_and_comment_only_files():
    assert parse("") == ParseResult()
    assert parse("// 只有注释\n\n\n// 还是注释\n") == ParseResult()


# ---------------------------------------------------------------- broken questions


BROKEN = [
    ("broken.gift:4:3", "unclosed_answer_block"), ("broken.gift:6:18", "nested_brace"),
    ("broken.gift:8:19", "second_answer_block"), ("broken.gift:10:16", "stray_closing_brace"),
    ("broken.gift:13:2", "answer_without_prefix"), ("broken.gift:18:1", "malformed_title"),
    ("broken.gift:20:1", "unclosed_title"), ("broken.gift:22:11", "unescaped_control"),
    ("broken.gift:24:20", "unescaped_control"), ("broken.gift:26:15", "bad_weight"),
    ("broken.gift:28:14", "bad_number"), ("broken.gift:30:14", "bad_range"),
    ("broken.gift:32:22", "matching_without_arrow"), ("broken.gift:34", "no_correct_choice"),
    ("broken.gift:36", "weights_must_total_100"), ("broken.gift:38:17", "too_few_answers"),
    ("broken.gift:40", "bad_metadata"), ("broken.gift:43:19", "extra_hash"),
    ("broken.gift:45:13", "empty_answer"),
]


def test_every_broken_question_is_a_problem_with_its_place():
    result = read("broken.gift")
    assert [(p.where, p.code) for p in result.problems] == BROKEN
    assert [item.title for item in result.items] == ["全部合格"]
    assert all(p.reason and "{ref}" not in p.reason for p in result.problems)


def test_problem_reasons_say_what_to_do():
    reasons = {p.where: p.reason for p in read("broken.gift").problems}
    assert reasons["broken.gift:4:3"] == (
        "the answer block opened at line 3, column 16 is not closed with '}' before the "
        "question ends (a blank line ends a question) (in the question starting at line 3)")
    assert reasons["broken.gift:22:11"] == (
        "unescaped '=' in the question text: write \\= for the character itself")
    assert reasons["broken.gift:40"].startswith("[difficulty:9] in a comment")


@pytest.mark.parametrize(("text", "code"), [
    ("问{=a#b ~c}}", "stray_closing_brace"), ("问{#1:2:3}", "bad_number"),
    ("问{#*}", "bad_wildcard"), ("问{#5 ~x#y}", "bad_numeric_feedback"),
    ("问{=a -> b#fb =c -> d}", "matching_extras"), ("问{T#a#b#c}", "extra_hash"),
    ("问{=a ~b ####x # y}", "unescaped_control"), ("问{=%50%a}", "no_full_credit_answer"),
    ("// [unit:\"元\"]\n问{T}", "bad_metadata"), ("// [statute:{\"x\":1}]\n问{T}", "bad_metadata"),
    ("问{~%150%a =b}", "bad_weight"), ("问[[2]]{=a}", "blank_markers_mismatch"),
    ("::题 ~ 目::问{T}", "unescaped_control"), ("说明 # 里的井号", "unescaped_control")])
def test_more_broken_questions(text, code):
    assert problem(text)[1] == code


# ---------------------------------------------------------------- export and round trips


@pytest.mark.parametrize("name", ["all_types.gift", "gb18030.gift", "escapes.gift"])
def test_round_trip_of_our_fixtures(name):
    first = read(name).items
    assert bare(round_trip(first)) == bare(first)


def test_export_is_stable_and_looks_like_moodles():
    items = read("all_types.gift").items
    text = gift.export(items)
    assert gift.export(round_trip(items)) == text
    lines = text.decode().splitlines()
    assert lines[0].startswith("// ")
    assert "$CATEGORY: $course$/top/工会法/基层组织" in lines
    assert "// [id:TU-001]" in lines and "// [tag:工会法] [tag:基层组织]" in lines
    assert "::任期::[markdown]基层工会委员会每届任期是多少年？{" in lines
    assert "\t~%-100%决定企业经营方针" in lines
    assert "::成立::[markdown]中华全国总工会成立于哪一年？{" in lines
    assert "\t=%100%1925:0" in lines


def choice_item(**options) -> BankItem:
    spec = MultipleChoiceSpec(
        stem="哪些？", points=D("2.5"), scoring=Scoring.ALL_OR_NOTHING,
        choices=(Choice("a", "甲", D(100)), Choice("b", "乙", D(100)), Choice("c", "%5%的")),
        **options)
    return BankItem(spec, external_id="X-1", title="选项", category="甲/乙", tags=("t",),
                    difficulty=5, statutes=({"law": "劳动法", "version": "", "articles": []},))


NATIVE = [
    choice_item(), choice_item(shuffle=False, floor_at_zero=False),
    BankItem(SingleChoiceSpec(stem="[html]是", points=D(1), choices=(
        Choice("a", "[plain]对", D(100)), Choice("b", "也对", D(100)), Choice("c", "%错")))),
    BankItem(FillBlankSpec(stem="[[1]]在前", points=D(3), scoring=Scoring.ALL_OR_NOTHING,
                           blanks=(Blank(1, ("甲", "T"), r"\d+", D(2), True, False, False),))),
    BankItem(NumericSpec(stem="工资？", points=D(4), unit="元", unit_policy=UnitPolicy.REQUIRED,
                         answers=(NumericAnswer(D(1200), D("0.01"), ToleranceKind.RELATIVE),
                                  NumericAnswer(D(0), D("0.5"), ToleranceKind.RELATIVE, D(50)),
                                  NumericAnswer(D("1E+3"), D(5), weight=D(10))))),
    BankItem(MatchingSpec(stem="配对", points=D(2), scoring=Scoring.ALL_OR_NOTHING,
                          shuffle=False,
                          lefts=(Entry("l1", "甲"), Entry("l2", "乙")),
                          rights=(Entry("r1", "二->三"), Entry("r2", "一")),
                          pairs=(MatchPair("l1", "r1"), MatchPair("l2", "r1")))),
    BankItem(dataclasses.replace(item_samples.essay(), stem="论述]题")),
    BankItem(DescriptionSpec(stem="说明", explanation="注]意")),
]


@pytest.mark.parametrize("item", NATIVE, ids=lambda i: i.spec.item_type.value)
def test_metadata_without_a_gift_home_survives(item):
    assert bare(round_trip([item])) == [item]


def test_relative_tolerance_is_written_absolute_for_moodle():
    text = gift.export([NATIVE[4]]).decode()
    assert "\t=%100%1200:12.00\n" in text
    assert '// [relative_tolerance:["0.01","0.5",null\\]]' in text
    assert '// [unit:"元"]' in text


@pytest.mark.parametrize("name", ["single_choice", "multiple_choice", "true_false", "numeric",
                                  "matching", "description"])
def test_sample_items_round_trip(name):
    item = BankItem(item_samples.ALL[name](), title="样例")
    assert bare(round_trip([item])) == [item]


@pytest.mark.parametrize("name", ["parametric", "ordering", "case_study"])
def test_export_refuses_what_gift_cannot_hold(name):
    item = BankItem(item_samples.ALL[name](), title="不能导出")
    with pytest.raises(FormatError) as caught:
        gift.export([BankItem(item_samples.single()), item])
    assert caught.value.problem.code == "not_exportable"
    assert "item 2 (不能导出)" in caught.value.problem.reason
    assert gift.unwritable(item)


def test_export_refuses_two_blanks_and_arrows_in_answers():
    two = FillBlankSpec(stem="[[1]][[2]]", points=D(1),
                        blanks=(Blank(1, ("a",)), Blank(2, ("b",))))
    assert "one blank" in gift.unwritable(BankItem(two))
    arrow = FillBlankSpec(stem="[[1]]", points=D(1), blanks=(Blank(1, ("a->b",)),))
    assert "'->'" in gift.unwritable(BankItem(arrow))


texts = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"),
                min_size=1, max_size=20).map(str.strip).filter(bool)
gifty = st.text("\\~=#{}:%[]*->_ 甲\nnT", min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts | gifty, min_size=5, max_size=5))
def test_any_text_round_trips_through_the_escapes(words):
    stem, a, b, title, feedback = words
    spec = SingleChoiceSpec(stem=stem, points=D(1), explanation=feedback,
                            choices=(Choice("a", a, D(100)), Choice("b", b)))
    item = BankItem(spec, title=title, category="甲/乙", tags=(b.replace("\n", " "),),
                    external_id=stem.replace("\n", " "))
    if gift.unwritable(item):
        return
    assert bare(round_trip([item])) == [item]
