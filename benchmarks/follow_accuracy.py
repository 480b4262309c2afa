"""How well a box a clerk draws is followed (the review page's "Follow forward"), by which
follower: OpenCV's MIL tracker, template matching (both in redact/review/page/follow.py; the
page uses the one `follow` names), and holding the box still (the floor any follower must beat).

    python benchmarks/follow_accuracy.py                     # the bundled sample (exact truth)
    python benchmarks/follow_accuracy.py CLIP [CLIP ...]     # clips analysed with `redact analyze`

Truth: on the bundled sample, its ground-truth face boxes; on another clip, the analysis's
detected boxes of its longest face tracks (detector output, not a person's: an IoU against it
is a measure of agreement). Each follower starts on the first frame's box and follows
``--frames`` frames; per frame with a truth box: IoU, and the share of frames at IoU >= 0.5
(the box still covers the face) before the follower first drops below 0.3 (lost it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.evidence.log_reader import LogReader  # noqa: E402
from redact.review.page.follow import follow, follow_mil, follow_template  # noqa: E402

SAMPLE = ROOT / "samples" / "two_faces_720p.mp4"


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def hold_follow(pictures, box):
    return [tuple(box)] * (sum(1 for _ in pictures) - 1), "end"


FOLLOWERS = {
    "MIL": follow_mil,
    "template match": follow_template,
    "hold still": hold_follow,
}


def sample_cases(frames: int) -> tuple[list[np.ndarray], list[tuple[int, list]]]:
    truth = json.loads(SAMPLE.with_name("two_faces_720p.truth.json").read_text())["frames"]
    pictures = decoded(SAMPLE)
    cases = []
    for face in range(len(truth[0]["faces"])):
        boxes = {i: truth[i]["faces"][face] for i in range(min(frames + 1, len(truth)))}
        cases.append((0, boxes))
    return pictures, cases


def analysed_cases(clip: Path, frames: int, tracks: int) -> tuple[list[np.ndarray], list[tuple[int, dict]]]:
    analysis = clip.with_name(clip.name + ".analysis.json")
    found = [t for t in LogReader(analysis, digest=False).items(("tracks",)) if t["kind"] == "face"]
    found.sort(key=lambda t: -t["detections"])
    cases = []
    for track in found[:tracks]:
        first = track["boxes"][0][0]
        boxes = {b[0]: b[1:5] for b in track["boxes"] if b[0] - first <= frames}
        cases.append((first, boxes))
    return decoded(clip), cases


def measure(pictures, cases, frames: int) -> dict:
    results = {}
    for name, follower in FOLLOWERS.items():
        ious, held, spent, count = [], [], 0.0, 0
        for start, truth in cases:
            span = pictures[start : start + frames + 1]
            t0 = time.process_time()
            boxes, _ = follower(iter(span), truth[start])
            spent += time.process_time() - t0
            count += len(span) - 1
            lost = False
            covered = total = 0
            for offset, box in enumerate(boxes, 1):
                if start + offset not in truth:
                    continue
                score = iou(box, truth[start + offset])
                ious.append(score)
                lost = lost or score < 0.3
                covered += (not lost) and score >= 0.5
                total += 1
            missing = sum(1 for f in truth if f > start + len(boxes)) if len(boxes) < len(span) - 1 else 0
            ious += [0.0] * missing  # frames after the follower gave up count as missed
            total += missing
            held.append(covered / total if total else 0.0)
        results[name] = {
            "mean IoU": round(statistics.fmean(ious), 3) if ious else 0.0,
            "frames covered before lost": round(statistics.fmean(held), 3) if held else 0.0,
            "ms per frame (CPU)": round(1000 * spent / max(count, 1), 1),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--tracks", type=int, default=4)
    args = parser.parse_args()
    runs = [("bundled sample (truth)", *sample_cases(args.frames))]
    runs += [(clip.name + " (detections)", *analysed_cases(clip, args.frames, args.tracks)) for clip in args.clips]
    print(f"shipped: follow = {follow.__name__}")
    print("| clip | faces followed | follower | mean IoU | frames covered (IoU >= 0.5) before lost | ms/frame (CPU) |")
    print("|---|---|---|---|---|---|")
    for label, pictures, cases in runs:
        for name, row in measure(pictures, cases, args.frames).items():
            print(
                f"| {label} | {len(cases)} | {name} | {row['mean IoU']} | {row['frames covered before lost']} |"
                f" {row['ms per frame (CPU)']} |"
            )


if __name__ == "__main__":
    main()
