"""`flask lms …` commands: seed, create-user, check, stats."""

import json

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.accounts.services import authenticate
from lms.extensions import db
from lms.keys import ensure_signing_key


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["lms", *args], input=input)


def stats(app):
    result = invoke(app, "stats", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_seed_demo_is_idempotent(app):
    first = invoke(app, "seed", "--demo")
    assert first.exit_code == 0, first.output
    assert "admin@demo.unioncadre.cn" in first.output and "Gonghui-Demo-2026" in first.output
    after_one = stats(app)
    assert invoke(app, "seed", "--demo").exit_code == 0
    assert stats(app) == after_one
    assert after_one["organisations"] == 7
    for role in ("candidate", "trainer", "proctor", "officer", "admin"):
        assert after_one["users_by_role"][role] >= 1


def test_demo_officer_is_scoped_to_a_district(app):
    invoke(app, "seed", "--demo")
    officer = db.session.scalar(sa.select(User).where(
        User.email == "officer@demo.unioncadre.cn"))
    [assignment] = officer.role_assignments
    assert assignment.role == Role.OFFICER and assignment.organisation.name == "东城区总工会"
    assert authenticate("officer@demo.unioncadre.cn", "Gonghui-Demo-2026") == officer


def test_create_user_reads_the_password_from_stdin(app):
    invoke(app, "seed", "--demo")
    result = invoke(app, "create-user", "--email", "New.Officer@Example.cn", "--name", "孙主任",
                    "--role", "officer", "--role", "trainer", "--org", "demo-xicheng",
                    "--password-stdin", input="Xi-Cheng-Officer-2026\n")
    assert result.exit_code == 0, result.output
    user = authenticate("new.officer@example.cn", "Xi-Cheng-Officer-2026")
    assert user.roles == {Role.OFFICER, Role.TRAINER}
    officer = next(a for a in user.role_assignments if a.role == Role.OFFICER)
    assert officer.organisation.code == "demo-xicheng"


def test_create_user_refuses_a_weak_password_and_saves_nothing(app):
    result = invoke(app, "create-user", "--email", "x@example.cn", "--name", "某人",
                    "--role", "admin", "--password-stdin", input="123456\n")
    assert result.exit_code != 0
    assert "密码" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_check_passes_on_a_complete_installation(app):
    ensure_signing_key(app)
    result = invoke(app, "check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK")


def test_check_reports_a_missing_signing_key(app):
    result = invoke(app, "check")
    assert result.exit_code == 1
    assert "缺少证书签名密钥" in result.output


def test_check_reports_a_missing_harfbuzz_subset_library(app, monkeypatch):
    ensure_signing_key(app)
    real = __import__("ctypes.util").util.find_library
    monkeypatch.setattr("lms.checks.ctypes.util.find_library",
                        lambda name: None if name == "harfbuzz-subset" else real(name))
    result = invoke(app, "check")
    assert result.exit_code == 1
    assert "libharfbuzz-subset0" in result.output


def test_check_reports_an_unreachable_database_and_an_old_schema(make_app, tmp_path):
    broken = make_app(DATABASE_URL="sqlite:////nonexistent-dir/lms.sqlite3")
    with broken.app_context():
        result = invoke(broken, "check")
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output
    empty = make_app(DATABASE_URL="sqlite:///" + str(tmp_path / "empty.sqlite3"))
    with empty.app_context():
        result = invoke(empty, "check")
    assert result.exit_code == 1
    assert "数据库结构不是最新版本" in result.output


@pytest.mark.parametrize("command", [["seed"], ["stats", "--bogus"]])
def test_bad_cli_usage_exits_non_zero(app, command):
    assert invoke(app, *command).exit_code != 0


def test_stats_count_courses_modules_and_lessons_per_domain(app):
    from tests.factories import make_course

    make_course(domain="union_law", lessons=[["一", "二"], ["三"]])
    make_course(domain="wage_accounting", lessons=[["一"]])
    data = stats(app)
    assert data["courses"] == {"union_law": 1, "labor_law": 0, "wage_accounting": 1,
                               "negotiation": 0, "other": 0}
    assert data["modules"]["union_law"] == 2 and data["lessons"]["union_law"] == 3
    assert data["lessons"]["wage_accounting"] == 1
