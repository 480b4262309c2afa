"""The encoder thread: frames and timestamps pass through, its errors reach the caller, abort never hangs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from clips import pattern, video_facts, video_info

from redact.errors import EncodeError
from redact.media.background_writer import BackgroundWriter
from redact.media.decode import VideoInfo
from redact.media.encode import DerivativeWriter
from redact.options import EncodeOptions

W, H = 320, 240


def info() -> VideoInfo:
    return video_info(W, H)


def i420(i: int) -> np.ndarray:
    import cv2

    return cv2.cvtColor(pattern(i, W, H), cv2.COLOR_RGB2YUV_I420)


def writer(path, depth: int = 8) -> BackgroundWriter:
    return BackgroundWriter(DerivativeWriter(path, info(), [], EncodeOptions(preset="ultrafast", crf=30)), depth)


def test_frames_and_variable_timestamps_pass_through(tmp_path):
    out = tmp_path / "o.mp4"
    w = writer(out, depth=2)
    pts = [0, 3000, 9000, 12000, 21000, 24000, 27000, 36000]  # uneven gaps: VFR
    for i, (a, b) in enumerate(zip(pts, [*pts[1:], 39000], strict=True)):
        w.write_i420(i420(i), a, b - a)
    w.finish()
    facts = video_facts(out)
    assert w.frames == len(pts) == facts["frames"]
    assert facts["pts_s"] == pytest.approx([p / 90000 for p in pts])
    assert w.busy_seconds > 0


def test_an_error_on_the_encoder_thread_is_raised_in_the_caller(tmp_path):
    w = writer(tmp_path / "o.mp4")
    w.write_i420(i420(0), 0, 3000)
    w.write_i420(np.zeros((9, 10), np.uint8), 3000, 3000)  # I420 of 10x6, not of 320x240
    with pytest.raises(EncodeError, match="not I420 at 320x240"):
        for i in range(2, 50):  # raised by a later call, at the latest by finish()
            w.write_i420(i420(i), 3000 * i, 3000)
        w.finish()
    w.abort()
    assert not w._thread.is_alive()


def test_abort_with_a_full_queue_and_a_busy_encoder_returns(tmp_path, monkeypatch):
    started = threading.Event()
    real = DerivativeWriter.write_i420

    def slow(self, *args):
        started.set()
        time.sleep(0.3)
        return real(self, *args)

    monkeypatch.setattr(DerivativeWriter, "write_i420", slow)
    w = writer(tmp_path / "o.mp4", depth=2)
    for i in range(3):  # one being encoded, two waiting: the queue is full
        w.write_i420(i420(i), 3000 * i, 3000)
    assert started.wait(5)
    begin = time.perf_counter()
    w.abort()
    assert time.perf_counter() - begin < 5
    assert not w._thread.is_alive() and w.frames < 3
