"""The reliability and security scorecard (RELIABILITY.md part (b), issue 10 item 5).

The catalogue's ids live here and only here. A test covers a case when its
name starts with the id: ``test_F1_...``; a test that proves several cases at
once names each: ``test_A8_L3_...``.

As a pytest plugin (registered by tests/conftest.py) this records the outcome
of every catalogue test, and the answer-ledger totals the fault tests compute
(`record_ledger`, called by tests/faults/harness.py), into
``.scorecard/last-<database>.json``. A run merges into the file by test id, so
running tests/reliability and tests/security one after the other gives one card.

``python -m tests.scorecard`` (``make scorecard``) prints the card for every
database run found; it exits 1 if a catalogue id has no test in tests/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".scorecard"
TESTS = ROOT / "tests"

#: series letter → (title, size, folder its tests live in)
SERIES = {
    "F": ("Faults", 18, "reliability"),
    "L": ("Load", 12, "reliability"),
    "B": ("Bad inputs", 12, "security"),
    "A": ("Attacks", 30, "security"),
    "I": ("Integrity", 7, "security"),
    "C": ("Credentials", 8, "security"),
    "P": ("Privacy", 7, "security"),
    "R": ("Restore/migrate", 5, "reliability"),
}
#: the scorecard template's word for a passed case of each series
VERBS = {"F": "survived", "L": "passed", "B": "rejected cleanly", "A": "blocked",
         "I": "held", "C": "held", "P": "held", "R": "restored"}
CATALOGUE = tuple(f"{letter}{n}" for letter, (_, size, _) in SERIES.items()
                  for n in range(1, size + 1))
LEDGER_FIELDS = ("checks", "acked", "lost", "phantom", "late_accepted", "double_finalised")

_ID = re.compile(r"[FLBAICPR]\d{1,2}")
_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(test_\w+)", re.MULTILINE)


def ids_of(test_name: str) -> list[str]:
    """The catalogue ids a test name starts with (``test_A8_L3_x`` → A8, L3)."""
    ids = []
    for token in test_name.removeprefix("test_").split("_"):
        if not (_ID.fullmatch(token) and token in CATALOGUE):
            break
        ids.append(token)
    return ids


def database_name(url: str | None = None) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL", "") if url is None else url
    return "postgresql" if url.startswith("postgresql") else "sqlite"


# -- the answer ledger's totals, reported by the fault tests ------------------------------

_ledger = Counter()


def record_ledger(report, acked: int) -> None:
    """Count one ledger check (an `lms.domain.answer_ledger.LedgerReport`) of the
    running test; ``acked`` is how many saves the client saw acknowledged."""
    _ledger.update(checks=1, acked=acked, lost=len(report.lost), phantom=len(report.phantom),
                   late_accepted=len(report.late_accepted),
                   double_finalised=report.double_finalised)


# -- the pytest plugin ----------------------------------------------------------------------

class ScorecardPlugin:
    def __init__(self, config):
        self.config = config
        self.results: dict[str, dict] = {}

    def pytest_runtest_logstart(self, nodeid, location):
        _ledger.clear()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        # the ledger travels with the report (as it would from an xdist worker)
        if call.when == "teardown":
            item.user_properties.append(("scorecard_ledger", dict(_ledger)))
            _ledger.clear()

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.split("::")[-1].split("[")[0]
        ids = ids_of(name)
        ledger = dict(report.user_properties).get("scorecard_ledger")
        if not ids and not ledger:
            return
        entry = self.results.setdefault(report.nodeid, {"ids": ids, "outcome": "passed"})
        if report.failed:
            entry["outcome"] = "failed"
        elif report.skipped and entry["outcome"] != "failed":
            entry["outcome"] = "skipped"
            entry["reason"] = (f"expected to fail: {report.wasxfail}"
                               if hasattr(report, "wasxfail") else _skip_reason(report))
        if ledger:
            entry["ledger"] = ledger

    def pytest_sessionfinish(self, session):
        if not self.results or hasattr(self.config, "workerinput"):
            return
        db = database_name()
        path = RESULTS / f"last-{db}.json"
        previous = {}
        if path.exists():
            previous = json.loads(path.read_text()).get("tests", {})
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for entry in self.results.values():
            entry["run_at"] = now
        tests = {nodeid: entry for nodeid, entry in {**previous, **self.results}.items()
                 if _still_exists(nodeid)}
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps({"database": db, "commit": _commit(), "updated": now,
                                    "tests": tests}, indent=1, ensure_ascii=False))


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _still_exists(nodeid: str) -> bool:
    """A kept result counts only while its test is still in the tree (renamed or
    deleted tests drop out of the card)."""
    path, _, rest = nodeid.partition("::")
    name = rest.split("::")[-1].split("[")[0]
    file = ROOT / path
    return file.exists() and name in _TEST_DEF.findall(file.read_text(encoding="utf-8"))


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def pytest_configure(config):
    config.pluginmanager.register(ScorecardPlugin(config), "scorecard")


# -- the card -------------------------------------------------------------------------------

def tests_in_tree() -> dict[str, list[str]]:
    """Catalogue id → the tests (``path::name``) in tests/ that name it."""
    found: dict[str, list[str]] = {i: [] for i in CATALOGUE}
    for file in sorted(TESTS.rglob("test_*.py")):
        for name in _TEST_DEF.findall(file.read_text(encoding="utf-8")):
            for case in ids_of(name):
                found[case].append(f"{file.relative_to(ROOT)}::{name}")
    return found


def case_outcomes(tests: dict[str, dict]) -> dict[str, str]:
    """Each catalogue id's outcome in one run: failed if any of its tests failed,
    else passed if any passed, else skipped."""
    seen: dict[str, set[str]] = {}
    for entry in tests.values():
        for case in entry["ids"]:
            seen.setdefault(case, set()).add(entry["outcome"])
    order = ("failed", "passed", "skipped")
    return {case: next(o for o in order if o in outcomes) for case, outcomes in seen.items()}


def render(found: dict[str, list[str]], runs: list[dict]) -> str:
    lines = []
    covered = {case for case, names in found.items() if names}
    header = f"{'series':<22}{'size':>5}{'covered':>9}"
    for run in runs:
        header += f" | {run['database']:<10}{'pass':>5}{'fail':>5}{'skip':>5}"
    lines.append(header)
    lines.append("-" * len(header))
    outcomes = [case_outcomes(run["tests"]) for run in runs]
    for letter, (title, size, _) in SERIES.items():
        ids = [i for i in CATALOGUE if i[0] == letter]
        row = f"{letter + ' ' + title:<22}{size:>5}{len(covered & set(ids)):>9}"
        for result in outcomes:
            counts = Counter(result.get(i) for i in ids)
            row += f" | {'':<10}{counts['passed']:>5}{counts['failed']:>5}{counts['skipped']:>5}"
        lines.append(row)
    total = f"{'total':<22}{len(CATALOGUE):>5}{len(covered):>9}"
    for result in outcomes:
        counts = Counter(result.values())
        total += f" | {'':<10}{counts['passed']:>5}{counts['failed']:>5}{counts['skipped']:>5}"
    lines.append(total)

    missing = [i for i in CATALOGUE if i not in covered]
    lines.append("")
    lines.append("Missing (no test in tests/): " + (" ".join(missing) if missing else "none"))
    for run, result in zip(runs, outcomes, strict=True):
        lines.append("")
        lines.append(f"{run['database']}: commit {run['commit']}, updated {run['updated']}")
        passed = Counter(case[0] for case, outcome in result.items() if outcome == "passed")
        lines.append("  " + " · ".join(f"{title} {VERBS[letter]} {passed[letter]}/{size}"
                                       for letter, (title, size, _) in SERIES.items()))
        ledger = Counter()
        for entry in run["tests"].values():
            ledger.update(entry.get("ledger", {}))
        lines.append("  answer ledger: " + ", ".join(
            f"{field.replace('_', '-')}={ledger[field]}" for field in LEDGER_FIELDS))
        not_run = [i for i in CATALOGUE if i in covered and i not in result]
        failed = [i for i in CATALOGUE if result.get(i) == "failed"]
        lines.append("  failed: " + (" ".join(failed) or "none"))
        lines.append("  not run: " + (" ".join(not_run) or "none"))
        reasons = {}
        for entry in run["tests"].values():
            if entry["outcome"] == "skipped":
                for case in entry["ids"]:
                    if result.get(case) == "skipped":
                        reasons.setdefault(case, entry.get("reason", ""))
        for case in sorted(reasons, key=CATALOGUE.index):
            lines.append(f"  skipped {case}: {reasons[case]}")
    if not runs:
        lines.append("")
        lines.append("No test run recorded yet (.scorecard/last-<database>.json): run pytest.")
    return "\n".join(lines)


def main() -> int:
    found = tests_in_tree()
    runs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("last-*.json"))]
    print("Reliability and security scorecard (RELIABILITY.md part (b))")
    print(render(found, runs))
    return 1 if any(not names for names in found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
