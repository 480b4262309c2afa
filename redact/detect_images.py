"""``redact detect``: detections for images (or every N-th video frame) as JSON lines.

The line format is a stable contract that benchmarks and outside evaluations rely on:
``{"image", "width", "height", "detections": [{"kind", "box", "region", "score", "models"}]}``
where ``box`` is the detector's tight box, ``region`` what ``redact run`` would mask and
``models`` the models that found it ("centerface+retinaface-mnet025" when both did).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .detect.base import Detector
from .detect.upright import detect_frame, detect_rgb
from .detections import Detections
from .errors import BadInputError
from .i18n import N_
from .media.decode import DecodeReport, check_path, frame_to_i420, iter_media, open_input
from .options import DetectOptions

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def record(name: str, width: int, height: int, found: Detections, options: DetectOptions) -> dict:
    regions = options.regions(found.boxes, found.kinds, width, height)
    return {
        "image": name,
        "width": width,
        "height": height,
        "detections": [
            {
                "kind": str(kind),
                "box": [round(float(v), 2) for v in box],
                "region": [round(float(v), 2) for v in region],
                "score": round(float(score), 4),
                "models": str(models),
            }
            for kind, box, region, score, models in zip(
                found.kinds, found.boxes, regions, found.scores, found.models, strict=True
            )
        ],
    }


def read_image(path: Path) -> np.ndarray:
    check_path(path)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadInputError(N_("not an image OpenCV can read"), path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def detect_path(path_as_given: str, detectors: list[Detector], options: DetectOptions) -> Iterator[dict]:
    """Records for one image, or for every ``every``-th frame of a video (``name#frame``).

    Video frames are detected upright, as ``redact run`` does; boxes are in stored pixels.
    """
    path = Path(path_as_given)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        rgb = read_image(path)
        yield record(path_as_given, rgb.shape[1], rgb.shape[0], detect_rgb(detectors, rgb), options)
        return
    with contextlib.closing(open_input(path)) as container:
        # as `redact run` decodes: damaged packets skipped, a read error ends the frames early
        for index, (_, frame) in enumerate(iter_media(container, copy_audio=False, report=DecodeReport())):
            if index % options.every:
                continue
            found = detect_frame(
                detectors, frame_to_i420(frame), int(frame.rotation or 0), frame.interlaced_frame, index
            )
            yield record(f"{path_as_given}#{index}", frame.width, frame.height, found, options)
