"""The redaction log ``NAME.redacted.json``: what was done to which frames, by what, and why.

Regions are stored compactly: one entry per frame that has any, as
``[frame_index, pts_seconds, [[kind, x0, y0, x1, y1, score, reason], ...]]`` with integer
pixel coordinates of the stored (unrotated) frame and the detector's score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from . import __version__
from .detections import Detections

LOG_FORMAT = "redact.log/1"
REGION_FIELDS = ["kind", "x0", "y0", "x1", "y1", "score", "reason"]


@dataclass
class RegionLog:
    """Collects the masked rectangles frame by frame."""

    frames: list = field(default_factory=list)
    count: int = 0

    def add(self, index: int, pts_s: float, detections: Detections, rects: np.ndarray, reason: str) -> None:
        if not len(rects):
            return
        entries = [
            [str(kind), int(x0), int(y0), int(x1), int(y1), round(float(score), 3), reason]
            for kind, score, (x0, y0, x1, y1) in zip(detections.kinds, detections.scores, rects, strict=True)
        ]
        self.frames.append([index, round(pts_s, 6), entries])
        self.count += len(entries)


def build_log(
    *,
    original: dict,
    derivative: dict,
    input_info: dict,
    decode: dict,
    detectors: list,
    parameters: dict,
    regions: RegionLog,
    timings: dict,
    operator: str,
    started_at: str,
    finished_at: str,
) -> dict:
    return {
        "format": LOG_FORMAT,
        "tool": {"name": "redact", "version": __version__},
        "operator": operator,
        "started_at": started_at,
        "finished_at": finished_at,
        "original": original,
        "derivative": derivative,
        "input": input_info,
        "decode": decode,
        "detectors": [asdict(d) for d in detectors],
        "parameters": parameters,
        "regions": {
            "fields": REGION_FIELDS,
            "coordinates": "pixels of the stored frame, xyxy, after snapping to even numbers",
            "frames_with_regions": len(regions.frames),
            "total": regions.count,
            "frames": regions.frames,
        },
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
