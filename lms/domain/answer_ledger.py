"""Autosave ordering and the "answer ledger" oracle (RELIABILITY.md).

`accepts_save`: each slot keeps only the highest sequence number, so a retry or
a save overtaken by a newer one changes nothing. `audit_ledger` compares what a
client sent and saw acknowledged with the server's final state, making
"0 answers lost" measurable in fault tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


def accepts_save(stored_sequence: int | None, incoming_sequence: int) -> bool:
    """Whether a save with ``incoming_sequence`` replaces what the slot holds."""
    return stored_sequence is None or incoming_sequence > stored_sequence


@dataclass(frozen=True)
class Sent:
    """One save as the client saw it."""

    slot: str
    sequence: int
    value: object
    acknowledged: bool


@dataclass(frozen=True)
class Stored:
    """One slot's final answer as the server holds it."""

    sequence: int
    value: object
    received_at: datetime


@dataclass(frozen=True)
class LedgerReport:
    lost: tuple[str, ...]  #: acknowledged, yet missing or older in the final state
    phantom: tuple[str, ...]  #: in the final state but never sent
    late_accepted: tuple[str, ...]  #: stored after deadline + grace
    double_finalised: int  #: finalisations beyond the first

    @property
    def clean(self) -> bool:
        return not (self.lost or self.phantom or self.late_accepted or self.double_finalised)


def audit_ledger(sent: Iterable[Sent], stored: Mapping[str, Stored], *,
                 cutoff: datetime, finalisations: int) -> LedgerReport:
    """Compare the client's ledger with the server's final answers.

    :param cutoff: deadline plus grace; anything received later is late.
    :param finalisations: how many submit/time-out/terminate events the attempt has.
    """
    sent = list(sent)
    newest_acked: dict[str, Sent] = {}
    for save in sent:
        best = newest_acked.get(save.slot)
        if save.acknowledged and (best is None or save.sequence > best.sequence):
            newest_acked[save.slot] = save
    lost = tuple(sorted(slot for slot, save in newest_acked.items()
                        if slot not in stored or stored[slot].sequence < save.sequence))
    phantom = tuple(sorted(slot for slot, answer in stored.items()
                           if not any(s.slot == slot and s.sequence == answer.sequence
                                      and s.value == answer.value for s in sent)))
    late = tuple(sorted(slot for slot, answer in stored.items()
                        if answer.received_at > cutoff))
    return LedgerReport(lost, phantom, late, max(finalisations - 1, 0))
