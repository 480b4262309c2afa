"""Build the detectors a redaction asks for, from its ``DetectOptions``."""

from __future__ import annotations

from ..models import CENTERFACE, RETINAFACE, YUNET
from ..options import DetectOptions
from .agreement import LargeFaceAgreement
from .base import Detector
from .centerface import CenterFaceDetector
from .confirmed import ConfirmedDetector, CropConfirmer
from .ensemble import EnsembleDetector
from .periodic import PeriodicDetector
from .plates import PlateDetector
from .retinaface import RetinaFaceDetector
from .stride import EveryNthFrame
from .turned import TurnedDetector
from .yunet import YuNetDetector
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


# the option's name of a face model -> the name its detections carry
MODEL_NAMES = {"centerface": CENTERFACE.name, "retinaface": RETINAFACE.name, "yunet": YUNET.name}


def face_detector(options: DetectOptions, threads: int | None = None) -> Detector:
    """The face models the options name (two: an ensemble), each confirmed on crops if asked, on
    turned copies too if asked, with the enlarged pass for small faces if asked; a large face one
    model alone found kept only where CenterFace agrees on a crop (``detect.agreement``)."""
    confirmer = crop_confirmer(options, threads)
    members: list[Detector] = []
    for name in options.face_models:
        if name == "centerface":
            members.append(
                CenterFaceDetector(
                    threshold=options.threshold, scales=options.scales, max_side=options.face_size, threads=threads
                )
            )
        elif name == "yunet":
            members.append(
                confirmed(
                    YuNetDetector(
                        threshold=options.yunet_threshold,
                        scales=options.scales,
                        max_side=options.face_size,
                        threads=threads,
                    ),
                    confirmer,
                    options,
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
    if options.periodic:
        detector = PeriodicDetector(
            detector, whole_picture_model(options, confirmer, threads), every=options.every * options.periodic_every
        )
    if options.small_faces:
        detector = ZoomedDetector(
            detector,
            zoom_detector(options, members, confirmer, threads),
            every=options.every * options.small_faces_every,
        )
    if options.asked_about_large_faces:
        detector = LargeFaceAgreement(
            detector,
            large_face_confirmer(options, members, confirmer, detector, threads),
            tuple(MODEL_NAMES[m] for m in options.asked_about_large_faces),
            options.large_face_share,
            options.large_face_threshold,
        )
    return detector


def large_face_confirmer(
    options: DetectOptions,
    members: list[Detector],
    confirmer: CropConfirmer | None,
    detector: Detector,
    threads: int | None,
) -> CropConfirmer:
    """CenterFace on crops around large lone boxes, sharing the weights already loaded (by a face
    model, the cascade, the enlarged pass or the periodic model)."""
    if confirmer is not None:
        return confirmer
    loaded = [*members, getattr(detector, "zoom", None), getattr(getattr(detector, "detector", None), "extra", None)]
    loaded.append(getattr(detector, "extra", None))
    native = next((m for m in loaded if isinstance(m, CenterFaceDetector)), None)
    model = CenterFaceDetector(threshold=options.threshold, threads=threads, session=native.session if native else None)
    return CropConfirmer(model, face_px=options.confirm_face_px)


def whole_picture_model(options: DetectOptions, confirmer: CropConfirmer | None, threads: int | None) -> Detector:
    """The model that looks at the whole picture every ``periodic_every`` detected frames, on
    copies turned a quarter too (from a shrunk picture) where the options look for turned faces."""
    model: Detector
    if options.periodic_model == "retinaface":
        model = RetinaFaceDetector(
            threshold=options.retinaface_threshold, scales=options.scales, max_side=options.face_size, threads=threads
        )
    else:
        model = CenterFaceDetector(
            threshold=options.threshold,
            scales=options.scales,
            max_side=options.face_size,
            threads=threads,
            session=confirmer.confirmer.session if confirmer else None,  # one CenterFace loaded
        )
    # turned copies on the frames the cascade's are due, where this model runs too (every
    # lcm(periodic_every, turned_every) detected frames: every 4th frame with `bulk`'s 2 and 2)
    if options.turned_faces:
        model = TurnedDetector(model, every=options.every * options.turned_every, max_side=options.periodic_turned_size)
    return model


def crop_confirmer(options: DetectOptions, threads: int | None) -> CropConfirmer | None:
    """The model that scores candidates again on crops (``options.confirm_with``), or None."""
    if options.confirm_with != "centerface" or "yunet" not in options.face_models:
        return None  # only YuNet's candidates are confirmed: no model loaded for nothing
    return CropConfirmer(
        CenterFaceDetector(threshold=options.threshold, threads=threads), face_px=options.confirm_face_px
    )


def confirmed(detector: Detector, confirmer: CropConfirmer | None, options: DetectOptions) -> Detector:
    """``detector`` with its candidates confirmed on crops, where a confirmer is asked for."""
    if confirmer is None:
        return detector
    return ConfirmedDetector(detector, confirmer, options.confirm_sure, options.confirm_threshold)


def zoom_detector(
    options: DetectOptions, members: list[Detector], confirmer: CropConfirmer | None, threads: int | None
) -> Detector:
    """The model for the enlarged pass: CenterFace where it runs (of the models, it finds the most
    small faces when enlarged; its weights loaded once), else YuNet, confirmed as on the picture."""
    native = next((m for m in members if isinstance(m, CenterFaceDetector)), None)
    if native is not None or "yunet" not in options.face_models:
        return CenterFaceDetector(
            threshold=options.threshold, threads=threads, session=native.session if native else None
        )
    return confirmed(YuNetDetector(threshold=options.yunet_threshold, threads=threads), confirmer, options)
