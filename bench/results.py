"""The shared results file, ``bench/results/latest.json``: one row per figure.

A row is ``{"name", "value", "baseline", "ratio", "unit", "database"}``; a
benchmark replaces the rows it measured (same name and database) and keeps
every other row, so scripts can run one at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

LATEST = Path(__file__).resolve().parent / "results" / "latest.json"


def row(name: str, value: float | None, baseline: float | None, unit: str,
        database: str) -> dict:
    """A row; ``ratio`` is value ÷ baseline (None when there is nothing to divide by)."""
    ratio = None
    if value is not None and baseline:
        ratio = round(value / baseline, 3)
    return {"name": name, "value": _round(value), "baseline": _round(baseline),
            "ratio": ratio, "unit": unit, "database": database}


def _round(number: float | None) -> float | None:
    if number is None:
        return None
    return round(number, 3) if abs(number) < 100 else round(number, 1)


def merge(rows: list[dict], path: Path = LATEST) -> list[dict]:
    """Write ``rows`` over those of the same name and database; returns the whole file."""
    old = json.loads(path.read_text()) if path.exists() else []
    fresh = {(r["name"], r["database"]) for r in rows}
    merged = [r for r in old if (r["name"], r["database"]) not in fresh] + rows
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n")
    return merged


def table(rows: list[dict], targets: dict[str, str] | None = None) -> str:
    """The rows as an aligned text table, with the target of each figure if known."""
    targets = targets or {}
    header = ("database", "name", "value", "baseline", "ratio", "unit", "target")
    lines = [[r["database"], r["name"], _fmt(r["value"]), _fmt(r["baseline"]),
              _fmt(r["ratio"]), r["unit"], targets.get(r["name"], "")] for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    out = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
            for line in lines]
    return "\n".join(out)


def _fmt(number) -> str:
    if number is None:
        return "–"
    if isinstance(number, float) and not number.is_integer():
        return f"{number:,.3g}" if abs(number) < 10 else f"{number:,.1f}"
    return f"{number:,.0f}"
