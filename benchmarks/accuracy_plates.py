"""Plate redaction accuracy on labelled images (default: ../shared/data/plates, openalpr).

    python benchmarks/accuracy_plates.py [--data FOLDER] [--sheet]
    python benchmarks/accuracy_plates.py --data ../shared/data/faces --no-plates --sheet
                                         # plate regions on images that show no readable plate

Scoring rule (printed with every result): a plate counts as redacted when >= 80% of its box
lies inside the masked regions (boxes under 10 px on the short side ignored); a false region
is a masked region that overlaps no labelled plate. The openalpr set labels ONE plate per
image, so false regions include real plates on other cars: ``--sheet`` writes
``benchmarks/out/plate_false_regions.png`` with every false region cropped, to count them.
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

from redact.boxes import intersection  # noqa: E402
from redact.detect.plates import PlateDetector  # noqa: E402
from redact.options import DetectOptions  # noqa: E402
from redact.scoring import masked_outside, score_image, summarize  # noqa: E402

RULE = "redacted = >=80% of plate box inside masked regions; false region = overlaps no labelled plate"


def contact_sheet(
    crops: list[np.ndarray], path: Path, cell: int = 160, columns: int = 8, first: int | None = None
) -> None:
    """The crops side by side, each scaled into a square cell; numbered from ``first`` if given,
    so that a person can write down which cells show what."""
    if not crops:
        return
    tiles = []
    for n, crop in enumerate(crops):
        h, w = crop.shape[:2]
        f = cell / max(h, w)
        small = cv2.resize(crop, (max(1, int(w * f)), max(1, int(h * f))))
        tile = np.full((cell, cell, 3), 255, np.uint8)
        tile[: small.shape[0], : small.shape[1]] = small
        if first is not None:
            label = str(first + n)
            cv2.putText(tile, label, (3, cell - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 3)
            cv2.putText(tile, label, (3, cell - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 1)
        tiles.append(tile)
    while len(tiles) % columns:
        tiles.append(np.full((cell, cell, 3), 255, np.uint8))
    rows = [cv2.hconcat(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    cv2.imwrite(str(path), cv2.vconcat(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "plates")
    parser.add_argument("--sheet", action="store_true")
    parser.add_argument(
        "--no-plates", action="store_true", help="the images show no readable plate: every plate region is false"
    )
    parser.add_argument(
        "--plate-filter", type=float, metavar="T", help="drop lines the learned plate filter scores below T"
    )
    parser.add_argument(
        "--margins",
        default=None,
        help="also score these plate margins (text heights a side, comma-separated) on the same detections",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    rows = [json.loads(x) for x in (args.data / "annotations.jsonl").read_text().splitlines() if x.strip()]
    detector = PlateDetector(filter_threshold=args.plate_filter or None)
    options = DetectOptions()
    scores: dict[str, list] = {}
    crops, elapsed, missed = [], 0.0, []
    margins = [float(m) for m in args.margins.split(",")] if args.margins else []
    by_margin: dict[float, dict] = {m: {"scores": [], "outside": []} for m in margins}
    for row in rows:
        bgr = cv2.imread(str(args.data / row["image"]))
        start = time.perf_counter()
        found = detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        elapsed += time.perf_counter() - start
        regions = options.regions(found.boxes, found.kinds, row["width"], row["height"])
        gt = np.zeros((0, 4), np.float32) if args.no_plates else np.array(row["boxes"], np.float32).reshape(-1, 4)
        for m in margins:  # the same detections, grown by another margin
            grown = dataclasses.replace(options, plate_margin=m).regions(
                found.boxes, found.kinds, row["width"], row["height"]
            )
            by_margin[m]["scores"].append(score_image(gt, grown, row["width"], row["height"]))
            by_margin[m]["outside"].append(masked_outside(grown, gt, row["width"], row["height"], 0.0))
        s = score_image(gt, regions, row["width"], row["height"])
        region_name = "none" if args.no_plates else Path(row["image"]).name.split("_")[0]
        scores.setdefault(region_name, []).append(s)
        if (s.covered < 0.8).any():
            missed.append(Path(row["image"]).name)
        if args.sheet and len(regions):
            false = intersection(regions, gt).max(axis=1) <= 0 if len(gt) else np.ones(len(regions), bool)
            for x0, y0, x1, y1 in regions[false].astype(int):
                crops.append(bgr[y0:y1, x0:x1])
    frame = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    detector.detect(frame)
    start = time.perf_counter()
    for _ in range(3):
        detector.detect(frame)
    ms_1080p = 1000 * (time.perf_counter() - start) / 3

    result = {
        "rule": RULE,
        "plate_filter": args.plate_filter,
        "ms_per_image": round(1000 * elapsed / len(rows), 1),
        "ms_per_1080p": round(ms_1080p, 1),
    }
    print(f"rule: {RULE}; plate filter: {args.plate_filter or 'off'}")
    for name, group in [*sorted(scores.items()), ("all", [s for g in scores.values() for s in g])]:
        summary = summarize(group)
        counted = summary.counted > 0  # none on images without plates: only false regions count
        result[name] = {
            "images": summary.images,
            "plates": summary.counted,
            "recall": round(summary.recall, 4) if counted else None,
            "missed": summary.counted - round(summary.recall * summary.counted) if counted else 0,
            "false_regions_per_image": round(summary.false_per_image, 3),
        }
        r = result[name]
        recall = f"recall {r['recall']:.3f} ({r['plates']} plates, {r['missed']} missed), " if counted else ""
        print(f"{name:4s}: {recall}false regions/image {r['false_regions_per_image']:.2f}")
    print(f"{result['ms_per_image']:.0f} ms/image, {ms_1080p:.0f} ms per 1080p frame")
    for m, got in by_margin.items():
        summary = summarize(got["scores"])
        missed_m = summary.counted - round(summary.recall * summary.counted)
        result[f"margin_{m:g}"] = {
            "recall": round(summary.recall, 4),
            "missed": missed_m,
            "masked_outside_plates_mean": round(float(np.mean(got["outside"])), 4),
            "masked_outside_plates_worst": round(float(np.max(got["outside"])), 4),
        }
        r = result[f"margin_{m:g}"]
        print(
            f"plate margin {m:g} text heights: recall {r['recall']:.3f} ({missed_m} missed), masked outside the"
            f" labelled plates {100 * r['masked_outside_plates_mean']:.2f}% of an image"
            f" (worst {100 * r['masked_outside_plates_worst']:.1f}%)"
        )
    print("missed:", ", ".join(missed))
    result["missed_images"] = missed
    if args.sheet:
        sheet = args.out / ("plate_regions_on_plateless_images.png" if args.no_plates else "plate_false_regions.png")
        contact_sheet(crops, sheet)
        print(f"{len(crops)} false regions -> {sheet}")
    (args.out / "accuracy_plates.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
