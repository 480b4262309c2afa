"""Follow a box a clerk drew, frame by frame.

The clerk draws a box around something the detectors missed (a face in profile, a tattoo)
and asks the page to follow it forward or back; the boxes found become keyframes of the added
region, which the clerk then checks and corrects. Two followers, both OpenCV: the MIL tracker
(what OpenCV 5 ships in its main module) and template matching; ``follow`` is the one chosen
by measurement. Both stop where they lose the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import cv2
import numpy as np

from ...i18n import N_

Box = tuple[float, float, float, float]


def follow_mil(pictures: Iterable[np.ndarray], box: Box) -> tuple[list[Box], str]:
    """OpenCV's MIL tracker: boxes of the object in ``box`` (xyxy on the first picture) in each
    picture after the first, until it loses it or it leaves the picture; and why it stopped."""
    pictures = iter(pictures)
    first = next(pictures, None)
    if first is None:
        return [], "no frames"
    x0, y0, x1, y1 = _checked(box)
    tracker = cv2.TrackerMIL.create()
    tracker.init(_bgr(first), (x0, y0, x1 - x0, y1 - y0))
    height, width = first.shape[:2]
    found: list[Box] = []
    for picture in pictures:
        ok, (x, y, w, h) = tracker.update(_bgr(picture))
        if not ok:
            return found, "lost"
        if x + w <= 0 or y + h <= 0 or x >= width or y >= height:
            return found, "left the picture"
        found.append((float(max(0, x)), float(max(0, y)), float(min(width, x + w)), float(min(height, y + h))))
    return found, "end"


SCALES = (0.95, 1.0, 1.05)  # the object may come nearer or move away a little each frame
LOST_BELOW = 0.5  # normalised cross-correlation of the best match: below it, the object is gone


def follow_template(pictures: Iterable[np.ndarray], box: Box) -> tuple[list[Box], str]:
    """Template matching: the last frame's patch looked for in a window around where it was
    (normalised cross-correlation, at three scales), re-anchored every frame; lost when the
    best match falls below ``LOST_BELOW``."""
    pictures = iter(pictures)
    first = next(pictures, None)
    if first is None:
        return [], "no frames"
    x0, y0, x1, y1 = _checked(box)
    grey = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    template = grey[y0:y1, x0:x1]
    found: list[Box] = []
    for picture in pictures:
        grey = cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY)
        height, width = grey.shape
        w, h = x1 - x0, y1 - y0
        wx0, wy0, wx1, wy1 = max(0, x0 - w), max(0, y0 - h), min(width, x1 + w), min(height, y1 + h)
        window = grey[wy0:wy1, wx0:wx1]
        best = None
        for scale in SCALES:
            tw, th = max(4, round(w * scale)), max(4, round(h * scale))
            if tw > window.shape[1] or th > window.shape[0]:
                continue
            scores = cv2.matchTemplate(window, cv2.resize(template, (tw, th)), cv2.TM_CCOEFF_NORMED)
            _, score, _, (mx, my) = cv2.minMaxLoc(scores)
            if best is None or score > best[0]:
                best = (score, wx0 + mx, wy0 + my, tw, th)
        if best is None:
            return found, "left the picture"
        score, x0, y0, w, h = best
        if not score >= LOST_BELOW:  # NaN too: a flat patch matches nothing
            return found, "lost"
        x1, y1 = x0 + w, y0 + h
        template = grey[y0:y1, x0:x1]
        found.append((float(x0), float(y0), float(x1), float(y1)))
    return found, "end"


# Chosen by measurement (benchmarks/follow_accuracy.py, RESULTS.md 2026-12-01): as close to the
# faces as MIL on the bundled sample and on a real interview clip, at about 1/30 of its CPU.
follow = follow_template


def _checked(box: Box) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (round(v) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise ValueError(N_("the box is too small to follow (at least 4x4 pixels)"))
    return max(0, x0), max(0, y0), x1, y1


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def frame_order(start: int, direction: str, count: int, frames: int) -> list[int]:
    """The frame indices to follow through, the start frame first."""
    if direction == "forward":
        return list(range(start, min(frames, start + count + 1)))
    if direction == "backward":
        return list(range(start, max(-1, start - count - 1), -1))
    raise ValueError(N_("direction is forward or backward, not {direction!r}", direction=direction))


def followed_keys(order: list[int], boxes: list[Box], box: Box, times: list[float]) -> list[list[float]]:
    """Keyframes ``[t, t, x0, y0, x1, y1]`` for the start box and each box followed, by time."""
    keys = [[times[order[0]], times[order[0]], *map(float, box)]]
    keys += [[times[i], times[i], *(round(v, 1) for v in b)] for i, b in zip(order[1:], boxes, strict=False)]
    return sorted(keys)


def pictures_of(order: list[int], picture: Callable[[int], np.ndarray], chunk: int = 16) -> Iterator[np.ndarray]:
    """Pictures in the order followed. Backward, each run of ``chunk`` frames is decoded forward
    (one seek) and handed out in reverse: a seek per frame would decode a GOP per frame, and
    holding the whole span would take a gigabyte at 1080p."""
    if len(order) < 2 or order[1] > order[0]:
        yield from (picture(i) for i in order)
        return
    for start in range(0, len(order), chunk):
        run = order[start : start + chunk]
        yield from reversed([picture(i) for i in reversed(run)])
