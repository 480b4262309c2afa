"""`redact review` as a clerk starts it: on a folder it analyses what has no analysis (with
the kinds asked for), prints an address with a token, serves the clips with their state, and
stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import httpx
from clips import sample_frames, write_clip


def test_review_of_a_folder_analyses_serves_the_clips_with_their_state_and_stops_on_ctrl_c(tmp_path):
    frames = sample_frames(6, size=(320, 180))
    for name in ("a.mp4", "b.mp4"):
        write_clip(tmp_path / name, frames, time_base=Fraction(1, 25))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "redact",
            "review",
            str(tmp_path),
            "--no-browser",
            "--kinds",
            "face",
            "--workers",
            "0",
            "--reviewer",
            "DC 2 Test",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        url = None
        deadline = time.monotonic() + 180
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("Review page: "):
                url = line.split(": ", 1)[1].strip()
        assert url is not None, process.stderr.read() if process.poll() is not None else "no address printed"
        assert url.startswith("http://127.0.0.1:") and "token=" in url and "clip=" not in url  # a folder: the list
        with httpx.Client(follow_redirects=True) as client:
            assert client.get(url).status_code == 200
            base = url.split("?", 1)[0].rstrip("/")
            clips = client.get(f"{base}/api/clips").json()
            assert [c["name"] for c in clips] == ["a.mp4", "b.mp4"]
            assert all(c["analysed"] and not c["reviewed"] and not c["rendered"] for c in clips)
            info = client.get(f"{base}/api/clips/b.mp4/info").json()
            assert info["frames"] == 6 and info["reviewer"] == "DC 2 Test"
            assert not client.get(f"{base}/api/clips").json()[1]["verified"]  # no derivative to verify yet
        assert (tmp_path / "a.mp4.analysis.json").exists() and (tmp_path / "b.mp4.seal.json").exists()
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
    assert code == 0
