"""Outputs appear whole or not at all: write to a hidden temporary name, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def temp_path_for(final: Path) -> Path:
    """A hidden sibling of ``final`` (same folder, so the rename is atomic), same suffix."""
    return final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.partial{final.suffix}")


@contextlib.contextmanager
def atomic_output(final: Path) -> Iterator[Path]:
    """Yield a temporary path; on success fsync and rename it to ``final``, else delete it."""
    tmp = temp_path_for(final)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json_atomic(final: Path, data: dict) -> None:
    with atomic_output(final) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
