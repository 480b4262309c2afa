"""CPU time of masking every frame's regions of an analysis, as `redact render` does (OpenCV on
one thread), against skipping no region that lies wholly inside another and against OpenCV's
own thread pool (one process; CPU time is the steady figure on a shared machine).

    redact analyze CLIP && python benchmarks/mask_cost.py CLIP.analysis.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import redact.mask as mask
from redact.evidence.log_reader import LogReader
from redact.options import DetectOptions, MaskOptions
from redact.pipeline.analysis_file import Analysis


def frame_boxes(path: Path) -> tuple[int, int, list[np.ndarray]]:
    """(width, height, each frame's regions as render masks them, margins included)."""
    head = LogReader(path, digest=False).head
    params = head["parameters"]["detect"]
    detect = DetectOptions(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
    width, height = head["input"]["width"], head["input"]["height"]
    boxes = []
    for _, regions in Analysis(path, head, "", None).frame_regions():
        tight = np.array([r.box for r in regions], np.float32).reshape(-1, 4)
        boxes.append(detect.regions(tight, [r.kind for r in regions], width, height))
    return width, height, boxes


def cpu_seconds(width: int, height: int, boxes: list[np.ndarray]) -> float:
    picture = np.random.default_rng(0).integers(0, 255, (height * 3 // 2, width), dtype=np.uint8)
    start = time.process_time()
    for frame in boxes:
        mask.mask_planes(mask.i420_planes(picture, width, height), frame, MaskOptions())
    return time.process_time() - start


def cpu_seconds_as_rendered(width: int, height: int, boxes: list[np.ndarray]) -> float:
    with mask.single_threaded_opencv():
        return cpu_seconds(width, height, boxes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("analysis", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    width, height, boxes = frame_boxes(args.analysis)
    regions = sum(len(b) for b in boxes)
    skipping = [cpu_seconds_as_rendered(width, height, boxes) for _ in range(args.rounds)]
    pooled = [cpu_seconds(width, height, boxes) for _ in range(args.rounds)]
    real = mask.covered_by_another
    mask.covered_by_another = lambda rects: np.zeros(len(rects), bool)
    try:
        every = [cpu_seconds_as_rendered(width, height, boxes) for _ in range(args.rounds)]
    finally:
        mask.covered_by_another = real
    print(f"{len(boxes)} frames with regions, {regions} regions, {width}x{height}")
    print(f"as rendered (one OpenCV thread, regions inside another skipped): {min(skipping):.3f} CPU-s")
    print(f"the same on OpenCV's thread pool:                                {min(pooled):.3f} CPU-s")
    print(f"one OpenCV thread, masking every region:                         {min(every):.3f} CPU-s")


if __name__ == "__main__":
    main()
