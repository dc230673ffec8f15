"""A session cookie signed by an app server whose clock runs ahead (RELIABILITY.md F14):
accepted within the tolerance, so a candidate is not logged out when the next request
reaches a server a few seconds behind; the session's maximum age still holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from lms.accounts.auth import CLOCK_SKEW_TOLERANCE
from lms.clock import utcnow
from tests.factories import PASSWORD


@pytest.mark.parametrize(("signed_ahead", "logged_in"), [
    (timedelta(seconds=5), True),
    (timedelta(seconds=CLOCK_SKEW_TOLERANCE - 5), True),
    (timedelta(seconds=CLOCK_SKEW_TOLERANCE + 30), False),
    # older than the session lifetime (12 h): expired as before
    (-timedelta(hours=12, minutes=1), False),
])
def test_a_session_signed_by_a_server_ahead_is_accepted_within_the_tolerance(
        client, make_user, signed_ahead, logged_in):
    user = make_user()
    with time_machine.travel(utcnow() + signed_ahead, tick=False):
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
    page = client.get("/account/profile")
    assert (page.status_code == 200) is logged_in
    if not logged_in:
        assert "/login" in page.headers["Location"]
