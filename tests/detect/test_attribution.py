"""Every region names the models that found it: detections carry model names through merging,
turned copies and field pairs, tracks count them, and the analysis and log record them."""

from __future__ import annotations

import json

import numpy as np

from redact.detect.base import merged
from redact.detect.ensemble import EnsembleDetector
from redact.detect.factory import face_detector
from redact.detect.upright import merged_fields
from redact.detections import Detections
from redact.options import DetectOptions
from redact.track import Tracker


def faces(boxes, scores, model):
    return Detections.of_kind("face", boxes, scores, model)


def test_a_box_both_models_found_names_both_and_a_lone_one_its_own():
    a = faces([[0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.5], "centerface")
    b = faces([[1, 1, 10, 10], [100, 0, 120, 20]], [0.95, 0.4], "retinaface-mnet025")
    found = merged([a, b], nms_iou=0.4)
    by_box = {tuple(box.astype(int)): model for box, model in zip(found.boxes, found.models, strict=True)}
    assert by_box == {
        (1, 1, 10, 10): "centerface+retinaface-mnet025",  # RetinaFace's box kept (higher score)
        (50, 50, 60, 60): "centerface",
        (100, 0, 120, 20): "retinaface-mnet025",
    }


def test_kinds_are_merged_apart_and_subsets_keep_their_names():
    face = faces([[0, 0, 10, 10]], [0.9], "centerface")
    plate = Detections.of_kind("plate", [[0, 0, 10, 10]], [0.8], "ppocrv4-det+rec")
    found = merged([face, plate], nms_iou=0.4)
    assert sorted(found.models) == ["centerface", "ppocrv4-det+rec"]
    assert list(found[found.kinds == "plate"].models) == ["ppocrv4-det+rec"]
    assert list(Detections.concat([face, plate]).models) == ["centerface", "ppocrv4-det+rec"]


def test_a_face_found_on_a_turned_copy_says_so():
    turned = faces([[0, 0, 10, 10]], [0.9], "centerface+retinaface-mnet025").tagged("@90")
    assert list(turned.models) == ["centerface@90+retinaface-mnet025@90"]
    upright = faces([[1, 0, 10, 10]], [0.5], "centerface")
    assert list(merged([turned, upright], 0.4).models) == ["centerface+centerface@90+retinaface-mnet025@90"]


def test_the_two_fields_of_an_interlaced_frame_join_their_models():
    both = Detections.concat([faces([[0, 0, 10, 10]], [0.9], "centerface"), faces([[0, 1, 10, 11]], [0.6], "x")])
    one = merged_fields(both)
    assert len(one) == 1 and list(one.models) == ["centerface+x"]
    assert one.boxes[0].tolist() == [0, 0, 10, 11]


def test_a_track_counts_the_detections_each_model_found():
    tracker = Tracker()
    for index, model in enumerate(["centerface", "centerface+retinaface-mnet025", "retinaface-mnet025"]):
        tracker.update(index, np.array([[10, 10, 50, 50]], np.float32), np.array([0.9]), np.array(["face"]), [model])
    (track,) = tracker.tracks
    assert track.models == {"centerface": 2, "retinaface-mnet025": 2}


def test_the_ensemble_on_real_faces_names_both_models():
    from clips import sample_frames

    frame = sample_frames(1)[0]
    detector = face_detector(DetectOptions(face_models=("centerface", "retinaface")), threads=1)
    assert isinstance(detector, EnsembleDetector)
    found = detector.detect(frame)
    assert len(found) >= 2
    assert "centerface+retinaface-mnet025" in set(found.models)  # the sample's large faces: both see them
    assert all(set(m.split("+")) <= {"centerface", "retinaface-mnet025"} for m in found.models)


def test_the_analysis_and_the_log_list_each_tracks_models(tmp_path):
    import os
    import subprocess
    import sys

    from clips import sample_frames, write_clip

    clip = write_clip(tmp_path / "two.mp4", sample_frames(4, size=(640, 360)))
    command = [sys.executable, "-m", "redact", "run", "-q", "--workers", "0", "--kinds", "face", str(clip)]
    command += ["--face-models", "centerface,retinaface"]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    analysis = json.loads((tmp_path / "two.mp4.analysis.json").read_text())
    log = json.loads((tmp_path / "two.mp4.redacted.json").read_text())
    for document in (analysis, log):
        tracks = document["tracks"]
        assert tracks and all(t["models"] for t in tracks)
        for track in tracks:
            assert set(track["models"]) <= {"centerface", "retinaface-mnet025"}
            assert max(track["models"].values()) <= track["detections"]
        assert any(len(t["models"]) == 2 for t in tracks)
