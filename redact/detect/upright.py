"""Run detectors on a frame as it is shown, report boxes in the frame as it is stored.

"As shown" means turned upright by the display rotation and, for interlaced video, one field
at a time: a face that moves between the two fields of a frame is combed into stripes, which
the face model misses far more often (measured; ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import numpy as np

from ..boxes import iou
from ..detections import Detections, joined_models
from ..geometry import quarter_turns, unrotate_boxes
from ..media.decode import i420_to_rgb
from .base import Detector


def detect_rgb(detectors: list[Detector], rgb: np.ndarray) -> Detections:
    """Every detector on one RGB image, results concatenated."""
    return Detections.concat([d.detect(rgb) for d in detectors])


def field(rgb: np.ndarray, first: bool) -> np.ndarray:
    """One field of an interlaced frame at full height: its own lines kept, each line of the
    other field replaced by the mean of its neighbours (a line-average bob)."""
    h = rgb.shape[0]
    other = np.arange(1 if first else 0, h, 2)
    up = np.where(other > 0, other - 1, other + 1)
    down = np.where(other + 1 < h, other + 1, other - 1)
    out = rgb.copy()
    out[other] = ((rgb[up].astype(np.uint16) + rgb[down]) >> 1).astype(np.uint8)
    return out


def merged_fields(found: Detections, iou_threshold: float = 0.3) -> Detections:
    """One box per object seen in both fields: the union of overlapping boxes of one kind, so
    it covers the object where each field shows it (it moved between them)."""
    boxes = found.boxes.copy()
    models = found.models.copy()
    used = np.zeros(len(found), bool)
    keep = []
    for i in np.argsort(-found.scores):
        if used[i]:
            continue
        used[i] = True
        rest = np.nonzero(~used & (found.kinds == found.kinds[i]))[0]
        if rest.size:
            same = rest[iou(boxes[i : i + 1], found.boxes[rest])[0] >= iou_threshold]
            for j in same:
                boxes[i, :2] = np.minimum(boxes[i, :2], found.boxes[j, :2])
                boxes[i, 2:] = np.maximum(boxes[i, 2:], found.boxes[j, 2:])
            used[same] = True
            models[i] = joined_models([models[i], *found.models[same]])
        keep.append(i)
    return Detections(boxes[keep], found.scores[keep], found.kinds[keep], models[keep])


def detect_upright(detectors: list[Detector], rgb: np.ndarray, k: int) -> Detections:
    """Every detector on ``np.rot90(rgb, k)``; boxes mapped back to ``rgb``'s pixels."""
    upright = np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb
    found = detect_rgb(detectors, upright)
    if k and len(found):
        height, width = rgb.shape[:2]
        found = found.with_boxes(unrotate_boxes(found.boxes, k, width, height))
    return found


def on_frame(detectors: list[Detector], index: int) -> list[Detector]:
    """The detectors as they run on frame ``index``: one that looks at some frames only (turned
    copies every N-th frame, ``TurnedDetector.on_frame``) gives what it runs on that one."""
    return [d.on_frame(index) if hasattr(d, "on_frame") else d for d in detectors]


def detect_frame(
    detectors: list[Detector], buf: np.ndarray, rotation: int, deinterlace: bool = False, index: int = 0
) -> Detections:
    """Run every detector on the upright RGB view of an I420 frame; boxes in stored pixels.

    ``rotation`` is the display matrix's counter-clockwise rotation: detectors need upright
    faces, while masks and logs use the stored frame. ``deinterlace``: the frame holds two
    fields shot 1/50 or 1/60 s apart; each is detected on its own (twice the cost) and the
    boxes of an object seen in both are joined, so the mask covers it in both. ``index``: the
    frame's number in display order, for detectors that look at some frames only.
    """
    detectors = on_frame(detectors, index)
    rgb = i420_to_rgb(buf)
    k = quarter_turns(rotation)
    if not deinterlace:
        return detect_upright(detectors, rgb, k)
    both = Detections.concat([detect_upright(detectors, field(rgb, first), k) for first in (True, False)])
    return merged_fields(both)
