"""onnxruntime sessions for every shipped model: best local provider, bounded CPU threads."""

from __future__ import annotations

import os
import warnings
from functools import cache

from .. import ORT_TELEMETRY_STARTED


@cache
def _share_one_arena() -> None:
    """Register one CPU arena that every session of this process draws from (once per process).

    Each session otherwise grows its own arena to its own peak: face + plate models on a
    1080p frame held 669 MB per process, one shared arena 525 MB (the models run one after
    the other, so the second reuses the first's buffers), same boxes, same speed (measured;
    benchmarks/RESULTS.md).
    """
    import onnxruntime as ort

    info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    # max_mem 0 = unbounded; extend by what is asked (1), not the next power of two.
    ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, 1, -1, -1))


def make_session(path: str, threads: int | None = None):
    """An onnxruntime session on the best local provider, with bounded CPU threads."""
    import onnxruntime as ort  # after `import redact` has set ORT_DISABLE_TELEMETRY=1

    if ORT_TELEMETRY_STARTED:
        warnings.warn(
            "onnxruntime was imported before redact without ORT_DISABLE_TELEMETRY=1, so its telemetry"
            " (a device id and events sent to Microsoft) started in this process; set"
            " ORT_DISABLE_TELEMETRY=1 in the environment or import redact first",
            RuntimeWarning,
            stacklevel=2,
        )
    ort.disable_telemetry_events()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Memory patterns pre-plan every buffer of a run at its peak size and keep it: 1.06 GB
    # per process for face + plate models on a 1080p frame, vs 0.65 GB without, at the same
    # speed (measured; benchmarks/RESULTS.md). Each detection worker holds its own sessions.
    options.enable_mem_pattern = False
    _share_one_arena()
    options.add_session_config_entry("session.use_env_allocators", "1")
    threads = threads or int(os.environ.get("REDACT_DETECT_THREADS", "0")) or None
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    preferred = ["CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider"]
    available = set(ort.get_available_providers())
    providers = [p for p in preferred if p in available] or ["CPUExecutionProvider"]
    return ort.InferenceSession(path, sess_options=options, providers=providers)
