"""Build the detectors a redaction asks for, from its ``DetectOptions``."""

from __future__ import annotations

from ..options import DetectOptions
from .base import Detector
from .centerface import CenterFaceDetector
from .plates import PlateDetector


def build_detectors(options: DetectOptions, threads: int | None = None) -> list[Detector]:
    """One detector per requested kind; ``threads`` bounds each model's CPU threads."""
    detectors: list[Detector] = []
    if "face" in options.kinds:
        detectors.append(
            CenterFaceDetector(
                threshold=options.threshold, scales=options.scales, max_side=options.face_size, threads=threads
            )
        )
    if "plate" in options.kinds:
        detectors.append(
            PlateDetector(max_side=options.plate_size, min_side=min(736, options.plate_size), threads=threads)
        )
    return detectors
