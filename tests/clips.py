"""Make small test videos with real PyAV encoders: sizes, formats, rotation, VFR, audio."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "two_faces_720p.mp4"
SAMPLE_TRUTH = SAMPLE.with_name("two_faces_720p.truth.json")


def sample_frames(count: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The first ``count`` RGB frames of the bundled sample, optionally resized."""
    frames = []
    with av.open(str(SAMPLE)) as c:
        for frame in c.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            frames.append(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size else rgb)
            if len(frames) == count:
                break
    return frames


def sample_truth() -> dict:
    return json.loads(SAMPLE_TRUTH.read_text())


def pattern(i: int, width: int, height: int) -> np.ndarray:
    """A moving gradient that compresses well but changes every frame."""
    x = np.arange(width, dtype=np.int32)[None, :]
    y = np.arange(height, dtype=np.int32)[:, None]
    r = (x + 4 * i) % 256
    g = (y + 2 * i) % 256
    b = ((x + y) // 2 + i) % 256
    return np.stack(np.broadcast_arrays(r, g, b), axis=2).astype(np.uint8)


def write_clip(
    path: Path,
    frames: list[np.ndarray] | None = None,
    *,
    count: int = 12,
    size: tuple[int, int] = (160, 120),
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    pts: list[int] | None = None,
    time_base: Fraction = Fraction(1, 25),
    rotation: int | None = None,
    audio: bool = False,
    fmt: str | None = None,
    faststart: bool = True,
) -> Path:
    """Encode ``frames`` (or a pattern) to ``path``; ``pts`` in ``time_base`` units make VFR."""
    if frames is None:
        frames = [pattern(i, *size) for i in range(count)]
    height, width = frames[0].shape[:2]
    options = {"movflags": "+faststart"} if faststart and path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        video = out.add_stream(codec, rate=Fraction(1, 1) / time_base if pts is None else 25)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.time_base = time_base
        video.codec_context.time_base = time_base
        if rotation is not None:
            video.set_display_rotation(rotation)
        stream_audio = out.add_stream("aac", rate=48000, layout="mono") if audio else None
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = pts[i] if pts else i
            frame.time_base = time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if stream_audio is not None:
            seconds = float(((pts[-1] if pts else len(frames)) + 1) * time_base)
            total = int(48000 * seconds)
            for start in range(0, total, 1024):
                n = np.arange(start, min(total, start + 1024))
                tone = (0.1 * np.sin(2 * np.pi * 330 * n / 48000)).astype(np.float32)[None, :]
                af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                af.sample_rate, af.pts = 48000, start
                out.mux(stream_audio.encode(af))
            out.mux(stream_audio.encode(None))
    return path


def write_audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        for start in range(0, 48000, 1024):
            af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            af.sample_rate, af.pts = 48000, start
            out.mux(stream.encode(af))
        out.mux(stream.encode(None))
    return path


def display_seconds(frames) -> list[float]:
    """Frame times in display order: decoders emit frames in display order, so the sorted
    timestamps are the display times even where a container attaches them out of order."""
    return sorted(float((f.pts if f.pts is not None else f.dts) * f.time_base) for f in frames)


def video_facts(path: Path) -> dict:
    """Frame count, per-frame pts in seconds, duration, rotation, size, audio packets."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames = list(c.decode(stream))
        facts = {
            "frames": len(frames),
            "pts_s": display_seconds(frames),
            "duration_s": c.duration / av.time_base if c.duration else None,
            "rotation": frames[0].rotation if frames else None,
            "size": (frames[0].width, frames[0].height) if frames else None,
            "pix_fmt": frames[0].format.name if frames else None,
            "audio_streams": len(c.streams.audio),
        }
    with av.open(str(path)) as c:
        facts["audio_packets"] = [(bytes(p), p.pts) for p in c.demux(audio=0) if p.size] if c.streams.audio else []
    return facts


def decoded_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
