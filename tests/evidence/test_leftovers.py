"""What a run killed with SIGKILL (or a power cut) leaves behind is swept at the next start:
hidden partial outputs beside the derivative and frame rings of the original in shared memory.
A live run's files are never taken."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from clips import write_clip
from light import ONE_MODEL

from redact import redact_file
from redact.detect.workers import SHM_PREFIX, sweep_shared_memory
from redact.evidence.atomic import STALE_UNOWNED_S, host_tag, sweep_partials, temp_path_for
from redact.options import RedactOptions


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_partials_of_dead_runs_go_and_a_live_runs_stay(tmp_path):
    final = tmp_path / "clip.mp4.redacted.mp4"
    dead = dead_pid()
    killed = [
        tmp_path / f".clip.mp4.redacted.h{host_tag()}p{dead}-0123abcd.partial.mp4",
        tmp_path / f".clip.mp4.redacted.h{host_tag()}p{dead}-89abcdef.partial.json",
        tmp_path / f".clip.mp4.redacted.h{host_tag()}p{dead}-k2j3h4.partial-spool",
    ]
    live = temp_path_for(final)  # this process's: still being written
    other_clip = tmp_path / f".myclip.mp4.redacted.p{dead}-0123abcd.partial.mp4"  # another clip's, not ours
    unowned_old = tmp_path / ".clip.mp4.redacted.0123abcd.partial.mp4"  # named before process ids were
    unowned_new = tmp_path / ".clip.mp4.redacted.fedcba98.partial.mp4"
    other_host = tmp_path / f".clip.mp4.redacted.hzzzzp{dead}-0123abcd.partial.mp4"  # a live run elsewhere
    for path in [*killed, live, other_clip, unowned_old, unowned_new, other_host]:
        path.write_bytes(b"frames of the original")
    old = time.time() - STALE_UNOWNED_S - 60
    os.utime(unowned_old, (old, old))
    removed = sweep_partials(final)
    assert sorted(removed) == sorted([*killed, unowned_old])
    assert live.exists() and other_clip.exists() and unowned_new.exists() and other_host.exists()


def test_a_render_sweeps_what_a_killed_render_left(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=4, size=(96, 64))
    dead = dead_pid()
    leftovers = [
        tmp_path / f".clip.mp4.redacted.h{host_tag()}p{dead}-{n}0000000.partial.mp4" for n in range(3)
    ]  # one per try
    for path in leftovers:
        path.write_bytes(b"\0" * 1000)
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=ONE_MODEL))
    assert not any(path.exists() for path in leftovers)
    assert not [p.name for p in tmp_path.iterdir() if "partial" in p.name]


def test_frame_rings_of_killed_runs_are_removed_from_shared_memory():
    from multiprocessing import shared_memory

    shm = Path("/dev/shm")
    dead = dead_pid()
    name = f"{SHM_PREFIX}{dead}-0123abcd"
    ring = shared_memory.SharedMemory(name=name, create=True, size=4096)
    ring.close()
    mine = shared_memory.SharedMemory(name=f"{SHM_PREFIX}{os.getpid()}-0123abcd", create=True, size=4096)
    try:
        removed = sweep_shared_memory(shm)
        assert name in removed and not (shm / name).exists()
        assert (shm / mine.name).exists()  # a live run's ring stays
    finally:
        mine.close()
        mine.unlink()
        if (shm / name).exists():
            ring.unlink()
