"""A second face model on the whole picture every N-th frame, beside the cheap cascade.

The cascade (``detect.confirmed``) only confirms what YuNet proposes: a face YuNet scores under its
threshold is never looked at again. Another architecture finds some of those (RetinaFace alone
found a visored officer's face in a raid photo, benchmarks/RESULTS.md, 2026-12-07). Run on every
N-th frame only, it costs a fraction of running it on each, and tracking carries what it finds
between, as it does for the turned copies and the enlarged pass.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..detections import Detections
from .base import Detector, joined_providers, merged
from .upright import on_frame


class PeriodicDetector:
    """``detector`` on every frame it runs on, and ``extra`` (another model on the whole picture)
    merged in on frames whose number is a multiple of ``every`` (``on_frame``); ``detect`` itself
    always runs both (a still image is a first frame)."""

    def __init__(self, detector: Detector, extra: Detector, every: int, nms_iou: float = 0.4):
        if every < 1:
            raise ValueError("a model every N frames needs N >= 1")
        self.detector, self.extra, self.every, self.nms_iou = detector, extra, every, nms_iou
        info = detector.info
        self.info = dataclasses.replace(
            info,
            name=f"{info.name}+{extra.info.name}",
            model_file=f"{info.model_file},{extra.info.model_file}",
            model_sha256=f"{info.model_sha256},{extra.info.model_sha256}",
            settings={**info.settings, "also": {**extra.info.settings, "every_frames": every}},
            providers=joined_providers([info, extra.info]),
        )

    def on_frame(self, index: int) -> Detector:
        """What runs on frame ``index``: the wrapped detector as it runs there, with ``extra`` (as it
        runs there: its turned copies may be due on some of its frames only) where it is due."""
        inner = on_frame([self.detector], index)[0]
        if index % self.every:
            return inner
        extra = on_frame([self.extra], index)[0]
        return self if inner is self.detector and extra is self.extra else _WithExtra(self, inner, extra)

    def detect_with(self, inner: Detector, extra: Detector, rgb: np.ndarray) -> Detections:
        return merged([inner.detect(rgb), extra.detect(rgb)], self.nms_iou)

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.detect_with(self.detector, self.extra, rgb)


class _WithExtra:
    """A frame where ``extra`` is due, both as they run on that frame."""

    def __init__(self, owner: PeriodicDetector, inner: Detector, extra: Detector):
        self.owner, self.inner, self.extra, self.info = owner, inner, extra, owner.info

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.owner.detect_with(self.inner, self.extra, rgb)
