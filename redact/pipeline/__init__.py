"""One clip through the pipeline, one module per stage:

``prepare`` (checks, seal, probe) → ``analyze`` (decode → detect → track, into the analysis
file of ``analysis_file``; ``transcribe``: speech into the transcript) → decisions
(``redact.decisions``) → ``render`` (decode → mask → encode, no model) → ``publish`` (log,
content credentials, atomic rename, custody); ``run`` holds the entry points, ``frames`` the
timeline both passes share.
"""

from pathlib import Path

from ..evidence.layout import Layout
from .analysis_file import Analysis, read_analysis
from .analyze import AnalysisResult
from .publish import RedactResult
from .run import analyze_file, redact_file, render_file
from .transcribe import TranscriptResult, transcribe_file


def derivative_path(original) -> Path:
    """The derivative beside ``original`` (``Layout`` knows case and output folders)."""
    return Layout(original).derivative


def log_path(original) -> Path:
    return Layout(original).log


def analysis_path(original) -> Path:
    return Layout(original).analysis


__all__ = [
    "Analysis",
    "AnalysisResult",
    "RedactResult",
    "TranscriptResult",
    "analysis_path",
    "analyze_file",
    "derivative_path",
    "log_path",
    "read_analysis",
    "redact_file",
    "render_file",
    "transcribe_file",
]
