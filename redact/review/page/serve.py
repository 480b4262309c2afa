"""`redact review`: analyse what has no analysis yet, then serve the page on 127.0.0.1.

The socket is bound here, before the server starts, so the port (a free one unless asked for)
is known to the ``Host`` check and printed in the address, with the token, before anything
can connect.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from ...evidence.layout import Layout
from ...options import RedactOptions
from .app import Review, build_app
from .security import Guard

LOOPBACK = "127.0.0.1"


def clips_under(path: Path) -> tuple[Path, list[Path]]:
    """(the folder served, the clips in it) for a clip or a folder of clips. A link in the
    folder to a file elsewhere is left out: the page serves the folder's own clips only."""
    from ...batch.source import jobs_from_folder

    path = path.absolute()
    if path.is_dir():
        root = path.resolve()
        inside = [job.path for job in jobs_from_folder(path) if job.path.resolve().is_relative_to(root)]
        return path, inside
    return path.parent, [path]


def analyse_missing(clips: list[Path], options: RedactOptions, case_dir: Path | None) -> None:
    """Run the analysis (with its progress bar) of every clip that has none."""
    from ...pipeline import analyze_file

    for clip in clips:
        if not Layout(clip, case_dir).analysis.exists():
            analyze_file(clip, options, case_dir=case_dir)


@dataclass
class ReviewServer:
    """A running review server; ``url`` holds the token."""

    url: str
    port: int
    server: uvicorn.Server
    review: Review
    guard: Guard
    thread: threading.Thread | None = None

    def fresh_url(self) -> str:
        """The page's address with a new one-time token (for another browser)."""
        return self.url.rsplit("token=", 1)[0] + f"token={self.guard.new_token()}"

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.review.close()


def bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(64)
    return sock


def start(
    path: Path,
    options: RedactOptions,
    reviewer: str,
    port: int = 0,
    case_dir: Path | None = None,
    background: bool = True,
    ready: Callable[[str], None] | None = None,
    waiting: Callable[[str], None] | None = None,
) -> ReviewServer:
    """Serve the review of ``path`` (a clip or a folder). With ``background``, on a thread (the
    caller stops it); otherwise until Ctrl-C, calling ``ready(url)`` once it listens and
    ``waiting(clip)`` for a render still running when it stops (it is let finish)."""
    root, clips = clips_under(path)
    sock = bind(port)
    port = sock.getsockname()[1]
    review = Review(clips, root, options, reviewer, case_dir)
    guard = Guard(build_app(review), port)
    config = uvicorn.Config(guard, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    token = guard.new_token()
    query = f"?clip={_quote(clips[0], root)}&token={token}" if len(clips) == 1 else f"?token={token}"
    running = ReviewServer(f"http://{LOOPBACK}:{port}/{query}", port, server, review, guard)
    if background:
        running.thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        running.thread.start()
        while not server.started and running.thread.is_alive():
            threading.Event().wait(0.02)
        return running
    if ready is not None:
        threading.Thread(target=_when_started, args=(server, ready, running.url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        review.close(waiting)
    return running


def _when_started(server: uvicorn.Server, ready: Callable[[str], None], url: str) -> None:
    while not server.started and not server.should_exit:
        threading.Event().wait(0.05)
    if server.started:
        ready(url)


def _quote(clip: Path, root: Path) -> str:
    from urllib.parse import quote

    return quote(clip.relative_to(root).as_posix(), safe="")


def open_browser(url: str) -> None:
    """The default browser of this machine (the page loads nothing from elsewhere)."""
    webbrowser.open(url)
