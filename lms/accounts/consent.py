"""Versioned consent texts. Changing a text means a new version here; the
records keep the version each person agreed to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentText:
    purpose: str
    version: str
    template: str  # rendered with the user's language


CONSENTS = {
    c.purpose: c
    for c in (
        ConsentText("personal_info", "2026-11-01", "accounts/consent/personal_info.html"),
        ConsentText("id_number", "2026-11-01", "accounts/consent/id_number.html"),
        ConsentText("photo", "2026-11-01", "accounts/consent/photo.html"),
        ConsentText("proctoring", "2026-11-24", "accounts/consent/proctoring.html"),
    )
}
