"""Build the detectors a redaction asks for, from its ``DetectOptions``."""

from __future__ import annotations

from ..options import DetectOptions
from .base import Detector
from .centerface import CenterFaceDetector
from .ensemble import EnsembleDetector
from .plates import PlateDetector
from .retinaface import RetinaFaceDetector
from .stride import EveryNthFrame
from .turned import TurnedDetector
from .zoomed import ZoomedDetector


def build_detectors(options: DetectOptions, threads: int | None = None) -> list[Detector]:
    """One detector per requested kind; ``threads`` bounds each model's CPU threads."""
    detectors: list[Detector] = []
    if "face" in options.kinds:
        detectors.append(face_detector(options, threads))
    if "plate" in options.kinds:
        plates = PlateDetector(
            max_side=options.plate_size,
            min_side=min(736, options.plate_size),
            filter_threshold=options.plate_filter or None,
            threads=threads,
        )
        every = options.every * options.plate_every  # plate_every counts detected frames
        detectors.append(EveryNthFrame(plates, every) if every > 1 else plates)
    return detectors


def face_detector(options: DetectOptions, threads: int | None = None) -> Detector:
    """The face models the options name (two: an ensemble), on turned copies too if asked."""
    members: list[Detector] = []
    for name in options.face_models:
        if name == "centerface":
            members.append(
                CenterFaceDetector(
                    threshold=options.threshold, scales=options.scales, max_side=options.face_size, threads=threads
                )
            )
        else:
            members.append(
                RetinaFaceDetector(
                    threshold=options.retinaface_threshold,
                    scales=options.scales,
                    max_side=options.face_size,
                    threads=threads,
                )
            )
    detector = members[0] if len(members) == 1 else EnsembleDetector(members)
    if options.turned_faces:
        detector = TurnedDetector(detector, every=options.every * options.turned_every, max_side=options.turned_size)
    if options.small_faces:  # CenterFace: of the two, it finds the most small faces when enlarged
        native = next((m for m in members if isinstance(m, CenterFaceDetector)), None)
        zoom = CenterFaceDetector(
            threshold=options.threshold, threads=threads, session=native.session if native else None
        )
        detector = ZoomedDetector(detector, zoom, every=options.every * options.small_faces_every)
    return detector
