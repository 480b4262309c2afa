"""Map boxes between a stored frame and its displayed (rotated) orientation.

Detectors need upright faces, so frames with a rotation in their display matrix are turned
with ``np.rot90(image, k)`` before detection and the boxes are mapped back to the stored
frame, which is what the masker and the log use.
"""

from __future__ import annotations

import numpy as np


def quarter_turns(rotation_ccw: int) -> int:
    """np.rot90's ``k`` for a display-matrix rotation (counter-clockwise degrees)."""
    return round(rotation_ccw / 90) % 4


def unrotate_boxes(boxes: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Boxes found in ``np.rot90(stored, k)`` mapped to the stored frame (``width`` x ``height``)."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    x0, y0, x1, y1 = b.T
    if k == 0:
        return b.copy()
    if k == 1:
        out = [width - y1, x0, width - y0, x1]
    elif k == 2:
        out = [width - x1, height - y1, width - x0, height - y0]
    else:
        out = [y0, height - x1, y1, height - x0]
    return np.stack(out, axis=1).astype(np.float32)


def rotate_boxes(boxes: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Boxes of the stored frame (``width`` x ``height``) mapped into ``np.rot90(stored, k)``:
    where a player (and the review page) shows them. The inverse of ``unrotate_boxes``."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    x0, y0, x1, y1 = b.T
    if k == 0:
        return b.copy()
    if k == 1:
        out = [y0, width - x1, y1, width - x0]
    elif k == 2:
        out = [width - x1, height - y1, width - x0, height - y0]
    else:
        out = [height - y1, x0, height - y0, x1]
    return np.stack(out, axis=1).astype(np.float32)
