"""Streamed SHA-256 of files of any size (originals run to many gigabytes)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

_read_progress: Callable[[int], None] | None = None


def report_reads(callback: Callable[[int], None] | None) -> None:
    """Call ``callback(bytes)`` for every block hashed in this process (None: stop).

    Hashing a large original on a slow share can take many minutes without a frame decoded;
    a batch's watchdog (``batch/supervise.py``) counts these calls as progress on every OS,
    not only where it can read a process's I/O counters.
    """
    global _read_progress
    _read_progress = callback


def hash_file(path: Path, chunk: int = 4 << 20) -> str:
    """Hex SHA-256 of a file, read in 4 MiB blocks, opened read-only."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
            if _read_progress is not None:
                _read_progress(len(block))
    return digest.hexdigest()
