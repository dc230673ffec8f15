"""The pure rules of exam set-up: settings, a blueprint section, a session, extra time."""

from datetime import UTC, datetime, timedelta

from lms.domain import exam_setup
from lms.domain.exam_setup import Problem
from lms.exams.blueprints import section_from_dict

T0 = datetime(2030, 1, 10, 1, 0, tzinfo=UTC)


def settings(**overrides):
    values = {"title": "考试", "duration_minutes": 90, "pass_percent": "60",
              "attempts_allowed": 3, "cooldown_days": 0, "webcam_required": True,
              "proctoring": "online", "snapshot_interval_seconds": 60, "focus_loss_limit": 5}
    values.update(overrides)
    return exam_setup.check_settings(**values)


def fields(problems):
    return [(p.field, p.code) for p in problems]


def test_sound_settings_have_no_problem():
    assert settings() == []


def test_every_wrong_setting_is_reported_at_once():
    assert fields(settings(title=" ", duration_minutes=0, pass_percent="0",
                           attempts_allowed=None, proctoring="centre",
                           snapshot_interval_seconds=5)) == [
        ("title", "required"), ("duration_minutes", "range"), ("pass_percent", "range"),
        ("attempts_allowed", "range"), ("webcam_required", "online_only"),
        ("snapshot_interval_seconds", "range")]


def test_interval_is_not_checked_without_webcam():
    assert settings(webcam_required=False, proctoring="none",
                    snapshot_interval_seconds=None) == []


def test_pass_mark_of_100_passes_and_text_does_not():
    assert settings(pass_percent="100") == []
    assert fields(settings(pass_percent="sixty")) == [("pass_percent", "range")]


def test_code_shape_and_uniqueness():
    assert exam_setup.check_code("cadre-2026", taken=False) == []
    assert exam_setup.check_code("Cadre 2026", taken=False) == [Problem("code", "shape")]
    assert exam_setup.check_code("cadre-2026", taken=True) == [Problem("code", "taken")]


def test_section_dict_is_what_the_assembler_reads():
    data, problems = exam_setup.section_dict(
        key="s-1", title=" 单选 ", count=5, points="2.50", min_percent=None,
        banks=["b", "a", "a"], tags=[" 经费 ", "", "会员"], difficulties=["3", 1],
        category="/工会法/总则/")
    assert problems == []
    assert data == {"key": "s-1", "title": "单选", "count": 5, "points": "2.5",
                    "min_percent": None,
                    "filter": {"banks": ["a", "b"], "tags": ["会员", "经费"],
                               "difficulties": [1, 3], "category": "工会法/总则"}}
    section = section_from_dict(data)
    assert section.count == 5 and section.filter.category == "工会法/总则"


def test_whole_points_are_written_plainly():
    data, _problems = exam_setup.section_dict(key="k", title="t", count=1, points="10.00")
    assert data["points"] == "10"


def test_section_problems():
    _data, problems = exam_setup.section_dict(key="k", title="", count=501, points="0",
                                              min_percent=0)
    assert fields(problems) == [("title", "required"), ("count", "range"),
                                ("points", "range"), ("min_percent", "range")]


def test_session_window_rules():
    ok = {"title": "第一场", "starts_at": T0, "ends_at": T0 + timedelta(hours=2),
          "registration_deadline": T0 - timedelta(days=1), "capacity": 30}
    assert exam_setup.check_session(**ok) == []
    assert fields(exam_setup.check_session(**{**ok, "ends_at": T0})) == [
        ("ends_at", "before_start")]
    assert fields(exam_setup.check_session(**{**ok, "registration_deadline": ok["ends_at"]})) \
        == [("registration_deadline", "after_end")]
    assert fields(exam_setup.check_session(**{**ok, "capacity": 0})) == [("capacity", "range")]
    assert exam_setup.check_session(**{**ok, "capacity": 3}, booked=4) == [
        Problem("capacity", "below_booked", {"booked": 4})]


def test_extra_time_needs_some_within_limits():
    assert exam_setup.check_extra_time(extra_percent=25, extra_minutes=0) == []
    assert exam_setup.check_extra_time(extra_percent=0, extra_minutes=None) == [
        Problem("extra_percent", "none")]
    assert fields(exam_setup.check_extra_time(extra_percent=201, extra_minutes=601)) == [
        ("extra_percent", "range"), ("extra_minutes", "range")]


def test_moving_within_bounds_only():
    assert exam_setup.moved(["a", "b", "c"], "c", -1) == ["a", "c", "b"]
    assert exam_setup.moved(["a", "b", "c"], "a", -1) is None
    assert exam_setup.moved(["a", "b"], "x", 1) is None
