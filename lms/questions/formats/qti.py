"""IMS QTI: read QTI 2.0–2.2 and 3.0 items and content packages, write QTI 2.1 packages.

``parse(data, *, filename)`` accepts a single ``assessmentItem`` XML file or an
IMS content package (a zip with ``imsmanifest.xml`` at its root).
``export(items)`` writes a QTI 2.1 content package that ``parse`` reads back.

Whole-file failures raise `FormatError` (not XML, a DTD, not a QTI item, a
corrupt zip, a zip bomb, an unsafe entry name, no manifest, a manifest that is
not well-formed, a manifest nested in a folder). Everything about one item
becomes an `ImportProblem` at ``file:line`` or ``file/entry:line`` and the
other items are still read. An item that is imported with a loss (a partial-
credit answer our model cannot hold, an image file that is not imported, …)
is imported *and* reported with a reason starting "imported, but".

Reading (QTI 3 ``qti-`` names are mapped onto the QTI 2 names first)

================================  ======================================================
QTI                               item
================================  ======================================================
choiceInteraction, cardinality    `SingleChoiceSpec`; two choices that read true/false
single                            (ids ``true``/``false`` or 正确/错误, 对/错, True/False,
                                  Richtig/Falsch …) give `TrueFalseSpec`
choiceInteraction, cardinality    `MultipleChoiceSpec`: match_correct → all-or-nothing;
multiple                          map_response → partial, weight = mapped value ÷ sum of
                                  positive mapped values × 100 (unmapped choices take
                                  ``defaultValue``); lowerBound ≥ 0 → floor_at_zero
textEntryInteraction × n          `FillBlankSpec`, blanks ``[[1]]``… in document order
                                  (or by ``RESPONSE_n``); accepted answers = mapping keys
                                  with the highest mapped value + correctResponse;
                                  caseSensitive → case_sensitive; patternMatch in the
                                  responseProcessing → pattern; float/integer blanks also
                                  accept 4, 4.0, +4.00 …
one float/integer textEntry       `NumericSpec`: ``equal`` rules of the responseProcessing
                                  (tolerance; relative tolerance is a percentage in QTI)
                                  and their SCORE, else mapping, else correctResponse
extendedTextInteraction           `EssaySpec`, one rubric criterion worth the item's
                                  points (``rubricBlock view="scorer"`` text is its
                                  description); expectedLength → word_limit
no interaction                    `DescriptionSpec`
================================  ======================================================

* points: the ``MAXSCORE`` outcome's default, else ``SCORE``'s normalMaximum,
  else what the mapping can earn, else 1 (match_correct scores 1).
* responseProcessing: the templates match_correct and map_response (QTI 2.0,
  2.1, 2.2 and 3.0 URIs, with or without ``.xml``); custom processing is
  accepted when correctResponse or the mapping give the key (and is read for
  mapResponse, patternMatch, ``and`` over every blank and numeric ``equal``).
* stem: the itemBody (prompts included, choices excluded) as Markdown;
  ``rubricBlock view="candidate"`` is kept, feedback is not. explanation:
  every modalFeedback / feedbackBlock / feedbackInline text.
* identifier → external_id, title → title; from the manifest's LOM metadata:
  general/keyword → tags, educational/difficulty → difficulty,
  classification (purpose discipline) → category, relation (references) →
  statutes, general/identifier (catalog ``UnionCadre Academy``) → external_id.
* packages: resources of type imsqti_item_xmlv2p0/v2p1/v2p2/v3p0 are read,
  and so is every item an assessmentTest resource refers to; a test reference
  to a file missing from the package is reported. Hrefs are resolved inside
  the zip only: absolute paths, URLs and ``..`` that would leave the package
  are refused (``..`` that stays inside, as in ``tests/t/../../items/a.xml``,
  is resolved). Assets (images, CSS) are not imported.

Not supported (reported per item): other interactions (hottext, hotspot,
match, order, associate, gap match, inline choice, slider, upload …), several
interactions of different kinds in one item, adaptive and template items,
other response processing templates, QTI 1.x.

Writing (QTI 2.1): single choice, true/false, multiple choice, fill-in-blank,
numeric, essay and description. Matching, ordering, parametric and case
study items make `export` raise `ValueError` naming them — nothing is
skipped silently. Stems, choices and explanations are written as text inside
``class="uca-md"`` elements (paragraphs ``<p>``, line breaks ``<br/>``, the
Markdown kept as typed) so they come back character for character. QTI has
no place for, and a round trip therefore resets: ``unit_policy``; blank
``fold_width`` / ``ignore_spaces`` (the model's defaults on import); blank
weights come back scaled so the smallest is 1 (same shares of the points);
a blank with a pattern and no accepted answer comes back case-sensitive
(QTI patternMatch is); accepted answers come back trimmed and each once (QTI
mapping keys are unique; scoring trims anyway);
numeric answers come back best weight first; an empty title becomes the start
of the stem; choice ids that are not QTI identifiers become ``choice_N``. Text
with a control character XML cannot hold makes `export` raise `ValueError`.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from posixpath import dirname
from urllib.parse import unquote

# Only used to *build* XML for export; every parse goes through defusedxml.
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from lms.domain.items import (
    BLANK_MARKER,
    CENT,
    HUNDRED,
    MAX_ID_LENGTH,
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
)
from lms.domain.patterns import pattern_problem
from lms.questions.formats.base import (
    MAX_FILE_BYTES,
    BankItem,
    FormatError,
    ImportProblem,
    ParseResult,
)

#: problem codes for items that were imported with something left out
LOSSY_CODES = frozenset({"lossy"})

MB = 1024 * 1024

# ---------------------------------------------------------------- limits

MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED_BYTES = 100 * MB  #: all entries of a package together
MAX_ENTRY_BYTES = 10 * MB  #: one XML file read from a package
MAX_COMPRESSION_RATIO = 100  #: uncompressed ÷ compressed, checked for entries over 1 MB
RATIO_CHECKED_FROM = 1 * MB

# ---------------------------------------------------------------- names

QTI_NAMESPACES = {
    "http://www.imsglobal.org/xsd/imsqti_v2p0": "2.0",
    "http://www.imsglobal.org/xsd/imsqti_v2p1": "2.1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2": "2.2",
    "http://www.imsglobal.org/xsd/imsqtiasi_v3p0": "3.0",
}
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI21_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
IMSCP = "http://www.imsglobal.org/xsd/imscp_v1p1"
IMSCP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
LOM = "http://ltsc.ieee.org/xsd/LOM"
LOM_XSD = "http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TEMPLATE_BASE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
CATALOG = "UnionCadre Academy"  #: LOM identifier catalog and taxon source of our own exports

ITEM_RESOURCE = re.compile(r"imsqti_item_xmlv(2p[012]|3p0)")
TEST_RESOURCE = re.compile(r"imsqti_test_xmlv(2p[012]|3p0)")
OLD_QTI_RESOURCE = re.compile(r"imsqti_xmlv1p\d|imsqti_.*v1p\d")

SUPPORTED_INTERACTIONS = ("choiceInteraction", "textEntryInteraction", "extendedTextInteraction")


def _is_interaction(element: ET.Element) -> bool:
    return element.tag.endswith("Interaction") or element.tag == "positionObjectStage"


DIFFICULTY_WORDS = {1: "very easy", 2: "easy", 3: "medium", 4: "difficult", 5: "very difficult"}
DIFFICULTY_LEVELS = {word: level for level, word in DIFFICULTY_WORDS.items()}

TRUE_WORDS = frozenset({"true", "正确", "对", "是", "√", "✓", "richtig", "wahr", "vrai",
                        "verdadero", "vero", "juist", "waar", "t"})
FALSE_WORDS = frozenset({"false", "错误", "错", "否", "×", "✗", "falsch", "faux", "falso",
                         "onjuist", "niet waar", "f"})

#: NCName, the QTI identifier type (letters in the broad Unicode sense)
IDENTIFIER = re.compile(r"[^\W\d][\w.\-\u00b7]*")
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# attributes allowed on the elements whose meaning we read (QTI 2.1/2.2/3.0 schemas);
# namespaced ones (xml:lang, xsi:…) and data-*/aria-* are always allowed
_BODY = frozenset({"id", "class", "label", "dir", "title", "lang"})
ALLOWED_ATTRIBUTES = {
    "assessmentItem": {"identifier", "title", "label", "adaptive", "timeDependent", "toolName",
                       "toolVersion", "lang"},
    "responseDeclaration": {"identifier", "cardinality", "baseType"},
    "outcomeDeclaration": {"identifier", "cardinality", "baseType", "view", "interpretation",
                           "longInterpretation", "normalMaximum", "normalMinimum",
                           "masteryValue", "externalScored", "variableIdentifierRef"},
    "correctResponse": {"interpretation"},
    "defaultValue": {"interpretation"},
    "value": {"fieldIdentifier", "baseType"},
    "mapping": {"lowerBound", "upperBound", "defaultValue"},
    "mapEntry": {"mapKey", "mappedValue", "caseSensitive"},
    "choiceInteraction": _BODY | {"responseIdentifier", "shuffle", "maxChoices", "minChoices",
                                  "orientation", "minSelectionsMessage",
                                  "maxSelectionsMessage"},
    "simpleChoice": _BODY | {"identifier", "fixed", "templateIdentifier", "showHide"},
    "textEntryInteraction": _BODY | {"responseIdentifier", "base", "stringIdentifier",
                                     "expectedLength", "patternMask", "placeholderText",
                                     "format", "patternMaskMessage"},
    "extendedTextInteraction": _BODY | {"responseIdentifier", "base", "stringIdentifier",
                                        "expectedLength", "patternMask", "placeholderText",
                                        "maxStrings", "minStrings", "expectedLines", "format",
                                        "patternMaskMessage", "countCharacters"},
    "responseProcessing": {"template", "templateLocation"},
}
CARDINALITIES = frozenset({"single", "multiple", "ordered", "record"})
BASE_TYPES = frozenset({"identifier", "boolean", "integer", "float", "string", "point", "pair",
                        "directedPair", "duration", "file", "uri", "intOrIdentifier"})

BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "address", "dl", "dt", "dd",
                    "section", "article", "aside", "header", "footer", "nav", "figure",
                    "figcaption", "caption", "center", "prompt", "itemBody", "contentBody"})
SKIPPED = frozenset({"feedbackBlock", "feedbackInline", "modalFeedback", "templateBlock",
                     "templateInline", "stylesheet", "printedVariable", "catalogInfo",
                     "apipAccessibility", "companionMaterialsInfo", "script", "style"})


# ---------------------------------------------------------------- numbers

#: a blank's share of the points is written to 12 significant digits, so the shares keep
#: the blanks' weight ratios even for an item worth 0.01
SHARE_DIGITS = Context(prec=12, rounding=ROUND_HALF_UP)


def _decimal(text: str | None) -> Decimal | None:
    """A finite decimal from QTI text (``1.0``, ``-2``, ``1E3``), else None."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent (``1E+2`` → ``100``)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _weight_ratio(share: Decimal, smallest: Decimal) -> Decimal:
    """A blank's weight from its share: the shares carry 12 significant digits, so
    the ratio is first cut to 10 (dropping their rounding noise, e.g. 1.2187499999
    for 1.21875) and then rounded half up to 4 places."""
    ratio = Context(prec=10).create_decimal(share / smallest)
    return _plain(ratio.quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _num(value: Decimal) -> str:
    return format(_plain(value), "f")


def _percentages(values: dict[str, Decimal], whole: Decimal) -> dict[str, Decimal]:
    """``value ÷ whole × 100`` to five places; the positive ones are evened out to total 100
    when they should (when they add up to ``whole``)."""
    places = Decimal("0.00001")
    out = {key: _plain((v / whole * HUNDRED).quantize(places, ROUND_HALF_UP))
           for key, v in values.items()}
    positive = [key for key, v in values.items() if v > 0]
    if positive and sum(values[k] for k in positive) == whole:
        out[positive[-1]] = _plain(out[positive[-1]] + HUNDRED - sum(out[k] for k in positive))
    return out


def _numeric_pattern(value: Decimal) -> str | None:
    """A fill-in pattern that accepts the ways of writing ``value`` (``4`` → 4, 4.0, +04.00)."""
    text = _num(value)
    sign, digits = ("-", text[1:]) if text.startswith("-") else (r"\+?", text)
    whole, _, fraction = digits.partition(".")
    body = f"{sign}0*{re.escape(whole)}" if whole != "0" else f"{sign}0*"
    body += rf"\.{fraction}0*" if fraction else r"(?:\.0*)?"
    if whole == "0" and not fraction:
        body = r"[+-]?0*(?:\.0*)?"
    return body if pattern_problem(body) is None else None


# ---------------------------------------------------------------- safe XML reading


@dataclass
class _Doc:
    """A parsed XML file: namespaces stripped, QTI 3 names mapped to QTI 2 ones, lines kept."""

    root: ET.Element
    lines: dict[int, int]
    root_namespace: str
    root_name: str  #: the root's local name as written (``qti-assessment-item``)

    def line(self, element: ET.Element | None = None) -> int:
        return self.lines.get(id(self.root if element is None else element), 1)


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _element_name(tag: str) -> str:
    local = _local(tag)[1]
    return _camel(local[4:]) if local.startswith("qti-") else local


class _Builder(ET.TreeBuilder):
    """Records each element's line and renames elements as `_Doc` describes."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.expat = None
        self.root_namespace: str | None = None
        self.root_name = ""

    def start(self, tag, attrs):  # type: ignore[override]
        namespace, local = _local(tag)
        if self.root_namespace is None:
            self.root_namespace, self.root_name = namespace, local
        if local.startswith("qti-"):
            attrs = {(key if key.startswith(("{", "data-", "aria-")) else _camel(key)): value
                     for key, value in attrs.items()}
        element = super().start(_element_name(tag), attrs)
        self.lines[id(element)] = self.expat.CurrentLineNumber if self.expat else 1
        return element

    def end(self, tag):  # type: ignore[override]
        return super().end(_element_name(tag))


def _parse_xml(data: bytes, where: str) -> _Doc:
    """Parse with defusedxml (no DTDs, no entities); `FormatError` at ``where:line``."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        line = parser.parser.CurrentLineNumber
        raise FormatError(f"{where}:{line}", "XML with a DOCTYPE, DTD or entity declaration is "
                          "refused (they allow XXE and entity-expansion attacks); QTI needs "
                          "none") from None
    except ParseError as err:
        line, column = getattr(err, "position", (0, 0))
        message = str(err).split(":")[0]
        raise FormatError(f"{where}:{line}", f"not well-formed XML: {message} "
                          f"(line {line}, column {column + 1})") from None
    except (ValueError, LookupError) as err:  # unknown encoding and the like
        raise FormatError(where, f"cannot read the XML: {err}") from None
    return _Doc(root, builder.lines, builder.root_namespace or "", builder.root_name)


def _qti_version(doc: _Doc) -> str:
    """The QTI version of an item or test document; raises `_Skip` when the names and the
    namespace do not agree."""
    version = QTI_NAMESPACES.get(doc.root_namespace)
    name = doc.root_name
    if version is None:
        found = doc.root_namespace or "no namespace"
        raise _Skip(None, f"<{name}> is not in a QTI namespace (found {found}); expected "
                    f"{QTI21} (or the QTI 2.0, 2.2 or 3.0 namespace)")
    if name.startswith("qti-") and version != "3.0":
        raise _Skip(None, f"QTI 3 element names (<{name}>) in the QTI {version} namespace "
                    f"{doc.root_namespace}; QTI 3 items must use "
                    "http://www.imsglobal.org/xsd/imsqtiasi_v3p0")
    if not name.startswith("qti-") and version == "3.0":
        raise _Skip(None, f"QTI 2 element name <{name}> in the QTI 3.0 namespace; QTI 3 "
                    "names start with qti- (qti-assessment-item)")
    return version


def _classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if child.tag == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((child for child in element if child.tag == name), None)


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


# ---------------------------------------------------------------- zip reading


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or re.match(r"[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def _open_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as err:
        raise FormatError(filename, f"not a readable zip archive ({err})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise FormatError(filename, f"the zip holds {len(infos)} entries; at most "
                          f"{MAX_ZIP_ENTRIES} are accepted")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FormatError(filename, f"the zip unpacks to {total / MB:.0f} MB; at most "
                          f"{MAX_UNCOMPRESSED_BYTES // MB} MB are accepted")
    for info in infos:
        if _unsafe_name(info.filename):
            raise FormatError(f"{filename}/{info.filename}", "unsafe entry name (an absolute "
                              "path, a drive letter, a backslash or '..'); the package is "
                              "refused")
        if (info.file_size > RATIO_CHECKED_FROM
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
            raise FormatError(f"{filename}/{info.filename}", "compressed more than "
                              f"{MAX_COMPRESSION_RATIO}:1 ({info.compress_size} bytes unpack to "
                              f"{info.file_size}); refused as a possible zip bomb")
    return archive


class _EntryError(Exception):
    pass


def _read_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """An entry's bytes, never more than `MAX_ENTRY_BYTES`; `_EntryError` says why not."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise _EntryError("the entry is encrypted")
    if info.file_size > MAX_ENTRY_BYTES:
        raise _EntryError(f"the entry is {info.file_size / MB:.1f} MB; XML files of at most "
                          f"{MAX_ENTRY_BYTES // MB} MB are read")
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_ENTRY_BYTES + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
            ValueError) as err:
        raise _EntryError(f"cannot unpack the entry ({err})") from None
    except Exception as err:  # zlib.error and friends from a damaged stream
        raise _EntryError(f"cannot unpack the entry ({type(err).__name__}: {err})") from None
    if len(data) > MAX_ENTRY_BYTES:
        raise _EntryError(f"the entry unpacks to more than {MAX_ENTRY_BYTES // MB} MB")
    return data


def _resolve(base: str, href: str) -> str | None:
    """``href`` (a URI reference, relative to the folder ``base``) as a zip entry name, or
    None when it is absolute, a URL, or climbs out of the package."""
    href = href.strip().split("#", 1)[0].split("?", 1)[0]
    if not href or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", href):
        return None
    href = unquote(href)
    if href.startswith(("/", "\\")) or "\\" in href:
        return None
    parts: list[str] = []
    for segment in f"{base}/{href}".split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(segment)
    return "/".join(parts) or None


# ---------------------------------------------------------------- HTML → Markdown


def _collapse(text: str) -> str:
    return re.sub(r"[ \t\r\n\f]+", " ", text)


class _Markdown:
    """The Markdown of QTI/XHTML content.

    ``on_interaction(element)`` returns the text that stands for an interaction
    (``[[1]]`` for a blank, ``""`` for a choice list); prompts are kept as
    paragraphs. Elements with the class ``uca-md`` (our own export) hold
    Markdown verbatim: ``<p>`` separates paragraphs and ``<br/>`` is a newline.
    """

    def __init__(self, on_interaction: Callable[[ET.Element], str], assets: list[str]):
        self.on_interaction = on_interaction
        self.assets = assets
        self.blocks: list[str] = []
        self.buffer: list[str] = []

    def convert(self, element: ET.Element) -> str:
        """The Markdown of ``element``'s content."""
        self._content(element)
        return self._result()

    def _sub(self, element: ET.Element) -> str:
        return _Markdown(self.on_interaction, self.assets).convert(element)

    def _result(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks)

    def _flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
        text = "\n".join(lines).strip("\n")
        if text.strip():
            self.blocks.append(text)

    def _raw(self, text: str) -> None:
        self._flush()
        if text:
            self.blocks.append(text)

    def _content(self, element: ET.Element) -> None:
        if element.text:
            self.buffer.append(_collapse(element.text))
        for child in element:
            self._element(child)
            if child.tail:
                self.buffer.append(_collapse(child.tail))

    def verbatim(self, element: ET.Element) -> str:
        """Our own Markdown, exactly as written (see the class docstring)."""
        paragraphs = _children(element, "p")
        if paragraphs and len(paragraphs) == len(element):
            return "\n\n".join(self.verbatim(p) for p in paragraphs)
        parts = [element.text or ""]
        for child in element:
            if child.tag == "br":
                parts.append("\n")
            elif child.tag.endswith("Interaction"):
                parts.append(self.on_interaction(child))
            else:
                parts.append(self.verbatim(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def _element(self, element: ET.Element) -> None:
        tag = element.tag
        classes = _classes(element)
        if tag in SKIPPED or "uca-answer" in classes or "uca-unit" in classes:
            return
        if "uca-md" in classes:
            self._raw(self.verbatim(element))
        elif _is_interaction(element):
            self.buffer.append(self.on_interaction(element))
            for prompt in _children(element, "prompt"):
                self._element(prompt)
        elif tag == "rubricBlock":
            if "candidate" in element.get("view", "").split():
                self._flush()
                self._content(element)
                self._flush()
        elif tag in BLOCKS:
            self._flush()
            level = int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else 0
            if level:
                self.buffer.append("#" * level + " ")
            self._content(element)
            self._flush()
        elif tag == "br":
            self.buffer.append("\n")
        elif tag == "hr":
            self._raw("---")
        elif tag == "blockquote":
            inner = self._sub(element)
            self._raw("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
        elif tag in ("ul", "ol"):
            self._list(element, ordered=tag == "ol")
        elif tag == "table":
            self._table(element)
        elif tag == "pre":
            self._raw("```\n" + "".join(element.itertext()).strip("\n") + "\n```")
        elif tag in ("strong", "b"):
            self._wrap(element, "**")
        elif tag in ("em", "i"):
            self._wrap(element, "*")
        elif tag == "code":
            self._wrap(element, "`")
        elif tag == "img":
            src = element.get("src", "")
            self.assets.append(src)
            self.buffer.append(f"![{_collapse(element.get('alt', '')).strip()}]({src})")
        elif tag == "object":
            self.assets.append(element.get("data", ""))
            self._content(element)
        elif tag == "a":
            start = len(self.buffer)
            self._content(element)
            inner = "".join(self.buffer[start:]).strip()
            del self.buffer[start:]
            href = element.get("href", "")
            self.buffer.append(f"[{inner}]({href})" if href and inner else inner)
        elif tag == "math":
            self.buffer.append(_collapse(" ".join(element.itertext())).strip())
        else:
            self._content(element)

    def _wrap(self, element: ET.Element, mark: str) -> None:
        start = len(self.buffer)
        self._content(element)
        if len(self.buffer) < start:  # a block inside an inline element: leave it as it is
            return
        inner = "".join(self.buffer[start:])
        del self.buffer[start:]
        if inner.strip():
            lead = " " if inner[:1].isspace() else ""
            trail = " " if inner[-1:].isspace() else ""
            self.buffer.append(f"{lead}{mark}{inner.strip()}{mark}{trail}")

    def _list(self, element: ET.Element, *, ordered: bool) -> None:
        self._flush()
        items = [child for child in element if child.tag == "li"]
        for number, item in enumerate(items, 1):
            marker = f"{number}. " if ordered else "- "
            lines = self._sub(item).split("\n")
            indent = " " * len(marker)
            self.blocks.append("\n".join(
                [marker + lines[0], *[indent + line if line else "" for line in lines[1:]]]))

    def _table(self, element: ET.Element) -> None:
        self._flush()
        for row in element.iter("tr"):
            cells = [_collapse(self._sub(cell)).strip() for cell in row
                     if cell.tag in ("td", "th")]
            if any(cells):
                self.blocks.append(" | ".join(cells))


# ---------------------------------------------------------------- response processing


def _template_name(uri: str) -> str:
    name = uri.strip().rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".xml") else name


def _referenced(element: ET.Element) -> set[str]:
    """Response identifiers a processing expression reads."""
    return {node.get("identifier", "") for node in element.iter()
            if node.tag in ("variable", "correct", "mapResponse", "mapResponsePoint")}


@dataclass
class _Rule:
    """One ``responseIf``/``responseElseIf`` comparing a response to a number."""

    value: Decimal | None  #: None: compared with the correctResponse
    mode: str  #: exact, absolute, relative
    tolerance: Decimal
    score: Decimal | str | None  #: a number, "max" (MAXSCORE), or unknown


def _score_expression(branch: ET.Element) -> Decimal | str | None:
    for action in _children(branch, "setOutcomeValue"):
        if action.get("identifier") != "SCORE" or not len(action):
            continue
        expression = action[0]
        operands = list(expression) if expression.tag == "sum" else [expression]
        operands = [o for o in operands
                    if not (o.tag == "variable" and o.get("identifier") == "SCORE")]
        if len(operands) != 1:
            return None
        operand = operands[0]
        if operand.tag == "baseValue":
            return _decimal(operand.text)
        if operand.tag == "variable" and operand.get("identifier") == "MAXSCORE":
            return "max"
        return None
    return None


def _numeric_rules(processing: ET.Element, response: str) -> list[_Rule]:
    rules = []
    for branch in processing.iter():
        if branch.tag not in ("responseIf", "responseElseIf") or not len(branch):
            continue
        condition = branch[0]
        if condition.tag not in ("equal", "match") or len(condition) != 2:
            continue
        ours = [o for o in condition if o.tag == "variable" and o.get("identifier") == response]
        if not ours:
            continue
        other = next(o for o in condition if o is not ours[0])
        if other.tag == "baseValue":
            value = _decimal(other.text)
            if value is None:
                continue
        elif other.tag == "correct" and other.get("identifier") == response:
            value = None
        else:
            continue
        mode = condition.get("toleranceMode", "exact") if condition.tag == "equal" else "exact"
        tolerances = [_decimal(t) for t in condition.get("tolerance", "0").split()] or [None]
        tolerance = max((t for t in tolerances if t is not None), default=Decimal(0))
        rules.append(_Rule(value, mode, abs(tolerance), _score_expression(branch)))
    return rules


# ---------------------------------------------------------------- reading one item


class _Skip(Exception):
    """The item cannot be imported: ``reason`` at ``element``'s line."""

    def __init__(self, element: ET.Element | None, reason: str):
        super().__init__(reason)
        self.element = element
        self.reason = reason


@dataclass
class _Mapping:
    entries: dict[str, Decimal]
    case_sensitive: dict[str, bool]
    default: Decimal
    lower: Decimal | None
    upper: Decimal | None


@dataclass
class _Metadata:
    external_id: str | None = None
    tags: tuple[str, ...] = ()
    difficulty: int | None = None
    category: str = ""
    statutes: tuple[dict, ...] = ()


class _ItemReader:
    """Turns one parsed ``assessmentItem`` into a `BankItem` (or raises `_Skip`)."""

    def __init__(self, doc: _Doc, where: str, metadata: _Metadata | None = None):
        self.doc = doc
        self.where = where
        self.metadata = metadata or _Metadata()
        self.notes: list[ImportProblem] = []
        self.assets: list[str] = []
        self.root = doc.root
        self.responses: dict[str, ET.Element] = {}
        self.outcomes: dict[str, ET.Element] = {}
        self.template: str | None = None
        self.processing: ET.Element | None = None

    def at(self, element: ET.Element | None = None) -> str:
        return f"{self.where}:{self.doc.line(element)}"

    def note(self, reason: str, element: ET.Element | None = None) -> None:
        self.notes.append(ImportProblem(self.at(element), f"imported, but {reason}",
                                        code="lossy"))

    # ---- the whole item

    def read(self) -> BankItem:
        root = self.root
        _qti_version(self.doc)
        if root.tag != "assessmentItem":
            raise _Skip(root, f"<{self.doc.root_name}> is not a QTI assessmentItem")
        self._check_attributes()
        if root.get("adaptive", "false").strip() == "true":
            raise _Skip(root, "adaptive items (several attempts with changing feedback) are "
                        "not supported")
        template = next((el for el in root.iter() if el.tag in (
            "templateDeclaration", "templateProcessing", "printedVariable")), None)
        if template is not None:
            raise _Skip(template, "template (cloned, randomised) items are not supported")
        body = _child(root, "itemBody")
        if body is None:
            raise _Skip(root, "the item has no itemBody")
        for declaration in _children(root, "responseDeclaration"):
            self.responses[declaration.get("identifier", "")] = declaration
        for declaration in _children(root, "outcomeDeclaration"):
            self.outcomes[declaration.get("identifier", "").strip()] = declaration
        self._read_processing()

        interactions = [el for el in body.iter() if _is_interaction(el)]
        kinds = sorted({el.tag for el in interactions})
        unsupported = [kind for kind in kinds if kind not in SUPPORTED_INTERACTIONS]
        if unsupported:
            first = next(el for el in interactions if el.tag in unsupported)
            raise _Skip(first, f"unsupported interaction {', '.join(unsupported)}; this importer "
                        "reads choiceInteraction, textEntryInteraction and "
                        "extendedTextInteraction")
        if not interactions:
            spec = self._description(body)
        elif len(kinds) > 1:
            raise _Skip(interactions[0], "items combining different interactions "
                        f"({', '.join(kinds)}) are not supported: split them into one "
                        "question each")
        elif kinds == ["choiceInteraction"]:
            self._only_one(interactions)
            spec = self._choice(body, interactions[0])
        elif kinds == ["textEntryInteraction"]:
            spec = self._text_entry(body, interactions)
        else:
            self._only_one(interactions)
            spec = self._essay(body, interactions[0])
        assets = sorted({a for a in self.assets if a})
        if assets:
            self.note(f"the files it shows are not imported: {', '.join(assets)}")
        identifier = root.get("identifier", "").strip()
        return BankItem(
            spec=spec,
            external_id=self.metadata.external_id or identifier or None,
            title=root.get("title", "").strip(),
            category=self.metadata.category,
            tags=self.metadata.tags,
            difficulty=self.metadata.difficulty,
            statutes=self.metadata.statutes,
            where=self.at(),
        )

    def _only_one(self, interactions: list[ET.Element]) -> None:
        if len(interactions) > 1:
            raise _Skip(interactions[1], f"{len(interactions)} {interactions[0].tag}s in one "
                        "item are not supported: split them into one question each")

    def _check_attributes(self) -> None:
        for element in self.root.iter():
            allowed = ALLOWED_ATTRIBUTES.get(element.tag)
            if allowed is None:
                continue
            for name in element.attrib:
                if name.startswith(("{", "data-", "aria-")) or name in allowed:
                    continue
                raise _Skip(element, f"attribute '{name}' is not allowed on <{element.tag}> "
                            "(the item does not follow the QTI schema)")
        for declaration in self.root.iter("responseDeclaration"):
            cardinality = declaration.get("cardinality", "")
            base_type = declaration.get("baseType")
            if cardinality not in CARDINALITIES:
                raise _Skip(declaration, f"responseDeclaration cardinality '{cardinality}' is "
                            "not one of single, multiple, ordered, record")
            if base_type is not None and base_type not in BASE_TYPES:
                raise _Skip(declaration, f"unknown baseType '{base_type}'")

    def _read_processing(self) -> None:
        processing = _child(self.root, "responseProcessing")
        if processing is None:
            return
        uri = processing.get("template", "").strip()
        if uri:
            name = _template_name(uri)
            if name not in ("match_correct", "map_response"):
                raise _Skip(processing, f"unsupported responseProcessing template {uri} "
                            "(match_correct and map_response are supported)")
            self.template = name
        elif len(processing):
            self.processing = processing

    # ---- shared pieces

    def _declaration(self, interaction: ET.Element) -> ET.Element:
        identifier = interaction.get("responseIdentifier", "")
        declaration = self.responses.get(identifier)
        if declaration is None:
            near = [key for key in self.responses if key.strip() == identifier.strip()]
            hint = (f"; the declaration '{near[0]}' is not a valid identifier (surrounding white "
                    "space)") if near else ""
            raise _Skip(interaction, f"{interaction.tag} responseIdentifier '{identifier}' "
                        f"matches no responseDeclaration{hint}")
        if not IDENTIFIER.fullmatch(identifier):
            raise _Skip(declaration, f"'{identifier}' is not a valid QTI identifier")
        return declaration

    def _values(self, declaration: ET.Element, container: str = "correctResponse") -> list[str]:
        holder = _child(declaration, container)
        if holder is None:
            return []
        return [text for text in (_text(v) for v in _children(holder, "value")) if text]

    def _mapping(self, declaration: ET.Element) -> _Mapping | None:
        mapping = _child(declaration, "mapping")
        if mapping is None:
            return None
        entries: dict[str, Decimal] = {}
        cases: dict[str, bool] = {}
        for entry in _children(mapping, "mapEntry"):
            key = entry.get("mapKey", "").strip()
            value = _decimal(entry.get("mappedValue"))
            if not key or value is None:
                raise _Skip(entry, "mapEntry needs a mapKey and a numeric mappedValue")
            entries[key] = value
            cases[key] = entry.get("caseSensitive", "true").strip() != "false"
        default = _decimal(mapping.get("defaultValue", "0"))
        if default is None:
            raise _Skip(mapping, "mapping defaultValue is not a number")
        return _Mapping(entries, cases, default, _decimal(mapping.get("lowerBound")),
                        _decimal(mapping.get("upperBound")))

    def _uses_mapping(self, response: str) -> bool:
        if self.template is not None:
            return self.template == "map_response"
        return self.processing is not None and any(
            el.tag == "mapResponse" and el.get("identifier") == response
            for el in self.processing.iter())

    def _declared_max(self) -> Decimal | None:
        maximum = self.outcomes.get("MAXSCORE")
        if maximum is not None:
            value = _decimal(_text(_child(_child(maximum, "defaultValue"), "value")))
            if value is not None:
                return value
        score = self.outcomes.get("SCORE")
        if score is not None and score.get("normalMaximum"):
            value = _decimal(score.get("normalMaximum"))
            if value is not None and value > 0:
                return value
        return None

    def _points(self, fallback: Decimal, element: ET.Element | None = None) -> Decimal:
        value = self._declared_max()
        value = fallback if value is None or value <= 0 else value
        points = value.quantize(CENT, ROUND_HALF_UP)
        if points <= 0:
            raise _Skip(element, "the item's maximum score is 0: nothing can be earned")
        if points > MAX_POINTS:
            raise _Skip(element, f"the item's maximum score {_num(value)} is more than "
                        f"{MAX_POINTS}")
        if points != value:
            self.note(f"its maximum score {_num(value)} was rounded to {_num(points)}", element)
        return _plain(points)

    def _stem(self, body: ET.Element, on_interaction: Callable[[ET.Element], str]) -> str:
        stem = _Markdown(on_interaction, self.assets).convert(body)
        if not stem.strip():
            raise _Skip(body, "the question text is empty")
        return stem

    def _explanation(self, body: ET.Element) -> str:
        texts: list[str] = []
        feedbacks = [*_children(self.root, "modalFeedback"),
                     *(el for el in body.iter() if el.tag in ("feedbackBlock", "feedbackInline"))]
        for feedback in feedbacks:
            text = _Markdown(lambda _el: "", self.assets).convert(feedback)
            title = feedback.get("title", "").strip()
            ours = any("uca-md" in _classes(child) for child in feedback)
            if title and not ours:
                text = f"**{title}** {text}" if text else f"**{title}**"
            if text and text not in texts:
                texts.append(text)
        return "\n\n".join(texts)

    def _build(self, make: Callable[[], ItemSpec], element: ET.Element | None) -> ItemSpec:
        try:
            return make()
        except ItemSpecError as err:
            raise _Skip(element, f"the item does not make a valid question here ({err})") from None

    # ---- description

    def _description(self, body: ET.Element) -> ItemSpec:
        stem = self._stem(body, lambda _el: "")
        explanation = self._explanation(body)
        return self._build(lambda: DescriptionSpec(stem=stem, explanation=explanation), body)

    # ---- choices

    def _choice(self, body: ET.Element, interaction: ET.Element) -> ItemSpec:
        declaration = self._declaration(interaction)
        identifier = interaction.get("responseIdentifier", "")
        if declaration.get("baseType") != "identifier":
            raise _Skip(declaration, "a choiceInteraction response must have baseType "
                        f"identifier, not '{declaration.get('baseType')}'")
        choices = self._simple_choices(interaction)
        ids = [key for key, _ in choices]
        correct = self._values(declaration)
        unknown = [value for value in correct if value not in ids]
        if unknown:
            raise _Skip(declaration, f"the correct response {', '.join(unknown)} is not one of "
                        f"the choices ({', '.join(ids)})")
        mapping = self._mapping(declaration) if self._uses_mapping(identifier) else None
        if mapping is not None:
            strange = [key for key in mapping.entries if key not in ids]
            if strange:
                raise _Skip(declaration, f"the mapping names {', '.join(strange)}, which is not "
                            "one of the choices")
        if not correct and mapping is None:
            raise _Skip(declaration, "no correctResponse and no mapping: the key is unknown, "
                        "so the item cannot be scored")
        shuffle = interaction.get("shuffle", "false").strip() == "true" and not any(
            c.get("fixed", "false").strip() == "true" for c in _children(interaction,
                                                                         "simpleChoice"))
        stem = self._stem(body, lambda _el: "")
        explanation = self._explanation(body)
        cardinality = declaration.get("cardinality")
        common = {"stem": stem, "explanation": explanation}
        if cardinality == "single":
            return self._single(declaration, choices, correct, mapping, shuffle, common)
        if cardinality == "multiple":
            return self._multiple(declaration, choices, correct, mapping, shuffle, common)
        raise _Skip(declaration, f"a choiceInteraction with cardinality {cardinality} (an "
                    "ordering by choices) is not supported")

    def _simple_choices(self, interaction: ET.Element) -> list[tuple[str, str]]:
        choices: list[tuple[str, str]] = []
        for element in _children(interaction, "simpleChoice"):
            key = element.get("identifier", "").strip()
            if not key or len(key) > MAX_ID_LENGTH:
                raise _Skip(element, f"simpleChoice identifier '{key}' is empty or longer than "
                            f"{MAX_ID_LENGTH} characters")
            markdown = _Markdown(lambda _el: "", self.assets)
            text = (markdown.verbatim(element) if "uca-md" in _classes(element)
                    else markdown.convert(element))
            if not text.strip():
                raise _Skip(element, f"choice '{key}' has no text")
            if key in (k for k, _ in choices):
                raise _Skip(element, f"two choices share the identifier '{key}'")
            choices.append((key, text))
        if len(choices) < 2:
            raise _Skip(interaction, "a choiceInteraction needs at least two simpleChoices")
        return choices

    def _single(self, declaration, choices, correct, mapping, shuffle, common) -> ItemSpec:
        ids = [key for key, _ in choices]
        if mapping is not None:
            values = {key: mapping.entries.get(key, mapping.default) for key in ids}
            top = max(values.values())
            if top <= 0:
                raise _Skip(declaration, "the mapping gives no choice a positive score")
            if mapping.upper is not None and 0 < mapping.upper < top:
                top_points = mapping.upper
            else:
                top_points = top
            weights = _percentages(values, top)
            floor = mapping.lower is not None and mapping.lower >= 0
            points = self._points(top_points, declaration)
        else:
            if len(correct) != 1:
                raise _Skip(declaration, "a single-cardinality response needs exactly one "
                            f"correct value, not {len(correct)}")
            weights = {key: HUNDRED if key == correct[0] else Decimal(0) for key in ids}
            floor = True
            points = self._points(Decimal(1), declaration)
        weights = self._clamped(weights, declaration)
        answer = self._true_false(choices, weights)
        if answer is not None:
            return self._build(lambda: TrueFalseSpec(points=points, answer=answer, **common),
                               declaration)
        return self._build(lambda: SingleChoiceSpec(
            points=points, shuffle=shuffle, floor_at_zero=floor,
            choices=tuple(Choice(key, text, weights[key]) for key, text in choices), **common),
            declaration)

    def _clamped(self, weights: dict[str, Decimal], element: ET.Element) -> dict[str, Decimal]:
        out = {key: max(min(w, HUNDRED), -HUNDRED) for key, w in weights.items()}
        changed = [key for key in weights if out[key] != weights[key]]
        if changed:
            self.note(f"the penalties of {', '.join(changed)} were capped at -100 %", element)
        return out

    @staticmethod
    def _true_false(choices: list[tuple[str, str]], weights: dict[str, Decimal]) -> bool | None:
        """The answer when the two choices are true/false with a plain key, else None."""
        if len(choices) != 2 or sorted(weights.values()) != [0, HUNDRED]:
            return None

        def meaning(key: str, text: str) -> bool | None:
            for word in (key.strip().casefold(), text.strip().strip("!.。！").casefold()):
                if word in TRUE_WORDS:
                    return True
                if word in FALSE_WORDS:
                    return False
            return None

        meanings = [meaning(key, text) for key, text in choices]
        if sorted(m for m in meanings if m is not None) != [False, True]:
            return None
        right = next(key for key, _ in choices if weights[key] == HUNDRED)
        return meanings[[key for key, _ in choices].index(right)]

    def _multiple(self, declaration, choices, correct, mapping, shuffle, common) -> ItemSpec:
        ids = [key for key, _ in choices]
        texts = dict(choices)
        scoring = Scoring.ALL_OR_NOTHING
        floor = True
        stated = self._declared_max()
        if mapping is not None:
            values = {key: mapping.entries.get(key, mapping.default) for key in ids}
            positive = sum((v for v in values.values() if v > 0), Decimal(0))
            if positive <= 0:
                raise _Skip(declaration, "the mapping gives no choice a positive score")
            floor = mapping.lower is not None and mapping.lower >= 0
            free = [key for key in ids if values[key] == 0]
            if free:
                self.note(f"it was made all-or-nothing: the mapping gives {', '.join(free)} "
                          "no penalty, and partial-credit multiple choice here needs one on "
                          "every wrong choice", declaration)
                weights = {key: HUNDRED if values[key] > 0 else Decimal(0) for key in ids}
            else:
                scoring = Scoring.PARTIAL
                weights = self._clamped(_percentages(values, positive), declaration)
            earnable = positive if mapping.upper is None else min(positive, mapping.upper)
            points = self._points(earnable, declaration)
        else:
            points = self._points(Decimal(1), declaration)
            weights = {key: HUNDRED if key in correct else Decimal(0) for key in ids}
            stored = self._mapping(declaration)  # our own export keeps the authored weights
            if stored is not None and stated is not None:
                floor = stored.lower is not None and stored.lower >= 0
                kept = {key: stored.entries.get(key, stored.default) / points * HUNDRED
                        for key in ids}
                if ({key for key, w in kept.items() if w > 0} == set(correct)
                        and all(0 <= w <= HUNDRED for w in kept.values())):
                    weights = {key: _plain(w) for key, w in kept.items()}
        return self._build(lambda: MultipleChoiceSpec(
            points=points, scoring=scoring, shuffle=shuffle, floor_at_zero=floor,
            choices=tuple(Choice(key, texts[key], weights[key]) for key in ids), **common),
            declaration)

    # ---- text entry

    def _text_entry(self, body: ET.Element, interactions: list[ET.Element]) -> ItemSpec:
        declarations = [self._declaration(el) for el in interactions]
        for declaration in declarations:
            if declaration.get("cardinality") != "single":
                raise _Skip(declaration, "a textEntryInteraction response must have "
                            "cardinality single")
            if declaration.get("baseType") not in ("string", "float", "integer"):
                raise _Skip(declaration, "textEntryInteraction responses of baseType "
                            f"'{declaration.get('baseType')}' are not supported (string, float "
                            "and integer are)")
        if len(set(map(id, declarations))) != len(declarations):
            raise _Skip(interactions[0], "two textEntryInteractions share one response")
        numeric = declarations[0].get("baseType") in ("float", "integer")
        if len(interactions) == 1 and numeric:
            return self._numeric(body, interactions[0], declarations[0])
        return self._fill_blank(body, interactions, declarations)

    def _fill_blank(self, body, interactions, declarations) -> ItemSpec:
        identifiers = [el.get("responseIdentifier", "") for el in interactions]
        numbered = [re.fullmatch(r"RESPONSE_(\d+)", key) for key in identifiers]
        if all(numbered) and sorted(int(m.group(1)) for m in numbered) == list(
                range(1, len(identifiers) + 1)):
            numbers = {key: int(m.group(1)) for key, m in zip(identifiers, numbered, strict=True)}
        else:
            numbers = {key: n for n, key in enumerate(identifiers, 1)}
        blanks: list[tuple[int, dict, Decimal]] = []
        for interaction, declaration in zip(interactions, declarations, strict=True):
            key = interaction.get("responseIdentifier", "")
            fields, share = self._blank(declaration, key)
            blanks.append((numbers[key], fields, share))
        blanks.sort(key=lambda blank: blank[0])
        smallest = min(share for _, _, share in blanks)
        stem = self._stem(body, lambda el: f"[[{numbers.get(el.get('responseIdentifier'), 0)}]]")
        explanation = self._explanation(body)
        all_or_nothing = self.processing is not None and any(
            set(identifiers) <= _referenced(el) for el in self.processing.iter("and"))
        total = sum((share for _, _, share in blanks), Decimal(0))
        fallback = total if any(self._mapping(d) for d in declarations) else Decimal(len(blanks))
        points = self._points(fallback, interactions[0])

        def make() -> FillBlankSpec:
            return FillBlankSpec(
                stem=stem, points=points, explanation=explanation,
                scoring=Scoring.ALL_OR_NOTHING if all_or_nothing else Scoring.PARTIAL,
                blanks=tuple(Blank(number, weight=_weight_ratio(share, smallest), **fields)
                             for number, fields, share in blanks))

        return self._build(make, interactions[0])

    def _blank(self, declaration: ET.Element, key: str) -> tuple[dict, Decimal]:
        numeric = declaration.get("baseType") in ("float", "integer")
        correct = self._values(declaration)
        mapping = self._mapping(declaration)
        accepted: list[str] = []
        share = Decimal(1)
        case_sensitive = True
        if mapping is not None and mapping.entries:
            positive = {k: v for k, v in mapping.entries.items() if v > 0}
            if positive:
                share = max(positive.values())
                accepted = [k for k, v in positive.items() if v == share]
                lesser = [f"'{k}' ({_num(v)})" for k, v in positive.items() if v < share]
                if lesser:
                    self.note(f"partial-credit answers {', '.join(lesser)} of {key} were left "
                              "out (a blank here accepts an answer fully or not at all)",
                              declaration)
                case_sensitive = any(mapping.case_sensitive[k] for k in accepted)
        elif mapping is not None and mapping.upper is not None and mapping.upper > 0:
            share = mapping.upper  # a blank without answers to map: what it can earn
        accepted += [value for value in correct if value not in accepted]
        pattern = None
        if self.processing is not None:
            pattern = next((el.get("pattern") for el in self.processing.iter("patternMatch")
                            if key in _referenced(el) and el.get("pattern")), None)
        if numeric:
            values = [_decimal(text) for text in accepted]
            if any(v is None for v in values):
                raise _Skip(declaration, f"{key}: a numeric answer is not a number")
            canonical = list(dict.fromkeys(_num(v) for v in values if v is not None))
            if len(canonical) == 1 and pattern is None:
                pattern = _numeric_pattern(Decimal(canonical[0]))
            accepted = list(dict.fromkeys([*canonical, *accepted]))
            case_sensitive = False
        if not accepted and pattern is None:
            raise _Skip(declaration, f"{key} has no correctResponse and no mapping: the "
                        "answer to this blank is unknown")
        if pattern is not None and pattern_problem(pattern):
            raise _Skip(declaration, f"{key}: the pattern {pattern!r} cannot be used "
                        f"({pattern_problem(pattern)})")
        return {"accepted": tuple(accepted), "pattern": pattern,
                "case_sensitive": case_sensitive}, share

    def _numeric(self, body, interaction, declaration) -> ItemSpec:
        key = interaction.get("responseIdentifier", "")
        correct = [_decimal(v) for v in self._values(declaration)]
        if any(v is None for v in correct):
            raise _Skip(declaration, "the correct response is not a number")
        mapping = self._mapping(declaration)
        rules = _numeric_rules(self.processing, key) if self.processing is not None else []
        found: list[tuple[Decimal | None, Decimal, ToleranceKind, Decimal | str | None]] = []
        for rule in rules:
            value = rule.value if rule.value is not None else (correct[0] if correct else None)
            if value is None:
                continue
            kind = ToleranceKind.RELATIVE if rule.mode == "relative" else ToleranceKind.ABSOLUTE
            tolerance = rule.tolerance / HUNDRED if kind is ToleranceKind.RELATIVE else (
                rule.tolerance if rule.mode == "absolute" else Decimal(0))
            found.append((value, tolerance, kind, rule.score))
        if not found and mapping is not None and mapping.entries:
            for text, score in mapping.entries.items():
                value = _decimal(text)
                if value is None:
                    raise _Skip(declaration, f"mapKey '{text}' is not a number")
                if score > 0:
                    found.append((value, Decimal(0), ToleranceKind.ABSOLUTE, score))
        if not found and correct:
            found.append((correct[0], Decimal(0), ToleranceKind.ABSOLUTE, None))
        if not found:
            raise _Skip(declaration, "no correctResponse, mapping or comparison in the "
                        "responseProcessing: the answer is unknown")
        numbers = [score for *_, score in found if isinstance(score, Decimal) and score > 0]
        top = max(numbers, default=Decimal(1))
        points = self._points(top, interaction)
        answers = []
        for value, tolerance, kind, score in found:
            if score is None or score == "max":
                weight = HUNDRED
            elif isinstance(score, Decimal) and score > 0:
                weight = min(_plain((score / points * HUNDRED).quantize(Decimal("0.00001"))),
                             HUNDRED)
            else:
                continue
            answers.append(NumericAnswer(value, tolerance=_plain(tolerance) if tolerance else
                                         Decimal(0), tolerance_kind=kind, weight=weight))
        if answers and not any(a.weight == HUNDRED for a in answers):
            best = max(a.weight for a in answers)
            answers = [NumericAnswer(a.value, a.tolerance, a.tolerance_kind,
                                     _plain(a.weight / best * HUNDRED)) for a in answers]
        answers.sort(key=lambda a: -a.weight)
        unit = self._unit(body, interaction)
        stem = self._stem(body, lambda _el: "____")
        explanation = self._explanation(body)
        return self._build(lambda: NumericSpec(
            stem=stem, points=points, explanation=explanation, answers=tuple(answers),
            unit=unit), interaction)

    @staticmethod
    def _unit(body: ET.Element, interaction: ET.Element) -> str | None:
        for holder in body.iter():
            if "uca-answer" in _classes(holder) and interaction in list(holder):
                unit = next((_text(el) for el in holder if "uca-unit" in _classes(el)), "")
                return unit or None
        return None

    # ---- essay

    def _essay(self, body: ET.Element, interaction: ET.Element) -> ItemSpec:
        declaration = self._declaration(interaction)
        if declaration.get("baseType", "string") != "string":
            raise _Skip(declaration, "an extendedTextInteraction response must have baseType "
                        "string")
        points = self._points(Decimal(1), interaction)
        length = interaction.get("expectedLength", "").strip()
        word_limit = int(length) if length.isdigit() and int(length) > 0 else None
        stem = self._stem(body, lambda _el: "")
        explanation = self._explanation(body)
        rubric = self._rubric(body, points)

        def make() -> EssaySpec:
            return EssaySpec(stem=stem, points=points, explanation=explanation,
                             rubric=rubric, word_limit=word_limit)

        return self._build(make, interaction)

    def _rubric(self, body: ET.Element, points: Decimal) -> tuple[RubricCriterion, ...]:
        blocks = [el for el in body.iter("rubricBlock")
                  if "scorer" in el.get("view", "").split()]
        for block in blocks:
            table = next((el for el in block.iter("table") if "uca-rubric" in _classes(el)),
                         None)
            if table is None:
                continue
            criteria = []
            try:
                for row in table.iter("tr"):
                    cells = [c for c in row if c.tag == "td"]
                    if len(cells) != 4:
                        continue
                    verbatim = _Markdown(lambda _el: "", self.assets).verbatim
                    criteria.append(RubricCriterion(
                        _text(cells[0]), verbatim(cells[1]),
                        _decimal(_text(cells[2])) or Decimal(0), verbatim(cells[3])))
            except ItemSpecError:
                criteria = []
            if criteria and sum(c.points for c in criteria) == points:
                return tuple(criteria)
        description = "\n\n".join(
            text for text in (_Markdown(lambda _el: "", self.assets).convert(b) for b in blocks)
            if text)
        return (RubricCriterion("overall", "总体评分", points, description),)


# ---------------------------------------------------------------- manifest metadata


def _lom_strings(element: ET.Element | None) -> list[str]:
    if element is None:
        return []
    return [_text(s) for s in element.iter("string") if _text(s)] or (
        [_text(element)] if _text(element) else [])


def _metadata(resource: ET.Element) -> _Metadata:
    """What the IMS LOM metadata of a manifest resource tells about its item."""
    meta = _Metadata()
    lom = next((el for el in resource.iter("lom")), None)
    if lom is None:
        return meta
    general = _child(lom, "general")
    if general is not None:
        for identifier in _children(general, "identifier"):
            if _text(_child(identifier, "catalog")) == CATALOG:
                meta.external_id = _text(_child(identifier, "entry")) or None
        meta.tags = tuple(text for keyword in _children(general, "keyword")
                          for text in _lom_strings(keyword))
    educational = _child(lom, "educational")
    difficulty = _child(_child(educational, "difficulty"), "value")
    meta.difficulty = DIFFICULTY_LEVELS.get(_text(difficulty).casefold())
    for classification in _children(lom, "classification"):
        purpose = _text(_child(_child(classification, "purpose"), "value"))
        if purpose != "discipline":
            continue
        for path in _children(classification, "taxonPath"):
            segments = [s for taxon in _children(path, "taxon")
                        for s in _lom_strings(_child(taxon, "entry"))]
            if segments:
                meta.category = "/".join(segments)
                break
    statutes = []
    for relation in _children(lom, "relation"):
        if _text(_child(_child(relation, "kind"), "value")) != "references":
            continue
        for text in _lom_strings(_child(_child(relation, "resource"), "description")):
            law, version, articles = ([part.strip() for part in text.split("|", 2)]
                                      + ["", ""])[:3]
            if law:
                statutes.append({"law": law, "version": version, "articles": [
                    a.strip() for a in articles.split(",") if a.strip()]})
    meta.statutes = tuple(statutes)
    return meta


# ---------------------------------------------------------------- parse


def parse(data: bytes, *, filename: str) -> ParseResult:
    """Items and problems from a QTI item file or content package; see the module docstring.

    Raises `FormatError` when the file as a whole cannot be read.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(filename, f"file larger than {MAX_FILE_BYTES // MB} MB")
    if data[:2] == b"PK" or filename.lower().endswith(".zip"):
        return _parse_package(data, filename)
    return _parse_single(data, filename)


def _read_item(doc: _Doc, where: str, result: ParseResult,
               metadata: _Metadata | None = None) -> None:
    reader = _ItemReader(doc, where, metadata)
    try:
        item = reader.read()
    except _Skip as skip:
        result.problems.append(ImportProblem(reader.at(skip.element), skip.reason))
        return
    result.items.append(item)
    result.problems.extend(reader.notes)


def _parse_single(data: bytes, filename: str) -> ParseResult:
    doc = _parse_xml(data, filename)
    name = doc.root.tag
    if name == "questestinterop":
        raise FormatError(filename, "QTI 1.x (questestinterop) is not supported; export the "
                          "questions as QTI 2.1 or later")
    if name == "manifest":
        raise FormatError(filename, "this is an imsmanifest.xml on its own; upload the whole "
                          "content package as a .zip")
    if name == "assessmentTest":
        refs = [el.get("href", "") for el in doc.root.iter("assessmentItemRef")]
        raise FormatError(f"{filename}:{doc.line()}", f"this is an assessmentTest: it holds "
                          f"no questions, only {len(refs)} reference(s) to item files "
                          f"({', '.join(refs[:3])}{' …' if len(refs) > 3 else ''}); upload "
                          "the content package (.zip) that contains the items")
    if name != "assessmentItem":
        raise FormatError(filename, f"not a QTI item: the root element is <{doc.root_name}>, "
                          "not assessmentItem")
    try:
        _qti_version(doc)
    except _Skip as skip:
        raise FormatError(f"{filename}:{doc.line()}", skip.reason) from None
    result = ParseResult()
    _read_item(doc, filename, result)
    return result


def _parse_package(data: bytes, filename: str) -> ParseResult:
    archive = _open_zip(data, filename)
    with archive:
        return _Package(archive, filename).read()


class _Package:
    def __init__(self, archive: zipfile.ZipFile, filename: str):
        self.archive = archive
        self.filename = filename
        self.entries = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        self.result = ParseResult()
        self.done: set[str] = set()

    def problem(self, where: str, reason: str) -> None:
        self.result.problems.append(ImportProblem(where, reason))

    def read(self) -> ParseResult:
        manifest_name = next((name for name in self.entries
                              if name.casefold() == "imsmanifest.xml"), None)
        if manifest_name is None:
            nested = sorted(name for name in self.entries
                            if name.casefold().endswith("/imsmanifest.xml"))
            if nested:
                folder = nested[0].rsplit("/", 1)[0]
                raise FormatError(self.filename, f"imsmanifest.xml is in the folder "
                                  f"'{folder}/' instead of at the root of the zip; zip the "
                                  "contents of that folder, not the folder itself")
            found = ", ".join(sorted(self.entries)[:5]) or "nothing"
            raise FormatError(self.filename, "not an IMS content package: there is no "
                              f"imsmanifest.xml at the root of the zip (found: {found})")
        where = f"{self.filename}/{manifest_name}"
        try:
            manifest = _parse_xml(_read_entry(self.archive, manifest_name), where)
        except _EntryError as err:
            raise FormatError(where, str(err)) from None
        if manifest.root.tag != "manifest":
            raise FormatError(f"{where}:{manifest.line()}", "imsmanifest.xml has the root "
                              f"element <{manifest.root_name}>, not <manifest>")
        resources = [r for holder in _children(manifest.root, "resources")
                     for r in _children(holder, "resource")]
        base = _resolve("", manifest.root.get("{http://www.w3.org/XML/1998/namespace}base",
                                              "")) or ""
        tests = []
        for resource in resources:
            kind = resource.get("type", "").strip()
            at = f"{where}:{manifest.line(resource)}"
            if ITEM_RESOURCE.fullmatch(kind):
                self._resource_item(resource, base, at)
            elif TEST_RESOURCE.fullmatch(kind):
                tests.append((resource, at))
            elif OLD_QTI_RESOURCE.fullmatch(kind):
                self.problem(at, f"resource '{resource.get('identifier', '')}' is {kind}: QTI "
                             "1.x is not supported")
        for resource, at in tests:
            self._resource_test(resource, base, at)
        if not self.result.items and not self.result.problems:
            kinds = sorted({r.get("type", "") for r in resources}) or ["none"]
            raise FormatError(where, "the manifest lists no QTI item (resource types found: "
                              f"{', '.join(kinds)})")
        return self.result

    def _target(self, resource: ET.Element, base: str, at: str) -> str | None:
        href = resource.get("href")
        identifier = resource.get("identifier", "")
        if not href:
            files = _children(resource, "file")
            href = files[0].get("href") if files else None
        if not href:
            self.problem(at, f"resource '{identifier}' has no href")
            return None
        local_base = _resolve(base, resource.get(
            "{http://www.w3.org/XML/1998/namespace}base", "")) or base
        name = _resolve(local_base, href)
        if name is None:
            self.problem(at, f"resource '{identifier}' href '{href}' points outside the package "
                         "(absolute paths, URLs and '..' out of the package are refused)")
            return None
        if name not in self.entries:
            self.problem(at, f"resource '{identifier}' href '{href}' names a file that is not "
                         "in the package")
            return None
        return name

    def _resource_item(self, resource: ET.Element, base: str, at: str) -> None:
        name = self._target(resource, base, at)
        if name is not None:
            self._item(name, _metadata(resource))

    def _item(self, name: str, metadata: _Metadata | None = None) -> None:
        if name in self.done:
            return
        self.done.add(name)
        where = f"{self.filename}/{name}"
        try:
            doc = _parse_xml(_read_entry(self.archive, name), where)
        except _EntryError as err:
            self.problem(where, str(err))
            return
        except FormatError as err:
            self.result.problems.append(err.problem)
            return
        _read_item(doc, where, self.result, metadata)

    def _resource_test(self, resource: ET.Element, base: str, at: str) -> None:
        name = self._target(resource, base, at)
        if name is None:
            return
        where = f"{self.filename}/{name}"
        try:
            doc = _parse_xml(_read_entry(self.archive, name), where)
        except _EntryError as err:
            self.problem(where, str(err))
            return
        except FormatError as err:
            self.result.problems.append(err.problem)
            return
        for ref in doc.root.iter("assessmentItemRef"):
            href = ref.get("href", "")
            target = _resolve(dirname(name), href)
            ref_at = f"{where}:{doc.line(ref)}"
            if target is None:
                self.problem(ref_at, f"assessmentItemRef '{ref.get('identifier', '')}' href "
                             f"'{href}' points outside the package")
            elif target not in self.entries:
                self.problem(ref_at, f"assessmentItemRef '{ref.get('identifier', '')}' refers "
                             f"to {href}, which is not in the package")
            else:
                self._item(target)


# ---------------------------------------------------------------- export

EXPORTABLE = (SingleChoiceSpec, MultipleChoiceSpec, TrueFalseSpec, FillBlankSpec, NumericSpec,
              EssaySpec, DescriptionSpec)


def export(items: Iterable[BankItem]) -> bytes:
    """A QTI 2.1 content package (zip) of ``items``, one item file each.

    Raises `ValueError` naming every item of a type QTI export cannot hold
    (matching, ordering, parametric, case study); nothing is written then.
    """
    items = list(items)
    refused = [f"#{n} {item.spec.item_type.value}"
               + (f" ({item.external_id})" if item.external_id else "")
               for n, item in enumerate(items, 1) if not isinstance(item.spec, EXPORTABLE)]
    if refused:
        raise ValueError("QTI export cannot hold these items: " + ", ".join(refused)
                         + "; it writes single choice, multiple choice, true/false, "
                         "fill-in-blank, numeric, essay and description items")
    identifiers = _identifiers(items)
    files: list[tuple[str, bytes]] = []
    unwritable = []
    for n, (item, identifier) in enumerate(zip(items, identifiers, strict=True), 1):
        stem = identifier if SAFE_FILE_NAME.fullmatch(identifier) else f"item-{n:04d}"
        try:
            files.append((f"items/{stem}.xml", _xml(_item_element(item, identifier))))
        except _Unwritable as err:
            unwritable.append(f"#{n}: {err}")
    if unwritable:
        raise ValueError("QTI export cannot write these items: " + "; ".join(unwritable))
    try:
        manifest = _xml(_manifest(items, files))
    except _Unwritable as err:
        raise ValueError(f"QTI export cannot write the metadata (tags, category, statutes): "
                         f"{err}") from None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in [("imsmanifest.xml", manifest), *files]:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _identifiers(items: list[BankItem]) -> list[str]:
    taken: set[str] = set()
    out = []
    for n, item in enumerate(items, 1):
        candidate = (item.external_id or "").strip()
        if not IDENTIFIER.fullmatch(candidate) or candidate in taken:
            candidate = f"item-{n:04d}"
            while candidate in taken:
                candidate += "x"
        taken.add(candidate)
        out.append(candidate)
    return out


_STRUCTURAL = frozenset({
    "assessmentItem", "responseDeclaration", "correctResponse", "mapping", "outcomeDeclaration",
    "defaultValue", "itemBody", "choiceInteraction", "responseProcessing",
    "responseCondition", "responseIf", "responseElseIf", "responseElse", "setOutcomeValue",
    "sum", "and", "or", "gt", "equal", "match", "rubricBlock", "table", "tbody", "tr",
    "extendedTextInteraction", "modalFeedback", "manifest", "metadata", "organizations",
    "resources", "resource",
    # LOM metadata in the manifest (leaves hold text and are left alone)
    "lom", "general", "identifier", "keyword", "educational", "difficulty", "relation", "kind",
    "description", "classification", "purpose", "taxonPath", "taxon", "entry", "source"})


def _indent(element: ET.Element, level: int = 0) -> None:
    """Pretty-print structure only: text content (Markdown) is never touched."""
    if element.tag.split(":")[-1] not in _STRUCTURAL:
        return
    if not len(element) or (element.text and element.text.strip()):
        return
    if any(child.tail and child.tail.strip() for child in element):
        return
    pad = "\n" + "  " * (level + 1)
    element.text = pad
    for child in element:
        _indent(child, level + 1)
        child.tail = pad
    element[-1].tail = "\n" + "  " * level


class _Unwritable(ValueError):
    pass


#: characters XML 1.0 cannot hold at all (and lone surrogates, which UTF-8 cannot)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(element: ET.Element) -> bytes:
    _indent(element)
    text = ET.tostring(element, encoding="unicode")
    bad = _NOT_XML.search(text)
    if bad:
        raise _Unwritable(f"its text contains the control character U+{ord(bad.group()):04X}, "
                          "which XML cannot hold")
    # a raw CR would come back as LF (XML normalises line ends); a reference keeps it
    text = text.replace("\r", "&#13;")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8") + b"\n"


def _sub(parent: ET.Element, tag: str, attrib: dict[str, str] | None = None,
         text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib or {})
    if text is not None:
        element.text = text
    return element


def _inline(parent: ET.Element, text: str,
            blank: Callable[[int], ET.Element] | None = None) -> None:
    """Append ``text`` to ``parent``: newlines become ``<br/>``, ``[[n]]`` becomes ``blank(n)``."""
    pieces = BLANK_MARKER.split(text) if blank is not None else [text]
    for index, piece in enumerate(pieces):
        if index % 2:
            element = blank(int(piece))  # type: ignore[misc]
            parent.append(element)
            continue
        for number, line in enumerate(piece.split("\n")):
            if number:
                parent.append(ET.Element("br"))
            if not line:
                continue
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + line
            else:
                parent.text = (parent.text or "") + line


def _markdown_div(parent: ET.Element, text: str,
                  blank: Callable[[int], ET.Element] | None = None) -> None:
    div = _sub(parent, "div", {"class": "uca-md"})
    for paragraph in text.split("\n\n"):
        _inline(_sub(div, "p"), paragraph, blank)


def _declare(root: ET.Element, identifier: str, cardinality: str, base_type: str,
             correct: list[str], mapping: list[tuple[str, Decimal, bool | None]] | None = None,
             lower: Decimal | None = None, upper: Decimal | None = None) -> None:
    declaration = _sub(root, "responseDeclaration", {
        "identifier": identifier, "cardinality": cardinality, "baseType": base_type})
    if correct:
        holder = _sub(declaration, "correctResponse")
        for value in correct:
            _sub(holder, "value", text=value)
    if mapping is not None:
        attrib = {}
        if lower is not None:
            attrib["lowerBound"] = _num(lower)
        if upper is not None:
            attrib["upperBound"] = _num(upper)
        attrib["defaultValue"] = "0"
        holder = _sub(declaration, "mapping", attrib)
        for key, value, case in mapping:
            entry = {"mapKey": key, "mappedValue": _num(value)}
            if case is not None:
                entry["caseSensitive"] = "true" if case else "false"
            _sub(holder, "mapEntry", entry)


def _outcomes(root: ET.Element, points: Decimal | None, explanation: str) -> None:
    if points is not None:
        score = _sub(root, "outcomeDeclaration", {
            "identifier": "SCORE", "cardinality": "single", "baseType": "float"})
        _sub(_sub(score, "defaultValue"), "value", text="0")
        maximum = _sub(root, "outcomeDeclaration", {
            "identifier": "MAXSCORE", "cardinality": "single", "baseType": "float"})
        _sub(_sub(maximum, "defaultValue"), "value", text=_num(points))
    if explanation:
        feedback = _sub(root, "outcomeDeclaration", {
            "identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier"})
        _sub(_sub(feedback, "defaultValue"), "value", text="explanation")


def _template(root: ET.Element, name: str) -> None:
    _sub(root, "responseProcessing", {"template": TEMPLATE_BASE + name})


def _set_score(parent: ET.Element, value: Decimal | None = None, *, add: bool = False) -> None:
    action = _sub(parent, "setOutcomeValue", {"identifier": "SCORE"})
    if value is None:
        _sub(action, "variable", {"identifier": "MAXSCORE"})
    elif add:
        total = _sub(action, "sum")
        _sub(total, "variable", {"identifier": "SCORE"})
        _sub(total, "baseValue", {"baseType": "float"}, _num(value))
    else:
        _sub(action, "baseValue", {"baseType": "float"}, _num(value))


def _feedback(root: ET.Element, explanation: str) -> None:
    if explanation:
        feedback = _sub(root, "modalFeedback", {
            "outcomeIdentifier": "FEEDBACK", "identifier": "explanation", "showHide": "show",
            "title": "解析"})
        _markdown_div(feedback, explanation)


def _choice_ids(choices: tuple[Choice, ...]) -> list[str]:
    taken = {c.id for c in choices if IDENTIFIER.fullmatch(c.id)}
    out = []
    for n, choice in enumerate(choices, 1):
        if IDENTIFIER.fullmatch(choice.id):
            out.append(choice.id)
            continue
        candidate = f"choice_{n}"
        while candidate in taken:
            candidate += "x"
        taken.add(candidate)
        out.append(candidate)
    return out


def _item_element(item: BankItem, identifier: str) -> ET.Element:
    spec = item.spec
    title = item.title.strip() or _collapse(spec.stem).strip()[:40].strip()
    root = ET.Element("assessmentItem", {
        "xmlns": QTI21, "xmlns:xsi": XSI, "xsi:schemaLocation": f"{QTI21} {QTI21_XSD}",
        "identifier": identifier, "title": title, "adaptive": "false",
        "timeDependent": "false", "toolName": CATALOG, "toolVersion": "1"})
    if isinstance(spec, SingleChoiceSpec | TrueFalseSpec | MultipleChoiceSpec):
        _write_choice(root, spec)
    elif isinstance(spec, FillBlankSpec):
        _write_fill_blank(root, spec)
    elif isinstance(spec, NumericSpec):
        _write_numeric(root, spec)
    elif isinstance(spec, EssaySpec):
        _write_essay(root, spec)
    else:
        _outcomes(root, None, spec.explanation)
        _markdown_div(_sub(root, "itemBody"), spec.stem)
    _feedback(root, spec.explanation)
    return root


def _write_choice(root: ET.Element, spec: SingleChoiceSpec | TrueFalseSpec |
                  MultipleChoiceSpec) -> None:
    if isinstance(spec, TrueFalseSpec):
        choices = (Choice("true", "正确", HUNDRED if spec.answer else Decimal(0)),
                   Choice("false", "错误", Decimal(0) if spec.answer else HUNDRED))
        shuffle, floor = False, True
    else:
        choices, shuffle, floor = spec.choices, spec.shuffle, spec.floor_at_zero
    ids = _choice_ids(choices)
    weights = {key: c.weight for key, c in zip(ids, choices, strict=True)}
    score = {key: spec.points * w / HUNDRED for key, w in weights.items()}
    multiple = isinstance(spec, MultipleChoiceSpec)
    correct = ([key for key in ids if weights[key] > 0] if multiple
               else [next(key for key in ids if weights[key] == HUNDRED)])
    plain_key = all(w in (0, HUNDRED) for w in weights.values()) and floor
    lower = Decimal(0) if floor else None
    if multiple and spec.scoring is Scoring.PARTIAL:
        mapping = [(key, score[key], None) for key in ids]
        _declare(root, "RESPONSE", "multiple", "identifier", correct, mapping, lower,
                 spec.points)
        processing = "map_response"
    elif multiple:
        mapping = None if plain_key else [(key, score[key], None) for key in ids if score[key]]
        _declare(root, "RESPONSE", "multiple", "identifier", correct, mapping, lower)
        processing = "match_correct" if spec.points == 1 else "custom"
    elif plain_key and spec.points == 1:
        _declare(root, "RESPONSE", "single", "identifier", correct)
        processing = "match_correct"
    else:
        mapping = [(key, score[key], None) for key in ids if score[key]]
        _declare(root, "RESPONSE", "single", "identifier", correct, mapping, lower)
        processing = "map_response"
    _outcomes(root, spec.points, spec.explanation)
    body = _sub(root, "itemBody")
    _markdown_div(body, spec.stem)
    interaction = _sub(body, "choiceInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": "true" if shuffle else "false",
        "maxChoices": "0" if multiple else "1"})
    for key, choice in zip(ids, choices, strict=True):
        element = _sub(interaction, "simpleChoice", {"identifier": key, "class": "uca-md"})
        _inline(element, choice.text)
    if processing == "custom":
        rp = _sub(root, "responseProcessing")
        condition = _sub(rp, "responseCondition")
        branch = _sub(condition, "responseIf")
        match = _sub(branch, "match")
        _sub(match, "variable", {"identifier": "RESPONSE"})
        _sub(match, "correct", {"identifier": "RESPONSE"})
        _set_score(branch)
        _set_score(_sub(condition, "responseElse"), Decimal(0))
    else:
        _template(root, processing)


def _blank_condition(parent: ET.Element, blank: Blank, identifier: str) -> None:
    holder = _sub(parent, "or") if blank.accepted and blank.pattern else parent
    if blank.accepted:
        greater = _sub(holder, "gt")
        _sub(greater, "mapResponse", {"identifier": identifier})
        _sub(greater, "baseValue", {"baseType": "float"}, "0")
    if blank.pattern:
        match = _sub(holder, "patternMatch", {"pattern": blank.pattern})
        _sub(match, "variable", {"identifier": identifier})


def _write_fill_blank(root: ET.Element, spec: FillBlankSpec) -> None:
    single = len(spec.blanks) == 1 and spec.blanks[0].pattern is None and (
        spec.scoring is Scoring.PARTIAL)
    total = sum((b.weight for b in spec.blanks), Decimal(0))

    def name(number: int) -> str:
        return "RESPONSE" if single else f"RESPONSE_{number}"

    shares = {}
    for blank in spec.blanks:
        share = SHARE_DIGITS.create_decimal(spec.points * blank.weight / total)
        shares[blank.number] = share
        accepted = list(dict.fromkeys(text.strip() for text in blank.accepted))  # unique keys
        _declare(root, name(blank.number), "single", "string", accepted[:1],
                 [(text, share, blank.case_sensitive) for text in accepted],
                 upper=None if accepted else share)
    _outcomes(root, spec.points, spec.explanation)
    body = _sub(root, "itemBody")

    def entry(number: int) -> ET.Element:
        return ET.Element("textEntryInteraction", {"responseIdentifier": name(number)})

    _markdown_div(body, spec.stem, entry)
    if single:
        _template(root, "map_response")
        return
    rp = _sub(root, "responseProcessing")
    if spec.scoring is Scoring.ALL_OR_NOTHING:
        branch = _sub(_sub(rp, "responseCondition"), "responseIf")
        both = _sub(branch, "and")
        for blank in spec.blanks:
            _blank_condition(both, blank, name(blank.number))
        _set_score(branch)
        return
    for blank in spec.blanks:
        branch = _sub(_sub(rp, "responseCondition"), "responseIf")
        _blank_condition(branch, blank, name(blank.number))
        _set_score(branch, shares[blank.number], add=True)


def _write_numeric(root: ET.Element, spec: NumericSpec) -> None:
    answers = sorted(spec.answers, key=lambda a: -a.weight)
    best = next(a for a in answers if a.weight == HUNDRED)
    _declare(root, "RESPONSE", "single", "float", [str(best.value)])
    _outcomes(root, spec.points, spec.explanation)
    body = _sub(root, "itemBody")
    _markdown_div(body, spec.stem)
    holder = _sub(body, "p", {"class": "uca-answer"})
    entry = _sub(holder, "textEntryInteraction", {"responseIdentifier": "RESPONSE",
                                                  "expectedLength": "15"})
    if spec.unit:
        entry.tail = " "
        _sub(holder, "span", {"class": "uca-unit"}, spec.unit)
    if (len(answers) == 1 and best.tolerance == 0 and spec.points == 1
            and best.tolerance_kind is ToleranceKind.ABSOLUTE):
        _template(root, "match_correct")
        return
    condition = _sub(_sub(root, "responseProcessing"), "responseCondition")
    for n, answer in enumerate(answers):
        branch = _sub(condition, "responseIf" if n == 0 else "responseElseIf")
        if answer.tolerance == 0 and answer.tolerance_kind is ToleranceKind.ABSOLUTE:
            attrib = {"toleranceMode": "exact"}
        elif answer.tolerance_kind is ToleranceKind.RELATIVE:
            attrib = {"toleranceMode": "relative", "tolerance": _num(answer.tolerance * HUNDRED)}
        else:
            attrib = {"toleranceMode": "absolute", "tolerance": _num(answer.tolerance)}
        equal = _sub(branch, "equal", attrib)
        _sub(equal, "variable", {"identifier": "RESPONSE"})
        _sub(equal, "baseValue", {"baseType": "float"}, str(answer.value))
        _set_score(branch, spec.points * answer.weight / HUNDRED)


def _write_essay(root: ET.Element, spec: EssaySpec) -> None:
    _declare(root, "RESPONSE", "single", "string", [])
    _outcomes(root, spec.points, spec.explanation)
    body = _sub(root, "itemBody")
    _markdown_div(body, spec.stem)
    attrib = {"responseIdentifier": "RESPONSE"}
    if spec.word_limit:
        attrib["expectedLength"] = str(spec.word_limit)
    _sub(body, "extendedTextInteraction", attrib)
    rubric = _sub(body, "rubricBlock", {"view": "scorer"})
    table = _sub(_sub(rubric, "table", {"class": "uca-rubric"}), "tbody")
    for criterion in spec.rubric:
        row = _sub(table, "tr")
        _sub(row, "td", text=criterion.id)
        _inline(_sub(row, "td", {"class": "uca-md"}), criterion.name)
        _sub(row, "td", text=_num(criterion.points))
        _inline(_sub(row, "td", {"class": "uca-md"}), criterion.description)


def _lom(item: BankItem) -> ET.Element | None:
    lom = ET.Element("imsmd:lom")
    general = _sub(lom, "imsmd:general")
    if item.external_id is not None:
        identifier = _sub(general, "imsmd:identifier")
        _sub(identifier, "imsmd:catalog", text=CATALOG)
        _sub(identifier, "imsmd:entry", text=item.external_id)
    for tag in item.tags:
        _sub(_sub(general, "imsmd:keyword"), "imsmd:string", text=tag)
    if not len(general):
        lom.remove(general)
    if item.difficulty in DIFFICULTY_WORDS:
        difficulty = _sub(_sub(lom, "imsmd:educational"), "imsmd:difficulty")
        _sub(difficulty, "imsmd:source", text="LOMv1.0")
        _sub(difficulty, "imsmd:value", text=DIFFICULTY_WORDS[item.difficulty])
    for statute in item.statutes:
        relation = _sub(lom, "imsmd:relation")
        kind = _sub(relation, "imsmd:kind")
        _sub(kind, "imsmd:source", text="LOMv1.0")
        _sub(kind, "imsmd:value", text="references")
        description = _sub(_sub(relation, "imsmd:resource"), "imsmd:description")
        articles = ", ".join(statute.get("articles", []))
        _sub(description, "imsmd:string",
             text=f"{statute.get('law', '')} | {statute.get('version', '')} | {articles}")
    if item.category:
        classification = _sub(lom, "imsmd:classification")
        purpose = _sub(classification, "imsmd:purpose")
        _sub(purpose, "imsmd:source", text="LOMv1.0")
        _sub(purpose, "imsmd:value", text="discipline")
        path = _sub(classification, "imsmd:taxonPath")
        _sub(_sub(path, "imsmd:source"), "imsmd:string", text=CATALOG)
        for segment in item.category.split("/"):
            _sub(_sub(_sub(path, "imsmd:taxon"), "imsmd:entry"), "imsmd:string", text=segment)
    return lom if len(lom) else None


def _manifest(items: list[BankItem], files: list[tuple[str, bytes]]) -> ET.Element:
    digest = hashlib.sha256(b"".join(content for _, content in files)).hexdigest()[:16]
    root = ET.Element("manifest", {
        "xmlns": IMSCP, "xmlns:imsmd": LOM, "xmlns:xsi": XSI,
        "xsi:schemaLocation": f"{IMSCP} {IMSCP_XSD} {LOM} {LOM_XSD}",
        "identifier": f"MANIFEST-{digest}"})
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", text="QTIv2.1 Package")
    _sub(metadata, "schemaversion", text="1.0.0")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    for n, (item, (path, _)) in enumerate(zip(items, files, strict=True), 1):
        resource = _sub(resources, "resource", {
            "identifier": f"RES-{n:04d}", "type": "imsqti_item_xmlv2p1", "href": path})
        lom = _lom(item)
        if lom is not None:
            _sub(resource, "metadata").append(lom)
        _sub(resource, "file", {"href": path})
    return root
