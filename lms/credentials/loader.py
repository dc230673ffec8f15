"""A pyld document loader that serves the contexts shipped in `contexts/` and nothing
else: canonicalising must never reach the network (intranet installs have none, and a
context fetched at verify time could change what a signature means)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

CONTEXTS_DIR = Path(__file__).with_name("contexts")

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3_0_1 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
BITSTRING_STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"

# URL -> file in contexts/ (contexts/README.md says where each came from)
CONTEXT_FILES: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    VC_V1: "credentials-v1.jsonld",
    OB_V3_0_3: "ob-context-3.0.3.json",
    OB_V3_0_1: "ob-context-3.0.1.json",
    OB_EXTENSIONS: "ob-extensions.json",
    DATA_INTEGRITY_V1: "data-integrity-v1.jsonld",
    ED25519_2020_V1: "ed25519-signature-2020-v1.jsonld",
    BITSTRING_STATUS_V1: "vc-bitstring-status-list-v1.jsonld",
}



class UnknownContextError(LookupError):
    """A document names a JSON-LD context this package does not ship."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD context {url!r} is not shipped with lms.credentials "
                         "and is never fetched")
        self.url = url


@cache
def shipped_context(url: str) -> dict[str, Any]:
    """The parsed context served for `url` (parsed once per process)."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContextError(url)
    return json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))


class DocumentLoader:
    """A pyld document loader over the shipped contexts plus `extra` documents by URL
    (tests add the W3C examples context, which production has no business resolving).
    Each loader keeps its own resolved-context cache, so two loaders serving different
    documents under one URL never share pyld's process-wide cache."""

    def __init__(self, extra: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.extra = dict(extra or {})
        self._resolved: LRUCache = LRUCache(maxsize=64)

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        base = url.split("#", 1)[0]  # a fragment names the same document
        document = self.extra[base] if base in self.extra else shipped_context(base)
        # pyld must not be able to alter our cached copy
        return {"contextUrl": None, "documentUrl": base, "document": copy.deepcopy(document)}

    def knows(self, url: str) -> bool:
        return url.split("#", 1)[0] in self.extra or url.split("#", 1)[0] in CONTEXT_FILES

    def options(self) -> dict[str, Any]:
        """pyld options that route every context through this loader."""
        return {"documentLoader": self,
                "contextResolver": ContextResolver(self._resolved, self)}


@cache
def default_loader() -> DocumentLoader:
    return DocumentLoader()
