"""One table of every figure in bench/results/latest.json, with its target where one is
set: what `make bench` prints at the end.

    .venv/bin/python bench/summary.py [--database sqlite]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import results  # noqa: E402

#: targets of the figures whose scripts do not print their own (issue 10, PERFORMANCE.md)
TARGETS = {
    "grading_bulk_seconds": "ratio ≤ 5",
    "grading_per_attempt_seconds": "ratio ≤ 5",
    "regrade_seconds": "ratio ≤ 5",
    "retraining_tick_seconds": "value < 60 s",
    "certificate PDF warm render": "ratio ≤ 1.3",
    "certificate PDF warm vs bare page": "ratio ≤ 10",
    "certificate PDF cold first render": "value ≤ 1 s",
    "certificate PDF bytes, with photo": "value ≤ 153,600",
    "certificate PDF RSS after 50 renders": "value ≤ 200 MB",
}


def targets() -> dict[str, str]:
    import exam_autosave
    import pages

    return {**exam_autosave.TARGETS, **pages.TARGETS, **TARGETS}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--database", help="only the rows of this database")
    args = options.parse_args()
    if not results.LATEST.exists():
        sys.exit(f"no results yet: {results.LATEST} is missing")
    rows = json.loads(results.LATEST.read_text())
    if args.database:
        rows = [r for r in rows if r["database"] == args.database]
    order = {"none": 0, "sqlite": 1, "postgresql": 2}
    rows.sort(key=lambda r: (order.get(r["database"], 3), r["name"]))
    known = targets()
    known.update({r["name"]: "ratio ≤ 1.5" for r in rows if r["name"].startswith("data scale:")})
    print(results.table(rows, known))


if __name__ == "__main__":
    main()
