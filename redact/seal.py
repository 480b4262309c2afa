"""Seal an original before anything touches it: SHA-256, size, mtime, who and when.

The seal ``NAME.seal.json`` sits beside ``NAME.ext``. Sealing removes the original's write
bits; every later use re-hashes it and refuses to go on when the hash differs.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .atomic import write_json_atomic
from .errors import BadInputError, SealMismatchError
from .hashing import hash_file
from .keys import StationKey
from .signing import check, sign

SEAL_FORMAT = "redact.seal/1"


@dataclass(frozen=True)
class Seal:
    format: str
    file: str
    sha256: str
    size: int
    mtime: str
    sealed_at: str
    operator: str
    tool: str

    @classmethod
    def from_dict(cls, data: dict) -> Seal:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def read_seal_document(original: Path) -> dict | None:
    path = seal_path(original)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise SealMismatchError(f"seal {path.name} is unreadable ({exc})", original) from exc


def seal_path(original: Path) -> Path:
    return original.with_name(original.stem + ".seal.json")


def utc_iso(timestamp: float | None = None) -> str:
    moment = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): fall back to the uid
        return f"uid:{os.getuid()}"


def make_read_only(path: Path) -> None:
    mode = path.stat().st_mode
    os.chmod(path, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def is_read_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def load_seal(original: Path) -> Seal | None:
    """The seal beside ``original``; refuses a seal whose signature no longer matches it."""
    document = read_seal_document(original)
    if document is None:
        return None
    status, detail = check(document) if "signature" in document else ("unsigned", None)
    if status == "invalid":
        raise SealMismatchError(
            f"seal {seal_path(original).name} was altered ({detail})",
            original,
            hint="the seal is not the one written at sealing; do not redact",
        )
    try:
        return Seal.from_dict(document)
    except (KeyError, TypeError) as exc:
        raise SealMismatchError(f"seal {seal_path(original).name} is incomplete ({exc})", original) from exc


def seal_original(original: Path, operator: str | None = None, key: StationKey | None = None) -> tuple[Seal, bool]:
    """Seal ``original`` if it has no seal, else verify it. Returns (seal, newly_created)."""
    existing = load_seal(original)
    if existing is not None:
        verify_against_seal(original, existing)
        make_read_only(original)  # a verified copy put back in place stays protected too
        return existing, False
    info = original.stat()
    seal = Seal(
        format=SEAL_FORMAT,
        file=original.name,
        sha256=hash_file(original),
        size=info.st_size,
        mtime=utc_iso(info.st_mtime),
        sealed_at=utc_iso(),
        operator=operator or current_operator(),
        tool=f"redact {__version__}",
    )
    try:
        write_json_atomic(seal_path(original), sign(asdict(seal), key))
    except OSError as exc:
        raise BadInputError(f"cannot write seal beside the original ({exc.strerror})", original) from exc
    make_read_only(original)
    return seal, True


def verify_against_seal(original: Path, seal: Seal) -> None:
    """Raise ``SealMismatchError`` unless the original's bytes are the sealed ones."""
    size = original.stat().st_size
    if size != seal.size:
        raise SealMismatchError(
            f"original changed since it was sealed: size {size} bytes, sealed {seal.size}",
            original,
            hint="the file is not the sealed evidence; do not redact it",
        )
    actual = hash_file(original)
    if actual != seal.sha256:
        raise SealMismatchError(
            f"original changed since it was sealed: SHA-256 {actual}, sealed {seal.sha256}",
            original,
            hint="the file is not the sealed evidence; do not redact it",
        )
