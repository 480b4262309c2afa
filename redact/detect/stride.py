"""A detector run on every N-th frame only, tracks carrying what it finds between.

Text on a plate moves with the car and the camera as a face does, and tracking interpolates
its box between the frames it was found on (as it does for every detector with ``every``). Plates
looked at on every 2nd frame were masked in as many plate-frames as on every frame, at half
the text detector's cost (measured in ``benchmarks/RESULTS.md``, 2026-12-02 fourth session).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..detections import Detections
from .base import Detector, DetectorInfo


class Nothing:
    """What a strided detector is on the frames it skips: no model run, nothing found."""

    def __init__(self, info: DetectorInfo):
        self.info = info

    def detect(self, rgb: np.ndarray) -> Detections:
        return Detections.empty()


class EveryNthFrame:
    """``detector`` on frames whose number is a multiple of ``every`` (``on_frame``); on the
    others nothing runs. ``detect`` itself always runs it (a still image is a first frame)."""

    def __init__(self, detector: Detector, every: int):
        if every < 1:
            raise ValueError("a detector every N frames needs N >= 1")
        self.detector, self.every = detector, every
        info = detector.info
        self.info = dataclasses.replace(info, settings={**info.settings, "every_frames": every})
        self._skip = Nothing(self.info)

    @property
    def dropped(self) -> dict[str, int]:
        """The wrapped detector's dropped lines by reason (``PlateDetector.dropped``), for the log."""
        return getattr(self.detector, "dropped", {})

    def on_frame(self, index: int) -> Detector:
        return self.detector if index % self.every == 0 else self._skip

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.detector.detect(rgb)
