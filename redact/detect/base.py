"""The detector contract: an RGB image in, ``Detections`` in that image's pixels out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..detections import Detections


@dataclass(frozen=True)
class DetectorInfo:
    """What the redaction log records about a detector."""

    name: str
    kind: str
    model_file: str
    model_sha256: str
    settings: dict


class Detector(Protocol):
    info: DetectorInfo

    def detect(self, rgb: np.ndarray) -> Detections:
        """Detect objects in an HxWx3 uint8 RGB image."""
        ...
