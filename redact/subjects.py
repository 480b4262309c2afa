"""Subjects: the tracks of one face (or plate) linked into one item a clerk reviews.

The tracker cuts one person into several tracks: lost behind a passer-by and found again, found
by a second model with a differently framed box, seen again on a turned or enlarged copy. A
review list of fragments is a review nobody does (779 tracks for a 30-second street clip), so
tracks are linked into subjects after the analysis:

- **the same place at the same time**: two tracks whose detections, of about one size (``link_size``
  of each other's longer side, doubled: a turned copy frames a face differently), cover each other
  (``same_place`` of the smaller box) in at least half the frames the less detected of them was
  detected in are one face seen twice. The size bound keeps a large false box over a group from
  joining everyone in it;
- **one after the other**: a track that starts within ``link_gap_s`` after another ended, where the
  first one's last motion would have carried it (within ``link_distance`` box sizes, allowing more
  the longer the gap) and about its size (``link_size``),
  continues it, when it is the only track that could, and that one the only track it could
  continue (in a crowd, two candidates mean a guess). A track that looks unlike the other
  (``appearance.py``: the colours of its box and a little around it) never continues it, and
  so takes no candidate away. Each track continues at most one and is continued by at most one.

Linking is conservative: keeping a subject visible keeps all its tracks, so two people wrongly
joined would unmask the wrong one; two fragments of one person left apart cost a second row.
No identity: where and when boxes were, and the colours around them at a track's two ends.

Each subject has a **confidence** from its whole history (``confidence``): its best scores, how
many detections support them, and how many different models agreed. Confident subjects are
listed one by one; the rest stay masked and are reviewed as one group of uncertain regions.

Pure logic: summaries of tracks in, subjects out.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .appearance import similarity
from .boxes import area, intersection


@dataclass(frozen=True)
class SubjectOptions:
    link_gap_s: float = 2.0  # longest time between two tracks of one subject, one after the other
    link_distance: float = 0.5  # box sizes between where a track ended and the next began ...
    link_distance_per_s: float = 0.5  # ... plus this many box sizes for each second between them
    link_size: float = 1.6  # at most this ratio between their box sizes (the longer sides)
    same_place: float = 0.5  # of the smaller box covered, for two tracks at the same time to be one
    confident: float = 0.5  # subjects at least this confident are listed one by one
    # one after the other: below this likeness of their looks (appearance.similarity, when both are
    # known), another person or plate however close. Looks never let a track reach further: allowed
    # twice as far when alike (>= 0.9), different labelled faces were joined (benchmarks/RESULTS.md)
    look_different: float = 0.7
    steady: float = 0.5  # a subject detected in fewer of the frames it could have been is less sure

    def __post_init__(self) -> None:
        if self.link_gap_s < 0 or self.link_distance < 0 or self.link_size < 1 or not 0 < self.same_place <= 1:
            raise ValueError("link_gap_s and link_distance are >= 0, link_size >= 1, same_place in (0, 1]")
        if not 0 <= self.confident <= 1:
            raise ValueError(f"confident is between 0 and 1 (got {self.confident})")


TOP = 3  # a subject's strength: the mean of its best TOP scores (fewer detections count as 0)


CROP = "crop"  # the tag of a model that confirmed another's candidate on a crop (detect.confirmed)


def base_model(name: str) -> str:
    """The model behind a name: "centerface@90" (a turned copy) and "centerface@2x" are CenterFace;
    "centerface@crop@90" is CenterFace confirming on a crop ("centerface@crop"), weaker evidence."""
    model, *tags = name.split("@")
    return f"{model}@{CROP}" if CROP in tags else model


def model_weight(models: Iterable[str]) -> float:
    """How many models agree, for ``confidence``: each model that found it on the picture counts 1;
    one that only confirmed another's candidate on a crop counts half. A crop is asked about one
    spot that a first model already chose, so its agreeing is weaker evidence: on still images it
    confirmed 64 % of the real low-score candidates and 22 % of the false ones
    (benchmarks/RESULTS.md, 2026-12-07)."""
    models = set(models)
    whole = {m for m in models if not m.endswith(f"@{CROP}")}
    crops = {m.removesuffix(f"@{CROP}") for m in models} - whole
    return len(whole) + 0.5 * len(crops)


@dataclass(frozen=True)
class TrackSummary:
    """What linking and confidence need of one track: its ends, its best, its models."""

    id: int
    kind: str
    first: int
    last: int
    first_box: np.ndarray
    last_box: np.ndarray
    start_velocity: np.ndarray  # centre motion per frame at its start and at its end (px)
    end_velocity: np.ndarray
    detections: int
    top_scores: tuple[float, ...]  # its best TOP scores, best first
    best_frame: int
    best_box: np.ndarray
    models: tuple[str, ...]  # base models that found it
    copies_only: bool = False  # found on turned or enlarged copies of the picture only
    first_look: np.ndarray | None = None  # how it looked at its start and at its end (appearance.py)
    last_look: np.ndarray | None = None

    @classmethod
    def of(cls, id: int, kind: str, rows: list, models: dict | None = None, look: dict | None = None) -> TrackSummary:
        """From a track as the analysis lists it: ``rows`` ``[frame, x0, y0, x1, y1, score]`` in
        frame order, ``models`` name -> detections ("centerface+retinaface-mnet025": both),
        ``look`` its look at its ends (``{"first", "last"}``, analyses since 2026-12-06)."""
        rows = np.asarray(rows, np.float64).reshape(-1, 6)
        if not len(rows):
            raise ValueError(f"track {id} has no detections")
        frames, boxes, scores = rows[:, 0].astype(int), rows[:, 1:5].astype(np.float32), rows[:, 5]
        best = int(np.argmax(scores))
        names = {base_model(part) for name in (models or {}) for part in str(name).split("+") if part}
        return cls(
            id=int(id),
            kind=str(kind),
            first=int(frames[0]),
            last=int(frames[-1]),
            first_box=boxes[0],
            last_box=boxes[-1],
            start_velocity=_centre_velocity(frames[:2], boxes[:2]),
            end_velocity=_centre_velocity(frames[-2:], boxes[-2:]),
            detections=len(rows),
            top_scores=tuple(float(s) for s in np.sort(scores)[::-1][:TOP]),
            best_frame=int(frames[best]),
            best_box=boxes[best],
            models=tuple(sorted(names)),
            copies_only=bool(models) and all("@" in part for name in models for part in str(name).split("+") if part),
            first_look=np.asarray(look["first"], np.float32) if look else None,
            last_look=np.asarray(look["last"], np.float32) if look else None,
        )


def _centre_velocity(frames: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    if len(frames) < 2 or frames[1] == frames[0]:
        return np.zeros(2, np.float32)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return ((centres[1] - centres[0]) / (frames[1] - frames[0])).astype(np.float32)


# A track found on turned copies only that covers an upright face by this much (of the smaller
# box) in at least half the frames it was detected in is that face seen turned, however differently
# the turned copy framed it (``pipeline.frame_masks.twin_tracks``, the rule before subjects).
TWIN = 0.3
STEADY = 3  # frames two tracks are detected at once before their being apart is judged strictly


class SamePlace:
    """Counts, frame by frame, how often two tracks' detections cover each other, and how many
    frames each track was detected in: the evidence that two tracks are one face seen twice."""

    def __init__(self, same_place: float = SubjectOptions.same_place, size: float = 2 * SubjectOptions.link_size):
        self.same_place, self.size = same_place, size
        self.loose: dict[tuple[int, int], int] = {}  # covering each other by TWIN, any size
        self.together: dict[tuple[int, int], int] = {}
        self.at_once: dict[tuple[int, int], int] = {}  # frames both were detected in
        self.detected: dict[int, int] = {}

    def add(self, tracks: list[int], kinds: list[str], boxes: np.ndarray) -> None:
        """One frame's detected boxes and the track each belongs to."""
        for t in tracks:
            self.detected[t] = self.detected.get(t, 0) + 1
        if len(tracks) < 2:
            return
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        sizes = area(boxes)
        cover = intersection(boxes, boxes) / np.maximum(np.minimum(sizes[:, None], sizes[None, :]), 1e-6)
        kinds_ = np.asarray(kinds)
        side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).clip(1e-6)
        alike = np.maximum(side[:, None], side[None, :]) <= self.size * np.minimum(side[:, None], side[None, :])
        same_kind = kinds_[:, None] == kinds_[None, :]
        near = (cover >= self.same_place) & alike & same_kind
        for i, j in zip(*np.nonzero(np.triu(same_kind, 1)), strict=True):
            a, b = sorted((tracks[i], tracks[j]))
            if a == b:
                continue
            self.at_once[(a, b)] = self.at_once.get((a, b), 0) + 1
            if near[i, j]:
                self.together[(a, b)] = self.together.get((a, b), 0) + 1
            if cover[i, j] >= TWIN:
                self.loose[(a, b)] = self.loose.get((a, b), 0) + 1

    def apart(self, exempt: Iterable[tuple[int, int]] = ()) -> set[tuple[int, int]]:
        """Pairs that are two objects (but for the ``exempt`` pairs: twins): seen at once in
        ``STEADY`` frames or more, not in the same place in most of them (two people side by side
        in a crowd, their boxes overlapping); seen at once twice, covering each other by less than
        ``TWIN`` both times (two boxes of one face that frame it differently, the mouth and the
        whole head, cover each other more than that). Once is no evidence: fragments a turned copy
        finds around one face (chin, forehead) are often apart in a frame."""
        exempt = set(exempt)
        out = set()
        for pair, n in self.at_once.items():
            near = (self.together if n >= STEADY else self.loose).get(pair, 0)
            if n >= 2 and n - near > near and pair not in exempt:
                out.add(pair)
        return out

    def pairs(self) -> list[tuple[int, int]]:
        """Pairs seen in the same place in at least half the frames the less detected one was
        detected in, and twice unless it was detected once: one frame is a coincidence."""
        out = []
        for (a, b), n in self.together.items():
            fewer = min(self.detected.get(a, n), self.detected.get(b, n))
            if 2 * n >= fewer and n >= min(2, fewer):
                out.append((a, b))
        return out

    def twins(self, copies_only: set[int]) -> list[tuple[int, int]]:
        """Each track of ``copies_only`` (found on turned copies only) paired with the other track it
        covered by ``TWIN`` in at least half the frames it was detected in, the most often (if any)."""
        best: dict[int, tuple[int, int]] = {}  # copy-only track -> (hits, the track it is)
        for (a, b), n in self.loose.items():
            for copy, other in ((a, b), (b, a)):
                seen = self.detected.get(copy, n)
                if copy in copies_only and other not in copies_only and 2 * n >= seen and n >= min(2, seen):
                    if n > best.get(copy, (0, 0))[0]:
                        best[copy] = (n, other)
        return [(min(c, o), max(c, o)) for c, (_, o) in best.items()]


@dataclass(frozen=True)
class Subject:
    """One face or plate as a clerk reviews it: its tracks and what they add up to."""

    id: int  # its first track's id
    kind: str
    tracks: tuple[int, ...]
    first: int
    last: int
    detections: int
    confidence: float
    confident: bool
    models: tuple[str, ...]
    best_track: int
    best_frame: int
    best_box: tuple[float, ...]
    best_score: float
    links: tuple[str, ...] = field(default=())  # how its tracks were joined: "same place", "continues"

    def as_document(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "tracks": list(self.tracks),
            "first_frame": self.first,
            "last_frame": self.last,
            "detections": self.detections,
            "confidence": round(self.confidence, 3),
            "confident": self.confident,
            "models": list(self.models),
            "best": {
                "track": self.best_track,
                "frame": self.best_frame,
                "box": [round(v, 1) for v in self.best_box],
                "score": round(self.best_score, 3),
            },
            "links": list(self.links),
        }

    @classmethod
    def from_document(cls, d: dict) -> Subject:
        best = d["best"]
        return cls(
            id=int(d["id"]),
            kind=str(d["kind"]),
            tracks=tuple(int(t) for t in d["tracks"]),
            first=int(d["first_frame"]),
            last=int(d["last_frame"]),
            detections=int(d["detections"]),
            confidence=float(d["confidence"]),
            confident=bool(d["confident"]),
            models=tuple(str(m) for m in d.get("models", [])),
            best_track=int(best["track"]),
            best_frame=int(best["frame"]),
            best_box=tuple(float(v) for v in best["box"]),
            best_score=float(best["score"]),
            links=tuple(str(x) for x in d.get("links", [])),
        )


def confidence(top_scores: Iterable[float], models: float, presence: float = 1.0, steady: float = 0.5) -> float:
    """How sure a subject is, from its whole history: the mean of its best ``TOP`` scores (a
    subject detected once or twice counts its missing detections as 0), made surer by each other
    model that found it too: ``1 - (1 - strength) ** models``; and less sure when it was detected
    in fewer than ``steady`` of the frames it was looked for in while it was in view
    (``presence``): a real face is found again and again, a pattern on a wall flickers. A face
    found by both models at 0.4 three times is 0.64; found once at 0.9 by one model, 0.3."""
    best = sorted(top_scores, reverse=True)[:TOP]
    strength = sum(best) / TOP
    sure = 1 - (1 - min(max(strength, 0.0), 1.0)) ** max(1, models)
    return float(sure * min(1.0, max(presence, 0.0) / steady)) if steady > 0 else float(sure)


def continues(a: TrackSummary, b: TrackSummary, fps: float, o: SubjectOptions) -> float | None:
    """How far ``b`` begins from where ``a``'s last motion would have carried it, in box sizes,
    when ``b`` may be ``a`` found again (same kind, after it, close enough, of its size); else None."""
    gap = b.first - a.last
    if a.kind != b.kind or gap < 1 or gap > o.link_gap_s * fps:
        return None
    size_a = float(max(a.last_box[2] - a.last_box[0], a.last_box[3] - a.last_box[1], 1.0))
    size_b = float(max(b.first_box[2] - b.first_box[0], b.first_box[3] - b.first_box[1], 1.0))
    if max(size_a, size_b) > o.link_size * min(size_a, size_b):
        return None
    alike = similarity(a.last_look, b.first_look)
    if alike is not None and alike < o.look_different:
        return None  # looks like someone (something) else
    # where a would be: its last motion, for at most half a second (motion beyond that is a guess)
    steps = min(gap, max(1, round(fps / 2)))
    predicted = (a.last_box[:2] + a.last_box[2:]) / 2 + a.end_velocity * steps
    start = (b.first_box[:2] + b.first_box[2:]) / 2
    distance = float(np.hypot(*(predicted - start))) / max(size_a, size_b)
    allowed = o.link_distance + o.link_distance_per_s * gap / max(fps, 1e-6)
    return distance if distance <= allowed else None


def link(
    summaries: Iterable[TrackSummary],
    seen: SamePlace | None,
    fps: float,
    options: SubjectOptions | None = None,
    strides: dict[str, int] | None = None,
) -> list[Subject]:
    """Subjects of the tracks ``summaries``, given where their detections were at once
    (``seen``: the pairs in the same place, and twins, are joined; those seen apart are never one
    subject, however the others link), for a clip of ``fps`` frames a second whose detectors of
    each kind ran on every ``strides[kind]``-th frame; in order of first track."""
    o = options or SubjectOptions()
    tracks = {s.id: s for s in summaries}
    seen = seen or SamePlace(o.same_place, 2 * o.link_size)
    twins = seen.twins({t for t, s in tracks.items() if s.copies_only})
    apart = seen.apart(twins)
    same_place = [*seen.pairs(), *twins]
    parent = {t: t for t in tracks}
    members = {t: [t] for t in tracks}
    how: dict[int, set[str]] = {t: set() for t in tracks}

    def root(t: int) -> int:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    def join(a: int, b: int, why: str) -> bool:
        ra, rb = root(a), root(b)
        if ra == rb:
            return True
        if apart and any((min(x, y), max(x, y)) in apart for x in members[ra] for y in members[rb]):
            return False  # two of their tracks were seen at once in different places: two objects
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        members[keep] += members.pop(gone)
        how[keep] |= how.pop(gone) | {why}
        return True

    for a, b in same_place:
        if a in tracks and b in tracks and tracks[a].kind == tracks[b].kind:
            join(a, b, "same place")
    by_kind: dict[str, list[TrackSummary]] = {}
    for s in sorted(tracks.values(), key=lambda s: s.first):
        by_kind.setdefault(s.kind, []).append(s)
    if not (fps > 0 and np.isfinite(fps)):
        by_kind = {}  # no clock (frame rate and duration unknown): "within 2 s" means nothing; no guess
    for kind_tracks in by_kind.values():
        firsts = [s.first for s in kind_tracks]  # in order: only those starting just after a are looked at
        candidates = []
        for a in kind_tracks:
            for k in range(bisect.bisect_right(firsts, a.last), len(kind_tracks)):
                b = kind_tracks[k]
                if b.first > a.last + o.link_gap_s * fps:
                    break
                d = continues(a, b, fps, o)
                if d is not None:
                    candidates.append((d + (b.first - a.last) / max(fps, 1e-6), a.id, b.id))
        # counted per group of tracks already one face (same place, twins): a face and its turned
        # twin ending together must not continue into two different later tracks
        unit = {t.id: root(t.id) for t in kind_tracks}
        ahead: dict[int, set[int]] = {}
        behind: dict[int, set[int]] = {}
        for _, a, b in candidates:
            ahead.setdefault(unit[a], set()).add(unit[b])
            behind.setdefault(unit[b], set()).add(unit[a])
        followed, preceded = set(), set()
        for _, a, b in sorted(candidates):
            ua, ub = unit[a], unit[b]
            if len(ahead[ua]) > 1 or len(behind[ub]) > 1:
                continue  # more than one way to continue: a guess, and a wrong guess unmasks someone
            if ua in followed or ub in preceded or root(a) == root(b):
                continue
            if join(a, b, "continues"):
                followed.add(ua)
                preceded.add(ub)
    groups: dict[int, list[TrackSummary]] = {}
    for t in sorted(tracks):
        groups.setdefault(root(t), []).append(tracks[t])
    strides = strides or {}
    return sorted(
        (subject_of(members, o, how.get(r, set()), strides.get(members[0].kind, 1)) for r, members in groups.items()),
        key=lambda s: s.id,
    )


def subject_of(
    members: list[TrackSummary], o: SubjectOptions, links: set[str] = frozenset(), stride: int = 1
) -> Subject:
    """One subject of ``members`` (tracks of one kind), its detectors run on every ``stride``-th frame."""
    top = sorted((s for m in members for s in m.top_scores), reverse=True)[:TOP]
    models = tuple(sorted({name for m in members for name in m.models}))
    best = max(members, key=lambda m: (m.top_scores[0] if m.top_scores else 0.0, -m.id))
    first, last = min(m.first for m in members), max(m.last for m in members)
    detections = sum(m.detections for m in members)  # tracks of one face at once count each frame twice:
    looked = max(1, (last - first) // max(1, stride) + 1)  # presence is capped at 1
    sure = confidence(top, model_weight(models), detections / looked, o.steady)
    return Subject(
        id=min(m.id for m in members),
        kind=members[0].kind,
        tracks=tuple(sorted(m.id for m in members)),
        first=first,
        last=last,
        detections=detections,
        confidence=sure,
        confident=sure >= o.confident,
        models=models,
        best_track=best.id,
        best_frame=best.best_frame,
        best_box=tuple(float(v) for v in best.best_box),
        best_score=best.top_scores[0] if best.top_scores else 0.0,
        links=tuple(sorted(links)),
    )


def one_per_track(
    summaries: Iterable[TrackSummary], options: SubjectOptions | None = None, strides: dict[str, int] | None = None
) -> list[Subject]:
    """Each track its own subject: an analysis made before subjects were linked."""
    o, strides = options or SubjectOptions(), strides or {}
    return sorted((subject_of([s], o, stride=strides.get(s.kind, 1)) for s in summaries), key=lambda s: s.id)
