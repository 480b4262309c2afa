"""The cheap proposer and its confirmation on crops: YuNet finds the sample's faces where the
truth has them; CenterFace on a crop confirms a real face and not a patch of wall; a weak
candidate needs the crop, a sure one stays either way with one model named."""

from __future__ import annotations

import numpy as np
import pytest
from clips import sample_frames, sample_truth

from redact.boxes import iou
from redact.detect.centerface import CenterFaceDetector
from redact.detect.confirmed import ConfirmedDetector, CropConfirmer, crop_windows, expected_boxes
from redact.detect.factory import face_detector
from redact.detect.yunet import STRIDES, YuNetDetector, decode
from redact.detections import Detections
from redact.options import DetectOptions


def test_yunet_decodes_a_cell_as_opencv_does():
    width, height = 64, 32
    outputs = {}
    for stride in STRIDES:
        cells = (width // stride) * (height // stride)
        outputs[f"cls_{stride}"] = np.zeros((1, cells, 1), np.float32)
        outputs[f"obj_{stride}"] = np.zeros((1, cells, 1), np.float32)
        outputs[f"bbox_{stride}"] = np.zeros((1, cells, 4), np.float32)
    # one face at stride 8, row 1, column 2: centre (2.5, 1.5) cells, 16 x 8 px
    index = 1 * (width // 8) + 2
    outputs["cls_8"][0, index] = 0.81
    outputs["obj_8"][0, index] = 1.0
    outputs["bbox_8"][0, index] = [0.5, 0.5, np.log(2.0), np.log(1.0)]
    boxes, scores = decode(outputs, 0.5, width, height)
    np.testing.assert_allclose(scores, [0.9], rtol=1e-6)
    np.testing.assert_allclose(boxes, [[20 - 8, 12 - 4, 20 + 8, 12 + 4]], rtol=1e-6)


@pytest.fixture(scope="module")
def yunet():
    return YuNetDetector(threshold=0.3, threads=1)


@pytest.fixture(scope="module")
def confirmer():
    return CropConfirmer(CenterFaceDetector(threads=1))


def test_yunet_finds_the_sample_faces_where_the_truth_has_them(yunet):
    truth = sample_truth()["frames"]
    frames = sample_frames(61)
    for index in (0, 30, 60):
        found = yunet.detect(frames[index])
        assert found.kinds.tolist() == ["face", "face"] and set(found.models) == {"yunet-n"}
        for box in np.array(truth[index]["faces"], np.float32):
            assert iou(box[None], found.boxes).max() > 0.7, index


def test_a_crop_maps_its_candidate_to_the_middle_at_the_asked_size():
    boxes = np.array([[100, 50, 140, 100], [0, 0, 10, 20]], np.float32)
    corners, scales = crop_windows(boxes, face_px=96, context=2.0)
    inside = expected_boxes(boxes, corners, scales)
    np.testing.assert_allclose(inside[:, 3] - inside[:, 1], [96, 96])  # the longer side is 96 px
    np.testing.assert_allclose((inside[:, :2] + inside[:, 2:]) / 2, [[96, 96], [96, 96]])  # centred


def test_the_crop_confirms_real_faces_and_not_the_wall(confirmer):
    frame = sample_frames(1)[0]
    faces = np.array(sample_truth()["frames"][0]["faces"], np.float32)
    wall = np.array([[560, 40, 620, 110], [20, 500, 80, 580]], np.float32)  # same size, no face
    crops, _ = confirmer.crops(frame, np.concatenate([faces, wall]))
    assert crops.shape == (4, confirmer.side, confirmer.side, 3)
    scores = confirmer.scores(frame, np.concatenate([faces, wall]))
    assert (scores[:2] > 0.5).all(), scores
    assert (scores[2:] < 0.1).all(), scores
    assert confirmer.scores(frame, np.zeros((0, 4), np.float32)).shape == (0,)


class Proposes:
    """A proposer that finds what it is told to."""

    def __init__(self, found: Detections, info):
        self.found, self.info = found, info

    def detect(self, rgb):
        return self.found


def test_weak_candidates_need_the_crop_and_sure_ones_stay_with_one_model(yunet, confirmer):
    frame = sample_frames(1)[0]
    faces = np.array(sample_truth()["frames"][0]["faces"], np.float32)
    wall = np.array([[560, 40, 620, 110], [20, 500, 80, 580]], np.float32)
    boxes = np.concatenate([faces, wall])
    # a weak real face, a sure real face, a weak wall patch, a sure wall patch
    proposed = Detections.of_kind("face", boxes, [0.25, 0.9, 0.25, 0.8], "yunet-n")
    cascade = ConfirmedDetector(Proposes(proposed, yunet.info), confirmer, mask_threshold=0.5, confirm_threshold=0.1)
    found = cascade.detect(frame)
    assert found.models.tolist() == ["centerface@crop+yunet-n", "centerface@crop+yunet-n", "yunet-n"]
    np.testing.assert_array_equal(found.boxes, boxes[[0, 1, 3]])  # the weak wall patch is not a face
    assert found.scores[0] > 0.5  # the crop's score where it is the surer
    assert cascade.info.name == "yunet-n>centerface"
    assert cascade.info.settings["confirmed_by"]["mask_threshold"] == 0.5


def test_the_options_build_the_cascade_and_refuse_an_unknown_confirmer():
    with pytest.raises(ValueError, match="confirm with"):
        DetectOptions(confirm_with="retinaface")
    with pytest.raises(ValueError, match="yunet threshold"):
        DetectOptions(yunet_threshold=0)
    options = DetectOptions(face_models=("yunet",), confirm_with="centerface", turned_faces=False)
    detector = face_detector(options, threads=1)  # the cascade asked about YuNet's: no large-face check
    assert isinstance(detector.detector, ConfirmedDetector)  # on the picture
    assert isinstance(detector.zoom, ConfirmedDetector)  # and on the enlarged tiles
    assert detector.info.model_file == "yunet_n.onnx,centerface.onnx"
    found = detector.detect(sample_frames(1)[0])
    for box in np.array(sample_truth()["frames"][0]["faces"], np.float32):  # each face found and confirmed
        best = iou(box[None], found.boxes)[0].argmax()
        assert iou(box[None], found.boxes)[0, best] > 0.7 and found.models[best] == "centerface@crop+yunet-n"
    alone = face_detector(DetectOptions(face_models=("yunet",), turned_faces=False, small_faces=False), threads=1)
    assert isinstance(alone.detector, YuNetDetector)  # its large lone boxes still checked by CenterFace


def test_the_device_is_chosen_from_what_onnxruntime_offers_and_recorded():
    from redact.detect.runtime import chosen_providers
    from redact.errors import ModelError

    gpu = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert chosen_providers(gpu) == gpu  # a GPU when there is one
    assert chosen_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]  # never required
    assert chosen_providers(gpu, "cpu") == ["CPUExecutionProvider"]
    with pytest.raises(ModelError, match="no CUDA provider"):
        chosen_providers(["CPUExecutionProvider"], "gpu")  # asked for and absent: said, not ignored
    with pytest.raises(ModelError, match="REDACT_DEVICE"):
        chosen_providers(gpu, "tpu")
    # what ran is what the log says (here, without a GPU: the CPU)
    options = DetectOptions(face_models=("yunet",), confirm_with="centerface", turned_faces=False)
    assert face_detector(options, threads=1).info.providers == ("CPUExecutionProvider",)


def test_a_noisy_picture_costs_a_bounded_number_of_candidates_and_crops(yunet, confirmer):
    import time

    from redact.detect import confirmed
    from redact.detect import yunet as yunet_module

    noise = np.random.default_rng(0).integers(0, 255, (544, 960, 3), dtype=np.uint8)  # grain, no face
    low = YuNetDetector(threshold=0.1, threads=1)
    start = time.perf_counter()
    found = low.detect(noise)
    assert len(found) <= yunet_module.TOP_K and time.perf_counter() - start < 10

    centerface = confirmer.confirmer

    class Counts:
        settings, confirmer, looked = {}, centerface, 0

        def scores(self, rgb, boxes, least):
            Counts.looked = len(boxes)
            return np.zeros(len(boxes), np.float32)

    many = Detections.of_kind("face", np.tile([[10, 10, 40, 40]], (500, 1)), np.linspace(0.1, 0.9, 500), "yunet-n")
    cascade = ConfirmedDetector(Proposes(many, yunet.info), Counts(), mask_threshold=0.5, confirm_threshold=0.2)
    kept = cascade.detect(noise)
    assert Counts.looked == confirmed.MAX_CROPS
    # the sure ones stay; of those never looked at, what YuNet alone would mask (its 0.3) stays too
    unchecked = np.argsort(-many.scores, kind="stable")[confirmed.MAX_CROPS :]
    expected = (many.scores >= 0.5) | np.isin(np.arange(500), unchecked) & (many.scores >= confirmed.UNCHECKED_KEEP)
    assert len(kept) == expected.sum() and kept.scores.min() >= confirmed.UNCHECKED_KEEP
