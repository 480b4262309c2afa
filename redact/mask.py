"""Obscure regions of a frame in place, directly on its YUV 4:2:0 planes.

Working in YUV avoids a colour round trip: every pixel outside the regions stays exactly as
decoded. All styles are irreversible by construction: ``blur`` and ``pixelate`` first shrink
the region to at most ``blocks`` x ``blocks`` averaged samples, so the detail a
de-blurring attack would need is no longer in the file; ``solid`` paints it black.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import cv2
import numpy as np

from .options import MaskOptions

BLACK_YUV = (16, 128, 128)  # limited-range black


@contextlib.contextmanager
def single_threaded_opencv() -> Iterator[None]:
    """OpenCV on one thread while frames are masked (restored after).

    A region's resize is a few microseconds of work; OpenCV's thread pool spread it over
    every core anyway, which doubled masking's CPU time (0.80 against 0.39 CPU-s for a crowded
    720p street's 11,357 regions) without making it faster, and took those cores from x264.
    """
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def i420_planes(buf: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes inside one contiguous I420 buffer of shape (H*3/2, W)."""
    flat = buf.reshape(-1)
    y_size, c_size = width * height, (width // 2) * (height // 2)
    y = flat[:y_size].reshape(height, width)
    u = flat[y_size : y_size + c_size].reshape(height // 2, width // 2)
    v = flat[y_size + c_size : y_size + 2 * c_size].reshape(height // 2, width // 2)
    return y, u, v


def snap_regions(regions: np.ndarray, width: int, height: int) -> np.ndarray:
    """Integer rectangles grown outward to even coordinates (so chroma lines up), clipped.

    A region entirely outside the frame becomes an empty rectangle (x0 == x1 or y0 == y1).
    """
    regions = np.asarray(regions, np.float64).reshape(-1, 4)
    x0 = np.floor(regions[:, 0] / 2) * 2
    y0 = np.floor(regions[:, 1] / 2) * 2
    x1 = np.ceil(regions[:, 2] / 2) * 2
    y1 = np.ceil(regions[:, 3] / 2) * 2
    rects = np.stack([np.clip(x0, 0, width), np.clip(y0, 0, height), np.clip(x1, 0, width), np.clip(y1, 0, height)], 1)
    return rects.astype(np.int64)  # empty ones kept, so rects stay aligned with regions


def covered_by_another(rects: np.ndarray) -> np.ndarray:
    """Which rectangles lie wholly inside another one of the same frame (of equal ones, all but
    the first): a box mask over the outer one obscures them anyway, so they need no work of
    their own. Crowded scenes are full of them (a coasted track under a detected one)."""
    n = len(rects)
    if n < 2:
        return np.zeros(n, bool)
    x0, y0, x1, y1 = (rects[:, k] for k in range(4))
    inside = (x0[:, None] >= x0) & (y0[:, None] >= y0) & (x1[:, None] <= x1) & (y1[:, None] <= y1)
    order = np.arange(n)
    same = inside & inside.T
    inside &= ~(same & (order[:, None] <= order[None, :]))  # equal ones: the first is kept; not itself
    nonempty = (x1 > x0) & (y1 > y0)
    return (inside & nonempty[None, :]).any(axis=1)


def _ellipse_mask(h: int, w: int) -> np.ndarray:
    yy, xx = np.ogrid[:h, :w]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    return ((yy - cy) / max(h / 2, 0.5)) ** 2 + ((xx - cx) / max(w / 2, 0.5)) ** 2 <= 1.0


def _obscure(patch: np.ndarray, style: str, blocks: int, fill: int) -> np.ndarray:
    """The obscured version of ``patch`` (a new array)."""
    out = np.empty_like(patch)
    _obscure_into(patch, out, style, blocks, fill)
    return out


def _obscure_into(patch: np.ndarray, out: np.ndarray, style: str, blocks: int, fill: int) -> None:
    """Write the obscured ``patch`` into ``out`` (which may be ``patch`` itself).

    OpenCV writes straight into a plane's view (its rows are contiguous), so a region costs
    three calls and no numpy copy: on a crowded street's ~40 regions per frame those calls,
    not the pixels, are what masking costs.
    """
    h, w = patch.shape
    if style == "solid":
        out[...] = fill
        return
    scale = blocks / max(h, w)
    small_w, small_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(patch, (small_w, small_h), interpolation=cv2.INTER_AREA)
    if style == "pixelate":
        cv2.resize(small, (w, h), dst=out, interpolation=cv2.INTER_NEAREST)
        return
    # Smooth on the tiny image, then a cubic upscale: a soft blur whose cost does not grow
    # with the region (a full-size Gaussian cost 12-20 ms for a 400 px region, this ~2 ms).
    if min(small_w, small_h) >= 3:
        cv2.GaussianBlur(small, (3, 3), 0, dst=small)
    cv2.resize(small, (w, h), dst=out, interpolation=cv2.INTER_CUBIC)


def mask_planes(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    regions: np.ndarray,
    options: MaskOptions,
) -> np.ndarray:
    """Obscure ``regions`` (xyxy, luma pixels) in the planes in place; returns the rectangles used."""
    y, u, v = planes
    height, width = y.shape
    rects = snap_regions(regions, width, height)
    covered = covered_by_another(rects) if options.shape == "box" else np.zeros(len(rects), bool)
    for (x0, y0, x1, y1), inside in zip(rects, covered, strict=True):
        if x1 <= x0 or y1 <= y0 or inside:
            continue
        for plane, div, fill in ((y, 1, BLACK_YUV[0]), (u, 2, BLACK_YUV[1]), (v, 2, BLACK_YUV[2])):
            view = plane[y0 // div : y1 // div, x0 // div : x1 // div]
            if view.size == 0:
                continue
            if options.shape == "ellipse":
                new = _obscure(view, options.style, options.blocks, fill)
                inside = _ellipse_mask(*view.shape)
                view[inside] = new[inside]
            else:
                _obscure_into(view, view, options.style, options.blocks, fill)
    return rects
