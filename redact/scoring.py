"""Redaction scoring against labelled boxes, as the benchmarks report it.

Rule: boxes flagged ``invalid`` and boxes whose short side is below ``min_size`` are
*ignored* (neither a miss nor a hit). A labelled box counts as redacted when at least
``cover`` of its area lies inside the union of masked regions. A *false region* is a masked
region that overlaps no labelled box at all (ignored ones included).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import expand, intersection, iou


@dataclass(frozen=True)
class ImageScore:
    covered: np.ndarray  # fraction of each labelled box inside the masked union
    ignored: np.ndarray  # bool per labelled box
    short_side: np.ndarray  # px per labelled box
    false_regions: int
    regions: int


def rasterize(regions: np.ndarray, width: int, height: int, shape: str = "box") -> np.ndarray:
    """The union of regions as a uint8 mask; ``shape="ellipse"`` fills the inscribed ellipses."""
    mask = np.zeros((height, width), np.uint8)
    for x0, y0, x1, y1 in np.asarray(regions, np.float32).reshape(-1, 4):
        if shape == "ellipse":
            center = (round(float(x0 + x1) / 2), round(float(y0 + y1) / 2))
            axes = (max(1, round(float(x1 - x0) / 2)), max(1, round(float(y1 - y0) / 2)))
            cv2.ellipse(mask, center, axes, 0, 0, 360, 1, thickness=-1)
        else:
            mask[int(np.floor(y0)) : int(np.ceil(y1)), int(np.floor(x0)) : int(np.ceil(x1))] = 1
    return mask


def coverage(gt: np.ndarray, regions: np.ndarray, width: int, height: int, shape: str = "box") -> np.ndarray:
    """Fraction of each ground-truth box covered by the union of ``regions`` (rasterized)."""
    gt = np.asarray(gt, np.float32).reshape(-1, 4)
    if len(gt) == 0:
        return np.zeros(0)
    mask = rasterize(regions, width, height, shape)
    integral = np.pad(mask.cumsum(0).cumsum(1), ((1, 0), (1, 0))).astype(np.int64)
    out = np.zeros(len(gt))
    for i, (x0, y0, x1, y1) in enumerate(np.round(gt).astype(int)):
        x0, x1 = np.clip([x0, x1], 0, width)
        y0, y1 = np.clip([y0, y1], 0, height)
        total = (x1 - x0) * (y1 - y0)
        if total <= 0:
            continue
        inside = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
        out[i] = inside / total
    return out


def masked_outside(regions: np.ndarray, truth: np.ndarray, width: int, height: int, margin: float = 0.3) -> float:
    """Share of the picture masked where no labelled object is: the union of ``regions`` less
    every ``truth`` box grown by ``margin`` a side (as a face is masked). What a derivative loses
    of the scene it was made to keep: a sign, a hand, the street."""
    masked = rasterize(regions, width, height).astype(bool)
    if len(np.asarray(truth).reshape(-1, 4)):
        masked &= ~rasterize(expand(truth, margin, width, height), width, height).astype(bool)
    return float(masked.mean())


def score_image(
    gt: np.ndarray,
    regions: np.ndarray,
    width: int,
    height: int,
    invalid: np.ndarray | None = None,
    min_size: float = 10,
    shape: str = "box",
) -> ImageScore:
    gt = np.asarray(gt, np.float32).reshape(-1, 4)
    regions = np.asarray(regions, np.float32).reshape(-1, 4)
    short = np.minimum(gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1])
    ignored = short < min_size
    if invalid is not None:
        ignored |= np.asarray(invalid, bool)
    touching = intersection(regions, gt) > 0
    false_regions = int((~touching.any(axis=1)).sum()) if len(regions) else 0
    return ImageScore(coverage(gt, regions, width, height, shape), ignored, short, false_regions, len(regions))


@dataclass(frozen=True)
class Summary:
    recall: float
    recall_large: float
    counted: int
    counted_large: int
    false_per_image: float
    images: int


def summarize(scores: list[ImageScore], cover: float = 0.8, large: float = 20) -> Summary:
    covered = np.concatenate([s.covered for s in scores]) if scores else np.zeros(0)
    ignored = np.concatenate([s.ignored for s in scores]) if scores else np.zeros(0, bool)
    short = np.concatenate([s.short_side for s in scores]) if scores else np.zeros(0)
    hit = covered >= cover
    counted = ~ignored
    counted_large = counted & (short >= large)
    return Summary(
        recall=float(hit[counted].mean()) if counted.any() else float("nan"),
        recall_large=float(hit[counted_large].mean()) if counted_large.any() else float("nan"),
        counted=int(counted.sum()),
        counted_large=int(counted_large.sum()),
        false_per_image=sum(s.false_regions for s in scores) / max(1, len(scores)),
        images=len(scores),
    )


def precision_recall(
    scores: list[np.ndarray], matched: list[np.ndarray], positives: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(recall, precision, score threshold) at every detection, best score first.

    ``matched`` holds 1 for a true positive, 0 for a false positive and -1 for a detection
    matched to an ignored box (dropped, neither TP nor FP).
    """
    s = np.concatenate(scores) if scores else np.zeros(0)
    m = np.concatenate(matched) if matched else np.zeros(0)
    keep = m >= 0
    s, m = s[keep], m[keep]
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(m[order] == 1)
    fp = np.cumsum(m[order] == 0)
    return tp / max(positives, 1), tp / np.maximum(tp + fp, 1), s[order]


def average_precision(scores: list[np.ndarray], matched: list[np.ndarray], positives: int) -> float:
    """VOC-style AP (all-point interpolation) from per-detection scores and TP flags."""
    recall, precision, _ = precision_recall(scores, matched, positives)
    if positives == 0 or len(recall) == 0:
        return 0.0
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    recall = np.concatenate([[0.0], recall])
    return float(np.sum((recall[1:] - recall[:-1]) * precision))


def match_iou(boxes: np.ndarray, scores: np.ndarray, gt: np.ndarray, ignored: np.ndarray, thr: float = 0.5):
    """Greedy IoU matching in score order: 1 TP, 0 FP, -1 matched an ignored box."""
    out = np.zeros(len(boxes), np.int8)
    if len(boxes) == 0 or len(gt) == 0:
        return out
    overlaps = iou(boxes, gt)
    taken = np.zeros(len(gt), bool)
    for i in np.argsort(-scores):
        candidates = np.where(~taken | ignored, overlaps[i], -1)
        j = int(np.argmax(candidates))
        if candidates[j] >= thr:
            if ignored[j]:
                out[i] = -1
            else:
                out[i] = 1
                taken[j] = True
    return out
