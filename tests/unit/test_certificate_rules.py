"""Pure rules of certificates: serials (C4), the ledger's hash chain, which level a
result earns, masked names."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain import ledger, serials
from lms.domain.identity import mask_holder_name
from lms.domain.qualification_rules import LevelRule, ResultFacts, level_earned

# -- serials ----------------------------------------------------------------------------------


def test_reading_a_serial_forgives_case_spaces_and_look_alike_letters():
    serial = serials.new_serial()
    typed = serial.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert serials.normalise(typed) == serial


@given(st.integers(min_value=0, max_value=26), st.sampled_from(serials.ALPHABET))
def test_one_mistyped_character_fails_the_check(position, replacement):
    serial = serials.new_serial()
    compact = serial.replace("-", "")
    if compact[position] == replacement:
        return
    typo = compact[:position] + replacement + compact[position + 1:]
    assert serials.normalise(typo) is None


@pytest.mark.parametrize("text", ["", "1", "ABCD-EFGH", "x" * 28, "../etc/passwd",
                                  "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234U5"])
def test_malformed_serials_are_refused(text):
    assert serials.normalise(text) is None


# -- the ledger chain ------------------------------------------------------------------------


def chain(count: int) -> list[ledger.Link]:
    links, prev = [], ledger.GENESIS
    for seq in range(1, count + 1):
        event = {"seq": seq, "kind": "issued", "serial": f"S{seq}", "data": {"名": "张三"}}
        digest = ledger.link_hash(prev, event)
        links.append(ledger.Link(seq, event, prev, digest))
        prev = digest
    return links


def test_an_intact_chain_verifies():
    links = chain(5)
    assert ledger.first_break(links, head_seq=5, head_hash=links[-1].hash) is None
    assert ledger.first_break([], head_seq=0, head_hash=ledger.GENESIS) is None


def test_the_canonical_form_is_sorted_compact_utf8():
    assert ledger.canonical({"b": 1, "a": "张"}) == '{"a":"张","b":1}'.encode()


def test_an_edited_event_is_named():
    links = chain(5)
    edited = links[2].event | {"serial": "FORGED"}
    links[2] = ledger.Link(3, edited, links[2].prev_hash, links[2].hash)
    assert ledger.first_break(links, head_seq=5, head_hash=links[-1].hash) == \
        ledger.Break(3, "edited")


def test_a_deleted_event_is_named_as_missing():
    links = chain(5)
    del links[1]
    assert ledger.first_break(links, head_seq=5, head_hash=links[-1].hash) == \
        ledger.Break(2, "missing")


def test_a_cut_off_tail_is_caught_by_the_head():
    links = chain(5)
    assert ledger.first_break(links[:3], head_seq=5, head_hash=links[-1].hash) == \
        ledger.Break(4, "missing_tail")


def test_a_rehashed_forgery_breaks_the_next_link():
    links = chain(5)
    forged = links[1].event | {"kind": "reinstated"}
    links[1] = ledger.Link(2, forged, links[1].prev_hash, ledger.link_hash(links[1].prev_hash,
                                                                           forged))
    assert ledger.first_break(links, head_seq=5, head_hash=links[-1].hash) == \
        ledger.Break(3, "broken_link")


# -- levels by score band ----------------------------------------------------------------------

BANDS = [LevelRule(1, 1, exam_id=7, min_percent=D(60), max_percent=D(75)),
         LevelRule(2, 2, exam_id=7, min_percent=D(75), max_percent=D(90)),
         LevelRule(3, 3, exam_id=7, min_percent=D(90), required_courses=("law-2026",))]


def facts(percent, *, passed=True, clear=True, courses=(), photo=True, exam=7):
    return ResultFacts(exam_id=exam, percent=D(percent), passed=passed, integrity_clear=clear,
                       completed_courses=frozenset(courses), has_photo=photo)


@pytest.mark.parametrize(("percent", "level"), [("60", 1), ("74.99", 1), ("75", 2),
                                                ("89.99", 2), ("59.99", None)])
def test_one_exam_serves_several_levels_by_score_band(percent, level):
    assert level_earned(BANDS, facts(percent)).level_id == level


def test_the_highest_level_needs_its_courses_too():
    without = level_earned(BANDS, facts("95"))
    assert without.level_id is None  # 95 is above the 中级 band and 高级 lacks the course
    assert without.unmet[3] == ("courses",)
    assert level_earned(BANDS, facts("95", courses=["law-2026"])).level_id == 3


@pytest.mark.parametrize(("kwargs", "reason"), [({"passed": False}, "exam_not_passed"),
                                                ({"clear": False}, "integrity"),
                                                ({"photo": False}, "photo")])
def test_every_unmet_requirement_is_named(kwargs, reason):
    outcome = level_earned(BANDS, facts("80", **kwargs))
    assert outcome.level_id is None
    assert reason in outcome.unmet[2]


def test_another_exam_earns_nothing():
    assert level_earned(BANDS, facts("99", exam=8)).level_id is None


@pytest.mark.parametrize(("name", "masked"), [("张三明", "张*明"), ("欧阳明华", "欧**华"),
                                              ("张三", "张*"), ("", "")])
def test_holder_names_are_masked_in_the_middle(name, masked):
    assert mask_holder_name(name) == masked
