"""Encode and mux on a thread of its own, so the main loop never waits on x264.

The main loop (decode, convert, track, mask) and the encoder are both serial; once the
detection workers keep up, the main loop is the limit (benchmarks/RESULTS.md: on 16 cores,
``fast`` at 1080p spent ~7 of its ~16 ms per frame encoding and muxing). PyAV releases the GIL
inside ``avcodec_send_frame``/``receive_packet``, so the two overlap. Every call on the output
container happens on the writer thread, in the order the main loop made them: the same
frames, timestamps and packets as when written inline.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from .encode import DerivativeWriter

_FINISH = object()
_STOP = object()


class BackgroundWriter:
    """A ``DerivativeWriter`` fed through a bounded queue; errors surface on the next call.

    ``depth`` frames may wait (one 1080p I420 frame is 3 MB). ``busy_seconds`` is the writer
    thread's time in the encoder and muxer; the main loop's own waits are timed by the caller.
    """

    def __init__(self, writer: DerivativeWriter, depth: int = 8):
        self.writer = writer
        self.busy_seconds = 0.0
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="redact-encoder", daemon=True)
        self._thread.start()

    @property
    def frames(self) -> int:
        return self.writer.frames

    def write_i420(self, buf: np.ndarray, pts: int, duration: int | None) -> None:
        """Queue a frame; ``buf`` is handed over and must not be changed afterwards."""
        self._put((self.writer.write_i420, (buf, pts, duration)))

    def write_frame(self, frame, pts: int, duration: int | None) -> None:
        """Queue a decoded frame; it is handed over and must not be changed afterwards."""
        self._put((self.writer.write_frame, (frame, pts, duration)))

    def write_audio(self, packet) -> None:
        self._put((self.writer.write_audio, (packet,)))

    def finish(self) -> None:
        """Flush the encoder and close the file; raises what the writer thread raised."""
        self._put(_FINISH)
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop without flushing (queued frames are dropped) and close the container."""
        while True:  # only this thread puts, so once drained _STOP is the next item taken
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put_nowait(_STOP)
        self._thread.join()  # ends after the call in progress, if any
        self.writer.abort()

    def _put(self, item) -> None:
        while True:
            self._raise()
            if not self._thread.is_alive():
                raise RuntimeError("the encoder thread has stopped")
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                start = time.perf_counter()
                if item is _FINISH:
                    self.writer.finish()
                    self.busy_seconds += time.perf_counter() - start
                    return
                call, args = item
                call(*args)
                self.busy_seconds += time.perf_counter() - start
        except BaseException as error:  # handed to the main loop, which raises it
            self._error = error
