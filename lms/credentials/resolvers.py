"""Key resolution and status-list fetching for verifying outside the web app (the CLI):
did:key from the DID itself, this instance's keys from its ring, other did:web issuers
from their /.well-known/did.json, and status lists from given files or over HTTP."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from lms.credentials import dids
from lms.credentials.verify import KeyResolver, ResolvedKey, StatusFetcher

FETCH_TIMEOUT = 5  # seconds
MAX_FETCH_BYTES = 4 * 1024 * 1024

JsonFetcher = Callable[[str], Any]


class FetchError(OSError):
    pass


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"redirect to {newurl!r} refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_get_json(url: str, *, timeout: float = FETCH_TIMEOUT) -> Any:
    """GET a JSON document over http(s) only, bounded in time and size."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {url!r}")
    opener = urllib.request.build_opener(_HttpOnlyRedirects())
    request = urllib.request.Request(url, headers={  # noqa: S310 - scheme checked above
        "Accept": "application/vc+ld+json, application/ld+json, application/json"})
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_FETCH_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from None
    if len(body) > MAX_FETCH_BYTES:
        raise FetchError(f"{url}: response too large")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise FetchError(f"{url}: not JSON ({exc})") from None


def did_key_resolver(method: str) -> ResolvedKey | None:
    if not method.startswith("did:key:"):
        return None
    try:
        return ResolvedKey(dids.resolve_did_key(method), method.split("#", 1)[0])
    except dids.DidError:
        return None


def did_web_resolver(fetch_json: JsonFetcher) -> KeyResolver:
    """Resolves did:web methods from the DID's published document (fetched once)."""
    documents: dict[str, Any] = {}

    def resolve(method: str) -> ResolvedKey | None:
        if not method.startswith("did:web:") or "#" not in method:
            return None
        did = method.split("#", 1)[0]
        try:
            if did not in documents:
                documents[did] = fetch_json(dids.did_web_document_url(did))
            key, revoked_at = dids.key_from_did_document(documents[did], method)
        except (OSError, dids.DidError):
            return None
        return ResolvedKey(key, did, revoked_at)

    return resolve


def chain(*resolvers: KeyResolver | None) -> KeyResolver:
    """The first resolver that knows the method wins."""
    active = [r for r in resolvers if r is not None]

    def resolve(method: str) -> ResolvedKey | None:
        for resolver in active:
            found = resolver(method)
            if found is not None:
                return found
        return None

    return resolve


def status_fetcher(files: Iterable[dict[str, Any]],
                   fetch_json: JsonFetcher | None) -> StatusFetcher:
    """Status lists given as documents (matched by their `id`), else fetched when a
    fetcher is given; None (status unknown) otherwise."""
    by_id = {doc.get("id"): doc for doc in files if isinstance(doc, dict)}

    def fetch(url: str) -> dict[str, Any] | None:
        if url in by_id:
            return by_id[url]
        if fetch_json is None:
            return None
        try:
            found = fetch_json(url)
        except OSError:
            return None
        return found if isinstance(found, dict) else None

    return fetch
