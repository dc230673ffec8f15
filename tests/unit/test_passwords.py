import pytest

from lms.domain.passwords import password_problems


def test_long_uncommon_password_is_accepted():
    assert password_problems("correct horse battery staple") == []


@pytest.mark.parametrize(("password", "code"), [
    ("short1!", "too_short"),
    ("x" * 129, "too_long"),
    ("woaini1314", "common"),
    ("Password123!", "common"),
    ("1q2w3e4r5t", "common"),
    ("aaaaaaaaaaaa", "repetitive"),
])
def test_weak_passwords_are_rejected(password, code):
    assert code in password_problems(password)


def test_password_containing_the_email_name_is_rejected():
    assert "personal" in password_problems("zhangsan-union-2026",
                                           identifiers=("zhangsan@example.cn",))
