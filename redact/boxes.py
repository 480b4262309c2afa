"""Pure box geometry: IoU, non-maximum suppression, enlarging boxes into mask regions."""

from __future__ import annotations

import numpy as np


def area(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas, shape (len(a), len(b))."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = intersection(a, b)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-np.asarray(scores))
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    keep: list[int] = []
    while order.size:
        best = order[0]
        keep.append(int(best))
        if order.size == 1:
            break
        overlaps = iou(boxes[best : best + 1], boxes[order[1:]])[0]
        order = order[1:][overlaps < iou_threshold]
    return np.asarray(keep, np.int64)


def suppressed_by(boxes: np.ndarray, keep: np.ndarray, iou_threshold: float) -> list[np.ndarray]:
    """For each kept box (in ``nms``'s order), the boxes it suppressed, itself included: the
    first kept box that overlaps a box by ``iou_threshold`` claims it, as greedy NMS does."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if not len(keep):
        return []
    overlaps = iou(boxes[keep], boxes) >= iou_threshold
    claimed = np.zeros(len(boxes), bool)
    out = []
    for row, index in enumerate(keep):
        mine = overlaps[row] & ~claimed
        mine[index] = True
        claimed |= mine
        out.append(np.flatnonzero(mine))
    return out


def expand(boxes: np.ndarray, margin: float, width: int, height: int) -> np.ndarray:
    """Grow each box by ``margin`` of its own width/height on every side, clipped to the frame.

    A margin of 0.3 turns a 100 px face box into a 160 px region: detectors' boxes are
    tight around eyes-nose-mouth, while hair, ears and chin still identify a person.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    grown = boxes + np.stack([-w, -h, w, h], axis=1) * margin
    grown[:, [0, 2]] = np.clip(grown[:, [0, 2]], 0, width)
    grown[:, [1, 3]] = np.clip(grown[:, [1, 3]], 0, height)
    return grown


def expand_by_height(
    boxes: np.ndarray, factor: float, width: int, height: int, at_most: float | None = None
) -> np.ndarray:
    """Grow each box by ``factor`` times its own height on every side, but by no more than
    ``at_most`` pixels (if given), clipped to the frame.

    For text lines (plates): the detector's box hugs the characters, while the plate around
    them (frame, state name, stickers) extends by about a character height. A line of text a
    third of the picture high grown by its own height covers the whole picture, and no plate
    needs that: the margin is bounded.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    h = (boxes[:, 3] - boxes[:, 1])[:, None] * factor
    if at_most is not None:
        h = np.minimum(h, at_most)
    grown = boxes + np.concatenate([-h, -h, h, h], axis=1)
    grown[:, [0, 2]] = np.clip(grown[:, [0, 2]], 0, width)
    grown[:, [1, 3]] = np.clip(grown[:, [1, 3]], 0, height)
    return grown
