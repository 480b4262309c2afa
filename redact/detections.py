"""The one data type that flows from detector to tracker to masker to log."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = ("face", "plate")


@dataclass(frozen=True)
class Detections:
    """Parallel arrays describing N detected objects in one image.

    ``boxes`` are the detector's tight boxes, xyxy in pixels of the full frame; ``scores``
    are in [0, 1]; ``kinds`` name what was found ("face", "plate"); ``models`` name the models
    that found each box, joined by "+" ("centerface+retinaface-mnet025" when both found it,
    "centerface@90" on a copy turned a quarter, "centerface@2x" on one enlarged for small
    faces, "centerface@crop" confirming another model's candidate on a crop around it), so that
    the log says what made every region. A model's own name never holds a "+".
    """

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    kinds: np.ndarray = field(default_factory=lambda: np.zeros((0,), "<U8"))
    models: np.ndarray = field(default_factory=lambda: np.zeros((0,), object))

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(self.scores, np.float32).reshape(-1)
        kinds = np.asarray(self.kinds, "<U8").reshape(-1)
        models = np.asarray(self.models, object).reshape(-1)
        if len(models) == 0 and len(boxes):
            models = np.full(len(boxes), "", object)  # made by hand (tests, benchmarks): no model
        if not (len(boxes) == len(scores) == len(kinds) == len(models)):
            raise ValueError(
                f"ragged detections: {len(boxes)} boxes, {len(scores)} scores, {len(kinds)} kinds, {len(models)} models"
            )
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "models", models)

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls) -> Detections:
        return cls()

    @classmethod
    def of_kind(cls, kind: str, boxes: np.ndarray, scores: np.ndarray, model: str = "") -> Detections:
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        return cls(boxes, scores, np.full(len(boxes), kind, "<U8"), np.full(len(boxes), model, object))

    @classmethod
    def concat(cls, parts: list[Detections]) -> Detections:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.kinds for p in parts]),
            np.concatenate([p.models for p in parts]),
        )

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        return Detections(self.boxes[index], self.scores[index], self.kinds[index], self.models[index])

    def with_boxes(self, boxes: np.ndarray) -> Detections:
        """The same detections at other coordinates (turned back, scaled)."""
        return Detections(boxes, self.scores, self.kinds, self.models)

    def tagged(self, suffix: str) -> Detections:
        """Each model name with ``suffix`` added ("@90": found on a turned copy)."""
        models = ["+".join(f"{m}{suffix}" for m in names.split("+") if m) for names in self.models]
        return Detections(self.boxes, self.scores, self.kinds, np.array(models, object))


def joined_models(names) -> str:
    """Model names ("a", "a+b", ...) as one sorted "+"-joined set."""
    return "+".join(sorted({m for joined in names for m in str(joined).split("+") if m}))
