"""did:key, did:web, the DID document, and the loader that never fetches."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from lms.credentials import dids, proofs
from lms.credentials.loader import UnknownContextError, default_loader
from tests.credentials.helpers import seeded_key


def test_did_key_round_trip():
    key = seeded_key(1).public_key()
    did = dids.did_key(key)
    assert did.startswith("did:key:z6Mk")
    assert dids.resolve_did_key(did) == key
    assert dids.resolve_did_key(dids.did_key_verification_method(key)) == key


def test_did_key_of_the_spec_test_key():
    key = dids.key_from_multibase("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    assert key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex() == (
        "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")


def test_did_key_with_a_fragment_for_another_key_is_refused():
    a, b = (dids.public_key_multibase(seeded_key(n).public_key()) for n in (1, 2))
    with pytest.raises(dids.DidError):
        dids.resolve_did_key(f"did:key:{a}#{b}")
    with pytest.raises(dids.DidError):
        dids.resolve_did_key("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")


@pytest.mark.parametrize(("url", "did"), [
    ("https://ex.org", "did:web:ex.org"),
    ("https://ex.org/", "did:web:ex.org"),
    ("https://ex.org:8443/x", "did:web:ex.org%3A8443:x"),
    ("https://ex.org/a/b", "did:web:ex.org:a:b"),
    ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
])
def test_did_web_from_base_url(url, did):
    assert dids.did_web(url) == did


def test_did_web_document_url():
    assert dids.did_web_document_url("did:web:ex.org") == "https://ex.org/.well-known/did.json"
    assert dids.did_web_document_url("did:web:ex.org%3A8443:x") == "https://ex.org:8443/x/did.json"


def test_did_document_lists_retired_and_revoked_keys():
    keys = [dids.PublishedKey("key-1", "z6Mk1"),
            dids.PublishedKey("key-2", "z6Mk2",
                              revoked_at=datetime(2026, 5, 1, 12, 30, tzinfo=UTC))]
    doc = dids.did_document("https://ex.org:8443/x", keys)
    assert doc["id"] == "did:web:ex.org%3A8443:x"
    methods = {m["id"]: m for m in doc["verificationMethod"]}
    assert set(methods) == {"did:web:ex.org%3A8443:x#key-1", "did:web:ex.org%3A8443:x#key-2"}
    assert all(m["type"] == "Multikey" and m["controller"] == doc["id"]
               for m in methods.values())
    assert "revoked" not in methods["did:web:ex.org%3A8443:x#key-1"]
    assert methods["did:web:ex.org%3A8443:x#key-2"]["revoked"] == "2026-05-01T12:30:00Z"
    assert set(doc["assertionMethod"]) == set(methods)


def test_loader_refuses_unknown_urls_without_touching_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the loader tried to open a connection")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(UnknownContextError, match="never fetched"):
        default_loader()("https://example.org/contexts/unknown.jsonld")
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2",
                        "https://example.org/contexts/unknown.jsonld"],
           "type": ["VerifiableCredential"]}
    with pytest.raises(UnknownContextError):
        proofs.canonical_nquads(doc)


def test_loader_serves_a_private_copy():
    loader = default_loader()
    first = loader("https://www.w3.org/ns/credentials/v2")["document"]
    first["@context"]["VerifiableCredential"] = "tampered"
    again = loader("https://www.w3.org/ns/credentials/v2")["document"]
    assert again["@context"]["VerifiableCredential"] != "tampered"
