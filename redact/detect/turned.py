"""A detector also run on copies of the picture turned a quarter turn each way, for faces the
model cannot see upright: a person on the ground during an arrest, a camera knocked sideways.
The face models are trained on upright faces and find few turned ones (measured in
``benchmarks/RESULTS.md``)."""

from __future__ import annotations

import numpy as np

from ..boxes import nms
from ..detections import Detections
from ..geometry import unrotate_boxes
from .base import Detector, DetectorInfo


class TurnedDetector:
    """``detector`` on the picture and on ``np.rot90(picture, k)`` for each ``k`` of ``turns``;
    boxes mapped back and merged by NMS per kind."""

    def __init__(self, detector: Detector, turns: tuple[int, ...] = (1, 3), nms_iou: float = 0.4):
        self.detector, self.turns, self.nms_iou = detector, tuple(turns), nms_iou
        info = detector.info
        settings = {**info.settings, "quarter_turns": [0, *self.turns]}
        self.info = DetectorInfo(info.name, info.kind, info.model_file, info.model_sha256, settings)

    def detect(self, rgb: np.ndarray) -> Detections:
        height, width = rgb.shape[:2]
        parts = [self.detector.detect(rgb)]
        for k in self.turns:
            found = self.detector.detect(np.ascontiguousarray(np.rot90(rgb, k)))
            parts.append(Detections(unrotate_boxes(found.boxes, k, width, height), found.scores, found.kinds))
        merged = Detections.concat(parts)
        if len(merged) < 2:
            return merged
        keep = nms(merged.boxes, merged.scores, self.nms_iou)
        return Detections(merged.boxes[keep], merged.scores[keep], merged.kinds[keep])
