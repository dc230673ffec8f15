"""Reproducible randomness from an integer seed.

An exam attempt stores one seed; everything drawn for the candidate (parametric
values, option order) must come out the same when the attempt is re-scored,
possibly years later on a newer Python. The `random` module only promises that
``Random(seed).random()`` stays stable across versions — ``randrange`` and
``shuffle`` have changed before — so every draw here goes through ``random()``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def check_seed(seed: object) -> int:
    """Return ``seed`` if it is a non-negative int (not a bool), else raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError("a seed is a non-negative integer")
    return seed


def rng(seed: int) -> random.Random:
    """A generator for ``seed``; not for secrets, only for reproducible draws."""
    return random.Random(check_seed(seed))  # noqa: S311 - reproducibility, not secrecy


def draw_index(generator: random.Random, count: int) -> int:
    """An index in ``range(count)`` drawn with ``random()`` only (see module docstring)."""
    return min(int(generator.random() * count), count - 1)


def stable_shuffle(items: Sequence[T], seed: int) -> tuple[T, ...]:
    """A Fisher–Yates shuffle of ``items`` that depends only on ``seed``."""
    result = list(items)
    generator = rng(seed)
    for i in range(len(result) - 1, 0, -1):
        j = draw_index(generator, i + 1)
        result[i], result[j] = result[j], result[i]
    return tuple(result)


def derive_seed(seed: int, *labels: str) -> int:
    """A seed for one part of an attempt, e.g. ``derive_seed(attempt_seed, item_id)``.

    Items in one attempt then get independent draws, and adding an item does
    not change the draws of the others.
    """
    text = ":".join([str(check_seed(seed)), *labels])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
