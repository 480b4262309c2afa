"""Licence plates from a scene-text detector (PP-OCRv4 det, Apache-2.0) plus a plate filter.

A plate is a short line of large, high-contrast characters; a general text detector finds
it reliably (it is trained on scene text of every kind), and a cheap filter on the shape of
each text line keeps those that can be plates. The filter errs towards masking: a shop sign
masked by mistake costs little, a readable plate in a court copy is a leak.

Each plate-shaped line is then read (``plate_text.py``) and dropped only when it confidently
reads as something that cannot be a plate, such as a burned-in timestamp. With a threshold
(``DetectOptions.plate_filter``, off by default) the learned filter (``plate_filter.py``) then
leaves unmasked the lines it scores as not plates: banners, signs, prints.

The network is a DBNet: it outputs a per-pixel text probability map; text lines are the
connected regions above ``BIN_THRESHOLD``, scored by their mean probability and grown by the
"unclip" distance the network was trained to shrink them by.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..detections import Detections
from ..models import PLATE_FILTER, PPOCR_DET, PPOCR_REC, locate
from .base import DetectorInfo
from .plate_filter import PlateFilter
from .plate_text import PlateReader, not_a_plate
from .runtime import make_session

BIN_THRESHOLD = 0.3  # PaddleOCR's default for the probability map
UNCLIP_RATIO = 1.6  # PaddleOCR's default: text kernels are shrunk by this at training time
FILTERED = "not plate-like to the filter"  # why the learned filter's lines were dropped, in the log
TOO_TALL = "taller than any plate"  # plate-shaped text lines over max_height of the picture


def text_lines(prob: np.ndarray, box_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned boxes (in ``prob`` pixels) and scores of the text lines in a DB map."""
    mask = cv2.dilate((prob > BIN_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes, scores = [], []
    for label in range(1, count):
        x, y, w, h, area = stats[label]
        if min(w, h) < 3:
            continue
        score = float(prob[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label].mean())
        if score < box_threshold:
            continue
        distance = area * UNCLIP_RATIO / max(1.0, 2.0 * (w + h))  # polygon area * r / perimeter
        boxes.append([x - distance, y - distance, x + w + distance, y + h + distance])
        scores.append(score)
    return np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32)


def plate_like(
    boxes: np.ndarray, min_aspect: float, max_aspect: float, min_height: float, max_height: float = np.inf
) -> np.ndarray:
    """Text lines whose shape fits a plate (one line, wider than tall, not tiny, not taller than
    ``max_height`` pixels)."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    aspect = w / np.maximum(h, 1)
    return (aspect >= min_aspect) & (aspect <= max_aspect) & (h >= min_height) & (h <= max_height)


class PlateDetector:
    """Licence plates in an RGB image."""

    def __init__(
        self,
        box_threshold: float = 0.5,
        max_side: int = 1280,
        min_side: int = 736,
        min_aspect: float = 1.2,
        max_aspect: float = 9.0,
        min_height: float = 6.0,
        max_height: float = 0.3,
        read_text: bool = True,
        filter_threshold: float | None = None,
        threads: int | None = None,
    ):
        self.box_threshold = box_threshold
        self.max_side, self.min_side = max_side, min_side
        self.min_aspect, self.max_aspect, self.min_height = min_aspect, max_aspect, min_height
        # a line of characters taller than this share of the picture's shorter side is no plate:
        # the tallest labelled plate (border included) in the training photos is 36 % of it, its
        # characters about 0.7 of that (a patterned vest read as text was 46 %)
        self.max_height = max_height
        self.session = make_session(str(locate(PPOCR_DET)), threads)
        self.input_name = self.session.get_inputs()[0].name
        self.reader = PlateReader(threads) if read_text else None
        self.filter = PlateFilter(filter_threshold, threads) if filter_threshold else None  # 0 or None: off
        self.dropped: dict[str, int] = {}  # text lines dropped by reason (never the text itself)
        self.info = DetectorInfo(
            name="ppocrv4-det" + ("+rec" if read_text else "") + ("+filter" if filter_threshold else ""),
            kind="plate",
            model_file=PPOCR_DET.filename,
            model_sha256=PPOCR_DET.sha256,
            settings={
                "box_threshold": box_threshold,
                "max_side": max_side,
                "min_side": min_side,
                "aspect": [min_aspect, max_aspect],
                "min_height": min_height,
                "max_height_of_short_side": max_height,
                "reader": {"model_file": PPOCR_REC.filename, "model_sha256": PPOCR_REC.sha256} if read_text else None,
                "filter": (
                    {
                        "model_file": PLATE_FILTER.filename,
                        "model_sha256": PLATE_FILTER.sha256,
                        "threshold": filter_threshold,
                    }
                    if filter_threshold
                    else None
                ),
            },
            providers=tuple(self.session.get_providers()),
        )

    def text(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All text lines (boxes in image pixels, scores), before the plate filter."""
        h, w = rgb.shape[:2]
        # Small images are upscaled until the short side reaches min_side (PaddleOCR's default
        # for this model), large ones capped at max_side: text a few pixels high is missed.
        factor = max(1.0, self.min_side / min(h, w))
        factor = min(factor, self.max_side / max(h, w)) if max(h, w) * factor > self.max_side else factor
        new_w = max(32, round(w * factor / 32) * 32)
        new_h = max(32, round(h * factor / 32) * 32)
        interp = cv2.INTER_AREA if new_w < w else cv2.INTER_LINEAR
        bgr = cv2.resize(rgb, (new_w, new_h), interpolation=interp)[..., ::-1]
        blob = ((bgr.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]
        prob = self.session.run(None, {self.input_name: np.ascontiguousarray(blob)})[0][0, 0]
        boxes, scores = text_lines(prob, self.box_threshold)
        boxes *= np.array([w / new_w, h / new_h, w / new_w, h / new_h], np.float32)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        return boxes, scores

    def detect(self, rgb: np.ndarray) -> Detections:
        boxes, scores = self.text(rgb)
        tallest = self.max_height * min(rgb.shape[:2])
        shaped = plate_like(boxes, self.min_aspect, self.max_aspect, self.min_height)
        keep = shaped & plate_like(boxes, self.min_aspect, self.max_aspect, self.min_height, tallest)
        if (shaped & ~keep).any():  # plate-shaped, but taller than any plate: said in the log, as the reader's drops
            self.dropped[TOO_TALL] = self.dropped.get(TOO_TALL, 0) + int((shaped & ~keep).sum())
        boxes, scores = boxes[keep], scores[keep]
        if self.reader is not None and len(boxes):
            reasons = [not_a_plate(text, confidence) for text, confidence in self.reader.read(rgb, boxes)]
            for reason in filter(None, reasons):
                self.dropped[reason] = self.dropped.get(reason, 0) + 1
            keep = np.array([r is None for r in reasons])
            boxes, scores = boxes[keep], scores[keep]
        if self.filter is not None and len(boxes):
            keep = self.filter.keep(rgb, boxes)
            if not keep.all():
                self.dropped[FILTERED] = self.dropped.get(FILTERED, 0) + int((~keep).sum())
            boxes, scores = boxes[keep], scores[keep]
        return Detections.of_kind("plate", boxes, scores, PPOCR_DET.name)  # the finder; reader and filter only drop
