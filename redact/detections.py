"""The one data type that flows from detector to tracker to masker to log."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = ("face", "plate")


@dataclass(frozen=True)
class Detections:
    """Parallel arrays describing N detected objects in one image.

    ``boxes`` are the detector's tight boxes, xyxy in pixels of the full frame; ``scores``
    are in [0, 1]; ``kinds`` name what was found ("face", "plate").
    """

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    kinds: np.ndarray = field(default_factory=lambda: np.zeros((0,), "<U8"))

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(self.scores, np.float32).reshape(-1)
        kinds = np.asarray(self.kinds, "<U8").reshape(-1)
        if not (len(boxes) == len(scores) == len(kinds)):
            raise ValueError(f"ragged detections: {len(boxes)} boxes, {len(scores)} scores, {len(kinds)} kinds")
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "kinds", kinds)

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls) -> Detections:
        return cls()

    @classmethod
    def of_kind(cls, kind: str, boxes: np.ndarray, scores: np.ndarray) -> Detections:
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        return cls(boxes, scores, np.full(len(boxes), kind, "<U8"))

    @classmethod
    def concat(cls, parts: list[Detections]) -> Detections:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.kinds for p in parts]),
        )

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        return Detections(self.boxes[index], self.scores[index], self.kinds[index])
