"""Small faces: a face model on the picture enlarged 2x, in tiles, on every N-th frame.

Faces under ~20 px are what every face model here misses most (benchmarks/RESULTS.md: CenterFace
finds 0.90 of 10-20 px faces at native size, 0.96 on the picture enlarged 2x). Enlarging the
whole frame would make the network's input 4x larger, and its memory with it, so the enlarged
picture is cut into tiles, each no larger than the frame: about the same compute, the memory of
one frame. Only small faces are kept from this pass (large ones are the native pass's, and a large
face cut by a tile's edge would come back in pieces); tiles overlap by more than the largest face
kept, so every small face lies whole in at least one tile, and a box cut by an inner tile edge is
dropped for the whole one its neighbour sees.

Like turned copies, the pass may run on every N-th frame only: a small face is a far one, it
moves little across the picture, and tracking carries it between the frames it was found on.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from ..detections import Detections
from .base import Detector, joined_providers, merged
from .periodic import PeriodicDetector


def tiles_per_side(side: int, factor: float, overlap: int) -> int:
    """How many tiles cut one side so that each, enlarged ``factor`` times, is no longer than the
    side itself: the network's buffers for a tile then fit in those the native pass already holds
    (larger tiles made onnxruntime's arena hold both: +300 MB per worker at 1080p, measured)."""
    room = side - factor * overlap
    least = max(1, math.ceil(factor))
    return least if room <= 0 else max(least, math.ceil(factor * side / room))


def tiles(width: int, height: int, factor: float, overlap: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) source tiles covering a width x height picture, neighbours overlapping by
    ``overlap`` px, each no larger than the picture once enlarged ``factor`` times."""
    nx, ny = tiles_per_side(width, factor, overlap), tiles_per_side(height, factor, overlap)
    half = overlap // 2
    out = []
    for row in range(ny):
        for col in range(nx):
            x0, x1 = col * width // nx, (col + 1) * width // nx
            y0, y1 = row * height // ny, (row + 1) * height // ny
            out.append((max(0, x0 - half), max(0, y0 - half), min(width, x1 + half), min(height, y1 + half)))
    return out


def keep_small_whole(
    boxes: np.ndarray, tile: tuple[int, int, int, int], width: int, height: int, max_face: float
) -> np.ndarray:
    """Which of a tile's boxes (in picture pixels) to keep: short side under ``max_face``, and not
    touching an edge of the tile that is inside the picture (the neighbouring tile sees it whole)."""
    x0, y0, x1, y1 = tile
    short = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cut = np.zeros(len(boxes), bool)
    if x0 > 0:
        cut |= boxes[:, 0] <= x0 + 1
    if y0 > 0:
        cut |= boxes[:, 1] <= y0 + 1
    if x1 < width:
        cut |= boxes[:, 2] >= x1 - 1
    if y1 < height:
        cut |= boxes[:, 3] >= y1 - 1
    return (short < max_face) & ~cut


class ZoomedDetector(PeriodicDetector):
    """``detector`` on the picture, and ``zoom`` (a face model) on it enlarged ``factor`` times in
    overlapping tiles, keeping the small faces the zoom pass finds (short side under ``max_face``
    px of the picture); merged by NMS. With ``every`` > 1 the zoom pass runs on frames whose
    number is a multiple of it (``on_frame``, as for any periodic pass); ``detect`` itself always
    runs it (a still image is a first frame)."""

    def __init__(
        self,
        detector: Detector,
        zoom: Detector,
        every: int = 1,
        factor: float = 2.0,
        max_face: float = 40.0,
        nms_iou: float = 0.4,
    ):
        if every < 1:
            raise ValueError("the zoomed pass every N frames needs N >= 1")
        if factor <= 1:
            raise ValueError("the zoomed pass must enlarge the picture (factor > 1)")
        self.zoom, self.factor, self.max_face = zoom, factor, max_face
        super().__init__(detector, _ZoomPass(self), every, nms_iou)
        info = detector.info
        settings = {
            **info.settings,
            "zoomed": {**zoom.info.settings, "factor": factor, "max_face": max_face, "every_frames": every},
        }
        self.info = dataclasses.replace(info, settings=settings, providers=joined_providers([info, zoom.info]))

    def zoomed(self, rgb: np.ndarray) -> Detections:
        """The zoom pass alone: small faces found on the enlarged tiles, in ``rgb``'s pixels."""
        height, width = rgb.shape[:2]
        overlap = math.ceil(self.max_face * 1.25)
        parts = []
        for tile in tiles(width, height, self.factor, overlap):
            x0, y0, x1, y1 = tile
            crop = rgb[y0:y1, x0:x1]
            size = (round((x1 - x0) * self.factor), round((y1 - y0) * self.factor))
            found = self.zoom.detect(cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR))
            if not len(found):
                continue
            scale = np.array([(x1 - x0) / size[0], (y1 - y0) / size[1]] * 2, np.float32)
            boxes = found.boxes * scale + np.array([x0, y0, x0, y0], np.float32)
            found = found.with_boxes(boxes)
            parts.append(
                found[keep_small_whole(boxes, tile, width, height, self.max_face)].tagged(f"@{self.factor:g}x")
            )
        return merged(parts, self.nms_iou) if parts else Detections.empty()


class _ZoomPass:
    """The zoom pass as a detector of its own, for the periodic mechanism to run where it is due."""

    def __init__(self, owner: ZoomedDetector):
        self.owner, self.info = owner, owner.zoom.info

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.owner.zoomed(rgb)
