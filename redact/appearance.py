"""How a tracked thing looks, cheaply: a colour histogram of its box and a little around it.

Used only to tell whether a track that starts after another ended can be the same face or
plate found again (``subjects.continues``): a pedestrian lost behind a passer-by comes back
with the same hair and collar, a different person rarely with the same colours. It is no face
recognition and no identity: 44 numbers per track end (luma in 8 bins, chroma in 6x6), kept in
the analysis only (the redaction log handed over leaves them out) and compared within one clip.

Pure: I420 planes and boxes in, numbers out.
"""

from __future__ import annotations

import numpy as np

Y_BINS, UV_BINS = 8, 6
SIZE = Y_BINS + UV_BINS * UV_BINS
CONTEXT = 0.25  # the box grown by this share a side: hair, ears, collar


def looks(planes: tuple[np.ndarray, np.ndarray, np.ndarray], boxes: np.ndarray) -> np.ndarray:
    """One histogram per box (xyxy in pixels of the Y plane), each summing to 1; zeros for a box
    with no pixel in the picture."""
    y, u, v = planes
    height, width = y.shape
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    out = np.zeros((len(boxes), SIZE), np.float32)
    for n, (x0, y0, x1, y1) in enumerate(boxes):
        gx, gy = (x1 - x0) * CONTEXT, (y1 - y0) * CONTEXT
        left, top = int(max(0, x0 - gx)) // 2 * 2, int(max(0, y0 - gy)) // 2 * 2
        right, bottom = int(min(width, x1 + gx)), int(min(height, y1 + gy))
        if right - left < 2 or bottom - top < 2:
            continue
        luma = y[top:bottom, left:right].reshape(-1).astype(np.int32)
        cu = u[top // 2 : bottom // 2, left // 2 : right // 2].reshape(-1).astype(np.int32)
        cv = v[top // 2 : bottom // 2, left // 2 : right // 2].reshape(-1).astype(np.int32)
        out[n, :Y_BINS] = np.bincount((luma * Y_BINS) >> 8, minlength=Y_BINS) / (2 * luma.size)
        if cu.size:
            joint = ((cu * UV_BINS) >> 8) * UV_BINS + ((cv * UV_BINS) >> 8)
            out[n, Y_BINS:] = np.bincount(joint, minlength=UV_BINS * UV_BINS) / (2 * cu.size)
    return out


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    """Bhattacharyya coefficient of two looks: 1 for the same colours, 0 for none in common;
    None when either is unknown (an analysis made before looks were kept)."""
    if a is None or b is None:
        return None
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    return float(np.sqrt(a / a.sum() * (b / b.sum())).sum())
