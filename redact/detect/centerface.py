"""CenterFace face detector (MIT) on onnxruntime, run at one or more image scales.

CenterFace predicts a face-centre heatmap at 1/4 resolution plus box size and offset maps.
Small faces (< ~20 px) fall below what the heatmap resolves at 1x, so an extra pass on the
image upscaled 2x finds them; boxes from all passes are merged by non-maximum suppression.
"""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from ..models import CENTERFACE
from .base import network_input
from .face_model import FaceModel


def decode(outputs: list[np.ndarray], threshold: float, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn the network's heatmap/scale/offset maps into xyxy boxes and scores."""
    heatmap, scale, offset = outputs[0][0, 0], outputs[1][0], outputs[2][0]
    ys, xs = np.nonzero(heatmap > threshold)
    if ys.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    box_h = np.exp(scale[0, ys, xs]) * 4
    box_w = np.exp(scale[1, ys, xs]) * 4
    cx = (xs + offset[1, ys, xs] + 0.5) * 4
    cy = (ys + offset[0, ys, xs] + 0.5) * 4
    x0 = np.clip(cx - box_w / 2, 0, width)
    y0 = np.clip(cy - box_h / 2, 0, height)
    x1 = np.clip(x0 + box_w, 0, width)
    y1 = np.clip(y0 + box_h, 0, height)
    return np.stack([x0, y0, x1, y1], axis=1).astype(np.float32), heatmap[ys, xs].astype(np.float32)


class CenterFaceDetector(FaceModel):
    """Faces in an RGB image. ``scales`` are resize factors applied before the network."""

    MODEL = CENTERFACE

    def _run(self, rgb: np.ndarray, factor: float) -> Detections:
        resized, back = network_input(rgb, factor, self.max_side)
        new_h, new_w = resized.shape[:2]
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        outputs = self.session.run(None, {self.input_name: blob})
        boxes, scores = decode(outputs, self.threshold, new_w, new_h)
        return Detections.of_kind("face", boxes * back, scores, self.info.name)
