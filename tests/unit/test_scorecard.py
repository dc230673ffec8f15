"""The scorecard's reading of test names and outcomes (tests/scorecard.py)."""

from tests import scorecard
from tests.scorecard import CATALOGUE, case_outcomes, ids_of, render


def test_the_catalogue_has_every_series_of_reliability_md():
    assert len(CATALOGUE) == 18 + 12 + 12 + 30 + 7 + 8 + 7 + 5
    assert {"F1", "F18", "L12", "B12", "A30", "I7", "C8", "P7", "R5"} <= set(CATALOGUE)
    assert "F19" not in CATALOGUE and "A31" not in CATALOGUE


def test_a_name_covers_the_ids_it_starts_with():
    assert ids_of("test_F1_kill_before_commit") == ["F1"]
    assert ids_of("test_A8_L3_ten_concurrent_submits") == ["A8", "L3"]
    assert ids_of("test_c1_lower_case_is_not_an_id") == []
    assert ids_of("test_F19_not_in_the_catalogue") == []
    assert ids_of("test_login_page") == []
    assert ids_of("test_A1_B2_then_words_F3") == ["A1", "B2"]


def test_a_case_failed_if_any_of_its_tests_failed_else_passed_if_any_passed():
    tests = {
        "a": {"ids": ["F1"], "outcome": "passed"},
        "b": {"ids": ["F1", "F2"], "outcome": "failed"},
        "c": {"ids": ["F3"], "outcome": "skipped"},
        "d": {"ids": ["F3", "F4"], "outcome": "passed"},
        "e": {"ids": ["F5"], "outcome": "skipped"},
    }
    assert case_outcomes(tests) == {"F1": "failed", "F2": "failed", "F3": "passed",
                                    "F4": "passed", "F5": "skipped"}


def test_the_card_counts_each_series_and_names_what_is_missing():
    found = {case: [] for case in CATALOGUE} | {"F1": ["t"], "F2": ["t"], "A3": ["t"]}
    run = {"database": "sqlite", "commit": "abc", "updated": "now", "tests": {
        "x::test_F1_a": {"ids": ["F1"], "outcome": "passed",
                         "ledger": {"checks": 1, "acked": 4, "lost": 0}},
        "x::test_F2_b": {"ids": ["F2"], "outcome": "skipped", "reason": "no power switch"},
        "x::test_A3_c": {"ids": ["A3"], "outcome": "failed",
                         "ledger": {"checks": 2, "acked": 3, "lost": 1}},
    }}
    card = render(found, [run])
    faults = next(line for line in card.splitlines() if line.startswith("F Faults"))
    assert faults.split() == ["F", "Faults", "18", "2", "|", "1", "0", "1"]
    assert "Missing (no test in tests/): F3 F4" in card
    assert "acked=7, lost=1" in card
    assert "failed: A3" in card and "skipped F2: no power switch" in card


def test_every_catalogue_id_of_the_tree_is_found_by_its_test_name():
    found = scorecard.tests_in_tree()
    assert "tests/reliability/test_crashes.py::test_F3_a_submit_killed_mid_request_finalises" \
           "_exactly_once" in found["F3"]
