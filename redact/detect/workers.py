"""Detection off the main process: worker processes read frames from shared memory.

Why this shape (measured in benchmarks/RESULTS.md): detection costs 5-20x the decode and
encode of a frame, while decode and x264 already thread well inside FFmpeg. So one process
decodes, tracks, masks and encodes in display order (one encoder keeps every timestamp, the
audio interleave and the tracks exact), and N worker processes run the detectors. A frame to
detect is copied once into a slot of a shared-memory ring (a few hundred microseconds for
1080p I420); only the slot number travels through the job queue and only boxes come back.
Slots bound the frames in flight, so memory does not grow with the clip's length.

``InlineDetection`` runs the same contract in the calling process (``workers=0``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..detections import Detections
from ..errors import ModelError, RedactError, WorkerError
from ..i18n import N_, Msg
from ..options import DetectOptions
from .upright import detect_frame

POLL_S = 0.2  # how often a waiting main process checks that its workers are alive
START_TIMEOUT_S = 120.0  # loading the models takes ~1 s; a worker silent this long is stuck
# A frame takes well under 10 s even at 4K on one slow core; no result for this long means a
# worker hangs (a driver, a deadlock), and the clip fails rather than waiting forever.
DETECT_TIMEOUT_S = 600.0


def detect_timeout() -> float:
    """Seconds to wait for a detection result ($REDACT_DETECT_TIMEOUT_S, default 600)."""
    return float(os.environ.get("REDACT_DETECT_TIMEOUT_S") or DETECT_TIMEOUT_S)


@dataclass
class Result:
    """Detections for one frame, plus what the detector spent and dropped on it."""

    index: int
    found: Detections
    seconds: float
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)


def _dropped_counts(detectors) -> dict[tuple[str, str], int]:
    """Candidates each detector has read and left unmasked so far, by (detector, reason)."""
    return {(d.info.name, reason): n for d in detectors for reason, n in getattr(d, "dropped", {}).items()}


def _delta(before: dict, after: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


class InlineDetection:
    """Detect in the calling process; results are ready as soon as a frame is submitted."""

    def __init__(self, options: DetectOptions, rotation: int, threads: int | None = None, deinterlace: bool = False):
        from .factory import build_detectors

        self.detectors = build_detectors(options, threads)
        self.infos = [d.info for d in self.detectors]
        self.rotation, self.deinterlace = rotation, deinterlace
        self.ready: list[Result] = []

    def submit(self, index: int, buf: np.ndarray) -> None:
        before = _dropped_counts(self.detectors)
        start = time.perf_counter()
        found = detect_frame(self.detectors, buf, self.rotation, self.deinterlace, index)
        seconds = time.perf_counter() - start
        self.ready.append(Result(index, found, seconds, _delta(before, _dropped_counts(self.detectors))))

    def collect(self, block: bool = False) -> list[Result]:
        ready, self.ready = self.ready, []
        return ready

    def close(self) -> None:
        pass


SHM_PREFIX = "redact-frames-"  # /dev/shm/redact-frames-<pid>-<hex>: frames of an original, in flight


def shm_name() -> str:
    return f"{SHM_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"


def sweep_shared_memory(folder: Path = Path("/dev/shm")) -> list[str]:
    """Remove frame rings that runs killed with SIGKILL left in shared memory (they hold pictures
    of an original): those whose process is gone. Linux keeps POSIX shared memory in /dev/shm."""
    from ..evidence.atomic import process_alive

    removed = []
    for path in folder.glob(f"{SHM_PREFIX}*") if folder.is_dir() else []:
        pid = path.name[len(SHM_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path.name)
    return removed


def _sendable(error: RedactError) -> RedactError:
    """``error`` to send to the main process, with its template and params (shown there in the
    user's language); in English text if a param will not pickle."""
    try:
        pickle.dumps(error)
    except Exception:
        kind = ModelError if isinstance(error, ModelError) else WorkerError
        return kind(error.message, error.path, error.hint)
    return error


def _worker_main(shm_name, slot_shape, options, view, jobs, results, parent: int) -> None:
    """A detection worker: load the models once, then detect frames from shared-memory slots."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    import cv2
    from multiprocess import shared_memory

    from .factory import build_detectors

    cv2.setNumThreads(1)
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        ring = np.ndarray(slot_shape, np.uint8, buffer=shm.buf)
        try:
            detectors = build_detectors(options, threads=1)
        except RedactError as error:
            results.put(("error", _sendable(error)))
            return
        results.put(("ready", [d.info for d in detectors]))
        while True:
            if os.getppid() != parent:  # the main process was killed (kill -9): stop too
                return
            try:
                job = jobs.get(timeout=1.0)
            except queue.Empty:
                continue
            if job is None:
                return
            slot, index, shape = job
            try:
                before = _dropped_counts(detectors)
                start = time.perf_counter()
                buf = ring[slot, : shape[0] * shape[1]].reshape(shape)
                found = detect_frame(detectors, buf, *view, index)
                seconds = time.perf_counter() - start
                dropped = _delta(before, _dropped_counts(detectors))
                results.put(("done", slot, index, found, seconds, dropped))
            except Exception:
                results.put(("crash", traceback.format_exc()))
                return
    finally:
        del ring
        shm.close()


_MAIN_LOCK = threading.Lock()  # two pools starting at once (threads of one process) must not interleave


@contextlib.contextmanager
def caller_script_hidden():
    """Stop spawned workers from re-running the caller's script as their ``__main__``.

    A spawned child normally re-imports the parent's main script, which breaks any script
    that calls ``redact_file`` without an ``if __name__ == "__main__"`` guard. The workers need
    nothing from that script, so its path and spec are hidden while the children start.
    """
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


class DetectionPool:
    """``workers`` detection processes fed through a ring of shared-memory frame slots."""

    def __init__(
        self,
        options: DetectOptions,
        rotation: int,
        frame_bytes: int,
        workers: int,
        slots: int = 0,
        deinterlace: bool = False,
    ):
        import multiprocess as mp
        from multiprocess import shared_memory

        ctx = mp.get_context("spawn")  # a clean interpreter: no inherited FFmpeg/onnx threads or locks
        self.slots = slots or 2 * workers + 1
        self.frame_bytes = frame_bytes
        sweep_shared_memory()
        self.shm = shared_memory.SharedMemory(name=shm_name(), create=True, size=self.slots * frame_bytes)
        self.ring = np.ndarray((self.slots, frame_bytes), np.uint8, buffer=self.shm.buf)
        self.closed = False
        self.detect_timeout = detect_timeout()  # read once, not on every frame
        self.free = list(range(self.slots))
        self.sent: dict[int, float] = {}  # slot -> when its frame went to the workers
        self.ready: list[Result] = []  # arrived while waiting for a free slot
        self.jobs = ctx.Queue()
        self.results = ctx.Queue()
        self.procs = []
        self.infos: list = []
        try:
            queues = (self.jobs, self.results)
            view = (rotation, deinterlace)  # how detect_frame turns a stored frame into what is shown
            with caller_script_hidden():
                for n in range(workers):
                    proc = ctx.Process(
                        target=_worker_main,
                        args=(self.shm.name, (self.slots, frame_bytes), options, view, *queues, os.getpid()),
                        name=f"redact-detect-{n}",
                        daemon=True,
                    )
                    proc.start()
                    self.procs.append(proc)
            for _ in range(workers):
                self.infos = self._get(START_TIMEOUT_S, N_("loading the detectors"))[1]
        except BaseException:
            self.close()
            raise

    @property
    def pending(self) -> int:
        return self.slots - len(self.free)

    def _get(self, timeout: float | None, doing: Msg):
        """The next message from a worker; raises if one died, crashed or failed to start, or
        when the oldest frame in flight has waited ``timeout`` seconds: one hung worker holds
        its frame however busy the others keep the queue."""
        since = min(self.sent.values(), default=None) if self.sent else None
        deadline = None if timeout is None else (since if since is not None else time.monotonic()) + timeout
        while True:
            try:
                message = self.results.get(timeout=POLL_S)
            except queue.Empty:
                dead = [p for p in self.procs if p.exitcode is not None]
                if dead:
                    raise WorkerError(
                        N_("detection worker {name} exited with code {code} while {doing}"),
                        hint=N_("killed or out of memory? no derivative or log was written; run again"),
                        name=dead[0].name,
                        code=dead[0].exitcode,
                        doing=doing,
                    ) from None
                if deadline is not None and time.monotonic() > deadline:
                    raise WorkerError(
                        N_("detection workers did not answer within {seconds:g} s while {doing}"),
                        hint=N_("a worker hangs (a GPU driver?); no derivative or log was written"),
                        seconds=timeout,
                        doing=doing,
                    ) from None
                continue
            return self._checked(message)

    @staticmethod
    def _checked(message):
        """``message`` unless it reports a failed start or a crash, which it raises."""
        if message[0] == "error":
            error = message[1]
            cls = ModelError if isinstance(error, ModelError) else WorkerError
            raise cls(error.template, error.path, error.hint_template, **error.params)
        if message[0] == "crash":
            raise WorkerError(N_("a detection worker failed: {error}"), error=message[1].strip().splitlines()[-1])
        return message

    def _result(self, message) -> Result:
        _, slot, index, found, seconds, dropped = message
        self.free.append(slot)
        self.sent.pop(slot, None)
        return Result(index, found, seconds, dropped)

    def submit(self, index: int, buf: np.ndarray) -> None:
        """Queue a frame for detection, first waiting for a free slot if all are in flight."""
        if not self.free:
            self.ready.append(self._result(self._get(self.detect_timeout, N_("detecting"))))
        slot = self.free.pop()
        self.ring[slot, : buf.size] = buf.reshape(-1)
        self.sent[slot] = time.monotonic()
        self.jobs.put((slot, index, buf.shape))

    def collect(self, block: bool = False) -> list[Result]:
        """Results that have arrived; with ``block``, wait for at least one if any is pending."""
        out, self.ready = self.ready, []
        if block and not out and self.pending:
            out.append(self._result(self._get(self.detect_timeout, N_("detecting"))))
        while self.pending:
            try:
                message = self.results.get_nowait()
            except queue.Empty:
                break
            out.append(self._result(self._checked(message)))
        return out

    def close(self) -> None:
        """Stop the workers (politely, then by force) and release the shared memory. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for _ in self.procs:
            with contextlib.suppress(Exception):
                self.jobs.put(None)
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
        self.procs = []
        for q in (self.jobs, self.results):
            q.close()
            q.cancel_join_thread()
        with contextlib.suppress(Exception):
            del self.ring
        with contextlib.suppress(FileNotFoundError):
            self.shm.close()
            self.shm.unlink()
