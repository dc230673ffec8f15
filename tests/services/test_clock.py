"""Each process keeps time by the database's clock (lms.clock; RELIABILITY.md F14).

The app servers of the scale-out tests check it across two processes; here one
process whose own clock is moved (time-machine: the database's clock does not
follow) must still read the database's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms import clock
from lms.extensions import db


@pytest.fixture
def fresh_clock(monkeypatch):
    """This process's offset as if it had never synced (restored afterwards)."""
    monkeypatch.setattr(clock, "_offset", timedelta(0))
    monkeypatch.setattr(clock, "_next_sync", 0.0)


def database_now() -> datetime:
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(sa.text("SELECT clock_timestamp()")).astimezone(UTC)
    text = db.session.scalar(sa.text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_process_whose_clock_runs_an_hour_ahead_reads_the_databases_time(
        app, fresh_clock):
    app.config["CLOCK_SOURCE"] = "database"
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        assert clock.utcnow() - database_now() > timedelta(minutes=59)
        app.test_client().get("/healthz")  # every request keeps the offset fresh
        assert abs(clock.utcnow() - database_now()) < timedelta(seconds=1)


def test_the_offset_is_measured_again_only_after_the_sync_interval(app, fresh_clock):
    app.config["CLOCK_SOURCE"] = "database"
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)) as traveller:
        clock.follow_database()
        traveller.shift(timedelta(minutes=10))  # the wall clock steps; monotonic does not
        clock.follow_database()
        assert clock.utcnow() - database_now() > timedelta(minutes=9)


def test_a_clock_that_agrees_with_the_database_keeps_no_offset(app, fresh_clock):
    """Same machine (SQLite) or NTP-synchronised: the measurement's noise (a round
    trip, SQLite's milliseconds) must not make time jitter from one sync to the next."""
    app.config["CLOCK_SOURCE"] = "database"
    clock.follow_database()
    assert clock._offset == timedelta(0)


def test_the_local_source_ignores_the_database(app, fresh_clock):
    assert app.config["CLOCK_SOURCE"] == "local"  # the tests' setting
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        app.test_client().get("/healthz")
        assert clock.utcnow() - database_now() > timedelta(minutes=59)
