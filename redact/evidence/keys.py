"""The station's Ed25519 key pair: create, load, fingerprint, sign, verify.

The key folder is ``$REDACT_KEY_DIR`` or ``~/.config/redact/keys``. The private key
(``station.key``, PKCS#8 PEM, mode 0600, optionally passphrase-encrypted; the passphrase
comes from ``$REDACT_KEY_PASSPHRASE`` for unattended runs) signs seals, logs and custody
entries; the public key (``station.pub``, PEM) and its fingerprint are what a court checks.
Verification needs only public keys, which every signature carries.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import OutputExistsError, RedactError
from ..i18n import N_

PRIVATE_NAME, PUBLIC_NAME = "station.key", "station.pub"


class KeyError_(RedactError):
    """A key is missing, unreadable or locked."""

    exit_code = 7


def key_dir() -> Path:
    env = os.environ.get("REDACT_KEY_DIR")
    return Path(env) if env else Path.home() / ".config" / "redact" / "keys"


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey | bytes) -> str:
    """Short, readable fingerprint: SHA-256 of the raw public key, first 16 bytes in hex pairs."""
    raw = public if isinstance(public, bytes) else raw_public(public)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return "ed25519:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class StationKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, data: bytes) -> dict:
        return {
            "algorithm": "ed25519",
            "public_key": base64.b64encode(raw_public(self.public)).decode(),
            "fingerprint": self.fingerprint,
            "value": base64.b64encode(self.private.sign(data)).decode(),
        }


def check_can_create(folder: Path | None = None, force: bool = False) -> None:
    """``OutputExistsError`` (exit 4) when a station key exists and ``force`` is not given:
    checked before asking for a passphrase, and again when creating."""
    private_path = (folder or key_dir()) / PRIVATE_NAME
    if private_path.exists() and not force:
        raise OutputExistsError(
            N_("a station key already exists"), private_path, hint=N_("keep it, or use --force to replace it")
        )


def create(folder: Path | None = None, passphrase: bytes | None = None, force: bool = False) -> StationKey:
    folder = folder or key_dir()
    private_path, public_path = folder / PRIVATE_NAME, folder / PUBLIC_NAME
    check_can_create(folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    key = Ed25519PrivateKey.generate()
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(private_path, 0o600)
    public_path.write_bytes(public_pem(key.public_key()))
    station = StationKey(key)
    from .content_credentials import issue_certificate

    issue_certificate(station, folder)
    return station


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load(folder: Path | None = None, passphrase: bytes | None = None) -> StationKey | None:
    """The station key, or None when there is none (sealing then works unsigned)."""
    path = (folder or key_dir()) / PRIVATE_NAME
    if not path.exists():
        return None
    if passphrase is None and (env := os.environ.get("REDACT_KEY_PASSPHRASE")):
        passphrase = env.encode()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except TypeError as exc:
        raise KeyError_(
            N_("the station key is passphrase-protected"), path, hint=N_("set REDACT_KEY_PASSPHRASE")
        ) from exc
    except ValueError as exc:
        raise KeyError_(N_("cannot read the station key (wrong passphrase?)"), path) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(N_("the station key is not an Ed25519 key"), path)
    return StationKey(key)


def verify(signature: dict, data: bytes) -> str | None:
    """None when ``signature`` is a valid Ed25519 signature of ``data``, else the reason."""
    if signature.get("algorithm") != "ed25519":
        return N_("unknown signature algorithm {algorithm!r}", algorithm=signature.get("algorithm"))
    try:
        raw = base64.b64decode(signature["public_key"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
        value = base64.b64decode(signature["value"], validate=True)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:  # fields of any JSON type
        return N_("malformed signature ({error})", error=exc)
    if not isinstance(signature.get("fingerprint"), str) or signature["fingerprint"] != fingerprint(raw):
        return N_("fingerprint does not match the signing key")
    try:
        public.verify(value, data)
    except InvalidSignature:
        return N_("signature does not match the content")
    return None
