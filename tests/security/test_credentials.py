"""Signed credentials (RELIABILITY.md A21, C1, C5, C8): tampering, key rotation and
revocation, algorithm confusion; moved here from tests/credentials."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from lms import keys
from lms.credentials import dids
from lms.credentials.loader import VC_V2
from lms.credentials.verify import verify_credential
from tests.credentials.helpers import NOW, did_key_resolver, key_entry, resolver, seeded_key
from tests.credentials.test_keys_cli import (
    _credential,
    _no_outside_network,  # noqa: F401 (autouse)
    _verify_locally,
)
from tests.credentials.test_sign_verify import ISSUER_DID, KEY, METHOD, TAMPERS, _signed, _verify


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_C1_any_tampered_field_fails(tamper):
    doc = _signed()
    TAMPERS[tamper](doc)
    verdict = _verify(doc)
    assert not verdict.ok
    assert verdict.reason in {"bad_signature", "unknown_context", "malformed"}


def test_C1_changing_the_issuer_to_another_did_fails():
    doc = _signed()
    doc["issuer"]["id"] = "did:web:forger.example"
    assert _verify(doc).reason == "unknown_key"


def test_A21_C1_forger_signing_as_our_issuer_with_own_did_key_fails():
    """Anyone can make a did:key; it must not let them sign as our did:web."""
    forger = seeded_key(99)
    doc = _signed(key=forger, method=dids.did_key_verification_method(forger.public_key()))
    verdict = verify_credential(doc, now=NOW, resolve_key=did_key_resolver)
    assert verdict.reason == "unknown_key"


def test_C5_signature_before_key_revocation_still_verifies():
    revoked_at = datetime(2026, 6, 1, tzinfo=UTC)
    resolve = resolver({METHOD: key_entry(KEY, ISSUER_DID, revoked_at=revoked_at)})
    before = _signed(created=revoked_at - timedelta(seconds=1))
    after = _signed(created=revoked_at + timedelta(days=1))
    assert _verify(before, resolve=resolve).reason == "valid"
    assert _verify(after, resolve=resolve).reason == "key_revoked"


def test_C8_unknown_kid_is_rejected():
    doc = _signed(method=f"{ISSUER_DID}#key-unknown")
    assert _verify(doc).reason == "unknown_key"


def test_A21_C8_jwt_alg_none_and_hs256_are_rejected():
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    vc = {k: v for k, v in _signed().items() if k != "proof"}
    unsigned_jwt = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'vc': vc})}."
    hs256_jwt = f"{b64({'alg': 'HS256', 'kid': METHOD})}.{b64({'vc': vc})}.c2lnbmF0dXJl"
    for token in (unsigned_jwt, hs256_jwt):
        verdict = _verify(token)
        assert (verdict.ok, verdict.reason) == (False, "unsupported_proof")


def test_C8_foreign_proof_types_are_rejected():
    doc = _signed()
    for proof in (
        {"type": "JsonWebSignature2020", "verificationMethod": METHOD,
         "proofPurpose": "assertionMethod", "jws": "eyJhbGciOiJub25lIn0..x"},
        {**doc["proof"], "cryptosuite": "hs256-2022"},
        {**doc["proof"], "cryptosuite": "ecdsa-rdfc-2019"},
    ):
        forged = {**doc, "proof": proof}
        assert _verify(forged).reason == "unsupported_proof"
    enveloped = {"@context": [VC_V2], "type": ["EnvelopedVerifiableCredential"],
                 "id": "data:application/vc+jwt,eyJhbGciOiJub25lIn0.e30."}
    assert _verify(enveloped).reason == "unsupported_proof"


def test_C5_rotation_old_key_verifies_new_kid_signs(app):
    old_kid, _ = keys.active_key(app)
    before = _credential(app)
    new_kid = keys.rotate(app)
    after = _credential(app)

    assert new_kid != old_kid
    assert before["proof"]["verificationMethod"].endswith("#" + old_kid)
    assert after["proof"]["verificationMethod"].endswith("#" + new_kid)
    statuses = {k.kid: k.status for k in keys.public_keys(app)}
    assert statuses == {old_kid: "retired", new_kid: "active"}
    for doc in (before, after):
        verdict = _verify_locally(app, doc)
        assert verdict.details["signature"] == "valid", verdict.reason


def test_C5_signed_after_revocation_fails(app):
    kid, _ = keys.active_key(app)
    revoked_at = datetime(2026, 6, 1, tzinfo=UTC)
    before = _credential(app, created=revoked_at - timedelta(minutes=1))
    # a thief with the key can sign and claim any time after the compromise
    after = _credential(app, created=revoked_at + timedelta(days=3))

    new_kid = keys.revoke(app, kid, revoked_at)

    assert new_kid is not None and new_kid != kid
    assert _verify_locally(app, before).details.get("signature") == "valid"
    assert _verify_locally(app, after).reason == "key_revoked"
    assert keys.active_key(app)[0] == new_kid
