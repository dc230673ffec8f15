"""The in-app inbox: my messages only, newest first, unread ones highlighted and counted
in the nav, marked read when opened (one or all)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from lms.clock import utcnow
from lms.extensions import db
from lms.retraining import inbox
from lms.retraining.models import InboxMessage
from tests.conftest import login
from tests.factories import make_user


def post(user, subject, *, link="", minutes_ago=0):
    message = inbox.post(user.id, "retraining.reminder", subject, "正文：请尽快完成学时。", link)
    message.created_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return message


def subjects(page: str) -> list[str]:
    return re.findall(r'<span data-testid="subject">(.*?)</span>', page, re.S)


def unread_badge(page: str) -> str | None:
    found = re.search(r'data-testid="inbox-unread">(\d+)<', page)
    return found.group(1) if found else None


def test_the_inbox_lists_only_my_messages_newest_first(client, app):
    me, someone = make_user(), make_user()
    post(me, "第一条提醒", minutes_ago=30)
    post(me, "第二条提醒", minutes_ago=5)
    post(someone, "别人的消息")
    login(client, me)
    page = client.get("/inbox").text
    assert subjects(page) == ["第二条提醒", "第一条提醒"]
    assert "别人的消息" not in page
    assert page.count('data-unread="1"') == 2 and page.count("inbox-message inbox-unread") == 2
    assert unread_badge(page) == "2"


def test_opening_a_message_marks_it_read_and_follows_its_link(client, app):
    me = make_user()
    linked = post(me, "计划提醒", link="/plan/")
    plain = post(me, "普通通知")
    login(client, me)
    response = client.post(f"/inbox/{linked.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/plan/"
    response = client.post(f"/inbox/{plain.id}/read")
    assert response.headers["Location"].endswith(f"/inbox#message-{plain.id}")
    page = client.get("/inbox").text
    assert 'data-unread="1"' not in page and unread_badge(page) is None
    assert all(m.read_at is not None for m in db.session.scalars(sa.select(InboxMessage)))


def test_another_users_message_cannot_be_marked(client, app):
    me, someone = make_user(), make_user()
    theirs = post(someone, "别人的消息")
    login(client, me)
    assert client.post(f"/inbox/{theirs.id}/read").status_code == 404
    assert db.session.get(InboxMessage, theirs.id).read_at is None


def test_mark_all_read_marks_only_mine(client, app):
    me, someone = make_user(), make_user()
    for n in range(3):
        post(me, f"提醒{n}")
    theirs = post(someone, "别人的消息")
    login(client, me)
    assert unread_badge(client.get("/plan/").text) == "3"  # the badge is on every page
    assert client.post("/inbox/read-all").status_code == 302
    assert inbox.unread_count(me.id) == 0
    assert db.session.get(InboxMessage, theirs.id).read_at is None
    assert 'data-testid="read-all"' not in client.get("/inbox").text


def test_post_keeps_only_links_inside_the_site(app):
    me = make_user()
    assert inbox.post(me.id, "x", "s", link="https://evil.example/").link == ""
    assert inbox.post(me.id, "x", "s", link="//evil.example/").link == ""
    assert inbox.post(me.id, "x", "s", link="/plan/").link == "/plan/"
