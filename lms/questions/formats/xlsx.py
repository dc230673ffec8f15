"""Excel question bank: the Chinese template trainers fill in (openpyxl).

``template()`` is an empty workbook with the sheet 题目 (one question per row,
headers in row 1) and the sheet 说明 explaining every column. ``parse(data,
*, filename)`` reads a filled-in workbook; ``export(items)`` writes items in
the same layout, so an export is also a template and reads back with
``parse``.

Columns of 题目 (found by their header, in any order; 题型 and 题干 are required)

==========  ==================================================================
题型        单选题, 多选题, 判断题, 填空题, 数值题, 简答题 or 论述题 (essay), 说明
            (a text-only description); also 单选/单项选择题, 多选/多项选择题,
            判断/是非题, 填空, 数值/计算题, 简答/论述/问答题
题干        the question (Markdown). 填空题 marks its blanks ``[[1]]``, ``[[2]]`` …
            or with ``___`` (three or more underscores, numbered in order)
选项A…H     the choices of 单选题/多选题, filled from A without gaps
答案        单选 ``B``; 多选 ``ACD`` (``A,C,D`` and ``A、C、D`` too); 判断 ``对``/``错``
            (正确/错误, √/×, T/F, TRUE/FALSE); 填空 ``答案1|备选答案；答案2`` (blanks
            separated by ``；`` or ``;``, alternatives by ``|``); 数值 ``1200±5 元``
            (``1200``, ``1200元``, ``1,200 ± 5元``; ``200±1%`` with ``%`` right after
            the tolerance is relative, ``200±1 %`` has the unit %); 简答/论述: the
            marking guidance, either free text (one rubric criterion 评分要点 worth
            all the points) or one criterion a line,
            ``法律依据（4分）：说明`` whose points add up to 分值; 说明: empty
解析        the explanation shown after the exam
难度        1–5, may be empty
知识点      tags separated by ``,`` ``，`` or ``、``
法条依据    ``工会法第十一条；劳动法第四十四条、第四十五条`` → one statute per ``；``:
            law = the text before 第 (a version may follow in brackets,
            ``工会法（2021-12-24）第十一条``), articles = the 第… parts split by ``、``
分值        points, > 0 and ≤ 1000 with at most two decimals; empty means 1
            (说明: empty or 0)
编号        external id
分类        category path, ``工会组织/建会条件``
==========  ==================================================================

Problems read ``题目!row: reason``; empty rows are skipped; an unknown 题型,
a missing or unusable 答案, an answer letter without its option, a
difficulty outside 1–5, bad points … each skip that row. Cell values are read
with ``data_only=True`` (a formula counts as its last computed value; a
formula Excel never computed reads as empty).

Limits: the upload limit of the formats (20 MB); the zip inside is checked
before openpyxl opens it (≤ 2,000 parts, ≤ 100 MB unpacked, no part above
1 MB compressed more than 100:1); at most `MAX_QUESTION_ROWS` questions
and the first `MAX_COLUMNS` columns. openpyxl parses the XML with
defusedxml, a dependency of this project.

Export writes single choice (one full-credit choice, ≤ 8 choices), all-or-
nothing multiple choice, true/false, fill-in-blank (default comparison, equal
weights, partial scoring, no pattern), numeric (one answer, unit optional),
essay and description items. Anything else — matching, ordering, parametric,
case study, partial-credit choices, blank patterns, numeric part credit … —
makes `export` raise `ValueError` naming every such item and why; nothing is
written then (also for text with a control character, or longer than a cell
holds). The sheet has no place for, and a round trip resets: the title;
choice ids (they become A, B, …); ``shuffle`` (on); all-or-nothing weights
(100 for each correct choice); ``word_limit``; rubric criterion ids (``c1``…,
or ``overall`` for a single 评分要点). Text cells that start with ``=`` are
written as text, never as formulas.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lms.domain.items import (
    BLANK_MARKER,
    CENT,
    HUNDRED,
    MAX_POINTS,
    Blank,
    Choice,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    ItemSpecError,
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
from lms.questions.formats.base import (
    MAX_FILE_BYTES,
    BankItem,
    FormatError,
    ImportProblem,
    ParseResult,
)

MB = 1024 * 1024
SHEET = "题目"
HELP_SHEET = "说明"
LETTERS = "ABCDEFGH"
OPTION_HEADERS = tuple(f"选项{letter}" for letter in LETTERS)
HEADERS = ("题型", "题干", *OPTION_HEADERS, "答案", "解析", "难度", "知识点", "法条依据", "分值",
           "编号", "分类")

MAX_QUESTION_ROWS = 5_000
MAX_COLUMNS = 50
MAX_ZIP_PARTS = 2_000
MAX_UNCOMPRESSED_BYTES = 100 * MB
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1 * MB
MAX_CELL_CHARACTERS = 32_767  #: Excel's own limit

SINGLE, MULTIPLE, TRUE_FALSE, FILL, NUMERIC, ESSAY, DESCRIPTION = (
    "单选题", "多选题", "判断题", "填空题", "数值题", "简答题", "说明")
TYPE_NAMES = {
    "单选题": SINGLE, "单选": SINGLE, "单项选择题": SINGLE,
    "多选题": MULTIPLE, "多选": MULTIPLE, "多项选择题": MULTIPLE,
    "判断题": TRUE_FALSE, "判断": TRUE_FALSE, "是非题": TRUE_FALSE,
    "填空题": FILL, "填空": FILL,
    "数值题": NUMERIC, "数值": NUMERIC, "计算题": NUMERIC,
    "简答题": ESSAY, "论述题": ESSAY, "简答": ESSAY, "论述": ESSAY, "问答题": ESSAY,
    "说明": DESCRIPTION,
}
TRUE_WORDS = frozenset({"对", "正确", "√", "✓", "✔", "t", "true", "是", "y", "yes"})
FALSE_WORDS = frozenset({"错", "错误", "×", "✗", "✘", "x", "f", "false", "否", "n", "no"})
SINGLE_RUBRIC = ("overall", "评分要点")

_UNDERSCORES = re.compile(r"_{3,}|＿{2,}")
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_TAG_SEPARATORS = re.compile(r"[,，、]")
_UNSIGNED = r"(?:\d+(?:\.\d*)?|\.\d+)"
#: value (thousands commas allowed), ± tolerance with ``%`` right after it for a relative
#: one, then the unit; ``200±1%`` is relative, ``200±1 %`` has the unit %
_NUMERIC_ANSWER = re.compile(
    r"(?P<value>[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|" + _UNSIGNED + "))"
    rf"\s*(?:(?:±|\+/-|\+-)\s*(?P<tolerance>{_UNSIGNED})(?P<percent>%)?)?\s*(?P<unit>.*)",
    re.DOTALL)
_CRITERION = re.compile(r"(?P<name>[^\n]+?)\s*[（(]\s*(?P<points>\d+(?:\.\d+)?)\s*分\s*[）)]"
                        r"\s*[:：]?\s*(?P<description>[^\n]*)")
_STATUTE = re.compile(r"(?P<law>[^（(第]+?)\s*(?:[（(](?P<version>[^）)]*)[）)])?"
                      r"\s*(?P<articles>第.*)?")


class _RowError(Exception):
    """This row cannot be imported, for ``reason``."""


# ---------------------------------------------------------------- cells


def _cell_text(value: Any) -> str:
    """A cell's value as text (numbers without a trailing ``.0``), trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _folded(value: Any) -> str:
    """``_cell_text`` with full-width letters, digits and signs made half width."""
    return unicodedata.normalize("NFKC", _cell_text(value)).strip()


#: full-width digits and number signs → ASCII, leaving everything else (a unit like ℃) alone
_NUMBER_WIDTH = str.maketrans("０１２３４５６７８９＋－．，％", "0123456789+-.,%")


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


# ---------------------------------------------------------------- zip check


def _check_zip(data: bytes, filename: str) -> None:
    """Refuse what is not an xlsx, or could unpack into far more than it looks like."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise FormatError(filename, "this is an old Excel 97–2003 .xls file; save it as .xlsx "
                          "(Excel workbook) and upload again")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise FormatError(filename, "not an .xlsx workbook (an .xlsx file is a zip archive; "
                          "this is not one)") from None
    if len(infos) > MAX_ZIP_PARTS:
        raise FormatError(filename, f"the workbook has {len(infos)} parts; at most "
                          f"{MAX_ZIP_PARTS} are accepted")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FormatError(filename, f"the workbook unpacks to {total / MB:.0f} MB; at most "
                          f"{MAX_UNCOMPRESSED_BYTES // MB} MB are accepted")
    for info in infos:
        if (info.file_size > RATIO_CHECKED_FROM
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
            raise FormatError(filename, f"the part {info.filename} is compressed more than "
                              f"{MAX_COMPRESSION_RATIO}:1; refused as a possible zip bomb")


# ---------------------------------------------------------------- parse


def parse(data: bytes, *, filename: str) -> ParseResult:
    """Questions from the 题目 sheet of an .xlsx workbook; see the module docstring.

    Raises `FormatError` when the workbook as a whole cannot be read.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(filename, f"file larger than {MAX_FILE_BYTES // MB} MB")
    _check_zip(data, filename)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged or foreign zip
        _refuse_dtd(err, filename)
        raise FormatError(filename, "not a readable .xlsx workbook "
                          f"({type(err).__name__}: {err})") from None
    try:
        return _read_workbook(workbook, filename)
    except FormatError:
        raise
    except (DefusedXmlException, ParseError, zipfile.BadZipFile, zlib.error, KeyError,
            ValueError, EOFError, OSError) as err:  # read-only sheets are parsed row by row
        _refuse_dtd(err, filename)
        raise FormatError(filename, "the workbook is damaged and cannot be read "
                          f"({type(err).__name__}: {err})") from None
    finally:
        workbook.close()


def _refuse_dtd(err: BaseException | None, filename: str) -> None:
    """Name the reason when defusedxml refused a part (openpyxl may wrap its error)."""
    while err is not None:
        if isinstance(err, DefusedXmlException):
            raise FormatError(filename, "the workbook's XML declares a DTD or entities, which "
                              "are refused (XXE and entity-expansion attacks)") from None
        err = err.__cause__ or err.__context__


def _read_workbook(workbook: Any, filename: str) -> ParseResult:
    if SHEET in workbook.sheetnames:
        sheet = workbook[SHEET]
    else:
        raise FormatError(filename, f"the workbook has no sheet named {SHEET} (its sheets: "
                          f"{', '.join(workbook.sheetnames)}); start from the template")
    sheet.reset_dimensions()  # some writers record a wrong used range
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = next(rows, None) or ()
    columns = _columns(header, filename)
    result = ParseResult()
    extra = {index: text for index, text in enumerate(map(_cell_text, header))
             if text and index not in columns.values()}
    used: set[int] = set()
    seen = 0
    for number, values in enumerate(rows, 2):
        if all(_cell_text(v) == "" for v in values):
            continue
        used.update(index for index in extra
                    if index < len(values) and _cell_text(values[index]))
        seen += 1
        if seen > MAX_QUESTION_ROWS:
            raise FormatError(filename, f"more than {MAX_QUESTION_ROWS} questions; split the "
                              "workbook")
        row = {name: values[index] if index < len(values) else None
               for name, index in columns.items()}
        where = f"{SHEET}!{number}"
        try:
            result.items.append(_read_row(row, where))
        except _RowError as err:
            result.problems.append(ImportProblem(where, str(err)))
    for index in sorted(used):
        text = extra[index]
        result.problems.append(ImportProblem(
            f"{SHEET}!1", f"column {get_column_letter(index + 1)} '{text}' is not a column of "
            "the template; its cells were not read"))
    return result


def _columns(header: tuple, filename: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        name = re.sub(r"\s+", "", _folded(value))
        if name not in HEADERS:
            continue
        if name in columns:
            raise FormatError(f"{SHEET}!1", f"the column {name} appears twice")
        columns[name] = index
    missing = [name for name in ("题型", "题干") if name not in columns]
    if missing:
        raise FormatError(f"{SHEET}!1", f"row 1 of {SHEET} must hold the column headers; "
                          f"{'、'.join(missing)} is missing (start from the template)")
    return columns


def _read_row(row: dict[str, Any], where: str) -> BankItem:
    type_name = re.sub(r"\s+", "", _folded(row.get("题型")))
    kind = TYPE_NAMES.get(type_name)
    if kind is None:
        shown = f"'{type_name}'" if type_name else "empty"
        raise _RowError(f"题型 {shown} is not one of 单选题, 多选题, 判断题, 填空题, 数值题, "
                        "简答题, 论述题, 说明")
    stem = _cell_text(row.get("题干"))
    if not stem:
        raise _RowError("题干 is empty")
    options = _options(row, kind)
    answer = row.get("答案")
    explanation = _cell_text(row.get("解析"))
    points = _points(row.get("分值"), kind)
    common = {"stem": stem, "explanation": explanation}
    try:
        spec = _READERS[kind](common, points, options, answer)
    except ItemSpecError as err:
        raise _RowError(f"not a valid {kind} ({err})") from None
    return BankItem(
        spec=spec,
        external_id=_cell_text(row.get("编号")) or None,
        category=_cell_text(row.get("分类")).replace("／", "/").strip("/"),
        tags=tuple(dict.fromkeys(
            t.strip() for t in _TAG_SEPARATORS.split(_cell_text(row.get("知识点"))) if t.strip())),
        difficulty=_difficulty(row.get("难度")),
        statutes=_statutes(_cell_text(row.get("法条依据"))),
        where=where,
    )


def _options(row: dict[str, Any], kind: str) -> list[str]:
    texts = [_cell_text(row.get(header)) for header in OPTION_HEADERS]
    while texts and not texts[-1]:
        texts.pop()
    if kind not in (SINGLE, MULTIPLE):
        if texts:
            raise _RowError(f"选项 columns are filled, but a {kind} has no options")
        return []
    gaps = [OPTION_HEADERS[i] for i, text in enumerate(texts) if not text]
    if gaps:
        raise _RowError(f"{'、'.join(gaps)} is empty while a later option is filled; fill the "
                        "options from 选项A without gaps")
    if len(texts) < 2:
        raise _RowError(f"a {kind} needs at least two options (选项A and 选项B)")
    return texts


def _points(value: Any, kind: str) -> Decimal:
    text = _folded(value)
    if kind == DESCRIPTION:
        if text and _decimal(text) != 0:
            raise _RowError("说明 is worth nothing: leave 分值 empty")
        return Decimal(0)
    if not text:
        return Decimal(1)
    points = _decimal(text)
    if points is None or points <= 0 or points > MAX_POINTS or points != points.quantize(CENT):
        raise _RowError(f"分值 '{text}' must be a number above 0 and at most "
                        f"{MAX_POINTS} with at most two decimals")
    return points


def _difficulty(value: Any) -> int | None:
    text = _folded(value)
    if not text:
        return None
    number = _decimal(text)
    if number is None or number != number.to_integral_value() or not 1 <= number <= 5:
        raise _RowError(f"难度 '{text}' must be a whole number from 1 to 5")
    return int(number)


def _statutes(text: str) -> tuple[dict, ...]:
    statutes = []
    for part in re.split(r"[；;]", text):
        part = part.strip()
        if not part:
            continue
        match = _STATUTE.fullmatch(part)
        if match is None:
            raise _RowError(f"法条依据 '{part}' is not 法律名称第…条 (for example 工会法第十一条)")
        articles = [a.strip() for a in re.split(r"[、,]", match.group("articles") or "")
                    if a.strip()]
        statutes.append({"law": match.group("law").strip(),
                         "version": (match.group("version") or "").strip(),
                         "articles": articles})
    return tuple(statutes)


def _letters(answer: Any, options: list[str]) -> list[int]:
    text = _LETTER_SEPARATORS.sub("", _folded(answer)).upper()
    if not text:
        raise _RowError("答案 is empty: give the letter(s) of the correct option(s)")
    positions = []
    for letter in text:
        if letter not in LETTERS:
            raise _RowError(f"答案 '{_cell_text(answer)}' must be option letters A–H")
        position = LETTERS.index(letter)
        if position >= len(options):
            raise _RowError(f"答案 {letter} has no option: 选项{letter} is empty")
        if position not in positions:
            positions.append(position)
    return positions


def _single(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    positions = _letters(answer, options)
    if len(positions) != 1:
        raise _RowError(f"a 单选题 has one answer letter, not '{_cell_text(answer)}' (use 多选题 "
                        "for several)")
    return SingleChoiceSpec(points=points, **common, choices=tuple(
        Choice(LETTERS[i], text, HUNDRED if i == positions[0] else Decimal(0))
        for i, text in enumerate(options)))


def _multiple(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    positions = _letters(answer, options)
    return MultipleChoiceSpec(points=points, **common, choices=tuple(
        Choice(LETTERS[i], text, HUNDRED if i in positions else Decimal(0))
        for i, text in enumerate(options)))


def _true_false(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    word = _folded(answer).casefold()
    if word in TRUE_WORDS:
        value = True
    elif word in FALSE_WORDS:
        value = False
    else:
        shown = f"'{_cell_text(answer)}'" if word else "empty"
        raise _RowError(f"答案 of a 判断题 must be 对 or 错, not {shown}")
    return TrueFalseSpec(points=points, answer=value, **common)


def _fill_blank(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    stem = common["stem"]
    if not BLANK_MARKER.search(stem):
        counter = iter(range(1, 1000))
        stem = _UNDERSCORES.sub(lambda _m: f"[[{next(counter)}]]", stem)
    markers = sorted(int(n) for n in BLANK_MARKER.findall(stem))
    if not markers:
        raise _RowError("the 题干 of a 填空题 needs its blanks marked: [[1]], [[2]] … or ___")
    text = _cell_text(answer).replace(";", "；").replace("｜", "|")
    if not text:
        raise _RowError("答案 is empty: give each blank's answer, blanks separated by ；")
    groups = [[alt.strip() for alt in group.split("|") if alt.strip()]
              for group in text.split("；")]
    if len(groups) != len(markers):
        raise _RowError(f"the 题干 has {len(markers)} blank(s) but 答案 gives {len(groups)} "
                        "(separate blanks with ；, alternatives with |)")
    empty = [str(n) for n, group in enumerate(groups, 1) if not group]
    if empty:
        raise _RowError(f"blank {'、'.join(empty)} has no answer in 答案")
    return FillBlankSpec(points=points, stem=stem, explanation=common["explanation"],
                         blanks=tuple(Blank(n, accepted=tuple(group))
                                      for n, group in enumerate(groups, 1)))


def _numeric(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return NumericSpec(points=points, **common,
                           answers=(NumericAnswer(Decimal(_cell_text(answer))),))
    original = _cell_text(answer)
    text = original.translate(_NUMBER_WIDTH)  # one character for one: positions still match
    match = _NUMERIC_ANSWER.fullmatch(text)
    if not text or match is None:
        shown = f"'{original}'" if text else "empty"
        raise _RowError(f"答案 of a 数值题 must look like 1200±5 元, not {shown}")
    value = Decimal(match.group("value").replace(",", ""))
    tolerance = Decimal(match.group("tolerance") or 0)
    kind = ToleranceKind.ABSOLUTE
    if match.group("percent"):
        tolerance, kind = tolerance / HUNDRED, ToleranceKind.RELATIVE
    unit = original[match.start("unit"):].strip() or None
    return NumericSpec(points=points, **common, unit=unit, answers=(
        NumericAnswer(value, tolerance=tolerance, tolerance_kind=kind),))


def _essay(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    text = _cell_text(answer)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    matches = [_CRITERION.fullmatch(line) for line in lines]
    if lines and all(matches):
        criteria = tuple(RubricCriterion(f"c{n}", m.group("name").strip(),
                                         Decimal(m.group("points")),
                                         m.group("description").strip())
                         for n, m in enumerate(matches, 1) if m)
        total = sum((c.points for c in criteria), Decimal(0))
        if total != points:
            raise _RowError(f"the marking criteria in 答案 add up to {total} points, but 分值 "
                            f"is {points}")
        return EssaySpec(points=points, **common, rubric=criteria)
    return EssaySpec(points=points, **common, rubric=(
        RubricCriterion(*SINGLE_RUBRIC, points, text),))


def _description(common: dict, points: Decimal, options: list[str], answer: Any) -> ItemSpec:
    if _cell_text(answer):
        raise _RowError("a 说明 has no answer: leave 答案 empty")
    return DescriptionSpec(**common)


_READERS = {SINGLE: _single, MULTIPLE: _multiple, TRUE_FALSE: _true_false, FILL: _fill_blank,
            NUMERIC: _numeric, ESSAY: _essay, DESCRIPTION: _description}


# ---------------------------------------------------------------- template and export

HELP_ROWS = (
    ("题型", "必填。单选题、多选题、判断题、填空题、数值题、简答题（或论述题）、说明。"
             "也可写：单选/单项选择题、多选/多项选择题、判断/是非题、填空、数值/计算题、"
             "简答/论述/问答题。"),
    ("题干", "必填。题目正文，可用 Markdown。填空题用 [[1]]、[[2]] 标出空位，"
             "或用三个以上下划线 ___（按出现顺序编号）。"),
    ("选项A～选项H", "单选题、多选题的选项，从选项A起连续填写，至少两项；其他题型留空。"),
    ("答案", "单选：B；多选：ACD（也可写 A,C,D 或 A、C、D）；判断：对 / 错（正确/错误、√/×）；"
             "填空：答案1|备选答案；答案2（各空用“；”分隔，同一空的备选答案用“|”分隔）；"
             "数值：1200±5 元（也可写 1200、1200元；200±1% 中 % 紧跟误差，表示 1% 的相对误差）；"
             "简答/论述：评分要点，可整段书写，或每行一条“法律依据（4分）：说明”，各条分值之和等于分值；"
             "说明：留空。"),
    ("解析", "选填。考后向学员显示的解析。"),
    ("难度", "选填。1～5 的整数，1 最易，5 最难。"),
    ("知识点", "选填。多个知识点用逗号或顿号分隔，如：工会组建、会员发展。"),
    ("法条依据", "选填。多条用“；”分隔，如：工会法第十一条；劳动法第四十四条、第四十五条。"
                 "“第”之前为法律名称，可在其后用括号注明版本，如：工会法（2021-12-24）第十一条。"),
    ("分值", "选填。大于 0、不超过 1000、最多两位小数；留空按 1 分计。说明不计分，留空。"),
    ("编号", "选填。题目在你方系统中的编号，用于核对与更新。"),
    ("分类", "选填。分类路径，用“/”分隔，如：工会组织/建会条件。"),
)
EXAMPLES = (
    ("单选题", "基层工会委员会每届任期几年？", "两年", "三年或者五年", "", "B", 5),
    ("多选题", "下列哪些属于工会的基本职责？", "维护职工合法权益", "代表职工签订集体合同",
     "决定企业经营方针", "AB", 2),
    ("判断题", "工会经费可以用于职工集体福利。", "", "", "", "对", 1),
    ("填空题", "工会会员享有选举权、[[1]] 和 [[2]]。", "", "", "",
     "被选举权；表决权|表决的权利", 2),
    ("数值题", "月工资 4350 元，日工资是多少？", "", "", "", "200±0.01 元", 2),
    ("简答题", "简述工会在劳动争议调解中的作用。", "", "", "",
     "法律依据（4分）：引用相关条文\n实践举措（6分）：结合调解委员会", 10),
)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _workbook() -> tuple[Workbook, Any]:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.freeze_panes = "A2"
    widths = {"题型": 10, "题干": 48, "答案": 24, "解析": 32, "难度": 6, "知识点": 18,
              "法条依据": 28, "分值": 6, "编号": 12, "分类": 18}
    for index, name in enumerate(HEADERS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 16)
    names = ",".join((SINGLE, MULTIPLE, TRUE_FALSE, FILL, NUMERIC, ESSAY, "论述题", DESCRIPTION))
    types = DataValidation(type="list", formula1=f'"{names}"', allow_blank=True,
                           showErrorMessage=True,
                           error="请从列表中选择题型，或查看“说明”工作表。")
    types.add(f"A2:A{MAX_QUESTION_ROWS + 1}")
    level = DataValidation(type="whole", operator="between", formula1="1", formula2="5",
                           allow_blank=True, showErrorMessage=True, error="难度为 1～5 的整数。")
    column = get_column_letter(HEADERS.index("难度") + 1)
    level.add(f"{column}2:{column}{MAX_QUESTION_ROWS + 1}")
    sheet.add_data_validation(types)
    sheet.add_data_validation(level)

    guide = workbook.create_sheet(HELP_SHEET)
    guide.append(["列名", "填写说明"])
    for row in HELP_ROWS:
        guide.append(list(row))
    guide.append([])
    guide.append(["示例", "以下示例仅供参考。请在“题目”工作表中填写题目："
                          "每行一题，第 1 行为列名。"])
    guide.append(["题型", "题干", "选项A", "选项B", "选项C", "答案", "分值"])
    for example in EXAMPLES:
        guide.append(list(example))
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in (guide["A1"], guide["B1"]):
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 90
    for letter in "CDEFG":
        guide.column_dimensions[letter].width = 16
    return workbook, sheet


def _save(workbook: Workbook) -> bytes:
    fixed = datetime(2000, 1, 1)
    workbook.properties.creator = "UnionCadre Academy"
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template() -> bytes:
    """The empty template workbook: sheet 题目 with the headers, sheet 说明 explaining them."""
    workbook, _ = _workbook()
    return _save(workbook)


class _Refused(Exception):
    pass


def _answer_letters(choices: tuple[Choice, ...], correct: list[Choice]) -> str:
    return "".join(LETTERS[choices.index(c)] for c in correct)


def _row(item: BankItem) -> list[str | int | Decimal]:
    spec = item.spec
    options: list[str] = []
    if isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec):
        if len(spec.choices) > len(LETTERS):
            raise _Refused(f"{len(spec.choices)} choices (the sheet has 选项A–H)")
        options = [c.text for c in spec.choices]
    if isinstance(spec, SingleChoiceSpec):
        correct = [c for c in spec.choices if c.weight == HUNDRED]
        if len(correct) != 1 or any(c.weight not in (0, HUNDRED) for c in spec.choices):
            raise _Refused("partial-credit or several full-credit choices (the sheet holds one "
                           "correct letter)")
        kind, answer = SINGLE, _answer_letters(spec.choices, correct)
    elif isinstance(spec, MultipleChoiceSpec):
        if spec.scoring is Scoring.PARTIAL:
            raise _Refused("partial-credit multiple choice (the sheet holds only the correct "
                           "letters, scored all-or-nothing)")
        kind = MULTIPLE
        answer = _answer_letters(spec.choices, [c for c in spec.choices if c.weight > 0])
    elif isinstance(spec, TrueFalseSpec):
        kind, answer = TRUE_FALSE, "对" if spec.answer else "错"
    elif isinstance(spec, FillBlankSpec):
        kind, answer = FILL, _blank_answer(spec)
    elif isinstance(spec, NumericSpec):
        kind, answer = NUMERIC, _numeric_answer(spec)
    elif isinstance(spec, EssaySpec):
        kind, answer = ESSAY, _rubric_answer(spec)
    elif isinstance(spec, DescriptionSpec):
        kind, answer = DESCRIPTION, ""
    else:
        raise _Refused("the sheet has no column layout for this type")
    return [kind, spec.stem, *options, *[""] * (len(LETTERS) - len(options)), answer,
            spec.explanation, item.difficulty or "", _tags(item.tags),
            _statute_text(item.statutes), "" if kind == DESCRIPTION else _number(spec.points),
            item.external_id or "", item.category]


def _plain(value: Decimal) -> str:
    value = value.normalize()
    return format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value, "f")


def _number(value: Decimal) -> int | Decimal:
    """A numeric cell value: points are whole or have at most two decimals."""
    return int(value) if value == value.to_integral_value() else Decimal(_plain(value))


def _blank_answer(spec: FillBlankSpec) -> str:
    if spec.scoring is not Scoring.PARTIAL:
        raise _Refused("all-or-nothing fill-in-blank (the sheet scores each blank)")
    for blank in spec.blanks:
        if blank.pattern is not None:
            raise _Refused(f"blank {blank.number} has a pattern")
        if blank.weight != 1:
            raise _Refused(f"blank {blank.number} has weight {blank.weight} (the sheet "
                           "weighs blanks equally)")
        if blank.case_sensitive or not blank.fold_width or not blank.ignore_spaces:
            raise _Refused(f"blank {blank.number} compares answers in a non-default way")
        if any(re.search(r"[|｜;；]", text) for text in blank.accepted):
            raise _Refused(f"an answer to blank {blank.number} contains | or ；")
    return "；".join("|".join(blank.accepted) for blank in spec.blanks)


def _numeric_answer(spec: NumericSpec) -> str:
    if len(spec.answers) != 1:
        raise _Refused("several numeric answers (the sheet holds one)")
    if spec.unit_policy is not UnitPolicy.OPTIONAL:
        raise _Refused("a required unit (the sheet's unit is optional)")
    answer = spec.answers[0]
    text = str(answer.value)
    if answer.tolerance_kind is ToleranceKind.RELATIVE and answer.tolerance:
        text += f"±{_plain(answer.tolerance * HUNDRED)}%"
    elif answer.tolerance_kind is ToleranceKind.RELATIVE:
        raise _Refused("a relative tolerance of 0")
    elif answer.tolerance:
        text += f"±{answer.tolerance}"
    return f"{text} {spec.unit}" if spec.unit else text


def _rubric_answer(spec: EssaySpec) -> str:
    if len(spec.rubric) == 1 and (spec.rubric[0].id, spec.rubric[0].name) == SINGLE_RUBRIC:
        return spec.rubric[0].description
    lines = []
    for criterion in spec.rubric:
        line = f"{criterion.name}（{_plain(criterion.points)}分）：{criterion.description}"
        if "\n" in line or _CRITERION.fullmatch(line) is None:
            raise _Refused(f"rubric criterion '{criterion.id}' does not fit on one line")
        lines.append(line)
    return "\n".join(lines)


def _tags(tags: tuple[str, ...]) -> str:
    if any(_TAG_SEPARATORS.search(tag) for tag in tags):
        raise _Refused("a 知识点 contains a comma or 、")
    return "、".join(tags)


def _statute_text(statutes: tuple[dict, ...]) -> str:
    parts = []
    for statute in statutes:
        law = statute.get("law", "")
        version = statute.get("version", "")
        articles = list(statute.get("articles", []))
        text = law + (f"（{version}）" if version else "") + "、".join(articles)
        if (re.search(r"[第（(；;]", law) or re.search(r"[）)]", version)
                or any(not a.startswith("第") or re.search(r"[、,；;]", a) for a in articles)):
            raise _Refused(f"the statute '{text}' cannot be written as 法律名称第…条")
        parts.append(text)
    return "；".join(parts)


def export(items: Iterable[BankItem]) -> bytes:
    """``items`` as a workbook in the template's layout.

    Raises `ValueError` naming every item the sheet cannot hold and why; nothing is
    written then.
    """
    items = list(items)
    rows, refused = [], []
    for n, item in enumerate(items, 1):
        label = f"#{n} {item.spec.item_type.value}" + (
            f" ({item.external_id})" if item.external_id else "")
        try:
            row = _row(item)
            texts = [value for value in row if isinstance(value, str)]
            if any(len(text) > MAX_CELL_CHARACTERS for text in texts):
                raise _Refused(f"a text longer than Excel's {MAX_CELL_CHARACTERS} characters "
                               "per cell")
            if any(ILLEGAL_CHARACTERS_RE.search(text) for text in texts):
                raise _Refused("a text with a control character a cell cannot hold")
        except _Refused as why:
            refused.append(f"{label}: {why}")
        else:
            rows.append(row)
    if refused:
        raise ValueError("XLSX export cannot hold these items: " + "; ".join(refused))
    workbook, sheet = _workbook()
    for number, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            if value == "":
                continue
            cell = sheet.cell(number, column)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
                if "\n" in value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(workbook)
