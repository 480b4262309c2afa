"""Render from the review page: `redact render` on a thread, its progress for the page to poll.

The render reads the decisions as saved (the page saves on every change), verifies the
original and the analysis again, and replaces an earlier derivative atomically; the court
report follows it. One render at a time per clip.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from ...errors import RedactError
from ...options import RedactOptions


class RenderJob:
    def __init__(self, original: Path, options: RedactOptions, reviewer: str, case_dir: Path | None = None):
        self.original, self.case_dir, self.reviewer = original, case_dir, reviewer
        self.options = replace(options, force=True, quiet=True, operator=reviewer)
        self.lock = threading.Lock()
        self.state, self.done, self.total, self.error = "idle", 0, 0, None
        self.derivative: Path | None = None
        self.report: Path | None = None
        self.thread: threading.Thread | None = None

    def start(self, total: int) -> bool:
        """Start a render; False when one is already running."""
        with self.lock:
            if self.state == "running":
                return False
            self.state, self.done, self.total, self.error = "running", 0, total, None
            self.derivative = self.report = None
        self.thread = threading.Thread(target=self._run, name="redact-review-render", daemon=True)
        self.thread.start()
        return True

    def _advance(self, n: int) -> None:
        with self.lock:
            self.done += n

    def _run(self) -> None:
        from ...pipeline import render_file
        from ..court import write_report

        try:
            result = render_file(self.original, self.options, case_dir=self.case_dir, progress=self._advance)
            report = write_report(result.log, self.reviewer)
        except RedactError as error:
            self._end("failed", error.describe(where=False))
        except Exception as error:  # the page shows it; the server keeps serving
            self._end("failed", f"internal error: {type(error).__name__}: {error}")
        else:
            with self.lock:
                self.derivative, self.report = result.derivative, report
            self._end("done", None)

    def _end(self, state: str, error: str | None) -> None:
        with self.lock:
            self.state, self.error = state, error
            if state == "done":
                self.done = self.total

    def status(self) -> dict:
        with self.lock:
            return {"state": self.state, "done": self.done, "total": self.total, "error": self.error}

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
