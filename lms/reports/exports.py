"""CSV and XLSX files of the reports.

A report is exported as `Sheet`s: a title, the column headings (already
translated) and rows of plain values. Every cell goes through
`lms.domain.reports.spreadsheet_safe`, headings included, so a candidate named
``=HYPERLINK(…)`` is text in both formats. CSV is UTF-8 with a byte-order mark,
which is what makes Excel read Chinese correctly; it holds the first sheet only
(the report's table). XLSX holds every sheet (openpyxl); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from lms.domain.reports import spreadsheet_safe

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
FORMATS = ("csv", "xlsx")


@dataclass
class Sheet:
    title: str
    headings: list[str]
    rows: list[list] = field(default_factory=list)


def _csv_cell(value) -> str:
    value = spreadsheet_safe(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def csv_bytes(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in sheet.headings])
    for row in sheet.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(value):
    value = spreadsheet_safe(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        # control characters are not allowed in XML; they would make openpyxl refuse
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _sheet_title(title: str, taken: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(str(sheet.title), taken))
        ws.append([_xlsx_cell(h) for h in sheet.headings])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_xlsx_cell(v) for v in row])
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["CSV_MIMETYPE", "FORMATS", "XLSX_MIMETYPE", "Sheet", "csv_bytes", "xlsx_bytes"]
