"""A rich progress bar with frames, fps and ETA; silent when quiet or not on a terminal."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class FrameProgress:
    def __init__(self, label: str, total: int | None, quiet: bool = False):
        self.enabled = not quiet
        self.progress = None
        if self.enabled:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[fps]} fps"),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=False,
            )
            self.task = self.progress.add_task(label, total=total or None, fps="-")

    def __enter__(self) -> FrameProgress:
        if self.progress:
            self.progress.start()
        return self

    def advance(self, frames: int = 1) -> None:
        if self.progress:
            self.progress.advance(self.task, frames)
            speed = self.progress.tasks[0].speed
            if speed:
                self.progress.update(self.task, fps=f"{speed:.1f}")

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.stop()
