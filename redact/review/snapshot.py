"""``redact snapshot``: one frame of a derivative as a player shows it, to measure regions on.

A reviewer who finds a face left visible adds a region (``--add-regions``) in pixels of the
picture as shown at a time as a player counts. This writes exactly that picture, rotation
applied, with an optional labelled pixel grid, so the box can be read off in any image viewer.
Only derivatives: a still of an original would be an unredacted copy of the evidence, and the
derivative has the original's size (plus at most one padding pixel) and timing.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import BadInputError
from ..evidence.atomic import atomic_output
from ..evidence.layout import DERIVATIVE_SUFFIX
from ..geometry import quarter_turns
from ..i18n import N_
from ..media.decode import open_input


def frame_shown_at(path: Path, seconds: float) -> tuple[np.ndarray, float]:
    """(RGB picture as shown, its time) of the frame on screen ``seconds`` after the file's start."""
    with open_input(path) as container:
        stream = container.streams.video[0]
        start = container.start_time / av.time_base if container.start_time else 0.0
        target = start + seconds
        # the keyframe at or before the target, then decode forward to the frame on screen
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        shown, later = None, False
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            if frame.pts * stream.time_base > target + 1e-6:
                later = True
                shown = shown or frame  # before the first frame, players show the first frame
                break
            shown = frame
    if shown is None or (not later and target > (shown.pts + (shown.duration or 0)) * stream.time_base + 1e-6):
        raise BadInputError(N_("no frame is shown at {seconds:g} s: the clip has ended"), path, seconds=seconds)
    rgb = np.rot90(shown.to_ndarray(format="rgb24"), quarter_turns(int(shown.rotation or 0)))
    return np.ascontiguousarray(rgb), float(shown.pts * shown.time_base) - start


def draw_grid(rgb: np.ndarray, step: int) -> np.ndarray:
    """Thin lines every ``step`` pixels, each labelled with its coordinate."""
    out = rgb.copy()
    h, w = out.shape[:2]
    for x in range(step, w, step):
        cv2.line(out, (x, 0), (x, h - 1), (255, 255, 0), 1)
        cv2.putText(out, str(x), (x + 2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1, cv2.LINE_AA)
    for y in range(step, h, step):
        cv2.line(out, (0, y), (w - 1, y), (255, 255, 0), 1)
        cv2.putText(out, str(y), (2, y - 2), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1, cv2.LINE_AA)
    return out


def write_snapshot(derivative: Path, seconds: float, out: Path | None = None, grid: int = 0) -> Path:
    """Write the frame shown at ``seconds`` as PNG (default: beside the derivative)."""
    derivative = derivative.absolute()
    if not derivative.name.endswith(DERIVATIVE_SUFFIX):
        raise BadInputError(
            N_("not a derivative (NAME.redacted.mp4)"),
            derivative,
            hint=N_("stills are made from derivatives only: a still of an original is an unredacted copy"),
        )
    if seconds < 0:
        raise BadInputError(N_("time {seconds:g} s is before the start"), derivative, seconds=seconds)
    rgb, shown_at = frame_shown_at(derivative, seconds)
    if grid:
        rgb = draw_grid(rgb, grid)
    stem = derivative.name[: -len(".mp4")]
    out = (out or derivative.with_name(f"{stem}.at-{shown_at:.3f}s.png")).absolute()
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise BadInputError(N_("cannot encode the picture as PNG"), derivative)
    with atomic_output(out) as tmp:
        tmp.write_bytes(png.tobytes())
    return out
