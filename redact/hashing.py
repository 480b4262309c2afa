"""Streamed SHA-256 of files of any size (originals run to many gigabytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def hash_file(path: Path, chunk: int = 4 << 20) -> str:
    """Hex SHA-256 of a file, read in 4 MiB blocks, opened read-only."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
