"""Regions an operator adds by hand: what review found that the detectors missed.

A reviewer who sees a face or a plate left visible in a derivative names where it is, and the
clip is redacted again with that region masked too. A region is a list of keys, each a time
span (seconds from the clip's start, as a player counts) and a box in the pixels of the
picture as a player shows it (rotation applied), as measured on a screenshot:

    ``12-15.5@640,200,760,340``                    a still box from 12 s to 15.5 s
    ``12@640,200,760,340 ~ 15.5@700,210,820,350``  a box moving in a straight line from 12 s to 15.5 s

Between two keys the box moves linearly; regions are separated by ``;``. Every frame shown at
any moment inside a region's span is masked over the box as given, in the run's mask style and
shape, with no margin added (the operator drew what must go). The log lists each masked box with reason ``added`` and a
negative track id (-1 for the first region, -2 for the second...), apart from the detectors'.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise

import numpy as np

from ..geometry import quarter_turns, unrotate_boxes
from ..i18n import N_
from .request_fields import parse_time

Key = tuple[float, float, float, float, float, float]  # start_s, end_s, x0, y0, x1, y1 (displayed pixels)
OperatorRegion = tuple[Key, ...]  # keys in time order


def parse_regions(text) -> tuple[OperatorRegion, ...]:
    """``"12-15.5@640,200,760,340; 20@0,0,50,50 ~ 21@10,0,60,50"`` (or the JSON lists a log holds)."""
    if not text:
        return ()
    if isinstance(text, list | tuple):
        regions = tuple(tuple(tuple(float(v) for v in key) for key in region) for region in text)
    else:
        regions = tuple(_parse_region(part) for part in str(text).split(";") if part.strip())
    for region in regions:
        check_region(region)
    return regions


def _parse_region(text: str) -> OperatorRegion:
    return tuple(_parse_key(key) for key in text.split("~"))


def _parse_key(text: str) -> Key:
    when, at, box = text.strip().partition("@")
    numbers = [v.strip() for v in box.split(",")]
    if not at or len(numbers) != 4 or not all(re.fullmatch(r"\d+(\.\d+)?", v) for v in numbers):
        raise ValueError(
            N_("bad region key {key!r} (want TIME@X0,Y0,X1,Y1 or START-END@X0,Y0,X1,Y1)", key=text.strip())
        )
    start, _, end = when.partition("-")
    start_s = parse_time(start)
    end_s = parse_time(end) if end.strip() else start_s
    return (start_s, end_s, *(float(v) for v in numbers))


def check_region(region: OperatorRegion) -> None:
    """Raise ``ValueError`` unless every key is a proper box and the keys run forward in time."""
    if not region:
        raise ValueError(N_("a region needs at least one TIME@X0,Y0,X1,Y1 key"))
    for key in region:
        if len(key) != 6 or not all(math.isfinite(v) for v in key):
            raise ValueError(
                N_("region key {key!r} is not six finite numbers (start, end, x0, y0, x1, y1)", key=list(key))
            )
    for start, end, x0, y0, x1, y1 in region:
        if len(region) == 1 and not start < end:
            raise ValueError(
                N_(
                    "region {start:g}-{end:g} s: a still region needs START-END with START < END",
                    start=start,
                    end=end,
                )
            )
        if end < start:
            raise ValueError(N_("region key {start:g}-{end:g} s ends before it starts", start=start, end=end))
        if not (0 <= x0 < x1 and 0 <= y0 < y1):
            raise ValueError(
                N_(
                    "region box {x0:g},{y0:g},{x1:g},{y1:g} is not X0,Y0,X1,Y1 with X0 < X1 and Y0 < Y1",
                    x0=x0,
                    y0=y0,
                    x1=x1,
                    y1=y1,
                )
            )
    for (_, end, *_), (start, *_) in pairwise(region):
        if start <= end:
            raise ValueError(
                N_("region keys must run forward in time ({start:g} s comes after {end:g} s)", start=start, end=end)
            )


def span(region: OperatorRegion) -> tuple[float, float]:
    return region[0][0], region[-1][1]


def box_at(region: OperatorRegion, t: float) -> np.ndarray:
    """The region's displayed box at time ``t``: a key's box during its span, moving linearly
    between keys, held at the first or last key outside the region's span."""
    for i, (start, end, *box) in enumerate(region):
        if t <= end:
            if i == 0 or t >= start:
                return np.array(box, np.float64)
            before_end, before_box = region[i - 1][1], np.array(region[i - 1][2:], np.float64)
            w = (t - before_end) / (start - before_end)
            return (1 - w) * before_box + w * np.array(box, np.float64)
    return np.array(region[-1][2:], np.float64)


def shown_size(rotation: int, width: int, height: int) -> tuple[int, int]:
    """Width and height of the picture as shown, for a stored ``width`` x ``height`` frame."""
    return (height, width) if quarter_turns(rotation) % 2 else (width, height)


def boxes_in_frame(
    regions: tuple[OperatorRegion, ...], t: float, duration: float, rotation: int, width: int, height: int
) -> list[tuple[int, np.ndarray]]:
    """(track id, stored-frame box) of every region shown while the frame is, from ``t`` for
    ``duration`` seconds (clip time). ``width`` x ``height``: the stored frame."""
    k = quarter_turns(rotation)
    shown_w, shown_h = shown_size(rotation, width, height)
    found = []
    for number, region in enumerate(regions, 1):
        first, last = span(region)
        if t > last or round(t + max(duration, 1e-6), 6) <= first:  # to the microsecond: 0.56 + 0.04 is 0.6
            continue
        # the box at the frame's moment nearest the region (its start, when the region begins
        # during the frame), clipped to the picture
        box = box_at(region, min(max(t, first), last))
        box = np.clip(box, 0, [shown_w, shown_h, shown_w, shown_h])
        if box[2] > box[0] and box[3] > box[1]:
            found.append((-number, unrotate_boxes(box[None], k, width, height)[0]))
    return found


def check_fits(regions: tuple[OperatorRegion, ...], rotation: int, width: int, height: int, duration_s) -> str | None:
    """Why the regions cannot apply to this clip (a box wholly outside the picture, a start after
    its end), or None. A box partly outside is not refused: ``boxes_in_frame`` clamps it to the
    picture (drawn to the edge means the edge). ``width`` x ``height``: the stored frame."""
    shown_w, shown_h = shown_size(rotation, width, height)
    for number, region in enumerate(regions, 1):
        first, _ = span(region)
        if duration_s is not None and first >= duration_s:
            return N_(
                "region {number} starts at {start:g} s, after the clip ends ({duration:.2f} s)",
                number=number,
                start=first,
                duration=duration_s,
            )
        for *_, x0, y0, x1, y1 in region:
            if x0 >= shown_w or y0 >= shown_h:
                return N_(
                    "region {number}: box {x0:g},{y0:g},{x1:g},{y1:g} lies outside the picture"
                    " ({width}x{height} as shown)",
                    number=number,
                    x0=x0,
                    y0=y0,
                    x1=x1,
                    y1=y1,
                    width=shown_w,
                    height=shown_h,
                )
    return None
