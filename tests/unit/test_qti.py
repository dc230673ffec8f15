"""QTI import and export: mapping, round trips, problems and the safety limits.

Fixtures are ours (tests/data/qti); packages are zipped here. The third-party
corpus is exercised in test_qti_interop.py.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.items import (
    Blank,
    Choice,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
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
from lms.domain.scoring import score_item
from lms.questions.formats import qti
from lms.questions.formats.base import BankItem, FormatError

from . import item_samples as samples
from . import item_strategies as strategies

DATA = Path(__file__).parents[1] / "data" / "qti"
QTI21 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
STATUTE = {"law": "中华人民共和国工会法", "version": "2021-12-24",
           "articles": ["第十一条", "第十二条"]}


def bank(spec, n: int = 1, **meta) -> BankItem:
    defaults = {"external_id": f"q-{n}", "title": f"题目{n}", "category": "工会组织/建会条件",
                "tags": ("工会法", "基层组织"), "difficulty": 3, "statutes": (STATUTE,)}
    return BankItem(spec=spec, **{**defaults, **meta})


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def package(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def manifest(*resources: tuple[str, str]) -> str:
    rows = "".join(f'<resource identifier="R{n}" type="{kind}" href="{href}">'
                   f'<file href="{href}"/></resource>'
                   for n, (kind, href) in enumerate(resources))
    return ('<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
            f'identifier="M"><organizations/><resources>{rows}</resources></manifest>')


ITEM = "imsqti_item_xmlv2p1"


def roundtrip(items: list[BankItem]) -> list[BankItem]:
    result = qti.parse(qti.export(items), filename="bank.zip")
    assert result.problems == []
    assert len(result.items) == len(items)
    return result.items


def same(a: BankItem, b: BankItem) -> None:
    assert b.spec == a.spec
    assert b.spec.to_dict() == a.spec.to_dict()
    for name in ("external_id", "title", "category", "tags", "difficulty", "statutes"):
        assert getattr(b, name) == getattr(a, name), name


# ---------------------------------------------------------------- round trips

EXPORTABLE = ["single_choice", "multiple_choice", "true_false", "fill_blank", "numeric", "essay",
              "description"]


@pytest.mark.parametrize("kind", EXPORTABLE)
def test_every_exportable_type_comes_back_equal_with_its_metadata(kind):
    item = bank(samples.ALL[kind]())
    [back] = roundtrip([item])
    same(item, back)
    assert back.where.startswith("bank.zip/items/q-1.xml:")


def test_a_whole_bank_round_trips_in_order():
    items = [bank(samples.ALL[kind](), n) for n, kind in enumerate(EXPORTABLE, 1)]
    for a, b in zip(items, roundtrip(items), strict=True):
        same(a, b)


CHOICES = (Choice("a", "两年"), Choice("b", "三年或五年", D(100)), Choice("c", "五年"))


@pytest.mark.parametrize("spec", [
    # single: plain key worth 1 (match_correct), worth 2.5 (map_response), part credit,
    # a penalty without the floor, authored order
    SingleChoiceSpec(stem="任期？", points=D(1), choices=CHOICES),
    SingleChoiceSpec(stem="任期？", points=D("2.5"), choices=CHOICES, shuffle=False),
    SingleChoiceSpec(stem="任期？", points=D(3), choices=(
        Choice("a", "两年", D(50)), Choice("b", "三年或五年", D(100)),
        Choice("c", "五年", D(-25))), floor_at_zero=False),
    SingleChoiceSpec(stem="任期？", points=D(1), choices=CHOICES, floor_at_zero=False),
    # multiple: all-or-nothing worth 1 / worth 4 / with authored weights / without floor
    MultipleChoiceSpec(stem="职责？", points=D(1), choices=(
        Choice("a", "维护权益", D(100)), Choice("b", "集体合同", D(100)), Choice("c", "经营"))),
    MultipleChoiceSpec(stem="职责？", points=D(4), choices=(
        Choice("a", "维护权益", D(100)), Choice("b", "集体合同", D(100)), Choice("c", "经营"))),
    MultipleChoiceSpec(stem="职责？", points=D(2), choices=(
        Choice("a", "维护权益", D(50)), Choice("b", "集体合同", D(50)), Choice("c", "经营"))),
    MultipleChoiceSpec(stem="职责？", points=D(1), floor_at_zero=False, choices=(
        Choice("a", "维护权益", D(100)), Choice("b", "集体合同", D(100)), Choice("c", "经营"))),
    # multiple partial with thirds and no floor
    MultipleChoiceSpec(stem="职责？", points=D(3), scoring=Scoring.PARTIAL, floor_at_zero=False,
                       choices=(Choice("a", "甲", D("33.33333")), Choice("b", "乙", D("33.33333")),
                                Choice("c", "丙", D("33.33334")), Choice("d", "丁", D(-50)))),
    TrueFalseSpec(stem="工会经费可以用于生产经营。", points=D(1), answer=False),
    TrueFalseSpec(stem="工会经费可以用于职工福利。", points=D("1.5"), answer=True,
                  explanation="见第四十二条"),
])
def test_choice_variants_round_trip(spec):
    item = bank(spec)
    [back] = roundtrip([item])
    same(item, back)


@pytest.mark.parametrize("spec", [
    FillBlankSpec(stem="依照 [[1]]。", points=D(2), blanks=(Blank(1, accepted=("工会法",)),)),
    FillBlankSpec(stem="依照 [[1]]。", points=D(2), scoring=Scoring.ALL_OR_NOTHING,
                  blanks=(Blank(1, accepted=("工会法",), case_sensitive=True),)),
    FillBlankSpec(stem="比例 [[1]]，拨缴 [[2]]。", points=D(3), scoring=Scoring.ALL_OR_NOTHING,
                  blanks=(Blank(1, pattern=r"2(\.0)?%", case_sensitive=True),
                          Blank(2, accepted=("经费", "工会经费")))),
    FillBlankSpec(stem="先 [[2]]\n后 [[1]]。", points=D(1), blanks=(
        Blank(1, accepted=("Union", "union"), pattern="u.ion", case_sensitive=True),
        Blank(2, accepted=("会员",), weight=D(3)))),
    NumericSpec(stem="日工资？", points=D(1), answers=(NumericAnswer(D(200)),)),
    NumericSpec(stem="日工资？", points=D(4), unit="元", answers=(
        NumericAnswer(D("200.00"), tolerance=D("0.015"), tolerance_kind=ToleranceKind.RELATIVE),
        NumericAnswer(D("145"), tolerance=D(1), weight=D("37.5")),
        NumericAnswer(D("-3.5"), weight=D(10)))),
    NumericSpec(stem="比例？", points=D(1), answers=(
        NumericAnswer(D("0.5"), tolerance_kind=ToleranceKind.RELATIVE),)),
    EssaySpec(stem="论述。", points=D(5), rubric=(RubricCriterion("all", "整体", D(5)),)),
    EssaySpec(stem="论述。", points=D("7.5"), word_limit=300, rubric=(
        RubricCriterion("a", "法律依据\n（条文）", D(4), "引用第二十一条 <b>&amp;</b>"),
        RubricCriterion("b", "表达", D("3.5")))),
    DescriptionSpec(stem="# 第二部分\n\n案例分析", explanation="说明"),
])
def test_other_variants_round_trip(spec):
    item = bank(spec)
    [back] = roundtrip([item])
    same(item, back)


@pytest.mark.parametrize("text", [
    "多段落\n\n第二段，含 **粗体**、`代码` 与 <script>alert(1)</script> & 符号",
    "行一\n行二\n\n\n三个换行之后",
    "  前后空格  ",
    "\n以换行开头\n",
    "列表：\n\n- 一\n- 二\n\n1. 甲\n2. 乙",
    "图片 ![图](https://example.org/a.png) 与 [[1]] 不是空",
])
def test_markdown_text_survives_character_for_character(text):
    spec = SingleChoiceSpec(stem=text, points=D(1), explanation=text, choices=(
        Choice("a", text, D(100)), Choice("b", "另一项\n第二行")))
    [back] = roundtrip([bank(spec)])
    assert back.spec == spec


def test_blank_weights_come_back_scaled_with_the_same_shares():
    spec = FillBlankSpec(stem="[[1]] 与 [[2]]", points=D(5), blanks=(
        Blank(1, accepted=("甲",), weight=D(2)), Blank(2, accepted=("乙",), weight=D(3))))
    [back] = roundtrip([bank(spec)])
    assert [b.weight for b in back.spec.blanks] == [D(1), D("1.5")]
    for answers in (["甲", ""], ["", "乙"], ["甲", "乙"]):
        raw = {str(n): text for n, text in enumerate(answers, 1)}
        assert score_item(back.spec, raw).score == score_item(spec, raw).score


def test_what_qti_cannot_hold_is_reset_as_documented():
    spec = NumericSpec(stem="多少？", points=D(2), unit="元", unit_policy=UnitPolicy.REQUIRED,
                       answers=(NumericAnswer(D(145), weight=D(50)),
                                NumericAnswer(D(200))))
    blank = FillBlankSpec(stem="[[1]]", points=D(1), blanks=(
        Blank(1, accepted=("甲",), fold_width=False, ignore_spaces=False),))
    choice = SingleChoiceSpec(stem="选", points=D(1), choices=(
        Choice("1", "甲", D(100)), Choice("选项 b", "乙")))
    items = [bank(spec, 1, title=""), bank(blank, 2, external_id=None), bank(choice, 3)]
    numeric, fill, single = roundtrip(items)
    assert numeric.spec.unit == "元" and numeric.spec.unit_policy is UnitPolicy.OPTIONAL
    assert [a.value for a in numeric.spec.answers] == [D(200), D(145)]  # best first
    assert numeric.title == "多少？"  # an empty title becomes the start of the stem
    assert fill.spec.blanks[0].fold_width and fill.spec.blanks[0].ignore_spaces
    assert fill.external_id == "item-0002"
    assert [c.id for c in single.spec.choices] == ["choice_1", "choice_2"]


def test_external_ids_that_are_not_qti_identifiers_survive_in_the_manifest():
    items = [bank(samples.true_false(), 1, external_id="393"),
             bank(samples.true_false(), 2, external_id="393"),
             bank(samples.true_false(), 3, external_id="工会-7")]
    archive = zipfile.ZipFile(io.BytesIO(qti.export(items)))
    assert sorted(archive.namelist()) == ["imsmanifest.xml", "items/item-0001.xml",
                                          "items/item-0002.xml", "items/item-0003.xml"]
    assert [b.external_id for b in roundtrip(items)] == ["393", "393", "工会-7"]


def test_export_writes_qti_21_that_other_tools_can_read():
    data = qti.export([bank(samples.multiple()), bank(samples.fill_blank(), 2)])
    assert qti.export([bank(samples.multiple()), bank(samples.fill_blank(), 2)]) == data
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist()[0] == "imsmanifest.xml"
    item = fromstring(archive.read("items/q-1.xml"))
    assert item.tag == f"{QTI21}assessmentItem"
    assert item.find(f"{QTI21}responseProcessing").get("template") == \
        "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
    entries = item.findall(f".//{QTI21}mapEntry")
    assert [(e.get("mapKey"), e.get("mappedValue")) for e in entries] == [
        ("a", "1"), ("b", "1"), ("c", "-2")]
    blanks = fromstring(archive.read("items/q-2.xml")).findall(f".//{QTI21}textEntryInteraction")
    assert [b.get("responseIdentifier") for b in blanks] == ["RESPONSE_1", "RESPONSE_2"]
    manifest_root = fromstring(archive.read("imsmanifest.xml"))
    resources = manifest_root.findall(".//{http://www.imsglobal.org/xsd/imscp_v1p1}resource")
    assert [r.get("type") for r in resources] == [ITEM, ITEM]


def documented(spec):
    """``spec`` as the module docstring says a round trip gives it back."""
    if isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec):
        ids = qti._choice_ids(spec.choices)
        return replace(spec, choices=tuple(replace(c, id=key)
                                           for c, key in zip(spec.choices, ids, strict=True)))
    if isinstance(spec, NumericSpec):
        return replace(spec, answers=tuple(sorted(spec.answers, key=lambda a: -a.weight)),
                       unit_policy=UnitPolicy.OPTIONAL)
    if isinstance(spec, FillBlankSpec):
        smallest = min(b.weight for b in spec.blanks)
        return replace(spec, blanks=tuple(replace(
            b, weight=(b.weight / smallest).quantize(D("0.0001"), ROUND_HALF_UP), fold_width=True,
            accepted=tuple(dict.fromkeys(text.strip() for text in b.accepted)),
            ignore_spaces=True, case_sensitive=b.case_sensitive or not b.accepted)
            for b in spec.blanks))
    return spec


@given(spec=st.one_of(strategies.single_choice(), strategies.multiple_choice(),
                      strategies.true_false, strategies.fill_blank(), strategies.numeric(),
                      strategies.essay(), strategies.description),
       title=st.text(max_size=8), tags=st.lists(st.text(min_size=1, max_size=5), max_size=2))
@settings(max_examples=300, deadline=None)
def test_any_exportable_item_round_trips_as_documented(spec, title, tags):
    item = BankItem(spec=spec, title=title, tags=tuple(tags), external_id="x")
    try:
        data = qti.export([item])
    except ValueError as err:  # only text XML cannot hold is refused
        assert "XML cannot hold" in str(err)
        return
    [back] = qti.parse(data, filename="p.zip").items
    assert back.spec == documented(spec)
    assert back.title == (title.strip() or qti._collapse(spec.stem).strip()[:40].strip())
    assert back.tags == tuple(t.strip() for t in tags if t.strip())


def test_control_characters_are_refused_and_carriage_returns_kept():
    with pytest.raises(ValueError, match=r"#1: .*U\+0001"):
        qti.export([bank(TrueFalseSpec(stem="a\x01b", points=D(1), answer=True))])
    with pytest.raises(ValueError, match="metadata"):
        qti.export([bank(samples.true_false(), tags=("a\x02",))])
    spec = TrueFalseSpec(stem="第一行\r\n第二行\r", points=D(1), answer=True)
    assert roundtrip([bank(spec)])[0].spec == spec


@pytest.mark.parametrize("kind", ["matching", "ordering", "parametric", "case_study"])
def test_types_qti_export_cannot_hold_are_refused_by_name(kind):
    items = [bank(samples.single()), bank(samples.ALL[kind](), 2, external_id="bad-1")]
    with pytest.raises(ValueError, match=rf"#2 {kind} \(bad-1\)"):
        qti.export(items)


# ---------------------------------------------------------------- reading our fixtures


def test_single_choice_with_map_response_gives_partial_weights():
    [item] = qti.parse(fixture("single_map_response.xml"), filename="s.xml").items
    spec = item.spec
    assert isinstance(spec, SingleChoiceSpec)
    assert spec.points == 4 and not spec.shuffle  # a fixed choice keeps the order
    assert [(c.id, c.weight) for c in spec.choices] == [
        ("A", 50), ("B", 100), ("C", 0), ("D", -100)]
    assert spec.stem == "基层工会委员会每届任期**几年**？"
    assert spec.explanation == "**依据** 工会法第十五条。"
    assert (item.external_id, item.title, item.where) == ("union-term", "基层工会任期", "s.xml:4")


def test_blanks_with_a_pattern_and_all_or_nothing_processing():
    [item] = qti.parse(fixture("fill_blank_all_or_nothing.xml"), filename="f.xml").items
    spec = item.spec
    assert isinstance(spec, FillBlankSpec) and spec.scoring is Scoring.ALL_OR_NOTHING
    assert spec.stem == "企业按全部职工工资总额的 [[1]] 向工会拨缴 [[2]]。"
    rate, fund = spec.blanks
    assert rate.accepted == () and rate.pattern == r"2(\.0)?\s*%"
    assert fund.accepted == ("工会经费", "经费") and not fund.case_sensitive
    assert spec.points == 3
    assert score_item(spec, {"1": "2 %", "2": "经费"}).score == 3
    assert score_item(spec, {"1": "3%", "2": "经费"}).score == 0


def test_numeric_rules_give_tolerances_and_part_credit():
    [item] = qti.parse(fixture("numeric_tolerance.xml"), filename="n.xml").items
    spec = item.spec
    assert isinstance(spec, NumericSpec) and spec.points == 2
    assert spec.answers == (
        NumericAnswer(D(200), D("0.01"), ToleranceKind.RELATIVE, D(100)),
        NumericAnswer(D(145), D("0.5"), ToleranceKind.ABSOLUTE, D(50)))
    assert spec.stem == "月工资 4350 元，日工资是 ____ 元。"
    assert score_item(spec, "201.9").score == 2
    assert score_item(spec, "145.5").score == 1


def test_qti3_true_false_with_trimmed_values_and_feedback_block():
    [item] = qti.parse(fixture("qti30_true_false.xml"), filename="t.xml").items
    assert item.spec == TrueFalseSpec(stem="工会经费可以用于企业的生产经营。", points=D("1.5"),
                                      answer=False, explanation="见工会法第四十二条。")


def test_essay_takes_max_score_prompt_length_and_scorer_guidance():
    [item] = qti.parse(fixture("essay_scorer_rubric.xml"), filename="e.xml").items
    spec = item.spec
    assert isinstance(spec, EssaySpec)
    assert spec.stem == "论述工会在劳动争议调解中的作用。\n\n不少于300字。"
    assert spec.word_limit == 800
    assert spec.rubric == (RubricCriterion(
        "overall", "总体评分", D(10), "引用第二十一条得4分；结合调解委员会实践得4分。"),)


def test_items_mixing_interactions_are_reported_at_the_interaction():
    result = qti.parse(fixture("composite.xml"), filename="c.xml")
    assert result.items == []
    [problem] = result.problems
    assert problem.where == "c.xml:12"
    assert "combining different interactions" in problem.reason


ITEM_HEAD = ('<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x" '
             'title="x" adaptive="{adaptive}" timeDependent="false">')


def item_xml(body: str, *, declarations: str = "", processing: str = "",
             adaptive: str = "false") -> bytes:
    return (ITEM_HEAD.format(adaptive=adaptive) + declarations
            + f"<itemBody>{body}</itemBody>{processing}</assessmentItem>").encode()


CHOICE_DECL = ('<responseDeclaration identifier="R" cardinality="single" baseType="identifier">'
               '<correctResponse><value>A</value></correctResponse></responseDeclaration>')
CHOICE_BODY = ('<choiceInteraction responseIdentifier="R" shuffle="false" maxChoices="1">'
               '<simpleChoice identifier="A">甲</simpleChoice>'
               '<simpleChoice identifier="B">乙</simpleChoice></choiceInteraction>')


@pytest.mark.parametrize(("xml", "reason"), [
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL, adaptive="true"),
     "adaptive items"),
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL + (
        '<templateDeclaration identifier="T" cardinality="single" baseType="integer"/>')),
     "template (cloned, randomised) items"),
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL,
              processing='<responseProcessing template="http://www.imsglobal.org/question/'
                         'qti_v2p1/rptemplates/map_response_point"/>'),
     "unsupported responseProcessing template"),
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL.replace(
        "<value>A</value>", "<value>Z</value>")), "the correct response Z is not one of"),
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL.replace(
        'baseType="identifier"', 'baseType="string"')), "must have baseType identifier"),
    (item_xml("<p>x</p>" + CHOICE_BODY.replace('identifier="B"', 'identifier="A"'),
              declarations=CHOICE_DECL), "two choices share the identifier 'A'"),
    (item_xml("<p>x</p>" + CHOICE_BODY, declarations=CHOICE_DECL.replace(
        "<value>A</value>", "<value>A</value><value>B</value>")), "exactly one correct value"),
    (item_xml("<p>x</p>" + CHOICE_BODY + CHOICE_BODY, declarations=CHOICE_DECL),
     "2 choiceInteractions in one item"),
    (item_xml("<p>选</p>" + CHOICE_BODY.replace(">甲<", "><"), declarations=CHOICE_DECL),
     "choice 'A' has no text"),
    (item_xml("<p>拖</p><orderInteraction responseIdentifier='R'/>", declarations=CHOICE_DECL),
     "unsupported interaction orderInteraction"),
    (item_xml("<p>写</p><textEntryInteraction responseIdentifier='R'/>",
              declarations='<responseDeclaration identifier="R" cardinality="single" '
                           'baseType="string"/>'), "answer to this blank is unknown"),
    (item_xml("<p> </p>"), "the question text is empty"),
])
def test_unusable_items_are_reported_with_a_reason(xml, reason):
    result = qti.parse(xml, filename="bad.xml")
    assert result.items == []
    assert len(result.problems) == 1
    assert reason in result.problems[0].reason
    assert result.problems[0].where.startswith("bad.xml:")


def test_an_item_without_interaction_is_a_description():
    [item] = qti.parse(item_xml("<h2>第二部分</h2><p>案例 <em>分析</em></p>"),
                       filename="d.xml").items
    assert item.spec == DescriptionSpec(stem="## 第二部分\n\n案例 *分析*")


def test_losses_are_reported_while_the_item_is_imported():
    declarations = ('<responseDeclaration identifier="R" cardinality="multiple" '
                    'baseType="identifier"><mapping defaultValue="0">'
                    '<mapEntry mapKey="A" mappedValue="1"/></mapping></responseDeclaration>')
    body = ('<p>选 <img src="a.png" alt="图"/></p><choiceInteraction responseIdentifier="R" '
            'shuffle="false" maxChoices="0"><simpleChoice identifier="A">甲</simpleChoice>'
            '<simpleChoice identifier="B">乙</simpleChoice></choiceInteraction>')
    result = qti.parse(item_xml(body, declarations=declarations, processing=(
        '<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/'
        'map_response"/>')), filename="m.xml")
    [item] = result.items
    assert item.spec.scoring is Scoring.ALL_OR_NOTHING
    assert item.spec.stem == "选 ![图](a.png)"
    reasons = [p.reason for p in result.problems]
    assert all(r.startswith("imported, but") for r in reasons)
    assert any("made all-or-nothing" in r and "B" in r for r in reasons)
    assert any("a.png" in r for r in reasons)


# ---------------------------------------------------------------- whole-file failures


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"", "empty.xml", "not well-formed XML"),
    (b"\x00\x01 not xml", "noise.xml", "not well-formed XML"),
    (b'<questestinterop><item ident="x"/></questestinterop>', "q12.xml", "QTI 1.x"),
    (manifest((ITEM, "a.xml")).encode(), "imsmanifest.xml", "imsmanifest.xml on its own"),
    (b'<assessmentItem identifier="x"/>', "nons.xml", "not in a QTI namespace"),
    (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "page.xml", "not a QTI item"),
    (b"PK\x03\x04 broken", "bank.bin", "not a readable zip archive"),
])
def test_files_that_cannot_be_read_raise_format_error(data, name, reason):
    with pytest.raises(FormatError, match=reason) as caught:
        qti.parse(data, filename=name)
    assert caught.value.problem.where.startswith(name)


def test_xxe_and_entity_expansion_are_refused():
    with pytest.raises(FormatError, match="DOCTYPE") as caught:
        qti.parse(fixture("xxe.xml"), filename="xxe.xml")
    assert caught.value.problem.where == "xxe.xml:2"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>')
    with pytest.raises(FormatError, match="DOCTYPE"):
        qti.parse(bomb, filename="lol.xml")
    # inside a package the item is refused and the rest goes on
    result = qti.parse(package({
        "imsmanifest.xml": manifest((ITEM, "evil.xml"), (ITEM, "good.xml")),
        "evil.xml": fixture("xxe.xml"), "good.xml": fixture("qti30_true_false.xml")}),
        filename="p.zip")
    assert len(result.items) == 1
    assert result.problems[0].where == "p.zip/evil.xml:2"
    assert "DOCTYPE" in result.problems[0].reason


def test_files_over_the_upload_limit_are_refused():
    with pytest.raises(FormatError, match="larger than"):
        qti.parse(b" " * (qti.MAX_FILE_BYTES + 1), filename="big.xml")


# ---------------------------------------------------------------- packages


def test_a_package_reads_items_and_follows_test_references():
    test = ('<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t" '
            'title="t"><testPart identifier="p" navigationMode="linear" '
            'submissionMode="individual"><assessmentSection identifier="s" title="s" '
            'visible="true">'
            '<assessmentItemRef identifier="a" href="../../items/one.xml"/>\n'
            '<assessmentItemRef identifier="b" href="../../items/two%20b.xml"/>\n'
            '<assessmentItemRef identifier="c" href="../../items/missing.xml"/>\n'
            '<assessmentItemRef identifier="d" href="../../../outside.xml"/>'
            '</assessmentSection></testPart></assessmentTest>')
    data = package({
        "imsmanifest.xml": manifest((ITEM, "items/one.xml"),
                                    ("imsqti_test_xmlv2p1", "tests/t1/test.xml"),
                                    ("webcontent", "style.css")),
        "items/one.xml": fixture("single_map_response.xml"),
        "items/two b.xml": fixture("numeric_tolerance.xml"),
        "tests/t1/test.xml": test, "style.css": "p {}"})
    result = qti.parse(data, filename="bank.zip")
    assert [i.external_id for i in result.items] == ["union-term", "daily-wage"]
    assert [p.where for p in result.problems] == ["bank.zip/tests/t1/test.xml:3",
                                                  "bank.zip/tests/t1/test.xml:4"]
    assert "missing.xml, which is not in the package" in result.problems[0].reason
    assert "points outside the package" in result.problems[1].reason


@pytest.mark.parametrize("href", ["../items/one.xml", "/items/one.xml", "file:///etc/passwd",
                                  "http://example.org/one.xml", "C:/one.xml", "items\\one.xml"])
def test_manifest_hrefs_may_not_leave_the_package(href):
    result = qti.parse(package({"imsmanifest.xml": manifest((ITEM, href)),
                                "items/one.xml": fixture("single_map_response.xml")}),
                       filename="p.zip")
    assert result.items == []
    [problem] = result.problems
    assert problem.where == "p.zip/imsmanifest.xml:1"
    assert "outside the package" in problem.reason


@pytest.mark.parametrize("name", ["../evil.xml", "/abs/evil.xml", "a/../../evil.xml",
                                  "C:/evil.xml", "a\\..\\evil.xml"])
def test_packages_with_unsafe_entry_names_are_refused(name):
    data = package({"imsmanifest.xml": manifest((ITEM, "one.xml")),
                    "one.xml": fixture("single_map_response.xml"), name: "x"})
    with pytest.raises(FormatError, match="unsafe entry name"):
        qti.parse(data, filename="p.zip")


def test_zip_bombs_are_refused_before_anything_is_unpacked():
    data = package({"imsmanifest.xml": manifest((ITEM, "one.xml")),
                    "one.xml": b"<a>" + b" " * (3 * qti.MB) + b"</a>"})
    with pytest.raises(FormatError, match="possible zip bomb") as caught:
        qti.parse(data, filename="bomb.zip")
    assert caught.value.problem.where == "bomb.zip/one.xml"


def test_too_many_entries_or_too_many_bytes_are_refused(monkeypatch):
    files = {f"f{n}.txt": "" for n in range(qti.MAX_ZIP_ENTRIES + 1)}
    with pytest.raises(FormatError, match="2001 entries"):
        qti.parse(package(files), filename="many.zip")
    monkeypatch.setattr(qti, "MAX_UNCOMPRESSED_BYTES", 1000)
    data = package({"imsmanifest.xml": manifest((ITEM, "one.xml")),
                    "one.xml": fixture("single_map_response.xml")})
    with pytest.raises(FormatError, match="unpacks to"):
        qti.parse(data, filename="big.zip")


def test_each_entry_is_read_with_a_size_cap(monkeypatch):
    monkeypatch.setattr(qti, "MAX_ENTRY_BYTES", 500)
    data = package({"imsmanifest.xml": manifest((ITEM, "one.xml"), (ITEM, "two.xml")),
                    "one.xml": fixture("single_map_response.xml"),
                    "two.xml": item_xml("<p>短</p>")})
    result = qti.parse(data, filename="p.zip")
    assert [i.spec.stem for i in result.items] == ["短"]
    assert result.problems[0].where == "p.zip/one.xml"
    assert "XML files of at most" in result.problems[0].reason


@pytest.mark.parametrize(("files", "reason"), [
    ({"item.xml": "<x/>"}, "no imsmanifest.xml at the root"),
    ({"pkg/imsmanifest.xml": manifest((ITEM, "a.xml")), "pkg/a.xml": "<x/>"},
     "in the folder 'pkg/'"),
    ({"imsmanifest.xml": "<manifest><resources>"}, "not well-formed XML"),
    ({"imsmanifest.xml": "<resources/>"}, "not <manifest>"),
    ({"imsmanifest.xml": manifest(("webcontent", "a.html")), "a.html": ""},
     "lists no QTI item"),
])
def test_broken_packages_raise_format_error(files, reason):
    with pytest.raises(FormatError, match=reason):
        qti.parse(package(files), filename="p.zip")


def test_problems_in_a_package_name_the_entry_and_line():
    data = package({
        "imsmanifest.xml": manifest((ITEM, "gone.xml"), (ITEM, "bad.xml"),
                                    ("imsqti_xmlv1p2", "old.xml"), (ITEM, "c.xml")),
        "bad.xml": "<assessmentItem>\n<oops></assessmentItem>",
        "c.xml": fixture("composite.xml"), "old.xml": "<questestinterop/>"})
    result = qti.parse(data, filename="p.zip")
    assert result.items == []
    assert [str(p) for p in result.problems] == [
        "p.zip/imsmanifest.xml:1: resource 'R0' href 'gone.xml' names a file that is not in "
        "the package",
        "p.zip/bad.xml:2: not well-formed XML: mismatched tag (line 2, column 9)",
        "p.zip/imsmanifest.xml:1: resource 'R2' is imsqti_xmlv1p2: QTI 1.x is not supported",
        "p.zip/c.xml:12: items combining different interactions (choiceInteraction, "
        "textEntryInteraction) are not supported: split them into one question each",
    ]


def test_blank_weights_on_a_rounding_boundary_survive_the_round_trip():
    """Found by hypothesis in CI: weights 3.2 and 3.9 at 0.03 points (ratio 1.21875)."""
    spec = FillBlankSpec(stem="0 [[1]] [[2]]", points=D("0.03"), blanks=(
        Blank(number=1, accepted=("0",), weight=D("3.2")),
        Blank(number=2, accepted=("0",), weight=D("3.9"))))
    result = qti.parse(qti.export([BankItem(spec=spec)]), filename="x.zip")
    weights = [b.weight for b in result.items[0].spec.blanks]
    assert weights == [D(1), D("1.2188")]
