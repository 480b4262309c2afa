"""Small faces: CenterFace on the picture enlarged 2x, in overlapping tiles, on every N-th frame;
only the small faces of that pass are kept, and a face cut by a tile's edge is taken whole from
its neighbour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import cv2
import numpy as np
import pytest
from clips import sample_frames, sample_truth, write_clip

from redact.boxes import iou
from redact.detect.centerface import CenterFaceDetector
from redact.detect.factory import face_detector
from redact.detect.turned import TurnedDetector
from redact.detect.zoomed import ZoomedDetector, keep_small_whole, tiles
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import log_path


def small_face_picture(scale: float, at: tuple[int, int], size=(1280, 720)) -> tuple[np.ndarray, np.ndarray]:
    """The sample's first face shrunk by ``scale`` and pasted with its box's corner at ``at`` on
    a plain grey picture; and its box there."""
    frame = sample_frames(1)[0]
    x0, y0, x1, y1 = np.array(sample_truth()["frames"][0]["faces"][0], np.float32)
    pad = 0.6 * (x1 - x0)  # some head and background around the face
    cx0, cy0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    crop = frame[cy0 : int(y1 + pad), cx0 : int(x1 + pad)]
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    picture = np.full((size[1], size[0], 3), 128, np.uint8)
    px, py = at[0] - int((x0 - cx0) * scale), at[1] - int((y0 - cy0) * scale)
    picture[py : py + small.shape[0], px : px + small.shape[1]] = small
    box = np.array([at[0], at[1], at[0] + (x1 - x0) * scale, at[1] + (y1 - y0) * scale], np.float32)
    return picture, box


def test_tiles_cover_the_picture_overlap_and_are_each_no_larger_than_it_when_enlarged():
    for width, height in ((1920, 1080), (1280, 720), (1024, 683), (3840, 2160)):
        found = tiles(width, height, 2.0, 50)
        covered = np.zeros((height, width), bool)
        for x0, y0, x1, y1 in found:
            covered[y0:y1, x0:x1] = True
            assert 2 * (x1 - x0) <= width and 2 * (y1 - y0) <= height  # the native pass's memory suffices
        assert covered.all()
        left, right = found[0], found[1]
        assert left[2] - right[0] == 50  # neighbours share a band wider than any face kept


def test_only_small_faces_not_cut_by_an_inner_tile_edge_are_kept():
    tile = tiles(1280, 720, 2.0, 50)[0]
    assert tile == (0, 0, 451, 265)  # the top-left one
    boxes = np.array(
        [
            [100, 100, 120, 124],  # small, inside: kept
            [100, 100, 190, 200],  # large: the native pass's
            [441, 100, 461, 124],  # cut by the tile's right edge, inside the picture: dropped
            [0, 0, 20, 24],  # at the picture's own edge: kept
        ],
        np.float32,
    )
    assert keep_small_whole(boxes, tile, 1280, 720, 40).tolist() == [True, False, False, True]


def test_a_small_face_across_a_tile_edge_is_found_once_and_whole():
    picture, box = small_face_picture(0.3, (440, 300))  # across the left tiles' right edge (x 451)
    zoom = ZoomedDetector(CenterFaceDetector(threads=1), CenterFaceDetector(threads=1))
    zoomed = zoom.zoomed(picture)
    near = iou(box[None], zoomed.boxes)[0] > 0.1 if len(zoomed) else np.zeros(0, bool)
    assert near.sum() == 1, zoomed.boxes  # one box, not one piece per tile
    assert iou(box[None], zoomed.boxes[near])[0, 0] > 0.5
    assert zoomed.models[near][0] == "centerface@2x"
    found = zoom.detect(picture)
    best = iou(box[None], found.boxes)[0].argmax()
    assert iou(box[None], found.boxes)[0, best] > 0.5
    assert "centerface@2x" in found.models[best].split("+")  # the log names the enlarged pass


def test_the_enlarged_pass_runs_on_every_nth_frame_and_the_turned_copies_keep_their_own_stride():
    upright = CenterFaceDetector(threads=1)
    turned = TurnedDetector(upright, every=4)
    zoom = ZoomedDetector(turned, CenterFaceDetector(threads=1), every=2)
    assert zoom.on_frame(0) is zoom  # turned copies and the enlarged pass both due
    assert zoom.on_frame(1) is upright  # neither
    assert zoom.on_frame(3) is upright
    two = zoom.on_frame(2)  # the enlarged pass only: upright with it, no turned copies
    assert two not in (zoom, upright) and two.inner is upright and two.info is zoom.info
    assert zoom.on_frame(4) is zoom
    assert zoom.info.settings["zoomed"]["every_frames"] == 2
    assert zoom.info.settings["quarter_turns"] == [0, 1, 3]


def test_the_small_faces_stride_counts_detected_frames_and_must_stay_within_what_tracking_bridges():
    options = DetectOptions(every=2, small_faces=True, small_faces_every=3, turned_faces=False)
    detector = face_detector(options, 1).detector  # inside the large-face check
    assert isinstance(detector, ZoomedDetector) and detector.every == 6
    assert not isinstance(face_detector(DetectOptions(small_faces=False), 1).detector, ZoomedDetector)
    with pytest.raises(ValueError, match="small faces every 8 detected frames"):
        RedactOptions(detect=DetectOptions(every=2, small_faces=True, small_faces_every=8))
    RedactOptions(detect=DetectOptions(every=2, small_faces=False, small_faces_every=8))  # off: no gap
    with pytest.raises(ValueError, match="N >= 1"):
        DetectOptions(small_faces_every=0)


def test_small_faces_through_the_command_line_are_logged_as_the_enlarged_pass(tmp_path):
    """Through `redact run` and a worker process: the enlarged pass runs on frames 0 and 4 of 6,
    and the log names it (settings, and the model of the detections it made)."""
    picture, _ = small_face_picture(0.3, (300, 200), size=(640, 360))
    clip = write_clip(tmp_path / "far.mp4", [picture] * 6, time_base=Fraction(1, 30))
    command = [sys.executable, "-m", "redact", "run", "-q", "--workers", "1", "--kinds", "face"]
    command += ["--detect-every", "1", "--upright-faces", "--small-faces", "--small-faces-every", "4", str(clip)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    log = json.loads(log_path(clip).read_text())
    assert log["parameters"]["detect"]["small_faces"] is True
    assert log["detectors"][0]["settings"]["zoomed"]["every_frames"] == 4
    enlarged = [n for t in log["tracks"] for model, n in t["models"].items() if "@2x" in model]
    assert enlarged and max(enlarged) <= 2  # frames 0 and 4 only
