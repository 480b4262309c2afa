"""A learned plate / not-plate filter on the text detector's lines.

The text detector finds every line of scene text; most of it (banners, placards, shop signs,
T-shirts) is evidence, not a plate. A small CNN (``models/plate_filter.onnx``, trained by
``models/train_plate_filter.py`` on ``../shared/train/plates``) looks at each plate-shaped line
with some of its surroundings (a plate's border and bumper, a banner's other lines) and gives
the probability that it is a plate. Lines below the threshold are not masked.

The window is cut the same way at training and at run time: this module is the one place
that does it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..models import PLATE_FILTER, locate
from .runtime import make_session

HEIGHT, WIDTH = 32, 96  # the network's input, 3:1 like most plates with their surroundings
CONTEXT_Y = 1.0  # the window adds this many line heights above and below the line
CONTEXT_X = 0.3  # and this share of the line's width on each side
# Chosen by 5-fold cross-validation on the training photos (models/plate_filter.md): keeps
# 0.976 of held-out plate lines. Not on by default: measured on ../shared/data it halves the
# false plate regions but loses a plate in 165 (benchmarks/RESULTS.md).
SUGGESTED_THRESHOLD = 0.1


def windows(boxes: np.ndarray) -> np.ndarray:
    """The part of the picture the filter sees for each line box (xyxy, float)."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    grow = np.stack([-CONTEXT_X * w, -CONTEXT_Y * h, CONTEXT_X * w, CONTEXT_Y * h], axis=1)
    return boxes + grow


def crop(rgb: np.ndarray, window: np.ndarray) -> np.ndarray:
    """A window of ``rgb`` resampled (bilinear) to HEIGHT x WIDTH; parts outside the picture
    are black (an affine warp, so a window at the edge keeps its geometry). The model was
    trained on exactly these crops."""
    x0, y0, x1, y1 = (float(v) for v in window)
    sx = WIDTH / max(x1 - x0, 1.0)
    sy = HEIGHT / max(y1 - y0, 1.0)
    matrix = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float32)
    return cv2.warpAffine(
        rgb,
        matrix,
        (WIDTH, HEIGHT),
        flags=cv2.INTER_LINEAR,  # warpAffine has no area filter: INTER_AREA would be linear too
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )


def network_batch(crops: list[np.ndarray]) -> np.ndarray:
    """HEIGHT x WIDTH RGB crops as the network's float input (N, 3, H, W) in [-1, 1]."""
    if not crops:
        return np.zeros((0, 3, HEIGHT, WIDTH), np.float32)
    stack = np.stack(crops).astype(np.float32)
    return np.ascontiguousarray((stack / 127.5 - 1.0).transpose(0, 3, 1, 2))


class PlateFilter:
    """Probability that each text line is a licence plate."""

    def __init__(self, threshold: float, threads: int | None = None):
        self.threshold = threshold
        self.session = make_session(str(locate(PLATE_FILTER)), threads)
        self.input_name = self.session.get_inputs()[0].name

    def probabilities(self, rgb: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        crops = [crop(rgb, w) for w in windows(boxes)]
        if not crops:
            return np.zeros(0, np.float32)
        logits = self.session.run(None, {self.input_name: network_batch(crops)})[0].reshape(-1)
        return (1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))).astype(np.float32)

    def keep(self, rgb: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """True for the lines that may be plates."""
        return self.probabilities(rgb, boxes) >= self.threshold
