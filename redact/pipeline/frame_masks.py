"""What one frame gets masked: the analysis's regions less kept tracks, the regions a person
added and the whole-picture ranges, as a plan that the render and the review page apply alike.

Pure: no decoding, no file. The render masks a frame's planes with it before encoding; the
review page masks the frame it shows with the same plan, so what a clerk sees is what the
derivative will hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..boxes import area, intersection
from ..mask import mask_planes
from ..media.decode import VideoInfo
from ..options import MaskOptions, RedactOptions
from ..review.decisions import Decisions
from ..review.operator_regions import boxes_in_frame
from ..subjects import Subject
from ..track import Region

# A track found on turned copies only whose detections cover this much of a kept face's region
# (of the smaller of the two), in at least half the frames it was detected in, is that face seen
# again: the turned copy frames an upright face differently, and the two boxes became two tracks
# (detect/turned.py). It is kept visible with it, for its whole length.
SAME_FACE = 0.3


def twin_tracks(
    frames: Iterable[tuple[int, list[Region]]], faces: set[int], turned_only: frozenset[int]
) -> dict[int, int]:
    """Turned-only track -> the track of ``faces`` it is the same face as (of the same kind), from
    every frame's regions. One mapping per analysis: a twin is kept visible when its face is (``FrameMasks``)."""
    candidates = turned_only - faces
    if not faces or not candidates:
        return {}
    hits: dict[tuple[int, int], int] = {}
    detected: dict[int, int] = {}
    for _, regions in frames:
        mine = [r for r in regions if r.track in candidates and r.reason == "detected"]
        theirs = [r for r in regions if r.track in faces]
        for r in mine:
            detected[r.track] = detected.get(r.track, 0) + 1
        if not mine or not theirs:
            continue
        a = np.array([r.box for r in mine], np.float32)
        b = np.array([r.box for r in theirs], np.float32)
        cover = intersection(a, b) / np.maximum(np.minimum(area(a)[:, None], area(b)[None, :]), 1e-6)
        same_kind = np.array([r.kind for r in mine])[:, None] == np.array([r.kind for r in theirs])[None, :]
        for i, j in zip(*np.nonzero((cover >= SAME_FACE) & same_kind), strict=True):  # a face is never a plate's twin
            pair = (mine[i].track, theirs[j].track)
            hits[pair] = hits.get(pair, 0) + 1
    twins: dict[int, int] = {}
    for (track, face), n in sorted(hits.items(), key=lambda item: -item[1]):
        if track not in twins and 2 * n >= detected[track]:
            twins[track] = face
    return twins


@dataclass
class MaskPlan:
    """One frame's regions in the order they are masked and logged, with their masked boxes
    (margins added to detected ones, added ones as drawn) and the whole-picture styles."""

    regions: list[Region]
    boxes: np.ndarray  # xyxy per region of ``regions`` before the pictures
    pictures: list[str] = field(default_factory=list)  # a style per whole-picture region (last in regions)
    kept: list[int] = field(default_factory=list)  # kept tracks that were in this frame
    # tracks kept with a kept track: its subject's other tracks (or, before subjects, its turned twin)
    twins: dict[int, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(len(self.boxes) or self.pictures)

    def apply(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], options: MaskOptions) -> np.ndarray:
        """Mask ``planes`` (I420 views) in place; the rectangles masked, a row per region."""
        rects = mask_planes(planes, self.boxes, options)
        height, width = planes[0].shape
        for style in self.pictures:  # the whole picture, in the style the decision gave
            whole = np.array([[0, 0, width, height]], np.float32)
            rects = np.concatenate([rects, mask_planes(planes, whole, MaskOptions(style=style, shape="box"))])
        return rects


def subject_companions(kept: Iterable[int], subjects: Iterable[Subject]) -> dict[int, int]:
    """Each track kept visible because its subject is: track -> the kept track of its subject
    that keeps it (a kept subject keeps all its tracks, and only them)."""
    kept = set(kept)
    out = {}
    for subject in subjects:
        chosen = sorted(kept.intersection(subject.tracks))
        if chosen:
            out.update({t: chosen[0] for t in subject.tracks if t not in kept})
    return out


class FrameMasks:
    """Plans for the frames of one clip under one set of decisions."""

    def __init__(
        self,
        info: VideoInfo,
        options: RedactOptions,
        decisions: Decisions,
        twins: dict[int, int] | None = None,
        subjects: list[Subject] | None = None,
    ):
        """``subjects``: the analysis's (``Analysis.subjects``): a kept track keeps its whole
        subject. An analysis made before subjects has ``twins`` instead: turned-only track -> the
        track it is (``twin_tracks``), kept visible with it."""
        self.info, self.options, self.decisions = info, options, decisions
        self.width, self.height = info.padded_size
        self.keep = set(decisions.kept_ids)
        if subjects is not None:
            self.twins = subject_companions(self.keep, subjects)
        else:
            self.twins = {t: k for t, k in (twins or {}).items() if k in self.keep and t not in self.keep}

    def plan(self, found: list[Region], pts: int, duration: int) -> MaskPlan:
        """The plan for the frame shown at ``pts`` for ``duration`` (stream time base) in
        which the analysis found ``found``."""
        kept = [r.track for r in found if r.track in self.keep]
        twins = {r.track: self.twins[r.track] for r in found if r.track in self.twins}
        regions = (
            [r for r in found if r.track not in self.keep and r.track not in twins] if kept or twins else list(found)
        )
        tight = np.array([r.box for r in regions], np.float32).reshape(-1, 4)
        boxes = self.options.detect.regions(tight, [r.kind for r in regions], self.width, self.height)
        added = self.added(pts, duration)
        if added:  # masked exactly as the operator drew them: no margin
            regions = [*regions, *added]
            boxes = np.concatenate([boxes, np.array([r.box for r in added], np.float32).reshape(-1, 4)])
        pictures = self.pictures(pts, duration, len(self.decisions.regions))
        regions += [region for region, _ in pictures]
        return MaskPlan(regions, boxes, [style for _, style in pictures], kept, twins)

    def shown(self, pts: int, duration: int) -> tuple[float, float]:
        """When the frame is on screen, as a player counts from the clip's start."""
        t = float(pts * self.info.time_base) - self.info.start_s
        return round(t, 6), float(duration * self.info.time_base)  # to the microsecond: 2.28 - 2 is 0.27999...

    def added(self, pts: int, duration: int) -> list[Region]:
        if not self.decisions.regions:
            return []
        t, shown_for = self.shown(pts, duration)
        keys = self.decisions.region_keys
        shown = boxes_in_frame(keys, t, shown_for, self.info.rotation, self.info.width, self.info.height)
        return [Region(track, "operator", box, 1.0, "added") for track, box in shown]

    def pictures(self, pts: int, duration: int, after: int) -> list[tuple[Region, str]]:
        """Whole-picture ranges this frame is shown in (track ids after the added regions')."""
        t, shown_for = self.shown(pts, duration)
        whole = (0.0, 0.0, float(self.width), float(self.height))
        return [
            (Region(-(after + n + 1), "picture", whole, 1.0, "whole picture"), p.style)
            for n, p in enumerate(self.decisions.pictures)
            if t < p.end and round(t + max(shown_for, 1e-6), 6) > p.start  # to the microsecond, as regions
        ]
