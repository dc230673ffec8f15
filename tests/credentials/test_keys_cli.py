"""The key ring in the instance folder (C5) and the `flask lms credentials|keys` commands."""

from __future__ import annotations

import http.server
import json
import os
import stat
import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms import keys
from lms.credentials import dids, status_list
from lms.credentials.build import open_badge_credential, sign
from lms.credentials.verify import verify_credential
from tests.credentials.helpers import NOW, seeded_key

SIGNED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["lms", *args])


def _list_url(app, n: int) -> str:
    return f"{app.config['BASE_URL']}/api/v1/status-lists/{n}"


def _credential(app, *, index=5, created=SIGNED_AT, issuer=None) -> dict:
    doc = open_badge_credential(
        credential_id="urn:uuid:0c7e7a52-9d1e-4b8e-a8a5-6f7b1f0a0001",
        issuer={"id": issuer or keys.issuer_did(app), "name": "工会干部学院"},
        holder={"id": "urn:uuid:0c7e7a52-9d1e-4b8e-a8a5-6f7b1f0a0002", "name": "李四"},
        achievement={"id": "urn:uuid:0c7e7a52-9d1e-4b8e-a8a5-6f7b1f0a0003",
                     "name": "工会干部职业资格（初级）", "criteria": {"narrative": "通过考试"}},
        valid_from=datetime(2026, 3, 1, tzinfo=UTC), valid_until=None,
        status=[status_list.status_entry(_list_url(app, 1), index, "revocation"),
                status_list.status_entry(_list_url(app, 2), index, "suspension")],
        evidence=None, name="资格证书")
    return keys.sign_credential(app, doc, created=created)


def _status_lists(app, revoked=(), suspended=()) -> list[dict]:
    made = []
    for n, purpose, bits in ((1, "revocation", revoked), (2, "suspension", suspended)):
        made.append(keys.sign_credential(app, status_list.status_list_credential(
            list_id=_list_url(app, n), issuer=keys.issuer_did(app), purpose=purpose,
            indices=bits, valid_from=datetime(2026, 1, 1, tzinfo=UTC)), created=SIGNED_AT))
    return made


def _write(tmp_path, name, doc) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _verify_locally(app, doc):
    return verify_credential(doc, now=NOW, resolve_key=keys.local_resolver(app))


# --- the ring --------------------------------------------------------------------

def test_first_key_is_created_with_private_files_0600(app):
    kid, key = keys.active_key(app)
    ring = keys.keyring_dir(app)
    pem = ring / f"{kid}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(ring.stat().st_mode) == 0o700
    index = json.loads((ring / keys.INDEX_NAME).read_text())
    assert index["keys"][0]["kid"] == kid
    assert index["keys"][0]["publicKeyMultibase"] == dids.public_key_multibase(key.public_key())
    assert index["keys"][0]["retired_at"] is None and index["keys"][0]["revoked_at"] is None
    assert "PRIVATE" not in (ring / keys.INDEX_NAME).read_text()
    # the same key on the next call: nothing new is made
    assert keys.active_key(app)[0] == kid
    assert len(keys.public_keys(app)) == 1


def test_kid_format(app):
    kid, _ = keys.active_key(app)
    prefix, day, suffix = kid.split("-")
    assert prefix == "key" and len(day) == 8 and day.isdigit() and len(suffix) == 8


def test_legacy_single_key_becomes_the_first_key_of_the_ring(app):
    legacy = keys.legacy_key_path(app)
    legacy.parent.mkdir(parents=True, exist_ok=True)
    old = seeded_key(11)
    legacy.write_bytes(old.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    os.chmod(legacy, 0o600)

    kid, key = keys.active_key(app)

    assert key.public_key() == old.public_key()
    assert [k.kid for k in keys.public_keys(app)] == [kid]
    assert stat.S_IMODE((keys.keyring_dir(app) / f"{kid}.pem").stat().st_mode) == 0o600
    # flask lms check is satisfied by the migrated ring
    assert keys.load_signing_key(app).public_key() == old.public_key()


def test_did_document_lists_every_key_and_revocation(app):
    kid, _ = keys.active_key(app)
    keys.rotate(app)
    keys.revoke(app, kid, datetime(2026, 7, 1, tzinfo=UTC))
    doc = keys.did_document(app)
    assert doc["id"] == "did:web:localhost"
    methods = {m["id"]: m for m in doc["verificationMethod"]}
    assert len(methods) == 2
    assert methods[f"did:web:localhost#{kid}"]["revoked"] == "2026-07-01T00:00:00Z"
    # what the document publishes resolves to what the ring holds
    key, revoked_at = dids.key_from_did_document(doc, f"did:web:localhost#{kid}")
    assert revoked_at == datetime(2026, 7, 1, tzinfo=UTC)
    assert dids.public_key_multibase(key) == {k.kid: k for k in keys.public_keys(app)}[
        kid].public_key_multibase


def test_did_key_issuer_mode(make_app):
    app = make_app(CREDENTIAL_ISSUER_DID="key")
    with app.app_context():
        doc = _credential(app)
        assert doc["issuer"]["id"].startswith("did:key:z6Mk")
        assert doc["proof"]["verificationMethod"].startswith(doc["issuer"]["id"] + "#")
        assert _verify_locally(app, doc).details["signature"] == "valid"


# --- flask lms credentials verify -------------------------------------------------

def test_cli_verify_valid_with_status_files(app, tmp_path):
    doc = _credential(app)
    lists = [_write(tmp_path, f"list{i}.json", d) for i, d in enumerate(_status_lists(app))]
    result = invoke(app, "credentials", "verify", _write(tmp_path, "c.json", doc),
                    "--status-list", lists[0], "--status-list", lists[1], "--no-fetch")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "valid"


def test_cli_verify_revoked_and_suspended_exit_1(app, tmp_path):
    doc = _credential(app, index=5)
    path = _write(tmp_path, "c.json", doc)
    for revoked, suspended, reason in (({5}, (), "revoked"), ((), {5}, "suspended")):
        lists = [_write(tmp_path, f"l{i}.json", d)
                 for i, d in enumerate(_status_lists(app, revoked, suspended))]
        result = invoke(app, "credentials", "verify", path, "--status-list", lists[0],
                        "--status-list", lists[1], "--no-fetch")
        assert result.exit_code == 1, result.output
        assert result.output.splitlines()[0] == f"invalid: {reason}"


def test_cli_verify_tampered_exit_1(app, tmp_path):
    doc = _credential(app)
    doc["credentialSubject"]["name"] = "王五"
    result = invoke(app, "credentials", "verify", _write(tmp_path, "c.json", doc), "--no-fetch")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "invalid: bad_signature"


def test_cli_verify_status_unknown_exit_2_and_json(app, tmp_path):
    path = _write(tmp_path, "c.json", _credential(app))
    result = invoke(app, "credentials", "verify", path, "--no-fetch")
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == "verified-but-status-unknown"
    result = invoke(app, "credentials", "verify", path, "--no-fetch", "--json")
    assert result.exit_code == 2
    out = json.loads(result.output)
    assert (out["ok"], out["reason"]) == (False, "status_unavailable")
    assert out["details"]["signature"] == "valid"
    assert out["details"]["issuer"] == "did:web:localhost"


def test_cli_verify_jwt_and_garbage(app, tmp_path):
    jwt = tmp_path / "c.jwt"
    jwt.write_text("eyJhbGciOiJub25lIn0.eyJ2YyI6e319.")
    result = invoke(app, "credentials", "verify", str(jwt), "--no-fetch")
    assert (result.exit_code, result.output.splitlines()[0]) == (1, "invalid: unsupported_proof")
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert invoke(app, "credentials", "verify", str(junk), "--no-fetch").exit_code == 1


def test_cli_verify_did_key_from_elsewhere_and_unknown_did_web(app, tmp_path):
    other = seeded_key(21)
    did = dids.did_key(other.public_key())
    doc = sign(open_badge_credential(
        credential_id="urn:uuid:1", issuer={"id": did, "name": "别的学院"},
        holder={"name": "赵六"}, achievement={"id": "urn:uuid:2", "name": "证书"},
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=None, status=[],
        evidence=None, name="证书"), other, dids.did_key_verification_method(other.public_key()),
        SIGNED_AT)
    result = invoke(app, "credentials", "verify", _write(tmp_path, "k.json", doc), "--no-fetch")
    assert result.exit_code == 0, result.output

    stranger = sign({**doc, "issuer": {"id": "did:web:stranger.example", "name": "x"}}, other,
                    "did:web:stranger.example#k1", SIGNED_AT)
    result = invoke(app, "credentials", "verify", _write(tmp_path, "w.json", stranger),
                    "--no-fetch")
    assert (result.exit_code, result.output.splitlines()[0]) == (1, "invalid: unknown_key")


def test_cli_verify_fetches_status_list_over_http(make_app, tmp_path):
    """The list URL is reachable: the command GETs it (a server on 127.0.0.1)."""
    served: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = make_app(BASE_URL=f"http://127.0.0.1:{server.server_port}")
        with app.app_context():
            doc = _credential(app)
            for listed in _status_lists(app, revoked={5}):
                served[listed["id"].split(str(server.server_port), 1)[1]] = \
                    json.dumps(listed).encode()
            result = invoke(app, "credentials", "verify", _write(tmp_path, "c.json", doc))
            assert (result.exit_code, result.output.splitlines()[0]) == (1, "invalid: revoked")
            served.clear()  # the lists are gone: status unknown
            result = invoke(app, "credentials", "verify", _write(tmp_path, "c.json", doc))
            assert result.exit_code == 2, result.output
    finally:
        server.shutdown()
        server.server_close()


# --- flask lms keys ---------------------------------------------------------------

def test_cli_keys_rotate_list_revoke(app):
    first, _ = keys.active_key(app)
    result = invoke(app, "keys", "rotate")
    assert result.exit_code == 0
    second = result.output.split()[-1]
    listed = json.loads(invoke(app, "keys", "list", "--json").output)
    assert [(k["kid"], k["status"]) for k in listed] == [(first, "retired"), (second, "active")]

    result = invoke(app, "keys", "revoke", first, "--at", "2026-05-01T08:00:00+08:00")
    assert result.exit_code == 0, result.output
    revoked = {k.kid: k for k in keys.public_keys(app)}[first]
    assert revoked.revoked_at == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert keys.active_key(app)[0] == second  # revoking a retired key rotates nothing

    assert invoke(app, "keys", "revoke", "key-nope").exit_code != 0
    assert invoke(app, "keys", "revoke", second, "--at", "2026-05-01T08:00").exit_code != 0
    text = invoke(app, "keys", "list").output
    assert f"{first}  revoked" in text and f"{second}  active" in text


def test_keys_files_never_world_readable_after_rotation(app):
    keys.active_key(app)
    keys.rotate(app)
    for pem in keys.keyring_dir(app).glob("*.pem"):
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600


def test_init_keys_and_check_use_the_ring(app):
    result = invoke(app, "init-keys")
    assert result.exit_code == 0 and "created" in result.output
    path = keys.signing_key_path(app)
    assert path.parent == keys.keyring_dir(app) and path.suffix == ".pem"
    assert "kept existing" in invoke(app, "init-keys").output
    assert isinstance(keys.load_signing_key(app), Ed25519PrivateKey)


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Only loopback: a test must never reach a real host."""
    import socket

    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        if address[0] not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"test tried to reach {address}")
        return real(address, *args, **kwargs)
    monkeypatch.setattr(socket, "create_connection", guarded)
