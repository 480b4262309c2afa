"""Where shipped files (models, presets) are found: no downloads, only these folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resource_dirs(env_var: str, folder: str) -> list[Path]:
    """``$env_var`` if set, the source checkout's ``folder``, then the install's ``share/redact/folder``."""
    dirs = [Path(env)] if (env := os.environ.get(env_var)) else []
    dirs.append(Path(__file__).resolve().parent.parent / folder)
    dirs.append(Path(sys.prefix) / "share" / "redact" / folder)
    return dirs
