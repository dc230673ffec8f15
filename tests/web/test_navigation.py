"""The navigation bar: each user sees the links of their roles, in their language, the
current section marked, and it costs no query of its own (rendered once per combination
and process, `lms.core.navigation`)."""

from __future__ import annotations

import re

from lms.accounts.models import Role, RoleAssignment
from lms.extensions import db
from lms.retraining import inbox
from tests.conftest import count_queries, login
from tests.factories import make_user


def links(html: str) -> dict[str, str]:
    """The navigation's links (label → address) and which one is active (``*``)."""
    menu = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', html, re.S).group(1)
    return {label + ("*" if " active" in classes else ""): href for classes, href, label
            in re.findall(r'<a class="nav-link([^"]*)" href="([^"]+)">([^<]+)</a>', menu)}


def test_each_user_sees_the_links_of_their_roles(client):
    candidate, admin = make_user(), make_user(Role.ADMIN)
    login(client, candidate)
    seen = links(client.get("/dashboard").get_data(as_text=True))
    assert seen["课程"] == "/courses" and "证书核验" in seen
    assert "用户" not in seen and "审计日志" not in seen and "监考" not in seen
    login(client, admin)
    seen = links(client.get("/dashboard").get_data(as_text=True))
    assert seen["用户"] == "/admin/users" and seen["审计日志"] == "/admin/audit/"
    # the candidate's cached list is not the admin's, nor the reverse
    login(client, candidate)
    assert "用户" not in links(client.get("/dashboard").get_data(as_text=True))


def test_a_role_granted_shows_its_link_on_the_next_page(client):
    user = make_user()
    login(client, user)
    assert "监考" not in links(client.get("/dashboard").get_data(as_text=True))
    db.session.add(RoleAssignment(user_id=user.id, role=Role.PROCTOR))
    db.session.commit()
    assert links(client.get("/dashboard").get_data(as_text=True))["监考"] == "/proctor/"


def test_signed_out_visitors_see_the_public_links_and_the_current_one_is_marked(client):
    seen = links(client.get("/verify").get_data(as_text=True))
    assert set(seen) == {"工资计算器", "证书核验*"}
    assert links(client.get("/tools/wages").get_data(as_text=True)).keys() == {
        "工资计算器*", "证书核验"}


def test_the_links_follow_the_language(client):
    login(client, make_user())
    client.post("/language", data={"locale": "en", "next": "/dashboard"})
    seen = links(client.get("/dashboard").get_data(as_text=True))
    assert {"Dashboard", "Courses", "Verify a certificate"} <= set(seen)
    client.post("/language", data={"locale": "zh_CN", "next": "/dashboard"})
    assert "课程" in links(client.get("/dashboard").get_data(as_text=True))


def test_the_bar_costs_one_query_with_the_user(client):
    """The user, their roles and their unread messages: one statement, however many
    roles and messages."""
    user = make_user(Role.OFFICER)
    db.session.add(RoleAssignment(user_id=user.id, role=Role.PROCTOR))
    for n in range(3):
        inbox.post(user.id, "retraining.reminder", f"提醒 {n}")
    db.session.commit()
    login(client, user)
    client.get("/tools/wages")
    with count_queries() as queries:
        html = client.get("/tools/wages").get_data(as_text=True)
    assert len(queries) == 1, queries.statements
    assert 'data-testid="inbox-unread">3<' in html
    assert "监考" in links(html)
