"""Which face models run is a detection setting: checked, built by the factory, recorded, and
an older log without the setting still counts as made with the default."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from redact.detect.agreement import LargeFaceAgreement
from redact.detect.centerface import CenterFaceDetector
from redact.detect.ensemble import EnsembleDetector
from redact.detect.factory import face_detector
from redact.detect.turned import TurnedDetector
from redact.detect.zoomed import ZoomedDetector
from redact.options import DetectOptions, as_recorded, json_values


def test_face_models_are_checked():
    for wrong in ((), ("yolo",), ("centerface", "centerface")):
        with pytest.raises(ValueError, match="face models are one or more of"):
            DetectOptions(face_models=wrong)


def test_the_factory_builds_what_the_options_name():
    plain = {"turned_faces": False, "small_faces": False}
    one = face_detector(DetectOptions(face_models=("centerface",), **plain), threads=1)
    assert isinstance(one, CenterFaceDetector)
    both = face_detector(DetectOptions(**plain), threads=1)  # both by default, a large lone box checked
    assert isinstance(both, LargeFaceAgreement) and isinstance(both.detector, EnsembleDetector)
    assert len(both.detector.members) == 2
    turned = face_detector(DetectOptions(face_models=("centerface",), turned_faces=True, small_faces=False), threads=1)
    assert isinstance(turned, TurnedDetector) and isinstance(turned.detector, CenterFaceDetector)
    # the large-face check, around small faces, around turned copies, around both models
    default = face_detector(DetectOptions(), threads=1).detector
    assert isinstance(default, ZoomedDetector) and isinstance(default.zoom, CenterFaceDetector)
    assert isinstance(default.detector, TurnedDetector) and isinstance(default.detector.detector, EnsembleDetector)


def test_a_log_from_before_the_setting_counts_as_made_with_its_default():
    now = json_values(asdict(DetectOptions()))
    older = {k: v for k, v in now.items() if k not in ("face_models", "retinaface_threshold", "turned_faces", "every")}
    # before these settings existed, one model looked at every frame, upright only: not today's default
    recorded = as_recorded("detect", older)
    assert recorded == {**now, "face_models": ["centerface"], "turned_faces": False, "every": 1}
    other = json_values(asdict(DetectOptions(face_models=("retinaface",))))
    assert as_recorded("detect", older) != other


def test_a_station_preset_can_name_the_face_models(tmp_path):
    from redact.presets import options_from_preset

    preset = tmp_path / "station.toml"
    preset.write_text('[detect]\nface_models = ["centerface", "retinaface"]\nturned_faces = true\n')
    detect = options_from_preset(str(preset)).detect
    assert detect.face_models == ("centerface", "retinaface") and detect.turned_faces


def test_the_command_line_names_the_face_models_and_refuses_unknown_ones(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from clips import sample_frames, write_clip

    clip = write_clip(tmp_path / "two.mp4", sample_frames(3, size=(320, 180)))

    def redact(*args):
        command = [sys.executable, "-m", "redact", "analyze", "-q", "--workers", "0", *args, str(clip)]
        return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())

    wrong = redact("--face-models", "yolo")
    assert wrong.returncode == 2 and "face models are one or more of" in wrong.stderr
    assert redact("--kinds", "face", "--face-models", "centerface,retinaface").returncode == 0
    analysis = json.loads((tmp_path / "two.mp4.analysis.json").read_text())
    assert analysis["parameters"]["detect"]["face_models"] == ["centerface", "retinaface"]
    assert [d["name"] for d in analysis["detectors"]] == ["centerface+retinaface-mnet025"]
