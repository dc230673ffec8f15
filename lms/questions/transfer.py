"""Reading and writing question files in any supported format, for the CLI and
the import page: choose the format, parse, and apply all-or-nothing."""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lms.questions import services
from lms.questions.formats.base import BankItem, FormatError, ImportProblem, ParseResult
from lms.questions.models import QuestionBank

#: format name → module with parse(data, *, filename) and export(items)
FORMATS = {
    "yaml": "lms.questions.formats.bank_yaml",
    "gift": "lms.questions.formats.gift",
    "moodle-xml": "lms.questions.formats.moodle_xml",
    "qti": "lms.questions.formats.qti",
    "xlsx": "lms.questions.formats.xlsx",
}
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".gift": "gift", ".txt": "gift",
              ".zip": "qti", ".xlsx": "xlsx"}


class UnknownFormat(ValueError):
    pass


def guess_format(filename: str, data: bytes) -> str:
    """The format from the extension, or for ``.xml`` from the root element."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xml":
        head = data[:2048].decode("utf-8", "replace")
        return "moodle-xml" if "<quiz" in head else "qti"
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UnknownFormat(f"cannot tell the format of {filename}; pass --format")


def format_module(name: str):
    if name not in FORMATS:
        raise UnknownFormat(f"unknown format {name!r}; one of {', '.join(FORMATS)}")
    try:
        return importlib.import_module(FORMATS[name])
    except ModuleNotFoundError:
        raise UnknownFormat(f"the {name} format is not available in this version") from None


@dataclass
class ParsedFile:
    format: str
    result: ParseResult
    header: object | None = None  #: the bank header (bank YAML only)
    #: problems about items that were read but lost something (e.g. a partial-credit
    #: short answer GIFT cannot carry into our model); they do not block the import
    warnings: list[ImportProblem] = field(default_factory=list)

    @property
    def blocking(self) -> list[ImportProblem]:
        return [p for p in self.result.problems if p not in self.warnings]


def parse_file(data: bytes, *, filename: str, fmt: str | None = None) -> ParsedFile:
    """Parse a question file; whole-file failures come back as one problem."""
    fmt = fmt or guess_format(filename, data)
    module = format_module(fmt)
    try:
        parsed = module.parse(data, filename=filename)
    except FormatError as exc:
        return ParsedFile(fmt, ParseResult(problems=[exc.problem]))
    header, result = parsed if fmt == "yaml" else (None, parsed)
    lossy = getattr(module, "LOSSY_CODES", frozenset())
    return ParsedFile(fmt, result, header,
                      warnings=[p for p in result.problems if p.code in lossy])


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)

    def as_json(self) -> dict:
        def listed(problems):
            return [{"where": p.where, "reason": p.reason, "code": p.code} for p in problems]

        return {"imported": self.imported, "unchanged": self.unchanged,
                "skipped": self.skipped, "by_type": self.by_type,
                "problems": listed(self.problems), "warnings": listed(self.warnings)}


def apply(bank: QuestionBank, parsed: ParsedFile, *, actor, valid_only: bool = False,
          trust_status: bool = False) -> ImportReport:
    """Import the parsed items into ``bank``: nothing at all when the file has
    problems, unless ``valid_only`` asks for the valid items alone."""
    result = parsed.result
    report = ImportReport(problems=parsed.blocking, warnings=list(parsed.warnings),
                          by_type=dict(Counter(_type(i) for i in result.items)))
    if report.problems and not valid_only:
        report.skipped = len(result.items)
        report.by_type = {}
        return report
    counts = services.import_items(bank, result.items, actor=actor, trust_status=trust_status,
                                   note=f"imported ({parsed.format})")
    report.imported, report.unchanged = counts.imported, counts.unchanged
    report.skipped = len({p.where for p in report.problems})
    return report


def _type(item: BankItem) -> str:
    return item.spec.to_dict()["type"]


def export_bank(bank: QuestionBank, fmt: str) -> bytes:
    module = format_module(fmt)
    items = services.bank_items(bank)
    if fmt == "yaml":
        from lms.questions.formats.bank_yaml import BankHeader

        header = BankHeader(code=bank.code, title=bank.title, domain=bank.domain.value,
                            description=bank.description)
        return module.export(header, items)
    return module.export(items)
