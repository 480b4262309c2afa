"""The custody log: ``custody.jsonl`` beside the originals, append-only and hash-chained.

One JSON line per event (sealed, verified, analysed, transcribed, reviewed, redacted, exported, viewed
original, verification failed) with UTC time, operator, tool version, the files concerned
and their SHA-256, a sequence number, the SHA-256 of the previous line exactly as stored
(``prev``; 64 zeros for the first), and a signature over the entry when a station key
exists. Deleting, reordering or editing any entry breaks the chain; cutting entries off the
end is caught by ``redact verify``, which requires a "sealed" entry for every original and a
"redacted" entry for every derivative.
Writers take an exclusive ``flock`` on the file, so concurrent runs never interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import writing
from .keys import StationKey
from .signing import check, sign

CUSTODY_NAME = "custody.jsonl"
GENESIS = "0" * 64
EVENTS = (
    "sealed",
    "verified",
    "analysed",
    "transcribed",
    "reviewed",
    "redacted",
    "exported",
    "viewed original",
    "verification failed",
)


def custody_path(folder: Path) -> Path:
    return folder / CUSTODY_NAME


def append(
    folder: Path,
    event: str,
    files: list[dict],
    operator: str,
    key: StationKey | None,
    time: str,
    detail: str | None = None,
) -> dict:
    """Append one signed entry under an exclusive lock; returns the entry written.

    Raises ``StorageError`` when the storage refuses the line (full, read-only); a line it
    took only in part is cut off again, so the chain stays as it was.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown custody event {event!r}")
    path = custody_path(folder)
    with writing(path, "the custody log"), open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            f.seek(0)
            lines = [line for line in f.read().splitlines() if line.strip()]
            entry = {
                "seq": len(lines) + 1,
                "time": time,
                "event": event,
                "operator": operator,
                "tool": f"redact {__version__}",
                "files": files,
                "prev": hashlib.sha256(lines[-1]).hexdigest() if lines else GENESIS,
            }
            if detail:
                entry["detail"] = detail
            entry = sign(entry, key)
            line = memoryview(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n")
            end = os.lseek(f.fileno(), 0, os.SEEK_END)
            try:
                while line:  # unbuffered: nothing left to flush (and fail) again at close
                    line = line[os.write(f.fileno(), line) :]
                os.fsync(f.fileno())
            except OSError:
                os.ftruncate(f.fileno(), end)
                raise
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return entry


def write_recorded(
    path: Path,
    document: dict,
    what: str,
    records: Path,
    event: str,
    role: str,
    operator: str,
    key: StationKey | None,
    time: str,
    detail: str | None = None,
    read_only: bool = False,
) -> str:
    """``document`` signed and written atomically to ``path`` (``read_only``: then made so), and
    its custody entry ``event`` in ``records``, naming it in ``role`` by SHA-256; that SHA-256."""
    from .atomic import write_json_atomic
    from .hashing import hash_file

    with writing(path, what):
        write_json_atomic(path, sign(document, key))  # a rename: replaces a read-only older one too
        if read_only:
            with contextlib.suppress(OSError):  # read-only storage of a case folder: already read-only
                os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        sha = hash_file(path)
        entry = [{"name": os.path.relpath(path, records), "role": role, "sha256": sha}]
        append(records, event, entry, operator, key, time, detail=detail)
    return sha


@dataclass(frozen=True)
class ChainReport:
    entries: list[dict]
    problems: list[str]
    unsigned: int
    signers: set[str]


def read_chain(folder: Path, trusted: set[str] | None = None) -> ChainReport:
    """Parse and check the whole chain: sequence, previous-line hashes, signatures."""
    path = custody_path(folder)
    entries, problems, signers = [], [], set()
    unsigned = 0
    if not path.exists():
        return ChainReport([], [f"{CUSTODY_NAME} is missing"], 0, signers)
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        problems.append("last entry is cut short (no final newline)")
    prev = GENESIS
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            problems.append(f"line {number}: empty")
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"line {number}: not valid JSON")
            prev = hashlib.sha256(line).hexdigest()
            continue
        if entry.get("seq") != number:
            problems.append(f"line {number}: sequence number {entry.get('seq')} (entries deleted or reordered)")
        if entry.get("prev") != prev:
            problems.append(f"line {number}: does not follow the previous entry (chain broken)")
        status, detail = check(entry, trusted)
        if status == "invalid":
            problems.append(f"line {number}: {detail}")
        elif status == "unsigned":
            unsigned += 1
        else:
            signers.add(detail)
        entries.append(entry)
        prev = hashlib.sha256(line).hexdigest()
    return ChainReport(entries, problems, unsigned, signers)


def has_event(entries: list[dict], event: str, sha256: str) -> bool:
    return any(e.get("event") == event and any(f.get("sha256") == sha256 for f in e.get("files", [])) for e in entries)
