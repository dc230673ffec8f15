"""tests.faults.server's app on a clock ``FAULT_CLOCK_SKEW`` seconds off the machine's
(time-machine, per worker process): two app servers whose clocks disagree (F14)."""

from __future__ import annotations

import os
from datetime import timedelta

import time_machine

_skew = time_machine.travel(timedelta(seconds=float(os.environ.get("FAULT_CLOCK_SKEW", "0"))),
                            tick=True)
_skew.start()

from tests.faults.server import app  # noqa: E402 - the clock is set before the app exists

__all__ = ["app"]
