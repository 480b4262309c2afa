"""The redaction log ``NAME.redacted.json``: what was done to which frames, by what, and why.

Regions are stored compactly: one entry per frame that has any, as
``[frame_index, pts_seconds, [[kind, x0, y0, x1, y1, score, reason, track], ...]]`` with
integer pixel coordinates of the stored (unrotated) frame, the detector's score, why the
region was masked (see ``REASONS``) and the track it belongs to. ``tracks`` lists every track
with its detections (``[frame, x0, y0, x1, y1, score]``, tight boxes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from . import __version__
from .track import Region, Track

LOG_FORMAT = "redact.log/1"
REGION_FIELDS = ["kind", "x0", "y0", "x1", "y1", "score", "reason", "track"]
REASONS = {
    "detected": "automatic detection in this frame",
    "interpolated": "between two detections of the same track",
    "coasted": "track lost: kept masked along its last motion",
    "back-filled": "before the track's first detection",
}


@dataclass
class RegionLog:
    """Collects the masked rectangles frame by frame, and the tracks they belong to."""

    frames: list = field(default_factory=list)
    tracks: list = field(default_factory=list)
    count: int = 0

    def add(self, index: int, pts_s: float, regions: list[Region], rects: np.ndarray) -> None:
        entries = [
            [r.kind, int(x0), int(y0), int(x1), int(y1), round(float(r.score), 3), r.reason, r.track]
            for r, (x0, y0, x1, y1) in zip(regions, rects, strict=True)
            if x1 > x0 and y1 > y0
        ]
        if entries:
            self.frames.append([index, round(pts_s, 6), entries])
            self.count += len(entries)

    def add_tracks(self, tracks: list[Track]) -> None:
        for t in tracks:
            self.tracks.append(
                {
                    "id": t.id,
                    "kind": t.kind,
                    "first_frame": t.first,
                    "last_frame": t.last,
                    "detections": len(t.frames),
                    "boxes": [
                        [i, *(round(float(v), 1) for v in b), round(s, 3)]
                        for i, b, s in zip(t.frames, t.boxes, t.scores, strict=True)
                    ],
                }
            )


def build_log(
    *,
    original: dict,
    derivative: dict,
    input_info: dict,
    decode: dict,
    detectors: list,
    parameters: dict,
    dropped: dict,
    regions: RegionLog,
    timings: dict,
    run: dict,
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
        # candidate regions a detector read and then left unmasked, counted by reason
        "not_masked": dropped,
        "parameters": parameters,
        "tracks": sorted(regions.tracks, key=lambda t: t["id"]),
        "regions": {
            "fields": REGION_FIELDS,
            "reasons": REASONS,
            "coordinates": "pixels of the stored frame, xyxy, after snapping to even numbers",
            "frames_with_regions": len(regions.frames),
            "total": regions.count,
            "frames": regions.frames,
        },
        "run": run,  # how the work was spread (changes speed, never the derivative)
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
