"""Run detectors on a frame as it is shown, report boxes in the frame as it is stored."""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from ..geometry import quarter_turns, unrotate_boxes
from ..media import i420_to_rgb
from .base import Detector


def detect_rgb(detectors: list[Detector], rgb: np.ndarray) -> Detections:
    """Every detector on one RGB image, results concatenated."""
    return Detections.concat([d.detect(rgb) for d in detectors])


def detect_frame(detectors: list[Detector], buf: np.ndarray, rotation: int) -> Detections:
    """Run every detector on the upright RGB view of an I420 frame; boxes in stored pixels.

    ``rotation`` is the display matrix's counter-clockwise rotation: detectors need upright
    faces, while masks and logs use the stored frame.
    """
    rgb = i420_to_rgb(buf)
    k = quarter_turns(rotation)
    upright = np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb
    found = detect_rgb(detectors, upright)
    if k and len(found):
        height, width = rgb.shape[:2]
        found = Detections(unrotate_boxes(found.boxes, k, width, height), found.scores, found.kinds)
    return found
