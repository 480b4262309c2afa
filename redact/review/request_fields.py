"""What a disclosure request asks for, written as people write it: time ranges and track ids.

Shared by ``redact run`` flags and ``redact batch`` manifest columns, so both read
``"12-20; 1:02-1:10.5"`` and ``"3 7"`` the same way.
"""

from __future__ import annotations

import re

from ..i18n import N_


def parse_time(text: str) -> float:
    """Seconds from ``75``, ``75.5``, ``1:15`` or ``0:01:15.5``."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts):
        raise ValueError(N_("bad time {text!r}", text=text.strip()))
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def parse_ranges(text) -> tuple[tuple[float, float], ...]:
    """``"12-20; 1:02-1:10"`` (or a JSON list of [start, end]) as ((12, 20), (62, 70))."""
    if not text:
        return ()
    items = text if isinstance(text, list) else [r for r in re.split(r"[;,]", str(text)) if r.strip()]
    ranges = []
    for item in items:
        start, end = (parse_time(str(v)) for v in item) if isinstance(item, list) else _split_range(item)
        if not start < end:
            raise ValueError(N_("range {start:g}-{end:g} s ends before it starts", start=start, end=end))
        ranges.append((start, end))
    return tuple(ranges)


def _split_range(item: str) -> tuple[float, float]:
    if item.count("-") != 1:
        raise ValueError(N_("bad range {text!r} (want START-END)", text=item.strip()))
    start, end = item.split("-")
    return parse_time(start), parse_time(end)


def parse_tracks(value) -> tuple[int, ...]:
    if value in (None, ""):
        return ()
    items = value if isinstance(value, list) else re.split(r"[\s;,]+", str(value).strip())
    try:
        tracks = tuple(int(v) for v in items if str(v).strip())
    except ValueError:
        raise ValueError(N_("track ids must be whole numbers (got {value!r})", value=value)) from None
    if any(t < 0 for t in tracks):
        raise ValueError(N_("track ids are not negative"))
    return tracks
