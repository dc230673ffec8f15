"""Log values that cannot forge log lines (RELIABILITY.md A29).

A user-controlled value with a newline could start a line of its own that reads like
an entry the app wrote ("... INFO admin login ok"). `escape` turns control
characters into visible escapes; `EscapingFormatter` does it to every message, so
lines written with ``%s`` anywhere in the app are safe too.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(value: str) -> str:
    r"""``"a\nb"`` → ``"a\\nb"``: control characters become ``\n``, ``\r``, ``\t`` or
    ``\xNN`` / ``\uNNNN``; everything else (Chinese included) stays readable."""
    return _CONTROL.sub(_escape_one, value)


def _escape_one(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapingFormatter(logging.Formatter):
    """A formatter whose message part never spans lines (tracebacks still do: they
    come after the message and are written by the app, not typed by a user)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message)
        return super().formatMessage(record)
