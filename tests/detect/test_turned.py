"""Faces in a picture turned a quarter (a person on the ground, a camera knocked sideways)
are found by running the model on copies turned back, and mapped onto the picture as it is."""

from __future__ import annotations

import numpy as np
from clips import sample_frames, sample_truth

from redact.boxes import iou
from redact.detect.centerface import CenterFaceDetector
from redact.detect.turned import TurnedDetector
from redact.geometry import rotate_boxes


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
