"""YuNet-n face detector (Apache-2.0) on onnxruntime: the cheap proposer.

A 76k-parameter anchor-free detector (libfacedetection): three feature levels (strides 8, 16,
32), one prediction per cell with a class score, an objectness score, a box and five landmarks.
About a fifth of CenterFace's CPU per 1080p frame for CenterFace's recall at threshold 0.2 (at
0.3; ``models/yunet_n.md``), with more false regions and other misses: a model to propose
candidates everywhere and often, and to confirm with another on crops (``detect.confirmed``).
It wants **BGR** input, 0-255, no normalisation (CenterFace wants RGB).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..detections import Detections
from ..models import YUNET
from .base import network_input
from .face_model import FaceModel

STRIDES = (8, 16, 32)
# at most this many candidates a picture go on to non-maximum suppression, the best first (OpenCV's
# FaceDetectorYN keeps as many): on sensor noise YuNet scores 19,176 cells of a 1080p frame 0.1 or
# more (measured), which suppression would take 18 s over; the most in a WIDER crowd photo enlarged
# to 1080p was 1,430 cells (210 faces after suppression)
TOP_K = 5000


def decode(outputs: dict[str, np.ndarray], threshold: float, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """xyxy boxes and scores from one image's outputs (batch index 0 taken), for a network input
    ``width`` x ``height``: score = sqrt(cls * obj), centre = (cell + offset) * stride, size =
    exp(log size) * stride (the decoding of OpenCV's ``FaceDetectorYN``)."""
    boxes, scores = [], []
    for stride in STRIDES:
        cols = width // stride
        cls = np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
        obj = np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.flatnonzero(score > threshold)
        if keep.size == 0:
            continue
        reg = outputs[f"bbox_{stride}"][0, keep]
        row, col = np.divmod(keep, cols)
        cx, cy = (col + reg[:, 0]) * stride, (row + reg[:, 1]) * stride
        w, h = np.exp(reg[:, 2]) * stride, np.exp(reg[:, 3]) * stride
        boxes.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
        scores.append(score[keep])
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    found = np.clip(np.concatenate(boxes), 0, [width, height, width, height]).astype(np.float32)
    scores = np.concatenate(scores).astype(np.float32)
    if len(scores) > TOP_K:
        best = np.argpartition(-scores, TOP_K)[:TOP_K]
        found, scores = found[best], scores[best]
    return found, scores


class YuNetDetector(FaceModel):
    """Faces in an RGB image (turned to BGR for the network). ``scales`` are resize factors."""

    MODEL = YUNET

    @cached_property
    def output_names(self) -> list[str]:
        """The network's outputs by name (``cls_8``, ``bbox_8``, ...), read once."""
        return [o.name for o in self.session.get_outputs()]

    def _run(self, rgb: np.ndarray, factor: float) -> Detections:
        resized, back = network_input(rgb, factor, self.max_side)
        new_h, new_w = resized.shape[:2]
        blob = np.ascontiguousarray(resized[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
        outputs = dict(zip(self.output_names, self.session.run(None, {self.input_name: blob}), strict=True))
        boxes, scores = decode(outputs, self.threshold, new_w, new_h)
        return Detections.of_kind("face", boxes * back, scores, self.info.name)
