"""Build and sign Open Badges 3.0 credentials (VC Data Model 2.0)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.credentials.loader import OB_V3_0_3, VC_V2, DocumentLoader
from lms.credentials.proofs import create_proof, xsd_datetime

OB_CONTEXTS = [VC_V2, OB_V3_0_3]


def _typed(obj: dict[str, Any], *types: str) -> dict[str, Any]:
    """A copy of `obj` whose `type` lists `types` (kept when the caller gave one)."""
    out = dict(obj)
    out.setdefault("type", list(types))
    return out


def open_badge_credential(*, credential_id: str, issuer: dict[str, Any],
                          holder: dict[str, Any], achievement: dict[str, Any],
                          valid_from: datetime, valid_until: datetime | None,
                          status: list[dict[str, Any]], evidence: list[dict[str, Any]] | None,
                          name: str) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential.

    :param issuer: the issuer Profile: at least `id` (our DID) and `name`.
    :param holder: the AchievementSubject's own fields (`id`, `identifier`, `name`…);
        `type` and `achievement` are filled in.
    :param achievement: the Achievement: `id`, `name`, `description`, `criteria`…
    :param status: credentialStatus entries (status_list.status_entry).
    """
    if "id" not in issuer:
        raise ValueError("the issuer needs an id")
    subject = _typed(holder, "AchievementSubject")
    subject["achievement"] = _typed(achievement, "Achievement")
    doc: dict[str, Any] = {
        "@context": list(OB_CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _typed(issuer, "Profile"),
        "validFrom": xsd_datetime(valid_from),
    }
    if valid_until is not None:
        doc["validUntil"] = xsd_datetime(valid_until)
    doc["name"] = name
    doc["credentialSubject"] = subject
    if status:
        doc["credentialStatus"] = status[0] if len(status) == 1 else list(status)
    if evidence:
        doc["evidence"] = [_typed(e, "Evidence") for e in evidence]
    return copy.deepcopy(doc)


def sign(doc: dict[str, Any], key: Ed25519PrivateKey, verification_method: str,
         created: datetime, *, loader: DocumentLoader | None = None) -> dict[str, Any]:
    """A copy of `doc` with an eddsa-rdfc-2022 DataIntegrityProof (replacing any proof)."""
    unsigned = {k: copy.deepcopy(v) for k, v in doc.items() if k != "proof"}
    proof = create_proof(unsigned, key, verification_method=verification_method,
                         created=created, loader=loader)
    return {**unsigned, "proof": proof}
