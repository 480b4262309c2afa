"""Frames in display order with the timestamps and durations the derivative gets.

Both passes over a clip, analysis and render, decode it and must see exactly the same frames
at the same times: this is the one place that decides them. Frames pass two short queues:
the reorder window (timestamps some containers attach out of order) and one frame held until
the next one's timestamp is known (exact durations, VFR included; the last frame ends where
the container's video ends). A stream that changes size mid-way is scaled to its first size.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from ..media.decode import DecodeReport, VideoInfo
from ..media.timestamps import ReorderWindow, output_pts


class Timer:
    """Accumulates wall time per pipeline stage."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - start)

    def add(self, stage: str, seconds: float) -> None:
        self.totals[stage] = self.totals.get(stage, 0.0) + seconds


class Timeline:
    """Turns decoded frames into ``(index, frame, pts, duration)`` in display order."""

    def __init__(self, info: VideoInfo, report: DecodeReport):
        self.info, self.report = info, report
        self.step = max(1, round(1 / ((info.rate or 30) * info.time_base)))
        self.window: ReorderWindow = ReorderWindow()
        self.pending = None  # (frame, pts) waiting for the next frame's pts
        self.last_in: int | None = None
        self.index = 0
        self.retimed = 0
        self.rescaled = 0  # frames of another size than the stream's first, scaled to it

    def push(self, frame) -> Iterator[tuple[int, object, int, int]]:
        stamp = frame.pts if frame.pts is not None else frame.dts
        if stamp is None:
            stamp = self.last_in + self.step if self.last_in is not None else 0
        self.last_in = stamp
        for f, t in self.window.push(frame, stamp):
            yield from self._timed(f, t)

    def flush(self) -> Iterator[tuple[int, object, int, int]]:
        for f, t in self.window.flush():
            yield from self._timed(f, t)
        if self.pending is not None:
            frame, pts = self.pending
            end = self.report.video_end
            self.pending = None
            yield self._out(frame, pts, end - pts if end is not None and end > pts else (frame.duration or self.step))

    def _timed(self, frame, stamp: int) -> Iterator[tuple[int, object, int, int]]:
        last = self.pending[1] if self.pending is not None else None
        pts = output_pts(stamp, last, self.step)
        self.retimed += pts != stamp
        if self.pending is not None:
            yield self._out(*self.pending, pts - last)
        self.pending = (frame, pts)

    def _out(self, frame, pts: int, duration: int) -> tuple[int, object, int, int]:
        if (frame.width, frame.height) != (self.info.width, self.info.height):
            # the stream changed size mid-way (spliced recordings): one size out, as ffmpeg does
            frame = frame.reformat(width=self.info.width, height=self.info.height)
            self.rescaled += 1
        index = self.index
        self.index += 1
        return index, frame, pts, duration
