"""Make ``samples/two_faces_720p.mp4`` and its exact per-frame ground truth.

Material (both ship inside scikit-image, both free to redistribute):
- ``skimage.data.astronaut()``: Eileen Collins, NASA photo, public domain.
- ``skimage.data.camera()``: "cameraman" by Lav Varshney, CC0.

Each photo is pasted onto a 1280x720 canvas through an affine transform (scale + shift) that
changes every frame (pans and zooms). The face boxes below were annotated by eye on the source
photos; pushing them through the same transform gives exact boxes for every frame. A 440 Hz
tone (AAC) makes the clip carry audio, so audio pass-through is exercised too.

    python samples/make_sample.py            # writes the clip and two_faces_720p.truth.json
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 1280, 720, 30, 3
HERE = Path(__file__).resolve().parent
CLIP = HERE / "two_faces_720p.mp4"
TRUTH = HERE / "two_faces_720p.truth.json"

# Face boxes in source-photo pixels (xyxy), annotated by eye: hairline to chin, ear to ear.
ASTRONAUT_FACE = (176.0, 58.0, 274.0, 180.0)
CAMERAMAN_FACE = (204.0, 120.0, 258.0, 197.0)


def photos() -> list[tuple[np.ndarray, tuple[float, ...]]]:
    from skimage import data

    camera = np.repeat(data.camera()[..., None], 3, axis=2)
    return [(data.astronaut(), ASTRONAUT_FACE), (camera, CAMERAMAN_FACE)]


def transforms(t: float) -> list[tuple[float, float, float]]:
    """(scale, x, y) of each photo's top-left corner at time ``t`` seconds: pan and zoom."""
    p = t / SECONDS
    zoom_a = 0.55 + 0.5 * p  # astronaut grows from ~54 px to ~103 px face width
    zoom_b = 1.1 - 0.45 * p + 0.05 * math.sin(6 * p)  # cameraman shrinks, slight bob
    return [
        (zoom_a, 40 + 260 * p, 60 + 40 * math.sin(3 * p)),
        (zoom_b, 1280 - 512 * zoom_b - 40 - 200 * p, 120 + 60 * p),
    ]


def background() -> np.ndarray:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 1, (HEIGHT // 8, WIDTH // 8)).astype(np.float32)
    noise = cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    ramp = np.linspace(60, 160, WIDTH, dtype=np.float32)[None, :]
    base = np.clip(ramp + 12 * noise, 0, 255).astype(np.uint8)
    return np.stack([base, (base * 0.9).astype(np.uint8), (base * 0.8).astype(np.uint8)], axis=2)


def render(t: float, bg: np.ndarray, sources) -> tuple[np.ndarray, list[list[float]]]:
    canvas = bg.copy()
    boxes = []
    for (photo, face), (scale, x, y) in zip(sources, transforms(t), strict=True):
        matrix = np.array([[scale, 0, x], [0, scale, y]], np.float32)
        warped = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
        inside = cv2.warpAffine(np.full(photo.shape[:2], 255, np.uint8), matrix, (WIDTH, HEIGHT)) > 127
        canvas[inside] = warped[inside]
        x0, y0, x1, y1 = face
        boxes.append([round(v, 2) for v in (x0 * scale + x, y0 * scale + y, x1 * scale + x, y1 * scale + y)])
    return canvas, boxes


def main() -> None:
    sources = photos()
    bg = background()
    frames_truth = []
    with av.open(str(CLIP), "w", options={"movflags": "+faststart"}) as out:
        out.metadata["comment"] = "redact sample: NASA astronaut (public domain) + cameraman (CC0)"
        video = out.add_stream("libx264", rate=FPS, options={"crf": "20", "preset": "medium"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=48000, layout="mono")
        for i in range(FPS * SECONDS):
            t = i / FPS
            rgb, boxes = render(t, bg, sources)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
            frames_truth.append({"index": i, "t": round(t, 6), "faces": boxes})
        out.mux(video.encode(None))
        samples_per_frame = 1024
        total = 48000 * SECONDS
        for start in range(0, total, samples_per_frame):
            n = np.arange(start, min(total, start + samples_per_frame))
            tone = (0.2 * np.sin(2 * np.pi * 440 * n / 48000)).astype(np.float32)[None, :]
            af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            af.sample_rate, af.pts = 48000, start
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))
    TRUTH.write_text(
        json.dumps(
            {
                "clip": CLIP.name,
                "width": WIDTH,
                "height": HEIGHT,
                "fps": FPS,
                "box_format": "xyxy pixels, face boxes annotated by eye on the source photos",
                "sources": ["skimage.data.astronaut (NASA, public domain)", "skimage.data.camera (CC0)"],
                "frames": frames_truth,
            },
            indent=1,
        )
        + "\n"
    )
    print(CLIP, CLIP.stat().st_size, "bytes;", len(frames_truth), "frames")


if __name__ == "__main__":
    main()
