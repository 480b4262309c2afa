"""The detector contract: an RGB image in, ``Detections`` in that image's pixels out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from ..boxes import nms, suppressed_by
from ..detections import Detections, joined_models

STRIDE = 32  # the face and text networks take inputs whose sides are multiples of this


@dataclass(frozen=True)
class DetectorInfo:
    """What the redaction log records about a detector."""

    name: str
    kind: str
    model_file: str
    model_sha256: str
    settings: dict
    # the onnxruntime execution providers its models ran on, in order of use ("CUDAExecutionProvider"
    # on a GPU, "CPUExecutionProvider"): the log says what computed each region
    providers: tuple[str, ...] = ()


def joined_providers(infos: list[DetectorInfo]) -> tuple[str, ...]:
    """The execution providers of several detectors, each once, in order of first use."""
    return tuple(dict.fromkeys(p for info in infos for p in info.providers))


class Detector(Protocol):
    info: DetectorInfo

    def detect(self, rgb: np.ndarray) -> Detections:
        """Detect objects in an HxWx3 uint8 RGB image."""
        ...


def network_input(rgb: np.ndarray, factor: float, max_side: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` resized by ``factor`` (capped so its longest side is at most ``max_side``) and
    stretched to the next multiple of ``STRIDE``; and the (x, y, x, y) factors that take boxes
    found in it back to ``rgb``'s pixels. Stretched, not padded: a padded border's hard edge
    draws false detections (measured with CenterFace: 1.72 vs 1.51 false regions per image on
    WIDER val)."""
    h, w = rgb.shape[:2]
    if max_side and max(h, w) * factor > max_side:
        factor = max_side / max(h, w)
    new_w = max(STRIDE, int(np.ceil(w * factor / STRIDE)) * STRIDE)
    new_h = max(STRIDE, int(np.ceil(h * factor / STRIDE)) * STRIDE)
    interp = cv2.INTER_AREA if new_w < w else cv2.INTER_LINEAR
    resized = rgb if (new_w, new_h) == (w, h) else cv2.resize(rgb, (new_w, new_h), interpolation=interp)
    return resized, np.array([w / new_w, h / new_h, w / new_w, h / new_h], np.float32)


def merged(parts: list[Detections], nms_iou: float) -> Detections:
    """Detections of several passes (scales, models, turned copies) as one set: overlapping
    boxes of one kind suppressed, the highest score kept, and each kept box naming every
    model whose box it suppressed (a face both models found is one region found by both)."""
    found = Detections.concat(parts)
    keep, models = [], []
    for kind in dict.fromkeys(found.kinds.tolist()):  # kinds in the order first found
        mine = np.flatnonzero(found.kinds == kind)
        kept = nms(found.boxes[mine], found.scores[mine], nms_iou)  # best score first
        keep.extend(mine[kept])
        for group in suppressed_by(found.boxes[mine], kept, nms_iou):
            models.append(joined_models(found.models[mine[group]]))
    keep = np.asarray(keep, np.int64)
    return Detections(found.boxes[keep], found.scores[keep], found.kinds[keep], np.array(models, object))
