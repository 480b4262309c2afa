"""Plates looked for on every N-th detected frame only: the text detector runs on those frames,
tracking masks the plates on the frames between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import decoded_rgb, write_clip

from redact.detect.factory import build_detectors
from redact.detect.stride import EveryNthFrame
from redact.detections import Detections
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import derivative_path, log_path

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "plate_rear.png"


class Counting:
    """A detector that counts its calls and finds one box, with a plate detector's ``dropped``."""

    def __init__(self):
        from redact.detect.base import DetectorInfo

        self.info = DetectorInfo("counting", "plate", "none", "0" * 64, {"box_threshold": 0.5})
        self.calls = 0
        self.dropped = {"a burned-in clock": 3}

    def detect(self, rgb):
        self.calls += 1
        return Detections.of_kind("plate", np.array([[1, 1, 9, 5]]), np.array([0.9]), "counting")


def test_the_detector_runs_on_every_nth_frame_only_and_nothing_is_found_on_the_others():
    from redact.detect.upright import detect_frame

    inner = Counting()
    strided = EveryNthFrame(inner, 3)
    frame = np.zeros((24 * 3 // 2, 32), np.uint8)  # an I420 buffer of a 32x24 frame
    found = [len(detect_frame([strided], frame, 0, index=i)) for i in range(7)]
    assert found == [1, 0, 0, 1, 0, 0, 1] and inner.calls == 3
    assert len(strided.detect(np.zeros((24, 32, 3), np.uint8))) == 1  # a still image is a first frame
    assert strided.info.settings == {"box_threshold": 0.5, "every_frames": 3}  # the log says so
    assert strided.dropped == {"a burned-in clock": 3}  # the log still counts what the reader dropped
    with pytest.raises(ValueError, match="N >= 1"):
        EveryNthFrame(inner, 0)


def test_the_plate_stride_counts_detected_frames_and_must_stay_within_what_tracking_bridges():
    _, plates = build_detectors(DetectOptions(every=2, plate_every=3, turned_faces=False), threads=1)
    assert isinstance(plates, EveryNthFrame) and plates.every == 6
    every_frame = DetectOptions(kinds=("plate",), every=1, plate_every=1)
    assert not isinstance(build_detectors(every_frame, threads=1)[0], EveryNthFrame)
    with pytest.raises(ValueError, match="plates every 8 detected frames"):
        RedactOptions(detect=DetectOptions(every=2, plate_every=8))
    RedactOptions(detect=DetectOptions(kinds=("face",), every=2, plate_every=8))  # no plates: no gap
    with pytest.raises(ValueError, match="N >= 1"):
        DetectOptions(plate_every=0)


def test_plates_looked_for_on_every_2nd_frame_are_masked_on_every_frame(tmp_path):
    """Through the command line and a worker: a car's plates pass the camera; the text detector
    runs on frames 0, 2, 4, 6 and 8, and both plates are masked on all nine frames."""
    picture = cv2.cvtColor(cv2.imread(str(SAMPLE)), cv2.COLOR_BGR2RGB)
    plates = np.array(json.loads(SAMPLE.with_name("plate_rear.truth.json").read_text())["plates"], np.float32)
    shifts = [(300 - 6 * i, 100 - 2 * i) for i in range(9)]  # the camera pans left and up
    frames = [np.ascontiguousarray(picture[y : y + 540, x : x + 960]) for x, y in shifts]
    clip = write_clip(tmp_path / "street.mp4", frames, time_base=Fraction(1, 30))
    command = [sys.executable, "-m", "redact", "run", "-q", "--workers", "1", "--kinds", "plate"]
    command += ["--detect-every", "1", "--plate-every", "2", str(clip)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    log = json.loads(log_path(clip).read_text())
    assert log["parameters"]["detect"]["plate_every"] == 2
    assert log["detectors"][0]["settings"]["every_frames"] == 2
    plate_tracks = [t for t in log["tracks"] if t["kind"] == "plate"]
    assert plate_tracks and all(sum(t["models"].values()) <= 5 for t in plate_tracks)  # 5 frames looked at
    for i, (src, out) in enumerate(zip(decoded_rgb(clip), decoded_rgb(derivative_path(clip)), strict=True)):
        x, y = shifts[i]
        for x0, y0, x1, y1 in np.round(plates - [x, y, x, y]).astype(int):
            assert np.abs(src[y0:y1, x0:x1].astype(float) - out[y0:y1, x0:x1]).mean() > 8, f"frame {i}"
