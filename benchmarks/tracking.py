"""Does tracking close the gaps? Moving-camera clips made from labelled still images.

    python benchmarks/tracking.py [--clips 24] [--frames 60] [--data ../shared/data/faces]
    python benchmarks/tracking.py --preset fast --size 1920x1080   # a preset's detection stride,
                                                                   # detector input size, tracking

Each clip is one labelled image seen through a virtual camera (960x540 unless --size) that pans, zooms in
(1.0x -> 1.6x) and shakes (seeded random walk). The camera is an exact affine map, so the
labelled face boxes give exact per-frame ground truth. Detection runs on every frame (or
every N-th with --every); the masked regions are then computed two ways:

- per-frame: only that frame's detections (what a detector alone gives);
- tracked: redact's Tracker over the same detections (coast, interpolation, back-fill).

Reported per way: the share of (frame, face) pairs left unmasked, the longest run of
consecutive unmasked frames of any face, false face regions per frame, and the share of each
frame masked outside every labelled face (grown 30 % a side, as masked): mean and worst frame,
what the derivative loses of the scene. ``--cache DIR`` keeps each clip's detections, so a
change to tracking alone is measured in seconds on the same detections. With ``--plates``
the plate detector runs and is tracked too, with the preset's plate settings (``--plate-filter
T`` overrides its filter threshold): the images show no readable plate, so every plate region
is false, and they are reported per frame apart from the faces'. With ``--kind plate`` the clips
are made of the labelled plate images instead (default data ``../shared/data/plates``, one
labelled plate per image, so plates on other cars count as false regions) and the plate
detector is the one scored. Scoring: a face counts as masked when >= 80% of its
box lies inside the masked regions; faces flagged invalid, under 10 px, or less than 80%
inside the frame are ignored in that frame.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.appearance import looks  # noqa: E402
from redact.boxes import intersection  # noqa: E402
from redact.detect.factory import build_detectors, face_detector  # noqa: E402
from redact.detect.turned import TurnedDetector  # noqa: E402
from redact.detect.upright import on_frame  # noqa: E402
from redact.geometry import rotate_boxes  # noqa: E402
from redact.mask import i420_planes  # noqa: E402
from redact.options import RedactOptions  # noqa: E402
from redact.presets import options_from_preset  # noqa: E402
from redact.scoring import coverage, masked_outside  # noqa: E402
from redact.subjects import SamePlace, TrackSummary, link, one_per_track  # noqa: E402
from redact.track import Tracker  # noqa: E402

OUT_W, OUT_H = 960, 540  # changed by --size
UNCARRIED = "tracked, uncertain not carried"  # --uncertain-uncarried: measured, not shipped


# --track-evidence: which face tracks a precision filter on whole tracks would keep. Each rule
# sees the whole track (all its detections, past and future), which the pipeline, masking a
# few frames after detection, cannot: an upper bound on what such a filter can remove.
def models_of(track) -> int:
    """How many face models found a track (a turned copy's "centerface@90" is CenterFace)."""
    return len({m.split("@")[0] for m in track.models})


TRACK_RULES = {
    "found by both models": lambda t: models_of(t) >= 2,
    "max score >= 0.5": lambda t: max(t.scores) >= 0.5,
    "max score >= 0.35": lambda t: max(t.scores) >= 0.35,
    ">= 3 detections or max >= 0.5": lambda t: len(t.frames) >= 3 or max(t.scores) >= 0.5,
    "both models or max >= 0.5": lambda t: models_of(t) >= 2 or max(t.scores) >= 0.5,
}


def camera_path(
    frames: int, rng: np.random.Generator, width: int, height: int, shake_px: float = 1.5
) -> list[np.ndarray]:
    """2x3 affine maps (source image -> output frame) for a pan + zoom + shake: a random walk
    whose step per frame has ``shake_px`` spread, so a larger one jerks the picture a new way
    every frame (a running officer, a struggle), the motion interpolation between detected
    frames follows worst."""
    window_w = min(width, height * OUT_W / OUT_H)
    start = np.array([width / 2, height / 2]) + rng.uniform(-0.1, 0.1, 2) * [width, height]
    pan = rng.uniform(-0.15, 0.15, 2) * [width, height]
    shake = np.cumsum(rng.normal(0, 1.5, (frames, 2)), axis=0)
    if shake_px != 1.5:  # drawn after the default walk, so clips and paths stay those of earlier results
        steps = rng.normal(0, shake_px, (frames, 2))
        shake = np.cumsum(steps, axis=0) * (OUT_W / 1920)  # px of a 1920-wide frame, at any --size
    maps = []
    for i in range(frames):
        p = i / max(1, frames - 1)
        zoom = 1.0 + 0.6 * p
        scale = OUT_W / (window_w / zoom)
        centre = start + pan * p
        tx = OUT_W / 2 - centre[0] * scale + shake[i, 0]
        ty = OUT_H / 2 - centre[1] * scale + shake[i, 1]
        maps.append(np.array([[scale, 0, tx], [0, scale, ty]], np.float32))
    return maps


def transform_boxes(boxes: np.ndarray, m: np.ndarray) -> np.ndarray:
    s, tx, ty = m[0, 0], m[0, 2], m[1, 2]
    return boxes * s + np.array([tx, ty, tx, ty], np.float32)


def scored_faces(boxes: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """Faces that count in a frame: valid, >= 10 px short side, >= 80% inside the frame."""
    clipped = boxes.copy()
    clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, OUT_W)
    clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, OUT_H)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    inside = (clipped[:, 2] - clipped[:, 0]).clip(0) * (clipped[:, 3] - clipped[:, 1]).clip(0)
    short = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    return (~invalid) & (short >= 10) & (inside >= 0.8 * np.maximum(area, 1))


@dataclasses.dataclass
class Found:
    """A clip's detections of one frame, as the detector returned them or from ``--cache``."""

    boxes: np.ndarray
    scores: np.ndarray
    kinds: np.ndarray
    models: np.ndarray


# detection settings added after caches were first kept: at their defaults they change nothing, and
# are left out of the key so that detections kept before they existed are found again
ADDED_SETTINGS = (
    "yunet_threshold",
    "confirm_with",
    "confirm_sure",
    "confirm_threshold",
    "confirm_face_px",
    "periodic_model",
    "periodic_every",
    "periodic_turned_size",
)


def options_key(options) -> str:
    """The detection settings as a cache key: ``repr``, without later settings left at their defaults."""
    import re

    text, defaults = repr(options), type(options)()
    for name in ADDED_SETTINGS:
        if getattr(options, name) == getattr(defaults, name):
            text = re.sub(rf", {name}=('[^']*'|[^,)]*)", "", text)
    return text


def cache_file(args, options, image: str, clip_no: int) -> Path:
    """Where one clip's detections are kept: named by everything that decides them."""
    import hashlib

    what = [image, clip_no, args.clips, args.seed, args.frames, args.size, args.every, args.rotate, args.shake]
    what += [args.kind, options_key(options)]
    what += [args.turned_min_score]
    return args.cache / f"{hashlib.sha256(repr(what).encode()).hexdigest()[:20]}.npz"


def detection_rows(t) -> list:
    return [[f, *b, s] for f, b, s in zip(t.frames, t.boxes, t.scores, strict=True)]


def subjects_of(tracker: Tracker, frames: int, fps: float, linked: bool = True, every: int = 1) -> list:
    """The clip's subjects as an analysis lists them (``redact.subjects``), from its tracks."""
    summaries = [TrackSummary.of(t.id, t.kind, detection_rows(t), t.models, t.look()) for t in tracker.tracks]
    strides = {"face": every, "plate": every}
    if not linked:
        return one_per_track(summaries, strides=strides)
    same = SamePlace()
    for i in range(frames):
        detected = [r for r in tracker.regions(i) if r.reason == "detected"]
        same.add([r.track for r in detected], [r.kind for r in detected], np.array([r.box for r in detected]))
    return link(summaries, same, fps, strides=strides)


def identities(tracker: Tracker, truths: list[np.ndarray]) -> dict[int, int]:
    """Track id -> the labelled face (index) most of its detections lie on (IoU >= 0.3), or -1."""
    from redact.boxes import iou

    out = {}
    for t in tracker.tracks:
        votes: dict[int, int] = {}
        for f, b in zip(t.frames, t.boxes, strict=True):
            gt = truths[f]
            if not len(gt):
                continue
            overlaps = iou(b[None], gt)[0]
            best = int(np.argmax(overlaps))
            if overlaps[best] >= 0.3:
                votes[best] = votes.get(best, 0) + 1
        face, n = max(votes.items(), key=lambda kv: kv[1], default=(-1, 0))
        out[t.id] = face if 2 * n >= len(t.frames) else -1
    return out


def review_list(
    subjects: list, identity: dict[int, int], faces: set[int], list_all: bool = False, off_face: list | None = None
) -> dict:
    """What a clerk's list holds for one clip: the confident subjects one by one, the rest as one
    group per kind; which are on a labelled face (``faces``: those scored in some frame).
    ``off_face`` collects the listed subjects on no labelled face (to look at)."""
    listed = [s for s in subjects if s.confident or list_all]
    on_face: dict[int, int] = {}
    real = 0
    for s in listed:
        votes: dict[int, int] = {}
        for t in s.tracks:
            votes[identity.get(t, -1)] = votes.get(identity.get(t, -1), 0) + 1
        face = max(votes.items(), key=lambda kv: (kv[0] >= 0, kv[1]))[0]
        if face >= 0:
            real += 1
            on_face[face] = on_face.get(face, 0) + 1
        elif off_face is not None:
            off_face.append(s)
    uncertain = set() if list_all else {s.kind for s in subjects if not s.confident}
    return {
        "listed": len(listed) + len(uncertain),
        "subjects": len(listed),
        "uncertain_regions": 0 if list_all else sum(1 for s in subjects if not s.confident),
        "on_a_face": real,
        "faces": len(faces),
        "faces_without_item": len(faces - set(on_face)),
        "fragments": sum(n for f, n in on_face.items() if f in faces),
        "faces_with_item": len(faces & set(on_face)),
    }


def longest_run(flags: list[bool]) -> int:
    best = run = 0
    for missed in flags:
        run = run + 1 if missed else 0
        best = max(best, run)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="default: ../shared/data/faces (or plates)")
    parser.add_argument("--kind", choices=("face", "plate"), default="face", help="what the clips are scored on")
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--every", type=int, default=None, help="detect on every N-th frame (default: the preset's)")
    parser.add_argument("--preset", default=None, help="take detection and tracking options from this preset")
    parser.add_argument("--size", default="960x540", help="camera output WxH")
    parser.add_argument("--face-models", default=None, help="e.g. centerface,retinaface (default: the preset's)")
    parser.add_argument("--turned", action="store_true", help="also detect on copies turned a quarter each way")
    parser.add_argument("--upright", action="store_true", help="upright faces only (no turned copies)")
    parser.add_argument("--turned-every", type=int, default=None, help="turned copies on every N-th detected frame")
    parser.add_argument("--turned-min-score", type=float, default=None, help="score a turned copy's face needs")
    parser.add_argument(
        "--rotate", type=int, choices=[0, 90, 180, 270], default=0, help="turn every image (and its boxes) first"
    )
    parser.add_argument("--confirm-hits", type=int, default=None, help="detections before a track coasts")
    parser.add_argument("--confirm-score", type=float, default=None, help="or one detection at least this sure")
    parser.add_argument("--plates", action="store_true", help="run and track the plate detector too")
    parser.add_argument("--plate-filter", type=float, default=None, help="plate filter threshold (0: off)")
    parser.add_argument(
        "--track-evidence",
        action="store_true",
        help="also score keeping only the face tracks each TRACK_RULES rule keeps",
    )
    parser.add_argument(
        "--sheet", action="store_true", help="write false tracked face regions (every 25th) to tracking_false_faces.png"
    )
    parser.add_argument(
        "--shake", type=float, default=1.5, help="camera shake: random-walk step per frame, px at 1920 wide"
    )
    parser.add_argument(
        "--uncertain-uncarried",
        action="store_true",
        help="also score not coasting or back-filling the tracks of uncertain subjects (masked where detected only)",
    )
    parser.add_argument("--no-looks", action="store_true", help="link subjects without how tracks look")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", type=Path, default=None, help="keep and reuse each clip's detections here")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.data = args.data or ROOT.parent / "shared" / "data" / ("faces" if args.kind == "face" else "plates")
    global OUT_W, OUT_H
    OUT_W, OUT_H = (int(v) for v in args.size.split("x"))
    # without --preset: the library defaults (native size, one scale; since 2026-12-02 turned
    # copies on every 4th frame: --upright for the figures of earlier results)
    chosen_options = options_from_preset(args.preset) if args.preset else RedactOptions()
    confirm = {"confirm_hits": args.confirm_hits, "confirm_score": args.confirm_score}
    confirm = {k: v for k, v in confirm.items() if v is not None}
    if confirm:
        chosen_options = dataclasses.replace(chosen_options, track=dataclasses.replace(chosen_options.track, **confirm))
    every = args.every or chosen_options.detect.every
    args.every = every

    rows = [json.loads(x) for x in (args.data / "annotations.jsonl").read_text().splitlines() if x.strip()]
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(rows), size=min(args.clips, len(rows)), replace=False)
    options = chosen_options.detect
    if args.face_models:
        options = dataclasses.replace(options, face_models=tuple(args.face_models.split(",")))
    if args.turned or args.upright:
        options = dataclasses.replace(options, turned_faces=args.turned)
    if args.turned_every:
        options = dataclasses.replace(options, turned_every=args.turned_every)
    options = dataclasses.replace(options, every=every)  # the turned copies' stride counts detected frames
    if args.plate_filter is not None:
        options = dataclasses.replace(options, plate_filter=args.plate_filter)
    detector = (
        face_detector(options)
        if args.kind == "face"
        else build_detectors(dataclasses.replace(options, kinds=("plate",)))[0]
    )
    if args.turned_min_score is not None and isinstance(detector, TurnedDetector):  # measured, not shipped
        detector = TurnedDetector(detector.detector, every=detector.every, min_score=args.turned_min_score)
    plate_detector = build_detectors(dataclasses.replace(options, kinds=("plate",)))[0] if args.plates else None
    plate_regions = {"per-frame": 0, "tracked": 0}  # every one is false: the images show no readable plate
    plate_s = 0.0
    ways = ["per-frame", "tracked", *(f"tracked, keep {r}" for r in (TRACK_RULES if args.track_evidence else ()))]
    if args.uncertain_uncarried:
        ways.append(UNCARRIED)
    totals = {way: [0, 0] for way in ways}
    false_regions = dict.fromkeys(ways, 0)  # masked regions over no labelled face (any size)
    runs: dict[str, list[int]] = {way: [] for way in ways}
    outside: dict[str, list[float]] = {way: [] for way in ways}  # per frame: share masked outside labelled faces
    lists: dict[str, list[dict]] = {"tracks": [], "subjects": []}
    detect_s = 0.0
    false_crops: list[np.ndarray] = []
    subject_crops: list[np.ndarray] = []
    false_seen = 0
    for clip_no, row_index in enumerate(chosen):
        row = rows[row_index]
        image = cv2.cvtColor(cv2.imread(str(args.data / row["image"])), cv2.COLOR_BGR2RGB)
        gt = np.array(row["boxes"], np.float32).reshape(-1, 4)
        if args.rotate:  # a person on the ground, a camera knocked sideways: the faces turned
            gt = rotate_boxes(gt, args.rotate // 90, image.shape[1], image.shape[0])
            image = np.ascontiguousarray(np.rot90(image, args.rotate // 90))
        invalid = np.array([a.get("invalid", 0) for a in row.get("box_attrs", [{}] * len(gt))], bool)
        maps = camera_path(args.frames, rng, image.shape[1], image.shape[0], args.shake)
        tracker = Tracker(chosen_options.track)
        plate_tracker = Tracker(chosen_options.track)
        per_frame_regions, truths = [], []
        cached = cache_file(args, options, row["image"], clip_no) if args.cache else None
        stored = dict(np.load(cached, allow_pickle=True)) if cached is not None and cached.exists() else None
        kept_found: dict[str, np.ndarray] = {}
        for i, m in enumerate(maps):
            frame = None if stored is not None else cv2.warpAffine(image, m, (OUT_W, OUT_H), flags=cv2.INTER_LINEAR)
            truths.append(transform_boxes(gt, m))
            if i % args.every == 0:
                start = time.perf_counter()
                if stored is not None:
                    found = Found(*(stored[f"{i}_{k}"] for k in ("boxes", "scores", "kinds", "models")))
                else:
                    found = on_frame([detector], i)[0].detect(frame)
                    kept_found.update(
                        {f"{i}_{k}": np.asarray(getattr(found, k)) for k in ("boxes", "scores", "kinds", "models")}
                    )
                detect_s += time.perf_counter() - start
                seen = None
                if not args.no_looks and len(found.boxes):  # how each looks (appearance.py), as analyze does
                    frame = cv2.warpAffine(image, m, (OUT_W, OUT_H), flags=cv2.INTER_LINEAR) if frame is None else frame
                    planes = i420_planes(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420), OUT_W, OUT_H)
                    seen = looks(planes, found.boxes)
                tracker.update(i, found.boxes, found.scores, found.kinds, found.models, seen)
                per_frame_regions.append(found.boxes)
                if plate_detector is not None:
                    frame = cv2.warpAffine(image, m, (OUT_W, OUT_H), flags=cv2.INTER_LINEAR) if frame is None else frame
                    start = time.perf_counter()
                    plates = plate_detector.detect(frame)
                    plate_s += time.perf_counter() - start
                    plate_tracker.update(i, plates.boxes, plates.scores, plates.kinds, plates.models)
                    plate_regions["per-frame"] += len(plates)
            else:
                per_frame_regions.append(np.zeros((0, 4), np.float32))
        if cached is not None and stored is None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cached, **kept_found)
        missed: dict[str, np.ndarray] = {}
        linked = subjects_of(tracker, args.frames, 30.0, True, args.every)  # once: the list and UNCARRIED use them
        uncertain = {t for s in linked if not s.confident for t in s.tracks}
        for way in ways:
            flags = np.zeros((args.frames, len(gt)), bool)
            counted = np.zeros((args.frames, len(gt)), bool)
            rule = TRACK_RULES.get(way.removeprefix("tracked, keep "))
            kept = {t.id for t in tracker.tracks if rule is None or rule(t)}
            for i in range(args.frames):
                boxes = (
                    per_frame_regions[i]
                    if way == "per-frame"
                    else np.array(
                        [
                            r.box
                            for r in tracker.regions(i)
                            if r.track in kept
                            and not (
                                way == UNCARRIED and r.track in uncertain and r.reason in ("coasted", "back-filled")
                            )
                        ],
                        np.float32,
                    ).reshape(-1, 4)
                )
                regions = options.regions(boxes, np.full(len(boxes), args.kind), OUT_W, OUT_H)
                cover = coverage(truths[i], regions, OUT_W, OUT_H)
                false = (
                    intersection(regions, truths[i]).max(axis=1) <= 0
                    if len(regions) and len(truths[i])
                    else np.ones(len(regions), bool)
                )
                false_regions[way] += int(false.sum())
                outside[way].append(masked_outside(regions, truths[i], OUT_W, OUT_H, options.margin))
                if args.sheet and way == "tracked" and false.any():
                    frame = None
                    for x0, y0, x1, y1 in regions[false].astype(int):
                        false_seen += 1
                        if false_seen % 25 == 0 and x1 > x0 and y1 > y0:
                            frame = cv2.warpAffine(image, maps[i], (OUT_W, OUT_H)) if frame is None else frame
                            false_crops.append(cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_RGB2BGR))
                counted[i] = scored_faces(truths[i], invalid)
                flags[i] = counted[i] & (cover < 0.8)
            if way == "tracked" and plate_detector is not None:
                plate_regions[way] += sum(len(plate_tracker.regions(i)) for i in range(args.frames))
            totals[way][0] += int(flags.sum())
            totals[way][1] += int(counted.sum())
            runs[way].extend(longest_run(list(flags[:, f])) for f in range(len(gt)) if counted[:, f].any())
            missed[way] = flags
            scored_counts = counted
        counted_faces = set(np.flatnonzero(scored_counts.any(axis=0)).tolist())
        identity = identities(tracker, truths)
        off_face: list = []
        per_track = subjects_of(tracker, args.frames, 30.0, False, args.every)
        lists["tracks"].append(review_list(per_track, identity, counted_faces, True))
        lists["subjects"].append(review_list(linked, identity, counted_faces, False, off_face))
        if args.sheet:  # the listed subjects on no labelled face: unlabelled heads, or false?
            for s in off_face:
                x0, y0, x1, y1 = (int(v) for v in s.best_box)
                frame = cv2.warpAffine(image, maps[s.best_frame], (OUT_W, OUT_H))
                pad = max(4, (x1 - x0) // 2)
                crop = frame[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
                if crop.size:
                    subject_crops.append(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        print(
            f"clip {clip_no + 1:2d} {row['image'][7:50]:44s} faces {len(gt):2d}: unmasked "
            + ", ".join(f"{w} {missed[w].sum():4d}" for w in ("per-frame", "tracked")),
            flush=True,
        )
    result = {
        "rule": ">=80% of box inside masked regions; invalid, <10 px and <80%-in-frame faces ignored",
        "kind": args.kind,
        "clips": len(chosen),
        "frames_per_clip": args.frames,
        "preset": args.preset,
        "size": [OUT_W, OUT_H],
        "detect_every": args.every,
        "face_models": list(options.face_models),
        "turned_faces": options.turned_faces,
        "turned_every": options.turned_every,
        "turned_min_score": args.turned_min_score,
        "small_faces_every": options.small_faces_every if options.small_faces else None,
        "thresholds": {"centerface": options.threshold, "retinaface": options.retinaface_threshold},
        "rotate": args.rotate,
        "shake_px": args.shake,
        "confirm": [chosen_options.track.confirm_hits, chosen_options.track.confirm_score],
        "detect_ms_per_frame": round(1000 * detect_s / (len(chosen) * -(-args.frames // args.every)), 1),
        "plates": args.plates,
        "plate_filter": options.plate_filter if args.plates or args.kind == "plate" else None,
        "plate_detect_ms_per_frame": round(1000 * plate_s / (len(chosen) * -(-args.frames // args.every)), 1),
    }
    print(f"\n{len(chosen)} clips x {args.frames} frames, detect every {args.every}; rule: {result['rule']}")
    for name, rows_ in lists.items():
        total = {k: sum(r[k] for r in rows_) for k in rows_[0]} if rows_ else {}
        if not total:
            continue
        shown = {"tracks": "tracks as today (a row each)", "subjects": "subjects (sure listed, rest grouped)"}[name]
        result[f"review_{name}"] = {
            **total,
            "items_per_true_face": round(total["listed"] / max(1, total["faces"]), 2),
            "share_on_a_face": round(total["on_a_face"] / max(1, total["subjects"]), 3),
            "fragments_per_face": round(total["fragments"] / max(1, total["faces_with_item"]), 2),
        }
        r = result[f"review_{name}"]
        print(
            f"review, {shown}: {r['listed']} items for {r['faces']} labelled {args.kind}s"
            f" ({r['items_per_true_face']} per face), {100 * r['share_on_a_face']:.0f}% of listed items on a face,"
            f" {r['fragments_per_face']} per face found, {r['faces_without_item']} faces without an item,"
            f" {r['uncertain_regions']} regions in the uncertain groups"
        )
    for way in ways:
        unmasked, counted = totals[way]
        result[way] = {
            "face_frames": counted,
            "unmasked": unmasked,
            "unmasked_share": round(unmasked / max(1, counted), 4),
            "longest_unmasked_run": max(runs[way], default=0),
            "mean_longest_run_per_face": round(float(np.mean(runs[way])) if runs[way] else 0.0, 2),
            "false_face_regions_per_frame": round(false_regions[way] / (len(chosen) * args.frames), 3),
            "masked_outside_faces_mean": round(float(np.mean(outside[way])), 4),
            "masked_outside_faces_worst_frame": round(float(np.max(outside[way])), 4),
        }
        if args.plates and way in plate_regions:
            result[way]["false_plate_regions_per_frame"] = round(plate_regions[way] / (len(chosen) * args.frames), 3)
        r = result[way]
        print(
            f"{way:9s}: {r['unmasked']} of {r['face_frames']} {args.kind}-frames unmasked"
            f" ({100 * r['unmasked_share']:.2f}%),"
            f" longest unmasked run {r['longest_unmasked_run']} frames,"
            f" mean per-face longest run {r['mean_longest_run_per_face']},"
            f" false {args.kind} regions per frame {r['false_face_regions_per_frame']},"
            f" masked outside labelled {args.kind}s {100 * r['masked_outside_faces_mean']:.2f}% of a frame"
            f" (worst {100 * r['masked_outside_faces_worst_frame']:.1f}%)"
            + (
                f", false plate regions per frame {r['false_plate_regions_per_frame']}"
                if "false_plate_regions_per_frame" in r
                else ""
            )
        )
    args.out.mkdir(parents=True, exist_ok=True)
    if args.sheet:
        from accuracy_plates import contact_sheet

        contact_sheet(false_crops, args.out / "tracking_false_faces.png")
        contact_sheet(subject_crops, args.out / "tracking_listed_off_face.png", first=1)
        print(f"{len(subject_crops)} listed subjects on no labelled face -> tracking_listed_off_face.png")
        print(f"{len(false_crops)} of {false_seen} false tracked face regions -> tracking_false_faces.png")
    models = "+".join(options.face_models) + ("_turned" if options.turned_faces else "")
    models += f"{options.turned_every}" if options.turned_faces and options.turned_every > 1 else ""
    models += f"min{args.turned_min_score}" if options.turned_faces and args.turned_min_score else ""
    models += f"_small{options.small_faces_every}" if options.small_faces else ""
    models += f"_confirm{chosen_options.track.confirm_hits}-{chosen_options.track.confirm_score}"
    models += f"_plates{options.plate_filter}" if args.plates or args.kind == "plate" else ""
    models += "_evidence" if args.track_evidence else ""
    models += f"_rotated{args.rotate}" if args.rotate else ""
    models += f"_shake{args.shake:g}" if args.shake != 1.5 else ""
    preset = Path(args.preset).stem if args.preset else "every"  # a preset's name, or its file's
    name = f"tracking_{args.kind + 's_' if args.kind == 'plate' else ''}{preset}{args.every}"
    name += f"_{OUT_W}_{models}.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
