"""Builders for test data: plain functions with sensible defaults."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from lms.accounts.models import Organisation, Role, RoleAssignment, User
from lms.accounts.services import create_organisation
from lms.extensions import db

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
# Hashing with scrypt costs ~50 ms; tests share one hash of the default password.
_HASHES: dict[str, str] = {}


def password_hash(password: str) -> str:
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


def make_org(name: str | None = None, *, parent: Organisation | None = None,
             code: str | None = None) -> Organisation:
    n = next(_seq)
    org = create_organisation(name=name or f"测试工会{n}", code=code or f"org-{n}", parent=parent)
    db.session.commit()
    return org


def make_user(role: Role | str | None = Role.CANDIDATE, *, email: str | None = None,
              name: str = "测试用户", password: str = PASSWORD, org: Organisation | None = None,
              scope: Organisation | None = None, active: bool = True, **fields) -> User:
    """A committed user holding ``role`` (scoped to ``scope``; platform-wide if None)."""
    n = next(_seq)
    user = User(email=email or f"user{n}@example.cn", real_name=name,
                password_hash=password_hash(password), organisation=org, active=active, **fields)
    if role is not None:
        user.role_assignments.append(RoleAssignment(role=Role(role), organisation=scope))
    db.session.add(user)
    db.session.commit()
    return user


def make_course(author=None, *, code: str | None = None, title: str = "测试课程",
                domain: str = "union_law", level: str = "basic", credit_hours="1",
                lessons: list[list[str]] | None = None):
    """A draft course; ``lessons`` gives one list of lesson bodies per module."""
    from lms.courses import authoring

    course = authoring.create_course(
        code=code or f"course-{next(_seq)}", actor=author, title=title, domain=domain,
        level=level, summary="课程简介", credit_hours=credit_hours)
    for m_index, bodies in enumerate(lessons if lessons is not None else [["课文内容"]], 1):
        module = authoring.add_module(course, title=f"第{m_index}单元")
        for l_index, body in enumerate(bodies, 1):
            lesson = authoring.add_lesson(module, title=f"第{m_index}.{l_index}课")
            authoring.update_lesson(lesson, title=lesson.title, body_md=body, minutes=10)
    db.session.commit()
    return course
