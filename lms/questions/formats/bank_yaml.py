"""The platform's own bank format (``question_banks/*.yaml``, format
``unioncadre-bank/1``): a header, then questions whose ``spec`` is the item
model exactly. Checked against ``question_banks/schema.json`` and by the item
model itself; every problem names its file and line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from lms.domain.codec import PathError
from lms.domain.items import item_from_dict
from lms.domain.lined_yaml import error_line, load_lined
from lms.questions.formats.base import (
    BankItem,
    FormatError,
    ImportProblem,
    ParseResult,
    decode_text,
)

FORMAT = "unioncadre-bank/1"
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "question_banks" / "schema.json"


@dataclass(frozen=True)
class BankHeader:
    code: str
    title: str
    domain: str
    description: str = ""


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def parse(data: bytes, *, filename: str) -> tuple[BankHeader | None, ParseResult]:
    """Read a bank file: its header and its items, or problems with file and line."""
    text = decode_text(data, filename=filename)
    try:
        document = load_lined(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"{filename}:{error_line(exc) or 1}",
                          f"YAML: {getattr(exc, 'problem', exc)}") from None
    result = ParseResult()
    header = _header(document, filename, result)
    if header is None:
        return None, result
    for index, question in enumerate(document.get("questions") or []):
        item = _question(question, f"{filename}:{getattr(question, 'line', '?')}", index,
                         result)
        if item is not None:
            result.items.append(item)
    _check_unique_ids(result)
    return header, result


def _header(document, filename: str, result: ParseResult) -> BankHeader | None:
    validator = jsonschema.Draft202012Validator(schema())
    # Questions are checked one by one below, so one bad item does not hide the others.
    shell = {k: v for k, v in document.items() if k != "questions"} \
        if isinstance(document, dict) else document
    if isinstance(shell, dict):
        shell["questions"] = []
    errors = sorted(validator.iter_errors(shell), key=lambda e: list(e.path))
    for error in errors:
        result.problems.append(ImportProblem(
            f"{filename}:{_line_of(document, error.path)}", _schema_reason(error)))
    if errors:
        return None
    bank = document["bank"]
    return BankHeader(code=bank["code"], title=bank["title"], domain=bank["domain"],
                      description=bank.get("description", ""))


def _question(data, where: str, index: int, result: ParseResult) -> BankItem | None:
    validator = jsonschema.Draft202012Validator(
        {"$defs": schema()["$defs"], "$ref": "#/$defs/question"})
    errors = list(validator.iter_errors(data))
    if errors:
        for error in errors:
            line = _line_of(data, error.path) if isinstance(data, dict) else None
            place = where if line is None else where.rsplit(":", 1)[0] + f":{line}"
            result.problems.append(ImportProblem(place, _schema_reason(error)))
        return None
    try:
        spec = item_from_dict(_plain(data["spec"]))
    except PathError as exc:
        result.problems.append(ImportProblem(where, f"spec.{exc.path}: {exc.code}"
                                             + (f" ({exc.detail})" if exc.detail else "")))
        return None
    return BankItem(spec=spec, external_id=data["id"], category=data.get("category", ""),
                    tags=tuple(data.get("knowledge_points", ())),
                    difficulty=data["difficulty"],
                    statutes=tuple(_plain(s) for s in data.get("statutes", ())),
                    where=where, status=data.get("status", "draft"))


def _check_unique_ids(result: ParseResult) -> None:
    seen: dict[str, str] = {}
    for item in result.items:
        if item.external_id in seen:
            result.problems.append(ImportProblem(
                item.where, f"id '{item.external_id}' is also used at {seen[item.external_id]}"))
        seen.setdefault(item.external_id, item.where)


def _plain(value):
    """LinedDicts back to plain dicts (the item codec refuses unknown types)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line_of(document, path) -> int | str:
    """The line of the deepest mapping on ``path`` that knows its line."""
    line, node = getattr(document, "line", None), document
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", line)
    return line or 1


def _schema_reason(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.path)
    return f"{where or 'file'}: {error.message}"


def export(header: BankHeader, items: list[BankItem]) -> bytes:
    """A bank file that `parse` reads back to the same items."""
    document = {
        "format": FORMAT,
        "bank": {"code": header.code, "title": header.title, "domain": header.domain,
                 "description": header.description},
        "questions": [_question_dict(item) for item in items],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False,
                          width=100).encode("utf-8")


def _question_dict(item: BankItem) -> dict:
    entry = {"id": item.external_id, "category": item.category,
             "difficulty": item.difficulty or 3, "knowledge_points": list(item.tags),
             "statutes": [dict(s) for s in item.statutes], "status": item.status or "draft",
             "spec": item.spec.to_dict()}
    return {k: v for k, v in entry.items() if v not in ("", [], None)}
