"""Outputs appear whole or not at all: write to a hidden temporary name, then rename."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


def temp_path_for(final: Path) -> Path:
    """A hidden sibling of ``final`` (same folder, so the rename is atomic), same suffix, named
    with the writing process's id so that a later run can tell a killed run's leftover."""
    return final.with_name(f".{final.stem}.{temp_prefix()}{uuid.uuid4().hex[:8]}.partial{final.suffix}")


def host_tag() -> str:
    """Four hex digits naming this machine: process ids mean something on their own host only
    (a batch across station PCs writes to one evidence share)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:4]


def temp_prefix() -> str:
    """What every temporary file this process writes beside an output starts with, after the
    output's stem: its host and process id."""
    return f"h{host_tag()}p{os.getpid()}-"


STALE_UNOWNED_S = 3600  # a leftover of another host, or named before process ids were: gone once unchanged this long


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_partials(final: Path) -> list[Path]:
    """Remove the hidden temporaries of ``final`` (the output, its log, their spools) that runs
    killed with SIGKILL or by a power cut left behind: those of this host whose process is gone,
    and any other left unchanged for ``STALE_UNOWNED_S``. A running process's files are left
    alone, so two runs never take each other's, on this machine or another."""
    folder, stem = final.parent, final.stem
    removed = []
    if not folder.is_dir():
        return removed
    pattern = re.compile(rf"\.{re.escape(stem)}\.(?:h{host_tag()}p(\d+)-)?[^/]*partial")
    for path in folder.glob(f".{glob.escape(stem)}.*partial*"):
        match = pattern.match(path.name)
        if match is None:
            continue
        try:
            if match.group(1) is not None:
                stale = not process_alive(int(match.group(1)))
            else:
                stale = time.time() - path.stat().st_mtime > STALE_UNOWNED_S
            if stale:
                path.unlink()
                removed.append(path)
        except (FileNotFoundError, PermissionError):
            continue
    return removed


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
