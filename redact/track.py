"""Tracks across frames, and the regions to mask in each frame from them.

A face that slips through one frame is a privacy leak, so masking never relies on a single
frame's detection. Detections are linked into tracks (SORT-style: constant-velocity
prediction, greedy IoU/centre-distance matching per kind). Frames are masked a few frames
*after* they were detected (the pipeline's lookahead), so the region for frame t can use the
track's past and future:

- detected at t: the detection;
- detections before and after t (gap <= ``max_gap``): linear interpolation (this is also
  what carries regions between frames when detecting only every N-th frame);
- lost after its last detection: coasted forward for ``coast`` frames, its centre moving at
  the velocity its last detections had (at most ``max_speed`` of its size a frame), its size
  that of its last detection grown by ``growth`` per frame to cover the motion it might make,
  and never past ``max_size`` times the largest box detected in the track: a region that once
  extrapolated its size (a "face" on a car roof grew from 232x331 to 984x1120 px in 15 frames,
  blurring the whole picture) now stays what was seen; a plate's (``plate_max_size``) never grows
  past its largest detection at all;
- first detected just after t: back-filled for ``backfill`` frames (faces are often found a
  few frames after they enter), the same way backwards.

Pure logic: no IO, no frames, testable with plain boxes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from .appearance import similarity
from .boxes import iou
from .i18n import N_

LOOKS = 3  # a track's look at its start and at its end: the mean of this many detections
PLATE_SIZE = 1.3  # a plate matched from further off (plate_distance) is within this of the track's size
LOOK_DIFFERENT = 0.7  # and, when both looks are known, at least this alike (appearance.similarity)


def _alike(track: Track, look) -> bool:
    """Whether a detection may look like ``track`` (unknown looks: it may)."""
    if not track.last_looks or look is None:
        return True
    alike = similarity(np.mean(track.last_looks, axis=0), look)
    return alike is None or alike >= LOOK_DIFFERENT


@dataclass(frozen=True)
class TrackOptions:
    coast: int = 15  # frames a lost track stays masked (0.5 s at 30 fps)
    backfill: int = 8  # frames masked before a track's first detection
    max_gap: int = 15  # longest gap bridged by interpolation (<= the pipeline's lookahead)
    growth: float = 0.04  # per coasted/back-filled frame, each side grows by this fraction
    max_size: float = 1.5  # a coasted/back-filled box is at most this times the track's largest detection, each way
    # plates: a plate is rigid and moves with its car (``plate_distance`` follows it), so a carried
    # plate region grows no larger than its largest detection (a sign read as a "plate" in vtest.avi,
    # 189x110 px, was coasted at 1.5x over three pedestrians). None: as ``max_size`` (before 2026-12-07)
    plate_max_size: float | None = 1.0
    max_speed: float = 0.5  # a coasted/back-filled centre moves at most this many box sides a frame
    match_iou: float = 0.1
    match_distance: float = 0.6  # or: centres closer than this many box sizes
    # plates: centres closer than this many plate sizes. A plate is small and moves with its car,
    # and the plate detector runs on every 4th frame: the red car's plate in car-detection.mp4
    # moved three plate widths between two detections and became two tracks, its region left
    # behind while the car drove on. Linked, the plate is interpolated along the car's path.
    # None: as match_distance (analyses made before 2026-12-06).
    plate_distance: float | None = 4.0
    # A track is coasted and back-filled only once confirmed: this many detections, or one at
    # least ``confirm_score`` sure. A lone, unsure detection (a banner's pattern, a shadow) is
    # then masked in its own frame only, instead of for ~25 frames around it; a face seen twice
    # is confirmed. The defaults confirm every track (masking the most).
    confirm_hits: int = 1
    confirm_score: float = 0.0

    def __post_init__(self) -> None:
        if self.plate_distance is not None and self.plate_distance < 0:
            raise ValueError(N_("plate_distance is a number of plate sizes, at least 0"))
        if self.max_size < 1 or self.max_speed <= 0 or (self.plate_max_size is not None and self.plate_max_size < 1):
            raise ValueError(N_("max_size is at least 1 (the box detected) and max_speed more than 0"))
        if not 1 <= self.confirm_hits <= 100:  # settle() keeps more than 100 of a long track's detections
            raise ValueError(N_("confirm_hits must be between 1 and 100 (got {value})", value=self.confirm_hits))


@dataclass(frozen=True)
class Region:
    """One box to mask in one frame, and why."""

    track: int
    kind: str
    box: np.ndarray  # tight xyxy (the margin is added by the masker's caller)
    score: float
    reason: str  # "detected", "interpolated", "coasted", "back-filled"


@dataclass
class Track:
    """A tracked object's detections: all of them, or those after its last ``settle``."""

    id: int
    kind: str
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    # detections each model found, over the whole track (kept when ``settle`` hands parts over)
    models: dict[str, int] = field(default_factory=dict)
    largest: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))  # widest, tallest detected
    # how it looked (``appearance.looks``) at its first detections and its last: for linking subjects
    first_looks: list[np.ndarray] = field(default_factory=list)
    last_looks: list[np.ndarray] = field(default_factory=list)

    def look(self) -> dict | None:
        """Its look at its start and at its end (the mean of up to ``LOOKS`` detections each), as the
        analysis records it; None when no look was given."""
        if not self.first_looks:
            return None
        return {
            "first": [round(float(v), 4) for v in np.mean(self.first_looks, axis=0)],
            "last": [round(float(v), 4) for v in np.mean(self.last_looks, axis=0)],
        }

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    def velocity(self, at_end: bool = True) -> np.ndarray:
        """Box change per frame, from the two detections at the track's end (or start)."""
        if len(self.frames) < 2:
            return np.zeros(4, np.float32)
        (i0, b0), (i1, b1) = (
            ((self.frames[-2], self.boxes[-2]), (self.frames[-1], self.boxes[-1]))
            if at_end
            else ((self.frames[0], self.boxes[0]), (self.frames[1], self.boxes[1]))
        )
        return (b1 - b0) / max(1, i1 - i0)

    def predict(self, index: int) -> np.ndarray:
        return self.boxes[-1] + self.velocity() * (index - self.last)

    def carried(self, index: int, growth: float, max_size: float, max_speed: float) -> np.ndarray:
        """The box of a frame before the track's first detection or after its last: the nearest
        detection's size, grown by ``growth`` a frame but never past ``max_size`` times the
        largest box detected, its centre moved at the velocity of the track's two nearest
        detections (at most ``max_speed`` box sides a frame). Sizes are never extrapolated."""
        after = index > self.last
        anchor = self.boxes[-1] if after else self.boxes[0]
        steps = index - self.last if after else self.first - index
        velocity = self.velocity(at_end=after)
        shift = np.array([velocity[0] + velocity[2], velocity[1] + velocity[3]], np.float32) / 2
        size = np.array([anchor[2] - anchor[0], anchor[3] - anchor[1]], np.float32)
        limit = max_speed * float(size.max())
        speed = float(np.hypot(*shift))
        if speed > limit > 0:
            shift *= limit / speed
        centre = (anchor[:2] + anchor[2:]) / 2 + shift * (steps if after else -steps)
        size = np.minimum(size * (1 + 2 * growth * steps), np.maximum(self.largest, size) * max_size)
        return np.concatenate([centre - size / 2, centre + size / 2]).astype(np.float32)


def centre_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise distances between box centres, in units of the larger box side of each pair."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    ca = np.stack([(a[:, 0] + a[:, 2]) / 2, (a[:, 1] + a[:, 3]) / 2], axis=1)
    cb = np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], axis=1)
    side_a = np.maximum(a[:, 2] - a[:, 0], a[:, 3] - a[:, 1])
    side_b = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    size = np.maximum(np.maximum(side_a[:, None], side_b[None, :]), 1.0)
    return np.linalg.norm(ca[:, None, :] - cb[None, :, :], axis=2) / size


class Tracker:
    """Links per-frame detections into tracks and answers "what to mask in frame t"."""

    def __init__(self, options: TrackOptions | None = None):
        self.options = options or TrackOptions()
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(
        self,
        index: int,
        boxes: np.ndarray,
        scores: np.ndarray,
        kinds: np.ndarray,
        models: np.ndarray | None = None,
        looks: np.ndarray | None = None,
    ) -> list[int]:
        """Add frame ``index``'s detections; returns the track id given to each detection.
        ``models``: the "+"-joined names of the models that found each one; ``looks``: how each
        looked (``appearance.looks``), if known."""
        models = np.full(len(boxes), "", object) if models is None else models
        o = self.options
        live = [t for t in self.tracks if index - t.last <= max(o.coast, o.max_gap) and t.last < index]
        ids = [0] * len(boxes)
        pairs = []
        if live and len(boxes):
            # one IoU / distance matrix per frame: tracks x detections
            predicted = np.stack([t.predict(index) for t in live])
            overlaps = iou(predicted, boxes)
            distances = centre_distances(predicted, boxes)
            live_kinds = np.array([t.kind for t in live])
            same_kind = live_kinds[:, None] == np.asarray(kinds)[None, :]
            close = same_kind & ((overlaps >= o.match_iou) | (distances <= o.match_distance))
            if o.plate_distance is not None and (live_kinds == "plate").any():
                # a plate further off is this plate moved with its car only if it is of about its size
                # (and, when known, its colours): a neighbouring car's plate is as far
                side_t = np.maximum(predicted[:, 2] - predicted[:, 0], predicted[:, 3] - predicted[:, 1]).clip(1e-6)
                side_d = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).clip(1e-6)
                ratio = np.maximum(side_t[:, None], side_d[None, :]) / np.minimum(side_t[:, None], side_d[None, :])
                far = (live_kinds == "plate")[:, None] & (distances <= o.plate_distance) & (ratio <= PLATE_SIZE)
                if looks is not None:
                    far &= np.array([[_alike(t, look) for look in looks] for t in live], bool).reshape(far.shape)
                close |= same_kind & far
            pairs = [
                (float(overlaps[ti, di]) - 0.1 * float(distances[ti, di]), int(ti), int(di))
                for ti, di in zip(*np.nonzero(close), strict=True)
            ]
        used_tracks, used_dets = set(), set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti in used_tracks or di in used_dets:
                continue
            used_tracks.add(ti)
            used_dets.add(di)
            self._append(live[ti], index, boxes[di], scores[di], models[di], None if looks is None else looks[di])
            ids[di] = live[ti].id
        for di in range(len(boxes)):
            if di not in used_dets:
                track = Track(self._next_id, str(kinds[di]))
                self._next_id += 1
                self._append(track, index, boxes[di], scores[di], models[di], None if looks is None else looks[di])
                self.tracks.append(track)
                ids[di] = track.id
        return ids

    @staticmethod
    def _append(track: Track, index: int, box: np.ndarray, score: float, models: str = "", look=None) -> None:
        if look is not None and np.asarray(look).sum() > 0:
            if len(track.first_looks) < LOOKS:
                track.first_looks.append(np.asarray(look, np.float32))
            track.last_looks = [*track.last_looks[-(LOOKS - 1) :], np.asarray(look, np.float32)]
        track.frames.append(index)
        track.boxes.append(np.asarray(box, np.float32))
        track.largest = np.maximum(track.largest, track.boxes[-1][2:] - track.boxes[-1][:2])
        track.scores.append(float(score))
        for model in filter(None, str(models).split("+")):
            track.models[model] = track.models.get(model, 0) + 1

    def regions(self, index: int) -> list[Region]:
        """Boxes to mask in frame ``index``, given every detection made so far."""
        o = self.options
        out = []
        for track in self.tracks:
            if index < track.first - o.backfill or index > track.last + max(o.coast, o.max_gap):
                continue
            region = self._region(track, index)
            if region is not None:
                out.append(region)
        return out

    def _region(self, track: Track, index: int) -> Region | None:
        o = self.options
        frames = track.frames
        pos = int(np.searchsorted(frames, index))
        if pos < len(frames) and frames[pos] == index:
            return Region(track.id, track.kind, track.boxes[pos], track.scores[pos], "detected")
        if 0 < pos < len(frames) and frames[pos] - frames[pos - 1] <= o.max_gap:
            i0, i1 = frames[pos - 1], frames[pos]
            a = (index - i0) / (i1 - i0)
            box = track.boxes[pos - 1] * (1 - a) + track.boxes[pos] * a
            score = min(track.scores[pos - 1], track.scores[pos])
            return Region(track.id, track.kind, box, score, "interpolated")
        if (pos == len(frames) or pos == 0) and not self._confirmed(track):
            return None  # not coasted, not back-filled
        largest = o.plate_max_size if track.kind == "plate" and o.plate_max_size is not None else o.max_size
        if pos == len(frames) and index - track.last <= o.coast:
            box = track.carried(index, o.growth, largest, o.max_speed)
            return Region(track.id, track.kind, box, track.scores[-1], "coasted")
        if pos == 0 and track.first - index <= o.backfill:
            box = track.carried(index, o.growth, largest, o.max_speed)
            return Region(track.id, track.kind, box, track.scores[0], "back-filled")
        return None

    def _confirmed(self, track: Track) -> bool:
        o = self.options
        return len(track.frames) >= o.confirm_hits or max(track.scores) >= o.confirm_score

    def settle(self, index: int, batch: int = 512) -> list[Track]:
        """Hand over the old detections of long tracks, which frame ``index`` or later no longer need.

        Called once frame ``index`` is masked. Later frames use only a track's last detection at
        or before ``index`` (interpolation) and its last two (velocity, prediction), so the
        detections before those can go to the log. Without this a face in view for an hour
        holds ~100,000 detections, and every frame searches them all. Returns one part per
        trimmed track (same id and kind, the detections removed), in at least ``batch``-long
        pieces so that the log's index of pieces stays small.
        """
        parts = []
        for track in self.tracks:
            cut = min(bisect.bisect_right(track.frames, index) - 1, len(track.frames) - 2)
            if cut < batch:
                continue
            parts.append(Track(track.id, track.kind, track.frames[:cut], track.boxes[:cut], track.scores[:cut]))
            del track.frames[:cut], track.boxes[:cut], track.scores[:cut]
        return parts

    def forget_before(self, index: int) -> list[Track]:
        """Drop tracks that can no longer affect frame ``index`` or later; returns them."""
        o = self.options
        horizon = max(o.coast, o.max_gap)
        done = [t for t in self.tracks if t.last + horizon < index]
        self.tracks = [t for t in self.tracks if t.last + horizon >= index]
        return done
