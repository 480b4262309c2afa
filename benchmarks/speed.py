"""Speed of `redact run` against a pure PyAV transcode of the same clip, same x264 settings.

    python benchmarks/speed.py                   # the bundled sample (720p, 3 s)
    python benchmarks/speed.py FILE              # any clip
    python benchmarks/speed.py --make-1080p      # a 10-s 1080p30 H.264 clip made from
                                                 # ../shared/data/video/vtest.avi, then measured
    python benchmarks/speed.py --kinds face      # faces only

The measurement itself is `redact bench` (redact/bench.py); this script adds the 1080p clip
and writes benchmarks/out/speed.json and speed.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.bench import chart, run_bench  # noqa: E402
from redact.options import DetectOptions, RedactOptions  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--make-1080p", action="store_true")
    parser.add_argument("--kinds", default="face,plate")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clip = args.file
    if args.make_1080p:
        clip = make_clip(VTEST, args.out / "vtest_1080p30_10s.mp4", 1920, 1080, 10)
    options = RedactOptions(detect=DetectOptions(kinds=tuple(args.kinds.split(","))), quiet=True)
    result = run_bench(clip, options)
    enc = result["encoder"]
    print(
        f"clip {Path(result['clip']).name} {result['size']}, {result['frames']} frames @ {result['input_fps']} fps;"
        f" x264 crf {enc['crf']} {enc['preset']}; {result['cpu']}, {result['cores']} cores"
    )
    print(f"pure PyAV transcode: {result['transcode_s']:.2f} s ({result['transcode_fps']} fps)")
    print(
        f"redact run:          {result['redact_s']:.2f} s ({result['redact_fps']} fps,"
        f" {result['realtime_factor']:.2f}x real time)"
    )
    print(f"ratio to transcode:  {result['ratio_to_transcode']:.2f}x; peak memory {result['peak_memory_mb']} MB")
    print("ms per frame by stage: " + ", ".join(f"{k} {v:.1f}" for k, v in result["ms_per_frame"].items()))
    (args.out / "speed.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, args.out / "speed.png")


if __name__ == "__main__":
    main()
