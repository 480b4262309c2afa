"""Every region names the models that found it: detections carry model names through merging,
turned copies and field pairs, tracks count them, and the analysis and log record them."""

from __future__ import annotations

import json
from pathlib import Path

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
    plate = Detections.of_kind("plate", [[0, 0, 10, 10]], [0.8], "ppocrv4-det")
    found = merged([face, plate], nms_iou=0.4)
    assert sorted(found.models) == ["centerface", "ppocrv4-det"]
    assert list(found[found.kinds == "plate"].models) == ["ppocrv4-det"]
    assert list(Detections.concat([face, plate]).models) == ["centerface", "ppocrv4-det"]


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
    both = DetectOptions(face_models=("centerface", "retinaface"), turned_faces=False, small_faces=False)
    detector = face_detector(both, threads=1)
    assert isinstance(detector.detector, EnsembleDetector)  # inside the large-face check
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
    command += ["--face-models", "centerface,retinaface", "--upright-faces", "--no-small-faces"]
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


def test_the_groups_of_suppressed_boxes_are_what_greedy_nms_removed():
    from redact.boxes import iou, nms, suppressed_by

    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        xy = rng.uniform(0, 60, (n, 2))
        boxes = np.hstack([xy, xy + rng.uniform(5, 30, (n, 2))]).astype(np.float32)
        scores = rng.choice([0.3, 0.5, 0.9], n)  # ties too
        keep = nms(boxes, scores, 0.4)
        groups = suppressed_by(boxes, keep, 0.4)
        everything = np.sort(np.concatenate(groups))
        assert everything.tolist() == list(range(n))  # every box in exactly one group
        for kept, group in zip(keep, groups, strict=True):
            assert kept in group
            others = group[group != kept]
            assert (iou(boxes[kept : kept + 1], boxes[others])[0] >= 0.4).all()


def test_a_long_track_handed_over_in_parts_keeps_its_full_counts_in_the_log():
    from redact.evidence.redaction_log import RegionLog

    tracker = Tracker()
    for index in range(700):
        model = "centerface+retinaface-mnet025" if index % 2 else "centerface"
        tracker.update(index, np.array([[10, 10, 50, 50]], np.float32), np.array([0.9]), np.array(["face"]), [model])
    spool = RegionLog(decimals=1)
    spool.add_parts(tracker.settle(698))
    spool.add_tracks(tracker.tracks)
    (pieces,) = list(spool.track_lines())
    track = json.loads(b"".join(pieces))
    assert track["detections"] == 700 and len(track["boxes"]) == 700
    assert track["models"] == {"centerface": 700, "retinaface-mnet025": 350}
    spool.close()


def test_plate_tracks_name_the_text_detector_and_turned_faces_their_turn(tmp_path):
    import os
    import subprocess
    import sys

    import cv2
    from clips import write_clip

    from redact.detect.turned import TurnedDetector

    sample = Path(__file__).resolve().parents[2] / "samples" / "plate_rear.png"
    rgb = cv2.cvtColor(cv2.imread(str(sample)), cv2.COLOR_BGR2RGB)
    clip = write_clip(tmp_path / "rear.mp4", [rgb] * 3)
    command = [sys.executable, "-m", "redact", "analyze", "-q", "--workers", "1", "--kinds", "plate"]
    command += ["--detect-every", "1", "--plate-every", "1", str(clip)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    tracks = json.loads((tmp_path / "rear.mp4.analysis.json").read_text())["tracks"]
    assert len(tracks) >= 2 and all(t["models"] == {"ppocrv4-det": 3} for t in tracks)  # through a worker

    from clips import sample_frames

    frame = np.ascontiguousarray(np.rot90(sample_frames(1)[0]))  # the sample's faces, turned a quarter
    turned = face_detector(DetectOptions(turned_faces=True, small_faces=False), threads=1)
    assert isinstance(turned.detector, TurnedDetector)  # inside the large-face check
    assert any("@" in m for m in turned.detect(frame).models)  # found on a turned copy, and said so
