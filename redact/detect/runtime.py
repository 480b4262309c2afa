"""onnxruntime sessions for every shipped model: best local provider, bounded CPU threads."""

from __future__ import annotations

import os


def make_session(path: str, threads: int | None = None):
    """An onnxruntime session on the best local provider, with bounded CPU threads."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # also set on `import redact`; see redact/__init__.py
    import onnxruntime as ort

    ort.disable_telemetry_events()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Memory patterns pre-plan every buffer of a run at its peak size and keep it: 1.06 GB
    # per process for face + plate models on a 1080p frame, vs 0.65 GB without, at the same
    # speed (measured; benchmarks/RESULTS.md). Each detection worker holds its own sessions.
    options.enable_mem_pattern = False
    threads = threads or int(os.environ.get("REDACT_DETECT_THREADS", "0")) or None
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    preferred = ["CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider"]
    available = set(ort.get_available_providers())
    providers = [p for p in preferred if p in available] or ["CPUExecutionProvider"]
    return ort.InferenceSession(path, sess_options=options, providers=providers)
