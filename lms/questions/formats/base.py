"""The record every format reads and writes, and the helpers they share."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from lms.domain.items import ItemSpec

#: files larger than this are refused before parsing
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class BankItem:
    """One question as exchanged with other systems.

    ``spec`` is the item itself; the rest is metadata that a format may or may
    not be able to hold (GIFT keeps ``title``, ``category``, ``external_id`` and
    ``tags`` in comments; XLSX has a column for each).

    ``files`` are embedded images as ``(name, bytes)`` pairs. The Markdown of
    the item refers to each by its URL-quoted name, e.g. ``![旗帜](flag%201.png)``
    for ``("flag 1.png", b"...")``; names are relative paths without ``..``.
    Storing them and rewriting those references is the importer's job.
    """

    spec: ItemSpec
    external_id: str | None = None  #: GIFT ``[id:…]``, Moodle ``idnumber``, QTI identifier
    title: str = ""
    category: str = ""  #: slash-separated path, e.g. ``工会组织/建会条件``
    tags: tuple[str, ...] = ()  #: knowledge points
    difficulty: int | None = None  #: 1–5
    statutes: tuple[dict, ...] = ()  #: {"law", "version", "articles"}
    where: str = ""  #: where it was read, ``file:line`` or ``sheet!row``
    status: str = ""  #: review status when the format carries one (bank YAML); "" = draft
    files: tuple[tuple[str, bytes], ...] = ()  #: embedded images, see above


@dataclass(frozen=True)
class ImportProblem:
    where: str  #: ``file:line``, ``file:line:column``, ``sheet!row`` or ``file``
    reason: str  #: English, for people
    #: stable, machine-readable name of the problem (``unclosed_answer_block``) that the
    #: web layer can translate; ``""`` where a format does not give one
    code: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class ParseResult:
    items: list[BankItem] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class FormatError(ValueError):
    """The whole file cannot be read (wrong encoding, not XML, not a zip …)."""

    def __init__(self, where: str, reason: str, code: str = ""):
        super().__init__(f"{where}: {reason}")
        self.problem = ImportProblem(where, reason, code)


def decode_text(data: bytes, *, filename: str) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else GB18030.

    Raises `FormatError` when neither fits, so a mis-saved file is reported
    instead of turning into mojibake.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(filename, f"file larger than {MAX_FILE_BYTES // 2**20} MB",
                          "file_too_large")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FormatError(filename, f"not UTF-8 or GB18030 text (byte {exc.start})",
                          "not_text") from None
