"""One clock for every app server and worker: the database's (RELIABILITY.md F14).

Deadlines, time left and every timestamp come from `utcnow`. With several app
servers, each reading its own clock, a candidate whose requests alternate between
two machines a few seconds apart would see the time left jump, and a hand-in through
the slower one could be recorded before the start. So each process measures how far
its clock is from the database's (one query on a connection of its own, at most once
every `SYNC_SECONDS`, from `follow_database`) and adds that to its own readings.

Differences under `TOLERANCE` are measurement noise (SQLite's clock has millisecond
resolution; on one machine it is the same clock) and leave the offset as it is, so
the time a process reads never jitters between syncs.

``CLOCK_SOURCE = "local"`` keeps the machine's clock: the tests move time with
time-machine, which a database server's clock does not follow.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import current_app

SYNC_SECONDS = 30
TOLERANCE = timedelta(milliseconds=100)
#: an offset this large is worth an operator's attention (NTP stopped somewhere)
WARN_ABOVE = timedelta(seconds=1)

_NOW_SQL = {
    "postgresql": "SELECT clock_timestamp()",
    "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
}

log = logging.getLogger(__name__)

_offset = timedelta(0)
_next_sync = 0.0  # time.monotonic(): the monotonic clock is immune to clock steps


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC, on the database's clock."""
    return datetime.now(UTC) + _offset


def follow_database() -> None:
    """Re-measure the offset to the database's clock when the last measurement is
    older than `SYNC_SECONDS` (a comparison otherwise: this runs before every request
    and every task)."""
    global _next_sync
    if time.monotonic() < _next_sync or current_app.config["CLOCK_SOURCE"] != "database":
        return
    from lms.extensions import db

    _next_sync = time.monotonic() + SYNC_SECONDS
    engine = db.engine
    # a raw pool connection: not the request's session, and no statement of the
    # request's own (the per-page statement budgets count those)
    connection = engine.raw_connection()
    try:
        before = datetime.now(UTC)
        cursor = connection.cursor()
        cursor.execute(_NOW_SQL[engine.dialect.name])
        value = cursor.fetchone()[0]
        after = datetime.now(UTC)
    finally:
        connection.close()
    _set_offset(_as_utc(value) - (before + (after - before) / 2))


def _set_offset(measured: timedelta) -> None:
    global _offset
    if abs(measured - _offset) < TOLERANCE:
        return
    if abs(measured) > WARN_ABOVE:
        log.warning("this machine's clock is %.1f s off the database's; times follow the "
                    "database", -measured.total_seconds())
    _offset = measured if abs(measured) >= TOLERANCE else timedelta(0)


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite: text in UTC
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
