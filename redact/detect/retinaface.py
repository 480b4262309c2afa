"""RetinaFace-MobileNet0.25 face detector (MIT) on onnxruntime.

A single-stage anchor detector: three feature levels (strides 8, 16, 32) with two anchor
sizes each (16/32, 64/128, 256/512 px), a face score, a box offset and five landmarks per
anchor. About a quarter of CenterFace's arithmetic per pixel, and another architecture: it
misses other faces than CenterFace does, which is what an ensemble needs.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..detections import Detections
from ..models import RETINAFACE
from .base import network_input
from .face_model import FaceModel

LEVELS = ((8, (16, 32)), (16, (64, 128)), (32, (256, 512)))
VARIANCE = (0.1, 0.2)
MEAN_BGR = np.array([104, 117, 123], np.float32)  # the training's per-channel mean (BGR)


@cache
def anchors(width: int, height: int) -> np.ndarray:
    """(cx, cy, w, h) of every anchor, in pixels, in the network's output order."""
    rows = []
    for stride, sizes in LEVELS:
        nx, ny = -(-width // stride), -(-height // stride)
        xs, ys = np.meshgrid(np.arange(nx), np.arange(ny))
        centres = (np.stack([xs.ravel(), ys.ravel()], 1) + 0.5) * stride
        for_cell = np.repeat(centres, len(sizes), axis=0)
        wh = np.tile(np.array([[s, s] for s in sizes], np.float32), (nx * ny, 1))
        rows.append(np.concatenate([for_cell, wh], 1))
    return np.concatenate(rows).astype(np.float32)


def decode(loc: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The network's box offsets against their anchors, as xyxy pixels."""
    centre = prior[:, :2] + loc[:, :2] * VARIANCE[0] * prior[:, 2:]
    size = prior[:, 2:] * np.exp(loc[:, 2:] * VARIANCE[1])
    return np.concatenate([centre - size / 2, centre + size / 2], 1)


class RetinaFaceDetector(FaceModel):
    """Faces in an RGB image. ``scales`` are resize factors applied before the network."""

    MODEL = RETINAFACE
    THRESHOLD = 0.5
    NMS_IOU = 0.4

    def _run(self, rgb: np.ndarray, factor: float) -> Detections:
        h, w = rgb.shape[:2]
        resized, back = network_input(rgb, factor, self.max_side)
        new_h, new_w = resized.shape[:2]
        blob = (resized[..., ::-1].astype(np.float32) - MEAN_BGR).transpose(2, 0, 1)[None]
        loc, conf, _ = self.session.run(None, {self.input_name: np.ascontiguousarray(blob)})
        scores = conf[0, :, 1]
        keep = scores > self.threshold
        boxes = decode(loc[0][keep], anchors(new_w, new_h)[keep]) * back
        return Detections.of_kind("face", np.clip(boxes, 0, [w, h, w, h]), scores[keep], self.info.name)
