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

import numpy as np

from ..detections import Detections
from .base import Detector, DetectorInfo, merged
from .upright import detect_upright


class TurnedDetector:
    """``detector`` on the picture and on ``np.rot90(picture, k)`` for each ``k`` of ``turns``;
    boxes mapped back and merged by NMS per kind (``base.merged``). With ``every`` > 1 the
    turned copies are looked at only on frames whose number is a multiple of it
    (``on_frame``); ``detect`` itself always looks at them. ``min_score``: what a turned copy's
    detection must score to count (None: the model's own threshold)."""

    def __init__(
        self,
        detector: Detector,
        turns: tuple[int, ...] = (1, 3),
        nms_iou: float = 0.4,
        every: int = 1,
        min_score: float | None = None,
    ):
        if every < 1:
            raise ValueError("turned copies every N frames needs N >= 1")
        self.detector, self.turns, self.nms_iou, self.every = detector, tuple(turns), nms_iou, every
        self.min_score = min_score
        info = detector.info
        settings = {**info.settings, "quarter_turns": [0, *self.turns], "turned_every_frames": every}
        if min_score is not None:
            settings["turned_min_score"] = min_score
        self.info = DetectorInfo(info.name, info.kind, info.model_file, info.model_sha256, settings)

    def on_frame(self, index: int) -> Detector:
        """The detector for frame ``index``: this one where turned copies are due, else the upright one."""
        return self if index % self.every == 0 else self.detector

    def detect(self, rgb: np.ndarray) -> Detections:
        parts = [detect_upright([self.detector], rgb, k) for k in (0, *self.turns)]
        turned = [part.tagged(f"@{90 * k}") for part, k in zip(parts[1:], self.turns, strict=True)]
        if self.min_score is not None:
            turned = [part[part.scores >= self.min_score] for part in turned]
        return merged([parts[0], *turned], self.nms_iou)
