"""The learned plate filter: it sees each line with its surroundings, keeps plates, leaves the
text of a street (a protest banner, a uniform's marking) unmasked, and is a recorded setting
that an older log, made without it, is not mistaken for."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from redact.detect.factory import build_detectors
from redact.detect.plate_filter import HEIGHT, SUGGESTED_THRESHOLD, WIDTH, crop, windows
from redact.detect.plates import PlateDetector
from redact.options import DetectOptions, as_recorded, json_values

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
THRESHOLD = SUGGESTED_THRESHOLD


def plate_rear() -> tuple[np.ndarray, np.ndarray]:
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "plate_rear.png")), cv2.COLOR_BGR2RGB)
    truth = json.loads((SAMPLES / "plate_rear.truth.json").read_text())["plates"]
    return rgb, np.array(truth, np.float32)


def banner() -> np.ndarray:
    """A protest banner on a grey street: three short lines of capitals on a white cloth (each
    could be a vanity plate to the reader, so only the filter can tell)."""
    picture = np.full((720, 1280, 3), 110, np.uint8)
    cv2.rectangle(picture, (300, 200), (900, 470), (245, 245, 240), -1)
    for k, line in enumerate(["JUSTICE", "NO CUTS", "MARCH NOW"]):
        cv2.putText(picture, line, (330, 280 + 80 * k), cv2.FONT_HERSHEY_DUPLEX, 1.8, (20, 20, 160), 4, cv2.LINE_AA)
    return picture


def test_the_window_adds_the_lines_surroundings_and_is_black_beyond_the_picture():
    (window,) = windows(np.array([[100, 50, 200, 70]], np.float32))
    assert window.tolist() == pytest.approx([70, 30, 230, 90])  # 0.3 of the width, a height each way
    picture = np.full((100, 300, 3), 200, np.uint8)
    patch = crop(picture, np.array([-50, 0, 50, 100], np.float32))
    assert patch.shape == (HEIGHT, WIDTH, 3)
    assert patch[:, : WIDTH // 2 - 2].max() == 0 and patch[:, WIDTH // 2 + 2 :].min() == 200


def test_the_shipped_filter_keeps_the_plates_and_drops_a_banner():
    detector = PlateDetector(filter_threshold=THRESHOLD, threads=1)
    rgb, truth = plate_rear()
    found = detector.detect(rgb)
    regions = DetectOptions().regions(found.boxes, found.kinds, rgb.shape[1], rgb.shape[0])
    for x0, y0, x1, y1 in truth:  # every plate inside a masked region
        assert any(r[0] <= x0 and r[1] <= y0 and r[2] >= x1 and r[3] >= y1 for r in regions)
    unfiltered = PlateDetector(threads=1).detect(banner())
    assert len(unfiltered) >= 2  # without the filter the banner's lines are masked as plates
    assert len(detector.detect(banner())) == 0
    assert detector.dropped["not plate-like to the filter"] >= len(unfiltered)


def test_the_log_names_the_filter_model_and_its_threshold():
    (plates,) = build_detectors(DetectOptions(kinds=("plate",), plate_filter=THRESHOLD), threads=1)
    assert plates.info.name == "ppocrv4-det+rec+filter"
    chosen = plates.info.settings["filter"]
    assert chosen["threshold"] == THRESHOLD and chosen["model_file"] == "plate_filter.onnx"
    assert len(chosen["model_sha256"]) == 64
    (off,) = build_detectors(DetectOptions(kinds=("plate",), every=1, plate_every=1, plate_filter=0.0), threads=1)
    assert off.info.settings["filter"] is None and off.filter is None


def test_an_analysis_from_before_the_filter_counts_as_made_without_it():
    now = json_values(asdict(DetectOptions()))
    older = {k: v for k, v in now.items() if k != "plate_filter"}
    assert as_recorded("detect", older)["plate_filter"] == 0.0
    assert as_recorded("detect", {**older, "plate_filter": 0.05})["plate_filter"] == 0.05


def test_a_threshold_outside_zero_to_one_is_refused():
    for wrong in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match="plate filter threshold"):
            DetectOptions(plate_filter=wrong)


def test_the_command_line_turns_the_filter_on_and_refuses_a_wrong_threshold(tmp_path):
    import os
    import subprocess
    import sys

    from clips import sample_frames, write_clip

    clip = write_clip(tmp_path / "street.mp4", sample_frames(2, size=(320, 180)))

    def redact(*args):
        command = [sys.executable, "-m", "redact", "analyze", "-q", "--workers", "0", "--kinds", "plate", *args]
        return subprocess.run([*command, str(clip)], capture_output=True, text=True, env=os.environ.copy())

    wrong = redact("--plate-filter", "2")
    assert wrong.returncode == 2 and "plate filter threshold" in wrong.stderr
    done = redact("--plate-filter", "0.1")
    assert done.returncode == 0, done.stderr
    analysis = json.loads((tmp_path / "street.mp4.analysis.json").read_text())
    assert analysis["parameters"]["detect"]["plate_filter"] == 0.1
    assert [d["name"] for d in analysis["detectors"]] == ["ppocrv4-det+rec+filter"]
