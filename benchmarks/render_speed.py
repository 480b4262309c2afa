"""Speed of `redact render` (mask + encode from an analysis, no model) against a pure transcode.

    python benchmarks/render_speed.py                 # 720p30 and 1080p30 10-s clips made from
                                                      # ../shared/data/video/vtest.avi
    python benchmarks/render_speed.py FILE            # any clip instead
    python benchmarks/render_speed.py --pairs 7 --presets disclosure,fast
    python benchmarks/render_speed.py --cli           # + the `redact render` command itself (a
                                                      # fresh interpreter each time) against a
                                                      # transcode in a fresh interpreter
    python benchmarks/render_speed.py --profile       # + where a render's time goes: per-thread
                                                      # CPU, cProfile of the main thread, and what
                                                      # masked frames cost the encoder

Each clip is copied, analysed once (`--analyze-preset`, default `disclosure`, the default of
`redact run`), then rendered again and again, each render with another decision (as analysed,
one track kept visible, a stretch of whole pictures blacked out), each paired with a pure
PyAV decode + libx264 encode of the same clip with the same encoder settings
(`redact.bench.transcode`), the order alternating pair by pair: this VM's speed drifts, so only
ratios from one run mean anything. Wall and CPU time (all threads of the process) are both
reported; CPU time is the steadier one on a machine shared with other work. Target: a render
takes at most 1.3x the transcode's wall time.

It also checks what the split into analysis and render promises: the custody log records one
"analysed" entry however many renders follow, no render's timings have a detect stage, and
each decision's derivative is the same bytes every time it is rendered. JSON in
benchmarks/out/render_speed.json; a markdown table for benchmarks/RESULTS.md is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import VTEST, make_clip  # noqa: E402

from redact.bench import analysed_entries, cpu_model, cpu_seconds, render_stages, transcode  # noqa: E402
from redact.evidence.hashing import hash_file  # noqa: E402
from redact.evidence.log_reader import LogReader  # noqa: E402
from redact.options import usable_cores  # noqa: E402
from redact.pipeline import analysis_path, analyze_file, derivative_path, log_path, render_file  # noqa: E402
from redact.presets import options_from_preset  # noqa: E402

TARGET = 1.3

TRANSCODE_CLI = """
import sys, time
from pathlib import Path
from redact.bench import transcode
from redact.presets import options_from_preset
transcode(Path(sys.argv[1]), Path(sys.argv[2]), options_from_preset(sys.argv[3]).encode)
"""


@dataclasses.dataclass(frozen=True)
class Decision:
    """One way a reviewer may have decided: what a render is asked to apply."""

    label: str
    keep_tracks: tuple[int, ...] = ()
    picture_ranges: tuple[tuple[float, float], ...] = ()

    def cli_args(self) -> list[str]:
        args = []
        if self.keep_tracks:
            args += ["--keep-tracks", " ".join(map(str, self.keep_tracks))]
        if self.picture_ranges:
            args += ["--redact-frames", "; ".join(f"{a}-{b}" for a, b in self.picture_ranges)]
        return args


def decisions_for(work: Path, seconds: float) -> list[Decision]:
    """As analysed; the longest track kept visible; 10 % of the clip blacked out whole."""
    tracks = list(LogReader(analysis_path(work), digest=False).items(("tracks",)))
    chosen = [Decision("as analysed")]
    if tracks:
        longest = max(tracks, key=lambda t: t["last_frame"] - t["first_frame"])
        chosen.append(Decision(f"track {longest['id']} kept", keep_tracks=(longest["id"],)))
    start = round(seconds * 0.1, 3)
    chosen.append(Decision(f"pictures {start}-{round(start * 2, 3)} s", picture_ranges=((start, round(start * 2, 3)),)))
    return chosen


def timed(call) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``call()``."""
    cpu, start = cpu_seconds(), time.perf_counter()
    call()
    return time.perf_counter() - start, cpu_seconds() - cpu


def timed_child(args: list[str]) -> tuple[float, float]:
    """(wall, CPU of the child) of a command in a fresh interpreter (imports included)."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def render_once(work: Path, options, decision: Decision, cli: bool, preset: str) -> tuple[float, float]:
    if cli:
        command = [sys.executable, "-m", "redact", "render", str(work), "--preset", preset, "--force", "--quiet"]
        return timed_child(command + decision.cli_args())
    render_options = dataclasses.replace(options, force=True, keep_tracks=decision.keep_tracks)
    return timed(lambda: render_file(work, render_options, picture_ranges=decision.picture_ranges))


def transcode_once(work: Path, options, cli: bool, preset: str) -> tuple[float, float]:
    dst = work.parent / "transcode.mp4"
    if cli:
        return timed_child([sys.executable, "-c", TRANSCODE_CLI, str(work), str(dst), preset])
    return timed(lambda: transcode(work, dst, options.encode))


def measure_clip(clip: Path, args, tmp: Path) -> tuple[list[dict], dict]:
    work = tmp / clip.name
    shutil.copyfile(clip, work)
    with av.open(str(work)) as c:
        stream = c.streams.video[0]
        frames = stream.frames or sum(1 for _ in c.decode(stream))
        seconds = float(stream.duration * stream.time_base) if stream.duration else frames / 30
        size = f"{stream.codec_context.width}x{stream.codec_context.height}"
        fps_in = float(stream.average_rate or 30)
    analysis_s, _ = timed(lambda: analyze_file(work, options_from_preset(args.analyze_preset, quiet=True)))
    head = LogReader(analysis_path(work), digest=False).head
    regions = head["regions"]
    print(
        f"{clip.name}: {size}, {frames} frames; analysed ({args.analyze_preset}) in {analysis_s:.1f} s,"
        f" {regions['total']} regions in {regions['frames_with_regions']} frames",
        flush=True,
    )
    decisions = decisions_for(work, seconds)
    rows, hashes = [], {}
    turn = 0
    runs = [(mode, preset) for mode in ("library", "cli")[: 1 + args.cli] for preset in args.presets.split(",")]
    for mode, preset in runs:
        options, cli = options_from_preset(preset, quiet=True), mode == "cli"
        for pair in range(args.pairs):
            decision = decisions[turn % len(decisions)]
            turn += 1
            order = ("transcode", "render") if pair % 2 == 0 else ("render", "transcode")
            got = {}
            for what in order:
                if what == "render":
                    got[what] = render_once(work, options, decision, cli, preset)
                else:
                    got[what] = transcode_once(work, options, cli, preset)
            timings = LogReader(log_path(work), digest=False).head["timings_s"]
            stages = render_stages(timings)
            hashes.setdefault((preset, decision.label), set()).add(hash_file(derivative_path(work)))
            (t_wall, t_cpu), (r_wall, r_cpu) = got["transcode"], got["render"]
            row = {
                "clip": clip.name,
                "size": size,
                "frames": frames,
                "preset": preset,
                "encoder": dataclasses.asdict(options.encode),
                "mode": mode,
                "pair": pair + 1,
                "order": "/".join(order),
                "decision": decision.label,
                "transcode_s": round(t_wall, 3),
                "render_s": round(r_wall, 3),
                "ratio": round(r_wall / t_wall, 3),
                "transcode_cpu_s": round(t_cpu, 3),
                "render_cpu_s": round(r_cpu, 3),
                "cpu_ratio": round(r_cpu / t_cpu, 3),
                "render_fps": round(frames / r_wall, 2),
                "realtime_factor": round(frames / r_wall / fps_in, 3),
                "render_stages_s": {k: round(v, 3) for k, v in stages.items()},
                "render_detected": any("detect" in k for k in stages),
            }
            rows.append(row)
            print(
                f"  {mode} {preset} pair {pair + 1} ({row['order']}, {decision.label}): transcode {t_wall:.2f} s,"
                f" render {r_wall:.2f} s = {row['ratio']}x; CPU {t_cpu:.2f} / {r_cpu:.2f} s = {row['cpu_ratio']}x",
                flush=True,
            )
    checks = {
        "clip": clip.name,
        "analysis_s": round(analysis_s, 2),
        "analysis_fps": round(frames / analysis_s, 2),
        "regions": regions["total"],
        "renders": len(rows),
        "analysed_entries": analysed_entries(work.parent),
        "renders_with_detect_stage": sum(r["render_detected"] for r in rows),
        "decisions": sorted({r["decision"] for r in rows}),
        "same_bytes_per_decision": all(len(h) == 1 for h in hashes.values()),
        "derivatives_differ_by_decision": len({next(iter(h)) for h in hashes.values()})
        == len(hashes),  # each (preset, decision) its own bytes
    }
    print(
        f"  {checks['renders']} renders, {len(checks['decisions'])} decisions: custody log has"
        f' {checks["analysed_entries"]} "analysed" entr{"y" if checks["analysed_entries"] == 1 else "ies"};'
        f" {checks['renders_with_detect_stage']} render(s) with a detect stage; same bytes for the same"
        f" decision: {checks['same_bytes_per_decision']}; other bytes for another: "
        f"{checks['derivatives_differ_by_decision']}",
        flush=True,
    )
    if args.profile:
        checks["profile"] = profile(work, options_from_preset(args.presets.split(",")[0], quiet=True), args)
    return rows, checks


class ThreadCPU:
    """CPU seconds per thread of this process, polled from /proc (threads come and go)."""

    def __init__(self, interval_s: float = 0.02):
        self.interval_s, self.seen, self.names = interval_s, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def poll(self) -> None:
        for t in threading.enumerate():
            if t.native_id is not None:
                self.names[t.native_id] = t.name
        for tid in os.listdir("/proc/self/task"):
            try:
                stat = Path(f"/proc/self/task/{tid}/stat").read_text()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            self.seen[int(tid)] = (comm, (int(fields[11]) + int(fields[12])) / self._tick)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> ThreadCPU:
        self.poll()
        self.base = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()

    def by_role(self) -> dict[str, float]:
        """main (decode calls, convert, mask, log), encoder thread (frames to x264 + mux),
        FFmpeg's decoder threads, and the rest (x264's own threads)."""
        roles: Counter = Counter()
        for tid, (comm, cpu) in self.seen.items():
            if tid == self._thread.native_id:
                continue
            spent = cpu - self.base.get(tid, (comm, 0.0))[1]
            if tid == os.getpid():
                role = "main thread"
            elif self.names.get(tid) == "redact-encoder":
                role = "encoder thread (redact)"
            elif comm.startswith("av:"):
                role = "decoder threads (FFmpeg)"
            else:
                role = "x264 threads"
            roles[role] += spent
        return {k: round(v, 2) for k, v in roles.most_common()}


def masked_vs_plain_encode(work: Path, options) -> dict:
    """The same decode + convert + masking in both, then x264 given the masked frames or the
    frames as decoded: the CPU difference is what masked content costs the encoder."""
    import numpy as np

    from redact.mask import i420_planes, mask_planes
    from redact.media.decode import frame_to_i420, probe
    from redact.media.encode import DerivativeWriter
    from redact.pipeline.analysis_file import Analysis
    from redact.pipeline.render import analysed_options

    head = LogReader(analysis_path(work), digest=False).head
    analysis = Analysis(analysis_path(work), head, "", None)
    opts = analysed_options(options, analysis)
    info = probe(work)
    width, height = info.padded_size
    result = {}
    for variant in ("plain", "masked", "masked", "plain"):
        found = dict(analysis.frame_regions())
        dst = work.parent / "variant.mp4"
        writer = DerivativeWriter(dst, info, [], opts.encode)

        def run(variant=variant, found=found, writer=writer) -> None:
            with av.open(str(work)) as c:
                for index, frame in enumerate(c.decode(video=0)):
                    buf = frame_to_i420(frame)
                    masked = buf if variant == "masked" else buf.copy()
                    regions = found.get(index, [])
                    tight = np.array([r.box for r in regions], np.float32).reshape(-1, 4)
                    boxes = opts.detect.regions(tight, [r.kind for r in regions], width, height)
                    mask_planes(i420_planes(masked, width, height), boxes, opts.mask)
                    writer.write_i420(buf, frame.pts, frame.duration)
            writer.finish()

        wall, cpu = timed(run)
        result.setdefault(variant, []).append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
        result.setdefault(variant + "_bytes", dst.stat().st_size)
    return result


def profile(work: Path, options, args) -> dict:
    """Where one render's time goes: per-thread CPU of a transcode and a render, the log's
    stages, cProfile of the render's main thread, and the encoder's cost on masked frames."""
    render_options = dataclasses.replace(options, force=True)
    out: dict = {}
    for what in ("transcode", "render", "render", "transcode"):
        with ThreadCPU() as threads:
            if what == "render":
                wall, cpu = timed(lambda: render_file(work, render_options))
            else:
                wall, cpu = timed(lambda: transcode(work, work.parent / "transcode.mp4", options.encode))
        out.setdefault(what, []).append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), **threads.by_role()})
    out["render_stages_s"] = {
        k: round(v, 3) for k, v in render_stages(LogReader(log_path(work), digest=False).head["timings_s"]).items()
    }
    profiler = cProfile.Profile()
    profiler.enable()
    render_file(work, render_options)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    out["encoder_on_masked_frames"] = masked_vs_plain_encode(work, options)
    report = args.out / f"render_profile_{work.stem}.txt"
    report.write_text(json.dumps(out, indent=2) + "\n\n" + text.getvalue())
    print(f"  profile: {json.dumps(out)}\n  cProfile of the render's main thread: {report}", flush=True)
    return out


def summarize(rows: list[dict]) -> list[str]:
    lines = [
        "| clip | encoder | mode | pairs | transcode s (median) | render s (median) | render fps (median)"
        " | wall ratio median | lowest | highest | CPU ratio median | lowest | highest | ≤ 1.3x |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["clip"], r["preset"], r["mode"]), []).append(r)
    for (clip, preset, mode), group in groups.items():
        ratios, cpus = [r["ratio"] for r in group], [r["cpu_ratio"] for r in group]
        enc = group[0]["encoder"]
        median = statistics.median(ratios)
        lines.append(
            f"| {clip} | {preset} ({enc['preset']}, CRF {enc['crf']}) | {mode} | {len(group)}"
            f" | {statistics.median(r['transcode_s'] for r in group):.2f}"
            f" | {statistics.median(r['render_s'] for r in group):.2f}"
            f" | {statistics.median(r['render_fps'] for r in group):.1f}"
            f" | {median:.3f} | {min(ratios):.3f} | {max(ratios):.3f}"
            f" | {statistics.median(cpus):.3f} | {min(cpus):.3f} | {max(cpus):.3f}"
            f" | {'yes' if median <= TARGET else 'no'} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--presets", default="disclosure", help="encoder settings of render and transcode")
    parser.add_argument("--analyze-preset", default="disclosure", help="detection settings of the one analysis")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="also time `redact render` and the transcode as commands")
    parser.add_argument("--profile", action="store_true", help="also show where a render's time goes")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = (
        [args.file.absolute()]
        if args.file
        else [
            make_clip(VTEST, args.out / "vtest_720p30_10s.mp4", 1280, 720, 10),
            make_clip(VTEST, args.out / "vtest_1080p30_10s.mp4", 1920, 1080, 10),
        ]
    )
    print(f"{cpu_model()}, {usable_cores()} cores; {time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)
    rows, checks = [], []
    for clip in clips:
        with tempfile.TemporaryDirectory(prefix="redact-render-speed-") as tmp:
            got, checked = measure_clip(clip, args, Path(tmp))
        rows += got
        checks.append(checked)
        (args.out / "render_speed.json").write_text(json.dumps({"pairs": rows, "checks": checks}, indent=2) + "\n")
    print("\n".join(["", *summarize(rows)]))
    failed = [c["clip"] for c in checks if c["analysed_entries"] != 1 or c["renders_with_detect_stage"]]
    if failed:
        raise SystemExit(f"detection ran again on {', '.join(failed)}")


if __name__ == "__main__":
    main()
