"""Follow a box a clerk drew, frame by frame, with OpenCV's MIL tracker.

The clerk draws a box around something the detectors missed (a face in profile, a tattoo)
and asks the page to follow it forward or back; the boxes found become keyframes of the added
region, which the clerk then checks and corrects. MIL is the tracker OpenCV 5 ships in its
main module; it reports when it loses the object, and following stops there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import cv2
import numpy as np

Box = tuple[float, float, float, float]


def follow(pictures: Iterable[np.ndarray], box: Box) -> tuple[list[Box], str]:
    """Boxes of the object in ``box`` (xyxy on the first picture) in each picture after the first,
    in order, until the tracker loses it or it leaves the picture; and why following stopped."""
    pictures = iter(pictures)
    first = next(pictures, None)
    if first is None:
        return [], "no frames"
    x0, y0, x1, y1 = (round(v) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise ValueError("the box is too small to follow (at least 4x4 pixels)")
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


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def frame_order(start: int, direction: str, count: int, frames: int) -> list[int]:
    """The frame indices to follow through, the start frame first."""
    if direction == "forward":
        return list(range(start, min(frames, start + count + 1)))
    if direction == "backward":
        return list(range(start, max(-1, start - count - 1), -1))
    raise ValueError(f"direction is forward or backward, not {direction!r}")


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
