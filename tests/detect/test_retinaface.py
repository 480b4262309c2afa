"""The second face model: its anchors are the network's, it finds the sample's faces where
the truth has them, and an ensemble with CenterFace gives one region per face."""

from __future__ import annotations

import numpy as np
from clips import sample_frames, sample_truth

from redact.boxes import iou
from redact.detect.centerface import CenterFaceDetector
from redact.detect.ensemble import EnsembleDetector
from redact.detect.retinaface import RetinaFaceDetector, anchors


def test_the_anchors_line_up_with_the_networks_outputs():
    detector = RetinaFaceDetector(threads=1)
    blob = np.zeros((1, 3, 352, 640), np.float32)
    loc, conf, landmarks = detector.session.run(None, {detector.input_name: blob})
    assert (
        loc.shape[1]
        == conf.shape[1]
        == landmarks.shape[1]
        == len(anchors(640, 352))
        == 2 * (80 * 44 + 40 * 22 + 20 * 11)
    )


def test_it_finds_the_sample_faces_where_the_truth_has_them():
    detector = RetinaFaceDetector(threshold=0.5, threads=1)
    truth = sample_truth()["frames"]
    frames = sample_frames(61)
    for index in (0, 30, 60):
        found = detector.detect(frames[index])
        assert found.kinds.tolist() == ["face", "face"]
        for box in np.array(truth[index]["faces"], np.float32):
            assert iou(box[None], found.boxes).max() > 0.7, index


def test_an_ensemble_gives_one_region_per_face_and_names_both_models():
    ensemble = EnsembleDetector([CenterFaceDetector(threads=1), RetinaFaceDetector(threads=1)])
    found = ensemble.detect(sample_frames(1)[0])
    assert len(found) == 2
    assert ensemble.info.name == "centerface+retinaface-mnet025"
    assert "retinaface_mnet025.onnx" in ensemble.info.model_file
