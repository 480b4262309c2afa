"""Each clip of a batch in a process of its own, stopped if it stalls or crashes.

A batch runs unattended for hours, so one clip must not be able to end or freeze it: FFmpeg
can crash on a crafted file (which would take the whole batch down with it in-process), a
decoder can spin forever, storage can stop answering, a detection worker can hang inside a
GPU driver. So ``run_job`` runs in a child process in a process group of its own (with its
detection workers); the batch watches it and records a failure saying why when

- it dies without an outcome (a crash, the OOM killer), or
- it makes no progress for ``stall_s`` seconds: no frame written, no block hashed and, on
  Linux, no byte read or written by any process of its group (hashing a large original over
  the network is progress; a process blocked on dead storage or spinning in a decoder is not).

The group is then killed; the clip's temporary files are hidden and removed by its next
attempt, and its original is untouched, as with any failure. Ctrl-C is forwarded to the
child, which cleans up as ``redact run`` does. If the batch itself is killed, the child
notices within a second and stops too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import Terminated, WorkerError, sigterm_as_interrupt
from ..i18n import _
from ..options import STALL_S

POLL_S = 1.0
HEARTBEAT_S = 1.0  # at most one "still hashing" message a second
CLEANUP_S = 15.0  # how long an interrupted clip may take to remove its temporary files


def group_io(pgid: int) -> int | None:
    """Bytes read plus written so far by the processes of group ``pgid`` (None: not on Linux)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[3]) != pgid:  # fields after the name: state ppid pgrp
                continue
            fields = dict(line.split(": ") for line in (entry / "io").read_text().splitlines())
            total += int(fields["rchar"]) + int(fields["wchar"])
        except (OSError, ValueError, KeyError, IndexError):
            continue  # exited meanwhile, or not ours to read
    return total


def _watch_parent(parent: int) -> None:
    """Stop this clip (cleanly first) when the batch that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)  # KeyboardInterrupt: temporary files removed, workers ended
    time.sleep(CLEANUP_S)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows has no SIGKILL


def _child_start(parent: int, conn) -> None:
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)  # a group of its own: the batch can stop it and its workers at once
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="redact-parent-watch").start()
    from ..evidence.hashing import report_reads

    report_reads(_every(HEARTBEAT_S, lambda: conn.send(("reading", None))))


def _every(seconds: float, call: Callable[[], None]) -> Callable[[int], None]:
    """A callback that runs ``call`` at most once per ``seconds``, whatever it is given."""
    last = [0.0]

    def callback(_frames: int) -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            call()

    return callback


def _clip_main(job_data: dict, defaults: dict, conn, parent: int) -> None:
    """The child: one clip through ``run_job``, frames and the outcome sent back on ``conn``."""
    _child_start(parent, conn)
    from .clip_task import run_job

    try:
        with sigterm_as_interrupt():  # the batch forwards its SIGTERM (or the service manager sends it)
            outcome = run_job(job_data, defaults, progress=lambda n: conn.send(("frames", n)))
    except KeyboardInterrupt:
        conn.send(("interrupted", None))
        sys.exit(130)
    conn.send(("outcome", outcome))


def _check_main(items: list[tuple[dict, dict]], conn, parent: int) -> None:
    """The child of a resumed batch: which earlier derivatives still verify, one message per clip."""
    _child_start(parent, conn)
    from .clip_task import verified_result
    from .source import Job

    try:
        for job_data, parameters in items:
            job = Job.from_dict(job_data)
            conn.send(("checked", (job.key, verified_result(job, parameters))))
    except KeyboardInterrupt:
        conn.send(("interrupted", None))
        sys.exit(130)


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


def _kill_group(proc) -> None:
    """Kill the clip's process and every process of its group (its detection workers)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):  # POSIX: the clip's process group, detection workers included
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.kill()
    proc.join(timeout=10)  # a process stuck on dead storage may not die at all: do not wait on it


def _supervise(target, args: tuple, on_message: Callable[[str, object], None], stall_s: float) -> tuple[str, str]:
    """Run ``target(*args, conn, parent_pid)`` in a watched child until it ends.

    Returns ("ended", "") when it closed its end after its work, ("stalled", "") when it was
    killed for making no progress for ``stall_s`` s, or ("died", how) when it exited abnormally.
    Every message counts as progress and goes to ``on_message(kind, payload)``.
    """
    import multiprocess as mp

    from ..detect.workers import caller_script_hidden

    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    with caller_script_hidden():
        proc = ctx.Process(target=target, args=(*args, send, os.getpid()), name="redact-batch-child", daemon=False)
        proc.start()
    send.close()  # only the child writes: EOF here means it is gone
    last_io = None
    last_progress = time.monotonic()
    try:
        while True:
            if receive.poll(POLL_S):
                try:
                    kind, payload = receive.recv()
                except EOFError:
                    break
                last_progress = time.monotonic()
                if kind == "interrupted":
                    raise KeyboardInterrupt
                on_message(kind, payload)
                continue
            io = group_io(proc.pid)
            if io is not None and io != last_io:
                last_io, last_progress = io, time.monotonic()
            elif not proc.is_alive():
                break
            elif stall_s > 0 and time.monotonic() - last_progress > stall_s:
                _kill_group(proc)
                return "stalled", ""
    except KeyboardInterrupt as stop:
        # its own group does not get the terminal's Ctrl-C; a SIGTERM is passed on as itself
        how = signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, how)
        proc.join(timeout=CLEANUP_S)
        _kill_group(proc)
        raise
    finally:
        receive.close()
    proc.join(timeout=CLEANUP_S)
    if proc.is_alive() or proc.exitcode != 0:
        _kill_group(proc)  # a crashed child's detection workers are orphans: end them now
        return "died", _signal_name(proc.exitcode)
    return "ended", ""


def _failed(job_data: dict, message: str) -> dict:
    return {"status": "failed", "error": f"{job_data['path']}: {message}", "exit_code": WorkerError.exit_code}


def run_job_supervised(
    job_data: dict,
    defaults: dict,
    progress: Callable[[int], None] | None = None,
    stall_s: float = STALL_S,
) -> dict:
    """``run_job`` in a watched child process; the same outcome dict, or a failure saying why.

    ``stall_s`` <= 0 waits forever (crashes are still caught).
    """
    got: dict = {}

    def on_message(kind: str, payload) -> None:
        if kind == "frames" and progress is not None:
            progress(payload)
        elif kind == "outcome":
            got["outcome"] = payload

    status, how = _supervise(_clip_main, (job_data, defaults), on_message, stall_s)
    if "outcome" in got:
        return got["outcome"]
    if status == "stalled":
        stalled = _(
            "stalled: no frame written and no data read or written for {seconds:g} s (a hung decoder, detector or"
            " storage?); stopped. Rerun the batch to try it again"
        )
        return _failed(job_data, stalled.format(seconds=stall_s))
    died = _(
        "the clip's process died ({how}: a crash in a decoder or out of memory?); no derivative or log was written"
    )
    return _failed(job_data, died.format(how=how))


def verified_results_supervised(items: list[tuple[dict, dict]], stall_s: float = STALL_S) -> dict[str, dict | None]:
    """For each (job, parameters): the outcome of an earlier run whose derivative still
    verifies, else None, by job key; checked in a watched child, since hashing every earlier
    derivative reads the share. Clips it did not get to (it stalled or died) are left out:
    the batch redoes them, under the same watch."""
    found: dict[str, dict | None] = {}

    def on_message(kind: str, payload) -> None:
        if kind == "checked":
            key, outcome = payload
            found[key] = outcome

    if items:
        _supervise(_check_main, (items,), on_message, stall_s)
    return found
