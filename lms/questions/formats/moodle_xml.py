"""Moodle XML (``qformat_xml``): read question banks exported by Moodle, write ones it imports.

``parse(data, *, filename)`` returns the items and, for every question that
cannot be taken over as it is, an `ImportProblem` at ``file:line`` (the line of
its ``<question>``). A problem either explains why a question was left out or,
when the item was imported all the same, what was changed on the way in
(an answer worth part marks dropped, an image that is not PNG/JPEG/WebP …).
A file that is not well-formed XML, declares a DTD or entities, or is larger
than `MAX_FILE_BYTES` raises `FormatError` instead. Parsing goes through
defusedxml with DTDs forbidden, so neither entity expansion nor external
references can happen.

``export(items)`` writes a ``<quiz>`` that Moodle and `parse` both read; it
raises `MoodleExportError` listing every item Moodle has no form for
(`check_export` gives the same list without writing).

Type mapping (Moodle ``type`` ↔ our spec)::

    multichoice, single=true   ↔ SingleChoiceSpec (fraction → weight, shuffleanswers → shuffle)
    multichoice, single=false  ↔ MultipleChoiceSpec: any negative fraction → partial (the positive
                                 fractions must add up to 100 %, rounding like 3 × 33.33333 is
                                 absorbed; a 0 % answer next to negative ones is refused); no
                                 negative fraction → all_or_nothing, with a note, because Moodle
                                 would give full marks for ticking every answer
    truefalse                  ↔ TrueFalseSpec
    shortanswer                ↔ FillBlankSpec with one blank (see "Short answers" below)
    numerical                  ↔ NumericSpec (tolerance is absolute; a relative tolerance is
                                 written as |value| × tolerance)
    calculated, calculatedsimple ↔ ParametricSpec (exports as calculatedsimple)
    matching                   ↔ MatchingSpec (partial scoring, as in Moodle)
    ordering (qtype_ordering)  ↔ OrderingSpec (ALL_OR_NOTHING, ABSOLUTE_POSITION ↔ positions,
                                 RELATIVE_NEXT_EXCLUDE_LAST ↔ adjacent_pairs)
    essay                      ↔ EssaySpec: one rubric criterion worth all the points, whose
                                 guidance is ``graderinfo``; ``maxwordlimit`` ↔ word_limit
    description                ↔ DescriptionSpec
    cloze / multianswer        → FillBlankSpec when every part is SHORTANSWER, else CaseStudySpec
                                 (SHORTANSWER, NUMERICAL, MULTICHOICE and MULTIRESPONSE parts
                                 become sub-items); FillBlankSpec with several blanks and
                                 CaseStudySpec export as cloze
    category                   → ``BankItem.category`` of the questions that follow, without the
                                 ``$course$/top/`` prefix; written back as ``$course$/top/…``

Metadata: ``name`` ↔ title (a name that merely repeats the start of the
question text reads back as no title, and an untitled item is exported under
that name), ``idnumber`` ↔ external_id, ``generalfeedback`` ↔ explanation,
``defaultgrade`` ↔ points, ``<tags>`` (and ``<coursetags>``) ↔ tags. Moodle has
nowhere else for difficulty and statutes, so they travel as tags and are read
back from them: ``difficulty:3`` and one ``statute:LAW|VERSION|ARTICLE`` tag per
cited article (``statute:LAW|VERSION`` when no article is named). penalty,
hidden, hints, per-answer and combined feedback, answernumbering and the essay
response options are ignored.

Text: ``format="html"`` (also ``moodle_auto_format``, ``wiki_like`` and texts
without a format) is converted by `html_to_markdown`: paragraphs, line breaks,
lists, bold, italics, links (http, https, mailto), headings, quotes, code and
simple tables survive; scripts, styles, event handlers, forms and every other
tag are dropped, and Markdown characters in the text are escaped.
``markdown`` is taken as it is and ``plain_text`` is escaped. Export writes
``format="markdown"`` so our Markdown reaches Moodle unchanged, except for
cloze texts, which Moodle parses as HTML: those are rendered with
`lms.domain.markdown.render_markdown`.

Images: embedded ``<file encoding="base64">`` elements (and the Moodle 1.9
``<image>`` + ``<image_base64>`` pair, which is appended to the question text
as Moodle itself does) are kept in ``BankItem.files`` when they are PNG, JPEG
or WebP within `lms.domain.files` size limits; ``@@PLUGINFILE@@/name``
references become ``name``. Other files (GIF, SVG …) are dropped with a note,
and so are ``data:`` images. http(s) images stay as links. Export writes each
file into the text areas that refer to it (the question text when none does).

Short answers: only answers worth 100 % are kept (a blank has no part marks;
others are dropped with a note; 0 % answers carry only feedback and go
silently). ``usecase`` ↔ case_sensitive. Answers with the ``*`` wildcard become
the blank's pattern (``工会*法`` → ``工会.*法``, several joined with ``|``);
export turns such patterns back into wildcards and refuses any other regular
expression. The stem gets its ``[[1]]`` where the text has a run of three or
more underscores, else at the end; export writes ``_____`` back.

Numbers: units with multiplier 1 become the unit (the first one; others are
dropped with a note; none when ``showunits`` is 3, "units not used");
``unitgradingtype`` 1 or 2 → unit_policy required. A relative tolerance is
exported as the absolute margin ``|value| × tolerance`` (Moodle's numerical
tolerance is absolute), so it reads back as absolute.
Calculated questions: ``{x}`` placeholders stay, each dataset gives a variable
from ``minimum`` to ``maximum`` in steps of ``10^-decimals``, tolerancetype
1/2 → relative/absolute, ``correctanswerlength`` → places. The answer formula
must use only numbers, + − × ÷, brackets and round/min/max/abs/floor/ceil
(`lms.domain.expressions`); anything else (pi(), sqrt(), pow() …), geometric
tolerance, significant-figure answers and calculatedmulti are refused. Export
writes 10 dataset items drawn as candidates would get them.

Cloze: each part's mark is its weight (whole numbers; blank weights are scaled
by a power of ten on export); MULTIRESPONSE weights are normalised as Moodle
does. A case study read from a cloze has the stem `CASE_STEM`, the Moodle name
as title, a scenario with ``[[n]]`` where part n sits, and sub-items ``q1``,
``q2`` … whose stems are the line around their gap (``____`` marks it). An
authored case study exports its stem (unless it is `CASE_STEM`) and scenario
as the cloze text, with each sub-item's stem and gap appended when the
scenario has no ``[[n]]`` markers.

Ids: Moodle has no ids for answers or matching entries, so choices, entries
and ordering items get `opaque_ids` (a hash of the text): stable across a
round trip, and revealing neither the authored position nor the key.

Multiple-answer export: all-or-nothing items whose positive weights do not
total 100 are written with equal shares (Moodle adds the fractions of the
ticked answers, so 100 + 100 would give full marks for one right answer).

Not carried by Moodle XML (lost on export, defaults on import): floor_at_zero,
matching all-or-nothing scoring, fill-blank fold_width/ignore_spaces,
parametric rounding modes other than half-up, money flags and non-decimal
steps (step 50 comes back as step 1; the stored dataset items are drawn from
the real step), calculator-based parametric items (refused), several rubric
criteria (exported as one readable list in graderinfo, read back as one
criterion), units of numeric case-study parts, sub-item explanations.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from html.parser import HTMLParser
from urllib.parse import quote, unquote
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from lms.domain.expressions import ExpressionError, parse_expression
from lms.domain.files import JPEG, PNG, WEBP, sniff
from lms.domain.items import (
    BLANK_MARKER,
    VARIABLE_NAME,
    Blank,
    CaseStudySpec,
    Choice,
    DescriptionSpec,
    Entry,
    EssaySpec,
    FillBlankSpec,
    ItemSpec,
    ItemSpecError,
    MatchingSpec,
    MatchPair,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderingSpec,
    OrderScoring,
    ParametricSpec,
    RubricCriterion,
    Scoring,
    SingleChoiceSpec,
    SubItem,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
    Variable,
)
from lms.domain.markdown import render_markdown
from lms.domain.parametric import instantiate, variable_places
from lms.domain.patterns import pattern_problem
from lms.domain.scoring import normalise_blank
from lms.questions.formats.base import (
    MAX_FILE_BYTES,
    BankItem,
    FormatError,
    ImportProblem,
    ParseResult,
    decode_text,
)

#: problem codes for questions that were imported with something left out
LOSSY_CODES = frozenset({"lossy"})

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
PLUGINFILE = "@@PLUGINFILE@@/"
RUBRIC_ID = "overall"
RUBRIC_NAME = "评分要点"
CASE_STEM = "阅读材料，回答问题。"  #: stem of a case study read from a cloze
DATASET_ITEMS = 10  #: dataset values written per calculated question
#: the grades Moodle's question editor offers (percent); others are refused by its importer
MOODLE_GRADES = frozenset(Decimal(g) for g in (
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
    "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0"))
_IMAGE_KINDS = (PNG, JPEG, WEBP)
_FRACTION_SLACK = Decimal("0.01")  #: how far Moodle's rounded fractions may miss 100 %


# ================================================================ reading


class _Skip(Exception):
    """This question cannot be imported; the message says why."""


def parse(data: bytes, *, filename: str) -> ParseResult:
    """Items and problems of the Moodle XML file ``data``; see the module docstring."""
    root, lines = _read_tree(_xml_text(data, filename), filename)
    if root.tag != "quiz":
        raise FormatError(f"{filename}:{lines.get(id(root), 1)}",
                          f"the root element is <{root.tag}>, not <quiz>: not Moodle XML")
    result, category = ParseResult(), ""
    for element in root.findall("question"):
        where = f"{filename}:{lines.get(id(element), 1)}"
        if (element.get("type") or "").strip() == "category":
            category = _category(element)
            continue
        _read_question(_Question(element, where), category, result)
    return result


# ---------------------------------------------------------------- XML


_DECLARED_ENCODING = re.compile(
    rb"""\A\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_DECODE_TEXT_CODECS = frozenset({"utf-8", "gb2312", "gbk", "gb18030"})


def _xml_text(data: bytes, filename: str) -> str:
    """The file as text: UTF-16 by BOM, a declared single-byte encoding, else `decode_text`."""
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(filename, f"file larger than {MAX_FILE_BYTES // 2**20} MB")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", filename)
    declared = _DECLARED_ENCODING.match(data[:400])
    if declared is None:
        return decode_text(data, filename=filename)
    try:
        name = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        raise FormatError(filename, f"unknown encoding {declared.group(1).decode()!r}") from None
    if name in _DECODE_TEXT_CODECS:
        return decode_text(data, filename=filename)
    return _decode(data, name, filename)


def _decode(data: bytes, encoding: str, filename: str) -> str:
    """``data`` decoded as ``encoding``, or `FormatError` naming the first bad byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise FormatError(filename, f"not {encoding} text (byte {err.start})") from None


class _LineTreeBuilder(TreeBuilder):
    """An ElementTree builder that remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag, attrs):  # type: ignore[override]
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def _read_tree(text: str, filename: str) -> tuple[Element, dict[int, int]]:
    """The root element and ``id(element) → line``, or `FormatError` with line and column."""
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except ParseError as err:
        line, column = err.position
        message = str(err).split(": line ")[0]
        raise FormatError(f"{filename}:{line}:{column + 1}",
                          f"not well-formed XML: {message}") from None
    except DefusedXmlException as err:
        raise FormatError(filename, "a DTD, entity declaration or external reference is not "
                                    f"allowed in a question file ({type(err).__name__})") from None
    return root, builder.lines


def _raw(element: Element | None) -> str:
    """The text of a Moodle field: its ``<text>`` child, else its own text ("" if absent)."""
    if element is None:
        return ""
    text = element.find("text")
    return "".join(text.itertext()) if text is not None else (element.text or "")


def _category(element: Element) -> str:
    """The category path without Moodle's ``$course$/top/`` prefix; ``//`` (a literal /) → ／."""
    path = _raw(element.find("category")).strip()
    path = re.sub(r"\A\$[a-z0-9]+\$(/|\Z)", "", path)
    path = re.sub(r"\Atop(/|\Z)", "", path)
    return path.replace("//", "／").strip("/ ")


# ---------------------------------------------------------------- one question


@dataclass
class _Question:
    """A ``<question>`` being read: its element, where it is, notes and embedded files."""

    element: Element
    where: str
    notes: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The question's name, white space collapsed."""
        return " ".join(_raw(self.element.find("name")).split())

    @property
    def text_format(self) -> str:
        """The format of the question text, the default for the other texts."""
        element = self.element.find("questiontext")
        return (element.get("format") if element is not None else None) or "html"

    def note(self, message: str) -> None:
        """Record a change made while importing (reported as a problem of this question)."""
        if message not in self.notes:
            self.notes.append(message)

    def value(self, tag: str) -> str:
        """The stripped text of the first child ``tag`` ("" if absent)."""
        return _raw(self.element.find(tag)).strip()

    def markdown(self, element: Element | None) -> str:
        """The Markdown of a text field, converted according to its ``format``."""
        if element is None:
            return ""
        return self.convert(_raw(element), element.get("format") or self.text_format)

    def convert(self, text: str, text_format: str) -> str:
        """``text`` in ``text_format`` as Markdown."""
        if text_format == "markdown":
            return _markdown_refs(text.strip(), self)
        if text_format == "plain_text":
            text = html.escape(text).replace("\n", "<br>")
        return html_to_markdown(text, self.image_src)

    def stem(self) -> str:
        """The question text, with a legacy ``<image>`` appended as Moodle does."""
        stem = self.markdown(self.element.find("questiontext"))
        image = self.legacy_image()
        return f"{stem}\n\n![]({quote(image)})".strip() if image else stem

    def explanation(self) -> str:
        """The general feedback."""
        return self.markdown(self.element.find("generalfeedback"))

    def image_src(self, src: str) -> str | None:
        """What an ``<img src>`` becomes in Markdown, or None to drop the image."""
        src = src.strip()
        if src.startswith(PLUGINFILE):
            name = _clean_path(unquote(src[len(PLUGINFILE):].split("?")[0]))
            if name in self.files:
                return quote(name)
            self.note(f"image {name or src!r} dropped: the file is not embedded or not kept")
            return None
        if re.match(r"https?://", src, re.IGNORECASE):
            return src.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        self.note(f"image {src[:40]!r} dropped: only embedded files and http(s) links are kept")
        return None

    def collect_files(self) -> None:
        """Keep the embedded ``<file>`` images (see the module docstring)."""
        for element in self.element.iter("file"):
            path = (element.get("path") or "/") + (element.get("name") or "")
            if (element.get("encoding") or "base64") != "base64":
                self.note(f"embedded file {path!r} dropped: only base64 encoding is read")
                continue
            self.add_file(path, element.text or "")

    def add_file(self, path: str, payload: str) -> None:
        """Keep one base64 file if it is a usable image, else note why not."""
        name = _clean_path(path)
        if not name:
            self.note(f"embedded file {path[:60]!r} dropped: not a safe file name")
            return
        try:
            data = base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            self.note(f"embedded file {name!r} dropped: not valid base64")
            return
        kind = sniff(data[:16])
        if kind not in _IMAGE_KINDS:
            self.note(f"embedded file {name!r} dropped: only PNG, JPEG and WebP images are kept")
        elif len(data) > kind.max_bytes:
            self.note(f"embedded image {name!r} dropped: larger than "
                      f"{kind.max_bytes // 2**20} MB")
        elif self.files.get(name, data) != data:
            self.note(f"a second, different embedded file {name!r} was dropped")
        else:
            self.files[name] = data

    def legacy_image(self) -> str:
        """The Moodle 1.9 ``<image>``/``<image_base64>`` file name, if it was kept."""
        image, payload = self.element.find("image"), self.element.find("image_base64")
        name = (image.text or "").strip() if image is not None else ""
        if payload is None:
            if name or (image is not None and len(image)):
                self.note("legacy <image> without embedded <image_base64> data ignored")
            return ""
        name = name.replace("/", "_") or "image"
        self.add_file(name, payload.text or "")
        return _clean_path(name) if _clean_path(name) in self.files else ""

    def fraction(self, element: Element) -> Decimal:
        """An answer's ``fraction`` attribute in percent (-100 … 100)."""
        text = (element.get("fraction") or "0").strip()
        value = _number(text)
        if value is None or not -HUNDRED <= value <= HUNDRED:
            raise _Skip(f"answer fraction {text!r} is not a percentage between -100 and 100")
        return value

    def points(self) -> Decimal:
        """``defaultgrade``, 1 when absent; rounded to cents with a note."""
        text = self.value("defaultgrade")
        if not text:
            return Decimal(1)
        value = _number(text)
        if value is None or value <= 0:
            raise _Skip(f"defaultgrade {text!r}: a question here must be worth more than 0 "
                        "points")
        rounded = value.quantize(CENT, ROUND_HALF_UP)
        if rounded != value:
            self.note(f"defaultgrade {text} rounded to {rounded}")
        return _tidy(rounded)

    def tags(self) -> list[str]:
        """The ``<tags>`` and ``<coursetags>`` texts, in order, without repeats."""
        found = [" ".join(_raw(tag).split()) for path in ("tags/tag", "coursetags/tag")
                 for tag in self.element.findall(path)]
        return list(dict.fromkeys(tag for tag in found if tag))


def _read_question(q: _Question, category: str, result: ParseResult) -> None:
    """Read one question into ``result``: an item plus notes, or a problem."""
    kind = (q.element.get("type") or "").strip()
    label = f"question {q.name!r}: " if q.name else ""
    try:
        reader = _READERS.get(kind)
        if reader is None:
            raise _Skip(_unsupported_type(kind))
        q.collect_files()
        item = _bank_item(q, reader(q), category)
    except _Skip as skip:
        result.problems.append(ImportProblem(q.where, f"{label}{skip}"))
    except ItemSpecError as err:
        result.problems.append(ImportProblem(q.where, f"{label}{_spec_reason(err)}"))
    else:
        result.items.append(item)
        result.problems.extend(ImportProblem(q.where, f"{label}{note}", code="lossy")
                               for note in q.notes)


def _unsupported_type(kind: str) -> str:
    """Why a question of type ``kind`` is not read."""
    if not kind:
        return "the <question> element has no type attribute"
    if kind == "calculatedmulti":
        return "calculated multiple-choice questions (calculatedmulti) are not supported"
    return f"question type {kind!r} is not supported (not a core Moodle type this platform has)"


def _bank_item(q: _Question, spec: ItemSpec, category: str) -> BankItem:
    """The spec with the question's metadata."""
    tags, difficulty, statutes = _split_tags(q.tags())
    name = q.name
    title = "" if name == default_name(_text_of(spec)) else name
    return BankItem(spec=spec, external_id=q.value("idnumber") or None, title=title,
                    category=category, tags=tags, difficulty=difficulty, statutes=statutes,
                    where=q.where, files=tuple(sorted(q.files.items())))


def default_name(stem: str) -> str:
    """The Moodle name an untitled item is exported under: the start of its text."""
    text = re.sub(r"!\[(?:\\.|[^\]\\])*\]\([^)]*\)", "", stem)
    text = re.sub(r"\\(.)", r"\1", BLANK_MARKER.sub("____", text))
    return " ".join(text.split())[:80] or "question"


def _split_tags(found: list[str]) -> tuple[tuple[str, ...], int | None, tuple[dict, ...]]:
    """Plain tags, the ``difficulty:N`` tag and the ``statute:…`` tags, regrouped."""
    tags, difficulty, statutes = [], None, {}
    for tag in found:
        match = re.fullmatch(r"difficulty:([1-5])", tag)
        if match and difficulty is None:
            difficulty = int(match.group(1))
        elif tag.startswith("statute:") and tag[8:].split("|")[0].strip():
            law, version, article = ([p.strip() for p in tag[8:].split("|", 2)] + ["", ""])[:3]
            articles = statutes.setdefault((law, version), [])
            if article and article not in articles:
                articles.append(article)
        else:
            tags.append(tag)
    return (tuple(tags), difficulty, tuple({"law": law, "version": version, "articles": arts}
                                          for (law, version), arts in statutes.items()))


# ---------------------------------------------------------------- question types


def _read_multichoice(q: _Question) -> ItemSpec:
    """``multichoice``: single → SingleChoiceSpec, otherwise MultipleChoiceSpec."""
    choices = []
    for answer in q.element.findall("answer"):
        text = q.markdown(answer)
        if text:
            choices.append((text, q.fraction(answer)))
    shuffle = _flag(q.value("shuffleanswers"), default=False)
    common = {"stem": q.stem(), "points": q.points(), "explanation": q.explanation(),
              "shuffle": shuffle}
    if _flag(q.value("single"), default=True):
        return SingleChoiceSpec(choices=_choices(choices), **common)
    scoring, weights = _multi_weights(q, [weight for _, weight in choices])
    texts = [text for text, _ in choices]
    return MultipleChoiceSpec(choices=_choices(list(zip(texts, weights, strict=True))),
                              scoring=scoring, **common)


def _choices(pairs: list[tuple[str, Decimal]]) -> tuple[Choice, ...]:
    """Choices with opaque ids from ``(text, weight)`` pairs."""
    ids = opaque_ids([text for text, _ in pairs])
    return tuple(Choice(key, text, _tidy(weight))
                 for key, (text, weight) in zip(ids, pairs, strict=True))


def _multi_weights(q: _Question, weights: list[Decimal]) -> tuple[Scoring, list[Decimal]]:
    """Scoring and weights for a multiple-answer question (see the module docstring)."""
    if not any(w < 0 for w in weights):
        if any(w > 0 for w in weights) and any(w == 0 for w in weights):
            q.note("scored all-or-nothing: without negative fractions for the wrong answers, "
                   "ticking every answer would earn full marks")
        return Scoring.ALL_OR_NOTHING, weights
    if any(w == 0 for w in weights):
        raise _Skip("a wrong answer worth 0 % next to answers with negative fractions: give "
                    "every wrong answer a negative fraction")
    total = sum((w for w in weights if w > 0), Decimal(0))
    if abs(total - HUNDRED) > _FRACTION_SLACK:
        odd = sorted({str(abs(w)) for w in weights if abs(w) not in MOODLE_GRADES})
        hint = f" ({', '.join(odd)} not among Moodle's grades)" if odd else ""
        raise _Skip(f"the positive fractions add up to {total} %, not 100 %{hint}")
    last = max(i for i, w in enumerate(weights) if w > 0)
    return Scoring.PARTIAL, [w + (HUNDRED - total if i == last else 0)
                             for i, w in enumerate(weights)]


def _read_truefalse(q: _Question) -> TrueFalseSpec:
    """``truefalse``: the answer worth 100 % is the key."""
    answers = q.element.findall("answer")
    labels = [_raw(a).strip().lower() for a in answers]
    if sorted(labels) != ["false", "true"]:
        if len(answers) != 2:
            raise _Skip("a true/false question needs exactly a true and a false answer")
        q.note("answers are not labelled true/false: the first is taken as true")
        labels = ["true", "false"]
    right = [label for label, a in zip(labels, answers, strict=True) if q.fraction(a) == HUNDRED]
    if len(right) != 1:
        raise _Skip("exactly one of the true/false answers must be worth 100 %")
    return TrueFalseSpec(stem=q.stem(), points=q.points(), explanation=q.explanation(),
                         answer=right[0] == "true")


def _read_shortanswer(q: _Question) -> FillBlankSpec:
    """``shortanswer``: one blank; see "Short answers" in the module docstring."""
    answers = [(_raw(a), q.fraction(a)) for a in q.element.findall("answer")]
    blank = _blank(q, answers, 1, _flag(q.value("usecase"), default=False))
    return FillBlankSpec(stem=_with_blank(q.stem()), points=q.points(),
                         explanation=q.explanation(), blanks=(blank,))


_BLANK_RUN = re.compile(r"(?:\\?_){3,}")


def _with_blank(stem: str) -> str:
    """The stem with ``[[1]]`` at its first ``___`` run, else at the end."""
    if "[[1]]" in stem:
        return stem
    if _BLANK_RUN.search(stem):
        return _BLANK_RUN.sub("[[1]]", stem, count=1)
    return f"{stem} [[1]]"


def _blank(q: _Question, answers: list[tuple[str, Decimal]], number: int,
           case_sensitive: bool, weight: Decimal = Decimal(1)) -> Blank:
    """A blank from Moodle short answers: 100 % answers, ``*`` wildcards → pattern."""
    accepted, wildcards = [], []
    for raw, fraction in answers:
        text = raw.strip()
        if not text or fraction <= 0:
            continue
        if fraction < HUNDRED:
            q.note(f"answer {text!r} ({_tidy(fraction)} %) dropped: a blank gives full marks "
                   "or none")
        elif re.search(r"(?<!\\)\*", text):
            wildcards.append(text)
        else:
            accepted.append(text.replace("\\*", "*"))
    if not accepted and not wildcards:
        raise _Skip("no answer is worth 100 %")
    pattern = _wildcard_pattern(wildcards, case_sensitive) if wildcards else None
    return Blank(number, accepted=tuple(dict.fromkeys(accepted)), pattern=pattern,
                 weight=weight, case_sensitive=case_sensitive)


def _wildcard_pattern(answers: list[str], case_sensitive: bool) -> str:
    """One regular expression matching any of the ``*`` wildcard answers."""
    template = Blank(1, accepted=("x",), case_sensitive=case_sensitive)
    alternatives = []
    for answer in answers:
        literals = [part.replace("\\*", "*") for part in re.split(r"(?<!\\)\*", answer)]
        alternatives.append(".*".join(re.escape(_normalise(part, template)) for part in literals))
    pattern = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
    problem = pattern_problem(pattern)
    if problem:
        raise _Skip(f"the wildcard answers {', '.join(answers)} cannot be used "
                    f"({_PATTERN_PHRASES.get(problem, problem)})")
    return pattern


def _normalise(text: str, blank: Blank) -> str:
    """A literal part of a wildcard answer, normalised as candidates' answers are."""
    return normalise_blank(text, blank) if text.strip() else ""


def _read_numerical(q: _Question) -> NumericSpec:
    """``numerical``: answers worth more than 0 % with their absolute tolerance, and the unit."""
    answers = []
    for element in q.element.findall("answer"):
        answer = _numeric_answer(_raw(element).strip(), q.fraction(element),
                                 _raw(element.find("tolerance")).strip())
        if answer is not None:
            answers.append(answer)
    unit, policy = _units(q)
    return NumericSpec(stem=q.stem(), points=q.points(), explanation=q.explanation(),
                       answers=tuple(answers), unit=unit, unit_policy=policy)


def _numeric_answer(text: str, fraction: Decimal, tolerance: str) -> NumericAnswer | None:
    """One accepted number, or None for a wrong answer (fraction 0 or less)."""
    if fraction <= 0:
        return None
    if text == "*":
        raise _Skip(f"the answer '*' worth {_tidy(fraction)} % would accept any number")
    value, margin = _number(text), _number(tolerance or "0")
    if value is None:
        raise _Skip(f"the answer {text!r} is not a number")
    if margin is None:
        raise _Skip(f"the tolerance {tolerance!r} is not a number")
    return NumericAnswer(_tidy(value), tolerance=_tidy(abs(margin)), weight=_tidy(fraction))


def _units(q: _Question) -> tuple[str | None, UnitPolicy]:
    """The unit with multiplier 1 and whether it must be written."""
    units = [(" ".join(_raw(u.find("unit_name")).split()), _number(_raw(u.find("multiplier"))))
             for u in q.element.findall("units/unit")]
    units = [(name, multiplier) for name, multiplier in units if name]
    if not units or q.value("showunits") == "3":
        return None, UnitPolicy.OPTIONAL
    base = [name for name, multiplier in units if multiplier == 1]
    for name, multiplier in units:
        if not base or name != base[0]:
            q.note(f"unit {name!r} (multiplier {multiplier}) dropped: only the base unit, "
                   "with multiplier 1, is kept")
    if not base:
        return None, UnitPolicy.OPTIONAL
    graded = q.value("unitgradingtype") in ("1", "2")
    return base[0], UnitPolicy.REQUIRED if graded else UnitPolicy.OPTIONAL


def _read_calculated(q: _Question) -> ParametricSpec:
    """``calculated`` / ``calculatedsimple`` → ParametricSpec (see the module docstring)."""
    stem = q.stem()
    if "{=" in stem:
        raise _Skip("formulas inside the question text ({=…}) are not supported")
    variables = tuple(_variable(q, d)
                      for d in q.element.findall("dataset_definitions/dataset_definition"))
    answer = _calculated_answer(q)
    unit, policy = _units(q)
    tolerance, kind = _calculated_tolerance(answer)
    return ParametricSpec(stem=stem, points=q.points(), explanation=q.explanation(),
                          variables=variables, expression=moodle_formula(_raw(answer)),
                          places=_places(answer), tolerance=tolerance, tolerance_kind=kind,
                          unit=unit, unit_policy=policy)


def _calculated_answer(q: _Question) -> Element:
    """The answer worth 100 %; other answers with marks are dropped with a note."""
    answers = [a for a in q.element.findall("answer") if q.fraction(a) > 0]
    full = [a for a in answers if q.fraction(a) == HUNDRED]
    if not full:
        raise _Skip("no answer formula is worth 100 %")
    if len(answers) > 1:
        q.note("only the first answer formula worth 100 % is kept")
    return full[0]


def _variable(q: _Question, dataset: Element) -> Variable:
    """A dataset definition as a variable from minimum to maximum in steps of 10^-decimals."""
    name = _raw(dataset.find("name")).strip()
    if not VARIABLE_NAME.fullmatch(name):
        raise _Skip(f"variable name {name!r} is not a plain name (letters, digits, _)")
    low, high = _number(_raw(dataset.find("minimum"))), _number(_raw(dataset.find("maximum")))
    decimals = _number(_raw(dataset.find("decimals")) or "0")
    if low is None or high is None or decimals is None or not 0 <= decimals <= 10 \
            or decimals != int(decimals):
        raise _Skip(f"the dataset of {{{name}}} has no usable minimum, maximum or decimals")
    if _raw(dataset.find("distribution")).strip() == "loguniform":
        q.note(f"{{{name}}} is drawn uniformly, not log-uniformly")
    step = Decimal(1).scaleb(-int(decimals))
    low, high = low.quantize(step, ROUND_CEILING), high.quantize(step, ROUND_FLOOR)
    if low > high:
        raise _Skip(f"the dataset of {{{name}}} has no value between its minimum and maximum")
    return Variable(name, low, high, step)


def moodle_formula(text: str) -> str:
    """A Moodle answer formula in our expression language: ``{x}`` → ``x``.

    Raises `_Skip` when the formula uses anything `lms.domain.expressions` lacks.
    """
    formula = re.sub(r"\{([^{}\s]*)\}", r"\1", text.strip())
    try:
        parse_expression(formula)
    except ExpressionError as err:
        raise _Skip(f"the formula {text.strip()!r} cannot be converted ({err}); only numbers, "
                    "+ − × ÷, brackets and round/min/max/abs/floor/ceil are supported") from None
    return formula


def _calculated_tolerance(answer: Element) -> tuple[Decimal, ToleranceKind]:
    """The tolerance of a calculated answer and its kind (1 relative, 2 nominal)."""
    kind = _raw(answer.find("tolerancetype")).strip() or "1"
    value = _number(_raw(answer.find("tolerance")).strip() or "0.01")
    if kind not in ("1", "2") or value is None:
        raise _Skip("only relative (1) and nominal (2) tolerances with a number are supported")
    return _tidy(abs(value)), ToleranceKind.RELATIVE if kind == "1" else ToleranceKind.ABSOLUTE


def _places(answer: Element) -> int:
    """``correctanswerlength`` as decimal places; significant figures are refused."""
    if (_raw(answer.find("correctanswerformat")).strip() or "1") != "1":
        raise _Skip("answers rounded to significant figures are not supported, only decimals")
    text = _raw(answer.find("correctanswerlength")).strip() or "2"
    if not text.isdigit() or int(text) > 10:
        raise _Skip(f"correctanswerlength {text!r} is not 0 to 10 decimals")
    return int(text)


def _read_matching(q: _Question) -> MatchingSpec:
    """``matching``: subquestions → lefts; answers → rights; empty subquestions → distractors."""
    paired, distractors = [], []
    for sub in q.element.findall("subquestion"):
        left, right = q.markdown(sub), " ".join(_raw(sub.find("answer")).split())
        if not right:
            raise _Skip("a matching subquestion has no answer")
        (paired if left else distractors).append((left, right))
    rights = list(dict.fromkeys([r for _, r in paired] + [r for _, r in distractors]))
    right_ids = dict(zip(rights, opaque_ids(rights), strict=True))
    left_ids = opaque_ids([left for left, _ in paired])
    return MatchingSpec(
        stem=q.stem(), points=q.points(), explanation=q.explanation(),
        lefts=tuple(Entry(key, left) for key, (left, _) in zip(left_ids, paired, strict=True)),
        rights=tuple(Entry(right_ids[r], r) for r in rights),
        pairs=tuple(MatchPair(key, right_ids[r])
                    for key, (_, r) in zip(left_ids, paired, strict=True)),
        shuffle=_flag(q.value("shuffleanswers"), default=True))


_ORDER_SCORING = {"ALL_OR_NOTHING": OrderScoring.ALL_OR_NOTHING, "-1": OrderScoring.ALL_OR_NOTHING,
                  "ABSOLUTE_POSITION": OrderScoring.POSITIONS, "ABSOLUTE": OrderScoring.POSITIONS,
                  "ABS": OrderScoring.POSITIONS, "0": OrderScoring.POSITIONS,
                  "RELATIVE_NEXT_EXCLUDE_LAST": OrderScoring.ADJACENT_PAIRS,
                  "RELATIVE": OrderScoring.ADJACENT_PAIRS, "REL": OrderScoring.ADJACENT_PAIRS,
                  "1": OrderScoring.ADJACENT_PAIRS}
_ORDER_GRADING = {OrderScoring.ALL_OR_NOTHING: "ALL_OR_NOTHING",
                  OrderScoring.POSITIONS: "ABSOLUTE_POSITION",
                  OrderScoring.ADJACENT_PAIRS: "RELATIVE_NEXT_EXCLUDE_LAST"}


def _read_ordering(q: _Question) -> OrderingSpec:
    """``ordering`` (qtype_ordering): the answers in file order are the correct order."""
    texts = [text for text in (q.markdown(a) for a in q.element.findall("answer")) if text]
    grading = q.value("gradingtype").upper() or "RELATIVE"
    if grading not in _ORDER_SCORING:
        raise _Skip(f"ordering grading type {grading} is not supported")
    select, count = q.value("selecttype").upper(), q.value("selectcount")
    if select not in ("", "ALL", "EXACT", "0") and count.isdigit() and 0 < int(count) < len(texts):
        raise _Skip(f"the question shows only {count} of its {len(texts)} items")
    return OrderingSpec(stem=q.stem(), points=q.points(), explanation=q.explanation(),
                        items=tuple(Entry(key, text)
                                    for key, text in zip(opaque_ids(texts), texts, strict=True)),
                        scoring=_ORDER_SCORING[grading])


def _read_essay(q: _Question) -> EssaySpec:
    """``essay``: one criterion worth all the points; graderinfo is its guidance."""
    points = q.points()
    limit = q.value("maxwordlimit")
    return EssaySpec(stem=q.stem(), points=points, explanation=q.explanation(),
                     rubric=(RubricCriterion(RUBRIC_ID, RUBRIC_NAME, points,
                                             q.markdown(q.element.find("graderinfo"))),),
                     word_limit=int(limit) if limit.isdigit() and int(limit) > 0 else None)


def _read_description(q: _Question) -> DescriptionSpec:
    """``description``: text only."""
    return DescriptionSpec(stem=q.stem(), explanation=q.explanation())


# ---------------------------------------------------------------- cloze


_CLOZE_TYPES = {
    "NUMERICAL": "NM", "NM": "NM",
    "SHORTANSWER": "SA", "SA": "SA", "MW": "SA",
    "SHORTANSWER_C": "SAC", "SAC": "SAC", "MWC": "SAC",
    **{name: "MC" for name in ("MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H",
                               "MCH")},
    **{name: "MCS" for name in ("MULTICHOICE_S", "MCS", "MULTICHOICE_VS", "MCVS",
                                "MULTICHOICE_HS", "MCHS")},
    **{name: "MR" for name in ("MULTIRESPONSE", "MR", "MULTIRESPONSE_H", "MRH")},
    **{name: "MRS" for name in ("MULTIRESPONSE_S", "MRS", "MULTIRESPONSE_HS", "MRHS")},
}
_CLOZE_TYPE = "|".join(sorted(_CLOZE_TYPES, key=len, reverse=True))
_GAP_HEAD = re.compile(rf"\{{([0-9]*):({_CLOZE_TYPE}):")
_GAP_START = re.compile(rf"\{{[0-9]*:({_CLOZE_TYPE})\b")
_FRACTION_PREFIX = re.compile(r"\A(?:=|%(-?[0-9]+(?:[.,][0-9]*)?)%)")
_NUMBER_WITH_MARGIN = re.compile(
    r"\A(-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?)"
    r"(?::(-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?))?\Z")
_GAP_TOKEN = re.compile("\ue000([0-9]+)\ue001")


@dataclass(frozen=True)
class _Part:
    """One embedded answer of a cloze question."""

    mark: int
    kind: str  #: SA, SAC, NM, MC, MCS, MR or MRS
    alternatives: tuple[tuple[Decimal, str], ...]  #: (fraction in percent, raw answer text)
    specific: bool  #: some answer carries a %…% fraction


def _read_cloze(q: _Question) -> ItemSpec:
    """``cloze``: all short answers → FillBlankSpec, else CaseStudySpec."""
    element = q.element.find("questiontext")
    text, parts = _cloze_parts(_raw(element).replace("\ue000", "").replace("\ue001", ""))
    fmt = (element.get("format") if element is not None else None) or "html"
    markdown = _GAP_TOKEN.sub(r"[[\1]]", q.convert(text, fmt))
    image = q.legacy_image()
    if image:
        markdown = f"{markdown}\n\n![]({quote(image)})"
    if all(part.kind in ("SA", "SAC") for part in parts):
        blanks = tuple(_blank(q, _decoded(part), n, part.kind == "SAC", Decimal(part.mark))
                       for n, part in enumerate(parts, 1))
        total = Decimal(sum(part.mark for part in parts))
        return FillBlankSpec(stem=markdown, points=q.points() if q.value("defaultgrade")
                             else total, explanation=q.explanation(), blanks=blanks)
    sub_items = tuple(SubItem(f"q{n}", _cloze_sub_item(q, part, _sub_stem(markdown, n, part)))
                      for n, part in enumerate(parts, 1))
    return CaseStudySpec(stem=CASE_STEM, scenario=markdown, explanation=q.explanation(),
                         points=sum((s.spec.points for s in sub_items), Decimal(0)),
                         sub_items=sub_items)


def _cloze_parts(text: str) -> tuple[str, list[_Part]]:
    """The text with each embedded answer replaced by a token, and the answers.

    Scanned by hand rather than with Moodle's regular expression, which
    backtracks exponentially on a long unclosed ``{1:MULTICHOICE:a~b~…``.
    """
    parts: list[_Part] = []
    pieces, pos = [], 0
    while (head := _GAP_HEAD.search(text, pos)) is not None:
        end = _code_end(text, head.end())
        if end is None:
            break
        source = text[head.start():end + 1]
        parts.append(_cloze_part(int(head.group(1) or 1), _CLOZE_TYPES[head.group(2)],
                                 text[head.end():end], source))
        pieces += [text[pos:head.start()], f"\ue000{len(parts)}\ue001"]
        pos = end + 1
    replaced = "".join([*pieces, text[pos:]])
    broken = _GAP_START.search(replaced)
    if broken:
        snippet = replaced[broken.start():broken.start() + 40]
        raise _Skip(f"the embedded answer {snippet!r}… is malformed")
    if not parts:
        raise _Skip("the question text has no embedded answers such as {1:SHORTANSWER:=…}")
    return replaced, parts


def _code_end(text: str, start: int) -> int | None:
    """The index of the ``}`` closing an embedded answer (``\\}`` does not close it)."""
    for index in range(start, len(text)):
        if text[index] == "}" and text[index - 1] != "\\":
            return index
    return None


def _separator(body: str, index: int, *, entity_ok: bool) -> bool:
    """Whether ``body[index]`` separates: not after ``\\`` (nor ``&``/``&amp;`` when
    ``entity_ok``, so ``&#35;`` stays inside an answer)."""
    if index and body[index - 1] == "\\":
        return False
    return not entity_ok or not (body[max(0, index - 1):index] == "&"
                                 or body[max(0, index - 5):index] == "&amp;")


def _alternatives(body: str) -> list[tuple[str, str]]:
    """``(fraction prefix + answer, feedback)`` for each ``~``-separated alternative."""
    found, start, hash_at = [], 0, None
    for index, char in enumerate(body):
        if char == "#" and hash_at is None and _separator(body, index, entity_ok=True):
            hash_at = index
        elif char == "~" and _separator(body, index, entity_ok=hash_at is None):
            found.append((body[start:hash_at if hash_at is not None else index],
                          body[hash_at + 1:index] if hash_at is not None else ""))
            start, hash_at = index + 1, None
    found.append((body[start:hash_at if hash_at is not None else len(body)],
                  body[hash_at + 1:] if hash_at is not None else ""))
    return found


def _cloze_part(mark: int, kind: str, body: str, source: str) -> _Part:
    """One ``{mark:TYPE:alternatives}``, checked as Moodle checks it."""
    alternatives, specific = [], False
    for answer, _feedback in _alternatives(body):
        prefix = _FRACTION_PREFIX.match(answer)
        fraction = Decimal(0)
        if prefix is not None:
            specific = specific or prefix.group(1) is not None
            fraction = HUNDRED if prefix.group(1) is None else _number(prefix.group(1))
            answer = answer[prefix.end():]
        alternatives.append((fraction, answer))
    part = _Part(mark, kind, tuple(alternatives), specific)
    _check_part(part, source)
    return part


def _check_part(part: _Part, source: str) -> None:
    """Moodle's checks of an embedded answer: choices, numbers, a 100 % answer."""
    snippet = source if len(source) <= 40 else f"{source[:40]}…"
    filled = [(f, a) for f, a in part.alternatives if a.strip()]
    if part.mark < 1:
        raise _Skip(f"the embedded answer {snippet!r} is worth 0 marks")
    if part.kind.startswith("M") and len(filled) < 2:
        raise _Skip(f"the embedded answer {snippet!r} needs at least 2 choices")
    if part.kind == "NM" and any(a.strip() != "*" and not _NUMBER_WITH_MARGIN.match(a.strip())
                                 for _, a in filled):
        raise _Skip(f"the embedded answer {snippet!r}: every answer must be a number, "
                    "like -1.234 or 3e8, or *")
    best = max((f for f, _ in filled), default=Decimal(0))
    if best < HUNDRED and not (part.kind.startswith("MR") and best > 0):
        raise _Skip(f"the embedded answer {snippet!r} has no answer worth 100 %")


def _decoded(part: _Part) -> list[tuple[str, Decimal]]:
    """The answers of a short-answer part as Moodle reads them (entities and \\} \\# undone)."""
    return [(html.unescape(text).replace("\\}", "}").replace("\\#", "#"), fraction)
            for fraction, text in part.alternatives]


def _sub_stem(scenario: str, number: int, part: _Part) -> str:
    """The line of the scenario that holds gap ``number``, the gap shown as a blank."""
    line = next((line for line in scenario.split("\n") if f"[[{number}]]" in line), "")
    gap = "[[1]]" if part.kind in ("SA", "SAC") else r"\_\_\_\_"
    line = line.replace(f"[[{number}]]", "\ue000")
    line = BLANK_MARKER.sub(r"\_\_\_\_", line).replace("\ue000", gap).strip()
    line = re.sub(r"\A(?:\\?[-*+]|[0-9]+\\?[.)])\s+", "", line)  # a bullet or number
    if not line.replace(gap, "").strip():
        line = f"({number}) {gap}"
    return line


def _cloze_sub_item(q: _Question, part: _Part, stem: str) -> ItemSpec:
    """The sub-item for one embedded answer."""
    points = Decimal(part.mark)
    if part.kind in ("SA", "SAC"):
        blank = _blank(q, _decoded(part), 1, part.kind == "SAC")
        return FillBlankSpec(stem=stem, points=points, blanks=(blank,))
    if part.kind == "NM":
        return NumericSpec(stem=stem, points=points, answers=_cloze_numbers(part))
    texts = [q.convert(html.unescape(text), "html") for _, text in part.alternatives]
    pairs = [(t, f) for t, (f, _) in zip(texts, part.alternatives, strict=True) if t]
    shuffle = part.kind.endswith("S")
    if part.kind.startswith("MC"):
        return SingleChoiceSpec(stem=stem, points=points, choices=_choices(pairs),
                                shuffle=shuffle)
    scoring, weights = _multi_weights(q, _multiresponse_weights([f for _, f in pairs],
                                                                part.specific))
    return MultipleChoiceSpec(stem=stem, points=points, scoring=scoring, shuffle=shuffle,
                              choices=_choices([(t, w) for (t, _), w in zip(pairs, weights,
                                                                          strict=True)]))


def _cloze_numbers(part: _Part) -> tuple[NumericAnswer, ...]:
    """The accepted numbers of a NUMERICAL part (``value:margin``)."""
    answers = []
    for fraction, text in part.alternatives:
        match = _NUMBER_WITH_MARGIN.match(text.strip())
        if match and fraction > 0:
            value, margin = match.group(1), match.group(2) or "0"
            answers.append(_numeric_answer(value.replace(",", "."), fraction,
                                           margin.replace(",", ".")))
        elif fraction > 0:
            raise _Skip(f"the numeric answer {text.strip()!r} worth {_tidy(fraction)} % "
                        "would accept any number")
    return tuple(a for a in answers if a is not None)


def _multiresponse_weights(fractions: list[Decimal], specific: bool) -> list[Decimal]:
    """Moodle's MULTIRESPONSE rule: right answers scaled to total 100 %; without any %…%
    weights, each wrong answer cancels one right one."""
    total = sum((f for f in fractions if f > 0), Decimal(0))
    places = Decimal("0.00001")
    wrong = Decimal(0) if specific else -(HUNDRED * HUNDRED / total).quantize(places)
    return [(f * HUNDRED / total).quantize(places) if f > 0 else (f if specific else wrong)
            for f in fractions]


_READERS: dict[str, Callable[[_Question], ItemSpec]] = {
    "multichoice": _read_multichoice,
    "truefalse": _read_truefalse,
    "shortanswer": _read_shortanswer,
    "numerical": _read_numerical,
    "calculated": _read_calculated,
    "calculatedsimple": _read_calculated,
    "matching": _read_matching,
    "match": _read_matching,
    "ordering": _read_ordering,
    "essay": _read_essay,
    "description": _read_description,
    "cloze": _read_cloze,
    "multianswer": _read_cloze,
}


# ---------------------------------------------------------------- small helpers


def _number(text: str) -> Decimal | None:
    """A finite Decimal from Moodle's text (a decimal comma is accepted), or None."""
    text = text.strip().replace(",", ".")
    if not text or len(text) > 48:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _tidy(value: Decimal) -> Decimal:
    """``1.0000000`` → ``1``, ``0.50`` → ``0.5``: no trailing zeros, never an exponent."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _flag(text: str, *, default: bool) -> bool:
    """Moodle's booleans: "", "0", "false", "no" are false; anything else is true."""
    if not text:
        return default
    return text.strip().lower() not in ("0", "false", "no")


def _clean_path(path: str) -> str:
    """A safe relative file name (``/a/b.png`` → ``a/b.png``), or "" when there is none."""
    parts = [p for p in unicodedata.normalize("NFC", path).replace("\\", "/").split("/") if p]
    if not parts or any(p in (".", "..") or not p.isprintable() for p in parts):
        return ""
    return "/".join(parts)[:200]


def opaque_ids(texts: Iterable[str]) -> list[str]:
    """Ids for choices and entries that reveal neither position nor key: a hash of the text.

    The same text always gets the same id, so a round trip keeps ids; repeats get a suffix.
    """
    ids: list[str] = []
    for text in texts:
        base = "k" + hashlib.sha256(text.encode()).hexdigest()[:6]
        key, n = base, 2
        while key in ids:
            key, n = f"{base}-{n}", n + 1
        ids.append(key)
    return ids


_CODE_PHRASES = {
    "empty": "empty", "too_few": "too few (at least 2 are needed)", "too_long": "too long",
    "no_full_credit_choice": "no answer is worth 100 %",
    "no_full_credit_answer": "no answer is worth 100 %",
    "no_correct_choice": "no answer is marked correct", "duplicate": "repeated",
    "blank_markers_mismatch": "the [[n]] blanks do not match the answers",
    "unknown_placeholder": "a {name} placeholder that is not a variable",
    "unknown_variable": "unknown variable",
    "too_many_values": "a variable with more than a million values",
    "out_of_range": "out of range", "invalid_expression": "not a valid formula",
}
_PATH_NAMES = {"stem": "the question text", "choices": "the answers", "answers": "the answers",
               "lefts": "the matching questions", "rights": "the matching answers",
               "expression": "the formula", "unit": "the unit", "items": "the items",
               "variables": "the variables", "step": "the variables"}
_PATTERN_PHRASES = {"pattern_too_long": "the pattern would be too long",
                    "unsafe_pattern": "too many wildcards to match safely",
                    "invalid_pattern": "not a valid pattern"}


def _spec_reason(err: ItemSpecError) -> str:
    """A readable reason for a spec that does not validate."""
    head = err.path.split(".")[0]
    what = _PATH_NAMES.get(err.path) or _PATH_NAMES.get(head) or err.path or "the question"
    phrase = _CODE_PHRASES.get(err.code, err.code.replace("_", " "))
    return f"{what}: {phrase}" + (f" ({err.detail})" if err.detail else "")


def _markdown_refs(text: str, q: _Question) -> str:
    """Markdown from Moodle: ``@@PLUGINFILE@@/x`` links → ``x`` when the file was kept."""
    def local(match: re.Match) -> str:
        mapped = q.image_src(match.group(2))
        return f"{match.group(1)}{mapped}{match.group(3)}" if mapped else ""

    return re.sub(r"(!\[(?:\\.|[^\]\\])*\]\()(@@PLUGINFILE@@/[^)\s]*)(\))", local, text)


# ================================================================ HTML → Markdown


_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~",
          "strike": "~~", "code": "`"}
_BLOCKS = frozenset({"p", "div", "section", "article", "header", "footer", "center", "address",
                     "figure", "figcaption", "dl", "dt", "dd", "main", "aside", "nav"})
_DROPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "iframe",
                      "object", "svg", "math", "select", "textarea", "button", "audio",
                      "video", "canvas", "map"})
_BR = "\x00"
_MAX_NESTING = 20  #: deeper inline marks and lists are read as plain text
_TEXT_ESCAPES = re.compile(r"([\\`*_\[\]<])")
_LINE_START = re.compile(r"\A(#|>|-|\+|=|~~~|\d+(?=[.)]))")


def html_to_markdown(text: str, image_src: Callable[[str], str | None] | None = None) -> str:
    """Markdown for an HTML fragment; anything unsafe or unknown is dropped (see module doc).

    ``image_src`` maps an ``<img src>`` to the Markdown link target, or None to
    drop the image; without it, images are dropped.
    """
    converter = _HtmlToMarkdown(image_src or (lambda src: None))
    converter.feed(_defuse_html(text))
    converter.close()
    return converter.result()


_LONE_LT = re.compile(r"<(?![A-Za-z/!?][^<>]*>)")


def _defuse_html(text: str) -> str:
    """HTML that `HTMLParser` reads in linear time.

    The parser rescans to the end of the input for every unclosed ``<a`` or
    ``<!--`` (150 kB of ``<a `` took minutes), so comments are removed here (an
    unclosed one hides the rest, as in browsers) and every ``<`` that does not
    open a tag closed before the next ``<`` becomes ``&lt;``.
    """
    kept, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        kept.append(text[pos:start])
        end = text.find("-->", start + 4)
        pos = len(text) if end < 0 else end + 3
    kept.append(text[pos:])
    return _LONE_LT.sub("&lt;", "".join(kept))


class _HtmlToMarkdown(HTMLParser):
    """The converter behind `html_to_markdown`: blocks and inline marks, tracked on stacks."""

    def __init__(self, image_src: Callable[[str], str | None]):
        super().__init__(convert_charrefs=True)
        self.image_src = image_src
        self.blocks: list[tuple[str, bool]] = []  #: (markdown, joined to the previous tightly)
        self.parts: list[str] = []  #: inline Markdown of the block being read
        self.marks: list[tuple[str, int, str]] = []  #: open inline tags: tag, start, target
        self.lists: list[dict] = []
        self.item_marker: str | None = None
        self.heading = self.quote = self.dropping = self.pre = 0
        self.row: list[str] | None = None
        self.table: list[list[str]] | None = None

    # -- parser callbacks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag in _DROPPED:
            self.dropping += 1
        elif self.dropping:
            return
        elif tag == "br":
            self.parts.append("\n" if self.pre else _BR)
        elif tag == "img":
            self._image(attributes)
        elif tag in _MARKS or tag == "a":
            if not self.pre:
                self._open_mark(tag, attributes.get("href", ""))
        else:
            self._start_block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif self.dropping:
            return
        elif tag in _MARKS or tag == "a":
            self._close_mark(tag)
        else:
            self._end_block(tag)

    def handle_data(self, data: str) -> None:
        if self.dropping or (self.table is not None and self.row is None):
            return
        raw = self.pre or any(tag == "code" for tag, _, _ in self.marks)
        self.parts.append(data if raw else _escape(data))

    # -- blocks

    def _start_block(self, tag: str) -> None:
        if tag in _BLOCKS or re.fullmatch(r"h[1-6]|blockquote|pre|hr|ul|ol|li|table", tag):
            self._flush()
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = int(tag[1])
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "hr":
            self.blocks.append(("---", False))
        elif tag in ("ul", "ol") and len(self.lists) < _MAX_NESTING:
            self.lists.append({"ordered": tag == "ol", "n": 0, "width": 2, "first": True})
        elif tag == "li":
            self._start_item()
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.parts, self.marks = [], []

    def _end_block(self, tag: str) -> None:
        if tag in ("td", "th") and self.row is not None:
            self.row.append(self._inline().replace("\n", " ").replace("|", "\\|"))
            self.parts, self.marks = [], []
        elif tag == "tr" and self.row is not None and self.table is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self._end_table()
        elif tag in _BLOCKS or re.fullmatch(r"h[1-6]|blockquote|pre|ul|ol|li", tag):
            self._flush()
            if re.fullmatch(r"h[1-6]", tag):
                self.heading = 0
            elif tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()

    def _start_item(self) -> None:
        if not self.lists:
            self.lists.append({"ordered": False, "n": 0, "width": 2, "first": True})
        current = self.lists[-1]
        current["n"] += 1
        self.item_marker = f"{current['n']}. " if current["ordered"] else "- "
        current["width"] = len(self.item_marker)

    def _end_table(self) -> None:
        rows, self.table, self.row = self.table or [], None, None
        rows = [row for row in rows if any(cell for cell in row)]
        if not rows:
            return
        width = max(len(row) for row in rows)
        lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
        lines.insert(1, "|" + " --- |" * width)
        self.blocks.append(("\n".join(lines), False))

    def _flush(self) -> None:
        """End the current block: decorate its inline text and add it to ``blocks``."""
        if self.row is not None:
            self.parts.append(" ")
            return
        if self.pre:
            text = "".join(self.parts).strip("\n")
            self.parts, self.marks = [], []
            if text:
                fence = "```" if "```" not in text else "~~~~"
                self.blocks.append((f"{fence}\n{text}\n{fence}", False))
            return
        text = self._inline()
        self.parts, self.marks = [], []
        if text:
            self._add_block(text)

    def _add_block(self, text: str) -> None:
        tight = False
        if self.heading:
            text = f"{'#' * self.heading} {text}"
        if self.lists:
            indent = sum(entry["width"] for entry in self.lists[:-1])
            if self.item_marker is not None:
                prefix = " " * indent + self.item_marker
                tight = not self.lists[-1]["first"] or len(self.lists) > 1
                self.lists[-1]["first"] = False
                self.item_marker = None
            else:
                prefix, tight = " " * (indent + self.lists[-1]["width"]), True
            text = prefix + text.replace("\n", "\n" + " " * len(prefix))
        if self.quote:
            depth = min(self.quote, _MAX_NESTING)
            text = "\n".join("> " * depth + line for line in text.split("\n"))
        self.blocks.append((text, tight))

    def _inline(self) -> str:
        """The collected inline Markdown: white space collapsed, line breaks kept."""
        text = "".join(self.parts).replace("\xa0", " ")
        text = re.sub(r"[ \t\n\r\f\v]+", " ", text)
        lines = [_escape_line_start(line.strip()) for line in text.split(_BR)]
        paragraphs, current = [], []
        for line in [*lines, ""]:
            if line:
                current.append(line)
            elif current:
                paragraphs.append("  \n".join(current))
                current = []
        return "\n\n".join(paragraphs)

    # -- inline marks, links and images

    def _open_mark(self, tag: str, href: str) -> None:
        if len(self.marks) >= _MAX_NESTING:
            return
        marker = _MARKS.get(tag, "")
        if any(_MARKS.get(open_tag) == marker for open_tag, _, _ in self.marks) and marker:
            marker = ""
        target = _link_target(href) if tag == "a" else marker
        self.marks.append((tag, len(self.parts), target or ""))

    def _close_mark(self, tag: str) -> None:
        for index in range(len(self.marks) - 1, -1, -1):
            if self.marks[index][0] == tag:
                break
        else:
            return
        _, start, target = self.marks[index]
        del self.marks[index:]
        start = min(start, len(self.parts))
        content = "".join(self.parts[start:])
        del self.parts[start:]
        self.parts.append(_wrap(tag, content, target))

    def _image(self, attributes: dict[str, str]) -> None:
        target = self.image_src(attributes.get("src", ""))
        if target:
            alt = _escape(" ".join(attributes.get("alt", "").split()))
            self.parts.append(f"![{alt}]({target})")

    def result(self) -> str:
        """The Markdown of everything fed so far."""
        self._flush()
        pieces = []
        for text, tight in self.blocks:
            pieces += [("\n" if tight else "\n\n") if pieces else "", text]
        return "".join(pieces).strip()


def _escape(text: str) -> str:
    """Text that Markdown shows as it is: ``\\ ` * _ [ ] <`` escaped, and ``~~`` and entities."""
    text = _TEXT_ESCAPES.sub(r"\\\1", text).replace("~~", "\\~\\~")
    return re.sub(r"&(?=#?[0-9A-Za-z]+;)", r"\\&", text)


def _escape_line_start(line: str) -> str:
    """Escape what would make a line a heading, quote, list item or fence."""
    match = _LINE_START.match(line)
    if match is None:
        return line
    if match.group(1)[0].isdigit():
        end = match.end()
        return f"{line[:end]}\\{line[end:]}"
    return f"\\{line}"


def _wrap(tag: str, content: str, target: str) -> str:
    """Inline Markdown for a closed mark or link; spaces move outside the markers."""
    core = content.strip(" ")
    lead, trail = content[:len(content) - len(content.lstrip(" "))], \
        content[len(content.rstrip(" ")):]
    if not core or _BR in core or not target:
        return content
    if tag == "a":
        return f"{lead}[{core}]({target}){trail}"
    if tag == "code":
        fence = "`" * (max((len(r) for r in re.findall(r"`+", core)), default=0) + 1)
        return f"{lead}{fence}{core}{fence}{trail}"
    return f"{lead}{target}{core}{target}{trail}"


def _link_target(href: str) -> str:
    """A safe link target (http, https, mailto), or "" to keep only the link text."""
    href = href.strip()
    if not re.match(r"(https?:|mailto:)", href, re.IGNORECASE):
        return ""
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# ================================================================ writing


class MoodleExportError(ValueError):
    """Some items have no Moodle form; ``problems`` names each and says why."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class _Unexportable(Exception):
    """This item has no Moodle form; the message says why."""


def check_export(items: list[BankItem]) -> list[ImportProblem]:
    """Why each item that `export` would refuse has no Moodle form."""
    problems = []
    for index, item in enumerate(items):
        try:
            _question_xml(item)
        except _Unexportable as err:
            problems.append(ImportProblem(_item_where(item, index), str(err)))
    return problems


def export(items: list[BankItem]) -> bytes:
    """Moodle XML for ``items``; raises `MoodleExportError` when one cannot be written."""
    out, problems, category = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"], [], None
    for index, item in enumerate(items):
        if item.category != category and (item.category or category is not None):
            out.append(_category_xml(item.category))
        category = item.category
        try:
            out.append(_question_xml(item))
        except _Unexportable as err:
            problems.append(ImportProblem(_item_where(item, index), str(err)))
    if problems:
        raise MoodleExportError(problems)
    out.append("</quiz>\n")
    return "\n".join(out).encode("utf-8")


def _item_where(item: BankItem, index: int) -> str:
    """Where an item came from, or its position and name."""
    label = item.title or default_name(_text_of(item.spec))
    return item.where or f"item {index + 1} ({label})"


def _text_of(spec: ItemSpec) -> str:
    """The text an item's name is derived from (a case study's scenario)."""
    return spec.scenario if isinstance(spec, CaseStudySpec) else spec.stem


def _category_xml(category: str) -> str:
    """The category question that puts the following ones under ``category``."""
    path = "$course$/top" + (f"/{category}" if category else "")
    return (f'  <question type="category">\n    <category>\n      <text>{_cdata(path)}</text>\n'
            "    </category>\n  </question>")


def _question_xml(item: BankItem) -> str:
    """One ``<question>``: the common header, the type's own elements, then the tags."""
    files = dict(item.files)
    qtype, question, body = _WRITERS[type(item.spec)](item.spec, files)
    feedback = _text_field("generalfeedback", item.spec.explanation, 2, "markdown", files)
    used = _referenced(question + feedback + "".join(body))
    spare = "".join(f"\n      {_file_xml(name, data)}" for name, data in files.items()
                    if name not in used)
    question = question.replace("\n    </questiontext>", f"{spare}\n    </questiontext>", 1)
    lines = [f'  <question type="{qtype}">', _text_field("name", _name(item), 2), question,
             feedback, _leaf("defaultgrade", _grade(item.spec.points), 2),
             _leaf("penalty", "0.3333333", 2), _leaf("hidden", "0", 2),
             _leaf("idnumber", item.external_id or "", 2), *body, _tags_xml(item),
             "  </question>"]
    return "\n".join(line for line in lines if line)


def _name(item: BankItem) -> str:
    """The Moodle name of an item: its title, else the start of its text."""
    return item.title or default_name(_text_of(item.spec))


def _tags_xml(item: BankItem) -> str:
    """``<tags>``: the item's tags, then difficulty and statutes as reserved tags."""
    tags = list(item.tags)
    if item.difficulty is not None:
        tags.append(f"difficulty:{item.difficulty}")
    for statute in item.statutes:
        head = f"statute:{statute.get('law', '')}"
        version = statute.get("version", "")
        articles = list(statute.get("articles", []))
        if not articles:
            tags.append(f"{head}|{version}" if version else head)
        tags.extend(f"{head}|{version}|{article}" for article in articles)
    if not tags:
        return ""
    inner = "\n".join(f"      <tag><text>{_cdata(tag)}</text></tag>" for tag in tags)
    return f"    <tags>\n{inner}\n    </tags>"


# ---------------------------------------------------------------- XML text


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cdata(text: str) -> str:
    """Text for an element: CDATA when it holds markup characters, as Moodle writes it."""
    text = _XML_INVALID.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not re.search(r"[<>&]", text):
        return text
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _leaf(tag: str, value: str, depth: int) -> str:
    """``<tag>value</tag>`` at ``depth``."""
    return f"{'  ' * depth}<{tag}>{_cdata(value)}</{tag}>"


def _text_field(tag: str, text: str, depth: int, text_format: str | None = None,
                files: dict[str, bytes] | None = None) -> str:
    """``<tag format=…><text>…</text><file>…</file></tag>`` with the files ``text`` uses."""
    pad = "  " * depth
    fmt = f' format="{text_format}"' if text_format else ""
    text, embedded = _with_files(text, files or {})
    lines = [f"{pad}<{tag}{fmt}>", f"{pad}  <text>{_cdata(text)}</text>"]
    lines += [f"{pad}  {xml}" for xml in embedded]
    lines.append(f"{pad}</{tag}>")
    return "\n".join(lines)


def _stem_field(stem: str, files: dict[str, bytes]) -> str:
    """The ``<questiontext>`` of a Markdown stem."""
    return _text_field("questiontext", stem, 2, "markdown", files)


def _with_files(text: str, files: dict[str, bytes]) -> tuple[str, list[str]]:
    """``text`` with references to ``files`` pointing at ``@@PLUGINFILE@@/``, and the
    ``<file>`` elements it needs."""
    if not files:
        return text, []

    def markdown_ref(match: re.Match) -> str:
        if unquote(match.group(2)) in files:
            return f"{match.group(1)}{PLUGINFILE}{match.group(2)}{match.group(3)}"
        return match.group(0)

    def html_ref(match: re.Match) -> str:
        target = html.unescape(match.group(1))
        if unquote(target) in files:
            return f'src="{PLUGINFILE}{html.escape(target)}"'
        return match.group(0)

    text = re.sub(r"(!\[(?:\\.|[^\]\\])*\]\()([^)\s]+)(\))", markdown_ref, text)
    text = re.sub(r'src="([^"]*)"', html_ref, text)
    used = _referenced(text)
    return text, [_file_xml(name, data) for name, data in files.items() if name in used]


def _referenced(text: str) -> set[str]:
    """The file names ``@@PLUGINFILE@@/`` references in ``text`` point at."""
    return {unquote(html.unescape(ref))
            for ref in re.findall(re.escape(PLUGINFILE) + r'([^)\s"<]+)', text)}


def _file_xml(name: str, data: bytes) -> str:
    """A ``<file>`` element with the base64 content of ``data``."""
    folder, _, base = name.rpartition("/")
    path = f"/{folder}/" if folder else "/"
    return (f'<file name="{html.escape(base)}" path="{html.escape(path)}" encoding="base64">'
            f"{base64.b64encode(data).decode('ascii')}</file>")


def _grade(points: Decimal) -> str:
    """Points as Moodle writes grades (``2.0000000``)."""
    return f"{points:.7f}"


def _fraction(weight: Decimal) -> str:
    """A weight as a fraction attribute (``50``, ``33.33333``)."""
    return str(_tidy(weight))


# ---------------------------------------------------------------- one writer per type


Writer = Callable[[ItemSpec, dict[str, bytes]], tuple[str, str, list[str]]]


def _write_choices(spec: SingleChoiceSpec | MultipleChoiceSpec,
                   files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """multichoice: weights as fractions; all-or-nothing weights shared to total 100."""
    weights = [c.weight for c in spec.choices]
    if isinstance(spec, MultipleChoiceSpec) and spec.scoring is Scoring.ALL_OR_NOTHING:
        weights = _equal_shares(weights)
    body = [_leaf("single", "true" if isinstance(spec, SingleChoiceSpec) else "false", 2),
            _leaf("shuffleanswers", "true" if spec.shuffle else "false", 2),
            _leaf("answernumbering", "abc", 2)]
    body += [_answer_xml(choice.text, weight, "markdown", files=files)
             for choice, weight in zip(spec.choices, weights, strict=True)]
    return "multichoice", _stem_field(spec.stem, files), body


def _equal_shares(weights: list[Decimal]) -> list[Decimal]:
    """Positive weights as equal shares of 100 (unless they already total 100)."""
    positive = [w for w in weights if w > 0]
    if abs(sum(positive, Decimal(0)) - HUNDRED) <= _FRACTION_SLACK:
        return weights
    share = (HUNDRED / len(positive)).quantize(Decimal("0.00001"))
    last = max(i for i, w in enumerate(weights) if w > 0)
    rest = HUNDRED - share * (len(positive) - 1)
    return [(rest if i == last else share) if w > 0 else w for i, w in enumerate(weights)]


def _answer_xml(text: str, fraction: Decimal, text_format: str | None = None,
                extra: str = "", files: dict[str, bytes] | None = None) -> str:
    """``<answer fraction=…>`` with its text, the files the text uses, and ``extra``."""
    fmt = f' format="{text_format}"' if text_format else ""
    text, embedded = _with_files(text, files or {})
    attached = "".join(f"      {xml}\n" for xml in embedded)
    return (f'    <answer fraction="{_fraction(fraction)}"{fmt}>\n'
            f"      <text>{_cdata(text)}</text>\n{attached}{extra}    </answer>")


def _write_true_false(spec: TrueFalseSpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """truefalse: the right answer gets fraction 100."""
    return "truefalse", _stem_field(spec.stem, files), [
        _answer_xml("true", HUNDRED if spec.answer else Decimal(0), "moodle_auto_format"),
        _answer_xml("false", Decimal(0) if spec.answer else HUNDRED, "moodle_auto_format")]


def _write_fill_blank(spec: FillBlankSpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """shortanswer for one blank, cloze for several."""
    if len(spec.blanks) > 1:
        return _write_cloze_blanks(spec, files)
    blank = spec.blanks[0]
    stem = spec.stem[:-6] if spec.stem.endswith(" [[1]]") else spec.stem.replace("[[1]]",
                                                                                   r"\_" * 5)
    body = [_leaf("usecase", "1" if blank.case_sensitive else "0", 2)]
    body += [_answer_xml(answer, HUNDRED, "moodle_auto_format") for answer in _sa_answers(blank)]
    return "shortanswer", _stem_field(stem, files), body


def _sa_answers(blank: Blank) -> list[str]:
    """A blank's answers for Moodle: literal ``*`` escaped, the pattern as wildcards."""
    answers = [a.replace("*", "\\*") for a in blank.accepted]
    if blank.pattern is not None:
        wildcards = _wildcards(blank.pattern)
        if wildcards is None:
            raise _Unexportable(f"blank {blank.number} uses a regular expression; Moodle short "
                                "answers only know the * wildcard")
        answers += wildcards
    return answers


def _wildcards(pattern: str) -> list[str] | None:
    """The ``*`` answers a pattern made by `_wildcard_pattern` came from, else None."""
    body = pattern[3:-1] if pattern.startswith("(?:") and pattern.endswith(")") else pattern
    answers, current, i = [], [], 0
    while i < len(body):
        char = body[i]
        if body.startswith(".*", i):
            current.append("*")
            i += 2
            continue
        if char == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            current.append("\\*" if body[i + 1] == "*" else body[i + 1])
            i += 2
            continue
        if char == "|":
            answers.append("".join(current))
            current = []
        elif char in ".^$*+?{}[]()\\":
            return None
        else:
            current.append(char)
        i += 1
    answers.append("".join(current))
    return answers if all(answers) else None


def _write_numeric(spec: NumericSpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """numerical: absolute tolerances (relative ones scaled by the value) and the unit."""
    body = [_answer_xml(str(a.value), a.weight, "moodle_auto_format",
                        f"      <tolerance>{_tidy(_absolute(a))}</tolerance>\n")
            for a in spec.answers]
    body += _units_xml(spec.unit, spec.unit_policy)
    return "numerical", _stem_field(spec.stem, files), body


def _absolute(answer: NumericAnswer) -> Decimal:
    """An answer's tolerance as an absolute margin."""
    if answer.tolerance_kind is ToleranceKind.ABSOLUTE:
        return answer.tolerance
    return abs(answer.value) * answer.tolerance


def _units_xml(unit: str | None, policy: UnitPolicy) -> list[str]:
    """The unit elements: the base unit and whether it is graded."""
    if unit is None:
        return [_leaf("showunits", "3", 2)]
    required = policy is UnitPolicy.REQUIRED
    return ["    <units>\n      <unit>\n        <multiplier>1</multiplier>\n"
            f"        <unit_name>{_cdata(unit)}</unit_name>\n      </unit>\n    </units>",
            _leaf("unitgradingtype", "1" if required else "0", 2),
            _leaf("unitpenalty", "1.0000000" if required else "0.1000000", 2),
            _leaf("showunits", "0", 2), _leaf("unitsleft", "0", 2)]


def _write_parametric(spec: ParametricSpec,
                      files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """calculatedsimple: the formula with ``{x}``, one dataset per variable."""
    if spec.expression is None:
        raise _Unexportable("calculator-based parametric items have no Moodle form")
    tolerance_type = "1" if spec.tolerance_kind is ToleranceKind.RELATIVE else "2"
    extra = (f"      <tolerance>{_tidy(spec.tolerance)}</tolerance>\n"
             f"      <tolerancetype>{tolerance_type}</tolerancetype>\n"
             "      <correctanswerformat>1</correctanswerformat>\n"
             f"      <correctanswerlength>{spec.places}</correctanswerlength>\n")
    body = [_leaf("synchronize", "0", 2), _leaf("single", "0", 2),
            _leaf("answernumbering", "abc", 2), _leaf("shuffleanswers", "0", 2),
            _answer_xml(to_moodle_formula(spec.expression), HUNDRED, None, extra)]
    body += _units_xml(spec.unit, spec.unit_policy)
    body.append(_datasets_xml(spec))
    return "calculatedsimple", _stem_field(spec.stem, files), body


def to_moodle_formula(expression: str) -> str:
    """Our formula in Moodle's syntax: variables as ``{x}``, × ÷ − as * / -."""
    formula = expression.replace("×", "*").replace("÷", "/").replace("−", "-")
    return re.sub(r"(?<![\w.])([^\W\d]\w*)(?!\w)(?!\s*\()", r"{\1}", formula)


def _datasets_xml(spec: ParametricSpec) -> str:
    """``<dataset_definitions>`` with `DATASET_ITEMS` values drawn as candidates get them."""
    draws = [instantiate(spec, seed) for seed in range(DATASET_ITEMS)]
    parts = ["    <dataset_definitions>"]
    for variable in spec.variables:
        places = variable_places(variable)
        items = "\n".join(
            f"          <dataset_item><number>{n}</number>"
            f"<value>{draw[variable.name]:.{places}f}</value></dataset_item>"
            for n, draw in enumerate(draws, 1))
        parts.append(
            "      <dataset_definition>\n"
            "        <status><text>private</text></status>\n"
            f"        <name><text>{variable.name}</text></name>\n"
            "        <type>calculatedsimple</type>\n"
            "        <distribution><text>uniform</text></distribution>\n"
            f"        <minimum><text>{variable.min}</text></minimum>\n"
            f"        <maximum><text>{variable.max}</text></maximum>\n"
            f"        <decimals><text>{places}</text></decimals>\n"
            f"        <itemcount>{DATASET_ITEMS}</itemcount>\n"
            f"        <dataset_items>\n{items}\n        </dataset_items>\n"
            f"        <number_of_items>{DATASET_ITEMS}</number_of_items>\n"
            "      </dataset_definition>")
    parts.append("    </dataset_definitions>")
    return "\n".join(parts)


def _write_matching(spec: MatchingSpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """matching: one subquestion per left; rights nobody pairs with as empty subquestions."""
    rights = {e.id: e.text for e in spec.rights}
    used = set(spec.key.values())
    subs = [(left.text, rights[spec.key[left.id]]) for left in spec.lefts]
    subs += [("", e.text) for e in spec.rights if e.id not in used]
    body = [_leaf("shuffleanswers", "true" if spec.shuffle else "false", 2)]
    body += [_subquestion_xml(left, right, files) for left, right in subs]
    return "matching", _stem_field(spec.stem, files), body


def _subquestion_xml(left: str, right: str, files: dict[str, bytes]) -> str:
    """A matching ``<subquestion>`` with the files its text uses."""
    left, embedded = _with_files(left, files)
    attached = "".join(f"      {xml}\n" for xml in embedded)
    return (f'    <subquestion format="markdown">\n      <text>{_cdata(left)}</text>\n'
            f"{attached}      <answer>\n        <text>{_cdata(right)}</text>\n      </answer>\n"
            "    </subquestion>")


def _write_ordering(spec: OrderingSpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """ordering (qtype_ordering): all items shown, in the correct order."""
    body = [_leaf("layouttype", "VERTICAL", 2), _leaf("selecttype", "ALL", 2),
            _leaf("selectcount", "0", 2), _leaf("gradingtype", _ORDER_GRADING[spec.scoring], 2),
            _leaf("showgrading", "SHOW", 2)]
    body += [_answer_xml(item.text, Decimal(n), "markdown", files=files)
             for n, item in enumerate(spec.items, 1)]
    return "ordering", _stem_field(spec.stem, files), body


def _write_essay(spec: EssaySpec, files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """essay: the rubric as grader information, the word limit as maxwordlimit."""
    if len(spec.rubric) == 1:
        guidance = spec.rubric[0].description
    else:
        guidance = "\n".join(f"- **{c.name}** ({_tidy(c.points)}): {c.description}".rstrip(": ")
                             for c in spec.rubric)
    body = [_leaf("responseformat", "editor", 2), _leaf("responserequired", "1", 2),
            _leaf("responsefieldlines", "15", 2),
            _leaf("minwordlimit", "", 2),
            _leaf("maxwordlimit", str(spec.word_limit or ""), 2),
            _leaf("attachments", "0", 2), _leaf("attachmentsrequired", "0", 2),
            _text_field("graderinfo", guidance, 2, "markdown", files),
            _text_field("responsetemplate", "", 2, "markdown")]
    return "essay", _stem_field(spec.stem, files), body


def _write_description(spec: DescriptionSpec,
                       files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """description: the text only."""
    return "description", _stem_field(spec.stem, files), []


# ---------------------------------------------------------------- cloze


def _write_cloze_blanks(spec: FillBlankSpec,
                        files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """A fill-in item with several blanks as a cloze of SHORTANSWER parts."""
    marks = _whole_marks([b.weight for b in spec.blanks])
    codes = {b.number: _sa_code(b, mark) for b, mark in zip(spec.blanks, marks, strict=True)}
    return "cloze", _cloze_field(spec.stem, codes, files), []


def _write_case_study(spec: CaseStudySpec,
                      files: dict[str, bytes]) -> tuple[str, str, list[str]]:
    """A case study of choice, number and one-blank parts as a cloze."""
    scenario, numbers = spec.scenario, [int(n) for n in BLANK_MARKER.findall(spec.scenario)]
    if numbers != list(range(1, len(spec.sub_items) + 1)):
        scenario = "\n\n".join([scenario] + [_appended_part(n, sub.spec) for n, sub in
                                             enumerate(spec.sub_items, 1)])
    if spec.stem != CASE_STEM:
        scenario = f"{spec.stem}\n\n{scenario}"
    misfits = [f"{sub.id} ({_part_kind(sub.spec)})" for sub in spec.sub_items
               if not _fits_cloze(sub.spec)]
    if misfits:
        raise _Unexportable(f"sub-items {', '.join(misfits)} cannot be part of a Moodle cloze "
                            "(only choices, numbers and one-blank fill-ins can)")
    codes = {n: _part_code(sub.spec) for n, sub in enumerate(spec.sub_items, 1)}
    return "cloze", _cloze_field(scenario, codes, files), []


def _fits_cloze(spec: ItemSpec) -> bool:
    """Whether a sub-item can be an embedded answer."""
    if isinstance(spec, FillBlankSpec):
        return len(spec.blanks) == 1
    return isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec | NumericSpec)


def _part_kind(spec: ItemSpec) -> str:
    """A sub-item's type, as a problem names it."""
    if isinstance(spec, FillBlankSpec):
        return f"fill-in with {len(spec.blanks)} blanks"
    return spec.item_type.value.replace("_", " ")


def _appended_part(number: int, spec: ItemSpec) -> str:
    """The paragraph that places a sub-item when the scenario has no ``[[n]]``."""
    if isinstance(spec, FillBlankSpec) and len(spec.blanks) == 1:
        return spec.stem.replace("[[1]]", f"[[{number}]]")
    return f"{spec.stem} [[{number}]]"


def _part_code(spec: ItemSpec) -> str:
    """The ``{mark:TYPE:…}`` code of one case-study sub-item."""
    if spec.points != spec.points.to_integral_value():
        raise _Unexportable("sub-items of a Moodle cloze are worth whole points")
    mark = int(spec.points)
    if isinstance(spec, FillBlankSpec) and len(spec.blanks) == 1:
        return _sa_code(spec.blanks[0], mark)
    if isinstance(spec, NumericSpec):
        answers = "~".join(f"{_cloze_weight(a.weight)}{a.value}:{_tidy(_absolute(a))}"
                           for a in spec.answers)
        return f"{{{mark}:NUMERICAL:{answers}}}"
    assert isinstance(spec, SingleChoiceSpec | MultipleChoiceSpec)  # see _fits_cloze
    return _choice_code(spec, mark)


def _choice_code(spec: SingleChoiceSpec | MultipleChoiceSpec, mark: int) -> str:
    """A MULTICHOICE or MULTIRESPONSE code for a choice sub-item."""
    single = isinstance(spec, SingleChoiceSpec)
    kind = ("MULTICHOICE" if single else "MULTIRESPONSE") + ("_S" if spec.shuffle else "")
    weights = [c.weight for c in spec.choices]
    if not single and spec.scoring is Scoring.ALL_OR_NOTHING:
        weights = _equal_shares(weights)
    options = "~".join(f"{_cloze_weight(w, exact=not single)}{_cloze_html_answer(c.text)}"
                       for c, w in zip(spec.choices, weights, strict=True))
    return f"{{{mark}:{kind}:{options}}}"


def _sa_code(blank: Blank, mark: int) -> str:
    """A SHORTANSWER code for a one-blank sub-item."""
    kind = "SHORTANSWER_C" if blank.case_sensitive else "SHORTANSWER"
    answers = "~".join(f"={_cloze_escape(a)}" for a in _sa_answers(blank))
    return f"{{{mark}:{kind}:{answers}}}"


def _cloze_weight(weight: Decimal, *, exact: bool = False) -> str:
    """An answer's weight prefix in a cloze code (``=`` or ``%50%``)."""
    return "=" if weight == HUNDRED and not exact else f"%{_tidy(weight)}%"


def _cloze_escape(text: str) -> str:
    """A raw answer inside a cloze code: HTML-escaped, with ``~ # }`` as entities."""
    return (html.escape(text, quote=False).replace("#", "&#35;").replace("~", "&#126;")
            .replace("}", "&#125;"))


def _cloze_html_answer(markdown: str) -> str:
    """A choice's Markdown as the (entity-encoded) HTML Moodle expects in a cloze code."""
    rendered = render_markdown(markdown).strip()
    match = re.fullmatch(r"<p>(.*)</p>", rendered, re.DOTALL)
    return _cloze_escape(match.group(1) if match else rendered)


def _whole_marks(weights: list[Decimal]) -> list[int]:
    """Blank weights as whole cloze marks, scaled by a power of ten when needed."""
    scale = Decimal(1)
    while any(w * scale != (w * scale).to_integral_value() for w in weights):
        scale *= 10
        if scale > 1000:
            raise _Unexportable("blank weights with more than three decimals cannot be "
                                "written as cloze marks")
    return [int(w * scale) for w in weights]


def _cloze_field(markdown: str, codes: dict[int, str], files: dict[str, bytes]) -> str:
    """The ``<questiontext format="html">`` of a cloze: Markdown rendered, codes put in."""
    tokens = BLANK_MARKER.sub(lambda m: f"\ue000{m.group(1)}\ue001", markdown)
    rendered = render_markdown(tokens).strip()
    missing = sorted(set(codes) - {int(n) for n in _GAP_TOKEN.findall(rendered)})
    if missing:
        raise _Unexportable(f"the text has no place marked for part(s) {missing}")
    text = _GAP_TOKEN.sub(lambda m: codes.get(int(m.group(1)), ""), rendered)
    return _text_field("questiontext", text, 2, "html", files)


_WRITERS: dict[type, Writer] = {
    SingleChoiceSpec: _write_choices,
    MultipleChoiceSpec: _write_choices,
    TrueFalseSpec: _write_true_false,
    FillBlankSpec: _write_fill_blank,
    NumericSpec: _write_numeric,
    ParametricSpec: _write_parametric,
    MatchingSpec: _write_matching,
    OrderingSpec: _write_ordering,
    EssaySpec: _write_essay,
    CaseStudySpec: _write_case_study,
    DescriptionSpec: _write_description,
}

__all__ = ["MOODLE_GRADES", "MoodleExportError", "check_export",
           "default_name", "export", "html_to_markdown", "moodle_formula", "opaque_ids",
           "parse", "to_moodle_formula"]
