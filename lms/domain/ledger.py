"""The tamper-evident ledger's arithmetic: each event's hash is SHA-256 over the
previous event's hash and the canonical JSON of the event itself (its sequence number
included, so moving an event breaks the chain as surely as editing it).

Canonical JSON: keys sorted, no spaces, UTF-8 (Chinese as is), so the same event
always hashes the same on SQLite and PostgreSQL and in any other tool.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(event: dict) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def link_hash(prev_hash: str, event: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(event)).hexdigest()


@dataclass(frozen=True)
class Link:
    """An event as stored: what was hashed, and the two hashes stored beside it."""

    seq: int
    event: dict
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    seq: int | None  # the first event that does not hold (None: the chain's end is missing)
    reason: str  # edited | broken_link | missing | out_of_order | missing_tail


def first_break(links: Iterable[Link], *, head_seq: int, head_hash: str) -> Break | None:
    """None when ``links`` (in stored order) form one unbroken chain from the genesis up
    to the recorded head; else the first event that does not hold and why."""
    prev, expected_seq = GENESIS, 1
    for link in links:
        if link.seq > expected_seq:
            return Break(expected_seq, "missing")
        if link.seq < expected_seq:
            return Break(link.seq, "out_of_order")
        if link.prev_hash != prev:
            return Break(link.seq, "broken_link")
        if link_hash(prev, link.event) != link.hash:
            return Break(link.seq, "edited")
        prev, expected_seq = link.hash, expected_seq + 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        return Break(expected_seq if expected_seq <= head_seq else None, "missing_tail")
    return None
