"""A detector also run on copies of the picture turned a quarter turn each way, for faces the
model cannot see upright: a person on the ground during an arrest, a camera knocked sideways.
The face models are trained on upright faces and find few turned ones (measured in
``benchmarks/RESULTS.md``)."""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from .base import Detector, DetectorInfo, merged
from .upright import detect_upright


class TurnedDetector:
    """``detector`` on the picture and on ``np.rot90(picture, k)`` for each ``k`` of ``turns``;
    boxes mapped back and merged by NMS per kind (``base.merged``)."""

    def __init__(self, detector: Detector, turns: tuple[int, ...] = (1, 3), nms_iou: float = 0.4):
        self.detector, self.turns, self.nms_iou = detector, tuple(turns), nms_iou
        info = detector.info
        settings = {**info.settings, "quarter_turns": [0, *self.turns]}
        self.info = DetectorInfo(info.name, info.kind, info.model_file, info.model_sha256, settings)

    def detect(self, rgb: np.ndarray) -> Detections:
        parts = [detect_upright([self.detector], rgb, k) for k in (0, *self.turns)]
        turned = [part.tagged(f"@{90 * k}") for part, k in zip(parts[1:], self.turns, strict=True)]
        return merged([parts[0], *turned], self.nms_iou)
