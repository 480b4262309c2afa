"""redact: offline redaction of faces (and later plates) in evidence video.

The one-call API is :func:`redact.redact_file`; the CLI in ``redact.cli`` only gathers
settings and calls it.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "redact_file"]


def __getattr__(name: str):
    # Lazy, so `import redact` (and the seal/verify paths) need not load PyAV or onnxruntime.
    if name == "redact_file":
        from .pipeline import redact_file

        return redact_file
    raise AttributeError(name)
