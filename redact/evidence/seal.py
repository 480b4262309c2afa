"""Seal an original before anything touches it: SHA-256, size, mtime, who and when.

The seal ``NAME.ext.seal.json`` sits beside ``NAME.ext``, or in a case folder (``layout.py``).
Sealing removes the original's write bits (a read-only store needs none removed); every later
use re-hashes it and refuses to go on when the hash differs.
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import BadInputError, SealMismatchError, StorageError, storage_error
from ..i18n import N_
from .atomic import write_json_atomic
from .hashing import hash_file
from .keys import StationKey
from .layout import Layout, sealed_file
from .signing import sign
from .trust import Trust, judge, require, station_trust

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
    path: str | None = None  # the original relative to a case folder; None: beside the seal, by ``file``

    @classmethod
    def from_dict(cls, data: dict) -> Seal:
        required = {k: data[k] for k in cls.__dataclass_fields__ if k != "path"}
        return cls(**required, path=data.get("path"))

    def document(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def read_seal_document(original: Path, layout: Layout | None = None) -> dict | None:
    path = (layout or Layout(original)).seal
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        raise SealMismatchError(N_("seal {name} is unreadable ({error})"), original, name=path.name, error=exc) from exc
    if isinstance(document, dict) and sealed_file(path, document) != Path(original).absolute():
        # another original of that name, sealed into the same case folder: not a changed file
        raise BadInputError(
            N_("{seal} is the seal of another file, {other}"),
            original,
            hint=N_("originals of one name from different folders need case folders of their own"),
            seal=path,
            other=sealed_file(path, document),
        )
    return document


def seal_path(original: Path) -> Path:
    """The seal beside ``original`` (``Layout`` knows the seal in a case folder)."""
    return Layout(original).seal


def utc_iso(timestamp: float | None = None) -> str:
    moment = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): fall back to the uid
        return f"uid:{os.getuid()}"


def on_read_only_storage(path: Path) -> bool:
    """A read-only mount (evidence share, write-once media): nobody can write the file there."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def make_read_only(path: Path) -> None:
    """Remove the write bits; on read-only storage there is nothing to remove (nor a way to)."""
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return
    check_can_protect(path)
    try:
        os.chmod(path, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    except OSError as exc:
        if exc.errno != errno.EROFS and not on_read_only_storage(path):
            raise


def check_can_protect(path: Path) -> None:
    """``StorageError`` (exit 9) when this user could not remove ``path``'s write bits: it is
    another user's and writable. Checked before a seal is written, so a refused original is left
    exactly as it was, with no seal."""
    info = path.stat()
    writable = info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    if writable and os.geteuid() != 0 and info.st_uid != os.geteuid() and not on_read_only_storage(path):
        raise StorageError(
            N_("cannot make the original read-only: it belongs to user id {uid}, not to this user"),
            path,
            hint=N_("have its owner or an administrator remove its write bits (chmod a-w), or run as its owner"),
            uid=info.st_uid,
        )


def is_read_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or on_read_only_storage(path)


SEAL_TRUST_HINT = N_(
    "the original cannot be shown to be the sealed evidence: do not redact it; restore the seal as it was"
    " written, or, if another station sealed it, trust that station's key (`redact keys trust STATION.pub`)"
)


def load_seal(original: Path, layout: Layout | None = None, trust: Trust | None = None) -> Seal | None:
    """The seal of ``original``; refuses a seal whose signature no longer matches it, or (under
    ``trust``, default: this station's policy) one that is unsigned or signed by a stranger."""
    layout = layout or Layout(original)
    document = read_seal_document(original, layout)
    if document is None:
        return None
    if not isinstance(document, dict):
        raise SealMismatchError(N_("seal {name} is not a seal (not a JSON object)"), original, name=layout.seal.name)
    trust = trust or station_trust().for_folder(layout.records)
    verdict = judge(document, trust)
    if verdict.status == "altered":
        raise SealMismatchError(
            N_("seal {name} was altered ({reason})"),
            original,
            hint=N_("the seal is not the one written at sealing; do not redact"),
            name=layout.seal.name,
            reason=verdict.reason,
        )
    require(document, trust, N_("seal {name}", name=layout.seal.name), original, hint=SEAL_TRUST_HINT)
    try:
        return Seal.from_dict(document)
    except (KeyError, TypeError) as exc:
        raise SealMismatchError(
            N_("seal {name} is incomplete ({error})"), original, name=layout.seal.name, error=exc
        ) from exc


def seal_original(
    original: Path,
    operator: str | None = None,
    key: StationKey | None = None,
    layout: Layout | None = None,
    trust: Trust | None = None,
) -> tuple[Seal, bool]:
    """Seal ``original`` if it has no seal, else verify it. Returns (seal, newly_created)."""
    layout = layout or Layout(original)
    existing = load_seal(original, layout, trust)
    if existing is not None:
        verify_against_seal(original, existing)
        make_read_only(original)  # a verified copy put back in place stays protected too
        return existing, False
    check_can_protect(original)  # before anything is written
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
        **layout.seal_names_original(),
    )
    try:
        layout.records.mkdir(parents=True, exist_ok=True)
        write_json_atomic(layout.seal, sign(seal.document(), key))
    except OSError as exc:
        where = N_("beside the original") if layout.beside else N_("in {folder}", folder=layout.records)
        hint = N_("the evidence store is read-only: use --case-dir DIR") if layout.beside else None
        refused = storage_error(exc, original, N_("the seal {where}", where=where), unwritable_hint=hint)
        if refused is not None:  # full, quota, read-only, denied: exit 9, as for the other outputs
            raise refused from exc
        raise BadInputError(
            N_("cannot write seal {where} ({reason})"), original, hint=hint, where=where, reason=exc.strerror
        ) from exc
    make_read_only(original)
    return seal, True


NOT_THE_SEALED = N_("the file is not the sealed evidence; do not redact it")


def verify_against_seal(original: Path, seal: Seal) -> None:
    """Raise ``SealMismatchError`` unless the original's bytes are the sealed ones."""
    size = original.stat().st_size
    if size != seal.size:
        raise SealMismatchError(
            N_("original changed since it was sealed: size {size} bytes, sealed {sealed}"),
            original,
            hint=NOT_THE_SEALED,
            size=size,
            sealed=seal.size,
        )
    actual = hash_file(original)
    if actual != seal.sha256:
        raise SealMismatchError(
            N_("original changed since it was sealed: SHA-256 {actual}, sealed {sealed}"),
            original,
            hint=NOT_THE_SEALED,
            actual=actual,
            sealed=seal.sha256,
        )
