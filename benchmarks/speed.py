"""Speed of `redact run` against a pure PyAV transcode of the same clip, same x264 settings.

    python benchmarks/speed.py                   # the bundled sample (720p, 3 s)
    python benchmarks/speed.py FILE              # any clip
    python benchmarks/speed.py --make-1080p      # a 10-s 1080p30 H.264 clip made from
                                                 # ../shared/data/video/vtest.avi, then measured

Prints per-stage ms/frame (from the redaction log's timings), overall fps, real-time factor,
and the ratio of redact's wall time to the transcode's. Writes benchmarks/out/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact import redact_file  # noqa: E402
from redact.options import EncodeOptions, RedactOptions  # noqa: E402
from redact.pipeline import log_path  # noqa: E402

SAMPLE = ROOT / "samples" / "two_faces_720p.mp4"
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"


def make_clip(src: Path, dst: Path, width: int, height: int, seconds: int, fps: int = 30) -> Path:
    """Loop ``src`` scaled to width x height at ``fps`` for ``seconds`` (H.264, CRF 18)."""
    frames = []
    with av.open(str(src)) as c:
        for f in c.decode(video=0):
            frames.append(f.reformat(width=width, height=height, format="yuv420p"))
    with av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(seconds * fps):
            frame = frames[i % len(frames)]
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return dst


def transcode(src: Path, dst: Path, options: EncodeOptions) -> tuple[float, int]:
    """Pure PyAV decode + libx264 encode with redact's encoder settings; (seconds, frames)."""
    start = time.perf_counter()
    frames = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        vout = out.add_stream("libx264", rate=vin.average_rate or 30)
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
        vout.codec_context.options = {"crf": str(options.crf), "preset": options.preset}
        for frame in inp.decode(vin):
            if frame.format.name != "yuv420p":
                frame = frame.reformat(format="yuv420p")
            out.mux(vout.encode(frame))
            frames += 1
        out.mux(vout.encode(None))
    return time.perf_counter() - start, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--make-1080p", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    clip = args.file or SAMPLE
    if args.make_1080p:
        clip = make_clip(VTEST, args.out / "vtest_1080p30_10s.mp4", 1920, 1080, 10)
    options = RedactOptions(quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / clip.name
        shutil.copyfile(clip, work)
        base_s, frames = transcode(work, Path(tmp) / "transcode.mp4", options.encode)
        start = time.perf_counter()
        redact_file(work, options)
        wall = time.perf_counter() - start
        log = json.loads(log_path(work).read_text())
    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        fps_in = float(s.average_rate or 30)
        size = f"{s.codec_context.width}x{s.codec_context.height}"
    per_frame = {k: 1000 * v / frames for k, v in log["timings_s"].items() if k != "total"}
    result = {
        "clip": str(clip),
        "size": size,
        "frames": frames,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "encoder": {"crf": options.encode.crf, "preset": options.encode.preset},
        "transcode_s": round(base_s, 3),
        "transcode_fps": round(frames / base_s, 2),
        "redact_s": round(wall, 3),
        "redact_fps": round(frames / wall, 2),
        "realtime_factor": round(frames / wall / fps_in, 3),
        "ratio_to_transcode": round(wall / base_s, 3),
        "ms_per_frame": {k: round(v, 2) for k, v in per_frame.items()},
    }
    enc = options.encode
    print(f"clip {clip.name} {size}, {frames} frames @ {fps_in:.2f} fps; x264 crf {enc.crf} {enc.preset}")
    print(f"pure PyAV transcode: {base_s:.2f} s ({frames / base_s:.1f} fps)")
    print(f"redact run:          {wall:.2f} s ({frames / wall:.1f} fps, {result['realtime_factor']:.2f}x real time)")
    print(f"ratio to transcode:  {result['ratio_to_transcode']:.2f}x")
    print("ms per frame by stage: " + ", ".join(f"{k} {v:.1f}" for k, v in per_frame.items()))
    (args.out / "speed.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
