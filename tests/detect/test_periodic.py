"""A second model on the whole picture every N-th frame beside the YuNet cascade: it runs where due,
and only there, inside the turned copies and the enlarged pass, and the log says so."""

from __future__ import annotations

import pytest

from redact.detect.confirmed import ConfirmedDetector
from redact.detect.factory import face_detector
from redact.detect.periodic import PeriodicDetector
from redact.detect.retinaface import RetinaFaceDetector
from redact.detect.turned import TurnedDetector
from redact.detect.upright import on_frame
from redact.options import DetectOptions, RedactOptions


class Counting:
    """A model that counts the pictures it is shown and finds nothing."""

    def __init__(self, name):
        from redact.detect.base import DetectorInfo

        self.calls = 0
        self.info = DetectorInfo(name, "face", f"{name}.onnx", "0" * 64, {}, ("CPUExecutionProvider",))

    def detect(self, rgb):
        from redact.detections import Detections

        self.calls += 1
        return Detections.empty()


def test_the_whole_picture_model_runs_on_every_nth_frame_only():
    import numpy as np

    cheap, whole = Counting("cheap"), Counting("whole")
    periodic = PeriodicDetector(cheap, whole, every=4)
    frame = np.zeros((64, 64, 3), np.uint8)
    for index in range(12):
        on_frame([periodic], index)[0].detect(frame)
    assert (cheap.calls, whole.calls) == (12, 3)  # frames 0, 4 and 8
    # a model with passes of its own (turned copies every 8th frame) runs them where they are due
    turned = TurnedDetector(whole, every=8)
    periodic = PeriodicDetector(cheap, turned, every=4)
    shown = [on_frame([periodic], index)[0] for index in range(12)]
    assert [getattr(s, "extra", None) for s in shown[::4]] == [turned, whole, turned]
    assert periodic.info.settings["also"]["every_frames"] == 4
    assert periodic.info.name == "cheap+whole" and periodic.info.providers == ("CPUExecutionProvider",)


def test_the_options_put_it_beside_the_cascade_and_bound_its_stride():
    cascade = {"face_models": ("yunet",), "confirm_with": "centerface", "small_faces": False}
    options = DetectOptions(**cascade, periodic_model="retinaface", periodic_every=3)
    detector = face_detector(options, threads=1).detector  # inside the large-face check
    assert isinstance(detector, PeriodicDetector) and detector.every == options.every * 3
    # it looks at turned copies too, made from a shrunk picture (the faces it is there for are large)
    assert isinstance(detector.extra, TurnedDetector) and isinstance(detector.extra.detector, RetinaFaceDetector)
    assert detector.extra.max_side == options.periodic_turned_size == 960
    assert detector.extra.every == options.every * options.turned_every  # with the cascade's turned copies
    assert isinstance(detector.detector.detector, ConfirmedDetector)  # inside: turned copies of the cascade
    options = DetectOptions(**cascade, periodic_model="centerface", turned_faces=False)
    centerface = face_detector(options, threads=1)  # nothing for the large-face check to ask about
    assert centerface.extra.session is centerface.detector.confirmer.confirmer.session  # loaded once
    # not with that model among the face models (it runs on every detected frame there), nor when off
    assert not DetectOptions(face_models=("yunet", "retinaface"), periodic_model="retinaface").periodic
    assert not DetectOptions(face_models=("yunet",)).periodic
    with pytest.raises(ValueError, match="periodic model every"):
        DetectOptions(periodic_every=0)
    with pytest.raises(ValueError, match="periodic model is"):
        DetectOptions(periodic_model="yunet")
    # a stride tracking cannot bridge is refused, as for the other passes
    with pytest.raises(ValueError, match="the periodic model every"):
        RedactOptions(detect=DetectOptions(face_models=("yunet",), periodic_model="retinaface", periodic_every=8))
