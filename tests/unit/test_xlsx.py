"""The Excel question template: template, parsing, problems, limits and export.

Workbooks are generated here with openpyxl (from tests/data/xlsx/sample_bank.tsv
or from rows written in the test); no binary workbook is committed.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
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
from lms.questions.formats import xlsx
from lms.questions.formats.base import BankItem, FormatError

from . import item_samples as samples

DATA = Path(__file__).parents[1] / "data" / "xlsx"
HEADERS = list(xlsx.HEADERS)


def workbook(rows: list[list], *, header: list | None = None, sheet: str = "题目") -> bytes:
    book = openpyxl.Workbook()
    page = book.active
    page.title = sheet
    page.append(HEADERS if header is None else header)
    for row in rows:
        page.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(kind: str, stem: str, answer="", options=(), **columns) -> list:
    """A 题目 row in the template's column order."""
    values = {"题型": kind, "题干": stem, "答案": answer,
              **{f"选项{letter}": text for letter, text in zip("ABCDEFGH", options, strict=False)},
              **columns}
    return [values.get(name) for name in HEADERS]


def sample_bank() -> bytes:
    lines = (DATA / "sample_bank.tsv").read_text(encoding="utf-8").splitlines()
    rows = [[cell.replace("\\n", "\n") or None for cell in line.split("\t")]
            for line in lines[1:]]
    return workbook(rows, header=lines[0].split("\t"))


def parse(data: bytes):
    return xlsx.parse(data, filename="bank.xlsx")


# ---------------------------------------------------------------- template


def test_template_has_the_headers_and_explains_every_column():
    book = openpyxl.load_workbook(io.BytesIO(xlsx.template()))
    assert book.sheetnames == ["题目", "说明"]
    assert [c.value for c in book["题目"][1]] == [
        "题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "选项G", "选项H",
        "答案", "解析", "难度", "知识点", "法条依据", "分值", "编号", "分类"]
    assert book["题目"].max_row == 1  # no example rows that could be imported by mistake
    guide = "\n".join(str(v) for r in book["说明"].iter_rows(values_only=True) for v in r if v)
    for column in ("题型", "题干", "选项A～选项H", "答案", "解析", "难度", "知识点", "法条依据",
                   "分值", "编号", "分类"):
        assert column in guide
    for name in ("单选题", "多选题", "判断题", "填空题", "数值题", "简答题", "论述题", "说明",
                 "ACD", "对 / 错", "答案1|备选答案；答案2", "1200±5 元", "工会法第十一条"):
        assert name in guide
    validations = book["题目"].data_validations.dataValidation
    assert any("单选题" in (v.formula1 or "") for v in validations)


def test_the_empty_template_reads_as_an_empty_bank():
    result = parse(xlsx.template())
    assert result.items == [] and result.problems == []


# ---------------------------------------------------------------- parsing


def test_sample_bank_reads_every_type_and_the_metadata():
    result = parse(sample_bank())
    assert result.problems == []
    kinds = [type(item.spec).__name__ for item in result.items]
    assert kinds == ["SingleChoiceSpec", "SingleChoiceSpec", "MultipleChoiceSpec",
                     "TrueFalseSpec", "TrueFalseSpec", "FillBlankSpec", "FillBlankSpec",
                     "NumericSpec", "NumericSpec", "EssaySpec", "EssaySpec", "DescriptionSpec"]
    # the empty row 5 is skipped and later rows keep their sheet row numbers
    assert [item.where for item in result.items][3:5] == ["题目!6", "题目!7"]
    first = result.items[0]
    assert first.spec == SingleChoiceSpec(
        stem="基层工会委员会每届任期几年？", points=D(2), explanation="工会法第十五条",
        choices=(Choice("A", "两年"), Choice("B", "三年或者五年", D(100)), Choice("C", "四年")))
    assert (first.external_id, first.difficulty, first.category) == ("GH-001", 2,
                                                                     "工会组织/基层组织")
    assert first.tags == ("工会组织", "基层工会")
    assert first.statutes == ({"law": "工会法", "version": "", "articles": ["第十五条"]},)


def test_sample_bank_answers_in_detail():
    items = parse(sample_bank()).items
    assert [c.weight for c in items[1].spec.choices] == [0, 0, 100]  # full-width Ｃ
    assert items[1].spec.points == 1  # empty 分值
    multiple = items[2].spec
    assert multiple.scoring is Scoring.ALL_OR_NOTHING
    assert [c.id for c in multiple.choices if c.weight == 100] == ["A", "B", "D"]
    assert items[2].statutes == ({"law": "工会法", "version": "", "articles": ["第六条"]},
                                 {"law": "劳动法", "version": "", "articles": ["第三十三条"]})
    assert items[3].spec.answer is True and items[4].spec.answer is False
    assert items[3].statutes == ({"law": "工会法", "version": "2021-12-24",
                                  "articles": ["第四十二条"]},)
    assert items[5].spec.blanks == (Blank(1, accepted=("被选举权",)),
                                    Blank(2, accepted=("表决权", "表决的权利")))
    underscores = items[6].spec
    assert underscores.stem == "企业按全部职工工资总额的[[1]]向工会拨缴经费。"
    assert underscores.blanks == (Blank(1, accepted=("2%", "百分之二")),)
    assert items[7].spec.answers == (NumericAnswer(D("200"), D("0.01")),)
    assert items[7].spec.unit == "元"
    assert items[8].spec.answers == (NumericAnswer(D(150), D("0.01"), ToleranceKind.RELATIVE),)
    assert items[8].statutes[0]["articles"] == ["第四十四条", "第四十五条"]
    assert items[9].spec.rubric == (RubricCriterion("c1", "法律依据", D(4), "引用相关条文"),
                                    RubricCriterion("c2", "实践举措", D(6), "结合调解委员会"))
    assert items[10].spec.rubric == (RubricCriterion(
        "overall", "评分要点", D(15), "从法律、实践与案例三方面论述，条理清楚。"),)
    assert items[11].spec == DescriptionSpec(stem="第二部分：案例分析")


@pytest.mark.parametrize(("answer", "expected"), [
    (True, True), (False, False), ("对", True), ("正确", True), ("T", True), ("TRUE", True),
    ("✓", True), ("错", False), ("×", False), ("F", False), ("false", False), ("否", False),
])
def test_true_false_answers(answer, expected):
    [item] = parse(workbook([row("判断题", "命题", answer)])).items
    assert item.spec.answer is expected


@pytest.mark.parametrize(("answer", "value", "tolerance", "kind", "unit"), [
    (1200, D(1200), D(0), ToleranceKind.ABSOLUTE, None),
    (2.5, D("2.5"), D(0), ToleranceKind.ABSOLUTE, None),
    ("1200元", D(1200), D(0), ToleranceKind.ABSOLUTE, "元"),
    ("1,200 ± 5 元", D(1200), D(5), ToleranceKind.ABSOLUTE, "元"),
    ("１２００＋－５", D(1200), D(5), ToleranceKind.ABSOLUTE, None),
    ("-3.5+/-0.5 ℃", D("-3.5"), D("0.5"), ToleranceKind.ABSOLUTE, "℃"),
    ("200±1.5%", D(200), D("0.015"), ToleranceKind.RELATIVE, None),
    ("200±1.5% %", D(200), D("0.015"), ToleranceKind.RELATIVE, "%"),
    ("50±1 %", D(50), D(1), ToleranceKind.ABSOLUTE, "%"),
    ("50％", D(50), D(0), ToleranceKind.ABSOLUTE, "％"),
])
def test_numeric_answer_syntax(answer, value, tolerance, kind, unit):
    [item] = parse(workbook([row("数值题", "多少？", answer)])).items
    assert item.spec.answers == (NumericAnswer(value, tolerance, kind),)
    assert item.spec.unit == unit


@pytest.mark.parametrize("answer", ["ACD", "A,C,D", "a、c、d", "A C D", "ＡＣＤ", "A；C；D", "CAD"])
def test_multiple_choice_letter_syntax(answer):
    [item] = parse(workbook([row("多选题", "选", answer, ("甲", "乙", "丙", "丁"))])).items
    assert [c.weight for c in item.spec.choices] == [100, 0, 100, 100]


@pytest.mark.parametrize(("cells", "reason"), [
    (row("单选", "选", "", ("甲", "乙")), "答案 is empty"),
    (row("单选题", "选", "C", ("甲", "乙")), "答案 C has no option: 选项C is empty"),
    (row("单选题", "选", "AB", ("甲", "乙")), "a 单选题 has one answer letter"),
    (row("单选题", "选", "1", ("甲", "乙")), "must be option letters A–H"),
    (row("单选题", "选", "A", ("甲",)), "at least two options"),
    (row("多选题", "选", "A", ("甲", None, "丙")), "选项B is empty while a later option"),
    (row("判断题", "对吗", "对", ("甲", "乙")), "a 判断题 has no options"),
    (row("判断题", "对吗", "也许"), "must be 对 or 错, not '也许'"),
    (row("判断题", "对吗"), "must be 对 or 错, not empty"),
    (row("连线题", "配对", "A"), "题型 '连线题' is not one of"),
    (row(None, "没有题型", "A"), "题型 empty is not one of"),
    (row("单选题", None, "A", ("甲", "乙")), "题干 is empty"),
    (row("判断题", "对吗", "对", 难度=6), "难度 '6' must be a whole number from 1 to 5"),
    (row("判断题", "对吗", "对", 难度=2.5), "难度 '2.5'"),
    (row("判断题", "对吗", "对", 难度="难"), "难度 '难'"),
    (row("判断题", "对吗", "对", 分值=0), "分值 '0' must be a number above 0"),
    (row("判断题", "对吗", "对", 分值="1.234"), "at most two decimals"),
    (row("判断题", "对吗", "对", 分值=1001), "at most 1000"),
    (row("填空题", "没有空", "甲"), "needs its blanks marked"),
    (row("填空题", "[[1]] 与 [[2]]", "甲"), "has 2 blank(s) but 答案 gives 1"),
    (row("填空题", "[[1]] 与 [[2]]", "甲；|"), "blank 2 has no answer"),
    (row("填空题", "[[1]] 与 [[3]]", "甲；乙"),
     "not a valid 填空题 (stem: blank_markers_mismatch)"),
    (row("数值题", "多少", "大约一千"), "must look like 1200±5 元"),
    (row("数值题", "多少", "5 这是一个非常非常非常非常非常非常非常长的单位"), "unit: too_long"),
    (row("简答题", "论述", "甲（3分）：x\n乙（3分）：y", 分值=10),
     "add up to 6 points, but 分值 is 10"),
    (row("说明", "说明文字", "A"), "a 说明 has no answer"),
    (row("说明", "说明文字", 分值=2), "说明 is worth nothing"),
    (row("判断题", "对吗", "对", 法条依据="第十一条"), "法条依据 '第十一条' is not 法律名称第…条"),
])
def test_row_problems_name_the_row_and_the_other_rows_still_import(cells, reason):
    good = row("判断题", "工会是职工自愿结合的群众组织。", "对")
    result = parse(workbook([good, cells, good]))
    assert [item.where for item in result.items] == ["题目!2", "题目!4"]
    [problem] = result.problems
    assert problem.where == "题目!3"
    assert reason in problem.reason
    assert str(problem).startswith("题目!3: ")


def test_headers_are_found_by_name_and_unknown_columns_with_data_are_reported():
    header = ["备注", "答案", "题干", "题型", "无用"]
    result = parse(workbook([["请勿导入", "对", "工会是群众组织。", "判断题", None]],
                            header=header))
    [item] = result.items
    assert item.spec.answer is True
    assert [str(p) for p in result.problems] == [
        "题目!1: column A '备注' is not a column of the template; its cells were not read"]


def test_formula_cells_are_read_as_their_values_never_evaluated():
    book = openpyxl.Workbook()
    page = book.active
    page.title = "题目"
    page.append(HEADERS)
    page.append(row("判断题", "=1+1", "对"))
    buffer = io.BytesIO()
    book.save(buffer)  # openpyxl stores no computed value: the formula reads as empty
    result = parse(buffer.getvalue())
    assert result.items == [] and "题干 is empty" in result.problems[0].reason


@pytest.mark.parametrize(("data", "reason"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel 97–2003 .xls"),
    ("题型,题干\n判断题,x\n".encode(), "not an .xlsx workbook"),
    (workbook([], sheet="Sheet1"), r"no sheet named 题目 \(its sheets: Sheet1\)"),
    (workbook([], header=["题型", "答案"]), "题干 is missing"),
    (workbook([], header=["题型", "题干", "题型"]), "the column 题型 appears twice"),
    (workbook([], header=[]), "题型、题干 is missing"),
])
def test_unreadable_workbooks_raise_format_error(data, reason):
    with pytest.raises(FormatError, match=reason):
        parse(data)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FormatError, match=r"not a readable \.xlsx workbook"):
        parse(buffer.getvalue())


def test_zip_bombs_and_oversized_workbooks_are_refused(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (3 * xlsx.MB))
    with pytest.raises(FormatError, match="possible zip bomb"):
        parse(buffer.getvalue())
    with pytest.raises(FormatError, match="larger than 20 MB"):
        parse(b"PK" + b"\x00" * xlsx.MAX_FILE_BYTES)
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(FormatError, match="unpacks to"):
        parse(workbook([]))


def tampered(part: str, change) -> bytes:
    """The template with one of its zip parts rewritten by ``change``."""
    source = zipfile.ZipFile(io.BytesIO(xlsx.template()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(info, change(data) if info.filename == part else data)
    return buffer.getvalue()


def test_xxe_in_a_sheet_is_refused():
    def xxe(data: bytes) -> bytes:
        data = data.split(b"?>", 1)[-1] if data.startswith(b"<?xml") else data
        doctype = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        return doctype + data.replace("题型".encode(), b"&x;")

    with pytest.raises(FormatError, match="DTD or entities"):
        parse(tampered("xl/worksheets/sheet1.xml", xxe))


def test_a_damaged_sheet_is_refused():
    with pytest.raises(FormatError, match="damaged"):
        parse(tampered("xl/worksheets/sheet1.xml", lambda data: data[:-40]))


def test_too_many_question_rows_are_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_QUESTION_ROWS", 3)
    rows = [row("判断题", f"命题{n}", "对") for n in range(4)]
    assert len(parse(workbook(rows[:3])).items) == 3
    with pytest.raises(FormatError, match="more than 3 questions"):
        parse(workbook(rows))


# ---------------------------------------------------------------- export

STATUTES = ({"law": "中华人民共和国工会法", "version": "2021-12-24",
             "articles": ["第十一条", "第十二条"]},
            {"law": "企业民主管理规定", "version": "", "articles": []})


def bank(spec, n: int = 1, **meta) -> BankItem:
    defaults = {"external_id": f"GH-{n:03d}", "category": "工会组织/建会条件",
                "tags": ("工会法", "基层组织"), "difficulty": 4, "statutes": STATUTES}
    return BankItem(spec=spec, **{**defaults, **meta})


def roundtrip(items: list[BankItem]) -> list[BankItem]:
    result = parse(xlsx.export(items))
    assert result.problems == []
    return result.items


LETTERED = [
    SingleChoiceSpec(stem="任期几年？", points=D("2.5"), explanation="第十五条", choices=(
        Choice("A", "两年"), Choice("B", "三年或五年", D(100)), Choice("C", "五年"))),
    MultipleChoiceSpec(stem="职责？", points=D(3), choices=(
        Choice("A", "维护权益", D(100)), Choice("B", "经营"), Choice("C", "集体合同", D(100)))),
    MultipleChoiceSpec(stem="八个选项", points=D(1), choices=tuple(
        Choice(letter, f"选项{letter}", D(100) if letter in "AH" else D(0))
        for letter in "ABCDEFGH")),
    TrueFalseSpec(stem="工会经费可用于职工福利。", points=D(1), answer=True),
    TrueFalseSpec(stem="=工会可以决定经营方针。", points=D(1), answer=False),
    FillBlankSpec(stem="先 [[2]]，后 [[1]]。\n第二行", points=D(2), blanks=(
        Blank(1, accepted=("选举",)), Blank(2, accepted=("提名", "推荐")))),
    NumericSpec(stem="日工资？", points=D(2), unit="元", answers=(
        NumericAnswer(D("200.00"), tolerance=D("0.01")),)),
    NumericSpec(stem="比例？", points=D(1), answers=(
        NumericAnswer(D("150"), tolerance=D("0.015"), tolerance_kind=ToleranceKind.RELATIVE),)),
    NumericSpec(stem="差额？", points=D(1), answers=(NumericAnswer(D("-3.5")),)),
    EssaySpec(stem="论述。", points=D(10), rubric=(
        RubricCriterion("c1", "法律依据（条文）", D(4), "引用第二十一条"),
        RubricCriterion("c2", "表达", D(6)))),
    EssaySpec(stem="简述。", points=D(5), rubric=(
        RubricCriterion("overall", "评分要点", D(5), "第一点\n第二点"),)),
    DescriptionSpec(stem="第二部分\n\n案例分析", explanation="请仔细阅读"),
]


@pytest.mark.parametrize("spec", LETTERED)
def test_export_round_trips_what_the_sheet_holds(spec):
    item = bank(spec)
    [back] = roundtrip([item])
    assert back.spec == spec
    assert back.spec.to_dict() == spec.to_dict()
    for name in ("external_id", "category", "tags", "difficulty", "statutes"):
        assert getattr(back, name) == getattr(item, name), name


def test_the_item_samples_round_trip_with_documented_resets():
    items = [bank(samples.single(), 1, title="标题"), bank(samples.true_false(), 2),
             bank(samples.fill_blank(), 3), bank(samples.essay(), 4),
             bank(samples.description(), 5)]
    single, true_false, fill, essay, description = roundtrip(items)
    assert single.title == ""  # no title column
    assert [c.id for c in single.spec.choices] == ["A", "B", "C", "D"]  # ids become letters
    assert single.spec.shuffle is True
    assert [c.weight for c in single.spec.choices] == [c.weight for c in samples.single().choices]
    assert true_false.spec == samples.true_false()
    assert fill.spec == samples.fill_blank()
    assert essay.spec.word_limit is None  # no column for the word limit
    assert [(c.id, c.points) for c in essay.spec.rubric] == [("c1", 4), ("c2", 4), ("c3", 2)]
    assert description.spec == samples.description()


def test_all_or_nothing_weights_come_back_as_100():
    spec = MultipleChoiceSpec(stem="选", points=D(2), choices=(
        Choice("A", "甲", D(50)), Choice("B", "乙", D(50)), Choice("C", "丙")))
    [back] = roundtrip([bank(spec)])
    assert [c.weight for c in back.spec.choices] == [100, 100, 0]


def test_export_writes_text_as_text_and_numbers_as_numbers():
    data = xlsx.export([bank(TrueFalseSpec(stem="=HYPERLINK(\"http://x\")", points=D("1.5"),
                                           answer=True), external_id="007")])
    page = openpyxl.load_workbook(io.BytesIO(data))["题目"]
    stem, points, difficulty, number = (page.cell(2, HEADERS.index(name) + 1)
                                        for name in ("题干", "分值", "难度", "编号"))
    assert (stem.value, stem.data_type) == ('=HYPERLINK("http://x")', "s")
    assert points.value == 1.5 and difficulty.value == 4
    assert number.value == "007"
    assert parse(data).items[0].external_id == "007"


# text as a cell holds it: no control characters, no surrounding white space (parse trims)
cell_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=10).map(str.strip).filter(bool)
answer_text = cell_text.filter(lambda t: not any(c in t for c in "|｜;；"))
word = st.text("工会法律职工权益", min_size=1, max_size=4)
amounts = st.decimals(D("0.01"), D(50), places=2)


@st.composite
def sheet_items(draw):
    """Items whose every field the sheet holds (see the module docstring)."""
    common = {"stem": draw(cell_text), "explanation": draw(cell_text | st.just(""))}
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "fill", "numeric",
                                 "essay", "description"]))
    points = draw(amounts)
    if kind in ("single", "multiple"):
        texts = draw(st.lists(cell_text, min_size=2, max_size=8))
        right = draw(st.sets(st.integers(0, len(texts) - 1), min_size=1,
                             max_size=1 if kind == "single" else len(texts)))
        choices = tuple(Choice(letter, text, D(100) if n in right else D(0))
                        for n, (letter, text) in enumerate(zip("ABCDEFGH", texts,
                                                               strict=False)))
        cls = SingleChoiceSpec if kind == "single" else MultipleChoiceSpec
        spec = cls(points=points, choices=choices, **common)
    elif kind == "true_false":
        spec = TrueFalseSpec(points=points, answer=draw(st.booleans()), **common)
    elif kind == "fill":
        groups = draw(st.lists(st.lists(answer_text, min_size=1, max_size=3, unique=True),
                               min_size=1, max_size=3))
        stem = common["stem"].replace("[[", "").replace("_", "") + "".join(
            f" [[{n}]]" for n in range(1, len(groups) + 1))
        spec = FillBlankSpec(stem=stem, explanation=common["explanation"], points=points,
                             blanks=tuple(Blank(n, accepted=tuple(g))
                                          for n, g in enumerate(groups, 1)))
    elif kind == "numeric":
        relative = draw(st.booleans())
        tolerance = draw(st.decimals(D("0.01") if relative else D(0), D(5), places=2))
        spec = NumericSpec(points=points, unit=draw(st.sampled_from([None, "元", "天", "%"])),
                           answers=(NumericAnswer(
                               draw(st.decimals(D(-99999), D(99999), places=3)), tolerance,
                               ToleranceKind.RELATIVE if relative else ToleranceKind.ABSOLUTE),),
                           **common)
    elif kind == "essay":
        parts = draw(st.lists(amounts, min_size=1, max_size=3))
        if len(parts) == 1 and draw(st.booleans()):
            rubric = (RubricCriterion("overall", "评分要点", parts[0], draw(cell_text)),)
        else:
            rubric = tuple(RubricCriterion(f"c{n}", draw(word), part, draw(word | st.just("")))
                           for n, part in enumerate(parts, 1))
        spec = EssaySpec(points=sum(parts), rubric=rubric, **common)
    else:
        spec = DescriptionSpec(**common)
    return BankItem(
        spec=spec, external_id=draw(cell_text | st.none()),
        category="/".join(draw(st.lists(word, max_size=3))),
        tags=tuple(draw(st.lists(word, max_size=3, unique=True))),
        difficulty=draw(st.none() | st.integers(1, 5)),
        statutes=tuple({"law": law, "version": "", "articles": [f"第{n}条" for n in arts]}
                       for law, arts in draw(st.lists(st.tuples(
                           word, st.lists(st.sampled_from("一二三十"), max_size=2)),
                           max_size=2))))


@given(items=st.lists(sheet_items(), min_size=1, max_size=4))
@settings(max_examples=100, deadline=None)
def test_anything_the_sheet_holds_round_trips(items):
    result = parse(xlsx.export(items))
    assert result.problems == []
    for item, back in zip(items, result.items, strict=True):
        assert back.spec == item.spec
        for name in ("external_id", "category", "tags", "difficulty", "statutes"):
            assert getattr(back, name) == getattr(item, name), name


@pytest.mark.parametrize(("spec", "reason"), [
    (samples.matching(), "matching (GH-002): the sheet has no column layout"),
    (samples.ordering(), "ordering"), (samples.parametric(), "parametric"),
    (samples.case_study(), "case_study"),
    (samples.multiple(), "partial-credit multiple choice"),
    (SingleChoiceSpec(stem="选", points=D(1), choices=(
        Choice("a", "甲", D(100)), Choice("b", "乙", D(50)))), "partial-credit or several"),
    (MultipleChoiceSpec(stem="选", points=D(1), choices=tuple(
        Choice(f"c{n}", f"项{n}", D(100)) for n in range(9))), "9 choices"),
    (FillBlankSpec(stem="[[1]]", points=D(1), blanks=(Blank(1, pattern="a+"),)),
     "blank 1 has a pattern"),
    (FillBlankSpec(stem="[[1]]", points=D(1), scoring=Scoring.ALL_OR_NOTHING,
                   blanks=(Blank(1, accepted=("甲",)),)), "all-or-nothing fill-in-blank"),
    (FillBlankSpec(stem="[[1]]", points=D(1), blanks=(Blank(1, accepted=("甲",), weight=D(2)),)),
     "has weight 2"),
    (FillBlankSpec(stem="[[1]]", points=D(1), blanks=(
        Blank(1, accepted=("甲",), case_sensitive=True),)), "non-default way"),
    (FillBlankSpec(stem="[[1]]", points=D(1), blanks=(Blank(1, accepted=("甲|乙",)),)),
     "contains | or ；"),
    (samples.numeric(), "several numeric answers"),
    (NumericSpec(stem="多少", points=D(1), unit="元", unit_policy=UnitPolicy.REQUIRED,
                 answers=(NumericAnswer(D(1)),)), "a required unit"),
    (EssaySpec(stem="论述", points=D(2), rubric=(RubricCriterion("a", "甲", D(1), "一\n二"),
                                                 RubricCriterion("b", "乙", D(1)))),
     "does not fit on one line"),
])
def test_items_the_sheet_cannot_hold_are_refused_by_name(spec, reason):
    items = [bank(samples.true_false()), bank(spec, 2)]
    with pytest.raises(ValueError, match="XLSX export cannot hold") as caught:
        xlsx.export(items)
    assert "#2 " in str(caught.value) and "(GH-002)" in str(caught.value)
    assert reason in str(caught.value)
    assert "#1" not in str(caught.value)


def test_text_a_cell_cannot_hold_is_refused():
    items = [bank(samples.matching()), bank(TrueFalseSpec(stem="a\x01b", points=D(1),
                                                          answer=True), 2)]
    with pytest.raises(ValueError, match=r"#2 true_false \(GH-002\): a text with a control"):
        xlsx.export(items)
    with pytest.raises(ValueError, match="longer than Excel's 32767"):
        xlsx.export([bank(TrueFalseSpec(stem="长" * 32768, points=D(1), answer=True))])


@pytest.mark.parametrize(("meta", "reason"), [
    ({"tags": ("工会、组织",)}, "a 知识点 contains a comma or 、"),
    ({"statutes": ({"law": "第一部分", "version": "", "articles": []},)}, "cannot be written"),
    ({"statutes": ({"law": "工会法", "version": "", "articles": ["十一条"]},)},
     "cannot be written"),
])
def test_metadata_the_sheet_cannot_hold_is_refused(meta, reason):
    with pytest.raises(ValueError, match=reason):
        xlsx.export([bank(samples.true_false(), **meta)])
