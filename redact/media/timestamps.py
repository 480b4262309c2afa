"""Presentation timestamps as players show them, and the repairs MP4 needs.

Decoders emit frames in display order, but some containers attach timestamps out of order
(AVI with packed B-frames gives pts 1, 2, 3, 5, 4, 6, 8, 7, ...). Since the order of frames is
right and the set of timestamps is right, ``ReorderWindow`` hands the smallest pending
timestamp to the oldest pending frame; on well-formed files it changes nothing.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class ReorderWindow(Generic[T]):
    """Pairs frames (in decode output order) with their timestamps sorted within ``depth``."""

    def __init__(self, depth: int = 16):
        self.depth = depth
        self.items: deque[T] = deque()
        self.stamps: list[int] = []

    def push(self, item: T, stamp: int) -> Iterator[tuple[T, int]]:
        self.items.append(item)
        heapq.heappush(self.stamps, stamp)
        while len(self.items) > self.depth:
            yield self.items.popleft(), heapq.heappop(self.stamps)

    def flush(self) -> Iterator[tuple[T, int]]:
        while self.items:
            yield self.items.popleft(), heapq.heappop(self.stamps)


def output_pts(pts: int | None, last: int | None, step: int) -> int:
    """The frame's timestamp, unless missing or not increasing (broken files): then repaired.

    MP4 needs strictly increasing timestamps; every frame whose timestamp had to change is
    counted in the log as ``retimed_frames``.
    """
    if last is None:
        return pts if pts is not None else 0
    if pts is None:
        return last + step
    if pts <= last:
        return last + 1
    return pts
