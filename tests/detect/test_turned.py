"""Faces in a picture turned a quarter (a person on the ground, a camera knocked sideways)
are found by running the model on copies turned back, and mapped onto the picture as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from clips import decoded_rgb, sample_frames, sample_truth, video_info, write_clip

from redact.boxes import iou
from redact.detect.centerface import CenterFaceDetector
from redact.detect.turned import TurnedDetector
from redact.geometry import rotate_boxes
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import derivative_path, log_path


def test_faces_turned_a_quarter_are_found_where_they_are():
    upright = sample_frames(1)[0]
    height, width = upright.shape[:2]
    sideways = np.ascontiguousarray(np.rot90(upright, 1))
    truth = rotate_boxes(np.array(sample_truth()["frames"][0]["faces"], np.float32), 1, width, height)
    detector = TurnedDetector(CenterFaceDetector(threads=1))
    found = detector.detect(sideways)
    for box in truth:
        assert iou(box[None], found.boxes).max() > 0.6
    assert detector.info.settings["quarter_turns"] == [0, 1, 3]
    upright_found = TurnedDetector(CenterFaceDetector(threads=1)).detect(upright)
    assert len(upright_found) == 2  # an upright face found upright and turned is one region


def test_turned_copies_made_from_a_shrunk_picture_report_boxes_in_the_full_picture():
    """A person lying near the camera is a large face: the copies may be made small (cheaper),
    and the boxes still land on the faces in the frame's own pixels."""
    upright = sample_frames(1)[0]
    height, width = upright.shape[:2]
    sideways = np.ascontiguousarray(np.rot90(upright, 1))  # 720 wide, 1280 high
    truth = rotate_boxes(np.array(sample_truth()["frames"][0]["faces"], np.float32), 1, width, height)
    model = CenterFaceDetector(threads=1)
    shrunk = TurnedDetector(model, max_side=640)
    found = shrunk.detect(sideways)
    assert any("@" in names for names in found.models)  # found on the (shrunk) turned copy
    for box in truth:
        assert iou(box[None], found.boxes).max() > 0.6
    assert shrunk.info.settings["turned_max_side"] == 640
    native = TurnedDetector(model).detect(sideways)
    larger = TurnedDetector(model, max_side=4000).detect(sideways)  # never enlarged: as native
    np.testing.assert_array_equal(larger.boxes, native.boxes)
    assert "turned_max_side" not in TurnedDetector(model).info.settings


def test_turned_copies_on_every_nth_frame_only_and_the_upright_model_on_the_rest():
    detector = TurnedDetector(CenterFaceDetector(threads=1), every=4)
    assert [detector.on_frame(i) is detector for i in range(9)] == [i % 4 == 0 for i in range(9)]
    assert detector.on_frame(5) is detector.detector
    assert detector.info.settings["turned_every_frames"] == 4
    with pytest.raises(ValueError, match="N >= 1"):
        TurnedDetector(CenterFaceDetector(threads=1), every=0)


def test_the_turned_stride_counts_detected_frames_and_must_stay_within_what_tracking_bridges():
    from redact.detect.factory import face_detector

    options = DetectOptions(every=2, turned_faces=True, turned_every=3, small_faces=False)
    detector = face_detector(options, threads=1).detector  # inside the large-face check
    assert detector.every == 6  # every 3rd detected frame, detected frames every 2nd
    with pytest.raises(ValueError, match="turned copies every 8 detected frames"):
        RedactOptions(detect=DetectOptions(every=2, turned_faces=True, turned_every=8))
    RedactOptions(detect=DetectOptions(every=2, turned_faces=False, turned_every=8))  # no turned copies: no gap
    with pytest.raises(ValueError, match="N >= 1"):
        DetectOptions(turned_every=0)


def test_a_person_on_the_ground_is_masked_on_every_frame_with_turned_copies_every_4th(tmp_path):
    """Through the command line and a worker process: the frame's number reaches the detector,
    the turned copies run on frames 0, 4 and 8 only, and tracking masks the frames between."""
    upright = sample_frames(9, size=(640, 360))
    truth = np.array([f["faces"] for f in sample_truth()["frames"][:9]], np.float32) / 2
    ground = [np.ascontiguousarray(np.rot90(f, 1)) for f in upright]  # content turned; no display matrix
    clip = write_clip(tmp_path / "ground.mp4", ground, time_base=Fraction(1, 30))
    command = [sys.executable, "-m", "redact", "run", "-q", "--workers", "1", "--kinds", "face"]
    command += ["--detect-every", "1", "--turned-faces", "--turned-every", "4", str(clip)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    log = json.loads(log_path(clip).read_text())
    assert log["parameters"]["detect"]["turned_every"] == 4
    assert log["detectors"][0]["settings"]["turned_every_frames"] == 4
    turned = [n for t in log["tracks"] for model, n in t["models"].items() if "@" in model]
    assert turned and max(turned) <= 3  # each track seen turned on frames 0, 4 and 8 at most
    for i, (src, out) in enumerate(zip(decoded_rgb(clip), decoded_rgb(derivative_path(clip)), strict=True)):
        for box in rotate_boxes(truth[i], 1, 640, 360):
            x0, y0, x1, y1 = np.round(box).astype(int)
            assert np.abs(src[y0:y1, x0:x1].astype(float) - out[y0:y1, x0:x1]).mean() > 8, f"frame {i}"


def test_a_kept_face_takes_its_turned_twin_with_it_and_nothing_else():
    """A turned copy frames an upright face differently: a second track over the same face. Kept
    visible with the face the clerk keeps, or that face would stay masked by its twin; a turned
    track elsewhere, and an upright track over the face (someone else), stay masked."""
    from redact.pipeline.frame_masks import FrameMasks, twin_tracks
    from redact.review.decisions import Decisions, KeptTrack
    from redact.track import Region

    def frame(i):
        regions = [Region(1, "face", (70 + i, 48, 94 + i, 76), 0.9, "detected")]  # the subject
        twin_reason = "detected" if i in (0, 4) else "coasted"
        regions.append(Region(3, "face", (62 + 2 * i, 36, 87 + 2 * i, 66), 0.3, twin_reason))  # drifts off as it coasts
        regions.append(Region(4, "face", (449, 197, 482, 227), 0.2, "detected"))  # turned, elsewhere
        regions.append(Region(2, "face", (80 + i, 60, 110 + i, 90), 0.8, "detected"))  # upright, overlapping
        return i, regions

    frames = [frame(i) for i in range(8)]
    twins = twin_tracks(frames, {1}, frozenset({3, 4}))
    assert twins == {3: 1}
    assert twin_tracks(frames, set(), frozenset({3, 4})) == {}  # nothing kept: nothing to take along
    info = video_info(640, 360, time_base=Fraction(1, 25), rate=Fraction(25), frames=8, duration_s=0.32)
    decisions = Decisions(keep=(KeptTrack(1, "subject"),))
    plan = FrameMasks(info, RedactOptions(), decisions, twins).plan(frames[7][1], 7, 1)
    assert sorted(r.track for r in plan.regions) == [2, 4] and plan.twins == {3: 1} and plan.kept == [1]


def test_a_kept_plate_never_takes_a_face_with_it():
    """The twin rule is "the same face seen turned": a turned-only face over a plate (a false face
    on a number plate, or a driver behind it) is not that plate's twin, and stays masked when the
    plate is kept."""
    from redact.pipeline.frame_masks import FrameMasks, twin_tracks
    from redact.review.decisions import Decisions, KeptTrack
    from redact.track import Region

    frames = [
        (
            i,
            [
                Region(1, "plate", (100, 200, 180, 230), 0.9, "detected"),
                Region(3, "face", (110, 195, 150, 232), 0.4, "detected"),
            ],
        )
        for i in range(6)
    ]
    assert twin_tracks(frames, {1}, frozenset({3})) == {}
    info = video_info(640, 360, time_base=Fraction(1, 25), rate=Fraction(25), frames=6, duration_s=0.24)
    plan = FrameMasks(info, RedactOptions(), Decisions(keep=(KeptTrack(1, "the car in question"),)), {}).plan(
        frames[2][1], 2, 1
    )
    assert [r.track for r in plan.regions] == [3] and plan.kept == [1]
