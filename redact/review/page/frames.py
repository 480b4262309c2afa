"""Any frame of a clip, by its index in the analysis, decoded on request.

The page never relies on the browser's H.264 decoder: the server decodes the frame a clerk
asks for, exactly as the render will, and sends it as a JPEG. Frames are found by their
timestamp (the analysis lists every frame's), after a seek to the keyframe before it; a
request for a frame a little ahead of the last one decodes on from there, so playing and
stepping forward cost one frame each.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ...errors import BadInputError
from ...geometry import quarter_turns
from ...i18n import N_
from ...media.decode import VideoInfo, frame_to_i420, i420_to_rgb, open_input

NO_FRAME = N_("no frame {index} (the clip has {frames})")  # the page answers 404 for "no frame"

AHEAD = 90  # frames: decoding on from the last frame beats a seek up to about a GOP ahead


class FrameSource:
    """Decoded frames of one original; safe to call from the server's threads (one at a time)."""

    def __init__(self, original: Path, info: VideoInfo, stamps: list[tuple[int, int]]):
        self.original, self.info, self.stamps = original, info, stamps
        self.pts = [pts for pts, _ in stamps]
        self.container = open_input(original)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.lock = threading.Lock()
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._last = -1  # index of the frame the decoder stopped after

    def i420(self, index: int) -> np.ndarray:
        """Frame ``index`` as a writable I420 buffer of the padded size (what the render masks)."""
        with self.lock:
            return frame_to_i420(self._frame(index))

    def _frame(self, index: int) -> av.VideoFrame:
        if not 0 <= index < len(self.pts):
            raise BadInputError(NO_FRAME, self.original, index=index, frames=len(self.pts))
        if self._decoded is not None and self._last < index <= self._last + AHEAD:
            frame = self._decode_to(index)
            if frame is not None:
                return frame
        # A seek lands on a keyframe at or before the time asked for, but not always: MPEG-TS
        # seeks by byte and may land after a frame that an open GOP's leading frames need, and
        # the decoder drops what it cannot decode. So seek back further until the frame
        # decodes, and in the end decode from the start.
        base = self.stream.time_base or Fraction(1, 90000)
        step = max(1, round(1 / base))  # one second in stream ticks
        for back in (0, step, 4 * step, 16 * step, None):
            try:
                if back is None:
                    self.container.seek(0, backward=True, any_frame=False)  # the file's start
                else:
                    self.container.seek(self.pts[index] - back, stream=self.stream, backward=True, any_frame=False)
            except av.FFmpegError:
                continue
            self._decoded = self.container.decode(self.stream)
            frame = self._decode_to(index)
            if frame is not None:
                return frame
        raise BadInputError(
            N_("frame {index} (pts {pts}) does not decode at the time the analysis has"),
            self.original,
            index=index,
            pts=self.pts[index],
        )

    def _decode_to(self, index: int) -> av.VideoFrame | None:
        """Decode on to frame ``index``; None when it went past it or the stream ended first."""
        target = self.pts[index]
        try:
            for frame in self._decoded:
                if frame.pts is None or frame.pts < target:
                    continue
                if frame.pts == target:
                    self._last = index
                    return frame
                break  # past it: it was dropped, or the seek landed after it
        except av.FFmpegError:
            pass  # a damaged packet: seek again rather than give up on the clip
        self._decoded, self._last = None, -1
        return None

    def close(self) -> None:
        self.container.close()


def shown_rgb(buf: np.ndarray, info: VideoInfo) -> np.ndarray:
    """An I420 buffer as a player shows it: RGB, padding cut off, turned by the display matrix."""
    rgb = i420_to_rgb(buf)[: info.height, : info.width]
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns(info.rotation)))


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()
