"""``redact bench``: how fast is redaction on this machine, and what bounds it?

Runs a pure PyAV transcode (decode + libx264 with the same settings) and ``redact_file`` on
a private copy of the clip, then reports per-stage ms/frame from the redaction log, fps, the
real-time factor, the ratio to the transcode, peak memory of the process tree, and the CPU.
Then it re-renders the derivative from the analysis it just made, with one decision changed
(the first frame's picture blacked out), as a clerk's correction does: render fps, its ratio
to a transcode timed right after it, its stages, and proof that no detection ran again (one
"analysed" custody entry, no detect stage in the render's timings).
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import av
from av.video.frame import PictureType

from .options import EncodeOptions, RedactOptions

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "two_faces_720p.mp4"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _pss_bytes(pid: int) -> int | None:
    """Proportional set size of one process (shared pages divided among their users)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(proportional, resident) memory of ``root`` and all its descendants now, in MB.

    Summed resident memory counts a shared page once per process mapping it: the shared-memory
    frame ring, onnxruntime, OpenCV and numpy libraries are counted in every detection
    worker. Summed proportional set size (PSS) splits each shared page among the processes
    sharing it, so it is what the tree really occupies; both are reported. Linux /proc only
    (0 elsewhere); PSS falls back to resident memory where ``smaps_rollup`` is unreadable.
    """
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid = int(entry.name)
            parents[pid], rss[pid] = int(stat[1]), int(stat[21]) * resource.getpagesize()
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    resident = [rss[pid] for pid in tree if pid in rss]
    proportional = [p if (p := _pss_bytes(pid)) is not None else rss[pid] for pid in tree if pid in rss]
    return sum(proportional) / 2**20, sum(resident) / 2**20


class TreeMemory:
    """Samples the memory of this process tree (workers included) in the background.

    ``peak_mb`` is the peak summed PSS (what the tree occupies), ``peak_rss_mb`` the peak of
    summed resident memory (which counts shared pages once per process).
    """

    def __init__(self, interval_s: float = 0.25):
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        proportional, resident = tree_memory_mb(os.getpid())
        self.peak_mb = max(self.peak_mb, proportional)
        self.peak_rss_mb = max(self.peak_rss_mb, resident)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # a run shorter than one interval still gets a figure


def cpu_seconds() -> float:
    """CPU time of this process, all its threads (decoder, x264, encoder thread) included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def render_stages(timings: dict) -> dict:
    """A render's stages from its redaction log (less any ``analysis_*`` keys: a log that
    carries the analysis's stages too names them so)."""
    return {k: v for k, v in timings.items() if not k.startswith("analysis_")}


def analysed_entries(folder: Path) -> int:
    """How many times the custody log in ``folder`` records an analysis (detection) run."""
    from .evidence.custody import read_chain

    return sum(1 for entry in read_chain(folder).entries if entry.get("event") == "analysed")


def transcode(src: Path, dst: Path, options: EncodeOptions) -> tuple[float, int]:
    """Pure PyAV decode + libx264 encode with redact's encoder settings; (seconds, frames).

    For the same frames it writes the same video stream as the derivative's encoder
    (``redact.encode.DerivativeWriter``), so the difference to a render is redact's own work.
    """
    start = time.perf_counter()
    frames = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        vout = out.add_stream("libx264", rate=vin.average_rate or 30)
        vout.width, vout.height = (
            vin.codec_context.width + vin.codec_context.width % 2,
            vin.codec_context.height + vin.codec_context.height % 2,
        )
        vout.pix_fmt = "yuv420p"
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
        vout.codec_context.options = {
            "crf": str(options.crf),
            "preset": options.preset,
            "threads": str(options.threads),
        }
        for frame in inp.decode(vin):
            frame = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
            # x264 would take the source's picture types (libavcodec passes a decoded frame's
            # I/P/B on), skipping its own frame-type decisions: the derivative's encoder gets
            # frames without one, so must this baseline (6 % of its CPU on vtest 720p)
            frame.pict_type = PictureType.NONE
            out.mux(vout.encode(frame))
            frames += 1
        out.mux(vout.encode(None))
    return time.perf_counter() - start, frames


def run_bench(clip: Path | None = None, options: RedactOptions | None = None) -> dict:
    from .evidence.log_reader import LogReader
    from .pipeline import log_path, redact_file, render_file

    clip = (clip or SAMPLE).absolute()
    options = options or RedactOptions(quiet=True)
    with av.open(str(clip)) as c:
        stream = c.streams.video[0]
        fps_in = float(stream.average_rate or stream.guessed_rate or 30)
        size = f"{stream.codec_context.width}x{stream.codec_context.height}"
    with tempfile.TemporaryDirectory(prefix="redact-bench-") as tmp:
        work = Path(tmp) / clip.name
        shutil.copyfile(clip, work)
        base_s, frames = transcode(work, Path(tmp) / "transcode.mp4", options.encode)
        start = time.perf_counter()
        with TreeMemory() as memory:
            redact_file(work, options)
        wall = time.perf_counter() - start
        log = LogReader(log_path(work), digest=False).head
        # A correction: one decision changed (the first frame's picture blacked out), rendered
        # from the analysis just made. Timed against a transcode right after it, wall and CPU.
        first_frame = ((0.0, round(1 / fps_in, 6)),)
        cpu, start = cpu_seconds(), time.perf_counter()
        render_file(work, replace(options, force=True), picture_ranges=first_frame)
        render_s, render_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        cpu = cpu_seconds()
        render_base_s, _ = transcode(work, Path(tmp) / "transcode.mp4", options.encode)
        render_base_cpu = cpu_seconds() - cpu
        render_timings = render_stages(LogReader(log_path(work), digest=False).head["timings_s"])
        analysed = analysed_entries(work.parent)
    stages = {k: round(1000 * v / max(1, frames), 2) for k, v in log["timings_s"].items() if k != "total"}
    render_ms = {k: round(1000 * v / max(1, frames), 2) for k, v in render_timings.items() if k != "total"}
    return {
        "clip": str(clip),
        "size": size,
        "frames": frames,
        "input_fps": round(fps_in, 3),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "preset": options.preset,
        "workers": options.worker_count,
        "kinds": list(options.detect.kinds),
        "detect_every": options.detect.every,
        "face_size": options.detect.face_size,
        "plate_size": options.detect.plate_size,
        "encoder": {"crf": options.encode.crf, "preset": options.encode.preset, "threads": options.encode.threads},
        "transcode_s": round(base_s, 3),
        "transcode_fps": round(frames / base_s, 2),
        "redact_s": round(wall, 3),
        "redact_fps": round(frames / wall, 2),
        "realtime_factor": round(frames / wall / fps_in, 3),
        # what a station plans with: hours of processing for each hour of footage like this clip
        "hours_per_footage_hour": round(wall / (frames / fps_in), 3),
        # where the models ran, as the log records it ("CPUExecutionProvider", "CUDAExecutionProvider")
        "providers": sorted({p for d in log.get("detectors", []) for p in d.get("providers", [])}),
        "ratio_to_transcode": round(wall / base_s, 3),
        "ms_per_frame": stages,
        # whole process tree, sampled every 0.25 s: summed PSS, and summed resident memory
        "peak_memory_mb": round(memory.peak_mb, 1),
        "peak_rss_sum_mb": round(memory.peak_rss_mb, 1),
        # the re-render from the analysis (no model), against a transcode timed right after it
        "render_s": round(render_s, 3),
        "render_fps": round(frames / render_s, 2),
        "render_transcode_s": round(render_base_s, 3),
        "render_ratio_to_transcode": round(render_s / render_base_s, 3),
        "render_cpu_ratio_to_transcode": round(render_cpu / max(render_base_cpu, 1e-9), 3),
        "render_ms_per_frame": render_ms,
        "render_detected": any("detect" in k for k in render_timings),  # False: no model ran
        "analysed_entries": analysed,  # custody "analysed" entries after run + re-render: 1
    }


def can_chart() -> bool:
    """Whether ``chart`` can draw (matplotlib installed): ``redact bench --png`` asks before measuring."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def chart(result: dict, path: Path) -> bool:
    """A bar chart of ms per frame by stage; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    stages = {k: v for k, v in result["ms_per_frame"].items() if v >= 0.05}
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(list(stages), list(stages.values()), color="#4a7")
    ax.axvline(1000 / result["input_fps"], color="#c33", linestyle="--", label="real-time budget per frame")
    ax.set_xlabel("ms per frame")
    ax.set_title(f"redact {result['size']}: {result['redact_fps']} fps, {result['realtime_factor']}x real time")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True
