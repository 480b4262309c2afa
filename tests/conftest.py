"""Test-wide setup: no network in this process or any child; fixtures for real clips."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import pytest

NONET = Path(__file__).resolve().parent / "nonet"

# Block sockets here and in every subprocess (CLI runs, workers) started by the tests.
sys.path.insert(0, str(NONET))
import sitecustomize  # noqa: E402,F401  (installs the socket guard in this process)

os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NONET), os.environ.get("PYTHONPATH")]))
# No station key unless a test makes one: runs are unsigned and never touch the user's keys.
os.environ["REDACT_KEY_DIR"] = tempfile.mkdtemp(prefix="redact-no-key-")
os.environ.pop("REDACT_KEY_PASSPHRASE", None)
# Messages and reports in English whatever the machine's locale, unless a test asks for German.
os.environ["REDACT_LANG"] = "en"

# A suite started in the background (`cmd &`, nohup) inherits SIGINT ignored, and so would every
# redact it starts: Python then installs no Ctrl-C handler and the Ctrl-C tests test nothing.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

from clips import SAMPLE  # noqa: E402


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled sample (redact seals and chmods its input)."""
    dst = tmp_path / SAMPLE.name
    shutil.copyfile(SAMPLE, dst)
    return dst


@pytest.fixture(scope="session")
def sample_redacted(tmp_path_factory) -> Path:
    """The sample redacted once with default settings, shared by read-only tests."""
    from redact import redact_file
    from redact.options import RedactOptions

    folder = tmp_path_factory.mktemp("sample")
    src = folder / SAMPLE.name
    shutil.copyfile(SAMPLE, src)
    redact_file(src, RedactOptions(quiet=True))
    return src
