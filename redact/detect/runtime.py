"""onnxruntime sessions for every shipped model: best local provider, bounded CPU threads."""

from __future__ import annotations

import os
import warnings
from functools import cache

from .. import ORT_TELEMETRY_STARTED
from ..errors import ModelError
from ..i18n import N_


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
    device = os.environ.get("REDACT_DEVICE", "auto")
    providers = chosen_providers(ort.get_available_providers(), device)
    if "CUDAExecutionProvider" in providers:
        _load_cuda_libraries()
    session = ort.InferenceSession(path, sess_options=options, providers=providers)
    if device == "gpu" and "CUDAExecutionProvider" not in session.get_providers():
        # onnxruntime falls back to the CPU when CUDA or cuDNN fail to load: asked for a GPU, say so
        raise ModelError(
            N_(
                "REDACT_DEVICE=gpu, but the GPU could not be used (CUDA or cuDNN did not load); onnxruntime"
                " would have run on the CPU"
            ),
            path,
            hint=N_("check the NVIDIA driver and the gpu extra (docs/benchmarks.md), or unset REDACT_DEVICE"),
        )
    return session


DEVICES = ("auto", "cpu", "gpu")
PREFERRED = ("CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider")


def chosen_providers(available: list[str], device: str = "auto") -> list[str]:
    """The execution providers to ask for, best first. ``device`` (``REDACT_DEVICE``): "auto" takes
    a GPU when onnxruntime offers one (the ``redact[gpu]`` extra on a machine with an NVIDIA card)
    and the CPU otherwise; "cpu" never a GPU; "gpu" refuses to run without one, so that a station
    that paid for a card notices when it is not used."""
    if device not in DEVICES:
        raise ModelError(
            N_("REDACT_DEVICE must be one of {devices} (got {device!r})"), devices=", ".join(DEVICES), device=device
        )
    cpu = ["CPUExecutionProvider"]
    if device == "cpu":
        return cpu
    if device == "gpu":
        if "CUDAExecutionProvider" not in available:
            raise ModelError(
                N_("REDACT_DEVICE=gpu, but onnxruntime offers no CUDA provider here"),
                hint=N_(
                    "install the extra (pip install 'redact[gpu]', see README) on a machine with an NVIDIA GPU,"
                    " or unset REDACT_DEVICE"
                ),
            )
        return ["CUDAExecutionProvider", *cpu]
    return [p for p in PREFERRED if p in available] or cpu


def device_names(providers) -> str:
    """Execution providers as a clerk reads them: "CUDA, CPU"; "not recorded" for logs from before."""
    return ", ".join(p.removesuffix("ExecutionProvider") for p in providers) or "not recorded"


@cache
def _load_cuda_libraries() -> None:
    """Load the CUDA and cuDNN libraries the ``redact[gpu]`` extra installs as Python wheels
    (onnxruntime >= 1.21 finds them itself with ``preload_dlls``); with a system CUDA, nothing to do."""
    import onnxruntime as ort

    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload(directory="")
        except Exception as error:  # a system CUDA may still serve; onnxruntime falls back to the CPU
            warnings.warn(f"could not load the CUDA libraries of the gpu extra: {error}", RuntimeWarning, stacklevel=3)
