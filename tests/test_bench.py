"""`redact bench`'s memory figure: what the process tree occupies, shared pages counted once."""

from __future__ import annotations

import mmap
import os
import signal
import time

from redact.bench import TreeMemory, tree_memory_mb

SHARED_MB = 64


def test_a_page_shared_by_two_processes_counts_once_in_the_tree():
    # Detection workers and the main process share the frame ring and every library: summed
    # resident memory counts those pages once per process, the reported peak must not.
    shared = mmap.mmap(-1, SHARED_MB * 2**20)  # anonymous, MAP_SHARED: inherited by the child
    shared.write(b"\1" * len(shared))
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - child process
        sum(shared[i] for i in range(0, len(shared), mmap.PAGESIZE))  # map every page here too
        os.write(ready_w, b"x")
        signal.pause()
        os._exit(0)
    try:
        os.read(ready_r, 1)
        proportional, resident = tree_memory_mb(os.getpid())
        with TreeMemory(interval_s=0.05) as memory:
            time.sleep(0.2)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(ready_r)
        os.close(ready_w)
    assert resident - proportional >= SHARED_MB * 0.9  # the ring's pages: once, not twice
    assert proportional >= SHARED_MB
    assert 0 < memory.peak_mb <= memory.peak_rss_mb


def test_bench_re_renders_from_its_analysis_without_detecting_again(tmp_path):
    # The correction figure of `redact bench`: one decision changed, rendered from the analysis
    # the run just made: no detect stage, detection recorded once. No timing is asserted.
    from clips import sample_frames, write_clip

    from redact.bench import run_bench
    from redact.options import DetectOptions, RedactOptions

    clip = write_clip(tmp_path / "b.mp4", sample_frames(8, size=(320, 180)))
    before = clip.read_bytes()
    result = run_bench(clip, RedactOptions(detect=DetectOptions(kinds=("face",)), quiet=True, workers=0))
    assert result["frames"] == 8
    assert result["render_fps"] > 0 and result["render_s"] > 0 and result["render_transcode_s"] > 0
    assert result["render_ratio_to_transcode"] > 0 and result["render_cpu_ratio_to_transcode"] > 0
    assert {"decode", "mask", "encode"} <= set(result["render_ms_per_frame"])
    assert not any("detect" in stage for stage in result["render_ms_per_frame"])
    assert result["render_detected"] is False and result["analysed_entries"] == 1
    assert clip.read_bytes() == before  # measured on a copy
