"""The safe subset of regular expressions a fill-in blank may use.

Patterns run with ``re.fullmatch`` in the scoring path, and Python's `re`
has no timeout, so a pattern that backtracks catastrophically would stall a
whole exam submission. Instead of a timeout we refuse the constructs that
cause it, and answers to blanks are capped at 100 characters.
"""

from __future__ import annotations

import re

MAX_PATTERN_LENGTH = 200
MAX_REPEATS = 4  #: quantifiers (*, +, {…}) in one pattern
_BACKREF_OR_LOOKAROUND = re.compile(r"\\[1-9]|\(\?P=|\(\?[=!<]")


def pattern_problem(pattern: str) -> str | None:
    """None for a usable pattern, else why not.

    The reasons are ``pattern_too_long``, ``invalid_pattern`` and ``unsafe_pattern``.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return "pattern_too_long"
    if pattern_error_detail(pattern):
        return "invalid_pattern"
    return "unsafe_pattern" if has_risky_construct(pattern) else None


def pattern_error_detail(pattern: str) -> str:
    """Why ``re`` refuses ``pattern``, or "" when it compiles."""
    try:
        re.compile(pattern)
    except re.error as err:
        return str(err)
    return ""


def has_risky_construct(pattern: str) -> bool:
    """Whether ``pattern`` may backtrack catastrophically.

    True for back-references and look-arounds, for a repeated group whose body
    itself repeats or alternates, like ``(a+)+`` or ``(a|aa)*``, and for more
    than `MAX_REPEATS` quantifiers in all (``.*.*.*.*.*.*x`` takes seconds on
    100 characters).
    """
    if _BACKREF_OR_LOOKAROUND.search(pattern):
        return True
    risky: list[bool] = [False]  # one flag per open group: does its body repeat or branch?
    repeats, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            continue
        if char == "(":
            risky.append(False)
        elif char == ")" and len(risky) > 1:
            inner = risky.pop()
            if inner and pattern[i + 1:i + 2] in ("*", "+", "{"):
                return True
            risky[-1] = risky[-1] or inner
        elif char in "*+{|":
            risky[-1] = True
            repeats += char != "|"
        i += 1
    return repeats > MAX_REPEATS


def _skip_class(pattern: str, start: int) -> int:
    """The index just after the character class opening at ``start``."""
    i = start + 1
    if pattern[i:i + 1] == "^":
        i += 1
    if pattern[i:i + 1] == "]":
        i += 1  # a leading "]" is a literal
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1
