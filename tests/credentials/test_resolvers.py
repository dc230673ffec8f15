"""Key resolution for the CLI: did:key, other issuers' did:web documents, status files."""

from __future__ import annotations

from datetime import UTC, datetime

from lms.credentials import dids, resolvers
from lms.credentials.resolvers import FetchError
from tests.credentials.helpers import seeded_key

DID = "did:web:other.example"


def _document(revoked=None, controller=DID):
    method = {"id": f"{DID}#k1", "type": "Multikey", "controller": controller,
              "publicKeyMultibase": dids.public_key_multibase(seeded_key(5).public_key())}
    if revoked:
        method["revoked"] = revoked
    return {"id": DID, "verificationMethod": [method], "assertionMethod": [method["id"]]}


def test_did_web_resolver_reads_the_published_document_once():
    fetched = []

    def fetch(url):
        fetched.append(url)
        return _document(revoked="2026-05-01T00:00:00Z")
    resolve = resolvers.did_web_resolver(fetch)
    found = resolve(f"{DID}#k1")
    assert found.public_key == seeded_key(5).public_key()
    assert (found.controller, found.revoked_at) == (DID, datetime(2026, 5, 1, tzinfo=UTC))
    assert resolve(f"{DID}#k2") is None
    assert fetched == ["https://other.example/.well-known/did.json"]


def test_did_web_resolver_refuses_foreign_keys_and_unreachable_hosts():
    assert resolvers.did_web_resolver(lambda url: _document(controller="did:web:evil"))(
        f"{DID}#k1") is None
    assert resolvers.did_web_resolver(lambda url: {**_document(), "id": "did:web:evil"})(
        f"{DID}#k1") is None

    def down(url):
        raise FetchError("unreachable")
    assert resolvers.did_web_resolver(down)(f"{DID}#k1") is None


def test_http_fetch_refuses_other_schemes():
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x"):
        try:
            resolvers.http_get_json(url)
        except FetchError:
            continue
        raise AssertionError(f"{url} was fetched")


def test_status_fetcher_prefers_files_and_never_fetches_without_a_fetcher():
    listed = {"id": "https://ex.cn/l/1", "type": ["VerifiableCredential"]}
    fetch = resolvers.status_fetcher([listed], None)
    assert fetch("https://ex.cn/l/1") is listed
    assert fetch("https://ex.cn/l/2") is None
    calls = []
    fetch = resolvers.status_fetcher([], lambda url: calls.append(url) or {"id": url})
    assert fetch("https://ex.cn/l/3") == {"id": "https://ex.cn/l/3"}
    assert calls == ["https://ex.cn/l/3"]


def test_did_key_resolver_only_takes_did_key():
    key = seeded_key(8).public_key()
    assert resolvers.did_key_resolver(dids.did_key_verification_method(key)).public_key == key
    assert resolvers.did_key_resolver("did:web:x#k") is None
    assert resolvers.did_key_resolver("did:key:zNotAKey") is None
