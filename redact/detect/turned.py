"""A detector also run on copies of the picture turned a quarter turn each way, for faces the
model cannot see upright: a person on the ground during an arrest, a camera knocked sideways.
The face models are trained on upright faces and find few turned ones (measured in
``benchmarks/RESULTS.md``).

The turned copies cost twice the upright pass, so they may run on every N-th frame only:
a person on the ground moves little, and tracking carries a turned face between the frames
it was found on, as it carries upright faces between the frames ``every`` detects.

A turned copy often frames an upright face differently from the upright pass, too differently
for NMS to take the two boxes as one: they become two tracks. That is kept (measured: the second
track masks face-frames the first misses); a face kept visible on request takes its turned
twin with it (``pipeline.frame_masks``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..detections import Detections
from .base import Detector, merged, network_input
from .upright import detect_upright


class TurnedDetector:
    """``detector`` on the picture and on ``np.rot90(picture, k)`` for each ``k`` of ``turns``;
    boxes mapped back and merged by NMS per kind (``base.merged``). With ``every`` > 1 the
    turned copies are looked at only on frames whose number is a multiple of it
    (``on_frame``); ``detect`` itself always looks at them. ``min_score``: what a turned copy's
    detection must score to count (None: the model's own threshold). ``max_side``: the turned
    copies are made from the picture shrunk to this longest side first (None: native size); a
    person lying near the camera is a large face, and a smaller copy costs a fraction."""

    def __init__(
        self,
        detector: Detector,
        turns: tuple[int, ...] = (1, 3),
        nms_iou: float = 0.4,
        every: int = 1,
        min_score: float | None = None,
        max_side: int | None = None,
    ):
        if every < 1:
            raise ValueError("turned copies every N frames needs N >= 1")
        self.detector, self.turns, self.nms_iou, self.every = detector, tuple(turns), nms_iou, every
        self.min_score, self.max_side = min_score, max_side
        info = detector.info
        settings = {**info.settings, "quarter_turns": [0, *self.turns], "turned_every_frames": every}
        if min_score is not None:
            settings["turned_min_score"] = min_score
        if max_side is not None:
            settings["turned_max_side"] = max_side
        self.info = dataclasses.replace(info, settings=settings)

    def on_frame(self, index: int) -> Detector:
        """The detector for frame ``index``: this one where turned copies are due, else the upright one."""
        return self if index % self.every == 0 else self.detector

    def detect(self, rgb: np.ndarray) -> Detections:
        upright = detect_upright([self.detector], rgb, 0)
        source, back = rgb, None
        if self.max_side and max(rgb.shape[:2]) > self.max_side:  # shrunk once for both turns
            source, back = network_input(rgb, 1.0, self.max_side)
        turned = []
        for k in self.turns:
            found = detect_upright([self.detector], source, k)
            turned.append((found if back is None else found.with_boxes(found.boxes * back)).tagged(f"@{90 * k}"))
        if self.min_score is not None:
            turned = [part[part.scores >= self.min_score] for part in turned]
        return merged([upright, *turned], self.nms_iou)
