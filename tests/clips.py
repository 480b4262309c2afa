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
AUDIO_RATE = 48000  # of the clips with sound written here


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
    audio: bool | list[str] = False,
    fmt: str | None = None,
    faststart: bool = True,
    x264: dict[str, str] | None = None,
) -> Path:
    """Encode ``frames`` (or a pattern) to ``path``; ``pts`` in ``time_base`` units make VFR;
    ``x264``: encoder options (GOP structure: ``{"x264-params": "keyint=10:open-gop=1"}``)."""
    if frames is None:
        frames = [pattern(i, *size) for i in range(count)]
    height, width = frames[0].shape[:2]
    options = {"movflags": "+faststart"} if faststart and path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        video = out.add_stream(codec, rate=Fraction(1, 1) / time_base if pts is None else 25)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.time_base = time_base
        video.codec_context.time_base = time_base
        if x264:
            video.codec_context.options = dict(x264)
        if rotation is not None:
            video.set_display_rotation(rotation)
        codecs = ["aac"] if audio is True else list(audio or [])
        audio_streams = [out.add_stream(codec, rate=48000, layout="mono") for codec in codecs]
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = pts[i] if pts else i
            frame.time_base = time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        seconds = float(((pts[-1] if pts else len(frames)) + 1) * time_base)
        for number, stream in enumerate(audio_streams):
            write_tone(out, stream, seconds, 330 * (number + 1))
    return path


def write_tone(out, stream, seconds: float, hz: float) -> None:
    """Encode a sine tone into ``stream`` (any sample format the encoder wants)."""
    fmt = stream.codec_context.format
    size = stream.codec_context.frame_size or 1024
    total = int(48000 * seconds)
    for start in range(0, total, size):
        n = np.arange(start, min(total, start + size))
        tone = 0.1 * np.sin(2 * np.pi * hz * n / 48000)
        samples = (tone * 32767).astype(np.int16) if fmt.name.startswith("s16") else tone.astype(np.float32)
        af = av.AudioFrame.from_ndarray(samples[None, :], format=fmt.name, layout="mono")
        af.sample_rate, af.pts = 48000, start
        out.mux(stream.encode(af))
    out.mux(stream.encode(None))


def write_burst_clip(
    path: Path,
    audio_codec: str,
    video_codec: str = "mpeg4",
    rate: int = 48000,
    layout: str = "mono",
    gap: tuple[float, float] | None = None,
    offset_s: int = 0,
) -> Path:
    """2 s of video with a 20 ms 1 kHz burst in the audio at exactly 1 s: where it lands in a
    derivative shows whether sound and picture are still in sync. ``gap``: audio frames starting
    in this range (seconds) are left out, as when a camera drops audio. ``offset_s``: every
    timestamp starts that late, as MPEG-TS and PS files often do (players still count from 0)."""
    with av.open(str(path), "w") as out:
        video = out.add_stream(video_codec, rate=25)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = out.add_stream(audio_codec, rate=rate, layout=layout)
        if audio_codec.startswith("wma"):
            audio.codec_context.bit_rate = 128000
        for i in range(50):
            frame = av.VideoFrame.from_ndarray(pattern(i, 160, 120), format="rgb24")
            frame.pts = i + 25 * offset_s
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        fmt, channels = audio.codec_context.format, audio.codec_context.layout.nb_channels
        size = audio.codec_context.frame_size or 1024
        for start in range(0, 2 * rate, size):
            if gap and gap[0] <= start / rate < gap[1]:
                continue
            n = np.arange(start, min(2 * rate, start + size))
            wave = np.where((n >= rate) & (n < rate + rate // 50), 0.5 * np.sin(2 * np.pi * 1000 * n / rate), 0.0)
            samples = (wave * 32767).astype(np.int16) if fmt.name.startswith("s16") else wave.astype(np.float32)
            samples = np.stack([samples] * channels) if fmt.is_planar else np.repeat(samples, channels)[None]
            af = av.AudioFrame.from_ndarray(samples, format=fmt.name, layout=layout)
            af.sample_rate, af.pts = rate, start + rate * offset_s
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))
    return path


def decoded_audio(path: Path) -> np.ndarray:
    """The first audio stream's decoded samples, (samples, channels), in its decoder's format."""
    with av.open(str(path)) as c:
        frames = list(c.decode(audio=0))
    chunks = [f.to_ndarray().T if f.format.is_planar else f.to_ndarray().reshape(f.samples, -1) for f in frames]
    return np.concatenate(chunks)


def burst_onset_s(path: Path, after_s: float = 0.0) -> float:
    """When the first loud sample (from ``after_s`` on) of the first audio stream plays, in
    seconds on the file's clock."""
    with av.open(str(path)) as c:
        for f in c.decode(audio=0):
            if float(f.pts * f.time_base) < after_s:
                continue
            samples = np.abs(f.to_ndarray().astype(np.float64))
            if f.format.name.startswith("s16"):
                samples /= 32767
            loudest = samples.max(axis=0) if f.format.is_planar else samples.reshape(f.samples, -1).max(axis=1)
            hits = np.nonzero(loudest > 0.2)[0]
            if hits.size:
                return float(f.pts * f.time_base) + hits[0] / f.sample_rate
    raise AssertionError(f"no burst in {path}")


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
            "container_duration_s": c.duration / av.time_base if c.duration else None,
            "rotation": frames[0].rotation if frames else None,
            "size": (frames[0].width, frames[0].height) if frames else None,
            "pix_fmt": frames[0].format.name if frames else None,
            "audio_streams": len(c.streams.audio),
            "container_format": c.format.name.split(",")[0],
        }
    with av.open(str(path)) as c:
        # every audio stream: payload bytes and presentation time in seconds, packet by packet
        packets: dict[int, list] = {s.index: [] for s in c.streams.audio}
        for p in c.demux(c.streams.audio) if packets else []:  # demux([]) would read every stream
            if p.size:
                packets[p.stream.index].append((bytes(p), round(float(p.pts * p.time_base), 6)))
        facts["audio_packets"] = list(packets.values())
    with av.open(str(path)) as c:
        # when each stream's media ends (last packet's pts + duration): comparable across
        # containers, unlike container durations (AVI counts video only, MKV rounds to ms)
        ends: dict[str, float] = {}
        for p in c.demux():
            if p.pts is not None and p.size:
                end = float((p.pts + (p.duration or 0)) * p.time_base)
                ends[p.stream.type] = max(ends.get(p.stream.type, end), end)
        facts["audio_end_s"] = ends.get("audio")
        # MP4 stores sample durations in decode order, so with B-frames max(pts + duration) is
        # not the end; the track's own duration is, where the container records one (ASF's
        # stream duration counts from 0, not from the stream's start: its packets tell the end).
        video = c.streams.video[0]
        if video.duration and c.format.name != "asf":
            facts["video_end_s"] = float(((video.start_time or 0) + video.duration) * video.time_base)
        else:
            facts["video_end_s"] = ends.get("video")
    return facts


def decoded_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def half_size_sample(tmp_path, frames: int = 30):
    return write_clip(tmp_path / "half.mp4", sample_frames(frames, size=(640, 360)), time_base=Fraction(1, 30))


def write_interview(path: Path, frames: int = 24) -> Path:
    """Two real faces (the sample at 640x360, 25 fps) with 16-bit PCM sound: a 330 Hz tone."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
        video.time_base = video.codec_context.time_base = Fraction(1, 25)
        audio = out.add_stream("pcm_s16le", rate=AUDIO_RATE, layout="mono")
        for i, rgb in enumerate(sample_frames(frames, size=(640, 360))):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        total = int(AUDIO_RATE * frames / 25)
        for start in range(0, total, 1024):
            n = np.arange(start, min(total, start + 1024))
            samples = (0.1 * np.sin(2 * np.pi * 330 * n / AUDIO_RATE) * 32767).astype(np.int16).reshape(1, -1)
            af = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            af.sample_rate, af.pts = AUDIO_RATE, start
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))
    return path


def video_info(width: int, height: int, **fields):
    """A probe result for a plain progressive H.264 MP4 with no audio, for tests that need one
    without a file; ``fields`` override (time_base, rate, frames, duration_s...)."""
    from redact.media.decode import VideoInfo

    values = {
        "pix_fmt": "yuv420p",
        "codec": "h264",
        "time_base": Fraction(1, 90000),
        "rate": Fraction(30),
        "frames": 0,
        "duration_s": None,
        "audio_streams": 0,
        "other_streams": 0,
        "display_matrix": None,
        "rotation": 0,
        "container_format": "mp4",
    }
    return VideoInfo(width=width, height=height, **{**values, **fields})
