"""Sign and verify JSON documents (seals, logs, custody entries) over a canonical form.

Canonical form: the document without its ``signature`` member, serialised as UTF-8 JSON with
sorted keys and no whitespace. Any change to any field, including reordering nothing but
values, changes these bytes; key order and indentation of the stored file do not.
"""

from __future__ import annotations

import hashlib
import json

from ..i18n import N_
from .keys import StationKey, verify

UNSIGNED = {"signed": False, "reason": "no station key (run `redact keys init`)"}


def canonical_json(value) -> bytes:
    """Canonical JSON of any value (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical(document: dict) -> bytes:
    """The bytes a document's signature covers: its canonical JSON without ``signature``."""
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


DIGEST_MESSAGE = "sha256(canonical)"  # a signature over the SHA-256 of the canonical bytes


def sign_digest(digest: bytes, key: StationKey | None) -> dict:
    """A signature member for a document too large to hold: over SHA-256(canonical form).

    Used for redaction logs, which are written as a stream; ``check`` verifies both kinds.
    """
    if key is None:
        return dict(UNSIGNED)
    return {**key.sign(digest), "message": DIGEST_MESSAGE}


def sign(document: dict, key: StationKey | None) -> dict:
    """The document with a ``signature`` member (or an explicit unsigned marker)."""
    signed = {k: v for k, v in document.items() if k != "signature"}
    signed["signature"] = key.sign(canonical(signed)) if key is not None else dict(UNSIGNED)
    return signed


def is_digest_signature(signature) -> bool:
    return isinstance(signature, dict) and signature.get("message") == DIGEST_MESSAGE


def check(document: dict, trusted: set[str] | None = None, digest: bytes | None = None) -> tuple[str, str | None]:
    """("signed", fingerprint) | ("unsigned", None) | ("invalid", reason).

    ``digest``: the SHA-256 of the document's canonical form, when the caller computed it while
    streaming a document too large to hold (``log_reader.LogReader``); only a digest signature
    can be checked that way.
    """
    signature = document.get("signature")
    if not isinstance(signature, dict):
        return "invalid", N_("no signature member")
    if signature.get("signed") is False and set(signature) <= {"signed", "reason"}:
        return "unsigned", None
    if is_digest_signature(signature):
        message = digest if digest is not None else hashlib.sha256(canonical(document)).digest()
    elif digest is not None:
        raise ValueError("a signature over the whole canonical text needs the whole document")
    else:
        message = canonical(document)
    problem = verify(signature, message)
    if problem:
        return "invalid", problem
    if trusted is not None and signature["fingerprint"] not in trusted:
        return "invalid", N_("signed by {signer}, not a trusted key", signer=signature["fingerprint"])
    return "signed", signature["fingerprint"]
