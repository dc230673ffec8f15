"""Moodle GIFT: ``parse(data, *, filename) -> ParseResult`` and ``export(items) -> bytes``.

The dialect is Moodle's own importer (``question/format/gift/format.php``):
questions are separated by blank lines, lines whose first characters are
``//`` are comments, ``\\`` escapes ``~ = # { } : \\`` and ``\\n`` is a newline.
How each part maps onto our model:

==================================  ===================================================
GIFT                                here
==================================  ===================================================
``$CATEGORY: $course$/top/A/B``     ``BankItem.category = "A/B"`` for the questions that
                                    follow: a leading ``$context$`` and the ``top``
                                    after it are dropped; ``//`` (a slash inside a
                                    name) is kept as written
``::title::``                       ``BankItem.title``
``// [id:X]`` ``// [tag:X]``        ``external_id`` and ``tags`` (Moodle 4.x comments)
``[markdown]`` ``[plain]``          text kept as it is (our texts are Markdown)
``[html]``                          converted to Markdown-ish text (see below)
``[moodle]`` (the default)          like ``[html]`` (line breaks kept) when it contains
                                    tags or entities, else kept as it is
``{=a ~b ~c}``                      `SingleChoiceSpec` (an ``=`` makes it single)
``{~%50%a ~%50%b ~%-100%c}``        `MultipleChoiceSpec`, ``Scoring.PARTIAL``; positive
                                    weights within 0.01 of 100 (``%33.33333%`` × 3)
                                    are evened out on the last one
``{~%50%a ~%50%b ~c}``              wrong answers without a penalty: our partial scoring
                                    would pay for choosing everything, so the item is
                                    ``ALL_OR_NOTHING`` (reported, ``lossy_all_or_nothing``)
``{T}`` ``{TRUE}`` ``{F}`` …        `TrueFalseSpec` (any case, so ``{t}`` too)
``{=a =b}`` ``{a}``                 `FillBlankSpec` with one blank ``[[1]]``; answers with
                                    ``*`` become the blank's ``pattern``; partial-credit
                                    answers (``=%50%x``) have no home and are dropped
                                    (reported, ``lossy_partial_answer``)
``{#1200:5}`` ``{#1..5}``           `NumericSpec`; a range is its midpoint ± half width
``{#=%100%5:0 =%50%5:2}``           weighted `NumericAnswer`\\ s
``{=a -> b = -> c}``                `MatchingSpec`; ``= -> c`` adds a distractor
``{}``                              `EssaySpec` with one criterion worth all the points
text without braces                 `DescriptionSpec`
``#feedback`` (per answer)          appended to ``explanation`` as ``- answer：feedback``
``{TRUE#wrong#right}``              appended as ``- 答“错”：wrong`` and ``- 答“对”：right``
``####general feedback``            ``explanation``
``{#…~#feedback}``, ``=%0%*#…``     feedback for any other answer: ``- 其他答案：…``
==================================  ===================================================

Where the answers sit: an answer block at the end of the question is simply
removed from the question text; one in the middle ("missing word") leaves
``_____`` behind as Moodle does, except for a fill-in item, whose blank
``[[1]]`` takes its place. A fill-in block at the end takes the place of a run
of three or more underscores in the text when there is one, otherwise ``[[1]]``
is put where the block was.

HTML (``[html]`` and HTML in ``[moodle]`` text) is turned into text with the
standard library's parser: block elements become paragraphs, ``<br>`` a line,
``<li>`` a ``- `` item, links to http(s)/mailto ``[text](url)``, http(s) images
``![alt](url)``; every other tag is dropped with its attributes, and the
content of ``script``, ``style``, ``iframe``, ``object``, ``embed`` … is
dropped whole, so nothing executable survives. Dropping active content or an
image we cannot reach (``@@PLUGINFILE@@``, ``data:``) is reported.

Strictness. Moodle reads almost anything; we reject what is most likely a
mistake, each as an `ImportProblem` with ``file:line:column`` and a ``code``:
an unclosed or stray brace, a brace inside an answer block, a second answer
block, an unescaped ``= ~ #`` in the question text, an unescaped ``:`` in an
answer, a second ``#`` in a feedback, an answer without ``=``/``~``, a title
with one colon. An unescaped ``:`` in question text or feedback is accepted
(real exports have it). Problems whose code is in `LOSSY_CODES` describe
something left behind by an item that *was* imported; all others mean the
question was not imported.

Metadata without a GIFT home travels in comments in front of the question
(Moodle ignores them, we read them back): ``[points:2]`` (default 1),
``[difficulty:3]``, ``[statute:{json}]`` (repeatable), ``[shuffle:false]``,
``[floor_at_zero:false]``, ``[scoring:all_or_nothing]``, the blank's
``[case_sensitive:true]`` ``[fold_width:false]`` ``[ignore_spaces:false]``
``[pattern:"json string"]`` ``[blank_weight:2]``, numeric
``[unit:"json string"]`` ``[unit_policy:required]`` and
``[relative_tolerance:["0.01",null]]`` (the answer's tolerance is written
absolute for Moodle), essay ``[rubric:[{json}…]]`` ``[word_limit:800]``, and a
description's ``[explanation:"json string"]``. A ``]`` inside a value is
written ``\\]``, as Moodle does for ids and tags; an id or tag with a backslash
or a line break cannot be written (see `unwritable`).

Export writes the question text as ``[markdown]`` (answers and feedback follow
it), escapes every control character and line break, writes categories as
``$CATEGORY: $course$/top/…``, a single choice's first fully right answer as
``=`` and the rest with explicit ``%weight%``, short answers as ``=%100%…`` (so
a one-word answer like ``T`` is not read as true/false), numeric answers as
``=%weight%value:tolerance``. Weights are written exactly; Moodle's importer
only takes weights from its grade list unless "nearest grade" is chosen.
Parametric, ordering and case-study items, fill-ins with several blanks or only
a pattern, and ``->`` inside an answer have no GIFT form: `export` refuses them
by name with a `FormatError`.
"""

from __future__ import annotations

import bisect
import json
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from lms.domain.items import (
    HUNDRED,
    Blank,
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
    RubricCriterion,
    Scoring,
    SingleChoiceSpec,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
)
from lms.questions.formats.base import (
    BankItem,
    FormatError,
    ImportProblem,
    ParseResult,
    decode_text,
)

DEFAULT_POINTS = Decimal(1)  #: Moodle's default mark; GIFT has no points
DEFAULT_CRITERION = ("overall", "总体评价")  #: the one rubric criterion of an imported essay
MOODLE_BLANK = "_____"  #: what a missing-word answer block leaves in the text
OTHER_ANSWER_LABEL = "其他答案"
TRUE_FALSE_LABELS = {True: "答“对”", False: "答“错”"}
TRUE_FALSE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
FORMATS = ("html", "moodle", "plain", "markdown")

#: problems that accompany an item which was imported nevertheless
LOSSY_CODES = frozenset({
    "lossy_partial_answer",  # a partial-credit or penalised fill-in answer was left out
    "lossy_negative_answer",  # a penalised numeric answer was left out
    "lossy_all_or_nothing",  # multiple answers without penalties became all-or-nothing
    "lossy_active_content",  # <script>, <iframe> … removed from HTML
    "lossy_image",  # an image GIFT does not carry (@@PLUGINFILE@@, data:)
})

_TOKEN = re.compile(r"\\([\\:#={}~n])|([{}=~#:])|([^\\{}=~#:]+|\\)")
_WEIGHT = re.compile(r"\s*%([^%\s]*)%")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_FORMAT_TAG = re.compile(r"\[(html|moodle|plain|markdown)\]")
_UNDERSCORES = re.compile(r"_{3,}")
_HTML_HINT = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9]*\b[^<>]*|!--.*?--)>"
                        r"|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);", re.S)
_META = re.compile(r"\[([a-z_]+):((?:\\\]|[^\]])*)\]")
_CONTEXT = re.compile(r"\$[a-z]+\$(?:/|$)")


# ================================================================ errors


class _Fail(Exception):
    """A question that cannot be imported; ``at`` is an offset in its text."""

    def __init__(self, code: str, reason: str, at: int | None = None, *,
                 line: int | None = None, ref: int | None = None):
        super().__init__(reason)
        self.code, self.reason, self.at, self.line, self.ref = code, reason, at, line, ref


_SPEC_REASONS = {
    "no_full_credit_choice": "no answer is fully correct: mark one with = or %100%",
    "no_correct_choice": "no answer has a positive weight",
    "weights_must_total_100": "the positive weights must add up to 100%",
    "wrong_choice_needs_negative": "with partial credit every wrong answer needs a negative "
                                   "weight such as ~%-100%, otherwise choosing every answer "
                                   "earns full marks",
    "negative_in_all_or_nothing": "an all-or-nothing question cannot have negative weights",
    "no_full_credit_answer": "no answer earns full credit (100%)",
    "blank_markers_mismatch": "the question text contains a [[number]] blank marker of its own",
    "too_few": "need at least two",
    "empty": "cannot be empty",
    "out_of_range": "is out of range",
    "unpaired_left": "every left-hand item needs a match",
    "rubric_total_mismatch": "the rubric points must add up to the question's points",
    "too_long": "is too long",
}


_SPEC_PATHS = {"lefts": "the left-hand items", "rights": "the right-hand items",
               "choices": "the answers", "answers": "the answers", "stem": "the question text",
               "blanks": "the blanks", "points": "the number of points"}


def _spec_failure(err: ItemSpecError) -> _Fail:
    """An `ItemSpecError` from building a spec, in words."""
    what = _SPEC_PATHS.get(err.path, err.path.replace(".", " ") or "the question")
    reason = _SPEC_REASONS.get(err.code, err.code.replace("_", " "))
    if err.code in {"too_few", "empty", "out_of_range", "too_long"}:
        reason = f"{what} {reason}"
    elif err.path and err.code not in {"weights_must_total_100", "no_correct_choice",
                                       "no_full_credit_choice", "no_full_credit_answer"}:
        reason = f"{what}: {reason}"
    return _Fail(err.code, reason + (f" ({err.detail})" if err.detail else ""))


# ================================================================ scanning


@dataclass
class _Block:
    """The lines of one question (comments apart), and where each came from."""

    lines: list[tuple[int, int, str]] = field(default_factory=list)  #: (line, column, text)
    comments: list[tuple[int, str]] = field(default_factory=list)  #: (line, text)
    _starts: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The question: its lines stripped and joined with newlines, as Moodle does
        (noting where each line starts, for `locate`)."""
        self._starts, offset = [], 0
        for _, _, line in self.lines:
            self._starts.append(offset)
            offset += len(line) + 1
        return "\n".join(line for _, _, line in self.lines)

    @property
    def start(self) -> int:
        return self.lines[0][0]

    def locate(self, offset: int) -> tuple[int, int]:
        """(line, column) in the file of ``offset`` in `text`, both from 1."""
        index = max(bisect.bisect_right(self._starts, offset) - 1, 0)
        number, column, _ = self.lines[index]
        return number, column + offset - self._starts[index]


def _blocks(text: str) -> Iterator[_Block]:
    """The blank-line separated blocks of ``text``; comment lines kept apart."""
    block = _Block()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            if block.lines or block.comments:
                yield block
            block = _Block()
        elif line.startswith("//"):
            block.comments.append((number, line))
        else:
            block.lines.append((number, len(raw) - len(raw.lstrip()) + 1, line))
    if block.lines or block.comments:
        yield block


@dataclass(frozen=True, slots=True)
class _Tok:
    """A control character (``kind`` is the character) or a run of text (``kind`` "")."""

    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[_Tok]:
    """``text`` cut into control characters and text runs, escapes resolved."""
    out: list[_Tok] = []
    run: list[str] = []
    run_at = 0
    for match in _TOKEN.finditer(text):
        escaped, control, plain = match.groups()
        if control is None:
            if not run:
                run_at = match.start()
            run.append(plain if escaped is None else "\n" if escaped == "n" else escaped)
            continue
        if run:
            out.append(_Tok("", "".join(run), run_at))
            run = []
        out.append(_Tok(control, control, match.start()))
    if run:
        out.append(_Tok("", "".join(run), run_at))
    return out


def _join(tokens: list[_Tok]) -> str:
    return "".join(t.text for t in tokens)


def _blank(tokens: list[_Tok]) -> bool:
    return all(t.kind == "" and not t.text.strip() for t in tokens)


def _split(tokens: list[_Tok], kinds: str) -> list[tuple[_Tok | None, list[_Tok]]]:
    """Pieces of ``tokens`` cut at each control in ``kinds``: (the control, what follows it).

    The first piece, before any such control, comes with ``None``.
    """
    pieces: list[tuple[_Tok | None, list[_Tok]]] = [(None, [])]
    for token in tokens:
        if token.kind and token.kind in kinds:
            pieces.append((token, []))
        else:
            pieces[-1][1].append(token)
    return pieces


def _refuse(tokens: list[_Tok], kinds: str, where: str) -> None:
    """Fail on the first unescaped control character of ``kinds`` in ``tokens``."""
    for token in tokens:
        if token.kind and token.kind in kinds:
            raise _Fail("unescaped_control",
                        f"unescaped '{token.kind}' in {where}: write \\{token.kind} for the "
                        f"character itself", token.at)


# ================================================================ text formats


class _HtmlText(HTMLParser):
    """HTML to Markdown-ish text: paragraphs, lines, list items, safe links and images."""

    BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
                        "tr", "blockquote", "pre", "section", "article", "header", "footer",
                        "figure", "hr", "dl", "dt", "dd"})
    ACTIVE = frozenset({"script", "iframe", "object", "embed", "applet", "form", "frame",
                        "frameset"})
    HIDDEN = frozenset({"style", "head", "title", "template", "noscript", "textarea", "select",
                        *ACTIVE})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[tuple[int, str]] = []
        self.notes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
            if tag in self.ACTIVE:
                self.notes.append(("lossy_active_content", f"<{tag}> removed from the HTML"))
        if self.hidden:
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            self.links.append((len(self.parts), _safe_url(values.get("href", ""), "mailto")))
        elif tag == "img":
            self.parts.append(self._image(values.get("src", "").strip(), values.get("alt", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif self.hidden:
            return
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            start, href = self.links.pop()
            label = " ".join("".join(self.parts[start:]).split())
            if href:
                del self.parts[start:]
                self.parts.append(f"[{label}]({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data.replace("\xa0", " ")))

    def _image(self, src: str, alt: str) -> str:
        url = _safe_url(src)
        if url:
            return f"![{alt}]({url})"
        self.notes.append(("lossy_image", f"image '{src[:60]}' is not part of the GIFT file "
                                          "and was left out" + (f" (kept its text '{alt}')"
                                                                if alt else "")))
        return alt

    def text(self) -> str:
        lines = "".join(self.parts).split("\n")
        text = "\n".join(line.strip() for line in lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def _safe_url(url: str, *extra: str) -> str:
    """``url`` if its scheme is http(s) (or one of ``extra``), Markdown-safe; else ""."""
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"http", "https", *extra}:
        return ""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _html_to_text(html: str) -> tuple[str, list[tuple[str, str]]]:
    """Markdown-ish text of ``html``, and notes on what was left out."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text(), parser.notes


def _split_format(text: str, default: str) -> tuple[str, str]:
    """(format, text) with a leading ``[html]``-style tag taken off."""
    match = _FORMAT_TAG.match(text)
    if match:
        return match.group(1), text[match.end():]
    return default, text


def _convert(text: str, fmt: str, notes: list[tuple[str, str]]) -> str:
    """``text`` written in GIFT format ``fmt`` as our Markdown, stripped."""
    if fmt == "html" or (fmt == "moodle" and _HTML_HINT.search(text)):
        source = text.replace("\n", "<br>") if fmt == "moodle" else text
        text, more = _html_to_text(source)
        notes.extend(more)
    return text.strip()


# ================================================================ metadata comments


def _meta_text(raw: str) -> Any:
    """A metadata value: JSON when it starts with ``"``, ``{`` or ``[``, else the text."""
    raw = raw.replace("\\]", "]").strip()
    return json.loads(raw) if raw[:1] in "\"{[" else raw


def _meta_bool(raw: str) -> bool:
    value = _meta_text(raw)
    if value not in {"true", "false"}:
        raise ValueError("write true or false")
    return value == "true"


def _meta_decimal(raw: str) -> Decimal:
    return _number(str(_meta_text(raw)))


def _meta_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        text = str(_meta_text(raw))
        if not text.isascii() or not text.isdigit() or not (
                low <= int(text) <= (high if high is not None else int(text))):
            raise ValueError(f"a whole number from {low}" + (f" to {high}" if high else ""))
        return int(text)
    return convert


def _meta_string(raw: str) -> str:
    value = _meta_text(raw)
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _meta_json(kind: type) -> Callable[[str], Any]:
    def convert(raw: str) -> Any:
        value = _meta_text(raw)
        if not isinstance(value, kind):
            raise ValueError(f"expected a JSON {'object' if kind is dict else 'list'}")
        return value
    return convert


def _meta_enum(kind: type) -> Callable[[str], Any]:
    def convert(raw: str) -> Any:
        value = str(_meta_text(raw))
        choices = [member.value for member in kind]
        if value not in choices:
            raise ValueError("expected one of " + ", ".join(choices))
        return kind(value)
    return convert


def _moodle_text(raw: str) -> str:
    """An ``[id:…]`` or ``[tag:…]`` value as Moodle reads it."""
    return raw.replace("\\]", "]").strip()


_META_KEYS: dict[str, Callable[[str], Any]] = {
    "id": _moodle_text, "tag": _moodle_text, "points": _meta_decimal,
    "difficulty": _meta_int(1, 5), "statute": _meta_json(dict),
    "shuffle": _meta_bool, "floor_at_zero": _meta_bool, "scoring": _meta_enum(Scoring),
    "case_sensitive": _meta_bool, "fold_width": _meta_bool, "ignore_spaces": _meta_bool,
    "pattern": _meta_string, "blank_weight": _meta_decimal, "unit": _meta_string,
    "unit_policy": _meta_enum(UnitPolicy), "relative_tolerance": _meta_json(list),
    "rubric": _meta_json(list), "word_limit": _meta_int(1), "explanation": _meta_string,
}


@dataclass
class _Meta:
    """The ``[key:value]`` metadata in a question's comments; each reader takes its keys."""

    raw: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @classmethod
    def read(cls, comments: list[tuple[int, str]]) -> _Meta:
        meta = cls()
        for line, text in comments:
            for match in _META.finditer(text):
                if match.group(1) in _META_KEYS:
                    meta.raw.setdefault(match.group(1), []).append((match.group(2), line))
        return meta

    def all(self, key: str) -> list[Any]:
        """Every value of ``key`` (removing it), converted; a bad one fails."""
        values = []
        for raw, line in self.raw.pop(key, []):
            try:
                values.append(_META_KEYS[key](raw))
            except (ValueError, TypeError, InvalidOperation, RecursionError, _Fail) as err:
                why = err.reason if isinstance(err, _Fail) else str(err)
                raise _Fail("bad_metadata", f"[{key}:{raw}] in a comment: {why}",
                            line=line) from None
        return values

    def get(self, key: str, default: Any = None) -> Any:
        """The first value of ``key``, or ``default``."""
        values = self.all(key)
        return values[0] if values else default

    def check_used(self) -> None:
        """Fail on metadata that does not apply to the question it precedes."""
        for key, values in self.raw.items():
            raise _Fail("bad_metadata", f"[{key}:…] in a comment does not apply to this "
                                        "kind of question", line=values[0][1])


# ================================================================ numbers


def _number(text: str) -> Decimal:
    """A GIFT number (full-width digits allowed); fails with ``bad_number``."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not _NUMBER.fullmatch(text):
        raise _Fail("bad_number", f"'{text[:40]}' is not a number")
    return Decimal(text)


def _percent(text: str) -> Decimal:
    """A ``%weight%`` between -100 and 100."""
    try:
        value = _number(text)
    except _Fail:
        raise _Fail("bad_weight", f"'%{text[:20]}%' is not a weight: write e.g. %50% or "
                                  "%-100%") from None
    if not -HUNDRED <= value <= HUNDRED:
        raise _Fail("bad_weight", f"weight {text}% is outside -100% … 100%")
    return value


def _plain(value: Decimal) -> str:
    """``value`` written without exponent, as GIFT and Moodle read numbers."""
    text = format(value, "f")
    return "0" if text in {"-0", "+0"} else text


# ================================================================ one question


def _cut_title(tokens: list[_Tok]) -> tuple[str, list[_Tok]]:
    """(title, the rest) for a question that may start with ``::title::``."""
    if not tokens or tokens[0].kind != ":":
        return "", tokens
    if len(tokens) < 2 or tokens[1].kind != ":":
        raise _Fail("malformed_title", "a title is written ::title:: with two colons on each "
                    "side, but this question starts with a single ':' (write \\: for the "
                    "character)", tokens[0].at)
    for i in range(2, len(tokens) - 1):
        if tokens[i].kind == ":" and tokens[i + 1].kind == ":":
            _refuse(tokens[2:i], "{}=~#", "the title")
            return _join(tokens[2:i]).strip(), tokens[i + 2:]
    raise _Fail("unclosed_title", "the title opened with '::' is not closed with '::'",
                tokens[0].at)


def _cut_block(tokens: list[_Tok], end: int) -> tuple[list[_Tok], list[_Tok] | None, list[_Tok]]:
    """(text before, answer block or None for a description, text after)."""
    opens = [i for i, t in enumerate(tokens) if t.kind == "{"]
    closes = [i for i, t in enumerate(tokens) if t.kind == "}"]
    if not opens and not closes:
        return tokens, None, []
    if closes and (not opens or closes[0] < opens[0]):
        raise _Fail("stray_closing_brace", "'}' without an opening '{' (write \\} for the "
                    "character)", tokens[closes[0]].at)
    first = opens[0]
    closing = [i for i in closes if i > first]
    if not closing:
        raise _Fail("unclosed_answer_block", "the answer block opened at {ref} is not closed "
                    "with '}' before the question ends (a blank line ends a question)", end,
                    ref=tokens[first].at)
    close = closing[0]
    if len(opens) > 1 and opens[1] < close:
        raise _Fail("nested_brace", "'{' inside the answer block opened at {ref} (write "
                    "\\{ for the character)", tokens[opens[1]].at, ref=tokens[first].at)
    if len(opens) > 1:
        raise _Fail("second_answer_block", "a second answer block: a question has one (write "
                    "\\{ and \\} for braces in the text)", tokens[opens[1]].at)
    if len(closing) > 1:
        raise _Fail("stray_closing_brace", "'}' after the answer block has been closed (write "
                    "\\} for the character)", tokens[closing[1]].at)
    return tokens[:first], tokens[first + 1:close], tokens[close + 1:]


def _cut_general_feedback(tokens: list[_Tok]) -> tuple[list[_Tok], list[_Tok] | None]:
    """(answers, general feedback after the last ``####`` or None)."""
    for i in range(len(tokens) - 4, -1, -1):
        if all(t.kind == "#" for t in tokens[i:i + 4]):
            return tokens[:i], tokens[i + 4:]
    return tokens, None


def _kind(tokens: list[_Tok]) -> str:
    """The kind of question an answer block makes, decided in Moodle's order."""
    if _blank(tokens):
        return "essay"
    first = next(t for t in tokens if t.kind or t.text.strip())
    kinds = {t.kind for t in tokens}
    if first.kind == "#":
        return "numeric"
    if "~" in kinds:
        return "choice"
    if "=" in kinds and any("->" in t.text for t in tokens if not t.kind):
        return "matching"
    word = _join(_split(tokens, "#")[0][1]).strip().upper()
    return "true_false" if word in TRUE_FALSE_WORDS else "short"


def _first_text_at(tokens: list[_Tok]) -> int:
    """Offset of the first character that is not white space."""
    for token in tokens:
        if token.kind or token.text.strip():
            return token.at + len(token.text) - len(token.text.lstrip())
    return tokens[0].at if tokens else 0


@dataclass
class _Answer:
    """One ``=``/``~`` answer: its weight, text tokens and feedback tokens."""

    prefix: str  #: "=", "~" or "" for text before any prefix
    weight: Decimal | None
    text: list[_Tok]
    feedback: list[_Tok] | None
    at: int


def _answers(tokens: list[_Tok], prefixes: str, *, lead: bool) -> list[_Answer]:
    """The answers of a block; ``lead`` allows a first answer without a prefix."""
    pieces = _split(tokens, prefixes)
    answers = []
    if not _blank(pieces[0][1]):
        if not lead:
            raise _Fail("answer_without_prefix",
                        f"'{_join(pieces[0][1]).strip()[:40]}' is not an answer: start each "
                        "answer with = (right) or ~ (wrong)", _first_text_at(pieces[0][1]))
        answers.append(_answer("", pieces[0][1], _first_text_at(pieces[0][1])))
    for prefix, piece in pieces[1:]:
        assert prefix is not None
        answers.append(_answer(prefix.kind, piece, prefix.at))
    return answers


def _answer(prefix: str, tokens: list[_Tok], at: int) -> _Answer:
    """An answer's weight, text and single feedback."""
    parts = _split(tokens, "#")
    if len(parts) > 2:
        raise _Fail("extra_hash", "a second unescaped '#' in an answer's feedback (write \\# "
                    "for the character)", parts[2][0].at if parts[2][0] else at)
    text = list(parts[0][1])
    weight = None
    if text and not text[0].kind and (match := _WEIGHT.match(text[0].text)):
        try:
            weight = _percent(match.group(1))
        except _Fail as fail:
            fail.at = text[0].at
            raise
        text[0] = _Tok("", text[0].text[match.end():], text[0].at + match.end())
    return _Answer(prefix, weight, text, parts[1][1] if len(parts) > 1 else None, at)


@dataclass
class _Reader:
    """What reading one question needs and collects besides its spec."""

    fmt: str  #: the question text's format, the default for every other text
    meta: _Meta
    notes: list[tuple[str, str]] = field(default_factory=list)  #: (lossy code, reason)
    feedback: list[tuple[str, str]] = field(default_factory=list)  #: (label, feedback)

    def text(self, tokens: list[_Tok], where: str, *, strict_colon: bool = True) -> str:
        """An answer's text in our Markdown; control characters refused."""
        _refuse(tokens, "{}=~#:" if strict_colon else "{}=~#", where)
        fmt, text = _split_format(_join(tokens).strip(), self.fmt)
        return _convert(text, fmt, self.notes)

    def note_feedback(self, label: str, tokens: list[_Tok] | None) -> None:
        """Keep an answer's feedback for the explanation."""
        if tokens:
            fmt, text = _split_format(_join(tokens).strip(), self.fmt)
            text = _convert(text, fmt, self.notes)
            if text:
                self.feedback.append((label, text))


def _choice_id(index: int) -> str:
    return string.ascii_lowercase[index] if index < 26 else f"c{index + 1}"


# ================================================================ the kinds of question


def _read_essay(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{}``: an essay marked against one criterion, unless ``[rubric:…]`` says more."""
    rubric = rd.meta.get("rubric")
    try:
        criteria = tuple(RubricCriterion(c["id"], c["name"], Decimal(str(c["points"])),
                                         c.get("description", "")) for c in rubric or ())
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise _Fail("bad_metadata", "[rubric:…] needs a list of {id, name, points, "
                    "description}") from None
    return EssaySpec, {"rubric": criteria or (RubricCriterion(*DEFAULT_CRITERION, points),),
                       "word_limit": rd.meta.get("word_limit")}


def _read_true_false(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{T}``, ``{FALSE#feedback if wrong#feedback if right}``."""
    parts = _split(tokens, "#")
    if len(parts) > 3:
        raise _Fail("extra_hash", "a true/false answer takes at most two feedbacks; write \\# "
                    "for the character", parts[3][0].at if parts[3][0] else None)
    answer = TRUE_FALSE_WORDS[_join(parts[0][1]).strip().upper()]
    rd.note_feedback(TRUE_FALSE_LABELS[not answer], parts[1][1] if len(parts) > 1 else None)
    rd.note_feedback(TRUE_FALSE_LABELS[answer], parts[2][1] if len(parts) > 2 else None)
    return TrueFalseSpec, {"answer": answer}


def _read_choice(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{=right ~wrong ~%50%half}``: single choice with an ``=``, else multiple."""
    answers = _answers(tokens, "=~", lead=False)
    if len(answers) < 2:
        raise _Fail("too_few_answers", "a multiple-choice question needs at least two answers",
                    answers[0].at if answers else None)
    choices = []
    for i, answer in enumerate(answers):
        text = rd.text(answer.text, "an answer")
        if not text:
            raise _Fail("empty_answer", f"answer {i + 1} is empty", answer.at)
        default = HUNDRED if answer.prefix == "=" else Decimal(0)
        choices.append(Choice(_choice_id(i), text, _or(answer.weight, default)))
        rd.note_feedback(text, answer.feedback)
    options = {"shuffle": rd.meta.get("shuffle", True),
               "floor_at_zero": rd.meta.get("floor_at_zero", True)}
    if any(answer.prefix == "=" for answer in answers):
        return SingleChoiceSpec, {"choices": tuple(choices), **options}
    scoring = rd.meta.get("scoring")
    if scoring is None:
        choices, scoring = _multiple_scoring(choices, rd)
    return MultipleChoiceSpec, {"choices": tuple(choices), "scoring": scoring, **options}


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _multiple_scoring(choices: list[Choice], rd: _Reader) -> tuple[list[Choice], Scoring]:
    """How Moodle's multiple-answer weights are scored here (see the module table)."""
    positive = [i for i, c in enumerate(choices) if c.weight > 0]
    if positive and all(c.weight >= 0 for c in choices) and any(c.weight == 0 for c in choices):
        rd.notes.append(("lossy_all_or_nothing", "its wrong answers carry no penalty, so it is "
                         "scored all-or-nothing: only choosing exactly the right answers earns "
                         "marks (give wrong answers a weight such as ~%-100% for part credit)"))
        return choices, Scoring.ALL_OR_NOTHING
    gap = HUNDRED - sum((choices[i].weight for i in positive), Decimal(0))
    if positive and gap and abs(gap) <= Decimal("0.01"):
        last = choices[positive[-1]]
        choices[positive[-1]] = Choice(last.id, last.text, last.weight + gap)
    return choices, Scoring.PARTIAL


def _read_short(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{=answer =other}``: one blank; ``*`` is a wildcard, partial credit has no home."""
    options = {"case_sensitive": rd.meta.get("case_sensitive", False),
               "fold_width": rd.meta.get("fold_width", True),
               "ignore_spaces": rd.meta.get("ignore_spaces", True)}
    accepted, wildcards = [], []
    for answer in _answers(tokens, "=", lead=True):
        text = rd.text(answer.text, "an answer")
        weight = _or(answer.weight, HUNDRED)
        if not text:
            raise _Fail("empty_answer", "an answer is empty", answer.at)
        rd.note_feedback(OTHER_ANSWER_LABEL if text == "*" else text, answer.feedback)
        if weight == HUNDRED:
            (wildcards if "*" in text else accepted).append(text)
        elif weight != 0:
            rd.notes.append(("lossy_partial_answer", f"answer '{text}' ({_plain(weight)}%) was "
                             "left out: a fill-in answer earns full marks or none"))
    pattern = _wildcard_pattern(wildcards, rd.meta.get("pattern"), options)
    if not accepted and pattern is None:
        raise _Fail("no_full_credit_answer", "no answer earns full credit (100%)")
    blank = Blank(1, tuple(accepted), pattern, rd.meta.get("blank_weight", Decimal(1)), **options)
    return FillBlankSpec, {"blanks": (blank,), "scoring": rd.meta.get("scoring", Scoring.PARTIAL)}


def _wildcard_pattern(wildcards: list[str], pattern: str | None, options: dict) -> str | None:
    """Moodle's ``*`` answers as one regular expression over normalised answers."""
    from lms.domain.scoring import normalise_blank

    probe = Blank(1, ("_",), **options)
    branches = [".*".join(re.escape(normalise_blank(part, probe)) for part in text.split("*"))
                for text in wildcards]
    if pattern is not None:
        branches.insert(0, pattern)
    if len(branches) > 1:
        return "|".join(f"(?:{branch})" for branch in branches)
    return branches[0] if branches else None


def _read_numeric(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{#1200:5}``, ``{#1..5}``, ``{#=%100%5:0 =%50%5:2 ~#feedback otherwise}``."""
    body = tokens[[t.kind for t in tokens].index("#") + 1:]
    kinds, otherwise = [t.kind for t in body], None
    if "~" in kinds:
        body, rest = body[:kinds.index("~")], body[kinds.index("~") + 1:]
        parts = _split(rest, "#")
        if not _blank(parts[0][1]) or len(parts) != 2:
            raise _Fail("bad_numeric_feedback", "feedback for other answers is written "
                        "~#feedback at the end", _first_text_at(rest))
        otherwise = parts[1][1]
    answers = []
    for answer in _answers(body, "=", lead=True):
        raw, weight = _join(answer.text).strip(), _or(answer.weight, HUNDRED)
        _refuse(answer.text, "{}=~#", "a numeric answer")
        label = OTHER_ANSWER_LABEL if raw == "*" else raw.replace(":", "±")
        rd.note_feedback(label, answer.feedback)
        if raw == "*" and weight == 0:
            continue
        value, tolerance = _numeric_value(raw, answer.at)
        if weight > 0:
            answers.append(NumericAnswer(value, tolerance, weight=weight))
        elif weight < 0:
            rd.notes.append(("lossy_negative_answer", f"answer {raw} ({_plain(weight)}%) was "
                             "left out: a numeric answer cannot take marks away"))
    rd.note_feedback(OTHER_ANSWER_LABEL, otherwise)
    answers = _relative(answers, rd.meta.get("relative_tolerance"))
    return NumericSpec, {"answers": tuple(answers), "unit": rd.meta.get("unit"),
                         "unit_policy": rd.meta.get("unit_policy", UnitPolicy.OPTIONAL)}


def _numeric_value(raw: str, at: int) -> tuple[Decimal, Decimal]:
    """(value, absolute tolerance) of ``5``, ``5:0.5`` or ``4.5..5.5``."""
    try:
        if ".." in raw[1:]:
            low, high = (_number(part) for part in raw.split("..", 1))
            if low > high:
                raise _Fail("bad_range", f"range {raw}: the low end is above the high end")
            return (low + high) / 2, (high - low) / 2
        if ":" in raw:
            value, tolerance = (_number(part) for part in raw.split(":", 1))
            if tolerance < 0:
                raise _Fail("bad_number", f"tolerance in {raw} is negative")
            return value, tolerance
        if raw == "*":
            raise _Fail("bad_wildcard", "a '*' numeric answer can only carry feedback (%0%)")
        return _number(raw), Decimal(0)
    except _Fail as fail:
        fail.at = at
        raise


def _relative(answers: list[NumericAnswer], tolerances: list | None) -> list[NumericAnswer]:
    """``answers`` with the relative tolerances of ``[relative_tolerance:…]`` put back."""
    if tolerances is None:
        return answers
    if len(tolerances) != len(answers):
        raise _Fail("bad_metadata", "[relative_tolerance:…] needs one entry per answer")
    try:
        return [a if t is None else NumericAnswer(a.value, Decimal(str(t)),
                                                  ToleranceKind.RELATIVE, a.weight)
                for a, t in zip(answers, tolerances, strict=True)]
    except InvalidOperation:
        raise _Fail("bad_metadata", "[relative_tolerance:…] holds a non-number") from None


def _read_matching(tokens: list[_Tok], rd: _Reader, points: Decimal) -> tuple[type, dict]:
    """``{=left -> right = -> distractor}``."""
    lefts, rights, pairs = [], {}, []
    for answer in _answers(tokens, "=", lead=True):
        if answer.feedback is not None or answer.weight is not None:
            raise _Fail("matching_extras", "matching pairs take no weights or feedback (write "
                        "\\# for the character)", answer.at)
        _refuse(answer.text, "{}=~#:", "a matching pair")
        raw = _join(answer.text)
        if "->" not in raw:
            raise _Fail("matching_without_arrow", f"'{raw.strip()[:40]}' is not a pair: write "
                        "=left -> right", answer.at)
        left, right = (part.strip() for part in raw.split("->", 1))
        if not right:
            raise _Fail("empty_answer", "a pair has nothing after '->'", answer.at)
        right_id = rights.setdefault(right, f"r{len(rights) + 1}")
        fmt, left = _split_format(left, rd.fmt)
        left = _convert(left, fmt, rd.notes)
        if left:
            lefts.append(Entry(f"l{len(lefts) + 1}", left))
            pairs.append(MatchPair(lefts[-1].id, right_id))
    return MatchingSpec, {
        "lefts": tuple(lefts), "rights": tuple(Entry(i, t) for t, i in rights.items()),
        "pairs": tuple(pairs), "scoring": rd.meta.get("scoring", Scoring.PARTIAL),
        "shuffle": rd.meta.get("shuffle", True)}


_READERS = {"essay": _read_essay, "true_false": _read_true_false, "choice": _read_choice,
            "short": _read_short, "numeric": _read_numeric, "matching": _read_matching}


# ================================================================ reading a file


def _sentinel(text: str) -> str:
    """A private-use character that does not occur in ``text``."""
    return next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)


def _stem(head: str, after: str | None, fmt: str, kind: str | None,
          notes: list[tuple[str, str]]) -> str:
    """The question text, with ``[[1]]`` or ``_____`` where a missing word's block was."""
    if after is None:
        return _convert(head, fmt, notes)
    mark = _sentinel(head + after)
    text = _convert(head + mark + after, fmt, notes)
    at_end = not after.strip()
    if kind != "short":
        return text.replace(mark, "" if at_end else MOODLE_BLANK).strip()
    if at_end and _UNDERSCORES.search(text.replace(mark, "")):
        return _UNDERSCORES.sub("[[1]]", text.replace(mark, ""), count=1).strip()
    return text.replace(mark, "[[1]]").strip()


def _explanation(rd: _Reader, general: list[_Tok] | None) -> str:
    """General feedback, then the answers' feedback as a list."""
    parts = []
    if general is not None:
        _refuse(general, "{}=~#", "the general feedback")
        fmt, text = _split_format(_join(general).strip(), rd.fmt)
        parts.append(_convert(text, fmt, rd.notes))
    if rd.feedback:
        parts.append("\n".join(f"- {label}：{text}" for label, text in rd.feedback))
    return "\n\n".join(part for part in parts if part)


def _read_question(block: _Block, meta: _Meta) -> tuple[str, ItemSpec, list[tuple[str, str]]]:
    """(title, spec, lossy notes) of one question; fails with `_Fail` or `ItemSpecError`."""
    text = block.text
    title, tokens = _cut_title(_tokens(text))
    before, answers, after = _cut_block(tokens, len(text))
    _refuse(before + after, "=~#", "the question text")
    fmt, head = _split_format(_join(before).lstrip(), "moodle")
    rd = _Reader(fmt, meta)
    if answers is None:
        spec: ItemSpec = DescriptionSpec(stem=_stem(head, None, fmt, None, rd.notes),
                                         explanation=meta.get("explanation", ""))
    else:
        answers, general = _cut_general_feedback(answers)
        kind = _kind(answers)
        points = meta.get("points", DEFAULT_POINTS)
        stem = _stem(head, _join(after), fmt, kind, rd.notes)
        cls, fields = _READERS[kind](answers, rd, points)
        spec = cls(stem=stem, points=points, explanation=_explanation(rd, general), **fields)
    meta.check_used()
    return title, spec, rd.notes


def _category_path(raw: str) -> str:
    """``$course$/top/A/B`` → ``A/B``: Moodle's context and top category dropped."""
    path = raw.strip()
    context = _CONTEXT.match(path)
    if context:
        path = path[context.end():]
    segments = [s.strip() for s in re.split(r"(?<!/)/(?!/)", path) if s.strip()]
    if context and segments[:1] == ["top"]:
        segments = segments[1:]
    return "/".join(segments)


@dataclass
class _File:
    """The state of reading one file: where we are and what was found."""

    filename: str
    category: str = ""
    result: ParseResult = field(default_factory=ParseResult)

    def read(self, block: _Block) -> None:
        """Add the question in ``block`` to the result, or the reason it cannot be."""
        try:
            block = self._take_category(block)
            if not block.lines:
                return
            item, notes = self._item(block)
        except _Fail as fail:
            self.result.problems.append(self._problem(block, fail))
        except ItemSpecError as err:
            self.result.problems.append(self._problem(block, _spec_failure(err)))
        else:
            self.result.items.append(item)
            self.result.problems.extend(ImportProblem(item.where, f"imported, but {reason}", code)
                                        for code, reason in notes)

    def _take_category(self, block: _Block) -> _Block:
        """``block`` without its ``$CATEGORY:`` line, which sets the category."""
        if not block.lines or not block.lines[0][2].startswith("$CATEGORY:"):
            return block
        self.category = _category_path(_join(_tokens(block.lines[0][2][len("$CATEGORY:"):])))
        return _Block(block.lines[1:], block.comments)

    def _item(self, block: _Block) -> tuple[BankItem, list[tuple[str, str]]]:
        meta = _Meta.read(block.comments)
        common = {"external_id": meta.get("id") or None,
                  "tags": tuple(tag for tag in meta.all("tag") if tag),
                  "difficulty": meta.get("difficulty"),
                  "statutes": tuple(_statute(s) for s in meta.all("statute"))}
        title, spec, notes = _read_question(block, meta)
        item = BankItem(spec, title=title, category=self.category,
                        where=f"{self.filename}:{block.start}", **common)
        return item, notes

    def _problem(self, block: _Block, fail: _Fail) -> ImportProblem:
        column = None
        if fail.line is not None:
            line = fail.line
        elif fail.at is not None and block.lines:
            line, column = block.locate(fail.at)
        else:
            line = block.start if block.lines else block.comments[0][0]
        reason = fail.reason
        if fail.ref is not None:
            reason = reason.replace("{ref}", "line {}, column {}".format(*block.locate(fail.ref)))
        if block.lines and line != block.start:
            reason += f" (in the question starting at line {block.start})"
        where = f"{self.filename}:{line}" + (f":{column}" if column else "")
        return ImportProblem(where, reason, fail.code)


def _statute(value: dict) -> dict:
    """A ``[statute:{…}]`` value: law, version and articles."""
    law, version, articles = value.get("law"), value.get("version", ""), value.get("articles", [])
    if not (isinstance(law, str) and law.strip() and isinstance(version, str)
            and isinstance(articles, list) and all(isinstance(a, str) for a in articles)):
        raise _Fail("bad_metadata", "[statute:…] needs {\"law\": text, \"version\": text, "
                    "\"articles\": [text, …]}")
    return {"law": law, "version": version, "articles": list(articles)}


def parse(data: bytes, *, filename: str) -> ParseResult:
    """The questions in GIFT ``data``, and a problem for each one that cannot be read.

    Raises `FormatError` only when the file as a whole is not GIFT text (too
    large, not UTF-8/GB18030, binary).
    """
    text = decode_text(data, filename=filename)
    if "\x00" in text:
        raise FormatError(filename, "contains NUL characters: not a GIFT text file", "not_text")
    reader = _File(filename)
    for block in _blocks(text.replace("\r\n", "\n").replace("\r", "\n")):
        reader.read(block)
    return reader.result


# ================================================================ writing


HEADER = "// UnionCadre Academy question bank in Moodle's GIFT format\n"
_ESCAPES = str.maketrans({**{c: "\\" + c for c in "\\~=#{}:"}, "\n": "\\n"})


def _escape(text: str) -> str:
    """``text`` with GIFT's control characters escaped and line breaks as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_ESCAPES)


def _text(text: str) -> str:
    """An answer or feedback text: escaped, and marked Markdown if it could pass for a tag."""
    return ("[markdown]" if _FORMAT_TAG.match(text) else "") + _escape(text)


def _meta(key: str, value: Any) -> str:
    """``[key:value]``; text and structures as JSON, ``]`` written ``\\]``."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, Decimal):
        value = _plain(value)
    elif not isinstance(value, str | int) or key in {"pattern", "unit", "explanation"}:
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"[{key}:{str(value).replace(']', chr(92) + ']')}]"


def _general(spec: ItemSpec) -> str:
    return f"\t####{_text(spec.explanation)}\n" if spec.explanation else ""


def _write_choice(spec: SingleChoiceSpec | MultipleChoiceSpec) -> tuple[str, list[str]]:
    lines, equals = [], isinstance(spec, SingleChoiceSpec)
    for choice in spec.choices:
        if equals and choice.weight == HUNDRED:
            prefix, equals = ("=%100%" if choice.text.startswith("%") else "="), False
        elif choice.weight == 0 and not choice.text.startswith("%"):
            prefix = "~"
        else:
            prefix = f"~%{_plain(choice.weight)}%"
        lines.append(f"\t{prefix}{_text(choice.text)}\n")
    meta = [_meta("shuffle", False)] if not spec.shuffle else []
    meta += [_meta("floor_at_zero", False)] if not spec.floor_at_zero else []
    if isinstance(spec, MultipleChoiceSpec) and spec.scoring is Scoring.ALL_OR_NOTHING:
        meta.append(_meta("scoring", spec.scoring.value))
    return _escape(spec.stem) + "{\n" + "".join(lines) + _general(spec) + "}", meta


def _write_true_false(spec: TrueFalseSpec) -> tuple[str, list[str]]:
    general = f"####{_text(spec.explanation)}" if spec.explanation else ""
    return f"{_escape(spec.stem)}{{{'TRUE' if spec.answer else 'FALSE'}{general}}}", []


def _write_fill_blank(spec: FillBlankSpec) -> tuple[str, list[str]]:
    blank = spec.blanks[0]
    before, after = spec.stem.split("[[1]]", 1)
    answers = "".join(f"\t=%100%{_text(text)}\n" for text in blank.accepted)
    meta = [_meta(key, getattr(blank, key)) for key, default in (
        ("case_sensitive", False), ("fold_width", True), ("ignore_spaces", True))
        if getattr(blank, key) != default]
    meta += [_meta("pattern", blank.pattern)] if blank.pattern is not None else []
    meta += [_meta("blank_weight", blank.weight)] if blank.weight != 1 else []
    meta += [_meta("scoring", spec.scoring.value)] if spec.scoring is not Scoring.PARTIAL else []
    block = "{\n" + answers + _general(spec) + "}"
    return _escape(before) + block + _escape(after), meta


def _write_numeric(spec: NumericSpec) -> tuple[str, list[str]]:
    lines, relative = [], []
    for answer in spec.answers:
        absolute = answer.tolerance_kind is ToleranceKind.ABSOLUTE
        tolerance = answer.tolerance if absolute else abs(answer.value) * answer.tolerance
        lines.append(f"\t=%{_plain(answer.weight)}%{_plain(answer.value)}:{_plain(tolerance)}\n")
        relative.append(None if absolute else _plain(answer.tolerance))
    meta = [_meta("unit", spec.unit)] if spec.unit is not None else []
    if spec.unit_policy is not UnitPolicy.OPTIONAL:
        meta.append(_meta("unit_policy", spec.unit_policy.value))
    if any(relative):
        meta.append(_meta("relative_tolerance", relative))
    return _escape(spec.stem) + "{#\n" + "".join(lines) + _general(spec) + "}", meta


def _write_matching(spec: MatchingSpec) -> tuple[str, list[str]]:
    rights = {entry.id: entry.text for entry in spec.rights}
    lines = [f"\t={_text(left.text)} -> {_escape(rights[spec.key[left.id]])}\n"
             for left in spec.lefts]
    paired = set(spec.key.values())
    lines += [f"\t= -> {_escape(e.text)}\n" for e in spec.rights if e.id not in paired]
    meta = [_meta("scoring", spec.scoring.value)] if spec.scoring is not Scoring.PARTIAL else []
    meta += [_meta("shuffle", False)] if not spec.shuffle else []
    return _escape(spec.stem) + "{\n" + "".join(lines) + _general(spec) + "}", meta


def _write_essay(spec: EssaySpec) -> tuple[str, list[str]]:
    meta = []
    if spec.rubric != (RubricCriterion(*DEFAULT_CRITERION, spec.points),):
        meta.append(_meta("rubric", [{"id": c.id, "name": c.name, "points": _plain(c.points),
                                      "description": c.description} for c in spec.rubric]))
    if spec.word_limit is not None:
        meta.append(_meta("word_limit", spec.word_limit))
    general = f"####{_text(spec.explanation)}" if spec.explanation else ""
    return f"{_escape(spec.stem)}{{{general}}}", meta


def _write_description(spec: DescriptionSpec) -> tuple[str, list[str]]:
    return _escape(spec.stem), [_meta("explanation", spec.explanation)] if spec.explanation else []


_WRITERS: dict[type, Callable[[Any], tuple[str, list[str]]]] = {
    SingleChoiceSpec: _write_choice, MultipleChoiceSpec: _write_choice,
    TrueFalseSpec: _write_true_false, FillBlankSpec: _write_fill_blank,
    NumericSpec: _write_numeric, MatchingSpec: _write_matching, EssaySpec: _write_essay,
    DescriptionSpec: _write_description,
}


def unwritable(item: BankItem) -> str:
    """Why ``item`` cannot be written as GIFT, or "" when it can."""
    spec = item.spec
    if type(spec) not in _WRITERS:
        return f"{spec.item_type.value} questions have no GIFT form"
    if any(c in text for text in (item.external_id or "", *item.tags) for c in "\n\r\\"):
        return "an id or tag contains a line break or a backslash"
    if isinstance(spec, FillBlankSpec):
        if len(spec.blanks) != 1 or not spec.blanks[0].accepted:
            return "GIFT holds exactly one blank with at least one accepted answer"
        if any("->" in text or "*" in text for text in spec.blanks[0].accepted):
            return "an accepted answer contains '->' or '*', which GIFT reads as syntax"
    if isinstance(spec, MatchingSpec) and any("->" in e.text for e in spec.lefts):
        return "a left-hand item contains '->', which GIFT reads as syntax"
    return ""


def _write_item(item: BankItem) -> str:
    """One question with its metadata comments."""
    body, options = _WRITERS[type(item.spec)](item.spec)
    comments = [_meta("id", item.external_id)] if item.external_id else []
    if item.tags:
        comments.append(" ".join(_meta("tag", tag) for tag in item.tags))
    if not isinstance(item.spec, DescriptionSpec) and item.spec.points != DEFAULT_POINTS:
        comments.append(_meta("points", item.spec.points))
    if item.difficulty is not None:
        comments.append(_meta("difficulty", item.difficulty))
    comments += [_meta("statute", statute) for statute in item.statutes]
    comments += options
    title = f"::{_escape(item.title)}::" if item.title else ""
    return "".join(f"// {c}\n" for c in comments) + f"{title}[markdown]{body}\n"


def export(items: list[BankItem]) -> bytes:
    """``items`` as UTF-8 GIFT that Moodle and `parse` read back.

    Raises `FormatError` naming every item GIFT cannot hold (see `unwritable`);
    check with `unwritable` first to leave them out knowingly.
    """
    refused = [f"item {n} ({item.title or item.where or item.spec.item_type.value}): {why}"
               for n, item in enumerate(items, 1) if (why := unwritable(item))]
    if refused:
        raise FormatError("export", "cannot write as GIFT: " + "; ".join(refused),
                          "not_exportable")
    parts, category = [HEADER], ""
    for item in items:
        if item.category != category:
            path = "/".join(("$course$/top", *filter(None, [_escape(item.category)])))
            parts.append(f"$CATEGORY: {path}\n")
            category = item.category
        parts.append(_write_item(item))
    return "\n".join(parts).encode("utf-8")
