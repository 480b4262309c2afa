"""Several face detectors on one image, their boxes merged: faces one model misses, another
may find (CenterFace and RetinaFace are different architectures and miss different faces)."""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from .base import Detector, DetectorInfo, joined_providers, merged


class EnsembleDetector:
    """Every member on the image; overlapping boxes of one kind merged by NMS (the highest
    score kept), so a face both find is one region."""

    def __init__(self, members: list[Detector], nms_iou: float = 0.4):
        self.members, self.nms_iou = members, nms_iou
        first = members[0].info
        self.info = DetectorInfo(
            name="+".join(m.info.name for m in members),
            kind=first.kind,
            model_file=",".join(m.info.model_file for m in members),
            model_sha256=",".join(m.info.model_sha256 for m in members),
            settings={"members": [m.info.settings for m in members], "nms_iou": nms_iou},
            providers=joined_providers([m.info for m in members]),
        )

    def detect(self, rgb: np.ndarray) -> Detections:
        return merged([m.detect(rgb) for m in self.members], self.nms_iou)
