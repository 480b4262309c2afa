"""CenterFace face detector (MIT) on onnxruntime, run at one or more image scales.

CenterFace predicts a face-centre heatmap at 1/4 resolution plus box size and offset maps.
Small faces (< ~20 px) fall below what the heatmap resolves at 1x, so an extra pass on the
image upscaled 2x finds them; boxes from all passes are merged by non-maximum suppression.
"""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from ..models import CENTERFACE, locate
from .base import DetectorInfo, merged, network_input
from .runtime import make_session


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


class CenterFaceDetector:
    """Faces in an RGB image. ``scales`` are resize factors applied before the network."""

    def __init__(
        self,
        threshold: float = 0.3,
        scales: tuple[float, ...] = (1.0,),
        nms_iou: float = 0.3,
        max_side: int | None = None,
        threads: int | None = None,
        session=None,
    ):
        self.threshold = threshold
        self.scales = tuple(scales)
        self.nms_iou = nms_iou
        self.max_side = max_side  # longest side fed to the network (None: native size)
        # ``session``: another CenterFaceDetector's, so that two passes over one frame (native and
        # enlarged) load the model and its weights once
        self.session = session or make_session(str(locate(CENTERFACE)), threads)
        self.input_name = self.session.get_inputs()[0].name
        self.info = DetectorInfo(
            name="centerface",
            kind="face",
            model_file=CENTERFACE.filename,
            model_sha256=CENTERFACE.sha256,
            settings={
                "threshold": threshold,
                "scales": list(self.scales),
                "nms_iou": nms_iou,
                "max_side": max_side,
            },
            providers=tuple(self.session.get_providers()),
        )

    def _run(self, rgb: np.ndarray, factor: float) -> Detections:
        resized, back = network_input(rgb, factor, self.max_side)
        new_h, new_w = resized.shape[:2]
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        outputs = self.session.run(None, {self.input_name: blob})
        boxes, scores = decode(outputs, self.threshold, new_w, new_h)
        return Detections.of_kind("face", boxes * back, scores, self.info.name)

    def detect(self, rgb: np.ndarray) -> Detections:
        return merged([self._run(rgb, f) for f in self.scales], self.nms_iou)
