"""A large face one model alone found needs CenterFace's word on a crop: a large lone box on a real
face stays (and says CenterFace agreed), one on a wall goes; small boxes, boxes both models found
and CenterFace's own are left as they are; a sideways face is asked turned."""

from __future__ import annotations

import numpy as np
import pytest
from clips import sample_frames, sample_truth

from redact.detect.agreement import DROPPED, LargeFaceAgreement, needs_agreement
from redact.detect.base import DetectorInfo
from redact.detect.centerface import CenterFaceDetector
from redact.detect.confirmed import CropConfirmer
from redact.detect.factory import face_detector
from redact.detect.turned import TurnedDetector
from redact.detections import Detections
from redact.geometry import rotate_boxes
from redact.options import DetectOptions, RedactOptions, as_recorded

RETINA = ("retinaface-mnet025",)
WALL = [560, 40, 620, 110]  # as large as a face of the sample, on a wall


class Finds:
    """A detector that finds what it is told to."""

    def __init__(self, found: Detections):
        self.found, self.info = found, DetectorInfo("told", "face", "", "", {})

    def detect(self, rgb):
        return self.found


def detections(boxes, models) -> Detections:
    boxes = np.array(boxes, np.float32)
    return Detections(
        boxes, np.full(len(boxes), 0.6, np.float32), np.array(["face"] * len(boxes)), np.array(models, object)
    )


@pytest.fixture(scope="module")
def confirmer():
    return CropConfirmer(CenterFaceDetector(threads=1))


def test_which_boxes_are_asked_about():
    found = detections(
        [[0, 0, 100, 100]] * 4 + [[0, 0, 20, 20]] + [[0, 0, 100, 100]] * 2,
        [
            "retinaface-mnet025",  # large, one model: asked
            "retinaface-mnet025+retinaface-mnet025@90",  # one model on two copies: asked
            "centerface@270+retinaface-mnet025",  # two models agree: not asked
            "centerface",  # the confirming model's own: not asked
            "retinaface-mnet025",  # small: not asked
            "centerface@crop+yunet-n",  # already agreed on a crop: not asked
            "yunet-n",  # YuNet, where a cascade asked about it already: not asked again
        ],
    )
    asked = needs_agreement(found, 1000, 500, 0.1, ("retinaface-mnet025",))
    assert asked.tolist() == [True, True, False, False, False, False, False]
    assert needs_agreement(found, 1000, 500, 0.1, ("retinaface-mnet025", "yunet-n"))[-1]  # YuNet on its own


def test_a_large_lone_box_stays_on_a_face_and_goes_on_a_wall(confirmer):
    frame = sample_frames(1)[0]
    faces = np.array(sample_truth()["frames"][0]["faces"], np.float32)
    boxes = [faces[0], WALL, faces[1], WALL, [20, 500, 36, 516]]
    models = [
        "retinaface-mnet025",
        "retinaface-mnet025",
        "centerface",
        "centerface+retinaface-mnet025",
        "retinaface-mnet025",
    ]
    checked = LargeFaceAgreement(Finds(detections(boxes, models)), confirmer, RETINA, min_share=0.05, threshold=0.3)
    found = checked.detect(frame)
    assert found.models.tolist() == [
        "centerface@crop+retinaface-mnet025",  # CenterFace agreed on the crop, and the log says so
        "centerface",  # CenterFace's own: never asked
        "centerface+retinaface-mnet025",  # both models on the picture: never asked
        "retinaface-mnet025",  # small: kept as it is (a missed small face is a leak)
    ]
    np.testing.assert_array_equal(found.boxes, np.array([faces[0], faces[1], WALL, [20, 500, 36, 516]], np.float32))
    assert checked.info.settings["large_faces_agreed"]["min_share"] == 0.05
    assert checked.dropped == {DROPPED: 1}  # the log counts what was not masked, and why
    assert checked.info.model_file.split(",")[-1] == "centerface.onnx"  # CenterFace decided: the log says so


def test_a_sideways_face_is_asked_turned(confirmer):
    frame = sample_frames(1)[0]
    height, width = frame.shape[:2]
    face = np.array(sample_truth()["frames"][0]["faces"][1], np.float32)
    # the camera on its side: the face is upright in np.rot90(picture, 1)
    picture = np.ascontiguousarray(np.rot90(frame, 3))
    box = rotate_boxes(face[None], 3, width, height)
    upright, sideways = confirmer.scores(picture, box, turns=np.array([1])), confirmer.scores(picture, box)
    assert upright[0] > 0.5 and upright[0] > sideways[0] + 0.2  # asked as it is, CenterFace barely sees it
    for found_as in ("retinaface-mnet025@90", "retinaface-mnet025"):  # on the turned copy, or as it is
        turned = LargeFaceAgreement(Finds(detections(box, [found_as])), confirmer, RETINA, 0.05, 0.3)
        assert turned.detect(picture).models.tolist() == [f"centerface@crop@90+{found_as}"]


def test_the_check_follows_the_passes_and_the_options_build_it():
    options = DetectOptions(small_faces=False)
    detector = face_detector(options, threads=1)
    assert isinstance(detector, LargeFaceAgreement) and isinstance(detector.detector, TurnedDetector)
    assert detector.on_frame(0) is detector  # turned copies due: the whole detector
    plain = detector.on_frame(1)  # not due: the check around the upright detector alone
    assert plain is not detector and plain.inner is detector.detector.detector
    assert detector.info.settings["large_faces_agreed"]["threshold"] == 0.3
    # CenterFace alone finds no lone box for itself to check; the check can be turned off
    assert not isinstance(face_detector(DetectOptions(face_models=("centerface",)), threads=1), LargeFaceAgreement)
    assert not isinstance(face_detector(DetectOptions(large_face_share=0), threads=1), LargeFaceAgreement)
    with pytest.raises(ValueError, match="large face share"):
        DetectOptions(large_face_share=1.5)
    with pytest.raises(ValueError, match="large face threshold"):
        DetectOptions(large_face_threshold=0)
    # an analysis made before the check existed was made without it; one where it cannot run (CenterFace
    # alone, plates only) is recorded as without it, so that it still counts as made with today's settings
    assert as_recorded("detect", {})["large_face_share"] == 0.0
    for alone in (DetectOptions(face_models=("centerface",)), DetectOptions(kinds=("plate",))):
        assert RedactOptions(detect=alone).as_log()["detect"]["large_face_share"] == 0.0
    assert RedactOptions().as_log()["detect"]["large_face_share"] == 0.2
    # the cascade has asked about YuNet's candidates already: only RetinaFace's are asked about
    bulk = DetectOptions(face_models=("yunet",), confirm_with="centerface", periodic_model="retinaface")
    assert bulk.asked_about_large_faces == ("retinaface",)
    assert DetectOptions(face_models=("yunet",)).asked_about_large_faces == ("yunet",)


def test_a_render_of_an_older_analysis_logs_the_settings_that_analysis_had():
    from types import SimpleNamespace

    from redact.pipeline.publish import logged_parameters

    today = RedactOptions().as_log()
    detect = {k: v for k, v in today["detect"].items() if not k.startswith("large_face")}  # made before the check
    older = SimpleNamespace(parameters={"detect": detect, "track": today["track"]})
    logged = logged_parameters(RedactOptions(), older)  # render takes today's defaults for what is missing
    assert logged["detect"]["large_face_share"] == 0.0  # the log says the check did not run
    made_now = SimpleNamespace(parameters={"detect": today["detect"], "track": today["track"]})
    assert logged_parameters(RedactOptions(), made_now)["detect"]["large_face_share"] == 0.2
